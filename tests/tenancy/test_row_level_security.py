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
    package = _library_package(db, tenant)
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
        _learning_rows(db, user, group, package)
        _policy_rows(user, group)
        _assessment_rows(db, user)
        _certification_rows(db, user, group)
        _certificate_rows(user)
        _identity_rows(db, user)
        _two_step_rows(user)
        _crew_rows(db, user)
        _compliance_rows(db, user)
        _sync_rows(db, user)
        _scim_rows(db, user, group)
        _partner_rows(db)
        _terminology_rows(user)
        _content_translation_rows(db)
        _report_rows(db, user)
        db.session.commit()
    return tenant


def _report_rows(db, user):
    """A saved report and an export of it."""
    from app.reports.models import ReportExport, SavedReport

    db.session.add(SavedReport(name="Overdue", report_key="overdue", filters={}, owner_id=user.id))
    db.session.add(ReportExport(requested_by_id=user.id, report_key="overdue", format="csv", filters={}))


def _content_translation_rows(db):
    """A translation of the portal's own content."""
    from app.multilingual.models import ContentTranslation

    db.session.add(
        ContentTranslation(
            kind="course",
            item_id=1,
            locale="es",
            fields={"title": "Curso"},
            html={},
            source_hashes={"title": "0" * 64},
        )
    )


def _terminology_rows(user):
    """The portal's own wording of one message."""
    from app.terminology import services as terminology
    from app.terminology.catalogs import shipped_message

    message = shipped_message("Sign out")
    assert message is not None
    terminology.save_override("en", message, ["Clock out"], by=user)


def _identity_rows(db, user):
    """A provider, the portal's sign-in settings and a person's identity at the provider."""
    from app.identity import services as identity
    from app.identity.models import UserIdentity

    provider = identity.create_provider("saml", "Depot SSO", domains=["depot.example"])
    identity.save_settings(
        default_provider_id=None,
        break_glass_emails=[],
        require_two_step_for_admins=True,
        badge_sign_in=False,
        shared_device_idle_minutes=3,
    )
    db.session.add(UserIdentity(user_id=user.id, provider_id=provider.id, subject="depot-1"))
    # The portal's SAML key, and the request and assertion ids SAML sign-in remembers without Redis.
    from datetime import timedelta

    from app.identity.saml import keys
    from app.identity.saml.models import SamlSeen
    from app.tenancy.models import utcnow

    keys.current_key("Atrium SAML rls")
    later = utcnow() + timedelta(minutes=5)
    db.session.add(SamlSeen(kind="request", value="_rls-request", provider_id=provider.id, expires_at=later))
    db.session.add(SamlSeen(kind="assertion", value="_rls-assertion", expires_at=later))


def _partner_rows(db):
    """A partner tier with a target, and a company in it."""
    from app.accounts.services import create_org_unit
    from app.certifications.services import definitions
    from app.partners import services as partners

    cert = definitions.create_certification({"title": "Partner seller", "validity_months": 12})
    company = create_org_unit("Partner company", "company")
    tier = partners.create_tier("Gold", 1)
    db.session.flush()
    partners.update_tier(tier, "Gold", 1, {cert.id: "3"})
    partners.assign_tier(company.id, tier.id)


def _compliance_rows(db, user):
    """A reminder a manager sent from the compliance dashboard."""
    from app.compliance.models import Reminder

    db.session.add(Reminder(user_id=user.id, sent_by_id=user.id, channel="email"))
    from datetime import date

    from app.compliance.models import ComplianceSnapshot

    db.session.add(ComplianceSnapshot(org_unit_id=None, week_start=date(2026, 11, 30), people=1, compliant=1))


def _crew_rows(db, user):
    """A crew PIN and badge, and a message in the inbox of a person without email."""
    from app.crew import services as crew
    from app.inbox.models import InboxMessage

    user.employee_id = "RLS-1"
    crew.set_pin(user, "2580", by=None)
    crew.issue_badge(user, by=None)
    db.session.add(InboxMessage(user_id=user.id, subject="Reminder", body="Finish Food Safety."))


def _sync_rows(db, user):
    """An HR source with a sealed secret, a run with one change, and a link to a person."""
    from app import sealing
    from app.syncs.models import SyncChange, SyncLink, SyncRun, SyncSource

    source = SyncSource(name="Depot HR", kind="csv")
    db.session.add(source)
    db.session.flush()
    source.secret_sealed = sealing.seal_text("depot-token", purpose=source.secret_purpose)
    run = SyncRun(source_id=source.id, status="preview_ready")
    db.session.add(run)
    db.session.flush()
    db.session.add(SyncChange(run_id=run.id, seq=1, action="update", user_id=user.id, before={}, after={}))
    db.session.add(SyncLink(source_id=source.id, source_key="RLS-1", user_id=user.id))


