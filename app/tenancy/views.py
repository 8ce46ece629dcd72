"""Public, tenant-resolved assets: the brand stylesheet, logo, favicon and theme static files.

Each is linked with a version in its URL (``?v=``): the brand version for the brand's files, the file's
content hash for a theme's. A URL naming the current version is kept for a year (``immutable``); any other
is answered with the current file and must revalidate, by ETag, so a changed brand shows at once.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, g, request
from werkzeug.wrappers import Response as BaseResponse

from app.assets import cache_control, file_version, send_versioned_file
from app.storage import storage
from app.tenancy.branding import DEFAULT_FAVICON, brand_version
from app.tenancy.themes import THEMES_ROOT, available_themes, brand_variables, get_theme, stylesheet

bp = Blueprint("tenancy", __name__)

ONE_DAY = 86400


def _cached_by_brand(response: BaseResponse, version: str, *, unversioned: str = "no-cache") -> BaseResponse:
    """Tag *response* with the brand *version*; keep it a year only at the URL that names that version."""
    response.set_etag(version)
    asked = request.args.get("v")
    response.headers["Cache-Control"] = cache_control(asked, version) if asked else unversioned
    return response.make_conditional(request)


@bp.route("/brand.css")
def brand_css() -> BaseResponse:
    """The tenant's theme variables with its brand colours laid over them."""
    tenant = g.get("tenant")
    theme = get_theme(tenant.theme if tenant else None)
    css = stylesheet(brand_variables(theme, tenant.branding if tenant else {}))
    return _cached_by_brand(Response(css, mimetype="text/css"), brand_version(tenant))


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
    return _cached_by_brand(response, brand_version(tenant))


@bp.route("/favicon.ico")
def favicon() -> BaseResponse:
    """The portal's favicon where browsers look for it: the tenant's own, else Atrium's."""
    tenant = g.get("tenant")
    key = (tenant.branding or {}).get("favicon") if tenant else None
    data = storage().read(key, tenant_id=tenant.id) if key and tenant else None
    if data is None:
        data = DEFAULT_FAVICON.read_bytes()
    # The bare /favicon.ico browsers ask for by themselves: kept a day, then revalidated against the brand.
    return _cached_by_brand(
        Response(data, mimetype="image/png"), brand_version(tenant), unversioned=f"public, max-age={ONE_DAY}"
    )


@bp.route("/themes/<theme>/<path:filename>")
def theme_static(theme: str, filename: str) -> BaseResponse:
    """A theme's static file (fonts, images, theme.css), by the content hash its URL carries."""
    if theme not in available_themes():
        abort(404)
    return send_versioned_file(THEMES_ROOT / theme / "static", filename)


@bp.url_defaults
def _version_theme_urls(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "tenancy.theme_static" and "v" not in values and values.get("theme") in available_themes():
        version = file_version(THEMES_ROOT / str(values["theme"]) / "static", str(values.get("filename", "")))
        if version is not None:
            values["v"] = version
