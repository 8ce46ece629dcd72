"""The SCIM 2.0 endpoints at /scim/v2 (RFC 7644): token-authenticated JSON, no session, no CSRF."""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any, cast

from flask import Blueprint, Response, current_app, g, request
from pydantic import ValidationError as PydanticValidationError
from scim2_models import (
    Context,
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    ListResponse,
    Meta,
    NotFoundException,
    PatchOp,
    PreconditionFailedException,
    SCIMException,
    SearchRequest,
)
from scim2_models.resources.group import GroupMember
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from app.accounts.models import Group, GroupMembership, OrgUnit, User
from app.actors import Actor, reset_actor, set_actor
from app.extensions import db
from app.scim import schemas, services
from app.scim.models import ScimGroup, ScimToken, ScimUser

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
MEDIA_TYPE = "application/scim+json"


class Unauthorized(SCIMException):
    status = 401


def _respond(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = "" if payload is None else json.dumps(payload)
    response = Response(body, status=status, mimetype=MEDIA_TYPE if payload is not None else None)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error(status: int, detail: str, scim_type: str | None = None) -> Response:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    headers = {"WWW-Authenticate": 'Bearer realm="SCIM"'} if status == 401 else None
    return _respond(error.model_dump(scim_ctx=Context.DEFAULT), status, headers)


@bp.errorhandler(SCIMException)
def _scim_error(exc: SCIMException) -> Response:
    return _error(exc.status, exc.detail, exc.scim_type or None)


@bp.errorhandler(PydanticValidationError)
def _invalid(exc: PydanticValidationError) -> Response:
    error = Error.from_validation_errors(exc)[0]
    return _error(error.status or 400, error.detail or "invalid request", error.scim_type or "invalidValue")


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    code = exc.code or 500
    return _error(code, exc.description or exc.name)


# --- authentication, the actor, the operations log -----------------------------------------------------


def too_many(limit: Any) -> Response:
    """Over the rate limit: 429 as a SCIM error, with when to try again."""
    response = _error(429, f"Too many requests for this token ({limit.limit}); slow down and retry")
    response.headers["Retry-After"] = "1"
    return response


def rate_limit_key() -> str:
    """Rate limits count per token (a hash of the header, so unknown tokens are counted too)."""
    header = request.headers.get("Authorization", "")
    return "scim:" + hashlib.sha256(header.encode()).hexdigest()[:32]


@bp.before_request
def _authenticate() -> None:
    tenant = g.get("tenant")
    if tenant is None or tenant.is_platform:
        raise NotFoundException(detail="SCIM is served on a portal's own address")
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    token = services.token_for(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise Unauthorized(detail="A valid bearer token for this portal is required")
    g.scim_token = token
    g.scim_actor = set_actor(
        Actor(
            type="api_client",
            id=token.id,
            label=f"SCIM: {token.name}",
            ip=request.remote_addr,
            user_agent=request.user_agent.string or None,
            request_id=g.get("request_id"),
        )
    )
    services.note_token_used(token)


@bp.after_request
def _log_refusal(response: Response) -> Response:
    """A refused change is logged even though the change itself is rolled back."""
    token: ScimToken | None = g.get("scim_token")
    if token is not None and request.method != "GET" and response.status_code >= 400:
        db.session.rollback()
        token = db.session.merge(token)
        services.note_token_used(token)
        detail = ""
        with contextlib.suppress(ValueError, AttributeError):
            detail = json.loads(response.get_data(as_text=True)).get("detail", "")
        services.log_operation(
            token,
            method=request.method,
            path=request.path,
            outcome="refused",
            status=response.status_code,
            resource_type=g.get("scim_resource_type"),
            resource_id=g.get("scim_resource_id"),
            detail=detail,
        )
        db.session.commit()
    return response


@bp.teardown_request
def _reset(exc: BaseException | None) -> None:
    actor = g.pop("scim_actor", None)
    if actor is not None:
        reset_actor(actor)


def _log(outcome: str, status: int, resource_type: str, resource_id: str | None, detail: str = "") -> None:
    services.log_operation(
        g.scim_token,
        method=request.method,
        path=request.path,
        outcome=outcome,
        status=status,
        resource_type=resource_type,
        resource_id=resource_id,
        detail=detail or None,
    )


# --- request helpers ------------------------------------------------------------------------------------


def _body() -> dict[str, Any]:
    raw = request.get_data(as_text=True)
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        raise InvalidSyntaxException(detail="the body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidSyntaxException(detail="the body must be a JSON object")
    return data


def _base() -> str:
    return request.host_url.rstrip("/") + bp.url_prefix  # type: ignore[operator]


def _ref(url: str) -> Any:
    """A reference URI: scim2-models validates the string when the resource is built."""
    return url


def _version_of(version: int, modified: Any) -> str:
    stamp = int(modified.timestamp()) if modified else 0
    return f'W/"{version}-{stamp}"'


def _check_if_match(etag: str) -> None:
    wanted = request.headers.get("If-Match")
    if wanted and wanted.strip() != "*" and etag not in [w.strip() for w in wanted.split(",")]:
        raise PreconditionFailedException(detail="the resource changed since it was read (If-Match)")


def _search_request(data: dict[str, Any] | None = None) -> SearchRequest[Any]:
    if data is None:
        args = request.args
        data = {}
        for name in ("filter", "sortBy", "sortOrder", "startIndex", "count"):
            if name in args:
                data[name] = args[name]
        for name in ("attributes", "excludedAttributes"):
            if args.get(name):
                data[name] = [a.strip() for a in args[name].split(",") if a.strip()]
    for name in ("startIndex", "count"):
        if name in data:
            try:
                data[name] = int(data[name])
            except (TypeError, ValueError):
                raise InvalidValueException(detail=f"{name} must be a number") from None
    data.pop("schemas", None)
    filter_text = data.pop("filter", None)
    search: SearchRequest[Any] = SearchRequest.model_validate(data)
    search.filter = None
    g.scim_filter = filter_text
    return search


def _page(search: SearchRequest[Any]) -> tuple[int, int]:
    start = max(1, search.start_index or 1)
    count = search.count if search.count is not None else schemas.MAX_RESULTS
    return start, max(0, min(count, schemas.MAX_RESULTS))


def _dump(resource: Any, search: SearchRequest[Any] | None = None) -> dict[str, Any]:
    return dict(resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=search))


def _list(resources: list[Any], total: int, start: int, search: SearchRequest[Any]) -> Response:
    payload = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": [_dump(r, search) for r in resources],
    }
    return _respond(payload)


def _locales() -> list[str]:
    return list(g.tenant.enabled_locales or ["en"])


# --- Users ----------------------------------------------------------------------------------------------


def user_resource(user: User, scim: ScimUser | None) -> Any:
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
        manager=Manager(value=str(user.manager_id), ref=_ref(f"{_base()}/Users/{user.manager_id}"))
        if user.manager_id
        else None,
    )
    unit = db.session.get(OrgUnit, user.org_unit_id) if user.org_unit_id else None
    atrium = AtriumUser(org_unit=unit.name if unit else None, job_title=user.job_title)
    groups = db.session.execute(
        select(Group.id, Group.name)
        .join(GroupMembership, GroupMembership.group_id == Group.id)
        .outerjoin(ScimGroup, ScimGroup.group_id == Group.id)
        .where(GroupMembership.user_id == user.id, ScimGroup.deleted_at.is_(None))
        .order_by(Group.id)
    ).all()
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
            Membership(value=str(gid), display=name, ref=_ref(f"{_base()}/Groups/{gid}"), type="direct")
            for gid, name in groups
        ]
        or None,
        meta=Meta(
            resource_type="User",
            created=user.created_at,
            last_modified=user.updated_at,
            location=f"{_base()}/Users/{user.id}",
            version=_version_of(scim.version if scim else 0, user.updated_at),
        ),
    )
    if any(v is not None for v in (enterprise.employee_number, enterprise.department, enterprise.organization,
                                   enterprise.manager)):  # fmt: skip
        resource[EnterpriseUser] = enterprise
    if atrium.org_unit or atrium.job_title:
        resource[AtriumUser] = atrium
    return resource


