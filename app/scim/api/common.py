"""The SCIM blueprint and what every endpoint shares: bearer-token sign-in, the operations log, errors as
RFC 7644 §3.12 says, and reading requests and writing responses in application/scim+json."""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any

from flask import Blueprint, Response, g, request
from pydantic import ValidationError as PydanticValidationError
from scim2_models import (
    Context,
    Error,
    InvalidSyntaxException,
    InvalidValueException,
    NotFoundException,
    PreconditionFailedException,
    SCIMException,
    SearchRequest,
)
from werkzeug.exceptions import HTTPException

from app.actors import Actor, reset_actor, set_actor
from app.extensions import db
from app.scim import schemas, services
from app.scim.models import ScimToken

bp = Blueprint("scim", __name__, url_prefix="/scim/v2")
MEDIA_TYPE = "application/scim+json"


class Unauthorized(SCIMException):
    status = 401


def respond(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = "" if payload is None else json.dumps(payload)
    response = Response(body, status=status, mimetype=MEDIA_TYPE if payload is not None else None)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def error_response(status: int, detail: str, scim_type: str | None = None) -> Response:
    error = Error(status=status, scim_type=scim_type, detail=detail)
    headers = {"WWW-Authenticate": 'Bearer realm="SCIM"'} if status == 401 else None
    return respond(error.model_dump(scim_ctx=Context.DEFAULT), status, headers)


@bp.errorhandler(SCIMException)
def _scim_error(exc: SCIMException) -> Response:
    return error_response(exc.status, exc.detail, exc.scim_type or None)


@bp.errorhandler(PydanticValidationError)
def _invalid(exc: PydanticValidationError) -> Response:
    error = Error.from_validation_errors(exc)[0]
    detail = error.detail or "invalid request"
    return error_response(error.status or 400, detail, error.scim_type or "invalidValue")


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    if isinstance(exc.response, Response):
        return exc.response  # already a SCIM error (the rate limit's, from too_many)
    code = exc.code or 500
    return error_response(code, exc.description or exc.name)


# Flask prefers the application's handler for a status code over a blueprint's handler for a class, so
# the codes the portal answers with HTML pages are claimed here by code too.
for _code in (400, 403, 404, 405, 413, 429):
    bp.register_error_handler(_code, _http_error)


# --- authentication, the actor, the operations log -----------------------------------------------------


def too_many(limit: Any) -> Response:
    """Over the rate limit: 429 as a SCIM error, with when to try again."""
    response = error_response(429, f"Too many requests for this token ({limit.limit}); slow down and retry")
    response.headers["Retry-After"] = "1"
    return response


def portal_suspended() -> Response:
    """At a suspended portal an identity provider gets a SCIM error it can log, not an HTML page."""
    return error_response(403, "This portal is suspended; provisioning is refused until it is resumed")


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


def log(outcome: str, status: int, resource_type: str, resource_id: str | None, detail: str = "") -> None:
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


def read_body() -> dict[str, Any]:
    raw = request.get_data(as_text=True)
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        raise InvalidSyntaxException(detail="the body is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidSyntaxException(detail="the body must be a JSON object")
    return data


def base_url() -> str:
    return request.host_url.rstrip("/") + bp.url_prefix  # type: ignore[operator]


def ref(url: str) -> Any:
    """A reference URI: scim2-models validates the string when the resource is built."""
    return url


def version_of(version: int, modified: Any) -> str:
    stamp = int(modified.timestamp()) if modified else 0
    return f'W/"{version}-{stamp}"'


def check_if_match(etag: str) -> None:
    wanted = request.headers.get("If-Match")
    if wanted and wanted.strip() != "*" and etag not in [w.strip() for w in wanted.split(",")]:
        raise PreconditionFailedException(detail="the resource changed since it was read (If-Match)")


def search_request(data: dict[str, Any] | None = None) -> SearchRequest[Any]:
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


def page_of(search: SearchRequest[Any]) -> tuple[int, int]:
    start = max(1, search.start_index or 1)
    count = search.count if search.count is not None else schemas.MAX_RESULTS
    return start, max(0, min(count, schemas.MAX_RESULTS))


def dump(resource: Any, search: SearchRequest[Any] | None = None) -> dict[str, Any]:
    return dict(resource.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=search))


def list_response_of(resources: list[Any], total: int, start: int, search: SearchRequest[Any]) -> Response:
    payload = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "startIndex": start,
        "itemsPerPage": len(resources),
        "Resources": [dump(r, search) for r in resources],
    }
    return respond(payload)


def locales() -> list[str]:
    return list(g.tenant.enabled_locales or ["en"])


def descending(search: SearchRequest[Any]) -> bool:
    return str(search.sort_order or "ascending").lower().endswith("descending")
