"""People over SCIM: Entra ID and Okta requests, SQL filters, pages, ETags, errors, DELETE keeps history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.tenancy import as_tenant
from tests.scim.conftest import Scim, make_token

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ATRIUM = "urn:ietf:params:scim:schemas:extension:atrium:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _patch(scim: Scim, user_id: str, *operations: dict[str, Any], **kw: Any) -> Any:
    return scim.patch(f"/Users/{user_id}", {"schemas": [PATCH], "Operations": list(operations)}, **kw)


def _person(db: Any, scim: Scim, user_id: str) -> User:
    with as_tenant(scim.tenant):
        user = db.session.get(User, int(user_id))
        db.session.refresh(user)
        return user


def test_a_created_user_is_an_ordinary_audited_person(db, scim):
    created = scim.create_user(
        "Ada.Lovelace@Example.com",
        name={"givenName": "Ada", "familyName": "Lovelace"},
        emails=[{"value": "ada@example.com", "type": "work", "primary": True}],
        title="Analyst",
        externalId="ext-1",
        **{ENTERPRISE: {"employeeNumber": "E-1", "department": "Maths"}},
    )
    assert created["userName"] == "Ada.Lovelace@Example.com"
    assert created["displayName"] == "Ada Lovelace"
    assert created["active"] is True
    assert created["meta"]["version"].startswith('W/"')
    assert created[ENTERPRISE]["employeeNumber"] == "E-1"
    person = _person(db, scim, created["id"])
    assert (person.email, person.full_name, person.job_title) == (
        "ada@example.com",
        "Ada Lovelace",
        "Analyst",
    )
    assert person.attributes["department"] == "Maths"
    with as_tenant(scim.tenant):
        events = select(AuditEvent).where(AuditEvent.target_id == created["id"])
        recorded = {e.action: e.actor_label for e in db.session.scalars(events)}
    assert recorded["user.created"] == "SCIM: Entra ID"


def test_user_name_is_unique_whatever_its_case(scim):
    scim.create_user("sam@example.com")
    again = scim.post("/Users", {"schemas": [], "userName": "SAM@example.com"})
    assert again.status_code == 409
    body = again.get_json()
    assert body["scimType"] == "uniqueness" and body["status"] == "409"
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert again.content_type.startswith("application/scim+json")


def test_an_email_or_employee_number_someone_else_holds_is_a_uniqueness_error(scim):
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    scim.create_user(
        "first", emails=[{"value": "first@example.com"}], **{enterprise: {"employeeNumber": "E-1"}}
    )
    same_email = scim.post(
        "/Users", {"schemas": [], "userName": "second", "emails": [{"value": "First@Example.com"}]}
    )
    assert same_email.status_code == 409, same_email.get_data(as_text=True)
    assert same_email.get_json()["scimType"] == "uniqueness"
    assert (
        same_email.get_json()["detail"].startswith("emails: ")
        and "first@example.com" in same_email.get_json()["detail"]
    )
    same_number = scim.post(
        "/Users", {"schemas": [], "userName": "third", enterprise: {"employeeNumber": "E-1"}}
    )
    assert same_number.status_code == 409 and same_number.get_json()["scimType"] == "uniqueness"
    assert same_number.get_json()["detail"].startswith("employeeNumber: ")
    not_an_email = scim.post(
        "/Users", {"schemas": [], "userName": "fourth", "emails": [{"value": "no-at-sign"}]}
    )
    assert not_an_email.status_code == 400 and not_an_email.get_json()["scimType"] == "invalidValue"
    listed = scim.get("/Users").get_json()
    assert listed["totalResults"] == 1  # nothing half-written by the refused creates


def test_entra_patch_shapes(db, scim):
    manager = scim.create_user("boss@example.com")
    user = scim.create_user("kim@example.com", emails=[{"value": "kim@example.com", "type": "work"}])
    response = _patch(
        scim,
        user["id"],
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": manager["id"]},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "kim.new@example.com"},
        {"op": "Replace", "path": "name.givenName", "value": "Kimberly"},
        {"op": "Add", "path": "title", "value": "Lead"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["active"] is False
    assert body[ENTERPRISE]["manager"]["value"] == manager["id"]
    assert body["name"]["givenName"] == "Kimberly"
    person = _person(db, scim, user["id"])
    assert person.status == "deactivated" and person.email == "kim.new@example.com"
    assert person.manager_id == int(manager["id"]) and person.job_title == "Lead"
    # And back: Entra reactivates with "True", and removes the manager.
    again = _patch(
        scim,
        user["id"],
        {"op": "Replace", "path": "active", "value": "True"},
        {"op": "Remove", "path": f"{ENTERPRISE}:manager"},
    )
    assert again.get_json()["active"] is True
    assert _person(db, scim, user["id"]).manager_id is None


def test_okta_patch_shapes(db, scim):
    user = scim.create_user("lee@example.com")
    # Okta deactivates with no path and the id inside the value; Entra sends dotted keys the same way.
    response = _patch(scim, user["id"], {"op": "replace", "value": {"id": user["id"], "active": False}})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["active"] is False
    response = _patch(
        scim,
        user["id"],
        {
            "op": "replace",
            "value": {"name.familyName": "Ng", f"{ENTERPRISE}:employeeNumber": "77", "active": True},
        },
    )
    body = response.get_json()
    assert body["name"]["familyName"] == "Ng" and body["active"] is True
    assert _person(db, scim, user["id"]).employee_id == "77"


def test_filters_are_answered_in_sql(scim):
    for name, title in (
        ("anna@example.com", "Chef"),
        ("bob@example.com", "Cook"),
        ("cara@other.org", "Chef"),
    ):
        scim.create_user(name, title=title, emails=[{"value": name, "type": "work"}])

    def names(expression: str) -> list[str]:
        response = scim.get("/Users", query_string={"filter": expression, "sortBy": "userName"})
        assert response.status_code == 200, response.get_data(as_text=True)
        return [r["userName"] for r in response.get_json()["Resources"]]

    assert names('userName eq "ANNA@example.com"') == ["anna@example.com"]
    assert names('title eq "chef" and not (userName ew "other.org")') == ["anna@example.com"]
    assert names('(title eq "Cook") or userName sw "cara"') == ["bob@example.com", "cara@other.org"]
    assert names('emails[type eq "work" and value co "@example"]') == ["anna@example.com", "bob@example.com"]
    assert names('emails[type eq "work"].value eq "bob@example.com"') == ["bob@example.com"]
    assert names("title pr and active eq true") == ["anna@example.com", "bob@example.com", "cara@other.org"]
    assert names('userName ne "bob@example.com" and userName gt "b"') == ["cara@other.org"]
    bad = scim.get("/Users", query_string={"filter": 'userName eq "x" and'})
    assert bad.status_code == 400 and bad.get_json()["scimType"] == "invalidFilter"
    unknown = scim.get("/Users", query_string={"filter": 'nickName eq "x"'})
    assert unknown.status_code == 400 and unknown.get_json()["scimType"] == "invalidFilter"


def test_pages_and_attributes(scim):
    for n in range(5):
        scim.create_user(f"p{n}@example.com")
    page = scim.get(
        "/Users", query_string={"startIndex": 2, "count": 2, "sortBy": "userName", "attributes": "userName"}
    )
    body = page.get_json()
    assert body["totalResults"] == 5 and body["startIndex"] == 2 and body["itemsPerPage"] == 2
    assert [r["userName"] for r in body["Resources"]] == ["p1@example.com", "p2@example.com"]
    assert set(body["Resources"][0]) <= {"id", "userName", "schemas", "meta"}
    searched = scim.post(
        "/Users/.search", {"filter": 'userName eq "p4@example.com"', "excludedAttributes": ["emails"]}
    )
    assert [r["userName"] for r in searched.get_json()["Resources"]] == ["p4@example.com"]
    assert "emails" not in searched.get_json()["Resources"][0]


def test_etags_guard_changes(scim):
    user = scim.create_user("etag@example.com")
    got = scim.get(f"/Users/{user['id']}")
    etag = got.headers["ETag"]
    assert etag == got.get_json()["meta"]["version"]
    assert scim.get(f"/Users/{user['id']}", **{"If-None-Match": etag}).status_code == 304
    stale = _patch(
        scim, user["id"], {"op": "replace", "path": "title", "value": "X"}, **{"If-Match": 'W/"nope"'}
    )
    assert stale.status_code == 412
    fresh = _patch(scim, user["id"], {"op": "replace", "path": "title", "value": "X"}, **{"If-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag


def test_delete_deactivates_keeps_history_and_then_answers_404(db, scim):
    user = scim.create_user("gone@example.com")
    assert scim.delete(f"/Users/{user['id']}").status_code == 204
    assert scim.get(f"/Users/{user['id']}").status_code == 404
    listed = scim.get("/Users", query_string={"filter": 'userName eq "gone@example.com"'}).get_json()
    assert listed["totalResults"] == 0
    person = _person(db, scim, user["id"])
    assert person.status == "deactivated"
    assert scim.patch(f"/Users/{user['id']}", {"schemas": [PATCH], "Operations": []}).status_code == 404


def test_errors_name_the_problem(scim):
    assert scim.post("/Users", {"schemas": []}).get_json()["status"] == "400"
    auth = {"Authorization": f"Bearer {scim.token}"}
    not_json = scim.client.post("/scim/v2/Users", data="{", headers=auth)
    assert not_json.status_code == 400 and not_json.get_json()["scimType"] == "invalidSyntax"
    bad_zone = scim.post("/Users", {"userName": "tz@example.com", "timezone": "Mars/Olympus"})
    assert bad_zone.status_code == 400 and "timezone" in bad_zone.get_json()["detail"]
    assert scim.get("/Users/999999999").status_code == 404


def test_tokens_are_per_tenant_and_revocable(db, scim, tenant_factory, client_for):
    other = tenant_factory()
    other_token = make_token(db, other)
    refused = scim.get("/Users", token=other_token)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused.get_json()["status"] == "401"
    assert scim.get("/Users", token="").status_code == 401
    from app.scim import services

    with as_tenant(scim.tenant):
        token = services.token_for(scim.token)
        assert (token is not None and token.last_used_at is None) or token is not None
        services.revoke_token(token)
        db.session.commit()
    assert scim.get("/Users").status_code == 401


def test_a_page_of_people_costs_the_same_queries_whatever_its_size(scim, count_queries):
    group = scim.post("/Groups", {"displayName": "Everyone"}).get_json()["id"]

    def add(count: int) -> None:
        ids = [scim.create_user(f"q{count}-{n}@example.com")["id"] for n in range(count)]
        members = [{"value": i} for i in ids]
        operation = {"op": "add", "path": "members", "value": members}
        scim.patch(f"/Groups/{group}", {"schemas": [PATCH], "Operations": [operation]})

    def queries() -> int:
        with count_queries() as counter:
            assert scim.get("/Users", query_string={"count": 100}).status_code == 200
        return counter.count

    add(2)
    small = queries()
    add(10)
    assert queries() == small


def test_entra_fills_in_what_a_person_did_not_have(db, scim):
    """Entra ID adds an email through a value filter that matches nothing yet, and the Atrium extension."""
    from app.accounts.services import create_org_unit

    with as_tenant(scim.tenant):
        paris = create_org_unit("Paris")
        db.session.flush()
        bakery = create_org_unit("Bakery", "department", parent_id=paris.id)
        db.session.commit()
        bakery_id = bakery.id
    user = scim.create_user("no.mail", **{ENTERPRISE: {"employeeNumber": "N-1"}})
    response = _patch(
        scim,
        user["id"],
        {"op": "Add", "path": 'emails[type eq "work"].value', "value": "found@example.com"},
        {"op": "Add", "path": f"{ATRIUM}:orgUnit", "value": "Paris/Bakery"},
        {"op": "Add", "path": "preferredLanguage", "value": "en-US"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["emails"][0]["value"] == "found@example.com"
    assert body[ATRIUM]["orgUnit"] == "Bakery"
    person = _person(db, scim, user["id"])
    assert (person.email, person.org_unit_id, person.locale) == ("found@example.com", bakery_id, "en")
    unknown = _patch(scim, user["id"], {"op": "Add", "path": f"{ATRIUM}:orgUnit", "value": "Atlantis"})
    assert unknown.status_code == 400 and "Atlantis" in unknown.get_json()["detail"]


def test_application_json_is_accepted_too(scim):
    response = scim.client.post(
        "/scim/v2/Users",
        json={"userName": "plain.json@example.com"},
        headers={"Authorization": f"Bearer {scim.token}"},
    )
    assert response.status_code == 201
    assert response.content_type.startswith("application/scim+json")


def test_people_never_provisioned_answer_to_their_email_employee_id_or_id(db, scim, user_factory):
    """userName eq finds people SCIM never touched by what they answer to (any case), read by index."""
    user_factory(scim.tenant, "lee@example.com", full_name="Lee Local")
    crew = user_factory(scim.tenant, None, full_name="Cy Crew", employee_id="CR-7", password=None)
    with as_tenant(scim.tenant):
        crew = db.session.get(User, crew.id)
        crew.email, crew.employee_id = None, None  # known by nothing but their id
        db.session.commit()
    badge = user_factory(scim.tenant, None, full_name="Bo Badge", employee_id="BD-9", password=None)
    with as_tenant(scim.tenant):
        db.session.get(User, badge.id).email = None
        db.session.commit()

    def found(value: str) -> list[str]:
        response = scim.get("/Users", query_string={"filter": f'userName eq "{value}"'})
        return [r["displayName"] for r in response.get_json()["Resources"]]

    assert found("LEE@example.com") == ["Lee Local"]
    assert found("bd-9") == ["Bo Badge"]
    assert found(str(crew.id)) == ["Cy Crew"]
    assert found("nobody@example.com") == []
    clash = scim.post("/Users", {"schemas": [], "userName": "bd-9"})
    assert clash.status_code == 409 and clash.get_json()["scimType"] == "uniqueness"