def _user_response(user: User, scim: ScimUser | None, status: int = 200) -> Response:
    resource = user_resource(user, scim)
    headers = {"ETag": resource.meta.version, "Location": resource.meta.location}
    if status == 200 and request.method == "GET":
        wanted = request.headers.get("If-None-Match")
        if wanted and resource.meta.version in [w.strip() for w in wanted.split(",")]:
            return _respond(None, 304, headers)
    search = _search_request() if request.method == "GET" else None
    return _respond(_dump(resource, search), status, headers)


def _parse_user(data: dict[str, Any], context: Context) -> Any:
    from app.scim.schemas import UserResource

    data.pop("id", None) if context == Context.RESOURCE_CREATION_REQUEST else None
    data.pop("meta", None)
    data.pop("groups", None)  # read-only: changed through Groups
    return UserResource.model_validate(data, scim_ctx=context, scim_policy=services.POLICY)


@bp.get("/Users")
def list_users() -> Response:
    search = _search_request()
    start, count = _page(search)
    rows, total = services.search_users(
        g.scim_filter, sort_by=search.sort_by, descending=_descending(search), start_index=start, count=count
    )
    return _list([user_resource(u, s) for u, s in rows], total, start, search)


def _descending(search: SearchRequest[Any]) -> bool:
    return str(search.sort_order or "ascending").lower().endswith("descending")


