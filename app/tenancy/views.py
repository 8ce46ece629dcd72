"""Public, tenant-resolved assets: the brand stylesheet, logo, favicon and theme static files."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, g, request, send_from_directory
from werkzeug.wrappers import Response as BaseResponse

from app.storage import storage
from app.tenancy.branding import brand_version
from app.tenancy.themes import THEMES_ROOT, available_themes, brand_variables, get_theme, stylesheet

bp = Blueprint("tenancy", __name__)

ONE_YEAR = 31536000


def _cacheable(response: BaseResponse) -> BaseResponse:
    if request.args.get("v"):
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/brand.css")
def brand_css() -> BaseResponse:
    """The tenant's theme variables with its brand colours laid over them."""
    tenant = g.get("tenant")
    theme = get_theme(tenant.theme if tenant else None)
    css = stylesheet(brand_variables(theme, tenant.branding if tenant else {}))
    response = Response(css, mimetype="text/css")
    response.set_etag(brand_version(tenant))
    return _cacheable(response.make_conditional(request))


@bp.route("/brand/<any(logo, favicon):kind>")
def brand_image(kind: str) -> BaseResponse:
    """The tenant's logo or favicon, as uploaded (re-encoded) on the Branding page."""
    tenant = g.get("tenant")
    key = (tenant.branding or {}).get(kind) if tenant else None
    data = storage().read(key, tenant_id=tenant.id) if key and tenant else None
    if data is None or key is None:
        abort(404)
    extension = str(key).rsplit(".", 1)[1]
    mimetype = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}.get(extension)
    if mimetype is None:
        abort(404)
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = "inline"
    return _cacheable(response)


DEFAULT_FAVICON = Path(__file__).resolve().parent.parent / "static" / "img" / "favicon.png"
ONE_DAY = 86400


@bp.route("/favicon.ico")
def favicon() -> BaseResponse:
    """The portal's favicon where browsers look for it: the tenant's own, else Atrium's."""
    tenant = g.get("tenant")
    key = (tenant.branding or {}).get("favicon") if tenant else None
    data = storage().read(key, tenant_id=tenant.id) if key and tenant else None
    if data is None:
        data = DEFAULT_FAVICON.read_bytes()
    response = Response(data, mimetype="image/png")
    response.set_etag(f"{brand_version(tenant) if tenant else 'atrium'}-{len(data)}")
    if request.args.get("v"):
        response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
    else:  # the bare /favicon.ico browsers ask for: kept a day, then revalidated against the brand
        response.headers["Cache-Control"] = f"public, max-age={ONE_DAY}"
    return response.make_conditional(request)


@bp.route("/themes/<theme>/<path:filename>")
def theme_static(theme: str, filename: str) -> Response:
    """A theme's static file (fonts, images, theme.css)."""
    if theme not in available_themes():
        abort(404)
    response = send_from_directory(THEMES_ROOT / theme / "static", filename, max_age=3600)
    return response
