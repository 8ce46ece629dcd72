"""Every page passes axe-core (WCAG 2.2 A/AA and best practices) at 1280 and 360 px, two themes and Arabic.

At 360 px no page is wider than the screen, with the menu closed or open; and every page is valid HTML
(the Nu HTML Checker, one run for all pages).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.accounts.services import add_group_members, create_group, create_org_unit, make_password_reset_token
from app.tenancy import as_tenant
from app.tenancy.models import Tenant

# GET endpoints that are not pages (assets, health checks) and so are not checked with axe.
NOT_PAGES = {
    "static",
    "tenancy.brand_css",
    "tenancy.brand_image",
    "tenancy.favicon",
    "tenancy.theme_static",
    "branding.preview_css",
    "ops.healthz",
    "ops.readyz",
    "admin.index",
    "learning.download",
    "learning.lesson_media",
    "policies.document",
    "policies.receipt",
    "certification_admin.evidence",  # a download
    "terminology.export",  # a PO file to download
    # Files and JSON documents, not pages: a certificate's PDF and badge, the issuer's keys, the status list.
    "certificates.download_pdf",
    "certificates.download_badge",
    "certificates.issuer",
    "certificates.status_list",
    # Redirects to and from an identity provider: a sign-in through one is walked in tests/identity.
    "identity.start",
    "identity_oidc.callback",
    "saml.metadata",  # the portal's SAML metadata, an XML document
    "saml.slo",  # single logout: redirects only
    "syncs.progress",  # the part of a run's page that htmx refreshes, walked with the page
    "syncs.errors_csv",  # a download
    "reports.download",  # a download
    "compliance.dashboard",  # the old address of My team: a permanent redirect there
    "reports.export_progress",  # the part of an export's page that htmx refreshes, walked with the page
    # SCIM: token-authenticated JSON for identity providers (tests/scim), no page.
    "scim.list_users",
    "scim.get_user",
    "scim.list_groups",
    "scim.get_group",
    "scim.service_provider_config",
    "scim.list_schemas",
    "scim.get_schema",
    "scim.list_resource_types",
    "scim.get_resource_type",
    "scim.unknown",
}


def _furnish_saml_provider() -> int:
    """A SAML provider trusting a local pysaml2 IdP, so its settings page has everything to show."""
    from app.identity.saml import idp_metadata
    from app.identity.saml import services as saml_services
    from tests.identity.saml_idp import LocalIdP

    parsed = idp_metadata.parse(LocalIdP().metadata())
    provider = saml_services.add_provider("Acme SSO", ["acme.example"], parsed, None)
    provider.enabled = False  # switched off: the walk signs in with a password, not email-first
    return provider.id


@pytest.fixture(scope="module")
def furnished(app) -> dict[str, Any]:
    """Two tenants in different themes with people, units and groups; a platform operator."""
    from app.accounts.services import create_user
    from app.console.services import create_tenant
    from app.extensions import db
    from tests.conftest import PASSWORD, unique_slug

    with app.app_context():
        result: dict[str, Any] = {}
        for theme in ("warm", "midnight"):
            tenant = create_tenant(
                unique_slug(theme),
                f"{theme.title()} Portal",
                theme=theme,
                enabled_locales=["en", "es", "ar"],
                default_locale="en",
                branding={"sign_in_message": "Welcome to training."},
            )
            with as_tenant(tenant):
                admin = create_user(
                    f"admin@{theme}.example",
                    "Ada Admin",
                    password=PASSWORD,
                    role_keys=("tenant_admin", "learner"),
                )
                unit = create_org_unit("Downtown", "location")
                db.session.flush()
                person = create_user(
                    f"lee@{theme}.example",
                    "Lee Learner",
                    password=PASSWORD,
                    org_unit_id=unit.id,
                    manager_id=admin.id,
                    job_title="Line cook",
                )
                group = create_group("Night shift", "Evening crew")
                db.session.flush()
                add_group_members(group, [person.id])
                token = make_password_reset_token(person)
                learning = _furnish_learning(admin, unit)
                learning.update(_furnish_checkpoint(learning["course"], admin, person))
                learning.update(_furnish_certification(learning["course"], admin, person))
                learning.update(_furnish_partners(learning["certification"], unit))
                learning["certificate"] = _furnish_certificate(person)
                learning["crew_badge"] = _furnish_crew(person)
                from app.identity import services as identity
                from app.identity.oidc.demo import partner_sso

                # Switched off, so the sign-in page keeps asking for a password (the walk signs in so).
                learning["oidc_provider"] = identity.update_provider(partner_sso(), enabled=False).id
                learning["ldap_directory"] = _furnish_ldap_directory()
                from app.scim import services as scim

                learning["scim_token"] = scim.create_token("Entra ID")[0].id
                learning["saml_provider"] = _furnish_saml_provider()
                learning["sync_source"], learning["sync_run"] = _furnish_sync()
                learning["report_export"] = _furnish_report(admin)
            result[theme] = {
                "tenant": tenant,
                "admin": admin.email,
                "person": person.id,
                "admin_id": admin.id,
                "unit": unit.id,
                "group": group.id,
                "reset": token,
                **learning,
            }
        platform = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()
        with as_tenant(platform):
            operator = create_user(
                f"{unique_slug('op')}@atrium.example",
                "Opal Operator",
                password=PASSWORD,
                role_keys=("operator",),
            )
        from app.library import services as library

        package = library.create_package(unique_slug("pkg"), "Security Awareness Essentials")
        library.update_draft(
            package.draft,
            title="Security Awareness Essentials",
            description="",
            language="en",
            duration_minutes=5,
            category=None,
            tags="",
            lessons=[{"kind": "page", "title": "Spot the fake", "required": True, "markdown": "Look."}],
        )
        published = library.create_package(unique_slug("pkg"), "Phishing Basics")
        library.update_draft(
            published.draft,
            title="Phishing Basics",
            description="",
            language="en",
            duration_minutes=5,
            category=None,
            tags="",
            lessons=[{"kind": "page", "title": "Check the sender", "required": True, "markdown": "Look."}],
        )
        library.publish(published.draft)
        library.set_targeting(published, ["franchise"], [], False)
        result["platform"] = {
            "tenant": platform,
            "admin": operator.email,
            "package": package.id,
            "published_package": published.id,
        }
        db.session.commit()
        return result


def _furnish_learning(admin: Any, unit: Any) -> dict[str, Any]:
    """A published course with one lesson of each kind, a path, a rule, and the admin enrolled."""
    import io

    from PIL import Image

    from app.extensions import db
    from app.learning.lesson_kinds import Upload
    from app.learning.services import courses as authoring
    from app.learning.services import rules
    from app.learning.services.enrollments import enrol, enrol_in_path

    pdf = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(pdf, format="PDF")
    course = authoring.create_course(
        {
            "title": "Food Safety Basics",
            "description": "Clean, separate, cook, chill.",
            "category": "Safety",
            "tags": ["safety"],
            "duration_minutes": 20,
            "self_enroll": True,
            "listed": True,
        }
    )
    authoring.add_lesson(course, "page", "Why it matters", True, {"body": "## Clean\n\nWash your hands."}, {})
    authoring.add_lesson(
        course,
        "video",
        "Temperatures",
        True,
        {"video_url": "https://example.com/v.mp4", "transcript": "Keep hot food hot."},
        {},
    )
    authoring.add_lesson(
        course,
        "file",
        "Checklist",
        False,
        {"note": "Print it."},
        {"document_file": Upload("checklist.pdf", pdf.getvalue())},
    )
    from app.assessments import services as assessments
    from tests.assessments.conftest import QUESTIONS, wrong_answers

    bank = assessments.create_bank("Kitchen safety")
    quiz = assessments.create_quiz({"title": "Kitchen quiz", "time_limit_minutes": 30, "max_attempts": 5})
    for question in QUESTIONS:
        assessments.add_fixed_question(quiz, assessments.add_question(bank, question))
    authoring.add_lesson(course, "assessment", "Kitchen quiz", True, {"quiz_id": str(quiz.id)}, {})
    authoring.add_lesson(
        course, "page", "After the quiz", True, {"body": "Locked until the quiz is passed."}, {}
    )
    authoring.set_course_status(course, "published")
    path = authoring.create_path({"title": "Kitchen basics", "self_enroll": True})
    authoring.set_path_courses(path, [course.id])
    authoring.set_path_status(path, "published")
    enrollment, _new = enrol(admin, course)
    enrol_in_path(admin, path)
    quiz_lesson = course.lessons[3]
    failed = assessments.start_attempt(admin, quiz, enrollment_id=enrollment.id, lesson_id=quiz_lesson.id)
    assessments.submit_attempt(failed, wrong_answers(failed))
    open_attempt = assessments.start_attempt(
        admin, quiz, enrollment_id=enrollment.id, lesson_id=quiz_lesson.id
    )
    draft = rules.RuleDraft(
        name="Downtown crew",
        match="all",
        conditions=[{"field": "org_unit", "op": "is", "value": str(unit.id)}],
        course=course,
        path=None,
        due_mode="after_enrolment",
        due_days=14,
        due_date=None,
    )
    rule = rules.save_rule(None, draft)
    from app.policies.demo import code_of_conduct

    policy = code_of_conduct()
    db.session.flush()
    return {
        **_furnish_assessments(admin),
        "policy": policy.id,
        "course": course.id,
        "lessons": [lesson.id for lesson in course.lessons],
        "enrollment": enrollment.id,
        "attempts": {"submitted": failed.id, "open": open_attempt.id},
        "path": path.id,
        "rule": rule.id,
        **_furnish_policies(admin, policy.id, pdf.getvalue()),
    }


def _furnish_policies(admin: Any, policy_id: int, pdf: bytes) -> dict[str, Any]:
    """A PDF policy the admin signed, a draft version, and a course of its own with a policy lesson."""
    from app.extensions import db
    from app.learning.services import courses as authoring
    from app.learning.services.enrollments import enrol
    from app.policies import services as policies
    from app.policies.models import Policy

    policy = db.session.get(Policy, policy_id)
    assert policy is not None
    # A course of its own, so no gate of another lesson kind ever locks the policy lesson.
    course = authoring.create_course({"title": "Welcome aboard", "self_enroll": True, "listed": True})
    lesson = authoring.add_lesson(
        course, "policy", "Our Code of Conduct", True, {"policy_id": str(policy_id)}, {}
    )
    authoring.set_course_status(course, "published")
    enrollment, _new = enrol(admin, course)
    privacy = policies.create_policy("Privacy Notice")
    policies.publish_version(policies.save_draft(privacy, content="pdf", document=("privacy.pdf", pdf)))
    ack = policies.acknowledge_policy(
        admin, privacy.current_version, admin.full_name, accepted=True, ip="127.0.0.1", user_agent="axe"
    )
    policies.save_draft(policy, "## Draft\n\nA third version being written.", material=False)
    db.session.flush()
    assert policy.current_version is not None
    return {
        "policy_version": policy.current_version.id,
        "pdf_policy": privacy.id,
        "acknowledgement": ack.id,
        "policy_enrollment": enrollment.id,
        "policy_lesson": lesson.id,
    }


def _furnish_assessments(admin: Any) -> dict[str, Any]:
    """A bank with a question of each type, a quiz of fixed questions and a pool, one attempt taken."""
    from app.assessments import services as assessments
    from tests.assessments.conftest import QUESTIONS, right_answers

    bank = assessments.create_bank("Food safety", "Kitchen basics.")
    questions = {q["type"]: assessments.add_question(bank, q) for q in QUESTIONS}
    pool = assessments.create_bank("Allergens")
    for n in range(3):
        assessments.add_question(pool, {**QUESTIONS[2], "prompt": f"Statement {n + 1} is true."})
    quiz = assessments.create_quiz({"title": "Food Safety quiz", "time_limit_minutes": 20, "max_attempts": 3})
    for question in questions.values():
        assessments.add_fixed_question(quiz, question)
    assessments.add_pool(quiz, pool, 2)
    attempt = assessments.start_attempt(admin, quiz)
    assessments.submit_attempt(attempt, right_answers(attempt))
    return {"bank": bank.id, "questions": {k: q.id for k, q in questions.items()}, "quiz": quiz.id}


def _furnish_checkpoint(course_id: int, admin: Any, person: Any) -> dict[str, Any]:
    """A practical checkpoint (no gate before it) in the course, and the admin's team member enrolled."""
    from app.extensions import db
    from app.learning.services import courses as authoring
    from app.learning.services.enrollments import enrol

    # A course of its own: in the Food Safety course the checkpoint would wait behind the quiz.
    course = authoring.create_course({"title": "Fryer practice", "self_enroll": True, "listed": True})
    items = {"instructions": "At the fryer.", "items": "Shuts the fryer down\nFilters the oil safely"}
    checkpoint = authoring.add_lesson(course, "checkpoint", "Fryer safety", True, items, {})
    authoring.set_course_status(course, "published")
    enrollment, _new = enrol(person, course)
    db.session.flush()
    own, _new = enrol(admin, course)
    # A learning path the team member must finish by a date: its due date can be extended from My team.
    from datetime import date, timedelta

    from app.learning.services.enrollments import enrol_in_path

    path = authoring.create_path({"title": "Fryer path", "self_enroll": True})
    authoring.set_path_courses(path, [course.id])
    authoring.set_path_status(path, "published")
    path_enrollment, _new = enrol_in_path(person, path, due_on=date.today() + timedelta(days=10))
    return {
        "checkpoint": checkpoint.id,
        "team_enrollment": enrollment.id,
        "checkpoint_enrollment": own.id,
        "team_path_enrollment": path_enrollment.id,
    }


