"""DESIGN.md, tenancy point 8: every route that takes an object id refuses another tenant's object.

The test walks the application's URL map. A new route whose id argument is
not in OBJECT_FACTORIES makes this test fail until a factory is added, so no
route escapes the check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.accounts.services import add_group_members, create_group, create_org_unit
from app.accounts.sessions import start_session
from app.tenancy import as_tenant

# Routes served only at the root domain (the platform console) are 404 on a
# tenant host whatever the id; they are listed so the check still covers them.
PLATFORM_ONLY_PREFIXES = ("console.", "library.console_")


def _foreign_objects(db: Any, tenant: Any, user_factory: Callable[..., Any]) -> dict[str, int]:
    member = user_factory(tenant)
    with as_tenant(tenant):
        unit = create_org_unit("Foreign location", "location")
        group = create_group("Foreign group")
        db.session.flush()
        add_group_members(group, [member.id])
        signed_in_member = db.session.merge(member)
        start_session(signed_in_member, ip="192.0.2.1", user_agent="Foreign browser")
        signed_in = signed_in_member.current_session
        db.session.commit()
    deployment_id, package_id = _foreign_library_deployment(db, tenant)
    learning = _foreign_learning(db, tenant, member, unit)
    return {
        "user_id": member.id,
        "session_id": signed_in.id if signed_in else 0,
        "unit_id": unit.id,
        "group_id": group.id,
        "tenant_id": tenant.id,
        "package_id": package_id,
        "deployment_id": deployment_id,
        **learning,
        # Admin → Translations takes a kind and an item id; with item_kind "course" that is the course.
        "item_id": learning["course_id"],
        **_foreign_assessments(db, tenant),
        **_foreign_certification(db, tenant, member, learning["course_id"]),
        **_foreign_identity_provider(db, tenant),
        **_foreign_inbox_message(db, tenant, member),
        **_foreign_sync(db, tenant),
        **_foreign_scim_token(db, tenant),
        **_foreign_partner_company(db, tenant, unit),
        **_foreign_reports(db, tenant, member),
    }


def _foreign_partner_company(db: Any, tenant: Any, unit: Any) -> dict[str, int]:
    """A partner tier of *tenant*, with the foreign unit as a company in it."""
    from app.partners import services as partners

    with as_tenant(tenant):
        tier = partners.create_tier("Foreign tier", 1)
        db.session.flush()
        partners.assign_tier(unit.id, tier.id)
        db.session.commit()
        return {"tier_id": tier.id}


def _foreign_reports(db: Any, tenant: Any, member: Any) -> dict[str, int]:
    """A saved report of *tenant* and an export of it (their pages, the download, deleting)."""
    from app.reports.models import ReportExport, SavedReport

    with as_tenant(tenant):
        saved = SavedReport(name="Foreign report", report_key="overdue", filters={}, owner_id=member.id)
        db.session.add(saved)
        db.session.flush()
        export = ReportExport(requested_by_id=member.id, report_key="overdue", format="csv", filters={})
        db.session.add(export)
        db.session.commit()
        return {"saved_id": saved.id, "export_id": export.id}


def _foreign_sync(db: Any, tenant: Any) -> dict[str, int]:
    """An HR source of *tenant* with a previewed run waiting to be applied."""
    from app.syncs.models import RunStatus, SyncRun, SyncSource

    with as_tenant(tenant):
        source = SyncSource(name="HR", kind="csv")
        db.session.add(source)
        db.session.flush()
        run = SyncRun(source_id=source.id, status=RunStatus.preview_ready.value, counts={"create": 0})
        db.session.add(run)
        db.session.commit()
        return {"source_id": source.id, "run_id": run.id}


def _foreign_identity_provider(db: Any, tenant: Any) -> dict[str, int]:
    """An identity provider of *tenant* (any kind: the common pages and routes take its id)."""
    from app.identity import services as identity

    with as_tenant(tenant):
        provider = identity.create_provider("saml", "Foreign SSO", domains=["foreign.example"])
        db.session.commit()
        return {"provider_id": provider.id}


def _foreign_scim_token(db: Any, tenant: Any) -> dict[str, int]:
    """A SCIM token of *tenant* (its page shows its operations log; revoking it is a POST)."""
    from app.scim import services as scim

    with as_tenant(tenant):
        token, _secret = scim.create_token("Foreign Entra ID")
        db.session.commit()
        return {"token_id": token.id}


def _foreign_inbox_message(db: Any, tenant: Any, member: Any) -> dict[str, int]:
    """A message in the inbox of *member* of *tenant* (mail for a person without email)."""
    from app.inbox.services import deliver

    with as_tenant(tenant):
        message = deliver(db.session.merge(member), "Foreign message", "Theirs")
        db.session.commit()
        return {"message_id": message.id}


def _foreign_certification(db: Any, tenant: Any, member: Any, course_id: int) -> dict[str, int]:
    """A published certification in *tenant*, awarded to *member* by hand."""
    from app.certifications.services import definitions, lifecycle

    with as_tenant(tenant):
        cert = definitions.create_certification({"title": "Foreign certification", "validity_months": 12})
        definitions.set_requirements(cert, "initial", [{"kind": "course", "item_id": course_id}])
        definitions.publish(cert)
        record, _new = lifecycle.ensure_record(cert, db.session.merge(member))
        lifecycle.award_manually(record, by=None, note="Theirs")
        db.session.commit()
        return {"certification_id": cert.id, "record_id": record.id}


def _foreign_learning(db: Any, tenant: Any, member: Any, unit: Any) -> dict[str, int]:
    """A course with a lesson, an enrollment, a path and a rule in *tenant*."""
    from app.learning.services import courses as authoring
    from app.learning.services import rules
    from app.learning.services.enrollments import enrol

    with as_tenant(tenant):
        course = authoring.create_course({"title": "Foreign course", "self_enroll": True, "listed": True})
        authoring.add_lesson(course, "page", "Foreign lesson", True, {"body": "Theirs."}, {})
        # The lesson id used on every route is a practical checkpoint, so the sign-off route has a real one.
        checkpoint = authoring.add_lesson(
            course, "checkpoint", "Foreign checkpoint", True, {"items": "Theirs"}, {}
        )
        authoring.set_course_status(course, "published")
        enrollment, _new = enrol(db.session.merge(member), course)
        path = authoring.create_path({"title": "Foreign path", "self_enroll": True})
        authoring.set_path_courses(path, [course.id])
        authoring.set_path_status(path, "published")
        from app.learning.services.enrollments import enrol_in_path

        path_enrollment, _new = enrol_in_path(db.session.merge(member), path)
        rule = rules.save_rule(
            None,
            rules.RuleDraft(
                name="Foreign rule",
                match="all",
                course=course,
                path=None,
                due_mode="none",
                due_days=None,
                due_date=None,
                conditions=[{"field": "org_unit", "op": "is", "value": str(unit.id)}],
            ),
        )
        from app.policies import services as policies
        from app.policies.demo import code_of_conduct

        policy = code_of_conduct()
        attempt = _foreign_attempt(db.session.merge(member), enrollment)
        signer = db.session.merge(member)
        ack = policies.acknowledge_policy(
            signer, policy.current_version, signer.full_name, accepted=True, ip=None, user_agent=None
        )
        db.session.commit()
        return {
            "attempt_id": attempt.id,
            "policy_id": policy.id,
            "version_id": policy.current_version.id,
            "acknowledgement_id": ack.id,
            "course_id": course.id,
            "lesson_id": checkpoint.id,
            "enrollment_id": enrollment.id,
            "path_id": path.id,
            "path_enrollment_id": path_enrollment.id,
            "rule_id": rule.id,
        }


def _foreign_attempt(member: Any, enrollment: Any) -> Any:
    """A quiz attempt in progress, in an assessment lesson of the foreign course."""
    from app.assessments import services as assessments
    from app.learning.services import courses as authoring
    from tests.assessments.conftest import QUESTIONS

    bank = assessments.create_bank("Foreign attempt bank")
    quiz = assessments.create_quiz({"title": "Foreign attempt quiz"})
    assessments.add_fixed_question(quiz, assessments.add_question(bank, QUESTIONS[0]))
    lesson = authoring.add_lesson(
        enrollment.course, "assessment", "Foreign quiz", True, {"quiz_id": str(quiz.id)}, {}
    )
    return assessments.start_attempt(member, quiz, enrollment_id=enrollment.id, lesson_id=lesson.id)


def _foreign_assessments(db: Any, tenant: Any) -> dict[str, int]:
    """A question bank with a question, and a quiz with that question as a part, in *tenant*."""
    from app.assessments import services as assessments

    with as_tenant(tenant):
        bank = assessments.create_bank("Foreign bank")
        question = assessments.add_question(
            bank, {"type": "true_false", "prompt": "Theirs?", "answer": "true"}
        )
        quiz = assessments.create_quiz({"title": "Foreign quiz"})
        section = assessments.add_fixed_question(quiz, question)
        db.session.commit()
        return {"bank_id": bank.id, "question_id": question.id, "quiz_id": quiz.id, "section_id": section.id}


def _foreign_library_deployment(db: Any, tenant: Any) -> tuple[int, int]:
    """A library package (global, console-only routes) deployed to *tenant*; not deployed automatically."""
    import uuid

    from app.library import services as library

    package = library.create_package(f"isolation-{uuid.uuid4().hex[:8]}", "Foreign library course")
    library.update_draft(
        package.draft,
        title="Foreign library course",
        description="",
        language="en",
        duration_minutes=0,
        category=None,
        tags=(),
        lessons=[{"kind": "page", "title": "Only theirs", "required": True, "markdown": "Theirs."}],
    )
    library.publish(package.draft)
    deployment = library.deploy(package, tenant)
    db.session.commit()
    return deployment.id, package.id


# Route arguments that are not object ids, with a valid value.
OTHER_ARGUMENTS = {
    "position": 1,
    "part": "video",
    "kind": "logo",
    "token": "x",
    "filename": "theme.css",
    "theme": "warm",
    "item_kind": "course",
    "locale": "es",
}

OBJECT_FACTORIES = {
    "user_id",
    "unit_id",
    "group_id",
    "tenant_id",
    "package_id",
    "deployment_id",
    "course_id",
    "lesson_id",
    "enrollment_id",
    "path_id",
    "path_enrollment_id",
    "rule_id",
    "policy_id",
    "attempt_id",
    "bank_id",
    "question_id",
    "quiz_id",
    "section_id",
    "version_id",
    "acknowledgement_id",
    "session_id",
    "certification_id",
    "record_id",
    "provider_id",
    "message_id",
    "source_id",
    "run_id",
    "token_id",
    "tier_id",
    "saved_id",
    "export_id",
    "item_id",
}


def _routes_with_ids(app: Any) -> list[Any]:
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        id_args = [a for a in rule.arguments if a.endswith("_id")]
        if id_args:
            rules.append(rule)
    return rules


def test_every_id_argument_has_a_factory(app):
    unknown = {
        (rule.rule, arg)
        for rule in _routes_with_ids(app)
        for arg in rule.arguments
        if arg.endswith("_id") and arg not in OBJECT_FACTORIES
    }
    assert not unknown, f"add these id arguments to OBJECT_FACTORIES: {sorted(unknown)}"


def test_another_tenants_object_is_404_on_every_route(app, db, tenant_factory, user_factory, client_for):
    home, foreign = tenant_factory(), tenant_factory()
    ids = _foreign_objects(db, foreign, user_factory)
    admin = user_factory(home, roles=("tenant_admin", "learner"))
    client = client_for(home, admin)
    app.config["WTF_CSRF_ENABLED"] = False
    checked = []
    try:
        for rule in _routes_with_ids(app):
            values = {arg: ids.get(arg, OTHER_ARGUMENTS.get(arg)) for arg in rule.arguments}
            path = rule.build(values)[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method, data={})
                assert response.status_code == 404, (
                    f"{method} {path} ({rule.endpoint}) gave {response.status_code}"
                )
                checked.append((method, rule.endpoint))
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert len(checked) >= 8
    # The foreign objects were not touched by any of those requests.
    from app.accounts.models import Group, User

    with as_tenant(foreign):
        db.session.expire_all()
        assert db.session.get(User, ids["user_id"]).status == "active"
        from app.accounts.models import UserSession

        assert db.session.get(UserSession, ids["session_id"]).revoked_at is None
        assert len(db.session.get(Group, ids["group_id"]).memberships) == 1
        from app.learning.models import Course, Enrollment

        assert db.session.get(Course, ids["course_id"]).status == "published"
        assert db.session.get(Enrollment, ids["enrollment_id"]).withdrawn_at is None
        from app.learning.models import PathEnrollment

        assert db.session.get(PathEnrollment, ids["path_enrollment_id"]).due_on is None
        from app.assessments.models import Question, QuestionBank, Quiz

        assert db.session.get(QuestionBank, ids["bank_id"]).title == "Foreign bank"
        assert db.session.get(Question, ids["question_id"]).active
        assert len(db.session.get(Question, ids["question_id"]).revisions) == 1
        assert len(db.session.get(Quiz, ids["quiz_id"]).sections) == 1
        from app.certifications.models import Certification, CertificationRecord

        assert db.session.get(Certification, ids["certification_id"]).status == "published"
        assert db.session.get(CertificationRecord, ids["record_id"]).state == "certified"
        from app.identity.models import IdentityProvider

        foreign_provider = db.session.get(IdentityProvider, ids["provider_id"])
        assert foreign_provider.name == "Foreign SSO" and foreign_provider.deactivated_at is None
        from app.syncs.models import SyncRun, SyncSource

        assert db.session.get(SyncSource, ids["source_id"]).deactivated_at is None
        assert db.session.get(SyncRun, ids["run_id"]).status == "preview_ready"
        from app.inbox.models import InboxMessage

        assert db.session.get(InboxMessage, ids["message_id"]).read_at is None
        from app.scim.models import ScimToken

        assert db.session.get(ScimToken, ids["token_id"]).revoked_at is None
        from sqlalchemy import select

        from app.partners.models import PartnerCompany, PartnerTier

        assert db.session.get(PartnerTier, ids["tier_id"]).name == "Foreign tier"
        assert db.session.scalars(
            select(PartnerCompany).where(PartnerCompany.org_unit_id == ids["unit_id"])
        ).one()
        from app.reports.models import SavedReport

        assert db.session.get(SavedReport, ids["saved_id"]) is not None


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users/{user_id}",
        "/admin/groups/{group_id}",
        "/admin/org-units/{unit_id}",
        "/admin/courses/{course_id}",
        "/admin/courses/{course_id}/lessons/{lesson_id}",
        "/courses/{course_id}",
        "/admin/paths/{path_id}",
        "/admin/rules/{rule_id}",
        "/admin/courses/{course_id}/enrollments",
        "/admin/quizzes/banks/{bank_id}",
        "/admin/quizzes/banks/{bank_id}/questions/new?type=matching",
        "/admin/quizzes/questions/{question_id}",
        "/admin/quizzes/{quiz_id}",
        "/admin/quizzes/{quiz_id}/results",
        "/team/checkpoints/{enrollment_id}/{lesson_id}",
        "/team/people/{user_id}",
        "/admin/policies/{policy_id}",
        "/admin/policies/{policy_id}/versions/{version_id}",
        "/admin/certifications/{certification_id}",
        "/admin/certifications/{certification_id}/requirements",
        "/admin/certifications/{certification_id}/people",
        "/admin/certifications/{certification_id}/people/{record_id}",
        "/admin/certifications/{certification_id}/award",
        "/admin/certifications/{certification_id}/import",
        "/admin/certifications/{certification_id}/edit",
        "/admin/partners/tiers/{tier_id}",
        "/partners/program/companies/{unit_id}",
        "/reports/exports/{export_id}",
    ],
)
def test_own_objects_open_normally(path, db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    ids = _foreign_objects(db, tenant, user_factory)
    admin = user_factory(tenant, roles=("tenant_admin",))
    response = client_for(tenant, admin).get(path.format(**ids))
    assert response.status_code == 200
