"""Tenant courses and paths, who may see them, who is enrolled, and how far they got."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class CourseStatus(enum.StrEnum):
    draft = "draft"
    published = "published"
    archived = "archived"


class EnrollmentStatus(enum.StrEnum):
    active = "active"
    completed = "completed"
    withdrawn = "withdrawn"


class Course(TenantScoped, Model):
    """A course of ordered lessons, authored in the tenant or deployed from the library."""

    __tablename__ = "courses"
    __table_args__ = (
        Index("ix_courses_tenant_status", "tenant_id", "status"),
        # The published courses by title (a manager's assign list) without sorting them.
        Index("ix_courses_tenant_status_title", "tenant_id", "status", "title"),
        # The newest published courses (My learning's suggestions) without sorting them all.
        Index("ix_courses_tenant_status_created", "tenant_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(100))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    language: Mapped[str] = mapped_column(String(10), default="en")
    duration_minutes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default=CourseStatus.draft.value)
    # "everyone" or "restricted" (to the groups, org units and job titles in course_audiences)
    visibility: Mapped[str] = mapped_column(String(20), default="everyone")
    self_enroll: Mapped[bool] = mapped_column(default=True)
    # Listed courses appear in the catalog; unlisted ones are reached only by assignment.
    listed: Mapped[bool] = mapped_column(default=True)
    # Library courses: the deployment they come from and the version new enrollments get.
    deployment_id: Mapped[int | None] = mapped_column(ForeignKey("library_deployments.id"), index=True)
    library_version_id: Mapped[int | None] = mapped_column(ForeignKey("library_versions.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)

    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course", order_by="Lesson.position", cascade="all, delete-orphan"
    )
    audiences: Mapped[list[Audience]] = relationship(
        primaryjoin="Course.id == foreign(Audience.course_id)", cascade="all, delete-orphan", viewonly=False
    )

    @property
    def from_library(self) -> bool:
        return self.deployment_id is not None

    def lessons_for(self, library_version_id: int | None) -> list[Lesson]:
        """The lessons a learner pinned to *library_version_id* takes (tenant courses: all)."""
        if not self.from_library:
            return list(self.lessons)
        return [lesson for lesson in self.lessons if lesson.library_version_id == library_version_id]


class Lesson(TenantScoped, Model):
    """One step of a course; *kind* picks the plug-in that renders it and decides when it is complete."""

    __tablename__ = "lessons"
    __table_args__ = (
        Index("ix_lessons_course_position", "course_id", "position"),
        # The courses that have a lesson of a kind (checkpoints waiting for sign-off), from the index alone.
        Index("ix_lessons_tenant_kind_course", "tenant_id", "kind", "course_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    library_version_id: Mapped[int | None] = mapped_column(ForeignKey("library_versions.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(default=True)
    content: Mapped[dict] = mapped_column(JSON, default=dict)

    course: Mapped[Course] = relationship(back_populates="lessons")


class Audience(TenantScoped, Model):
    """Who may see a restricted course or path: a group, an org unit (with its subtree) or a job title."""

    __tablename__ = "course_audiences"
    # Visibility checks look audiences up by course (or path) within a tenant.
    __table_args__ = (
        Index("ix_course_audiences_tenant_course", "tenant_id", "course_id"),
        Index("ix_course_audiences_tenant_path", "tenant_id", "path_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"), index=True)
    path_id: Mapped[int | None] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # group | org_unit | job_title
    value: Mapped[str] = mapped_column(String(200))


class LearningPath(TenantScoped, Model):
    """Courses in order; each unlocks when the ones before it are complete."""

    __tablename__ = "learning_paths"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=CourseStatus.draft.value)
    visibility: Mapped[str] = mapped_column(String(20), default="everyone")
    self_enroll: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    steps: Mapped[list[PathStep]] = relationship(
        back_populates="path", order_by="PathStep.position", cascade="all, delete-orphan"
    )
    audiences: Mapped[list[Audience]] = relationship(
        primaryjoin="LearningPath.id == foreign(Audience.path_id)",
        cascade="all, delete-orphan",
        viewonly=False,
    )


class PathStep(TenantScoped, Model):
    __tablename__ = "path_steps"
    __table_args__ = (tenant_unique("path_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    path: Mapped[LearningPath] = relationship(back_populates="steps")
    course: Mapped[Course] = relationship()


class PathEnrollment(TenantScoped, Model):
    __tablename__ = "path_enrollments"
    __table_args__ = (
        Index(
            "uq_path_enrollments_current",
            "tenant_id",
            "user_id",
            "path_id",
            unique=True,
            postgresql_where=text("withdrawn_at IS NULL"),
            sqlite_where=text("withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    path_id: Mapped[int] = mapped_column(ForeignKey("learning_paths.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=EnrollmentStatus.active.value)
    source: Mapped[str] = mapped_column(String(20), default="manual")
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment_rules.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    path: Mapped[LearningPath] = relationship()


class Enrollment(TenantScoped, Model):
    """A person's place in a course: why they are in it, by when, and how far they got. Never deleted."""

    __tablename__ = "enrollments"
    __table_args__ = (
        Index(
            "uq_enrollments_current",
            "tenant_id",
            "user_id",
            "course_id",
            unique=True,
            postgresql_where=text("withdrawn_at IS NULL"),
            sqlite_where=text("withdrawn_at IS NULL"),
        ),
        # Open enrolments by due date: who is overdue in the whole tenant (the compliance roll-up, the
        # weekly snapshots) is read from this index alone.
        Index(
            "ix_enrollments_tenant_open_due",
            "tenant_id",
            "due_on",
            "user_id",
            postgresql_where=text("completed_at IS NULL AND withdrawn_at IS NULL"),
            sqlite_where=text("completed_at IS NULL AND withdrawn_at IS NULL"),
        ),
        Index("ix_enrollments_tenant_user_status", "tenant_id", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    path_enrollment_id: Mapped[int | None] = mapped_column(ForeignKey("path_enrollments.id"), index=True)
    library_version_id: Mapped[int | None] = mapped_column(ForeignKey("library_versions.id"))
    status: Mapped[str] = mapped_column(String(20), default=EnrollmentStatus.active.value)
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual | self | rule | path | manager
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment_rules.id"))
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_on: Mapped[date | None] = mapped_column(Date)
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"))
    progress_percent: Mapped[int] = mapped_column(Integer, default=0)

    course: Mapped[Course] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    progress: Mapped[list[LessonProgress]] = relationship(
        back_populates="enrollment", cascade="all, delete-orphan"
    )


class LessonProgress(TenantScoped, Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (tenant_unique("enrollment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id"), index=True)
    percent: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    enrollment: Mapped[Enrollment] = relationship(back_populates="progress")


class EnrollmentRule(TenantScoped, Model):
    """When people match the conditions, enrol them in a course or path with a due date."""

    __tablename__ = "enrollment_rules"
    __table_args__ = (tenant_unique("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    match: Mapped[str] = mapped_column(String(5), default="all")  # all | any
    # [{"field": "org_unit"|"group"|"job_title"|"email_domain"|"attribute", "name": attribute name,
    #   "op": "is"|"is_not"|"contains", "value": "..."}]
    conditions: Mapped[list[dict]] = mapped_column(JSON, default=list)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    path_id: Mapped[int | None] = mapped_column(ForeignKey("learning_paths.id"))
    # Another feature's target (rules.register_target), e.g. ("certification", 3): neither course nor path.
    target_kind: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column(Integer)
    due_mode: Mapped[str] = mapped_column(
        String(20), default="none"
    )  # none | fixed | after_enrolment | after_hire
    due_days: Mapped[int | None] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    course: Mapped[Course | None] = relationship()
    path: Mapped[LearningPath | None] = relationship()