def _furnish_certification(course_id: int, admin: Any, person: Any) -> dict[str, Any]:
    """Food Handler: the admin holds it (awarded by hand), their team member is earning it."""
    from app.certifications.services import definitions, lifecycle

    cert = definitions.create_certification(
        {"title": "Food Handler", "validity_months": 24, "reminder_days": "60, 30, 7, 1, 0"}
    )
    definitions.set_requirements(cert, "initial", [{"kind": "course", "item_id": course_id}])
    definitions.publish(cert)
    held, _new = lifecycle.ensure_record(cert, admin)
    lifecycle.award_manually(held, by=None, note="ServSafe certificate")
    lifecycle.start(cert, person)
    return {"certification": cert.id, "certification_record": held.id}


def _furnish_partners(certification_id: int, unit: Any) -> dict[str, Any]:
    """Gold asks for two Food Handlers; Downtown is a Gold partner company (one below target)."""
    from app.partners import services as partners

    gold = partners.create_tier("Gold", 1)
    partners.create_tier("Silver", 2)
    partners.update_tier(gold, "Gold", 1, {certification_id: "2"})
    partners.assign_tier(unit.id, gold.id)
    return {"partner_tier": gold.id}


def tenant_pages(data: dict[str, Any]) -> dict[str, str]:
    """endpoint -> path, for every page of a tenant portal."""
    return {
        "accounts.sign_in": "/sign-in",
        "accounts.forgot_password": "/password/forgot",
        "accounts.reset_password": f"/password/reset/{data['reset']}",
        "accounts.home": "/",
        "accounts.account": "/account",
        "admin.users": "/admin/users",
        "admin.new_user": "/admin/users/new",
        "admin.edit_user": f"/admin/users/{data['person']}",
        "admin.org_units": "/admin/org-units",
        "admin.edit_org_unit": f"/admin/org-units/{data['unit']}",
        "admin.groups": "/admin/groups",
        "admin.edit_group": f"/admin/groups/{data['group']}",
        "admin.roles": "/admin/roles",
        "admin.audit_log": "/admin/audit",
        "admin.audit_log#filtered": "/admin/audit?from=2026-01-01&actor=a&target_type=User",
        "branding.edit": "/admin/branding",
        "learning.catalog": "/catalog",
        "learning.catalog#search": "/catalog?q=Fryer",  # a search shows courses without the paths above them
        "learning.course": f"/courses/{data['course']}",
        "learning.lesson": f"/learn/{data['enrollment']}/lessons/{data['lessons'][0]}",
        "learning.lesson#video": f"/learn/{data['enrollment']}/lessons/{data['lessons'][1]}",
        "learning.lesson#file": f"/learn/{data['enrollment']}/lessons/{data['lessons'][2]}",
        "learning.lesson#assessment": f"/learn/{data['enrollment']}/lessons/{data['lessons'][3]}",
        "learning.lesson#locked": f"/learn/{data['enrollment']}/lessons/{data['lessons'][4]}",
        "assessments.take": f"/attempts/{data['attempts']['open']}",
        "assessments.review": f"/attempts/{data['attempts']['submitted']}/review",
        "learning.path": f"/paths/{data['path']}",
        "team.index": "/team/",
        "team.person": f"/team/people/{data['person']}",
        "team.person#full": f"/team/people/{data['admin_id']}",
        "checkpoints.index": "/team/checkpoints/",
        "compliance_rollup.locations": "/team/compliance/locations",
        "compliance_rollup.locations#tree": "/team/compliance/locations?view=tree",
        "compliance.extend_due_date": f"/team/compliance/enrollments/{data['team_enrollment']}/due-date",
        "compliance.extend_path_due_date": (
            f"/team/compliance/path-enrollments/{data['team_path_enrollment']}/due-date"
        ),
        "checkpoints.sign_off": f"/team/checkpoints/{data['team_enrollment']}/{data['checkpoint']}",
        "learning.lesson#checkpoint": f"/learn/{data['checkpoint_enrollment']}/lessons/{data['checkpoint']}",
        "authoring.courses": "/admin/courses",
        "authoring.new_course": "/admin/courses/new",
        "authoring.edit_course": f"/admin/courses/{data['course']}",
        "authoring.new_lesson": f"/admin/courses/{data['course']}/lessons/new?kind=video",
        "authoring.new_lesson#file": f"/admin/courses/{data['course']}/lessons/new?kind=file",
        "authoring.edit_lesson": f"/admin/courses/{data['course']}/lessons/{data['lessons'][0]}",
        "authoring.course_enrollments": f"/admin/courses/{data['course']}/enrollments",
        "authoring.rules": "/admin/rules",
        "authoring.edit_rule": f"/admin/rules/{data['rule']}",
        "authoring.paths": "/admin/paths",
        "authoring.edit_path": f"/admin/paths/{data['path']}",
        "authoring.path_enrollments": f"/admin/paths/{data['path']}/enrollments",
        "library.tenant_deployments": "/admin/library",
        "policies.policy": f"/policies/{data['policy']}",
        "assessment_admin.quizzes": "/admin/quizzes",
        "assessment_admin.new_quiz": "/admin/quizzes/new",
        "assessment_admin.edit_quiz": f"/admin/quizzes/{data['quiz']}",
        "assessment_admin.quiz_results": f"/admin/quizzes/{data['quiz']}/results",
        "assessment_admin.banks": "/admin/quizzes/banks",
        "assessment_admin.new_bank": "/admin/quizzes/banks/new",
        "assessment_admin.bank": f"/admin/quizzes/banks/{data['bank']}",
        **{
            f"assessment_admin.new_question#{kind}": f"/admin/quizzes/banks/{data['bank']}/questions/new"
            f"?type={kind}"
            for kind in data["questions"]
        },
        **{
            f"assessment_admin.edit_question#{kind}": f"/admin/quizzes/questions/{question_id}"
            for kind, question_id in data["questions"].items()
        },
        "policies.policy#pdf": f"/policies/{data['pdf_policy']}",
        "policies.receipt_status": f"/policies/receipts/{data['acknowledgement']}/status",
        "learning.lesson#policy": f"/learn/{data['policy_enrollment']}/lessons/{data['policy_lesson']}",
        "authoring.new_lesson#policy": f"/admin/courses/{data['course']}/lessons/new?kind=policy",
        "policy_admin.index": "/admin/policies/",
        "policy_admin.new_policy": "/admin/policies/new",
        "policy_admin.detail": f"/admin/policies/{data['policy']}",
        "policy_admin.edit_draft": f"/admin/policies/{data['policy']}/draft",
        "policy_admin.report": f"/admin/policies/{data['policy']}/versions/{data['policy_version']}",
        "certifications.mine": "/certifications",
        "certification_admin.index": "/admin/certifications/",
        "certification_admin.new": "/admin/certifications/new",
        "certification_admin.detail": f"/admin/certifications/{data['certification']}",
        "certification_admin.edit": f"/admin/certifications/{data['certification']}/edit",
        "certification_admin.requirements": f"/admin/certifications/{data['certification']}/requirements",
        "certification_admin.people": f"/admin/certifications/{data['certification']}/people",
        "certification_admin.record": f"/admin/certifications/{data['certification']}/people/"
        f"{data['certification_record']}",
        "certification_admin.award": f"/admin/certifications/{data['certification']}/award",
        "certification_admin.import_awards": f"/admin/certifications/{data['certification']}/import",
        "partners.program": "/partners/program",
        "partners.company": f"/partners/program/companies/{data['unit']}",
        "partner_admin.index": "/admin/partners/",
        "partner_admin.tier": f"/admin/partners/tiers/{data['partner_tier']}",
        "certificates.verify_form": "/verify",
        "certificates.verify": f"/verify/{data['certificate']}",
        "crew.device": "/crew",
        "crew.device#badge": f"/crew?badge={data['crew_badge']}",
        "crew.choose_pin": "/crew/pin",
        "crew.team": "/team/crew",
        "crew.set_pin": f"/team/crew/{data['person']}/pin",
        "crew.new_member": "/team/crew/new",
        "identity.admin": "/admin/sign-in",
        "integrations.index": "/admin/integrations",
        "identity.provider": f"/admin/sign-in/providers/{data['oidc_provider']}",
        "identity_oidc.add": "/admin/sign-in/oidc/new",
        "identity_oidc.settings": f"/admin/sign-in/oidc/{data['oidc_provider']}",
        "identity_ldap.add": "/admin/sign-in/ldap/new",
        "identity_ldap.settings": f"/admin/sign-in/ldap/{data['ldap_directory']}",
        "identity_ldap.test_sign_in": f"/admin/sign-in/ldap/{data['ldap_directory']}/test-sign-in",
        "saml.add": "/admin/sign-in/saml/new",
        "saml.settings": f"/admin/sign-in/providers/{data['saml_provider']}/saml",
        "syncs.new_source": "/admin/integrations/syncs/new",
        "syncs.source": f"/admin/integrations/syncs/{data['sync_source']}",
        "syncs.run": f"/admin/integrations/syncs/runs/{data['sync_run']}",
        "scim_admin.new_token": "/admin/integrations/scim/tokens/new",
        "scim_admin.token": f"/admin/integrations/scim/tokens/{data['scim_token']}",
        "reports.index": "/reports/",
        "reports.show": "/reports/completions",
        "reports.show#drop_off": "/reports/drop_off",
        "reports.export_status": f"/reports/exports/{data['report_export']}",
        "terminology.index": "/admin/terminology?locale=en&q=sign",
        "terminology.edit": "/admin/terminology/en/message?msgid=%25(num)d+person+added+to+%25(name)s.",
        "terminology.import_file": "/admin/terminology/en/import",
        "translations.index": "/admin/translations/?locale=ar",
        "translations.edit": f"/admin/translations/course/{data['course']}/ar",
        "translations.export": "/admin/translations/export?locale=es",
        "translations.import_file": "/admin/translations/import",
    }


