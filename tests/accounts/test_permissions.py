"""What a person may do follows their roles at once, and a signed-in page costs few statements for it."""

from __future__ import annotations

from app.accounts import permissions as perms
from app.accounts.models import User
from app.accounts.services import create_role, role_by_key, set_user_roles
from app.tenancy import as_tenant


def test_permissions_follow_roles_changed_in_the_same_request_and_a_rollback(
    db, tenant_factory, user_factory
):
    tenant = tenant_factory()
    person = user_factory(tenant)
    with as_tenant(tenant):
        user = db.session.get(User, person.id)
        assert not user.can(perms.USERS_MANAGE) and user.can(perms.LEARNING_TAKE)
        set_user_roles(user, [role_by_key("tenant_admin").id])
        assert user.can(perms.USERS_MANAGE)
        db.session.rollback()
        assert not user.can(perms.USERS_MANAGE), "the rolled-back role is gone"

        checker = create_role("Checker", [perms.REPORTS_VIEW])
        set_user_roles(user, [checker.id])
        assert user.can(perms.REPORTS_VIEW) and not user.can(perms.AUDIT_VIEW)
        checker.permissions = [perms.REPORTS_VIEW, perms.AUDIT_VIEW]
        assert user.can(perms.AUDIT_VIEW), "a role's new permission counts at once"
        db.session.rollback()


def test_a_signed_in_page_loads_the_person_and_roles_in_one_statement_and_the_tenant_in_none(
    tenant_factory, user_factory, client_for, count_queries
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin", "manager"))
    client = client_for(tenant, admin)
    assert client.get("/account").status_code == 200
    with count_queries() as counted:
        page = client.get("/account").get_data(as_text=True)
    assert ">Admin<" in page and "My team" in page, "the navigation knows both roles"
    about_roles = [s for s in counted.statements if "role_assignments" in s]
    assert len(about_roles) == 1 and "user_sessions" in about_roles[0]
    assert not [s for s in counted.statements if "FROM tenants" in s], "the tenant comes from the cache"