def _scim_rows(db, user, group):
    """A SCIM token with one logged operation, and the SCIM state of a person and a group."""
    from app.scim import services as scim
    from app.scim.models import ScimGroup, ScimUser

    token, _secret = scim.create_token("RLS Entra ID")
    db.session.flush()
    scim.log_operation(token, method="POST", path="/scim/v2/Users", outcome="created", status=201)
    db.session.add(ScimUser(user_id=user.id, user_name="rls@example.com", user_name_key="rls@example.com"))
    db.session.add(ScimGroup(group_id=group.id, external_id="rls-group"))


def _two_step_rows(user):
    """Two-step sign-in turned on, with its recovery codes."""
    from app.identity.two_step import services as two_step
    from app.tenancy.models import utcnow

    two_step.start_enrolment(user).confirmed_at = utcnow()
    two_step.regenerate_recovery_codes(user)


def _certificate_rows(user):
    """A certificate (as a certification award makes it) and the tenant's two signing keys."""
    from app.certificates import keys, services
    from app.certificates.models import KeyPurpose

    keys.active_key(KeyPurpose.pdf)
    keys.active_key(KeyPurpose.badge)
    services.record_award(
        {
            "record_id": 1,
            "user_id": user.id,
            "certification_id": 1,
            "certification_title": "Food Handler",
            "cycle": 1,
            "awarded_at": "2026-12-01T09:00:00+00:00",
            "expires_at": None,
            "reason": None,
        }
    )


def _library_package(db, tenant):
    """A published library package, written (and committed) on the platform path as the console does."""
    from app.library.models import LibraryPackage, LibraryVersion
    from app.tenancy import platform_writes

    package = LibraryPackage(slug=f"rls-{tenant.id}", audiences=["employees"])
    version = LibraryVersion(
        package=package, number=1, title="Library course", status="published", lessons=[]
    )
    with platform_writes("tests: a library package as the console publishes one"):
        db.session.add_all([package, version])
    db.session.commit()
    return package


def _learning_rows(db, user, group, package):
    """One row in every learning and library table, made through the services where they exist."""
    from sqlalchemy import select

    from app.learning.models import Enrollment, Lesson
    from app.learning.services import courses as authoring
    from app.learning.services import rules
    from app.learning.services.enrollments import enrol_in_path
    from app.learning.services.progress import record_event
    from app.library.models import LibraryDeployment

    db.session.add(LibraryDeployment(package_id=package.id, version_id=package.versions[0].id))
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


