"""Groups over SCIM: members added and removed the ways Entra ID and Okta do it; DELETE empties the group."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.accounts.models import Group
from app.events import OutboxEvent
from app.tenancy import as_tenant

GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def _members(db: Any, scim: Any, group_id: str) -> set[int]:
    with as_tenant(scim.tenant):
        group = db.session.get(Group, int(group_id))
        db.session.refresh(group)
        return {m.user_id for m in group.memberships}


def test_members_come_and_go_as_providers_send_them(db, scim):
    a, b, c = (scim.create_user(f"{n}@example.com")["id"] for n in "abc")
    created = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Drivers", "members": [{"value": a}]})
    assert created.status_code == 201, created.get_data(as_text=True)
    gid = created.get_json()["id"]
    # Entra ID: add several, then remove one with a value filter in the path.
    added = scim.patch(
        f"/Groups/{gid}",
        {
            "schemas": [PATCH],
            "Operations": [{"op": "Add", "path": "members", "value": [{"value": b}, {"value": c}]}],
        },
    )
    assert added.status_code == 200, added.get_data(as_text=True)
    assert _members(db, scim, gid) == {int(a), int(b), int(c)}
    removed = scim.patch(
        f"/Groups/{gid}",
        {"schemas": [PATCH], "Operations": [{"op": "Remove", "path": f'members[value eq "{b}"]'}]},
    )
    assert removed.status_code == 200
    assert _members(db, scim, gid) == {int(a), int(c)}
    # Okta: a remove with the members in the value, and a rename without a path.
    okta = scim.patch(
        f"/Groups/{gid}",
        {
            "schemas": [PATCH],
            "Operations": [
                {"op": "remove", "path": "members", "value": [{"value": a}]},
                {"op": "replace", "value": {"id": gid, "displayName": "Night drivers"}},
            ],
        },
    )
    assert okta.status_code == 200, okta.get_data(as_text=True)
    assert okta.get_json()["displayName"] == "Night drivers"
    assert _members(db, scim, gid) == {int(c)}
    with as_tenant(scim.tenant):
        kinds = set(db.session.scalars(select(OutboxEvent.type)))
    assert "group.members_added" in kinds
    listed = scim.get(
        "/Groups", query_string={"filter": f'members[value eq "{c}"]', "excludedAttributes": "members"}
    )
    body = listed.get_json()
    assert [g["displayName"] for g in body["Resources"]] == ["Night drivers"]
    assert "members" not in body["Resources"][0]


def test_delete_empties_the_group_and_frees_its_name(db, scim):
    user = scim.create_user("d@example.com")["id"]
    gid = scim.post("/Groups", {"displayName": "Temps", "members": [{"value": user}]}).get_json()["id"]
    assert scim.delete(f"/Groups/{gid}").status_code == 204
    assert scim.get(f"/Groups/{gid}").status_code == 404
    assert _members(db, scim, gid) == set()
    again = scim.post("/Groups", {"displayName": "Temps"})
    assert again.status_code == 201
    assert scim.post("/Groups", {"displayName": "temps"}).get_json()["scimType"] == "uniqueness"


def test_another_tenants_people_are_not_there(db, scim, tenant_factory, user_factory):
    stranger = user_factory(tenant_factory())
    assert scim.get(f"/Users/{stranger.id}").status_code == 404
    refused = scim.post("/Groups", {"displayName": "Mixed", "members": [{"value": str(stranger.id)}]})
    assert refused.status_code == 400 and refused.get_json()["scimType"] == "invalidValue"


def test_a_member_added_on_the_portal_moves_the_groups_etag(db, scim):
    from app.accounts.services.groups import add_group_members

    a, b = (scim.create_user(f"{n}@example.com")["id"] for n in "ab")
    created = scim.post("/Groups", {"schemas": [GROUP], "displayName": "Bakers", "members": [{"value": a}]})
    gid = created.get_json()["id"]
    before = scim.get(f"/Groups/{gid}").headers["ETag"]
    with as_tenant(scim.tenant):
        add_group_members(db.session.get(Group, int(gid)), [int(b)])
        db.session.commit()
    after = scim.get(f"/Groups/{gid}").headers["ETag"]
    assert after != before
    # A provider still holding the old version is told the group changed, and nothing is replaced.
    stale = scim.put(
        f"/Groups/{gid}", {"schemas": [GROUP], "displayName": "Bakers", "members": []}, **{"If-Match": before}
    )
    assert stale.status_code == 412
    assert _members(db, scim, gid) == {int(a), int(b)}
