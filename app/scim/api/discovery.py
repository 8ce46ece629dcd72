"""What the service is (ServiceProviderConfig, ResourceTypes, Schemas), search at the root, unknown paths."""

from __future__ import annotations

from typing import Any

from flask import Response, g, request
from scim2_models import (
    Context,
    NotFoundException,
)
from sqlalchemy import select

from app.accounts.models import OrgUnit
from app.extensions import db
from app.scim import schemas, services
from app.scim.api.common import (
    base_url,
    bp,
    error_response,
    list_response_of,
    locales,
    page_of,
    read_body,
    respond,
    search_request,
)
from app.scim.api.groups import group_resource
from app.scim.api.users import resources_of


def _schemas() -> list[Any]:
    units = list(db.session.scalars(select(OrgUnit.name).order_by(OrgUnit.name).limit(100)))
    documents = schemas.schemas(locales(), units)
    return [schemas.with_meta(d, f"{base_url()}/Schemas/{d.id}") for d in documents]


def _discovery(document: Any) -> dict[str, Any]:
    return dict(document.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@bp.get("/ServiceProviderConfig")
def service_provider_config() -> Response:
    config = schemas.with_meta(schemas.service_provider_config(), f"{base_url()}/ServiceProviderConfig")
    return respond(_discovery(config))


@bp.get("/Schemas")
def list_schemas() -> Response:
    documents = [_discovery(d) for d in _schemas()]
    return respond(_list_payload(documents))


@bp.get("/Schemas/<path:urn>")
def get_schema(urn: str) -> Response:
    for document in _schemas():
        if str(document.id).lower() == urn.lower():
            return respond(_discovery(document))
    raise NotFoundException(detail=f"no schema {urn}")


@bp.get("/ResourceTypes")
def list_resource_types() -> Response:
    documents = [
        _discovery(schemas.with_meta(t, f"{base_url()}/ResourceTypes/{t.id}"))
        for t in schemas.resource_types()
    ]
    return respond(_list_payload(documents))


@bp.get("/ResourceTypes/<name>")
def get_resource_type(name: str) -> Response:
    for resource_type in schemas.resource_types():
        if str(resource_type.id).lower() == name.lower():
            return respond(_discovery(schemas.with_meta(resource_type, f"{base_url()}/ResourceTypes/{name}")))
    raise NotFoundException(detail=f"no resource type {name}")


def _list_payload(documents: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": len(documents),
        "startIndex": 1,
        "itemsPerPage": len(documents),
        "Resources": documents,
    }


@bp.post("/.search")
def search_everything() -> Response:
    """Search at the root (RFC 7644 §3.4.3): people, then groups; an attribute one type lacks is false."""
    from scim2_models import InvalidFilterException

    search = search_request(read_body())
    start, count = page_of(search)
    found: list[Any] = []
    total = 0
    problems: list[InvalidFilterException] = []
    most = schemas.MAX_RESULTS
    try:
        people, people_total = services.search_users(
            g.scim_filter, sort_by=None, descending=False, start_index=1, count=most
        )
        found.extend(resources_of(people))
        total += people_total
    except InvalidFilterException as exc:
        problems.append(exc)
    try:
        groups, groups_total = services.search_groups(
            g.scim_filter, sort_by=None, descending=False, start_index=1, count=most
        )
        found.extend(group_resource(group, state) for group, state in groups)
        total += groups_total
    except InvalidFilterException as exc:
        problems.append(exc)
    if len(problems) == 2:
        raise problems[0]
    return list_response_of(found[start - 1 : start - 1 + count], total, start, search)


_DISCOVERY = {"serviceproviderconfig", "resourcetypes", "schemas"}


@bp.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(anything: str) -> Response:
    first = anything.split("/")[0]
    resource = first in ("Users", "Groups") and anything.count("/") <= 1
    if (first.lower() in _DISCOVERY and request.method != "GET") or resource:
        return error_response(405, f"{request.method} is not allowed on /scim/v2/{anything}")
    raise NotFoundException(detail=f"nothing at /scim/v2/{anything}")