def _furnish_report(admin: Any) -> int:
    """A saved report sent weekly to the admin, and a finished export of it (its page has a download)."""
    from app.reports import services as reports
    from app.reports.registry import Filters, get_report

    report = get_report("overdue")
    saved = reports.save_report(
        admin, report, Filters(), name="Overdue this week", schedule="weekly", recipients=admin.email
    )
    return reports.request_export(admin, report, "csv", Filters(), saved=saved).id


def _furnish_ldap_directory() -> int:
    """An LDAP directory (its pages show saved settings; nothing connects to it)."""
    from app.identity.ldap.services import add_directory

    provider = add_directory(
        "Head office directory",
        "",
        ["corp.example"],
        {
            "url": "ldaps://ldap.corp.example",
            "bind_dn": "cn=atrium,ou=services,dc=corp,dc=example",
            "user_base": "ou=people,dc=corp,dc=example",
        },
        "service-password",
    )
    return provider.id


def _furnish_sync() -> tuple[int, int]:
    """An HR source and a previewed run of it with one of each change (a hire, a mover, a conflict)."""
    from app.extensions import db
    from app.syncs.models import RunStatus, SyncRun, SyncSource
    from app.syncs.services import preview
    from app.syncs.services.fields import default_mapping

    source = SyncSource(
        name="Payroll export", kind="csv", mapping=default_mapping(), terminated_values=["left"]
    )
    db.session.add(source)
    db.session.flush()
    run = SyncRun(source_id=source.id)
    db.session.add(run)
    db.session.flush()
    rows = [
        {
            "employee_id": "S-1",
            "email": "sasha.new@example.com",
            "full_name": "Sasha New",
            "location": "Depot",
        },
        {"employee_id": "S-2", "email": "sasha.new@example.com", "full_name": "Sasha Twin"},
        {"employee_id": "", "email": "", "full_name": "Nobody"},
    ]
    preview.preview(run, rows)
    run.status = RunStatus.preview_ready.value
    return source.id, run.id


