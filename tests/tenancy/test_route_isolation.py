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
from app.tenancy import as_tenant

# Routes served only at the root domain (the platform console) are 404 on a
# tenant host whatever the id; they are listed so the check still covers them.
PLATFORM_ONLY_PREFIXES = ("console.",)


def _foreign_objects(db: Any, tenant: Any, user_factory: Callable[..., Any]) -> dict[str, int]:
    member = user_factory(tenant)
    with as_tenant(tenant):
        unit = create_org_unit("Foreign location", "location")
        group = create_group("Foreign group")
        db.session.flush()
        add_group_members(group, [member.id])
        db.session.commit()
        return {"user_id": member.id, "unit_id": unit.id, "group_id": group.id, "tenant_id": tenant.id}


OBJECT_FACTORIES = {"user_id", "unit_id", "group_id", "tenant_id"}


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
            values = {arg: ids[arg] for arg in rule.arguments}
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
        assert len(db.session.get(Group, ids["group_id"]).memberships) == 1


@pytest.mark.parametrize(
    "path", ["/admin/users/{user_id}", "/admin/groups/{group_id}", "/admin/org-units/{unit_id}"]
)
def test_own_objects_open_normally(path, db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    ids = _foreign_objects(db, tenant, user_factory)
    admin = user_factory(tenant, roles=("tenant_admin",))
    response = client_for(tenant, admin).get(path.format(**ids))
    assert response.status_code == 200
