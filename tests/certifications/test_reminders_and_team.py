"""Reminders go out on the schedule, once each, in the holder's language; managers see their people's."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.certifications.jobs import digest_tenant, sweep_tenant
from app.certifications.models import Certification, CertificationNotice
from app.certifications.services import lifecycle
from app.tenancy import as_tenant


def _award(db, tenant, cert_id, user, *, expires_in_days):
    with as_tenant(tenant):
        record, _new = lifecycle.ensure_record(
            db.session.get(Certification, cert_id), db.session.get(User, user.id)
        )
        expires = datetime.now(UTC) + timedelta(days=expires_in_days)
        lifecycle.award_manually(
            record, by=None, note="", awarded_at=expires - timedelta(days=730), expires_at=expires
        )
        db.session.commit()
        return record.id, expires


def _to(mailbox, address):
    return [m for m in mailbox.messages if address in m["To"]]


def _delivered(mailbox, address, count, timeout=30.0):
    """The mails to *address* once *count* have arrived (jobs run inline, or on the real worker with Redis),
    after a moment more in which a duplicate would have arrived too."""
    import time

    deadline = time.monotonic() + timeout
    while len(_to(mailbox, address)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5 if len(_to(mailbox, address)) else 0)
    return _to(mailbox, address)


def test_each_reminder_is_sent_once_on_its_day_in_the_holders_language(
    db, tenant_factory, user_factory, food_handler, mailbox, worker
):
    tenant = tenant_factory(display_name="Bistro", enabled_locales=["en", "fr"])
    holder = user_factory(tenant, "remi@bistro.example", full_name="Rémi Roux", locale="fr")
    course = food_handler(tenant)
    _record_id, expires = _award(db, tenant, course["cert"], holder, expires_in_days=6)
    with as_tenant(tenant):
        assert sweep_tenant(None)["reminders"] == 1  # the 7-day reminder (the most recent one reached)
        db.session.commit()
        assert sweep_tenant(None)["reminders"] == 0  # the same night again: nothing more
        db.session.commit()
    sent = _delivered(mailbox, "remi@bistro.example", 1)
    assert len(sent) == 1
    assert "Food Handler" in sent[0]["Subject"]
    with as_tenant(tenant):
        one_day = (expires - timedelta(hours=20)).isoformat()
        assert sweep_tenant(one_day)["reminders"] == 1  # the 1-day reminder
        assert sweep_tenant(one_day)["reminders"] == 0
        db.session.commit()
        keys = sorted(db.session.scalars(select(CertificationNotice.key)))
    assert [k.rsplit(":", 1)[1] for k in keys] == ["1", "7"]
    assert len(_delivered(mailbox, "remi@bistro.example", 2)) == 2


def test_a_retried_reminder_job_does_not_send_again(
    db, tenant_factory, user_factory, food_handler, mailbox, worker
):
    from app.certifications.jobs import send_reminder

    tenant = tenant_factory()
    holder = user_factory(tenant, "ria@bistro.example", full_name="Ria Retry")
    course = food_handler(tenant)
    record_id, _expires = _award(db, tenant, course["cert"], holder, expires_in_days=25)
    with as_tenant(tenant):
        sweep_tenant(None)
        db.session.commit()
        notice_id = db.session.scalar(select(CertificationNotice.id))
    mailbox.wait_for("ria@bistro.example")  # delivered (inline, or by the worker)
    with as_tenant(tenant):
        assert send_reminder(notice_id, record_id, 30) is False  # the worker's retry of a delivered job
        db.session.commit()
    assert len(_delivered(mailbox, "ria@bistro.example", 1)) == 1


def test_managers_get_a_weekly_digest_and_see_their_peoples_certifications(
    db, tenant_factory, user_factory, client_for, food_handler, mailbox, worker
):
    tenant = tenant_factory(display_name="Bistro")
    manager = user_factory(tenant, "max@bistro.example", roles=("manager",), full_name="Max Manager")
    soon = user_factory(tenant, "sam@bistro.example", full_name="Sam Soon", manager_id=manager.id)
    gone = user_factory(tenant, "gus@bistro.example", full_name="Gus Gone", manager_id=manager.id)
    course = food_handler(tenant)
    _award(db, tenant, course["cert"], soon, expires_in_days=20)
    _award(db, tenant, course["cert"], gone, expires_in_days=-3)
    with as_tenant(tenant):
        sweep_tenant(None)
        db.session.commit()
        assert digest_tenant(None) == 1
        assert digest_tenant(None) == 0  # the same week: once
        db.session.commit()
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(CertificationNotice)
                .where(CertificationNotice.key.like("digest:%"))
            )
            == 1
        )
    digest = _delivered(mailbox, "max@bistro.example", 1)
    assert len(digest) == 1
    body = digest[0].get_content()
    assert "Sam Soon: Food Handler expires on" in body and "Gus Gone: Food Handler expired on" in body

    client = client_for(tenant, manager)
    team = re.sub(r"\s+", " ", client.get("/team/").get_data(as_text=True))
    assert "<strong>Expiring</strong>: <bdi>Food Handler</bdi> <small>(expires" in team
    assert "<strong>Expired</strong>: <bdi>Food Handler</bdi> <small>(expires" in team
    person = re.sub(r"\s+", " ", client.get(f"/team/people/{soon.id}").get_data(as_text=True))
    assert "Certifications</h2>" in person and "Food Handler" in person and "Expiring" in person


def test_an_operator_sends_this_weeks_digest_from_the_command_line_once(
    app, db, tenant_factory, user_factory, food_handler, mailbox, worker
):
    tenant = tenant_factory(display_name="Bistro")
    manager = user_factory(tenant, "mona@bistro.example", roles=("manager",), full_name="Mona Manager")
    soon = user_factory(tenant, "sam@bistro.example", full_name="Sam Soon", manager_id=manager.id)
    course = food_handler(tenant)
    _award(db, tenant, course["cert"], soon, expires_in_days=20)
    with as_tenant(tenant):
        sweep_tenant(None)
        db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["certifications", "digest", "--tenant", tenant.slug])
    assert first.exit_code == 0 and f"{tenant.slug}: 1 digests" in first.output, first.output
    again = runner.invoke(args=["certifications", "digest", "--tenant", tenant.slug])
    assert again.exit_code == 0 and f"{tenant.slug}: 0 digests" in again.output, again.output
    digest = _delivered(mailbox, "mona@bistro.example", 1)
    assert len(digest) == 1 and "Sam Soon: Food Handler expires on" in digest[0].get_content()
