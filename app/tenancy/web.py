"""Per-request tenancy: resolve the Host, set the tenant context, keep sessions at home."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response, render_template, request
from flask.globals import _cv_app, _cv_request
from flask_login import current_user

from app.tenancy import cache, context
from app.tenancy.services import normalise_host

# Endpoints that answer on any host, before (and without) a tenant.
HOSTLESS_ENDPOINTS = frozenset({"static", "tenancy.theme_static", "ops.healthz", "ops.readyz"})
# Files that look the same to everyone of a tenant, signed in or not: they keep their own caching.
#: How a blueprint that speaks a machine protocol answers at a suspended portal (e.g. SCIM's error
#: document), keyed by blueprint name; everything else gets the suspended page.
SUSPENDED_ANSWERS: dict[str, Callable[[], Response]] = {}

PUBLIC_ASSET_ENDPOINTS = HOSTLESS_ENDPOINTS | {"tenancy.brand_css", "tenancy.brand_image", "tenancy.favicon"}
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_HOST_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_IPV6_LITERAL_RE = re.compile(r"\[[0-9a-f:.]{2,45}\]")
_PORT_RE = re.compile(r"[0-9]{1,5}")
# Every response carries these (a view may set its own first).
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; style-src 'self'; "
        "script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    ),
)
# The same names lower-cased, as a response's headers are compared.
_SECURITY_HEADERS_LOWER = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS)
# What a malformed Host is replaced with on its way in: RFC 6761 reserves .invalid, so no tenant has it.
MALFORMED_HOST_STAND_IN = "malformed-host.invalid"


def host_is_well_formed(host: str) -> bool:
    """Whether *host* (a Host header: a DNS name or an IP literal, with an optional port) can name a site."""
    host = host.lower()
    if host.startswith("["):
        literal, bracket, rest = host.partition("]")
        name_ok = bool(bracket) and _IPV6_LITERAL_RE.fullmatch(literal + bracket) is not None
        if rest and not rest.startswith(":"):
            return False
        port = rest[1:] if rest else None
    else:
        name, colon, port_text = host.rpartition(":")
        if not colon:
            name, port = host, None
        else:
            port = port_text
        name = name[:-1] if name.endswith(".") else name  # one trailing dot: the fully-qualified form
        labels = name.split(".")
        name_ok = len(name) <= 253 and all(_HOST_LABEL_RE.fullmatch(label) for label in labels)
        if name_ok and "xn--" in name:
            try:
                name.encode("ascii").decode("idna")  # an internationalised label must be valid punycode
            except UnicodeError:
                return False
    if port is not None and not (_PORT_RE.fullmatch(port) and 1 <= int(port) <= 65535):
        return False
    return name_ok


class RefuseMalformedHosts:
    """Give a request whose Host cannot name a site a stand-in host that no tenant has: a plain 404.

    Routing itself fails on such hosts (".localhost", "a..b", a 64-letter label), before any hook
    can answer, so the check is made where the request enters the application.
    """

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or ""
        if not host_is_well_formed(host):
            environ["atrium.malformed_host"] = host[:300]
            environ["HTTP_HOST"] = MALFORMED_HOST_STAND_IN
        result: Iterable[bytes] = self.wsgi_app(environ, start_response)
        return result


def request_id_for(incoming: str) -> str:
    """The id a request is known by: the one it came with (from a load balancer) when plausible, else new."""
    return incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex


def _request_id() -> str:
    return request_id_for(request.environ.get("HTTP_X_REQUEST_ID", ""))  # the X-Request-ID header


def init_app(app: Flask) -> None:
    app.wsgi_app = RefuseMalformedHosts(app.wsgi_app)  # type: ignore[method-assign]
    cache.init_app(app)
    tenants = cache.tenant_cache(app)

    @app.before_request
    def _resolve_tenant() -> Response | tuple[str, int] | None:
        # The request, its session and ``g`` read once from their contexts: each read through Flask's
        # proxies costs three calls, and every request (every signed-in page) comes through here.
        request_context = _cv_request.get()
        here, app_g = request_context.request, _cv_app.get().g
        environ = here.environ
        app_g.request_id = request_id_for(environ.get("HTTP_X_REQUEST_ID", ""))
        if "atrium.malformed_host" in environ:
            app_g.unknown_host = True
            return render_template("errors/not_found.html"), 404
        if here.endpoint in HOSTLESS_ENDPOINTS:
            return None
        root = request_context.app.config["ATRIUM_DOMAIN"]
        host = here.host
        if normalise_host(host) == normalise_host(root):
            # The console works across tenants: its whole request runs as the platform database
            # role, chosen from the Host header before the first query (docs/decisions/0009).
            app_g.platform_token = context.open_platform("platform console request")
        tenant = tenants.tenant_for_host(host, root)
        if tenant is None:
            app_g.unknown_host = True
            return render_template("errors/not_found.html"), 404
        app_g.tenant = tenant
        app_g.tenant_context_token = context.set_tenant(tenant.id)
        if not tenant.is_active:
            answer = SUSPENDED_ANSWERS.get(here.blueprint or "")
            return answer() if answer is not None else (render_template("errors/suspended.html"), 403)
        session = request_context.session
        if session.get("tenant_id") not in (None, tenant.id):
            # A session issued by another tenant is not a login here.
            session.clear()
        return None

    @app.after_request
    def _finish(response: Response) -> Response:
        headers = response.headers
        # Which headers the view set, looked at once: asking the headers for each name (setdefault)
        # compares every header's lower-cased name again, some eighty calls a response.
        present = {name.lower() for name, _value in headers}
        request_id = _cv_app.get().g.__dict__.get("request_id") or _request_id()
        if "x-request-id" in present:
            headers["X-Request-ID"] = request_id
        else:
            headers.add("X-Request-ID", request_id)
        for lowered, name, value in _SECURITY_HEADERS_LOWER:
            if lowered not in present:
                headers.add(name, value)
        if _cv_request.get().request.endpoint not in PUBLIC_ASSET_ENDPOINTS and current_user.is_authenticated:
            # Signed-in pages, exports and files hold people's data: no browser or proxy keeps a copy
            # (a shared computer's back button or a cache must not show them after sign-out).
            if "cache-control" in present:
                headers["Cache-Control"] = "no-store"
            else:
                headers.add("Cache-Control", "no-store")
        if response.mimetype == "text/html":
            # Pages may render a partial for htmx; caches must keep the two apart.
            if "vary" in present:
                response.vary.add("HX-Request")
            else:
                headers.add("Vary", "HX-Request")  # what ``vary.add`` writes when there is none yet
        return response

    @app.teardown_request
    def _reset_context(exc: BaseException | None) -> None:
        app_g = _cv_app.get().g.__dict__
        token = app_g.pop("tenant_context_token", None)
        if token is not None:
            context.reset(token)
        platform_token = app_g.pop("platform_token", None)
        if platform_token is not None:
            context.close_platform(platform_token)

    @app.context_processor
    def _inject_tenant() -> dict[str, object]:
        return {"tenant": _cv_app.get().g.__dict__.get("tenant")}