def _certification_rows(db, holder, group):
    """A certification for a group, its requirement, the holder's record, its history and a reminder sent."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from app.certifications.services import definitions, lifecycle, reminders
    from app.learning.models import Course

    course = db.session.scalars(select(Course).where(Course.status == "published")).first()
    cert = definitions.create_certification(
        {"title": "Scoped certification", "validity_months": 12, "reminder_days": "7"},
        visibility="restricted",
        audiences={"group": [str(group.id)]},
    )
    definitions.set_requirements(cert, "initial", [{"kind": "course", "item_id": course.id}])
    definitions.publish(cert)  # the group's members are now in progress
    record = lifecycle.record_of(cert.id, holder.id)
    now = datetime.now(UTC)
    lifecycle.award_manually(
        record, by=None, note="", awarded_at=now - timedelta(days=360), expires_at=now + timedelta(days=5)
    )
    assert reminders.queue_reminders() == 1


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


# The settings the policies once honoured, whatever the policies read today.
_KNOWN_SETTINGS = {"app.tenant_id", "app.unscoped", "app.platform_writes"}


def _policy_settings(conn) -> set[str]:
    """Every setting any row-level security policy in the schema reads."""
    import re

    found = set(_KNOWN_SETTINGS)
    for qual, check in conn.execute(
        text("SELECT qual, with_check FROM pg_policies WHERE schemaname = current_schema()")
    ):
        for expression in (qual, check):
            found |= set(re.findall(r"current_setting\('([^']+)'", expression or ""))
    return found


@pytest.mark.parametrize("value", ["on", "true", "1", "off", "", "*", "yes"])
def test_application_role_with_any_setting_reads_one_tenant_and_changes_no_global_table(
    app, db, populated_tenant, tenant_factory, value
):
    """Every setting the policies read, set to *value* (app.tenant_id to the tenant's own id):
    the tenant's own rows only, from every tenant table, and no change to the platform's tables."""
    from app.tenancy.session import platform_engine

    other = tenant_factory()
    own = populated_tenant.id
    platform = platform_engine()
    tables = [*scoped_tables(), "job_outbox"]
    with platform.begin() as conn:  # queued jobs of another tenant and of the platform
        conn.execute(
            text(
                "INSERT INTO job_outbox (tenant_id, queue, function, args, kwargs, status, attempts,"
                " created_at) VALUES (:t, 'default', 'x:y', '[]', '{}', 'done', 0, now()),"
                " (NULL, 'default', 'x:y', '[]', '{}', 'done', 0, now()),"
                " (:own, 'default', 'x:y', '[]', '{}', 'done', 0, now())"
            ),
            {"t": other.id, "own": own},
        )
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with platform.connect() as conn:
            foreign_rows = {
                t: conn.execute(
                    text(f"SELECT count(*) FROM {t} WHERE tenant_id IS DISTINCT FROM :t"),  # noqa: S608
                    {"t": own},
                ).scalar()
                for t in tables
            }
        assert foreign_rows["users"] and foreign_rows["audit_events"] and foreign_rows["job_outbox"] >= 2
        with engine.connect() as conn, conn.begin():
            settings = _policy_settings(conn)
            for name in sorted(settings - {"app.tenant_id"}):
                conn.execute(text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(own)})
            for table in tables:
                seen_foreign = conn.execute(
                    text(f"SELECT count(*) FROM {table} WHERE tenant_id IS DISTINCT FROM :t"),  # noqa: S608
                    {"t": own},
                ).scalar()
                assert seen_foreign == 0, f"{table}: {seen_foreign} rows of other tenants visible"
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() > 0, table  # noqa: S608
            refused = [
                "INSERT INTO tenants (slug, display_name, audience, status, is_platform, default_locale,"
                " enabled_locales, time_zone, theme, branding, session_idle_minutes, session_max_hours,"
                " created_at) VALUES ('rogue', 'Rogue', 'other', 'active', false, 'en', '[\"en\"]', 'UTC',"
                " 'default', '{}', 60, 24, now())",
                "INSERT INTO tenant_domains (tenant_id, domain, verified, created_at)"
                " VALUES (:own, 'phish.example', true, now())",
                "INSERT INTO library_packages (slug, audiences, partner_tiers, auto_deploy, created_at)"
                " VALUES ('rogue-package', '[]', '[]', true, now())",
                "INSERT INTO library_versions (package_id, number, title, status, lessons, created_at)"
                " SELECT id, 99, 'Forged', 'published', '[]', now() FROM library_packages LIMIT 1",
                "INSERT INTO job_outbox (tenant_id, queue, function, args, kwargs, status, attempts,"
                " created_at) VALUES (:other, 'default', 'x:y', '[]', '{}', 'pending', 0, now())",
                "DELETE FROM tenants WHERE id = :other",
                "DELETE FROM library_packages",
                "DELETE FROM library_versions",
                "UPDATE tenants SET slug = 'taken' WHERE id = :own",
            ]
            for statement in refused:
                savepoint = conn.begin_nested()
                with pytest.raises(Exception, match=r"row-level security|permission denied"):
                    conn.execute(text(statement), {"own": own, "other": other.id})
                savepoint.rollback()
            unchanged = [
                "UPDATE tenants SET status = 'suspended', display_name = 'Owned' WHERE id <> :own",
                "UPDATE tenant_domains SET verified = false",
                "UPDATE library_packages SET auto_deploy = true",
                "UPDATE library_versions SET title = 'Forged'",
                "UPDATE job_outbox SET status = 'pending' WHERE tenant_id IS DISTINCT FROM :own",
            ]
            for statement in unchanged:
                changed = conn.execute(text(statement), {"own": own, "other": other.id}).rowcount
                assert changed == 0, statement
    finally:
        engine.dispose()
        with platform.begin() as conn:
            conn.execute(text("DELETE FROM job_outbox WHERE function = 'x:y'"))


def test_application_role_cannot_become_the_platform_role(app, db):
    from app.tenancy.session import platform_engine

    with platform_engine().connect() as conn:
        platform_role = conn.execute(text("SELECT current_user")).scalar()
        attributes = conn.execute(
            text("SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user")
        ).one()
    assert attributes.rolbypassrls and not attributes.rolsuper
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn:
            app_role = conn.execute(text("SELECT current_user")).scalar()
            assert app_role != platform_role
            assert not conn.execute(
                text("SELECT pg_has_role(current_user, :r, 'MEMBER')"), {"r": platform_role}
            ).scalar()
            with pytest.raises(Exception, match="permission denied"):
                conn.execute(text(f'SET ROLE "{platform_role}"'))
    finally:
        engine.dispose()


def test_every_scoped_table_has_the_policy_of_today(db):
    """The policy each migration left equals app.tenancy.rls's, which reads app.tenant_id alone."""
    from app.tenancy.rls import POLICY_NAME

    rows = db.session.execute(
        text("SELECT tablename, qual, with_check FROM pg_policies WHERE policyname = :p"), {"p": POLICY_NAME}
    ).all()
    assert {r.tablename for r in rows} == {*scoped_tables(), "job_outbox"}
    for row in rows:
        for expression in (row.qual, row.with_check):
            assert "app.tenant_id" in expression and "unscoped" not in expression, (row.tablename, expression)