@bp.post("/Users")
def create_user() -> Response:
    g.scim_resource_type = "User"
    resource = _parse_user(_body(), Context.RESOURCE_CREATION_REQUEST)
    user, scim = services.create_user(resource, _locales())
    _log("created", 201, "User", str(user.id), scim.user_name)
    return _user_response(user, scim, 201)


@bp.get("/Users/<resource_id>")
def get_user(resource_id: str) -> Response:
    user, scim = services.find_user(resource_id)
    return _user_response(user, scim)


@bp.put("/Users/<resource_id>")
def replace_user(resource_id: str) -> Response:
    g.scim_resource_type, g.scim_resource_id = "User", resource_id
    user, scim = services.find_user(resource_id)
    _check_if_match(user_resource(user, scim).meta.version)
    data = _body()
    data.pop("id", None)
    resource = _parse_user(data, Context.RESOURCE_REPLACEMENT_REQUEST)
    outcome, scim = services.replace_user(user, scim, resource, _locales())
    _log(outcome, 200, "User", resource_id, scim.user_name)
    return _user_response(user, scim)


@bp.patch("/Users/<resource_id>")
def patch_user(resource_id: str) -> Response:
    from app.scim.schemas import UserResource

    g.scim_resource_type, g.scim_resource_id = "User", resource_id
    user, scim = services.find_user(resource_id)
    current = user_resource(user, scim)
    _check_if_match(current.meta.version)
    patch = PatchOp[UserResource].model_validate(
        normalise_patch(_body()), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=services.POLICY
    )
    current.meta = None
    current.groups = None
    previous = current.model_copy(deep=True)
    patch.patch(current, services.POLICY)
    outcome, scim = services.replace_user(user, scim, current, _locales(), previous)
    _log(outcome, 200, "User", resource_id, scim.user_name)
    return _user_response(user, scim)


@bp.delete("/Users/<resource_id>")
def delete_user(resource_id: str) -> Response:
    g.scim_resource_type, g.scim_resource_id = "User", resource_id
    user, scim = services.find_user(resource_id)
    _check_if_match(user_resource(user, scim).meta.version)
    services.delete_user(user, scim)
    _log("deleted", 204, "User", resource_id, services.user_name_of(user, scim))
    return _respond(None, 204)


# --- PATCH bodies as Entra ID and Okta send them ----------------------------------------------------------

_ENTERPRISE = schemas.ENTERPRISE_USER_SCHEMA.lower()
_DROPPED_KEYS = {"id", "meta", "schemas"}


def _as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    return value


def normalise_patch(body: dict[str, Any]) -> dict[str, Any]:
    """Read the PATCH variants providers send as RFC 7644 means them.

    Entra ID sends ``"active": "False"`` as a string, op names capitalised, the manager as a bare id on the
    path ``urn:…:enterprise:2.0:User:manager``, and operations with no path whose value names attributes
    with dotted or URN-qualified keys (``{"name.givenName": "Ada"}``); Okta sends ``id`` inside such a value.
    Each becomes the plain operation it stands for.
    """
    operations = body.get("Operations") or body.get("operations")
    if not isinstance(operations, list):
        return body
    normalised: list[Any] = []
    for operation in operations:
        if not isinstance(operation, dict):
            normalised.append(operation)
            continue
        op = {k.lower() if k.lower() in ("op", "path", "value") else k: v for k, v in operation.items()}
        if isinstance(op.get("op"), str):
            op["op"] = op["op"].lower()
        path = op.get("path")
        value = op.get("value")
        if not path and isinstance(value, dict) and op.get("op") in ("add", "replace"):
            for key, inner in value.items():
                if key in _DROPPED_KEYS:
                    continue
                normalised.append(_one({"op": op["op"], "path": key, "value": inner}))
            continue
        normalised.append(_one(op))
    return {**body, "Operations": normalised}


