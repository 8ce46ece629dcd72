"""Factories for compliance tests: a location with people and each kind of required item."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from app.tenancy import as_tenant


@pytest.fixture
def course_factory(db: Any) -> Callable[..., Any]:
    from app.learning.services import courses as authoring

    def make(tenant: Any, title: str = "Food Safety", *, checkpoint: bool = False) -> Any:
        with as_tenant(tenant):
            course = authoring.create_course({"title": title, "self_enroll": True})
            authoring.add_lesson(course, "page", "Read first", True, {"body": "Hot oil."}, {})
            if checkpoint:
                authoring.add_lesson(course, "checkpoint", "Show it", True, {"items": "Shut down"}, {})
            authoring.set_course_status(course, "published")
            db.session.commit()
        return course

    return make


@pytest.fixture
def enrol(db: Any) -> Callable[..., Any]:
    from app.learning.services.enrollments import enrol as enrol_service

    def make(tenant: Any, user: Any, course: Any, **kwargs: Any) -> Any:
        with as_tenant(tenant):
            enrollment, _created = enrol_service(db.session.merge(user), db.session.merge(course), **kwargs)
            db.session.commit()
        return enrollment

    return make


@pytest.fixture
def certify(db: Any) -> Callable[..., Any]:
    """Give a person a certification record in *state*, expiring at *expires_at* (grace to *grace_until*)."""
    from app.certifications.models import Certification, CertificationRecord

    def make(
        tenant: Any,
        user: Any,
        title: str,
        state: str,
        expires_at: datetime | None = None,
        grace_until: datetime | None = None,
    ) -> Any:
        with as_tenant(tenant):
            cert = Certification(title=title, status="published", validity="months", validity_months=12)
            db.session.add(cert)
            db.session.flush()
            record = CertificationRecord(
                certification_id=cert.id,
                user_id=user.id,
                state=state,
                cycle=1,
                expires_at=expires_at,
                grace_until=grace_until or expires_at,
                awarded_at=None if state in ("not_started", "in_progress") else datetime(2026, 1, 1),
            )
            db.session.add(record)
            db.session.commit()
            return record

    return make


@pytest.fixture
def policy_factory(db: Any) -> Callable[..., Any]:
    from app.policies import services as policies

    def make(tenant: Any, title: str = "Code of Conduct", due_days: int | None = 14) -> Any:
        with as_tenant(tenant):
            policy = policies.create_policy(title, due_days=due_days)
            version = policies.publish_version(policies.save_draft(policy, "Be kind."))
            db.session.commit()
            return version

    return make
