"""The bistro demo's crew: badge sign-in on, two Downtown crew members with employee IDs and PINs, and one
crew member without email whose messages wait on My learning."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import User
from app.crew import services as crew
from app.extensions import db
from app.identity import services as identity
from app.identity.ways import settings as sign_in_settings
from app.mail import mail_person

# Employee ID -> PIN, as README.md ("Crews on a shared device") shows them.
CREW_PINS = {"B1002": "2580", "B1003": "1470", "B1004": "3691"}


def bistro_crew(manager: User, downtown_id: int, crew2: User, crew3: User) -> None:
    """Turn badge sign-in on and give the Downtown crew employee IDs and PINs (idempotent)."""
    current = sign_in_settings()
    if not current.badge_sign_in:
        break_glass = db.session.scalars(
            select(User.email).where(
                User.id.in_(current.break_glass_user_ids or [-1]), User.email.is_not(None)
            )
        ).all()
        identity.save_settings(
            default_provider_id=current.default_provider_id,
            break_glass_emails=[e for e in break_glass if e],
            require_two_step_for_admins=bool(current.require_two_step_for_admins),
            badge_sign_in=True,
            shared_device_idle_minutes=current.shared_device_idle_minutes or 3,
        )
    for person, employee_id in ((crew2, "B1002"), (crew3, "B1003")):
        if person.employee_id is None:
            accounts.update_user(person, employee_id=employee_id)
    jordan = crew.person_with_employee_id("B1004")
    if jordan is None:
        jordan = accounts.create_user(
            None,
            "Jordan Kitchen",
            employee_id="B1004",
            org_unit_id=downtown_id,
            manager_id=manager.id,
            job_title="Prep cook",
        )
        mail_person(
            jordan,
            "Welcome to the Bistro crew",
            "Hello Jordan,\n\nYour training is on this page. Food Safety Basics comes first.\n\nMorgan",
        )
    for person in (crew2, crew3, jordan):
        if crew.pin_of(person) is None:
            crew.set_pin(person, CREW_PINS[person.employee_id or ""], by=manager, must_choose=False)