def _one(op: dict[str, Any]) -> dict[str, Any]:
    path = str(op.get("path") or "")
    value = op.get("value")
    lowered = path.lower()
    if lowered == "active" or lowered.endswith(":active"):
        op["value"] = _as_bool(value)
    if lowered in (f"{_ENTERPRISE}:manager", "manager") and isinstance(value, str):
        op["value"] = {"value": value} if value else None
        if not value:
            op = {"op": "remove", "path": path}
    if lowered in (f"{_ENTERPRISE}:manager", "manager") and isinstance(value, dict) and "value" in value:
        op["value"] = {"value": str(value["value"])} if value.get("value") else None
        if not value.get("value"):
            op = {"op": "remove", "path": path}
    if lowered.startswith("members") and isinstance(value, list):
        op["value"] = [{"value": str(v.get("value"))} if isinstance(v, dict) else v for v in value]
    return op


# --- Groups ---------------------------------------------------------------------------------------------


def group_resource(group: Group, scim: ScimGroup | None) -> Any:
    from app.scim.schemas import GroupResource

    members = sorted(group.memberships, key=lambda m: m.user_id)
    return GroupResource(
        id=str(group.id),
        external_id=scim.external_id if scim else None,
        display_name=group.name,
        members=[
            GroupMember(value=str(m.user_id), ref=_ref(f"{_base()}/Users/{m.user_id}"), type="User")
            for m in members
        ]
        or None,
        meta=Meta(
            resource_type="Group",
            created=group.created_at,
            last_modified=group.created_at,
            location=f"{_base()}/Groups/{group.id}",
            version=_version_of(scim.version if scim else 0, group.created_at),
        ),
    )


def _group_response(group: Group, scim: ScimGroup | None, status: int = 200) -> Response:
    resource = group_resource(group, scim)
    headers = {"ETag": resource.meta.version, "Location": resource.meta.location}
    if status == 200 and request.method == "GET":
        wanted = request.headers.get("If-None-Match")
        if wanted and resource.meta.version in [w.strip() for w in wanted.split(",")]:
            return _respond(None, 304, headers)
    search = _search_request() if request.method == "GET" else None
    return _respond(_dump(resource, search), status, headers)


def _parse_group(data: dict[str, Any], context: Context) -> Any:
    from app.scim.schemas import GroupResource

    data.pop("id", None)
    data.pop("meta", None)
    return GroupResource.model_validate(data, scim_ctx=context, scim_policy=services.POLICY)


@bp.get("/Groups")
def list_groups() -> Response:
    search = _search_request()
    start, count = _page(search)
    rows, total = services.search_groups(
        g.scim_filter, sort_by=search.sort_by, descending=_descending(search), start_index=start, count=count
    )
    return _list([group_resource(gr, s) for gr, s in rows], total, start, search)


@bp.post("/Groups")
def create_group() -> Response:
    g.scim_resource_type = "Group"
    resource = _parse_group(_body(), Context.RESOURCE_CREATION_REQUEST)
    group, scim = services.create_group(resource)
    _log("created", 201, "Group", str(group.id), group.name)
    return _group_response(group, scim, 201)


@bp.get("/Groups/<resource_id>")
def get_group(resource_id: str) -> Response:
    group, scim = services.find_group(resource_id)
    return _group_response(group, scim)


@bp.put("/Groups/<resource_id>")
def replace_group(resource_id: str) -> Response:
    g.scim_resource_type, g.scim_resource_id = "Group", resource_id
    group, scim = services.find_group(resource_id)
    _check_if_match(group_resource(group, scim).meta.version)
    resource = _parse_group(_body(), Context.RESOURCE_REPLACEMENT_REQUEST)
    outcome, scim = services.replace_group(group, scim, resource)
    _log(outcome, 200, "Group", resource_id, group.name)
    return _group_response(group, scim)


@bp.patch("/Groups/<resource_id>")
def patch_group(resource_id: str) -> Response:
    from app.scim.schemas import GroupResource

    g.scim_resource_type, g.scim_resource_id = "Group", resource_id
    group, scim = services.find_group(resource_id)
    current = group_resource(group, scim)
    _check_if_match(current.meta.version)
    patch = PatchOp[GroupResource].model_validate(
        normalise_patch(_body()), scim_ctx=Context.RESOURCE_PATCH_REQUEST, scim_policy=services.POLICY
    )
    current.meta = None
    patch.patch(current, services.POLICY)
    outcome, scim = services.replace_group(group, scim, current)
    _log(outcome, 200, "Group", resource_id, group.name)
    # Entra ID ignores the body; answering 204 would also do, but the resource is more useful.
    return _group_response(group, scim)


