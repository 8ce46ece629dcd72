"""Bad input gets a clear 4xx, decided once for the whole app: control characters, out-of-range numbers."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from app.tenancy import as_tenant
from tests.conftest import csrf_token

# ---------------------------------------------------------------- control characters


@pytest.mark.parametrize("query", ["q=caf%00e", "q=%01", "status=%00", "caf%00e=1"])
def test_a_nul_byte_in_a_search_is_refused_with_a_branded_page(
    tenant_factory, user_factory, client_for, query
):
    tenant = tenant_factory(display_name="Bistro Group")
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    for path in ("/catalog", "/admin/users", "/admin/audit"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        html = response.get_data(as_text=True)
        assert "invisible control characters" in html
        assert "Bistro Group" in html  # the portal's own layout, not a bare error
        assert 'id="main"' in html


def test_tabs_and_new_lines_are_still_text(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    assert client.get("/admin/users?q=a%09b%0D%0Ac").status_code == 200


def test_a_group_named_with_a_nul_byte_is_refused_and_nothing_is_saved(
    tenant_factory, user_factory, client_for, db
):
    from app.accounts.models import Group
    from app.tenancy import as_tenant

    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    token = csrf_token(client, "/admin/groups")
    response = client.post(
        "/admin/groups", data={"name": "Night\x00shift", "description": "", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "invisible control characters" in response.get_data(as_text=True)
    with as_tenant(tenant):
        assert db.session.scalars(select(Group)).all() == []
    response = client.post("/admin/groups", data={"name": "Night shift", "csrf_token": token})
    assert response.status_code == 302


def test_a_nul_byte_in_a_json_body_is_refused(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant))
    response = client.post("/sign-out", json={"note": ["ok", {"x\x00": "y"}]})
    assert response.status_code == 400
    assert "invisible control characters" in response.get_data(as_text=True)


# ---------------------------------------------------------------- numbers out of range

TOO_BIG = ("2147483648", "99999999999999999999", "0")


@pytest.mark.parametrize("user_id", TOO_BIG)
def test_an_id_beyond_any_row_in_an_address_is_not_found(tenant_factory, user_factory, client_for, user_id):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    assert client.get(f"/admin/users/{user_id}").status_code == 404
    assert client.get(f"/admin/groups/{user_id}").status_code == 404
    assert client.get("/admin/users/1²").status_code == 404


@pytest.mark.parametrize("page", ["99999999999999999999", "-3", "0", "x", "²", "9" * 5000])
def test_a_page_number_out_of_range_shows_a_page_not_an_error(tenant_factory, user_factory, client_for, page):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    for path in ("/catalog", "/admin/users", "/admin/audit"):
        assert client.get(f"{path}?page={page}").status_code == 200, path


@pytest.mark.parametrize("course_id", ["-999999999999", "99999999999999999999", "²"])
def test_a_manager_assigning_a_course_id_out_of_range_is_told_to_choose_a_course(
    tenant_factory, user_factory, client_for, course_id
):
    tenant = tenant_factory()
    manager = user_factory(tenant, roles=("manager",))
    report = user_factory(tenant, manager_id=manager.id)
    client = client_for(tenant, manager)
    token = csrf_token(client, "/account")
    response = client.post(
        "/team/assign",
        data={"csrf_token": token, "people": [str(report.id)], "course_id": course_id, "due_mode": "none"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Choose a course to assign." in response.get_data(as_text=True)


@pytest.mark.parametrize("group_id", [" ", "x", "99999999999999999999", "-1"])
def test_enrolling_a_group_that_is_not_in_the_list_is_refused_clearly(
    tenant_factory, user_factory, client_for, db, group_id
):
    from app.learning.services import courses as authoring

    tenant = tenant_factory()
    with as_tenant(tenant):
        course = authoring.create_course({"title": "Knife skills", "self_enroll": True, "listed": True})
        db.session.commit()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    path = f"/admin/courses/{course.id}/enrollments"
    response = client.post(path, data={"csrf_token": csrf_token(client, path), "group_id": group_id})
    assert response.status_code == 422
    assert "Choose one of the options in the list." in response.get_data(as_text=True)


@pytest.mark.parametrize("bank_id", ["99999999999999999999", "2147483648", "²"])
def test_a_question_pool_from_a_bank_out_of_range_is_refused_clearly(
    tenant_factory, user_factory, client_for, db, bank_id
):
    from app.assessments import services as assessments

    tenant = tenant_factory()
    with as_tenant(tenant):
        quiz = assessments.create_quiz({"title": "Knife quiz"})
        db.session.commit()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    path = f"/admin/quizzes/{quiz.id}"
    token = csrf_token(client, path)
    response = client.post(f"{path}/pools", data={"csrf_token": token, "bank_id": bank_id, "draw_count": "2"})
    assert response.status_code == 422
    assert "Choose the bank to draw from." in response.get_data(as_text=True)
    response = client.post(f"{path}/questions", data={"csrf_token": token, "question_id": bank_id})
    assert response.status_code == 422
    assert "Choose a question to add." in response.get_data(as_text=True)


# ---------------------------------------------------------------- a person's language and time zone


@pytest.mark.parametrize("locale", ["xx", "en_ZZ", "\u00a0x", "fr\t"])
def test_a_language_that_atrium_does_not_offer_is_refused_when_saved(
    tenant_factory, user_factory, db, locale
):
    from app.accounts import services
    from app.errors import ValidationError

    tenant = tenant_factory()
    person = user_factory(tenant, locale="es")
    with as_tenant(tenant):
        person = db.session.merge(person)
        if locale.strip() in ("fr",):
            services.update_user(person, locale=locale)  # surrounding blanks are trimmed, not refused
            assert person.locale == "fr"
            return
        with pytest.raises(ValidationError, match="Choose a language from the list"):
            services.update_user(person, locale=locale)
        assert person.locale == "es"


def test_an_admin_saving_a_blank_language_for_someone_gives_them_the_portal_default(
    tenant_factory, user_factory, client_for, db
):
    from app.accounts.models import User

    tenant = tenant_factory()
    person = user_factory(tenant, email="pat@example.com", full_name="Pat Person", locale="es")
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    path = f"/admin/users/{person.id}"
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "email": "pat@example.com",
            "full_name": "Pat Person",
            "locale": "  ",
            "roles": [],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == f"/team/people/{person.id}"
    with as_tenant(tenant):
        db.session.expire_all()
        assert db.session.get(User, person.id).locale is None


def test_a_stored_blank_language_and_unknown_time_zone_fall_back_to_the_portals(
    tenant_factory, user_factory, client_for, db, worker
):
    """Values saved before they were checked (or by an import) must not break pages or the receipt job."""
    from app.accounts.models import User
    from app.policies import services as policies

    tenant = tenant_factory(display_name="Bistro Group")
    person = user_factory(tenant, full_name="Lee Learner")
    client = client_for(tenant, person)
    with as_tenant(tenant):
        stored = db.session.get(User, person.id)
        stored.locale = "   "
        stored.time_zone = "Mars/Olympus_Mons"
        policy = policies.create_policy("Code of Conduct", due_days=14)
        version = policies.publish_version(policies.save_draft(policy, "Be kind."))
        ack = policies.acknowledge_policy(
            stored, version, "Lee Learner", accepted=True, ip=None, user_agent=None
        )
        db.session.commit()
    for path in ("/", "/account", f"/policies/{policy.id}"):
        assert client.get(path).status_code == 200, path
    token = csrf_token(client, "/")
    receipt = client.post(f"/policies/receipts/{ack.id}/prepare", data={"csrf_token": token})
    deadline = time.monotonic() + 60
    while receipt.status_code == 202 and time.monotonic() < deadline:  # with Redis the worker renders it
        time.sleep(0.5)
        receipt = client.get(f"/policies/receipts/{ack.id}")
    assert receipt.status_code == 200 and receipt.data.startswith(b"%PDF")


@pytest.mark.parametrize("key", ["position_abc", "position_99999999999999999999", "position_²"])
def test_a_path_step_naming_no_course_is_refused_with_the_numbering_message(
    tenant_factory, user_factory, client_for, key
):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("author",)))
    token = csrf_token(client, "/admin/paths/new")
    response = client.post("/admin/paths/new", data={"csrf_token": token, "title": "Onboarding", key: "1"})
    assert response.status_code == 422
    assert "Number the courses 1, 2, 3" in response.get_data(as_text=True)
