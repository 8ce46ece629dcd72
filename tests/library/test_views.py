"""Library pages: the platform console for operators, and a tenant admin's deployed library courses."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.library import services
from app.library.models import LibraryPackage
from app.tenancy import as_tenant
from tests.conftest import csrf_token, unique_slug
from tests.library.conftest import PAGE, VIDEO, draft_fields


@pytest.fixture
def operator_client(db, client_for, user_factory, platform):
    operator = user_factory(platform, roles=("operator",))
    return client_for(platform, operator)


def _package_by_slug(db, slug):
    db.session.expire_all()
    return db.session.scalars(select(LibraryPackage).where(LibraryPackage.slug == slug)).one()


def test_console_library_needs_an_operator_on_the_root_domain(
    db, client_for, user_factory, tenant_factory, platform, package_factory
):
    package = package_factory()
    anonymous = client_for(platform)
    assert anonymous.get("/console/library").status_code == 302
    not_operator = client_for(platform, user_factory(platform, roles=("learner",)))
    assert not_operator.get("/console/library").status_code == 403
    assert not_operator.get(f"/console/library/{package.id}").status_code == 403
    tenant = tenant_factory()
    admin = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    assert admin.get("/console/library").status_code == 404
    assert admin.get(f"/console/library/{package.id}").status_code == 404


def test_operator_creates_edits_and_publishes_a_package(db, operator_client):
    slug = unique_slug("lib-test")
    listing = operator_client.get("/console/library")
    assert listing.status_code == 200
    response = operator_client.post(
        "/console/library",
        data={
            "csrf_token": csrf_token(operator_client, "/console/library"),
            "slug": slug,
            "title": "Fire safety",
        },
    )
    assert response.status_code == 302
    package = _package_by_slug(db, slug)
    path = f"/console/library/{package.id}"
    assert response.headers["Location"].endswith(path)

    token = csrf_token(operator_client, path)
    details = {
        "csrf_token": token,
        "title": "Fire safety",
        "description": "What to do when the alarm sounds.",
        "language": "en",
        "duration_minutes": "15",
        "category": "Safety",
        "tags": "Safety, Fire",
    }
    added = operator_client.post(path, data={**details, "action": "add_lesson"})
    page = added.get_data(as_text=True)
    assert added.status_code == 200
    assert 'id="lesson-1"' in page and 'name="lessons-0-title"' in page
    assert "What to do when the alarm sounds.</textarea>" in page  # the unsaved details are kept

    lesson = {
        "lessons-0-kind": "page",
        "lessons-0-title": "Evacuation routes",
        "lessons-0-required": "y",
        "lessons-0-markdown": "Leave by the **nearest** exit.",
        "lessons-0-captions_language": "en",
    }
    saved = operator_client.post(path, data={**details, **lesson, "action": "save"})
    assert saved.status_code == 302
    package = _package_by_slug(db, slug)
    draft = package.draft
    assert draft.tags == ["fire", "safety"] and draft.duration_minutes == 15
    assert draft.lessons == [
        {
            "kind": "page",
            "title": "Evacuation routes",
            "required": True,
            "markdown": "Leave by the **nearest** exit.",
        }
    ]

    asked = operator_client.post(path, data={**details, **lesson, "action": "publish"})
    assert asked.status_code == 302 and asked.headers["Location"].endswith(f"{path}/publish")
    package = _package_by_slug(db, slug)
    assert package.latest_published is None  # saved, not yet published: publishing is asked first
    question = operator_client.get(f"{path}/publish").get_data(as_text=True)
    assert "Publish version 1 of “Fire safety”?" in question and "can never change" in question
    published = operator_client.post(f"{path}/publish", data={"csrf_token": token, "confirm": "yes"})
    assert published.status_code == 302
    package = _package_by_slug(db, slug)
    assert package.latest_published.number == 1 and package.draft is None
    page = operator_client.get(path).get_data(as_text=True)
    assert "Start a new version" in page and "Evacuation routes" in page

    new_version = operator_client.post(path, data={"csrf_token": token, "action": "new_version"})
    assert new_version.status_code == 302
    package = _package_by_slug(db, slug)
    assert package.draft.number == 2 and package.draft.lessons == package.latest_published.lessons
    page = operator_client.get(path).get_data(as_text=True)
    assert "Edit draft version 2" in page and 'value="Evacuation routes"' in page


def test_a_bad_lesson_is_refused_and_what_was_typed_is_kept(db, operator_client, package_factory):
    package = package_factory(publish=False)
    db.session.commit()
    path = f"/console/library/{package.id}"
    response = operator_client.post(
        path,
        data={
            "csrf_token": csrf_token(operator_client, path),
            "action": "save",
            "title": "Typed title",
            "language": "en",
            "duration_minutes": "5",
            "lessons-0-kind": "video",
            "lessons-0-title": "Insecure video",
            "lessons-0-url": "http://videos.example.com/a.mp4",
            "lessons-0-captions_language": "en",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "https://" in page and 'value="Typed title"' in page and 'value="Insecure video"' in page
    assert 'aria-invalid="true"' in page
    package = _package_by_slug(db, package.slug)
    assert package.draft.title == "Security basics"


def test_removing_a_lesson_and_publishing_an_empty_draft(db, operator_client, package_factory):
    package = package_factory(lessons=[PAGE], publish=False)
    db.session.commit()
    path = f"/console/library/{package.id}"
    response = operator_client.post(
        path,
        data={
            "csrf_token": csrf_token(operator_client, path),
            "action": "publish",
            "title": "Security basics",
            "language": "en",
            "duration_minutes": "5",
            "lessons-0-kind": "page",
            "lessons-0-title": "Spot the fake",
            "lessons-0-markdown": "Text",
            "lessons-0-remove": "y",
        },
    )
    assert response.status_code == 422
    assert "Add at least one lesson before publishing." in response.get_data(as_text=True)
    package = _package_by_slug(db, package.slug)
    assert not package.draft.is_published and len(package.draft.lessons) == 1  # nothing half-written


def test_operator_sets_targeting_and_deploys_to_matching_tenants(
    db, operator_client, tenant_factory, package_factory
):
    tier = unique_slug("tier")
    gold = tenant_factory(audience="partners", partner_tier=tier)
    franchise = tenant_factory(audience="franchise", partner_tier=tier)
    package = package_factory()
    db.session.commit()
    path = f"/console/library/{package.id}"
    token = csrf_token(operator_client, path)
    response = operator_client.post(
        path,
        data={"csrf_token": token, "action": "targeting", "audiences": ["partners"], "partner_tiers": tier},
    )
    assert response.status_code == 302
    question = operator_client.get(f"{path}/deploy-matching").get_data(as_text=True)
    assert f"({gold.slug})" in question and f"({franchise.slug})" not in question
    assert "Deploy to 1 tenant" in question
    response = operator_client.post(f"{path}/deploy-matching", data={"csrf_token": token, "confirm": "yes"})
    assert response.status_code == 302
    assert "Deployed to 1 tenant." in operator_client.get(path).get_data(as_text=True)
    package = _package_by_slug(db, package.slug)
    assert (package.audiences, package.partner_tiers, package.auto_deploy) == (["partners"], [tier], False)
    with as_tenant(gold):
        assert services.find_deployment(package) is not None
    with as_tenant(franchise):
        assert services.find_deployment(package) is None


def test_operator_deploys_to_one_tenant(db, operator_client, tenant_factory, package_factory):
    tenant = tenant_factory(display_name="Chosen portal")
    package = package_factory()
    db.session.commit()
    path = f"/console/library/{package.id}"
    assert f'<option value="{tenant.id}">Chosen portal' in operator_client.get(path).get_data(as_text=True)
    response = operator_client.post(
        f"{path}/deploy", data={"csrf_token": csrf_token(operator_client, path), "tenant_id": str(tenant.id)}
    )
    assert response.status_code == 302
    with as_tenant(tenant):
        deployment = services.find_deployment(package)
        assert deployment is not None and not deployment.automatic
    page = operator_client.get(path).get_data(as_text=True)
    assert f'<option value="{tenant.id}">' not in page  # it has it now
    listing = operator_client.get("/console/library").get_data(as_text=True)
    assert package.slug in listing


def test_only_the_library_is_the_current_page_in_the_console(db, operator_client):
    page = operator_client.get("/console/library").get_data(as_text=True)
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', page)
    assert current == ["/console/library"]
    page = operator_client.get("/console/").get_data(as_text=True)
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', page) == ["/console/"]


def test_tenant_admin_sees_a_newer_version_and_upgrades(
    db, client_for, tenant_factory, user_factory, package_factory
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin", "learner"))
    package = package_factory("Data protection")
    services.deploy(package, tenant)
    draft = services.start_new_draft(package)
    services.update_draft(draft, **draft_fields(draft, lessons=[PAGE]))
    services.publish(draft)
    db.session.commit()

    client = client_for(tenant, admin)
    page = client.get("/admin/library").get_data(as_text=True)
    assert "Version 1" in page and "Version 2 is available." in page
    assert 'aria-current="page"' in page and 'href="/admin/library" aria-current="page"' in page
    with as_tenant(tenant):
        deployment = services.find_deployment(package)
    response = client.post(
        f"/admin/library/{deployment.id}/upgrade", data={"csrf_token": csrf_token(client, "/admin/library")}
    )
    assert response.status_code == 302
    page = client.get("/admin/library").get_data(as_text=True)
    assert "now uses version 2" in page and "Up to date" in page
    with as_tenant(tenant):
        db.session.expire_all()
        assert services.find_deployment(package).version.number == 2


def test_tenant_admin_hides_and_shows_a_library_course(
    db, client_for, tenant_factory, user_factory, package_factory
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    package = package_factory("Hideable")
    deployment = services.deploy(package, tenant)
    db.session.commit()
    client = client_for(tenant, admin)
    token = csrf_token(client, "/admin/library")
    assert (
        client.post(
            f"/admin/library/{deployment.id}/visibility", data={"csrf_token": token, "hidden": "1"}
        ).status_code
        == 302
    )
    with as_tenant(tenant):
        db.session.expire_all()
        assert services.course_for(deployment).listed is False
    assert "Show “<bdi>Hideable</bdi>”" in client.get("/admin/library").get_data(as_text=True)
    assert (
        client.post(
            f"/admin/library/{deployment.id}/visibility", data={"csrf_token": token, "hidden": "0"}
        ).status_code
        == 302
    )
    with as_tenant(tenant):
        db.session.expire_all()
        assert services.course_for(deployment).listed is True


def test_tenant_admin_cannot_reach_another_tenants_deployment(
    db, client_for, tenant_factory, user_factory, package_factory
):
    home, foreign = tenant_factory(), tenant_factory()
    admin = user_factory(home, roles=("tenant_admin",))
    package = package_factory("Foreign course")
    deployment = services.deploy(package, foreign)
    draft = services.start_new_draft(package)
    services.publish(draft)
    db.session.commit()
    client = client_for(home, admin)
    token = csrf_token(client, "/admin/library")
    assert "Foreign course" not in client.get("/admin/library").get_data(as_text=True)
    assert (
        client.post(f"/admin/library/{deployment.id}/upgrade", data={"csrf_token": token}).status_code == 404
    )
    assert (
        client.post(
            f"/admin/library/{deployment.id}/visibility", data={"csrf_token": token, "hidden": "1"}
        ).status_code
        == 404
    )
    with as_tenant(foreign):
        db.session.expire_all()
        kept = services.find_deployment(package)
        assert kept.version.number == 1 and not kept.hidden


def test_learners_cannot_manage_library_courses(db, client_for, tenant_factory, user_factory):
    tenant = tenant_factory()
    learner = client_for(tenant, user_factory(tenant, roles=("learner",)))
    assert learner.get("/admin/library").status_code == 403


def test_saving_when_the_draft_was_published_meanwhile_changes_nothing(db, operator_client, package_factory):
    package = package_factory()
    db.session.commit()
    path = f"/console/library/{package.id}"
    token = csrf_token(operator_client, path)
    response = operator_client.post(path, data={"csrf_token": token, "action": "save", "title": "Stale tab"})
    assert response.status_code == 302
    assert "There is no draft to save." in operator_client.get(path).get_data(as_text=True)
    package = _package_by_slug(db, package.slug)
    assert [v.title for v in package.versions] == ["Security basics"]


def test_publishing_and_deploying_to_every_tenant_refuse_a_single_unconfirmed_click(
    db, operator_client, tenant_factory, package_factory
):
    partner = tenant_factory(audience="partners")
    published = package_factory(audiences=("partners",))
    draft = package_factory(lessons=[PAGE], publish=False)
    db.session.commit()
    token = csrf_token(operator_client, "/console/library")

    refused = operator_client.post(f"/console/library/{draft.id}/publish", data={"csrf_token": token})
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Nothing was changed yet" in page and 'name="confirm" type="hidden" value="yes"' in page
    assert not _package_by_slug(db, draft.slug).draft.is_published

    refused = operator_client.post(
        f"/console/library/{published.id}/deploy-matching", data={"csrf_token": token}
    )
    assert refused.status_code == 422
    with as_tenant(partner):
        assert services.find_deployment(published) is None


def test_release_notes_written_when_publishing_reach_tenant_admins_before_they_upgrade(
    db, operator_client, client_for, tenant_factory, user_factory, package_factory
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin", "learner"))
    package = package_factory("Data protection")
    services.deploy(package, tenant)
    draft = services.start_new_draft(package)
    services.update_draft(draft, **draft_fields(draft, lessons=[PAGE, VIDEO]))
    db.session.commit()
    path = f"/console/library/{package.id}"

    question = operator_client.get(f"{path}/publish").get_data(as_text=True)
    assert 'name="release_notes"' in question and "Tenant admins read this" in question
    too_long = operator_client.post(
        f"{path}/publish",
        data={"csrf_token": csrf_token(operator_client, path), "confirm": "yes", "release_notes": "x" * 5001},
    )
    assert too_long.status_code == 422 and "x" * 5001 in too_long.get_data(as_text=True)
    notes = "Added a video on phishing calls.\nThe quiz now has 10 questions."
    published = operator_client.post(
        f"{path}/publish",
        data={"csrf_token": csrf_token(operator_client, path), "confirm": "yes", "release_notes": notes},
    )
    assert published.status_code == 302
    assert "Added a video on phishing calls." in operator_client.get(path).get_data(as_text=True)

    page = client_for(tenant, admin).get("/admin/library").get_data(as_text=True)
    assert "Version 2 is available." in page and "What changed in version 2" in page
    assert '<p dir="auto">Added a video on phishing calls.</p>' in page
    assert '<p dir="auto">The quiz now has 10 questions.</p>' in page


def test_the_tenants_audit_log_names_the_package_deployed_to_it(
    db, client_for, tenant_factory, user_factory, package_factory
):
    package = package_factory("Phishing defence")
    tenant = tenant_factory()
    services.deploy(package, tenant, automatic=True)
    db.session.commit()
    admin = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    page = admin.get("/admin/audit?action=library.").get_data(as_text=True)
    assert (
        'Version <bdi dir="auto">1</bdi> of <bdi dir="auto">Phishing defence</bdi> '
        "was deployed automatically to this portal." in page
    )
