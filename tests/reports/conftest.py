"""A small bistro for the reports: two locations, a Downtown manager, and one row of each report's kind."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.services import create_org_unit
from app.tenancy import as_tenant
from tests.compliance import conftest as compliance

# The compliance tests' factories, shared.
course_factory = compliance.course_factory
enrol = compliance.enrol
certify = compliance.certify
policy_factory = compliance.policy_factory


@pytest.fixture(autouse=True)
def report_jobs_inline(request: pytest.FixtureRequest) -> None:
    """Exports and deliveries run at once on both databases; a test marked ``redis`` keeps the worker."""
    if "redis" not in request.keywords:
        request.getfixturevalue("jobs_inline")


@pytest.fixture
def bistro(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory
) -> dict[str, Any]:
    from app.assessments.models import Attempt, Quiz
    from app.learning.models import Enrollment, Lesson, LessonProgress

    tenant = tenant_factory(display_name="Bistro")
    with as_tenant(tenant):
        downtown = create_org_unit("Downtown", "location")
        airport = create_org_unit("Airport", "location")
        db.session.commit()
    admin = user_factory(tenant, "admin@bistro.example", roles=("tenant_admin",), full_name="Ada Admin")
    manager = user_factory(
        tenant, "manager@bistro.example", roles=("manager",), full_name="Mo Manager", org_unit_id=downtown.id
    )
    ovi = user_factory(
        tenant, "ovi@bistro.example", full_name="Ovi Overdue", job_title="Cook", org_unit_id=downtown.id
    )
    cara = user_factory(
        tenant, "cara@bistro.example", full_name="Cara Complete", job_title="Server", org_unit_id=downtown.id
    )
    far = user_factory(
        tenant, "far@bistro.example", full_name="Far Away", job_title="Cook", org_unit_id=airport.id
    )
    allergens = course_factory(tenant, "Allergens")
    today = date.today()
    enrol(tenant, ovi, allergens, due_on=today - timedelta(days=2))
    enrol(tenant, far, allergens, due_on=today - timedelta(days=9))
    done = enrol(tenant, cara, allergens)
    certify(tenant, cara, "Food handler", "certified", expires_at=datetime.now(UTC) + timedelta(days=200))
    certify(tenant, far, "Fire safety", "expired", expires_at=datetime.now(UTC) - timedelta(days=3))
    version = policy_factory(tenant, "Code of Conduct")
    with as_tenant(tenant):
        enrollment = db.session.get(Enrollment, done.id)
        enrollment.completed_at = datetime.now(UTC) - timedelta(days=1)
        lesson = db.session.scalars(select(Lesson).where(Lesson.course_id == enrollment.course_id)).first()
        db.session.add(
            LessonProgress(
                enrollment_id=enrollment.id, lesson_id=lesson.id, percent=100, completed_at=datetime.now(UTC)
            )
        )
        quiz = Quiz(title="Allergen check", pass_percent=80)
        db.session.add(quiz)
        db.session.flush()
        for user, number, score in ((cara, 1, 60.0), (cara, 2, 90.0), (far, 1, 95.0)):
            db.session.add(
                Attempt(
                    quiz_id=quiz.id,
                    user_id=user.id,
                    enrollment_id=enrollment.id if user is cara else None,
                    number=number,
                    status="submitted",
                    started_at=datetime.now(UTC) - timedelta(hours=2),
                    submitted_at=datetime.now(UTC) - timedelta(hours=1),
                    score_percent=score,
                    passed=score >= 80,
                )
            )
        quiz_id, course_id = quiz.id, allergens.id
        db.session.commit()
    return {
        "tenant": tenant,
        "admin": admin,
        "manager": manager,
        "ovi": ovi,
        "cara": cara,
        "far": far,
        "downtown": downtown,
        "airport": airport,
        "course_id": course_id,
        "quiz_id": quiz_id,
        "policy_version": version,
    }
