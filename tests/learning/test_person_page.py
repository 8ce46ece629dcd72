"""A person's page shows their learning record to admins, auditors and the managers who reach them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.accounts.models import User
from app.accounts.services import create_org_unit
from app.assessments import checkpoints
from app.assessments import services as assessments
from app.assessments.models import Quiz
from app.learning.models import Course, Enrollment, Lesson
from app.learning.services.enrollments import enrol
from app.policies import services as policies
from app.tenancy import as_tenant
from tests.assessments import conftest as assessment_fixtures
from tests.assessments.conftest import right_answers

# The gated course (page, quiz, checkpoint, page) the assessment tests build, as fixtures here too.
gated_course = assessment_fixtures.gated_course
quiz_factory = assessment_fixtures.quiz_factory


def _learn_and_sign(db: Any, tenant: Any, learner: User, signer: User, course: dict[str, Any]) -> None:
    """Enrol *learner* in the gated *course*, pass its quiz, get the checkpoint signed by *signer*."""
    with as_tenant(tenant):
        person = db.session.get(User, learner.id)
        enrollment, _new = enrol(person, db.session.get(Course, course["course"]))
        attempt = assessments.start_attempt(
            person,
            db.session.get(Quiz, course["quiz"]),
            enrollment_id=enrollment.id,
            lesson_id=course["test"],
        )
        assessments.submit_attempt(attempt, right_answers(attempt))
        checkpoints.sign_off_checkpoint(
            db.session.get(User, signer.id),
            db.session.get(Enrollment, enrollment.id),
            db.session.get(Lesson, course["checkpoint"]),
            observed_items=checkpoints.checkpoint_items(db.session.get(Lesson, course["checkpoint"])),
            observed_on=date.today(),
            note="",
        )
        db.session.commit()


def _sign_policy(db: Any, tenant: Any, learner: User, title: str) -> None:
    with as_tenant(tenant):
        policy = policies.create_policy(title)
        version = policies.publish_version(policies.save_draft(policy, "Be kind."))
        person = db.session.get(User, learner.id)
        policies.acknowledge_policy(
            person, version, person.full_name, accepted=True, ip=None, user_agent=None
        )
        db.session.commit()


@pytest.fixture
def bistro(db, tenant_factory, user_factory, gated_course) -> dict[str, Any]:
    """Downtown: manager Mo and their report Lee, who learned and signed; Uptown: manager Una."""
    tenant = tenant_factory(display_name="Bistro")
    with as_tenant(tenant):
        downtown = create_org_unit("Downtown", "location")
        uptown = create_org_unit("Uptown", "location")
        db.session.commit()
    manager = user_factory(
        tenant, "mo@bistro.example", roles=("manager",), full_name="Mo Manager", org_unit_id=downtown.id
    )
    learner = user_factory(
        tenant, "lee@bistro.example", full_name="Lee Learner", job_title="Line cook", org_unit_id=downtown.id
    )
    other = user_factory(
        tenant, "una@bistro.example", roles=("manager",), full_name="Una Uptown", org_unit_id=uptown.id
    )
    admin = user_factory(tenant, "alex@bistro.example", roles=("tenant_admin",), full_name="Alex Admin")
    auditor = user_factory(tenant, "ava@bistro.example", roles=("auditor",), full_name="Ava Auditor")
    _learn_and_sign(db, tenant, learner, manager, gated_course(tenant))
    _sign_policy(db, tenant, learner, "Code of Conduct")
    return {
        "tenant": tenant,
        "manager": manager,
        "learner": learner,
        "other_manager": other,
        "admin": admin,
        "auditor": auditor,
    }


def test_admin_sees_a_persons_enrolments_attempts_signoffs_and_policies(bistro, client_for):
    b = bistro
    client = client_for(b["tenant"], b["admin"])
    response = client.get(f"/team/people/{b['learner'].id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "lee@bistro.example" in page and "Line cook" in page and "Downtown" in page
    courses = page[page.index('id="courses-heading"') : page.index('id="attempts-heading"')]
    assert "Food Safety Basics" in courses and "% done" in courses
    attempts = page[page.index('id="attempts-heading"') : page.index('id="signoffs-heading"')]
    assert "Food Safety quiz" in attempts and "100%" in attempts and "Passed" in attempts
    signoffs = page[page.index('id="signoffs-heading"') : page.index('id="policies-heading"')]
    assert "Fryer safety" in signoffs and "Mo Manager" in signoffs
    accepted = page[page.index('id="policies-heading"') : page.index('id="history-heading"')]
    assert "Code of Conduct" in accepted
    # The admin keeps the account's actions, and the history reads as sentences.
    assert f'href="/admin/users/{b["learner"].id}"' in page and "Deactivate" in page
    history = page[page.index('id="history-heading"') :]
    assert 'added <bdi dir="auto">Lee Learner</bdi>.' in history
    assert "<code>user.created</code>" in history


def test_a_manager_opens_their_report_but_not_someone_outside_their_reach(bistro, client_for):
    b = bistro
    learner_page = f"/team/people/{b['learner'].id}"
    manager_view = client_for(b["tenant"], b["manager"]).get(learner_page)
    assert manager_view.status_code == 200
    page = manager_view.get_data(as_text=True)
    assert "Food Safety Basics" in page and "Code of Conduct" in page
    assert 'id="history-heading"' not in page and "Deactivate" not in page  # admins' business
    assert client_for(b["tenant"], b["other_manager"]).get(learner_page).status_code == 404
    assert client_for(b["tenant"], b["learner"]).get(f"/team/people/{b['manager'].id}").status_code == 404
    auditor_view = client_for(b["tenant"], b["auditor"]).get(learner_page)
    assert auditor_view.status_code == 200 and 'id="history-heading"' in auditor_view.get_data(as_text=True)


def test_names_on_my_team_link_to_each_persons_page(bistro, client_for):
    b = bistro
    page = client_for(b["tenant"], b["manager"]).get("/team/").get_data(as_text=True)
    assert f'<a href="/team/people/{b["learner"].id}"><bdi>Lee Learner</bdi></a>' in page


def test_a_200_character_name_is_escaped_and_marked_as_its_own_direction(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    person = user_factory(tenant, full_name="<b>" + "W" * 197)
    page = client_for(tenant, admin).get(f"/team/people/{person.id}").get_data(as_text=True)
    assert '<h1><bdi dir="auto">&lt;b&gt;' + "W" * 197 + "</bdi>" in page


def test_the_person_page_takes_the_same_number_of_queries_for_2_or_6_of_everything(
    db,
    tenant_factory,
    user_factory,
    client_for,
    gated_course,
    count_queries,
):
    counts = []
    for n in (2, 6):
        tenant = tenant_factory()
        admin = user_factory(tenant, roles=("tenant_admin",))
        manager = user_factory(tenant, roles=("manager",), full_name="Mo Manager")
        learner = user_factory(tenant, full_name="Lee Learner", manager_id=manager.id)
        for number in range(n):
            _learn_and_sign(db, tenant, learner, manager, gated_course(tenant, title=f"Quiz {number}"))
            _sign_policy(db, tenant, learner, f"Policy {number}")
        client = client_for(tenant, admin)
        with count_queries() as counter:
            page = client.get(f"/team/people/{learner.id}").get_data(as_text=True)
        assert page.count("Fryer safety") == n and page.count("Policy ") >= n
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
