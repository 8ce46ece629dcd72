"""A person's certification over time: awarded from the work, moved by the clock, renewed, revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.accounts.models import User
from app.certifications.jobs import sweep_tenant
from app.certifications.models import CertificationRecord, Transition
from app.certifications.services import lifecycle
from app.certifications.services.people import reevaluate_for_item
from app.learning.models import Course, Enrollment
from app.learning.services import progress
from app.learning.services.enrollments import current_enrollment
from app.tenancy import as_tenant
from tests.certifications.conftest import emitted, learn_and_sign, record_of

PAYLOAD_KEYS = {
    "record_id",
    "user_id",
    "certification_id",
    "certification_title",
    "cycle",
    "awarded_at",
    "expires_at",
    "reason",
}


def _bistro(tenant_factory, user_factory):
    tenant = tenant_factory()
    manager = user_factory(tenant, "mo@bistro.example", roles=("manager",), full_name="Mo Manager")
    learner = user_factory(tenant, "lee@bistro.example", full_name="Lee Learner", manager_id=manager.id)
    return tenant, learner, manager


def _award_in_the_past(db, tenant, cert_id, user, *, expires_in_days):
    """An award made long ago (imported), expiring in *expires_in_days* days from now."""
    with as_tenant(tenant):
        record, _new = lifecycle.ensure_record(
            db.session.get(lifecycle.Certification, cert_id), db.session.get(User, user.id)
        )
        expires = datetime.now(UTC) + timedelta(days=expires_in_days)
        lifecycle.award_manually(
            record,
            by=None,
            note="Earned before Atrium",
            awarded_at=expires - timedelta(days=730),
            expires_at=expires,
        )
        db.session.commit()
        return record.id, expires


def test_finishing_the_course_awards_food_handler_once_even_when_the_events_replay(
    db, tenant_factory, user_factory, food_handler
):
    tenant, learner, manager = _bistro(tenant_factory, user_factory)
    course = food_handler(tenant)
    learn_and_sign(db, tenant, learner, manager, course)

    record = record_of(db, tenant, course["cert"], learner.id)
    assert record.state == "certified" and record.cycle == 1
    with as_tenant(tenant):
        assert lifecycle.add_months(record.awarded_at, 24) == record.expires_at
    awarded = emitted(db, tenant, "certification.awarded")
    assert len(awarded) == 1
    assert set(awarded[0]) == PAYLOAD_KEYS
    assert awarded[0]["certification_title"] == "Food Handler" and awarded[0]["reason"] is None
    assert awarded[0]["awarded_at"].endswith("Z") and awarded[0]["cycle"] == 1

    # The same completions announced again (a replayed event) award nothing more.
    with as_tenant(tenant):
        for kind, item in (
            ("course", course["course"]),
            ("quiz", course["quiz"]),
            ("checkpoint", course["checkpoint"]),
        ):
            reevaluate_for_item(kind, item, learner.id)
        db.session.commit()
        transitions = db.session.scalar(
            select(func.count()).select_from(Transition).where(Transition.to_state == "certified")
        )
    assert transitions == 1
    assert len(emitted(db, tenant, "certification.awarded")) == 1


def test_a_quiz_below_the_certifications_minimum_score_does_not_count(
    db, tenant_factory, user_factory, food_handler
):
    tenant, learner, manager = _bistro(tenant_factory, user_factory)
    course = food_handler(tenant)
    with as_tenant(tenant):
        cert = db.session.get(lifecycle.Certification, course["cert"])
        next(r for r in cert.requirements if r.kind == "quiz").min_score = 101  # nobody scores this
        db.session.commit()
    learn_and_sign(db, tenant, learner, manager, course)
    assert record_of(db, tenant, course["cert"], learner.id).state == "in_progress"
    assert emitted(db, tenant, "certification.awarded") == []


def test_the_clock_moves_an_award_into_its_window_then_expired_and_the_sweep_twice_moves_it_once(
    db, tenant_factory, user_factory, food_handler
):
    tenant, learner, _manager = _bistro(tenant_factory, user_factory)
    course = food_handler(tenant, grace_days=14)
    record_id, expires = _award_in_the_past(db, tenant, course["cert"], learner, expires_in_days=90)

    with as_tenant(tenant):
        assert sweep_tenant(None)["expiring"] == 0  # 90 days left: not in the 60-day window yet
        in_window = (expires - timedelta(days=59)).isoformat()
        assert sweep_tenant(in_window)["expiring"] == 1
        assert sweep_tenant(in_window)["expiring"] == 0
        db.session.commit()
        record = db.session.get(CertificationRecord, record_id)
        assert record.state == "expiring"
        # Re-enrolled in the renewal course, due the day it expires.
        enrollment = current_enrollment(learner.id, course["course"])
        assert enrollment is not None and enrollment.due_on == expires.date()

        in_grace = (expires + timedelta(days=13)).isoformat()
        assert sweep_tenant(in_grace)["expired"] == 0  # expired, but inside the 14-day grace period
        after_grace = (expires + timedelta(days=14)).isoformat()
        assert sweep_tenant(after_grace)["expired"] == 1
        assert sweep_tenant(after_grace)["expired"] == 0
        db.session.commit()
        assert db.session.get(CertificationRecord, record_id).state == "expired"
        states = [
            t.to_state
            for t in db.session.scalars(
                select(Transition).where(Transition.record_id == record_id).order_by(Transition.id)
            )
        ]
    # Started when Food Handler was published for everyone, then awarded, then moved by the clock.
    assert states == ["in_progress", "certified", "expiring", "expired"]
    assert len(emitted(db, tenant, "certification.expiring")) == 1
    assert len(emitted(db, tenant, "certification.expired")) == 1


def test_renewing_early_extends_validity_from_the_old_expiry_not_from_today(
    db, tenant_factory, user_factory, food_handler
):
    tenant, learner, _manager = _bistro(tenant_factory, user_factory)
    course = food_handler(tenant)
    record_id, expires = _award_in_the_past(db, tenant, course["cert"], learner, expires_in_days=45)
    with as_tenant(tenant):
        sweep_tenant(None)  # 45 days left: inside the window, re-enrolled in the course
        db.session.commit()
        enrollment = current_enrollment(learner.id, course["course"])
        for lesson in db.session.get(Course, course["course"]).lessons:
            progress.complete_lesson(db.session.get(Enrollment, enrollment.id), lesson)
        db.session.commit()
        record = db.session.get(CertificationRecord, record_id)
        assert record.state == "certified" and record.cycle == 2
        assert record.expires_at == lifecycle.add_months(expires, 24)
    renewed = emitted(db, tenant, "certification.renewed")
    assert len(renewed) == 1 and renewed[0]["cycle"] == 2
    assert renewed[0]["expires_at"] == lifecycle.utc_iso(lifecycle.add_months(expires, 24))


def test_work_done_before_the_window_opens_does_not_renew(db, tenant_factory, user_factory, food_handler):
    tenant, learner, manager = _bistro(tenant_factory, user_factory)
    course = food_handler(tenant)
    learn_and_sign(db, tenant, learner, manager, course)  # certified today, expires in 24 months
    record = record_of(db, tenant, course["cert"], learner.id)
    with as_tenant(tenant):
        # Just inside the window, 23 months on: the course done today is before the window.
        assert sweep_tenant((record.expires_at - timedelta(days=30)).isoformat())["expiring"] == 1
        db.session.commit()
        assert lifecycle.evaluate(db.session.get(CertificationRecord, record.id)) is None
    assert emitted(db, tenant, "certification.renewed") == []


def test_a_revoked_award_stays_revoked_until_reinstated(db, tenant_factory, user_factory, food_handler):
    tenant, learner, manager = _bistro(tenant_factory, user_factory)
    course = food_handler(tenant)
    learn_and_sign(db, tenant, learner, manager, course)
    record = record_of(db, tenant, course["cert"], learner.id)
    with as_tenant(tenant):
        lifecycle.revoke(
            db.session.get(CertificationRecord, record.id), "Certificate obtained by fraud", by=None
        )
        db.session.commit()
        reevaluate_for_item("course", course["course"], learner.id)  # the work is still done
        sweep_tenant((record.expires_at + timedelta(days=1)).isoformat())  # and the clock runs on
        db.session.commit()
        assert db.session.get(CertificationRecord, record.id).state == "revoked"
    revoked = emitted(db, tenant, "certification.revoked")
    assert len(revoked) == 1 and revoked[0]["reason"] == "Certificate obtained by fraud"

    with as_tenant(tenant):
        lifecycle.reinstate(db.session.get(CertificationRecord, record.id), by=None, note="Checked: genuine")
        db.session.commit()
        reinstated = db.session.get(CertificationRecord, record.id)
        assert reinstated.state == "certified" and reinstated.revoked_reason is None and reinstated.cycle == 1
    assert len(emitted(db, tenant, "certification.reinstated")) == 1


def test_an_expired_certification_is_awarded_again_when_the_work_is_done_again(
    db, tenant_factory, user_factory, food_handler
):
    tenant, learner, manager = _bistro(tenant_factory, user_factory)
    course = food_handler(tenant)
    record_id, expires = _award_in_the_past(db, tenant, course["cert"], learner, expires_in_days=-1)
    with as_tenant(tenant):
        assert db.session.get(CertificationRecord, record_id).state == "expired"
        enrollment = current_enrollment(learner.id, course["course"])
        if enrollment is not None and enrollment.completed_at is not None:
            from app.learning.services.enrollments import withdraw

            withdraw(enrollment)
        db.session.commit()
    learn_and_sign(db, tenant, learner, manager, course)
    with as_tenant(tenant):
        record = db.session.get(CertificationRecord, record_id)
        assert record.state == "certified" and record.cycle == 2
        assert record.expires_at > expires + timedelta(days=700)  # from today: it had lapsed


def test_a_certification_for_a_region_starts_for_everyone_at_its_locations_only(
    db, tenant_factory, user_factory, gated_course
):
    from app.accounts.services import create_org_unit
    from app.certifications.services import definitions

    tenant = tenant_factory()
    with as_tenant(tenant):
        midwest = create_org_unit("Midwest", "region")
        db.session.flush()
        downtown = create_org_unit("Downtown", "location", parent_id=midwest.id)
        east = create_org_unit("East", "region")
        db.session.commit()
    cook = user_factory(tenant, "cook@bistro.example", org_unit_id=downtown.id)
    outsider = user_factory(tenant, "east@bistro.example", org_unit_id=east.id)
    course = gated_course(tenant)
    with as_tenant(tenant):
        cert = definitions.create_certification(
            {"title": "Food Handler", "validity_months": 24},
            visibility="restricted",
            audiences={"org_unit": [str(midwest.id)]},
        )
        definitions.set_requirements(cert, "initial", [{"kind": "course", "item_id": course["course"]}])
        definitions.publish(cert)
        db.session.commit()
        assert current_enrollment(cook.id, course["course"]) is not None  # enrolled in what it needs
        assert current_enrollment(outsider.id, course["course"]) is None
    assert record_of(db, tenant, cert.id, cook.id).state == "in_progress"
    assert record_of(db, tenant, cert.id, outsider.id) is None
    # Someone who joins a Midwest location later is asked too.
    newcomer = user_factory(tenant, "new@bistro.example", org_unit_id=downtown.id)
    assert record_of(db, tenant, cert.id, newcomer.id).state == "in_progress"


def test_forever_never_expires_and_a_fixed_date_expires_for_everyone_the_day_after(
    db, tenant_factory, user_factory, gated_course
):
    from app.certifications.services import definitions

    tenant = tenant_factory()
    holder = user_factory(tenant)
    course = gated_course(tenant)
    with as_tenant(tenant):
        forever = definitions.create_certification({"title": "Lifetime", "validity": "forever"})
        season = definitions.create_certification(
            {"title": "Season 2099", "validity": "fixed_date", "valid_until": "2099-03-31"}
        )
        for cert in (forever, season):
            definitions.set_requirements(cert, "initial", [{"kind": "course", "item_id": course["course"]}])
            definitions.publish(cert)
            record, _new = lifecycle.ensure_record(cert, db.session.get(User, holder.id))
            lifecycle.award_manually(record, by=None, note="")
        db.session.commit()
        assert lifecycle.record_of(forever.id, holder.id).expires_at is None
        assert lifecycle.record_of(season.id, holder.id).expires_at == datetime(2099, 4, 1, tzinfo=UTC)
        assert sweep_tenant(datetime(2100, 1, 1, tzinfo=UTC).isoformat())["expired"] == 1
        db.session.commit()
        assert lifecycle.record_of(forever.id, holder.id).state == "certified"
        assert lifecycle.record_of(season.id, holder.id).state == "expired"


def test_a_fixed_date_lasts_the_whole_day_where_the_portal_is(db, tenant_factory, user_factory, gated_course):
    from app.certifications.services import definitions

    tenant = tenant_factory(time_zone="America/Chicago")
    holder = user_factory(tenant)
    course = gated_course(tenant)
    with as_tenant(tenant):
        season = definitions.create_certification(
            {"title": "Season 2099", "validity": "fixed_date", "valid_until": "2099-03-31"}
        )
        definitions.set_requirements(season, "initial", [{"kind": "course", "item_id": course["course"]}])
        definitions.publish(season)
        record, _new = lifecycle.ensure_record(season, db.session.get(User, holder.id))
        lifecycle.award_manually(record, by=None, note="")
        db.session.commit()
        # Midnight at the end of 31 March in Chicago (daylight time, UTC-5) is 05:00 UTC on 1 April.
        assert lifecycle.record_of(season.id, holder.id).expires_at == datetime(2099, 4, 1, 5, tzinfo=UTC)
