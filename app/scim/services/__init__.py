"""SCIM provisioning operations: tokens and their log (``tokens``), people (``people``), groups (``groups``).

Every change goes through app.accounts.services, so it is audited, emits its event and runs the
enrolment rules exactly like a change an admin makes on the People page.
"""

from __future__ import annotations

from app.scim.services.groups import (
    create_group,
    delete_group,
    find_group,
    group_columns,
    replace_group,
    search_groups,
)
from app.scim.services.people import (
    POLICY,
    create_user,
    delete_user,
    find_user,
    replace_user,
    search_users,
    user_columns,
    user_name_of,
)
from app.scim.services.tokens import (
    create_token,
    get_token,
    hash_token,
    list_tokens,
    log_operation,
    note_token_used,
    operations_page,
    revoke_token,
    token_for,
)

__all__ = [
    "POLICY",
    "create_group",
    "create_token",
    "create_user",
    "delete_group",
    "delete_user",
    "find_group",
    "find_user",
    "get_token",
    "group_columns",
    "hash_token",
    "list_tokens",
    "log_operation",
    "note_token_used",
    "operations_page",
    "replace_group",
    "replace_user",
    "revoke_token",
    "search_groups",
    "search_users",
    "token_for",
    "user_columns",
    "user_name_of",
]
