"""Every operation that changes people, their organisation, groups and roles, one module per topic.

``roles``, ``users``, ``passwords``, ``sign_in``, ``org_units`` and ``groups`` hold the operations.
This package re-exports, by name and on purpose (``__all__`` below), the public operations that
``app.accounts.services`` offered before it was split, because some forty modules and tests call
them as ``services.create_user(...)``; new code may import from either place. The organisation
tree (subtree, ancestry, a manager's reach) is not here: it is :mod:`app.accounts.org`.
"""

from __future__ import annotations

from app.accounts.services.groups import (
    add_group_members,
    create_group,
    list_groups,
    remove_group_member,
    update_group,
)
from app.accounts.services.org_units import (
    create_org_unit,
    delete_org_unit,
    list_org_units,
    org_unit_tree,
    org_unit_uses,
    register_org_unit_use,
    update_org_unit,
)
from app.accounts.services.passwords import MIN_PASSWORD_LENGTH, clear_sign_in_failures, set_password
from app.accounts.services.roles import (
    create_role,
    ensure_builtin_roles,
    list_roles,
    role_by_key,
    set_user_roles,
)
from app.accounts.services.sign_in import (
    SignInRefused,
    authenticate,
    make_password_reset_token,
    request_password_reset,
    user_for_reset_token,
)
from app.accounts.services.users import (
    create_user,
    deactivate_user,
    get_user,
    normalise_email,
    people_page,
    provision_user,
    reactivate_user,
    search_users,
    update_user,
    user_by_email,
    user_snapshot,
)

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "SignInRefused",
    "add_group_members",
    "authenticate",
    "clear_sign_in_failures",
    "create_group",
    "create_org_unit",
    "create_role",
    "create_user",
    "deactivate_user",
    "delete_org_unit",
    "ensure_builtin_roles",
    "get_user",
    "list_groups",
    "list_org_units",
    "list_roles",
    "make_password_reset_token",
    "normalise_email",
    "org_unit_tree",
    "org_unit_uses",
    "people_page",
    "provision_user",
    "reactivate_user",
    "register_org_unit_use",
    "remove_group_member",
    "request_password_reset",
    "role_by_key",
    "search_users",
    "set_password",
    "set_user_roles",
    "update_group",
    "update_org_unit",
    "update_user",
    "user_by_email",
    "user_for_reset_token",
    "user_snapshot",
]