def _furnish_crew(person: Any) -> str:
    """Badge sign-in on, the person with an employee ID, a PIN and a badge; the badge's token."""
    from app.accounts.services import update_user
    from app.crew import services as crew
    from app.identity import services as identity

    identity.save_settings(
        default_provider_id=None,
        break_glass_emails=[],
        require_two_step_for_admins=False,
        badge_sign_in=True,
        shared_device_idle_minutes=3,
    )
    update_user(person, employee_id="E100")
    crew.set_pin(person, "4816", by=None)
    return crew.issue_badge(person, by=None)


def _furnish_certificate(person: Any) -> str:
    """A certificate of the person, as a certification award makes it; its serial."""
    from app.certificates import services

    certificate = services.record_award(
        {
            "record_id": 1,
            "user_id": person.id,
            "certification_id": 1,
            "certification_title": "Food Handler",
            "cycle": 1,
            "awarded_at": "2026-12-01T09:00:00+00:00",
            "expires_at": None,
            "reason": None,
        }
    )
    return certificate.serial


CONSOLE_PAGES = {
    "console.tenants": "/console/",
    "library.console_packages": "/console/library",
    "console.usage": "/console/usage",
}
SIGNED_OUT = {
    "accounts.sign_in",
    "accounts.forgot_password",
    "accounts.reset_password",
    "certificates.verify_form",
    "certificates.verify",
    "crew.device",
    "crew.device#badge",
}


