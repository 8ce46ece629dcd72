"""Static and theme files are linked by content hash and kept a year; old URLs never pass as current."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from app.assets import content_version

ROOT = Path(__file__).resolve().parent.parent
IMMUTABLE = "public, max-age=31536000, immutable"


def _linked(page: str, path: str) -> str:
    """The URL *page* links to the file at *path*, query string included."""
    match = re.search(rf'(?:href|src)="({re.escape(path)}\?v=[^"]+)"', page)
    assert match, f"{path} is not linked with a version"
    return match.group(1)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_pages_link_static_and_theme_files_by_their_content_hash(tenant_factory, user_factory, client_for):
    tenant = tenant_factory(theme="warm")
    page = client_for(tenant, user_factory(tenant)).get("/").get_data(as_text=True)
    css = ROOT / "app" / "static" / "css" / "atrium.css"
    theme_css = ROOT / "themes" / "warm" / "static" / "theme.css"
    assert _linked(page, "/static/css/atrium.css") == f"/static/css/atrium.css?v={_sha(css)}"
    assert _linked(page, "/themes/warm/theme.css") == f"/themes/warm/theme.css?v={_sha(theme_css)}"
    assert _linked(page, "/static/vendor/htmx.min.js").startswith("/static/vendor/htmx.min.js?v=")


@pytest.mark.parametrize(
    "path", ["/static/css/atrium.css", "/static/js/atrium.js", "/themes/midnight/theme.css"]
)
def test_a_file_at_its_hashed_url_is_kept_a_year_and_revalidates_to_304(tenant_factory, client_for, path):
    client = client_for(tenant_factory())
    file = ROOT / ("themes/midnight/static/theme.css" if path.startswith("/themes/") else "app" + path)
    with client.get(f"{path}?v={_sha(file)}") as response:
        assert response.status_code == 200
        assert response.data == file.read_bytes()
        assert response.headers["Cache-Control"] == IMMUTABLE
        etag = response.headers["ETag"]
    assert etag == f'"{_sha(file)}"'
    with client.get(f"{path}?v={_sha(file)}", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
        assert again.data == b""
        assert again.headers["Cache-Control"] == IMMUTABLE


def test_an_old_hash_gets_todays_file_that_must_revalidate(tenant_factory, client_for):
    client = client_for(tenant_factory())
    css = ROOT / "app" / "static" / "css" / "atrium.css"
    with client.get("/static/css/atrium.css?v=0123456789ab") as response:
        assert response.status_code == 200
        assert response.data == css.read_bytes()
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["ETag"] == f'"{_sha(css)}"'


def test_a_url_without_a_hash_still_works_kept_briefly_with_an_etag(tenant_factory, client_for):
    client = client_for(tenant_factory())
    with client.get("/themes/corporate/theme.css") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=300"
        etag = response.headers["ETag"]
    with client.get("/themes/corporate/theme.css", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


@pytest.mark.parametrize(
    "path", ["/static/css/nothing.css", "/static/../config.py", "/themes/warm/nothing.css"]
)
def test_missing_or_outside_files_are_not_found(tenant_factory, client_for, path):
    assert client_for(tenant_factory()).get(path).status_code == 404


def test_a_changed_file_gets_a_new_hash(tmp_path):
    file = tmp_path / "site.css"
    file.write_text("body { color: black; }")
    before = content_version(file)
    assert content_version(file) == before
    file.write_text("body { color: navy; }")
    after = content_version(file)
    assert after is not None and after != before
    assert after == hashlib.sha256(file.read_bytes()).hexdigest()[:12]
    assert content_version(tmp_path / "gone.css") is None
    assert content_version(tmp_path) is None
