"""Practical checkpoints: a manager or instructor signs off a learner; the sign-off completes the lesson."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, text

from app.accounts.services import create_org_unit
from app.assessments import checkpoints
from app.assessments import services as assessments
from app.assessments.models import CheckpointSignoff
from app.audit.models import AuditEvent
from app.errors import ValidationError
from app.events import OutboxEvent
from app.learning.models import Enrollment, Lesson, LessonProgress
from app.learning.services import courses as authoring
from app.learning.services.enrollments import enrol
from app.tenancy import as_tenant
from tests.assessments.conftest import right_answers
from tests.conftest import csrf_token

ITEMS = ["Shuts the fryer down", "Filters the oil safely"]


@pytest.fixture
def kitchen(db, tenant_factory, user_factory, gated_course) -> dict[str, Any]:
    """Downtown: manager Mo, their report Lee enrolled in the gated course; Uptown: manager Una."""
    tenant = tenant_factory(display_name="Bistro")
    with as_tenant(tenant):
        downtown = create_org_unit("Downtown", "location")
        uptown = create_org_unit("Uptown", "location")
        db.session.commit()
    manager = user_factory(
        tenant, "mo@bistro.example", roles=("manager",), full_name="Mo Manager", org_unit_id=downtown.id
    )
    learner = user_factory(
        tenant, "lee@bistro.example", full_name="Lee Learner", org_unit_id=downtown.id, manager_id=manager.id
    )
    other_manager = user_factory(
        tenant, "una@bistro.example", roles=("manager",), full_name="Una Uptown", org_unit_id=uptown.id
    )
    course = gated_course(tenant)
    with as_tenant(tenant):
        from app.learning.models import Course

        enrollment, _new = enrol(db.session.merge(learner), db.session.get(Course, course["course"]))
        db.session.commit()
    return {
        "tenant": tenant,
        "manager": manager,
        "learner": learner,
        "other_manager": other_manager,
        "enrollment_id": enrollment.id,
        **{key: course[key] for key in ("quiz", "course", "intro", "test", "checkpoint", "closing")},
    }


def _get(db, model, object_id):
    return db.session.get(model, object_id)


def _pass_quiz(db, k: dict[str, Any]) -> None:
    from app.accounts.models import User
    from app.assessments.models import Quiz

    with as_tenant(k["tenant"]):
        attempt = assessments.start_attempt(
            _get(db, User, k["learner"].id),
            _get(db, Quiz, k["quiz"]),
            enrollment_id=k["enrollment_id"],
            lesson_id=k["test"],
        )
        assessments.submit_attempt(attempt, right_answers(attempt))
        db.session.commit()


def _sign(db, k: dict[str, Any], signer_id: int, **overrides: Any) -> CheckpointSignoff:
    from app.accounts.models import User

    arguments = {"observed_items": ITEMS, "observed_on": date.today(), "note": "", **overrides}
    return checkpoints.sign_off_checkpoint(
        _get(db, User, signer_id),
        _get(db, Enrollment, k["enrollment_id"]),
        _get(db, Lesson, k["checkpoint"]),
        **arguments,
    )


def _nothing_written(db, k: dict[str, Any]) -> None:
    with as_tenant(k["tenant"]):
        db.session.expire_all()
        assert db.session.scalar(select(func.count()).select_from(CheckpointSignoff)) == 0
        assert not db.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "checkpoint.signed")
        ).all()
        assert not db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "checkpoint.signed")
        ).all()
        done = db.session.scalars(
            select(LessonProgress).where(
                LessonProgress.lesson_id == k["checkpoint"], LessonProgress.completed_at.is_not(None)
            )
        ).all()
        assert done == []


def _form(client, path: str, items=ITEMS, observed_on: str | None = None, note: str = "") -> dict[str, Any]:
    return {
        "csrf_token": csrf_token(client, path),
        "items": list(items),
        "observed_on": observed_on or date.today().isoformat(),
        "note": note,
    }


def test_manager_signs_off_their_report_and_the_closing_lesson_unlocks(db, kitchen, client_for):
    k = kitchen
    learner_client = client_for(k["tenant"], k["learner"])
    closing = f"/learn/{k['enrollment_id']}/lessons/{k['closing']}"
    assert learner_client.get(closing).status_code == 403
    _pass_quiz(db, k)
    assert learner_client.get(closing).status_code == 403  # the checkpoint still gates it
    page = learner_client.get(f"/learn/{k['enrollment_id']}/lessons/{k['checkpoint']}").get_data(as_text=True)
    assert "Waiting for sign-off" in page

    manager_client = client_for(k["tenant"], k["manager"])
    team = manager_client.get("/team/").get_data(as_text=True)
    assert "Sign-offs waiting: 1" in team
    listing = manager_client.get("/team/checkpoints/").get_data(as_text=True)
    path = f"/team/checkpoints/{k['enrollment_id']}/{k['checkpoint']}"
    assert path in listing and "Lee Learner" in listing and "Fryer safety" in listing
    form_page = manager_client.get(path).get_data(as_text=True)
    assert "Lee Learner" in form_page and "Food Safety Basics" in form_page and "At the fryer." in form_page
    assert "<legend>What you saw the learner demonstrate</legend>" in form_page
    assert f'value="{date.today().isoformat()}"' in form_page

    response = manager_client.post(path, data=_form(manager_client, path, note="Calm and careful."))
    assert response.status_code == 302 and response.headers["Location"].endswith("/team/checkpoints/")
    listing = manager_client.get("/team/checkpoints/").get_data(as_text=True)
    assert "signed off for Lee Learner" in listing
    assert "Nothing is waiting for your sign-off." in listing
    assert "Sign-offs waiting: 0" in manager_client.get("/team/").get_data(as_text=True)

    assert learner_client.get(closing).status_code == 200
    page = learner_client.get(f"/learn/{k['enrollment_id']}/lessons/{k['checkpoint']}").get_data(as_text=True)
    assert "Signed off by <bdi>Mo Manager</bdi>, who saw you demonstrate it on" in page
    assert "Calm and careful." in page
    with as_tenant(k["tenant"]):
        db.session.expire_all()
        enrollment = db.session.get(Enrollment, k["enrollment_id"])
        done = {p.lesson_id for p in enrollment.progress if p.completed_at}
        assert done == {k["test"], k["checkpoint"]}
        assert enrollment.progress_percent == 50  # two of four lessons; the pages are read to the end
        signoff = db.session.scalars(select(CheckpointSignoff)).one()
        assert (signoff.user_id, signoff.signed_by_id, signoff.items) == (
            k["learner"].id,
            k["manager"].id,
            ITEMS,
        )
        record = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "checkpoint.signed")).one()
        assert record.after["learner"] == "lee@bistro.example"
        assert record.after["signer"] == "mo@bistro.example"
        assert record.after["items"] == ITEMS and record.after["lesson"] == "Fryer safety"
        assert record.after["observed_on"] == date.today().isoformat()
        event = db.session.scalars(select(OutboxEvent).where(OutboxEvent.type == "checkpoint.signed")).one()
        assert event.payload == {
            "enrollment_id": k["enrollment_id"],
            "lesson_id": k["checkpoint"],
            "course_id": k["course"],
            "user_id": k["learner"].id,
            "signed_by_id": k["manager"].id,
            "observed_on": date.today().isoformat(),
        }


def test_signing_off_the_last_lesson_completes_the_course(db, kitchen):
    k = kitchen
    _pass_quiz(db, k)
    with as_tenant(k["tenant"]):
        closing = db.session.get(Lesson, k["closing"])
        intro = db.session.get(Lesson, k["intro"])
        enrollment = db.session.get(Enrollment, k["enrollment_id"])
        from app.learning.services.progress import complete_lesson

        complete_lesson(enrollment, intro)
        _sign(db, k, k["manager"].id)
        complete_lesson(enrollment, closing)
        db.session.commit()
        assert enrollment.completed_at is not None and enrollment.progress_percent == 100


@pytest.mark.parametrize(
    "case,overrides,field,message",
    [
        ("missing item", {"observed_items": ITEMS[:1]}, "items", "Not ticked: Filters the oil safely."),
        (
            "future",
            {"observed_on": date.today() + timedelta(days=1)},
            "observed_on",
            "cannot be in the future",
        ),
        (
            "before enrolment",
            {"observed_on": date.today() - timedelta(days=3)},
            "observed_on",
            "cannot be before Lee Learner enrolled",
        ),
        ("no date", {"observed_on": None}, "observed_on", "Enter the date"),
    ],
)
def test_incomplete_or_misdated_sign_offs_are_refused_and_nothing_is_written(
    db, kitchen, case, overrides, field, message
):
    _pass_quiz(db, kitchen)
    with as_tenant(kitchen["tenant"]):
        with pytest.raises(ValidationError) as refused:
            _sign(db, kitchen, kitchen["manager"].id, **overrides)
        db.session.rollback()
    assert refused.value.field == field
    assert message in refused.value.message
    _nothing_written(db, kitchen)


def test_a_learner_cannot_sign_off_themselves(db, kitchen, user_factory, client_for):
    _pass_quiz(db, kitchen)
    with as_tenant(kitchen["tenant"]), pytest.raises(ValidationError, match="Someone else must sign off"):
        _sign(db, kitchen, kitchen["learner"].id)
    db.session.rollback()
    path = f"/team/checkpoints/{kitchen['enrollment_id']}/{kitchen['checkpoint']}"
    assert client_for(kitchen["tenant"], kitchen["learner"]).get(path).status_code == 404
    _nothing_written(db, kitchen)


def test_not_even_an_instructor_signs_off_their_own_checkpoint(db, kitchen, user_factory, client_for):
    from app.accounts.models import User

    instructor = user_factory(kitchen["tenant"], roles=("instructor",), full_name="Ines Instructor")
    with as_tenant(kitchen["tenant"]):
        course = db.session.get(Lesson, kitchen["checkpoint"]).course
        own, _new = enrol(db.session.get(User, instructor.id), course)
        db.session.commit()
        own_id = own.id
    client = client_for(kitchen["tenant"], instructor)
    assert client.get(f"/team/checkpoints/{own_id}/{kitchen['checkpoint']}").status_code == 404
    with as_tenant(kitchen["tenant"]), pytest.raises(ValidationError, match="Someone else must sign off"):
        checkpoints.sign_off_checkpoint(
            db.session.get(User, instructor.id),
            db.session.get(Enrollment, own_id),
            db.session.get(Lesson, kitchen["checkpoint"]),
            observed_items=ITEMS,
            observed_on=date.today(),
        )
    db.session.rollback()
    _nothing_written(db, kitchen)


def test_a_manager_outside_the_learners_reach_gets_404_and_cannot_sign(db, kitchen, user_factory, client_for):
    k = kitchen
    _pass_quiz(db, k)
    path = f"/team/checkpoints/{k['enrollment_id']}/{k['checkpoint']}"
    outsider = client_for(k["tenant"], k["other_manager"])
    assert outsider.get(path).status_code == 404
    token = csrf_token(outsider, "/team/checkpoints/")
    response = outsider.post(
        path, data={"csrf_token": token, "items": ITEMS, "observed_on": date.today().isoformat()}
    )
    assert response.status_code == 404
    assert "Fryer safety" not in outsider.get("/team/checkpoints/").get_data(as_text=True)
    another_learner = user_factory(k["tenant"], full_name="Sam Someone")
    assert client_for(k["tenant"], another_learner).get(path).status_code == 404
    with as_tenant(k["tenant"]), pytest.raises(ValidationError, match="only for people you manage or teach"):
        _sign(db, k, k["other_manager"].id)
    db.session.rollback()
    _nothing_written(db, k)


def test_a_checkpoint_behind_an_unpassed_quiz_cannot_be_signed_yet(db, kitchen, client_for):
    k = kitchen
    with as_tenant(k["tenant"]), pytest.raises(ValidationError) as refused:
        _sign(db, k, k["manager"].id)
    db.session.rollback()
    assert refused.value.message == "Lee Learner must pass “Food Safety quiz” first."
    manager = client_for(k["tenant"], k["manager"])
    assert "Nothing is waiting for your sign-off." in manager.get("/team/checkpoints/").get_data(as_text=True)
    path = f"/team/checkpoints/{k['enrollment_id']}/{k['checkpoint']}"
    page = manager.get(path)
    assert page.status_code == 200
    assert "Lee Learner must pass “Food Safety quiz” first." in page.get_data(as_text=True)
    response = manager.post(path, data=_form(manager, path))
    assert response.status_code == 422
    _nothing_written(db, k)


def test_a_refused_form_keeps_what_was_ticked_and_typed(db, kitchen, client_for):
    k = kitchen
    _pass_quiz(db, k)
    manager = client_for(k["tenant"], k["manager"])
    path = f"/team/checkpoints/{k['enrollment_id']}/{k['checkpoint']}"
    response = manager.post(path, data=_form(manager, path, items=ITEMS[:1], note="Nearly there"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="error-summary"' in page and 'href="#items"' in page
    assert "Not ticked: Filters the oil safely." in page
    assert re.search(r'<input checked[^>]*value="Shuts the fryer down"', page)
    assert not re.search(r'<input checked[^>]*value="Filters the oil safely"', page)
    assert "Nearly there</textarea>" in page
    future = (date.today() + timedelta(days=2)).isoformat()
    page = manager.post(path, data=_form(manager, path, observed_on=future)).get_data(as_text=True)
    assert f'value="{future}"' in page and "cannot be in the future" in page
    _nothing_written(db, k)


def test_an_instructor_signs_off_anyone(db, kitchen, user_factory, client_for):
    k = kitchen
    _pass_quiz(db, k)
    instructor = user_factory(
        k["tenant"], "ines@bistro.example", roles=("instructor",), full_name="Ines Instructor"
    )
    client = client_for(k["tenant"], instructor)
    path = f"/team/checkpoints/{k['enrollment_id']}/{k['checkpoint']}"
    assert path in client.get("/team/checkpoints/").get_data(as_text=True)
    response = client.post(path, data=_form(client, path))
    assert response.status_code == 302
    with as_tenant(k["tenant"]):
        assert db.session.scalars(select(CheckpointSignoff)).one().signed_by_id == instructor.id


def test_a_second_sign_off_returns_the_first(db, kitchen, user_factory):
    k = kitchen
    _pass_quiz(db, k)
    instructor = user_factory(k["tenant"], roles=("instructor",))
    with as_tenant(k["tenant"]):
        first = _sign(db, k, k["manager"].id, note="First")
        db.session.commit()
        again = _sign(db, k, instructor.id, note="Second", observed_items=[])
        db.session.commit()
        assert again.id == first.id and again.note == "First"
        assert db.session.scalar(select(func.count()).select_from(CheckpointSignoff)) == 1
        events = db.session.scalars(select(OutboxEvent).where(OutboxEvent.type == "checkpoint.signed")).all()
        assert len(events) == 1


def test_another_tenants_checkpoint_is_not_found(db, kitchen, tenant_factory, user_factory, client_for):
    home = tenant_factory()
    admin = user_factory(home, roles=("tenant_admin",))
    path = f"/team/checkpoints/{kitchen['enrollment_id']}/{kitchen['checkpoint']}"
    assert client_for(home, admin).get(path).status_code == 404


def test_checkpoints_awaiting_takes_the_same_number_of_queries_for_3_or_30_learners(
    db, tenant_factory, user_factory, count_queries
):
    def team_with(n: int) -> tuple[Any, int]:
        tenant = tenant_factory()
        with as_tenant(tenant):
            unit = create_org_unit("Kitchen", "location")
            db.session.commit()
        manager = user_factory(tenant, roles=("manager",), org_unit_id=unit.id)
        with as_tenant(tenant):
            course = authoring.create_course({"title": "Fryer", "self_enroll": True, "listed": True})
            authoring.add_lesson(course, "page", "Read first", True, {"body": "Hot oil."}, {})
            authoring.add_lesson(course, "checkpoint", "Fryer safety", True, {"items": "Shuts it down"}, {})
            authoring.set_course_status(course, "published")
            db.session.commit()
        for number in range(n):
            person = user_factory(tenant, full_name=f"Cook {number:02d}", org_unit_id=unit.id)
            with as_tenant(tenant):
                enrol(db.session.merge(person), db.session.merge(course))
                db.session.commit()
        return tenant, manager.id

    counts = []
    for n in (3, 30):
        tenant, manager_id = team_with(n)
        with as_tenant(tenant):
            from app.accounts.models import User

            db.session.expire_all()
            manager = db.session.get(User, manager_id)
            manager.can("team.view")  # roles loaded before counting
            with count_queries() as counter:
                awaiting = checkpoints.checkpoints_awaiting(manager)
                names = [
                    (a.learner.full_name, a.course.title, a.lesson.title, a.waiting_since) for a in awaiting
                ]
            assert len(names) == n
            counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_my_team_counts_the_sign_offs_waiting_in_the_managers_reach_and_no_one_elses(
    db, kitchen, user_factory, client_for
):
    from app.accounts.models import User

    k = kitchen
    _pass_quiz(db, k)
    boss = user_factory(k["tenant"], roles=("manager",), full_name="Bo Boss")  # no unit: a chain reach
    with as_tenant(k["tenant"]):
        db.session.get(User, k["manager"].id).manager_id = boss.id
        db.session.commit()

    # My team reads its manager's reach once and counts the checkpoints waiting among those people.
    def team_page(who: Any, path: str = "/team/") -> str:
        return client_for(k["tenant"], who).get(path, follow_redirects=True).get_data(as_text=True)

    assert "Sign-offs waiting: 1" in team_page(k["manager"])
    assert "Sign-offs waiting: 1" in team_page(boss)
    assert "Sign-offs waiting: 0" in team_page(k["other_manager"])
    # The count is the one the sign-off list shows, whatever the dashboard's filters.
    assert "Sign-offs waiting: 1" in team_page(boss, "/team/?status=overdue&page=3")
    with as_tenant(k["tenant"]):
        manager = db.session.get(User, k["manager"].id)
        assert [a.learner.full_name for a in checkpoints.checkpoints_awaiting(manager)] == ["Lee Learner"]
        assert [
            a.learner.full_name for a in checkpoints.checkpoints_awaiting(manager, reach={k["learner"].id})
        ] == ["Lee Learner"]
        assert checkpoints.checkpoints_awaiting(manager, reach=set()) == []


@pytest.mark.postgres
def test_sign_offs_are_append_only_for_the_application_role(app, db, kitchen):
    k = kitchen
    _pass_quiz(db, k)
    with as_tenant(k["tenant"]):
        signoff_id = _sign(db, k, k["manager"].id).id
        db.session.commit()
    for statement in (
        "UPDATE checkpoint_signoffs SET note = 'forged' WHERE id = :id",
        "DELETE FROM checkpoint_signoffs WHERE id = :id",
    ):
        with as_tenant(k["tenant"]):
            with pytest.raises(Exception, match="permission denied"):
                db.session.execute(text(statement), {"id": signoff_id})
            db.session.rollback()
    with as_tenant(k["tenant"]):
        assert db.session.get(CheckpointSignoff, signoff_id).note == ""


def test_reopening_a_signed_off_checkpoint_shows_who_signed_and_when(db, kitchen, client_for):
    k = kitchen
    _pass_quiz(db, k)
    manager_client = client_for(k["tenant"], k["manager"])
    path = f"/team/checkpoints/{k['enrollment_id']}/{k['checkpoint']}"
    observed = date.today()
    signed = manager_client.post(path, data=_form(manager_client, path))
    assert signed.status_code == 302
    again = manager_client.get(path)  # Back, or the link opened again
    assert again.status_code == 200
    html = again.get_data(as_text=True).replace("<bdi>", "").replace("</bdi>", "")
    assert f"Signed off by Mo Manager on {observed.strftime('%b')}" in html and str(observed.year) in html
    assert 'name="observed_on"' not in html, "a sign-off is never offered twice"
