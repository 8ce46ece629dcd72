"""/scim/v2/Users: people as SCIM resources (core User, enterprise extension, Atrium extension)."""

from __future__ import annotations

from typing import Any, cast

from flask import Response, g, request
from scim2_models import (
    Context,
    Meta,
    PatchOp,
)
from sqlalchemy import select

from app.accounts.models import Group, GroupMembership, OrgUnit, User
from app.extensions import db
from app.scim import services
from app.scim.api.common import (
    base_url,
    bp,
    check_if_match,
    descending,
    dump,
    list_response_of,
    locales,
    log,
    page_of,
    read_body,
    ref,
    respond,
    search_request,
    version_of,
)
from app.scim.api.patches import normalise_patch
from app.scim.models import ScimGroup, ScimUser


def groups_of(user_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """The groups (id, name) of each of *user_ids*, in one query: a page of people reads them at once."""
    found: dict[int, list[tuple[int, str]]] = {user_id: [] for user_id in user_ids}
    if not user_ids:
        return found
    rows = db.session.execute(
        select(GroupMembership.user_id, Group.id, Group.name)
        .join(Group, GroupMembership.group_id == Group.id)
        .outerjoin(ScimGroup, ScimGroup.group_id == Group.id)
        .where(GroupMembership.user_id.in_(user_ids), ScimGroup.deleted_at.is_(None))
        .order_by(Group.id)
    )
    for user_id, group_id, name in rows:
        found[user_id].append((group_id, name))
    return found


def resources_of(rows: list[tuple[User, ScimUser | None]]) -> list[Any]:
    """A page of people as SCIM resources."""
    groups = groups_of([user.id for user, _scim in rows])
    return [user_resource(user, scim, groups[user.id]) for user, scim in rows]


def user_resource(user: User, scim: ScimUser | None, groups: list[tuple[int, str]] | None = None) -> Any:
    from scim2_models import EnterpriseUser
    from scim2_models.resources.enterprise_user import Manager
    from scim2_models.resources.user import Email, Name
    from scim2_models.resources.user import GroupMembership as Membership

    from app.scim.schemas import AtriumUser, UserResource

    attributes = user.attributes or {}
    details = (scim.details if scim else None) or {}
    absent = set(details.get("absent") or [])
    enterprise = EnterpriseUser(
        employee_number=user.employee_id,
        department=attributes.get("department"),
        organization=attributes.get("organization"),
        manager=Manager(value=str(user.manager_id), ref=ref(f"{base_url()}/Users/{user.manager_id}"))
        if user.manager_id
        else None,
    )
    unit = db.session.get(OrgUnit, user.org_unit_id) if user.org_unit_id else None
    atrium = AtriumUser(org_unit=unit.name if unit else None, job_title=user.job_title)
    if groups is None:
        groups = groups_of([user.id])[user.id]
    formatted = details.get("formatted", user.full_name)
    given, family = (scim.given_name, scim.family_name) if scim else (None, None)
    language = user.locale.replace("_", "-") if user.locale else None
    email = (
        Email(
            value=user.email,
            type=cast(Any, details.get("email_type") or "work"),
            primary=details.get("email_primary", True),
        )
        if user.email
        else None
    )
    resource = UserResource(
        id=str(user.id),
        external_id=scim.external_id if scim else None,
        user_name=services.user_name_of(user, scim),
        name=Name(formatted=formatted, given_name=given, family_name=family)
        if formatted or given or family
        else None,
        display_name=None if "displayName" in absent else user.full_name,
        title=user.job_title,
        preferred_language=language,
        locale=language,
        timezone=user.time_zone,
        active=None if "active" in absent else user.is_active,
        emails=[email] if email else None,
        groups=[
            Membership(value=str(gid), display=name, ref=ref(f"{base_url()}/Groups/{gid}"), type="direct")
            for gid, name in groups
        ]
        or None,
        meta=Meta(
            resource_type="User",
            created=user.created_at,
            last_modified=user.updated_at,
            location=f"{base_url()}/Users/{user.id}",
            version=version_of(scim.version if scim else 0, user.updated_at),
        ),
    )
    if any(v is not None for v in (enterprise.employee_number, enterprise.department, enterprise.organization,
                                   enterprise.manager)):  # fmt: skip
        resource[EnterpriseUser] = enterprise
    if atrium.org_unit or atrium.job_title:
        resource[AtriumUser] = atrium
    return resource


def _user_response(
    user: User, scim: ScimUser | None, status: int = 200, groups: list[tuple[int, str]] | None = None
) -> Response:
    resource = user_resource(user, scim, groups)
    headers = {"ETag": resource.meta.version, "Location": resource.meta.location}
    if status == 200 and request.method == "GET":
        wanted = request.headers.get("If-None-Match")
        if wanted and resource.meta.version in [w.strip() for w in wanted.split(",")]:
            return respond(None, 304, headers)
    search = search_request() if request.method == "GET" else None
    return respond(dump(resource, search), status, headers)


def _parse_user(data: dict[str, Any], context: Context) -> Any:
    from app.scim.schemas import UserResource

    data.pop("id", None) if context == Context.RESOURCE_CREATION_REQUEST else None
    data.pop("meta", None)
    data.pop("groups", None)  # read-only: changed through Groups
    return UserResource.model_validate(data, scim_ctx=context, scim_policy=services.POLICY)


@bp.get("/Users")
def list_users() -> Response:
    search = search_request()
    start, count = page_of(search)
    rows, total = services.search_users(
        g.scim_filter, sort_by=search.sort_by, descending=descending(search), start_index=start, count=count
    )
    return list_response_of(resources_of(rows), total, start, search)


@bp.post("/Users")
def create_user() -> Response:
    g.scim_resource_type = "User"
    resource = _parse_user(read_body(), Context.RESOURCE_CREATION_REQUEST)
    user, scim = services.create_user(resource, locales())
    log("created", 201, "User", str(user.id), scim.user_name)
    return _user_response(user, scim, 201, groups=[])  # someone just created is in no group yet


@bp.get("/Users/<ident>")
def get_user(ident: str) -> Response:
    user, scim = services.find_user(ident)
    return _user_response(user, scim)


@bp.put("/Users/<ident>")
def replace_user(ident: str) -> Response:
    g.scim_resource_type, g.scim_resource_id = "User", ident
    user, scim = services.find_user(ident)
    check_if_match(user_resource(user, scim).meta.version)
    data = read_body()
    data.pop("id", None)
    resource = _parse_user(data, Context.RESOURCE_REPLACEMENT_REQUEST)
    outcome, scim = services.replace_user(user, scim, resource, locales())
    log(outcome, 200, "User", ident, scim.user_name)
    return _user_response(user, scim)


@bp.patch("/Users/<ident>")
def patch_user(ident: str) -> Response:
    from app.scim.schemas import UserResource

    g.scim_resource_type, g.scim_resource_id = "User", ident
    user, scim = services.find_user(ident)
    current = user_resource(user, scim)
    check_if_match(current.meta.version)
    patch = PatchOp[UserResource].model_validate(
        normalise_patch(read_body()), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=services.POLICY
    )
    current.meta = None
    current.groups = None
    previous = current.model_copy(deep=True)
    patch.patch(current, services.POLICY)
    outcome, scim = services.replace_user(user, scim, current, locales(), previous)
    log(outcome, 200, "User", ident, scim.user_name)
    return _user_response(user, scim)


@bp.delete("/Users/<ident>")
def delete_user(ident: str) -> Response:
    g.scim_resource_type, g.scim_resource_id = "User", ident
    user, scim = services.find_user(ident)
    check_if_match(user_resource(user, scim).meta.version)
    services.delete_user(user, scim)
    log("deleted", 204, "User", ident, services.user_name_of(user, scim))
    return respond(None, 204)


@bp.post("/Users/.search")
def search_users() -> Response:
    search = search_request(read_body())
    start, count = page_of(search)
    rows, total = services.search_users(
        g.scim_filter, sort_by=search.sort_by, descending=descending(search), start_index=start, count=count
    )
    return list_response_of(resources_of(rows), total, start, search)