def test_every_page_is_in_the_accessibility_walk(app, furnished):
    walked = {e.split("#")[0] for e in tenant_pages(furnished["warm"])} | set(CONSOLE_PAGES)
    walked |= {
        "library.console_package",
        "library.console_publish",
        "library.console_deploy_matching",
        "console.suspend_tenant",
    }
    # Redirects, not pages: resume goes to a lesson; a console package page is walked below.
    walked |= {"learning.resume", "reports.open_saved"}
    # Two-step sign-in's pages need a sign-in half done or the app set up: tests/browser/test_two_step.py.
    walked |= {"two_step.verify", "two_step.enrol", "two_step.account_enrol", "two_step.turn_off"}
    get_endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint not in NOT_PAGES
    }
    assert get_endpoints - walked == set(), "add these pages to the accessibility walk"


def _walk(portal, pages: dict[str, str], email: str) -> dict[str, list]:
    failures: dict[str, list] = {}
    for endpoint in sorted(pages, key=lambda e: e not in SIGNED_OUT):  # signed-out pages first
        # The sign-in page, not the Sign-in admin page (/admin/sign-in) of someone signed in.
        if endpoint not in SIGNED_OUT and urlsplit(portal.page.url or "/sign-in").path == "/sign-in":
            portal.sign_in(email)
        response = portal.go(pages[endpoint])
        # A locked lesson is a real page that says what unlocks it, answered with 403.
        expected = {403} if endpoint.endswith("#locked") else set(range(200, 400))
        assert response.status in expected, f"{pages[endpoint]} answered {response.status}"
        problems = portal.axe_violations()
        if portal.page.viewport_size["width"] <= 360:
            problems += portal.sideways_problems()
        if problems:
            failures[pages[endpoint]] = problems
    return failures


