"""PostgreSQL enforces tenancy again: the application role reads no foreign rows from any scoped table."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app.accounts.models import SignInFailures
from app.accounts.services import add_group_members, create_group, create_org_unit
from app.accounts.sessions import start_session
from app.audit.services import record
from app.events import emit
from app.tenancy import as_tenant
from app.tenancy.rls import scoped_tables

pytestmark = pytest.mark.postgres


@pytest.fixture
def populated_tenant(db, tenant_factory, user_factory):
    """A tenant with at least one row in every scoped table."""
    tenant = tenant_factory()
    user = user_factory(tenant, roles=("tenant_admin",))
    with as_tenant(tenant):
        user = db.session.merge(user)
        create_org_unit("Depot", "location")
        group = create_group("Drivers")
        db.session.flush()
        add_group_members(group, [user.id])
        start_session(user, ip="192.0.2.1", user_agent="RLS test")
        db.session.add(SignInFailures(email="guessed@example.com", failures=1))
        record("test.row", target=group)
        emit("test.event", {"ok": True})
        _learning_rows(db, user, group)
        _policy_rows(user, group)
        _assessment_rows(db, user)
        db.session.commit()
    return tenant


def _learning_rows(db, user, group):
    """One row in every learning and library table, made through the services where they exist."""
    from sqlalchemy import select

    from app.learning.models import Enrollment, Lesson
    from app.learning.services import courses as authoring
    from app.learning.services import rules
    from app.learning.services.enrollments import enrol_in_path
    from app.learning.services.progress import record_event
    from app.library.models import LibraryDeployment, LibraryPackage, LibraryVersion
    from app.tenancy import platform_writes

    package = LibraryPackage(slug=f"rls-{user.tenant_id}", audiences=["employees"])
    version = LibraryVersion(
        package=package, number=1, title="Library course", status="published", lessons=[]
    )
    with platform_writes("tests: a library package as the console publishes one"):
        db.session.add_all([package, version])
    db.session.add(LibraryDeployment(package_id=package.id, version_id=version.id))
    course = authoring.create_course(
        {"title": "Scoped course"}, visibility="restricted", audiences={"group": [str(group.id)]}
    )
    authoring.add_lesson(course, "page", "Only lesson", True, {"body": "Text."}, {})
    authoring.set_course_status(course, "published")
    path = authoring.create_path({"title": "Scoped path"})
    authoring.set_path_courses(path, [course.id])
    authoring.set_path_status(path, "published")
    path_enrollment, _new = enrol_in_path(user, path)
    enrollment = db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id)).one()
    record_event(enrollment, db.session.get(Lesson, course.lessons[0].id), "viewed_to_end")
    draft = rules.RuleDraft(
        name="Everyone",
        match="all",
        conditions=[{"field": "job_title", "op": "contains", "value": "x"}],
        course=course,
        path=None,
        due_mode="none",
        due_days=None,
        due_date=None,
    )
    rules.save_rule(None, draft)
    assert path_enrollment


def _assessment_rows(db, learner):
    """A question bank, a quiz, an attempt, and a practical checkpoint signed off by an instructor."""
    from datetime import date

    from app.accounts.services import create_user
    from app.assessments import services as assessments
    from app.assessments.checkpoints import sign_off_checkpoint
    from app.learning.services import courses as authoring
    from app.learning.services.enrollments import enrol

    bank = assessments.create_bank("Scoped bank")
    question = assessments.add_question(bank, {"type": "true_false", "prompt": "Scoped?", "answer": "true"})
    quiz = assessments.create_quiz({"title": "Scoped quiz", "pass_percent": 80})
    assessments.add_fixed_question(quiz, question)
    assessments.start_attempt(learner, quiz)
    signer = create_user(
        f"signer-{learner.tenant_id}@example.com", "Ines Instructor", role_keys=("instructor",)
    )
    course = authoring.create_course({"title": "Fryer basics"})
    lesson = authoring.add_lesson(course, "checkpoint", "Fryer safety", True, {"items": "Shuts it down"}, {})
    authoring.set_course_status(course, "published")
    enrollment, _new = enrol(learner, course)
    db.session.flush()
    sign_off_checkpoint(
        signer, enrollment, lesson, observed_items=["Shuts it down"], observed_on=date.today()
    )


def test_every_scoped_table_has_forced_row_level_security(app, db, populated_tenant):
    rows = db.session.execute(
        text("SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = ANY(:names)"),
        {"names": scoped_tables()},
    ).all()
    assert {r.relname for r in rows} == set(scoped_tables())
    assert all(r.relrowsecurity and r.relforcerowsecurity for r in rows), rows


def test_application_role_cannot_bypass_row_level_security(db):
    row = db.session.execute(
        text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
    ).one()
    assert not row.rolsuper and not row.rolbypassrls


def test_application_role_reads_no_foreign_rows_from_any_scoped_table(
    app, db, populated_tenant, tenant_factory
):
    other = tenant_factory()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            for table in scoped_tables():
                with conn.begin():
                    # As the tenant itself, the rows are there ...
                    conn.execute(
                        text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(populated_tenant.id)}
                    )
                    own = conn.execute(
                        text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"),  # noqa: S608
                        {"t": populated_tenant.id},
                    ).scalar()
                    assert own > 0, f"{table} has no rows for the test tenant"
                with conn.begin():
                    # ... and as another tenant, with raw SQL and no ORM filter, none of them are.
                    conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(other.id)})
                    seen = conn.execute(
                        text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"),  # noqa: S608
                        {"t": populated_tenant.id},
                    ).scalar()
                    assert seen == 0, f"{table}: {seen} foreign rows visible"
                with conn.begin():
                    # With no tenant set at all, nothing.
                    assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0, table  # noqa: S608
    finally:
        engine.dispose()


def test_application_role_cannot_write_into_another_tenant(app, db, populated_tenant, tenant_factory):
    other = tenant_factory()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(other.id)})
            with pytest.raises(Exception, match="row-level security"):
                conn.execute(
                    text("INSERT INTO groups (tenant_id, name, created_at) VALUES (:t, 'Intruders', now())"),
                    {"t": populated_tenant.id},
                )
    finally:
        engine.dispose()


def test_audit_log_is_append_only_for_the_application_role(app, db, populated_tenant):
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(populated_tenant.id)}
            )
            with pytest.raises(Exception, match="permission denied"):
                conn.execute(text("UPDATE audit_events SET action = 'forged'"))
    finally:
        engine.dispose()


def _policy_rows(user, group):
    from app.policies import services as policies

    policy = policies.create_policy(
        "Scoped policy", visibility="restricted", audiences={"group": [str(group.id)]}
    )
    version = policies.save_draft(policy, "Be kind.")
    policies.publish_version(version)
    ack = policies.acknowledge_policy(user, version, user.full_name, accepted=True, ip=None, user_agent=None)
    from app.policies.jobs import render_receipt

    render_receipt(ack.id)  # a policy_receipts row, rendered here whatever the job queue
