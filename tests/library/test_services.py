"""The content library: immutable versions, drafts, publishing, targeting, deployments, upgrades, hiding."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.errors import ValidationError
from app.learning.models import Course, Enrollment
from app.learning.services import enrollments
from app.library import services
from app.library.models import LibraryDeployment
from app.tenancy import as_tenant
from app.tenancy.models import Tenant
from tests.conftest import unique_slug
from tests.library.conftest import PAGE, VIDEO, draft_fields


def _deployment(tenant, package):
    with as_tenant(tenant):
        return services.find_deployment(package)


def _course(tenant, deployment):
    with as_tenant(tenant):
        return services.course_for(deployment)


def test_a_new_package_starts_as_draft_version_1(db, package_factory):
    package = package_factory(publish=False)
    assert [v.number for v in package.versions] == [1]
    assert package.draft is package.versions[0]
    assert package.latest_published is None


def test_a_published_version_cannot_be_changed(db, package_factory):
    package = package_factory()
    version = package.latest_published
    with pytest.raises(ValidationError, match="published and cannot be changed"):
        services.update_draft(version, **draft_fields(version, title="Rewritten", lessons=[PAGE]))
    db.session.flush()
    db.session.expire(version)
    assert version.title == "Security basics"
    assert [lesson["title"] for lesson in version.lessons] == [PAGE["title"], VIDEO["title"]]
    assert version.is_published


def test_code_that_bypasses_the_service_cannot_change_a_published_version(db, package_factory):
    package = package_factory()
    version = package.latest_published
    version.title = "Sneaky edit"
    with pytest.raises(services.PublishedVersionChanged):
        db.session.flush()
    db.session.rollback()


def test_editing_a_published_package_starts_a_new_draft_copied_from_it(db, package_factory):
    package = package_factory()
    first = package.latest_published
    draft = services.start_new_draft(package)
    assert draft.number == 2 and not draft.is_published
    assert draft.lessons == first.lessons and draft.title == first.title
    assert services.start_new_draft(package) is draft  # one draft at a time
    services.update_draft(draft, **draft_fields(draft, title="Security basics, revised", lessons=[PAGE]))
    assert first.title == "Security basics" and len(first.lessons) == 2
    assert package.latest_published is first  # the draft is not what tenants get


def test_publishing_makes_the_version_current_and_is_audited_in_the_platform_log(
    db, package_factory, platform
):
    package = package_factory(publish=False)
    draft = package.draft
    services.publish(draft)
    assert draft.is_published and draft.published_at is not None
    assert package.latest_published is draft and package.draft is None
    with as_tenant(platform):
        recorded = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "library.version_published", AuditEvent.target_id == str(package.id)
            )
        ).all()
    assert len(recorded) == 1 and recorded[0].after["number"] == 1
    with pytest.raises(ValidationError):
        services.publish(draft)


def test_a_version_needs_a_lesson_to_be_published(db, package_factory):
    package = package_factory(lessons=[], publish=False)
    with pytest.raises(ValidationError) as refused:
        services.publish(package.draft)
    assert refused.value.field == "lessons"
    assert not package.draft.is_published


@pytest.mark.parametrize(
    ("lesson", "field"),
    [
        ({**PAGE, "kind": "scorm"}, "lessons-1-kind"),
        ({**PAGE, "title": "  "}, "lessons-1-title"),
        ({**PAGE, "markdown": ""}, "lessons-1-markdown"),
        ({**VIDEO, "url": "http://videos.example.com/a.mp4"}, "lessons-1-url"),
        ({**VIDEO, "url": "javascript:alert(1)"}, "lessons-1-url"),
    ],
)
def test_bad_lessons_are_refused_and_the_draft_is_unchanged(db, package_factory, lesson, field):
    package = package_factory(publish=False)
    draft = package.draft
    with pytest.raises(ValidationError) as refused:
        services.update_draft(draft, **draft_fields(draft, title="Changed", lessons=[PAGE, lesson]))
    assert refused.value.field == field
    assert draft.title == "Security basics" and len(draft.lessons) == 2


def test_deploy_materialises_a_published_course_with_the_versions_lessons(
    db, tenant_factory, package_factory
):
    tenant = tenant_factory()
    package = package_factory()
    version = package.latest_published
    deployment = services.deploy(package, tenant)
    with as_tenant(tenant):
        course = services.course_for(deployment)
        assert deployment.version_id == version.id and not deployment.automatic
        assert (course.title, course.status, course.listed, course.self_enroll, course.visibility) == (
            "Security basics",
            "published",
            True,
            True,
            "everyone",
        )
        assert course.library_version_id == version.id and course.from_library
        page, video = course.lessons
        assert (page.kind, page.title, page.position, page.library_version_id) == (
            "page",
            "Spot the fake",
            1,
            version.id,
        )
        assert page.content == {
            "markdown": PAGE["markdown"],
            "html": "<p>Check the <strong>sender</strong>.</p>\n",
        }
        assert video.content == {
            "url": VIDEO["url"],
            "captions_language": "en",
            "transcript": "A narrator explains.",
        }
        assert video.required is False
        # Deploying again changes nothing.
        assert services.deploy(package, tenant) is deployment
        assert len(db.session.scalars(select(Course).where(Course.deployment_id == deployment.id)).all()) == 1


def test_an_unpublished_package_cannot_be_deployed(db, tenant_factory, package_factory):
    tenant = tenant_factory()
    package = package_factory(publish=False)
    with pytest.raises(ValidationError):
        services.deploy(package, tenant)
    assert _deployment(tenant, package) is None


def test_deploying_to_matching_tenants_follows_audience_and_tier(db, tenant_factory, package_factory):
    tier = unique_slug("tier")
    employees = tenant_factory(audience="employees", partner_tier=tier)
    customers = tenant_factory(audience="customers", partner_tier=tier)
    partners = tenant_factory(audience="partners", partner_tier=tier)
    other_tier = tenant_factory(audience="employees", partner_tier=unique_slug("tier"))
    suspended = tenant_factory(audience="employees", partner_tier=tier)
    from app.console.services import suspend_tenant

    suspend_tenant(suspended)
    package = package_factory(audiences=("employees", "customers"), partner_tiers=(tier,))
    reached = services.deploy_to_matching_tenants(package)
    assert {t.id for t in reached} == {employees.id, customers.id}
    for tenant in (partners, other_tier, suspended):
        assert _deployment(tenant, package) is None
    assert _deployment(employees, package).automatic
    assert services.deploy_to_matching_tenants(package) == []  # idempotent


def test_empty_tiers_match_every_tier_of_the_audience(db, package_factory):
    package = package_factory(audiences=("partners",))
    assert services.matches(package, Tenant(audience="partners", partner_tier="gold", is_platform=False))
    assert services.matches(package, Tenant(audience="partners", partner_tier=None, is_platform=False))
    assert not services.matches(package, Tenant(audience="franchise", partner_tier=None, is_platform=False))
    services.set_targeting(package, ["partners"], ["Gold", " "], False)
    assert package.partner_tiers == ["gold"]
    assert services.matches(package, Tenant(audience="partners", partner_tier="Gold", is_platform=False))
    assert not services.matches(package, Tenant(audience="partners", partner_tier=None, is_platform=False))


def test_targeting_refuses_unknown_audiences(db, package_factory):
    package = package_factory()
    with pytest.raises(ValidationError) as refused:
        services.set_targeting(package, ["martians"], [], True)
    assert refused.value.field == "audiences"
    assert package.audiences == [] and package.auto_deploy is False


def test_automatic_packages_reach_tenants_created_later(db, tenant_factory, package_factory):
    tier = unique_slug("tier")
    automatic = package_factory("Automatic", audiences=("partners",), partner_tiers=(tier,), auto_deploy=True)
    manual = package_factory("Manual only", audiences=("partners",), partner_tiers=(tier,), auto_deploy=False)
    unpublished = package_factory(
        "Not yet", publish=False, audiences=("partners",), partner_tiers=(tier,), auto_deploy=True
    )
    later = tenant_factory(audience="partners", partner_tier=tier)
    elsewhere = tenant_factory(audience="partners", partner_tier=unique_slug("tier"))
    deployment = _deployment(later, automatic)
    assert deployment is not None and deployment.automatic
    assert _course(later, deployment).title == "Automatic"
    assert _deployment(later, manual) is None
    assert _deployment(later, unpublished) is None
    assert _deployment(elsewhere, automatic) is None


def test_upgrade_keeps_started_learners_on_their_version_and_gives_new_enrolments_the_new_one(
    db, tenant_factory, user_factory, package_factory
):
    tenant = tenant_factory()
    early, late = user_factory(tenant), user_factory(tenant)
    package = package_factory()
    v1 = package.latest_published
    deployment = services.deploy(package, tenant)
    with as_tenant(tenant):
        course = services.course_for(deployment)
        first_enrolment, _ = enrollments.enrol(early, course)
        assert first_enrolment.library_version_id == v1.id
        assert services.available_upgrade(deployment) is None

    draft = services.start_new_draft(package)
    revised = {**PAGE, "title": "Spot the fake, 2026 edition"}
    extra = {"kind": "page", "title": "Report it", "required": True, "markdown": "Tell the service desk."}
    services.update_draft(
        draft, **draft_fields(draft, title="Security basics 2026", lessons=[revised, VIDEO, extra])
    )
    v2 = services.publish(draft)

    with as_tenant(tenant):
        assert services.available_upgrade(deployment) is v2
        assert course.library_version_id == v1.id  # nothing changes until the tenant upgrades
        services.upgrade(deployment)
        assert deployment.version_id == v2.id and deployment.upgraded_at is not None
        assert course.library_version_id == v2.id and course.title == "Security basics 2026"
        assert [lesson.title for lesson in course.lessons_for(v1.id)] == [
            "Spot the fake",
            "Watch how it happens",
        ]
        assert [lesson.title for lesson in course.lessons_for(v2.id)] == [
            "Spot the fake, 2026 edition",
            "Watch how it happens",
            "Report it",
        ]
        db.session.flush()
        db.session.expire(first_enrolment)
        kept = db.session.get(Enrollment, first_enrolment.id)
        assert kept.library_version_id == v1.id
        assert course.lessons_for(kept.library_version_id)[0].title == "Spot the fake"
        second_enrolment, _ = enrollments.enrol(late, course)
        assert second_enrolment.library_version_id == v2.id
        assert services.available_upgrade(deployment) is None
        with pytest.raises(ValidationError):
            services.upgrade(deployment)
        actions = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("library.%"))
        ).all()
        assert "library.deployment_upgraded" in actions and "library.deployed" in actions


def test_hiding_a_library_course_takes_it_out_of_the_catalog(db, tenant_factory, package_factory):
    tenant = tenant_factory()
    package = package_factory()
    deployment = services.deploy(package, tenant)
    with as_tenant(tenant):
        course = services.course_for(deployment)
        services.set_hidden(deployment, True)
        assert deployment.hidden and course.listed is False
        services.set_hidden(deployment, False)
        assert not deployment.hidden and course.listed is True


def test_a_tenant_sees_only_its_own_deployments(db, tenant_factory, package_factory):
    mine, theirs = tenant_factory(), tenant_factory()
    package = package_factory()
    services.deploy(package, theirs)
    with as_tenant(mine):
        assert services.list_deployments() == []
        assert db.session.scalars(select(LibraryDeployment)).all() == []