@pytest.mark.parametrize("width", [1280, 360])
@pytest.mark.parametrize("theme,locale", [("warm", "en-US"), ("midnight", "en-US"), ("warm", "ar")])
def test_pages_have_no_wcag_violations(portal_for, furnished, theme, locale, width):
    data = furnished[theme]
    portal = portal_for(data["tenant"], width=width, locale=locale)
    failures = _walk(portal, tenant_pages(data), data["admin"])
    if locale == "ar":
        assert portal.page.get_attribute("html", "dir") == "rtl"
    assert not failures, failures


@pytest.mark.parametrize("width", [1280, 360])
def test_platform_console_has_no_wcag_violations(portal_for, furnished, width):
    data = furnished["platform"]
    portal = portal_for(data["tenant"], width=width)
    pages = {
        "accounts.sign_in": "/sign-in",
        **CONSOLE_PAGES,
        "library.console_package": f"/console/library/{data['package']}",
        "library.console_publish": f"/console/library/{data['package']}/publish",
        "library.console_deploy_matching": f"/console/library/{data['published_package']}/deploy-matching",
        "console.suspend_tenant": f"/console/tenants/{furnished['warm']['tenant'].id}/suspend",
    }
    failures = _walk(portal, pages, data["admin"])
    assert not failures, failures


