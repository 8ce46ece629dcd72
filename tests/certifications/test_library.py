"""The platform's library carries certifications: every tenant that receives the package can earn it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from app.assessments import services as assessments
from app.certifications.models import Certification, CertificationRecord
from app.errors import ValidationError
from app.learning.models import Lesson
from app.learning.services import progress
from app.learning.services.enrollments import enrol
from app.library import services
from app.library.models import LibraryPackage
from app.tenancy import as_tenant
from tests.assessments.conftest import QUESTIONS, right_answers
from tests.conftest import unique_slug
from tests.library.conftest import PAGE, draft_fields


@pytest.fixture
def platform(db: Any) -> Any:
    from app.tenancy.models import Tenant

    return db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()


def _certified_seller_package(db: Any, platform: Any) -> LibraryPackage:
    with as_tenant(platform):
        bank = assessments.create_bank(f"Prep bank {unique_slug()}")
        quiz = assessments.create_quiz({"title": f"Prep exam {unique_slug()}", "pass_percent": 60})
        for question in QUESTIONS[:3]:
            assessments.add_fixed_question(quiz, assessments.add_question(bank, question))
        db.session.commit()
    package = services.create_package(unique_slug("lib-test"), "Selling Widgets", "For partner reps.")
    exam = {
        "kind": "assessment",
        "title": "Certification-prep exam",
        "required": True,
        "quiz_id": str(quiz.id),
    }
    services.update_draft(package.draft, **draft_fields(package.draft, lessons=[PAGE, exam]))
    with pytest.raises(ValidationError):
        services.set_certification(package.draft, {"title": "Certified Widget Seller", "validity_months": 0})
    services.set_certification(
        package.draft,
        {
            "title": "Certified Widget Seller",
            "validity_months": 12,
            "renewal_window_days": 30,
            "reminder_days": "30, 7, 0",
            "min_score": 80,
            "everyone": True,
        },
    )
    services.publish(package.draft)
    db.session.commit()
    return package


def test_a_package_that_carries_a_certification_gives_it_to_each_tenant_that_receives_it(
    db, platform, tenant_factory, user_factory
):
    package = _certified_seller_package(db, platform)
    tenant = tenant_factory()
    learner = user_factory(tenant, "rep@partners.example")
    services.deploy(package, tenant)
    db.session.commit()
    with as_tenant(tenant):
        cert = db.session.scalars(select(Certification)).one()
        assert cert.title == "Certified Widget Seller" and cert.status == "published"
        assert cert.validity_months == 12 and cert.reminder_days == [30, 7, 0]
        course = services.course_for(services.find_deployment(package))
        kinds = {(r.kind, r.item_id, r.min_score) for r in cert.requirements}
        exam = next(lesson for lesson in course.lessons if lesson.kind == "assessment")
        assert kinds == {("course", course.id, None), ("quiz", int(exam.content["quiz_id"]), 80)}
        # Everyone must hold it: the rep is in progress, and earns it by doing the course.
        record = db.session.scalars(select(CertificationRecord)).one()
        assert record.user_id == learner.id and record.state == "in_progress"
        enrollment, _new = enrol(db.session.merge(learner), course)
        progress.complete_lesson(enrollment, db.session.get(Lesson, course.lessons[0].id))
        attempt = assessments.start_attempt(
            db.session.merge(learner),
            assessments.load_quiz(int(exam.content["quiz_id"])),
            enrollment_id=enrollment.id,
            lesson_id=exam.id,
        )
        assessments.submit_attempt(attempt, right_answers(attempt))
        db.session.commit()
        assert db.session.get(CertificationRecord, record.id).state == "certified"
    other = tenant_factory()
    with as_tenant(other):
        assert db.session.scalars(select(Certification)).all() == []  # not deployed there


def test_an_operator_makes_a_package_carry_a_certification_in_the_console(
    db, client_for, user_factory, platform
):
    from tests.conftest import csrf_token

    operator = client_for(platform, user_factory(platform, roles=("operator",)))
    package = services.create_package(unique_slug("lib-test"), "Selling Widgets", "For partner reps.")
    db.session.commit()
    path = f"/console/library/{package.id}"
    form = {
        "csrf_token": csrf_token(operator, path),
        "title": "Selling Widgets",
        "language": "en",
        "duration_minutes": "10",
        "lessons-0-kind": "page",
        "lessons-0-title": "Being certified",
        "lessons-0-required": "y",
        "lessons-0-markdown": "What it means.",
        "lessons-0-captions_language": "en",
        "certification_title": "Certified Widget Seller",
        "certification_validity_months": "12",
        "certification_renewal_window_days": "30",
        "certification_grace_days": "0",
        "certification_reminder_days": "30, 7, 0",
        "certification_min_score": "",
        "certification_everyone": "y",
        "action": "save",
    }
    refused = operator.post(path, data={**form, "certification_validity_months": "0"})
    assert refused.status_code == 422 and "Enter between 1 and 600." in refused.get_data(as_text=True)
    assert operator.post(path, data=form).status_code == 302
    db.session.expire_all()
    draft = db.session.get(LibraryPackage, package.id).draft
    assert draft.certification == {
        "title": "Certified Widget Seller",
        "description": "",
        "validity_months": 12,
        "renewal_window_days": 30,
        "grace_days": 0,
        "reminder_days": [30, 7, 0],
        "min_score": None,
        "everyone": True,
    }
    assert 'value="Certified Widget Seller"' in operator.get(path).get_data(as_text=True)
