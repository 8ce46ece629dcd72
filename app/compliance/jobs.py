"""Jobs of the compliance dashboard: the reminder a manager sent, written in the person's language."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from flask_babel import force_locale, format_date
from flask_babel import gettext as _

from app.accounts.models import User
from app.compliance.models import Reminder
from app.compliance.status import Item, Kind, Status, for_people
from app.extensions import db
from app.locales import person_locale
from app.mail import mail_person
from app.tenancy import context as tenancy_context
from app.tenancy.models import Tenant


def _items_named(items: list[Item]) -> dict[tuple[Kind, int], Any]:
    """The course, path, certification, policy or checkpoint lesson each item names (a statement per kind)."""
    from sqlalchemy import select

    from app.certifications.models import Certification, CertificationRecord
    from app.learning.models import Course, Enrollment, LearningPath, Lesson, PathEnrollment
    from app.policies.models import Policy

    wanted: dict[Kind, set[int]] = {}
    for item in items:
        wanted.setdefault(item.kind, set()).add(item.ref_id)
    found: dict[tuple[Kind, int], Any] = {}
    through = {
        Kind.course: (Enrollment.id, Course, Course.id == Enrollment.course_id),
        Kind.path: (PathEnrollment.id, LearningPath, LearningPath.id == PathEnrollment.path_id),
        Kind.certification: (
            CertificationRecord.id,
            Certification,
            Certification.id == CertificationRecord.certification_id,
        ),
    }
    for kind, (ref, model, on) in through.items():
        if wanted.get(kind):
            rows = db.session.execute(select(ref, model).join(model, on).where(ref.in_(sorted(wanted[kind]))))
            found.update({(kind, ref_id): obj for ref_id, obj in rows})
    by_id: list[tuple[Kind, Any]] = [(Kind.policy, Policy), (Kind.checkpoint, Lesson)]
    for kind, model in by_id:
        if wanted.get(kind):
            for obj in db.session.scalars(select(model).where(model.id.in_(sorted(wanted[kind])))):
                found[(kind, obj.id)] = obj
    return found


def _item_title(item: Item, named: dict[tuple[Kind, int], Any]) -> str:
    """The item's name in the current (the person's) language, else the portal's, else as written."""
    obj = named.get((item.kind, item.ref_id))
    if obj is None:
        return item.title
    # Looked up when called: the registry of translatable kinds names the models of these features.
    translated = import_module("app.multilingual.reading").translated
    if item.kind == Kind.checkpoint:
        return f"{translated(obj.course, 'title')}: {translated(obj, 'title')}"
    return str(translated(obj, "title"))


def send_reminder(reminder_id: int) -> bool:
    """Tell the person of *reminder_id* what they still have to do and by when."""
    reminder = db.session.get(Reminder, reminder_id)
    tenant = db.session.get(Tenant, tenancy_context.current_tenant_id())
    person = db.session.get(User, reminder.user_id) if reminder else None
    if reminder is None or person is None or tenant is None:
        return False
    sender = db.session.get(User, reminder.sent_by_id) if reminder.sent_by_id else None
    standing = for_people([person.id], tenant=tenant)[person.id]
    open_items = [item for item in standing.items if item.status != Status.done]
    from app.tenancy.services import portal_url

    named = _items_named(open_items)
    with force_locale(person_locale(person.locale, tenant)):
        lines = []
        for item in open_items:
            when = item.due_on or item.expires_on
            lines.append(
                f"- {_item_title(item, named)}"
                + (f" ({_('by %(date)s', date=format_date(when, 'long'))})" if when else "")
            )
        subject = _("A reminder about your training at %(portal)s", portal=tenant.display_name)
        body = "\n\n".join(
            [
                _("Hello %(name)s,", name=person.full_name),
                _("%(manager)s reminds you of the training you still have to do:", manager=sender.full_name)
                if sender
                else _("A reminder of the training you still have to do:"),
                "\n".join(lines) if lines else _("Nothing is open right now: thank you."),
                _("Open your learning: %(url)s", url=portal_url(tenant, "/")),
                tenant.display_name,
            ]
        )
    mail_person(person, subject, body)
    return True


def record_weekly_snapshots() -> int:
    """Record this week's compliance of every unit of the tenant in context (again the same week: updated)."""
    from app.compliance.rollup import record_snapshots

    tenant = db.session.get(Tenant, tenancy_context.current_tenant_id())
    return record_snapshots(tenant=tenant)