def test_error_pages_have_no_wcag_violations(portal_for, furnished):
    portal = portal_for(furnished["warm"]["tenant"])
    assert portal.go("/no-such-page").status == 404
    assert portal.axe_violations() == []


def test_form_errors_are_announced_and_linked_to_their_fields(portal_for, furnished):
    data = furnished["warm"]
    portal = portal_for(data["tenant"], width=360)
    portal.sign_in(data["admin"])
    portal.go("/admin/users/new")
    portal.page.fill("#full_name", "Someone New")
    portal.page.fill("#email", "not-an-email")
    with portal.page.expect_navigation():
        portal.page.locator("main form button[type=submit]").click()
    summary = portal.page.locator("#error-summary")
    assert summary.is_visible()
    assert portal.page.evaluate("() => document.activeElement.id") == "error-summary"
    link = summary.locator("a[href='#email']")
    assert "valid email address" in link.inner_text()
    assert portal.page.get_attribute("#email", "aria-invalid") == "true"
    assert portal.page.input_value("#full_name") == "Someone New"
    assert portal.axe_violations() == []


VNU = Path(__file__).resolve().parents[2] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def _page_sources(app: Any, tenant: Any, pages: dict[str, str], email: str, locale: str) -> dict[str, str]:
    """The HTML the server sends for each page (signed out first, then signed in), keyed by path."""
    from tests.conftest import HostClient, finish_two_step, sign_in, tenant_host

    app.test_client_class = HostClient
    client = app.test_client()
    client.host = tenant_host(tenant)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = locale
    client.environ_base["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.1.2"
    sources = {}
    signed_in = False
    for endpoint in sorted(pages, key=lambda e: e not in SIGNED_OUT):
        if endpoint not in SIGNED_OUT and not signed_in:
            response = sign_in(client, email)
            assert response.status_code == 302
            finish_two_step(client, response, tenant, email)  # operators must use two-step
            signed_in = True
        response = client.get(pages[endpoint])
        assert response.status_code in (200, 403), f"{pages[endpoint]} answered {response.status_code}"
        sources[f"{locale} {pages[endpoint]}"] = response.get_data(as_text=True)
    return sources


@pytest.mark.skipif(not VNU.exists() or not shutil.which("java"), reason="needs java and vnu-jar (make test)")
def test_every_page_is_valid_html(app, furnished, tmp_path):
    sources: dict[str, str] = {}
    for theme, locale in (("warm", "en"), ("midnight", "ar")):
        data = furnished[theme]
        sources |= _page_sources(app, data["tenant"], tenant_pages(data), data["admin"], locale)
    platform = furnished["platform"]
    console = {
        "accounts.sign_in": "/sign-in",
        **CONSOLE_PAGES,
        "library.console_package": f"/console/library/{platform['package']}",
    }
    sources |= _page_sources(app, platform["tenant"], console, platform["admin"], "en")
    names = {}
    for n, (page, html) in enumerate(sources.items()):
        (tmp_path / f"page{n}.html").write_text(html)
        names[f"page{n}.html"] = page
    # One Java run for every page: starting the checker costs more than checking a page. The checker
    # does not know htmx's hx-* attributes (our documented enhancement); every other error counts.
    htmx = ".*Attribute “hx-[a-z-]+” not allowed on element .*"
    result = subprocess.run(
        [
            "java",
            "-jar",
            str(VNU),
            "--errors-only",
            "--format",
            "json",
            "--filterpattern",
            htmx,
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(result.stderr or "{}").get("messages", [])
    errors = sorted(
        {f"{names.get(Path(m.get('url', '')).name, m.get('url'))}: {m['message']}" for m in messages}
    )
    assert not errors, "\n".join(errors)
