"""Crews without email: employee ID or badge plus PIN on a shared device, badges managers print, and
messages waiting on My learning for people who have no email address."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import segno
from sqlalchemy import select, text, update

from app.accounts.models import User, UserSession
from app.accounts.services import create_org_unit, create_user
from app.audit.models import AuditEvent
from app.crew import services as crew
from app.crew.models import CrewBadge, CrewPin
from app.identity import services as identity
from app.inbox.models import InboxMessage
from app.mail import mail_person
from app.tenancy import as_tenant
from app.tenancy.models import utcnow
from tests.conftest import csrf_token, tenant_host

PIN = "4816"


def _portal(db: Any, tenant_factory: Any, user_factory: Any, *, badges_on: bool = True, idle: int = 3) -> Any:
    """A portal with badge sign-in, a location, its manager and a crew member without email (PIN set)."""
    tenant = tenant_factory()
    with as_tenant(tenant):
        identity.save_settings(
            default_provider_id=None,
            break_glass_emails=[],
            require_two_step_for_admins=False,
            badge_sign_in=badges_on,
            shared_device_idle_minutes=idle,
        )
        kitchen = create_org_unit("Kitchen", "location")
        elsewhere = create_org_unit("Elsewhere", "location")
        db.session.commit()
        unit_ids = kitchen.id, elsewhere.id
    manager = user_factory(
        tenant, roles=("manager", "learner"), org_unit_id=unit_ids[0], full_name="Mia Manager"
    )
    sam = _without_email(db, tenant, "Sam Crew", "E100", unit_ids[0])
    with as_tenant(tenant):
        crew.set_pin(db.session.merge(sam), PIN, by=None, must_choose=False)
        db.session.commit()
    return SimpleNamespace(
        tenant=tenant, manager=manager, sam=sam, kitchen=unit_ids[0], elsewhere=unit_ids[1]
    )


def _without_email(db: Any, tenant: Any, name: str, employee_id: str, unit_id: int) -> Any:
    with as_tenant(tenant):
        person = create_user(None, name, employee_id=employee_id, org_unit_id=unit_id)
        db.session.commit()
        assert person.email is None
    return person


def _issue(db: Any, tenant: Any, person: Any) -> str:
    with as_tenant(tenant):
        token = crew.issue_badge(db.session.merge(person), by=None)
        db.session.commit()
    return token


def _crew_post(client: Any, **data: str) -> Any:
    return client.post("/crew", data={"csrf_token": csrf_token(client, "/crew"), **data})


def _badge_url(tenant: Any, token: str) -> str:
    return f"http://{tenant_host(tenant)}/crew?badge={token}"


@pytest.fixture
def portal(db, tenant_factory, user_factory):
    return _portal(db, tenant_factory, user_factory)


def test_employee_id_and_pin_sign_in_remembers_nobody(db, portal, client_for):
    device = client_for(portal.tenant)
    response = _crew_post(device, employee_id="E100", pin=PIN)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookies = response.headers.getlist("Set-Cookie")
    assert not any(c.startswith("remember_token") for c in cookies)
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "Expires" not in session_cookie and "Max-Age" not in session_cookie
    home = device.get("/").get_data(as_text=True)
    assert "Shared device: signed in as" in home and "Sam Crew" in home
    assert 'data-idle-seconds="180"' in home and "js/crew.js" in home


def test_scanned_badge_then_pin_signs_in(db, portal, client_for):
    token = _issue(db, portal.tenant, portal.sam)
    device = client_for(portal.tenant)
    # A phone camera opens the QR's address: the page greets the holder and asks the PIN.
    opened = device.get(f"/crew?badge={token}")
    assert opened.status_code == 200 and "Hello, <bdi>Sam Crew</bdi>. Enter your PIN." in opened.get_data(
        as_text=True
    )
    # A USB scanner types the whole address into the badge field and presses Enter.
    scanned = _crew_post(device, badge=_badge_url(portal.tenant, token))
    assert scanned.status_code == 200 and "Enter your PIN." in scanned.get_data(as_text=True)
    signed_in = _crew_post(device, badge=_badge_url(portal.tenant, token), pin=PIN, step="pin")
    assert signed_in.status_code == 302
    assert "Sam Crew" in device.get("/").get_data(as_text=True)


def test_wrong_pins_lock_the_pin_like_a_password(db, portal, client_for, app):
    device = client_for(portal.tenant)
    for _attempt in range(app.config["LOGIN_MAX_FAILURES"]):
        refused = _crew_post(device, employee_id="E100", pin="9731")
        assert refused.status_code == 401
        assert "do not match an active account" in refused.get_data(as_text=True)
    locked = _crew_post(device, employee_id="E100", pin=PIN)
    assert locked.status_code == 401 and "Too many wrong PINs" in locked.get_data(as_text=True)
    assert device.get("/").status_code == 302
    with as_tenant(portal.tenant):
        row = db.session.scalars(select(CrewPin).where(CrewPin.user_id == portal.sam.id)).one()
        assert row.locked_until is not None and row.locked_until > utcnow()
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "user.locked_out")
        ).all()
        assert actions == ["user.locked_out"]


def test_revoked_badge_is_refused(db, portal, client_for):
    token = _issue(db, portal.tenant, portal.sam)
    manager = client_for(portal.tenant, portal.manager)
    revoked = manager.post(
        f"/team/crew/{portal.sam.id}/badge/revoke", data={"csrf_token": csrf_token(manager, "/team/crew")}
    )
    assert revoked.status_code == 302
    assert "no longer works" in manager.get("/team/crew").get_data(as_text=True)
    device = client_for(portal.tenant)
    refused = _crew_post(device, badge=token, pin=PIN, step="pin")
    assert refused.status_code == 401
    assert "This badge no longer works. Ask your manager for a new one." in refused.get_data(as_text=True)
    assert device.get("/").status_code == 302


def test_next_person_on_the_device_ends_the_previous_session(db, portal, user_factory, client_for):
    with as_tenant(portal.tenant):
        kim = create_user(None, "Kim Crew", employee_id="E102", org_unit_id=portal.kitchen)
        crew.set_pin(kim, "5937", by=None, must_choose=False)
        db.session.commit()
    kim_token = _issue(db, portal.tenant, kim)
    device = client_for(portal.tenant)
    _crew_post(device, employee_id="E100", pin=PIN)
    # Sam walked away signed in; Kim opens her badge's address on the same device.
    form = {"csrf_token": csrf_token(device, f"/crew?badge={kim_token}"), "badge": kim_token, "step": "pin"}
    assert device.post("/crew", data={**form, "pin": "5937"}).status_code == 302
    assert "Kim Crew" in device.get("/").get_data(as_text=True)
    with as_tenant(portal.tenant):
        sams = db.session.scalars(select(UserSession).where(UserSession.user_id == portal.sam.id)).all()
        assert [s.revoked_at is not None for s in sams] == [True]


def test_a_new_badge_replaces_the_old_one(db, portal, client_for):
    old = _issue(db, portal.tenant, portal.sam)
    new = _issue(db, portal.tenant, portal.sam)
    device = client_for(portal.tenant)
    assert _crew_post(device, badge=old, pin=PIN, step="pin").status_code == 401
    assert _crew_post(device, badge=new, pin=PIN, step="pin").status_code == 302


def test_badge_of_another_tenant_is_refused(db, portal, tenant_factory, user_factory, client_for):
    other = _portal(db, tenant_factory, user_factory)
    foreign_token = _issue(db, other.tenant, other.sam)
    device = client_for(portal.tenant)
    refused = _crew_post(device, badge=_badge_url(other.tenant, foreign_token), pin=PIN, step="pin")
    assert refused.status_code == 401
    assert "This badge is not known in this portal." in refused.get_data(as_text=True)
    assert device.get("/").status_code == 302
    # The same badge at its own portal works.
    assert _crew_post(client_for(other.tenant), badge=foreign_token, pin=PIN, step="pin").status_code == 302


def test_shared_device_signs_out_after_its_idle_minutes(db, portal, client_for):
    device = client_for(portal.tenant)
    assert _crew_post(device, employee_id="E100", pin=PIN).status_code == 302
    desk = client_for(portal.tenant, portal.manager)  # an ordinary sign-in, same idle clock

    def idle_for(minutes: int) -> None:
        with as_tenant(portal.tenant):
            db.session.execute(
                update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=minutes, seconds=5))
            )
            db.session.commit()

    idle_for(2)
    assert device.get("/").status_code == 200
    idle_for(3)
    assert device.get("/").status_code == 302
    assert desk.get("/").status_code == 200
    with as_tenant(portal.tenant):
        shared = db.session.scalars(select(UserSession).where(UserSession.user_id == portal.sam.id)).one()
        assert shared.shared_idle_minutes == 3


def test_signing_out_of_the_shared_device_returns_to_crew(db, portal, client_for):
    device = client_for(portal.tenant)
    _crew_post(device, employee_id="E100", pin=PIN)
    out = device.post("/sign-out", data={"csrf_token": csrf_token(device, "/")})
    assert out.status_code == 302 and out.headers["Location"] == "/crew"
    assert device.get("/").status_code == 302
    assert "You are signed out." in device.get("/crew").get_data(as_text=True)


def test_manager_set_pin_is_replaced_at_first_sign_in(db, portal, client_for):
    manager = client_for(portal.tenant, portal.manager)
    set_page = f"/team/crew/{portal.sam.id}/pin"
    too_short = manager.post(set_page, data={"csrf_token": csrf_token(manager, set_page), "pin": "12"})
    assert too_short.status_code == 422 and "Use 4 to 8 digits for the PIN." in too_short.get_data(
        as_text=True
    )
    done = manager.post(
        set_page, data={"csrf_token": csrf_token(manager, set_page), "pin": "2580", "must_choose": "y"}
    )
    assert done.status_code == 302
    device = client_for(portal.tenant)
    assert _crew_post(device, employee_id="E100", pin=PIN).status_code == 401  # the old PIN is gone
    first = _crew_post(device, employee_id="E100", pin="2580")
    assert first.status_code == 302 and first.headers["Location"] == "/crew/pin"
    for page in ("/", "/catalog", "/account"):  # no way around choosing one
        skipped = device.get(page)
        assert skipped.status_code == 302 and skipped.headers["Location"] == "/crew/pin"
    chosen = device.post(
        "/crew/pin", data={"csrf_token": csrf_token(device, "/crew/pin"), "pin": "7392", "confirm": "7392"}
    )
    assert chosen.status_code == 302
    assert device.get("/").status_code == 200
    device.post("/sign-out", data={"csrf_token": csrf_token(device, "/")})
    assert _crew_post(client_for(portal.tenant), employee_id="E100", pin="7392").headers["Location"] == "/"


def test_manager_prints_badges_only_for_people_in_reach(db, portal, user_factory, client_for, monkeypatch):
    outsider = _without_email(db, portal.tenant, "Olly Outside", "E900", portal.elsewhere)
    manager = client_for(portal.tenant, portal.manager)
    listing = manager.get("/team/crew").get_data(as_text=True)
    assert "Sam Crew" in listing and "Olly Outside" not in listing
    token = csrf_token(manager, "/team/crew")
    printed = manager.post(
        "/team/crew/badges", data={"csrf_token": token, "people": [str(portal.sam.id), str(outsider.id)]}
    )
    page = printed.get_data(as_text=True)
    assert printed.status_code == 200
    assert page.count('class="badge-card"') == 1 and "Sam Crew" in page and "Olly Outside" not in page
    assert "Employee ID E100" in page
    # The card's QR is the badge's address at this portal, which /crew accepts.
    monkeypatch.setattr(crew.secrets, "token_urlsafe", lambda n: "K" * 32)
    again = manager.post("/team/crew/badges", data={"csrf_token": token, "people": [str(portal.sam.id)]})
    expected = segno.make(_badge_url(portal.tenant, "K" * 32), error="m").svg_inline(scale=3)
    qr_path = re.search(r'<path[^>]* d="([^"]+)"', expected).group(1)
    assert qr_path in again.get_data(as_text=True)
    assert _crew_post(client_for(portal.tenant), badge="K" * 32, pin=PIN, step="pin").status_code == 302
    with as_tenant(portal.tenant):
        holders = db.session.scalars(select(CrewBadge.user_id).where(CrewBadge.revoked_at.is_(None))).all()
        assert holders == [portal.sam.id]
        assert len(db.session.scalars(select(CrewBadge.id)).all()) == 2  # the first card was replaced
    for path in (f"/team/crew/{outsider.id}/pin", f"/team/crew/{outsider.id}/badge/revoke"):
        assert manager.post(path, data={"csrf_token": token, "pin": "2580"}).status_code == 404


def test_pin_and_badge_token_are_never_stored_in_clear(db, portal):
    token = _issue(db, portal.tenant, portal.sam)
    with as_tenant(portal.tenant):
        pin_hash = db.session.scalars(select(CrewPin.pin_hash)).one()
        assert pin_hash.startswith("$argon2") and PIN not in pin_hash
        dumped = " ".join(
            str(value)
            for table in ("crew_pins", "crew_badges", "audit_events")
            for row in db.session.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 (fixed names)
            for value in row
        )
        assert token not in dumped and f"'{PIN}'" not in dumped and f'"{PIN}"' not in dumped


def test_badge_sign_in_off_means_no_crew_page(db, portal, tenant_factory, user_factory, client_for):
    quiet = _portal(db, tenant_factory, user_factory, badges_on=False)
    assert client_for(quiet.tenant).get("/crew").status_code == 404
    assert "Crew: sign in with a badge" not in client_for(quiet.tenant).get("/sign-in").get_data(as_text=True)
    assert 'href="/crew"' in client_for(portal.tenant).get("/sign-in").get_data(as_text=True)


def test_manager_adds_a_crew_member_without_email(db, portal, client_for):
    manager = client_for(portal.tenant, portal.manager)
    form = {
        "csrf_token": csrf_token(manager, "/team/crew/new"),
        "full_name": "Noor Newhire",
        "employee_id": "E101",
    }
    missing_pin = manager.post("/team/crew/new", data=form)
    assert missing_pin.status_code == 422 and 'value="Noor Newhire"' in missing_pin.get_data(as_text=True)
    added = manager.post("/team/crew/new", data={**form, "pin": "3691"})
    assert added.status_code == 302
    with as_tenant(portal.tenant):
        noor = db.session.scalars(select(User).where(User.employee_id == "E101")).one()
        assert (
            noor.email is None and noor.org_unit_id == portal.kitchen and noor.manager_id == portal.manager.id
        )
    first = _crew_post(client_for(portal.tenant), employee_id="E101", pin="3691")
    assert first.headers["Location"] == "/crew/pin"


def test_admin_needs_an_email_or_an_employee_id(db, portal, user_factory, client_for):
    admin = user_factory(portal.tenant, roles=("tenant_admin", "learner"))
    client = client_for(portal.tenant, admin)
    form = {"csrf_token": csrf_token(client, "/admin/users/new"), "full_name": "Nobody Known"}
    refused = client.post("/admin/users/new", data=form)
    assert refused.status_code == 422
    assert "Enter an email address, or an employee ID for someone without email." in refused.get_data(
        as_text=True
    )
    assert client.post("/admin/users/new", data={**form, "employee_id": "E555"}).status_code == 302
    listing = client.get("/admin/users?q=E555")
    assert listing.status_code == 200 and "Nobody Known" in listing.get_data(as_text=True)
    with as_tenant(portal.tenant):
        nobody = db.session.scalars(select(User).where(User.employee_id == "E555")).one()
    edit = client.get(f"/admin/users/{nobody.id}")
    assert edit.status_code == 200 and 'value="None"' not in edit.get_data(as_text=True)


def test_person_without_email_reads_their_mail_on_my_learning(db, portal, client_for, mailbox):
    with as_tenant(portal.tenant):
        mail_person(
            db.session.merge(portal.sam), "Your certification expires soon", "Renew Food safety by Friday."
        )
        db.session.commit()
    device = client_for(portal.tenant)
    _crew_post(device, employee_id="E100", pin=PIN)
    home = device.get("/").get_data(as_text=True)
    assert "Your certification expires soon" in home and "Renew Food safety by Friday." in home
    assert "(1 unread)" in home
    with as_tenant(portal.tenant):
        message = db.session.scalars(select(InboxMessage)).one()
    read = device.post(f"/inbox/{message.id}/read", data={"csrf_token": csrf_token(device, "/")})
    assert read.status_code == 302
    assert "(0 unread)" in device.get("/").get_data(as_text=True)
    # Someone with an address gets it by email as before, and nothing lands in an inbox.
    with as_tenant(portal.tenant):
        mail_person(db.session.merge(portal.manager), "Digest", "Your people.")
        db.session.commit()
        assert db.session.scalars(select(InboxMessage.id)).all() == [message.id]
    assert mailbox.wait_for(portal.manager.email)["Subject"] == "Digest"


def test_someone_elses_message_cannot_be_marked(db, portal, user_factory, client_for):
    with as_tenant(portal.tenant):
        mail_person(db.session.merge(portal.sam), "For Sam", "Only Sam.")
        db.session.commit()
        message_id = db.session.scalars(select(InboxMessage.id)).one()
    other = client_for(portal.tenant, user_factory(portal.tenant))
    assert (
        other.post(f"/inbox/{message_id}/read", data={"csrf_token": csrf_token(other, "/")}).status_code
        == 404
    )


def test_scanner_text_gives_the_token(app):
    token = "A" * 32
    assert crew.token_from_scan(f"https://bistro.example/crew?badge={token}") == token
    assert crew.token_from_scan(f"  {token}\n") == token
    assert crew.token_from_scan("https://bistro.example/crew?badge=<script>") is None
    assert re.fullmatch(r"[0-9]{4,8}", crew.validate_pin("4816"))