@bp.delete("/Groups/<resource_id>")
def delete_group(resource_id: str) -> Response:
    g.scim_resource_type, g.scim_resource_id = "Group", resource_id
    group, scim = services.find_group(resource_id)
    _check_if_match(group_resource(group, scim).meta.version)
    services.delete_group(group, scim)
    _log("deleted", 204, "Group", resource_id, group.name)
    return _respond(None, 204)


@bp.post("/Users/.search")
def search_users() -> Response:
    search = _search_request(_body())
    start, count = _page(search)
    rows, total = services.search_users(
        g.scim_filter, sort_by=search.sort_by, descending=_descending(search), start_index=start, count=count
    )
    return _list([user_resource(u, s) for u, s in rows], total, start, search)


@bp.post("/Groups/.search")
def search_groups() -> Response:
    search = _search_request(_body())
    start, count = _page(search)
    rows, total = services.search_groups(
        g.scim_filter, sort_by=search.sort_by, descending=_descending(search), start_index=start, count=count
    )
    return _list([group_resource(gr, s) for gr, s in rows], total, start, search)


# --- discovery ------------------------------------------------------------------------------------------


def _schemas() -> list[Any]:
    units = list(db.session.scalars(select(OrgUnit.name).order_by(OrgUnit.name).limit(100)))
    documents = schemas.schemas(_locales(), units)
    return [schemas.with_meta(d, f"{_base()}/Schemas/{d.id}") for d in documents]


def _discovery(document: Any) -> dict[str, Any]:
    return dict(document.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE))


@bp.get("/ServiceProviderConfig")
def service_provider_config() -> Response:
    config = schemas.with_meta(schemas.service_provider_config(), f"{_base()}/ServiceProviderConfig")
    return _respond(_discovery(config))


@bp.get("/Schemas")
def list_schemas() -> Response:
    documents = [_discovery(d) for d in _schemas()]
    return _respond(_list_payload(documents))


@bp.get("/Schemas/<path:schema_id>")
def get_schema(schema_id: str) -> Response:
    for document in _schemas():
        if str(document.id).lower() == schema_id.lower():
            return _respond(_discovery(document))
    raise NotFoundException(detail=f"no schema {schema_id}")


@bp.get("/ResourceTypes")
def list_resource_types() -> Response:
    documents = [
        _discovery(schemas.with_meta(t, f"{_base()}/ResourceTypes/{t.id}")) for t in schemas.resource_types()
    ]
    return _respond(_list_payload(documents))


@bp.get("/ResourceTypes/<type_id>")
def get_resource_type(type_id: str) -> Response:
    for resource_type in schemas.resource_types():
        if str(resource_type.id).lower() == type_id.lower():
            return _respond(
                _discovery(schemas.with_meta(resource_type, f"{_base()}/ResourceTypes/{type_id}"))
            )
    raise NotFoundException(detail=f"no resource type {type_id}")


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

    search = _search_request(_body())
    start, count = _page(search)
    found: list[Any] = []
    total = 0
    problems: list[InvalidFilterException] = []
    for kind in ("User", "Group"):
        search_fn = services.search_users if kind == "User" else services.search_groups
        try:
            rows, _total = search_fn(
                g.scim_filter, sort_by=None, descending=False, start_index=1, count=schemas.MAX_RESULTS
            )
        except InvalidFilterException as exc:
            problems.append(exc)
            continue
        total += _total
        found.extend(user_resource(*r) if kind == "User" else group_resource(*r) for r in rows)
    if len(problems) == 2:
        raise problems[0]
    return _list(found[start - 1 : start - 1 + count], total, start, search)


_DISCOVERY = {"serviceproviderconfig", "resourcetypes", "schemas"}


@bp.route("/<path:anything>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(anything: str) -> Response:
    if anything.split("/")[0].lower() in _DISCOVERY and request.method != "GET":
        return _error(405, f"{request.method} is not allowed on /scim/v2/{anything}")
    raise NotFoundException(detail=f"nothing at /scim/v2/{anything}")


_ = (ListResponse, current_app)
