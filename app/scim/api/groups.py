"""/scim/v2/Groups: groups and their members."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, g, request
from scim2_models import (
    Context,
    Meta,
    PatchOp,
)
from scim2_models.resources.group import GroupMember

from app.accounts.models import Group
from app.scim import services
from app.scim.api.common import (
    base_url,
    bp,
    check_if_match,
    descending,
    dump,
    list_response_of,
    log,
    page_of,
    read_body,
    ref,
    respond,
    search_request,
)
from app.scim.api.patches import normalise_patch
from app.scim.models import ScimGroup


def group_resource(group: Group, scim: ScimGroup | None) -> Any:
    from app.scim.schemas import GroupResource

    members = sorted(group.memberships, key=lambda m: m.user_id)
    return GroupResource(
        id=str(group.id),
        external_id=scim.external_id if scim else None,
        display_name=group.name,
        members=[
            GroupMember(value=str(m.user_id), ref=ref(f"{base_url()}/Users/{m.user_id}"), type="User")
            for m in members
        ]
        or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.created_at,
            location=f"{base_url()}/Groups/{group.id}",
            version=_group_version(group, scim, members),
        ),
    )


def _group_version(group: Group, scim: ScimGroup | None, members: list[Any]) -> str:
    """The ETag moves when the name or the members change, through SCIM or on the portal's own pages."""
    content = "\n".join([group.name, *(str(m.user_id) for m in members)])
    digest = hashlib.sha256(content.encode()).hexdigest()[:12]
    return f'W/"{scim.version if scim else 0}-{digest}"'


def _group_response(group: Group, scim: ScimGroup | None, status: int = 200) -> Response:
    resource = group_resource(group, scim)
    headers = {"ETag": resource.meta.version, "Location": resource.meta.location}
    if status == 200 and request.method == "GET":
        wanted = request.headers.get("If-None-Match")
        if wanted and resource.meta.version in [w.strip() for w in wanted.split(",")]:
            return respond(None, 304, headers)
    search = search_request() if request.method == "GET" else None
    return respond(dump(resource, search), status, headers)


def _parse_group(data: dict[str, Any], context: Context) -> Any:
    from app.scim.schemas import GroupResource

    data.pop("id", None)
    data.pop("meta", None)
    return GroupResource.model_validate(data, scim_ctx=context, scim_policy=services.POLICY)


@bp.get("/Groups")
def list_groups() -> Response:
    search = search_request()
    start, count = page_of(search)
    rows, total = services.search_groups(
        g.scim_filter, sort_by=search.sort_by, descending=descending(search), start_index=start, count=count
    )
    return list_response_of([group_resource(gr, s) for gr, s in rows], total, start, search)


@bp.post("/Groups")
def create_group() -> Response:
    g.scim_resource_type = "Group"
    resource = _parse_group(read_body(), Context.RESOURCE_CREATION_REQUEST)
    group, scim = services.create_group(resource)
    log("created", 201, "Group", str(group.id), group.name)
    return _group_response(group, scim, 201)


@bp.get("/Groups/<ident>")
def get_group(ident: str) -> Response:
    group, scim = services.find_group(ident)
    return _group_response(group, scim)


@bp.put("/Groups/<ident>")
def replace_group(ident: str) -> Response:
    g.scim_resource_type, g.scim_resource_id = "Group", ident
    group, scim = services.find_group(ident)
    check_if_match(group_resource(group, scim).meta.version)
    resource = _parse_group(read_body(), Context.RESOURCE_REPLACEMENT_REQUEST)
    outcome, scim = services.replace_group(group, scim, resource)
    log(outcome, 200, "Group", ident, group.name)
    return _group_response(group, scim)


@bp.patch("/Groups/<ident>")
def patch_group(ident: str) -> Response:
    from app.scim.schemas import GroupResource

    g.scim_resource_type, g.scim_resource_id = "Group", ident
    group, scim = services.find_group(ident)
    current = group_resource(group, scim)
    check_if_match(current.meta.version)
    patch = PatchOp[GroupResource].model_validate(
        normalise_patch(read_body()), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=services.POLICY
    )
    current.meta = None
    patch.patch(current, services.POLICY)
    outcome, scim = services.replace_group(group, scim, current)
    log(outcome, 200, "Group", ident, group.name)
    # Entra ID ignores the body; answering 204 would also do, but the resource is more useful.
    return _group_response(group, scim)


@bp.delete("/Groups/<ident>")
def delete_group(ident: str) -> Response:
    g.scim_resource_type, g.scim_resource_id = "Group", ident
    group, scim = services.find_group(ident)
    check_if_match(group_resource(group, scim).meta.version)
    services.delete_group(group, scim)
    log("deleted", 204, "Group", ident, group.name)
    return respond(None, 204)


@bp.post("/Groups/.search")
def search_groups() -> Response:
    search = search_request(read_body())
    start, count = page_of(search)
    rows, total = services.search_groups(
        g.scim_filter, sort_by=search.sort_by, descending=descending(search), start_index=start, count=count
    )
    return list_response_of([group_resource(gr, s) for gr, s in rows], total, start, search)
