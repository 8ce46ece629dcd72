"""Factories for courses, lessons and enrollments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.learning.lesson_kinds import Upload
from app.learning.services import courses as authoring
from app.tenancy import as_tenant

# Two workers on one database (tests/tenancy): the catalog's filters are kept per process.
from tests.tenancy.test_caches_across_workers import other_worker, workers  # noqa: F401 - fixtures


@pytest.fixture
def course_factory(db: Any) -> Callable[..., Any]:
    def make(
        tenant: Any,
        title: str = "Food Safety Basics",
        *,
        lessons: int = 2,
        publish: bool = True,
        visibility: str = "everyone",
        audiences: dict | None = None,
        **fields: Any,
    ) -> Any:
        with as_tenant(tenant):
            details = {"title": title, "self_enroll": True, "listed": True, **fields}
            course = authoring.create_course(details, visibility=visibility, audiences=audiences)
            for n in range(1, lessons + 1):
                authoring.add_lesson(
                    course, "page", f"Lesson {n}", True, {"body": f"Text of lesson {n}."}, {}
                )
            if publish:
                authoring.set_course_status(course, "published")
            db.session.commit()
        return course

    return make


@pytest.fixture
def enrol(db: Any) -> Callable[..., Any]:
    from app.learning.services.enrollments import enrol as enrol_service

    def make(tenant: Any, user: Any, course: Any, **kwargs: Any) -> Any:
        with as_tenant(tenant):
            enrollment, _created = enrol_service(user, course, **kwargs)
            db.session.commit()
        return enrollment

    return make


def upload(name: str, data: bytes) -> Upload:
    return Upload(filename=name, data=data)
