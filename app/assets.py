"""Files that change only with a deploy, at URLs that name their content: kept by browsers for a year.

``url_for('static', filename=...)`` adds ``?v=<hash of the file>`` by itself. A request whose ``v`` is the
file's current hash is answered ``immutable`` for a year; one without ``v`` (a bookmarked or hand-written
URL) is kept a few minutes; one with any other ``v`` (a page rendered before a deploy) gets today's file
and must revalidate, so an old URL is never cached as if it were current. Every answer carries the hash as
its ``ETag``, so a browser that asks again with ``If-None-Match`` gets ``304 Not Modified`` and no body.
"""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path
from typing import Any

from flask import Flask, abort, request, send_from_directory
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

ONE_YEAR = 31536000
IMMUTABLE = f"public, max-age={ONE_YEAR}, immutable"
# No hash in the URL: kept briefly, then revalidated with the ETag (a deploy shows within minutes).
UNVERSIONED = "public, max-age=300"
# Another hash than the file's: the answer is today's file, which that URL must not keep for a year.
REVALIDATE = "no-cache"

_versions: dict[Path, tuple[tuple[int, int], str]] = {}


def content_version(path: Path) -> str | None:
    """A short hash of the file at *path* (None if it is no file), hashed again only when it changes."""
    try:
        info = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    key = (info.st_mtime_ns, info.st_size)
    cached = _versions.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    version = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    _versions[path] = (key, version)
    return version


def file_version(folder: Path, filename: str) -> str | None:
    """The content hash of *filename* inside *folder*, or None if it is not a file there."""
    joined = safe_join(str(folder), filename)
    return content_version(Path(joined)) if joined is not None else None


def cache_control(asked: str | None, current: str) -> str:
    """How long the answer to a URL asking for version *asked* may be kept, when *current* is served."""
    if asked == current:
        return IMMUTABLE
    return REVALIDATE if asked else UNVERSIONED


def send_versioned_file(folder: Path, filename: str) -> Response:
    """Send *filename* from *folder* with its content hash as ETag, cached as its URL allows."""
    version = file_version(folder, filename)
    if version is None:
        abort(404)
    asked = request.args.get("v")
    response = send_from_directory(
        folder, filename, etag=version, max_age=ONE_YEAR if asked == version else None
    )
    response.headers["Cache-Control"] = cache_control(asked, version)
    return response


def init_app(app: Flask) -> None:
    """Serve Atrium's own static files by content hash, and put the hash in every URL built for them."""
    if app.static_folder is None:
        return
    folder = Path(app.static_folder)

    def static(filename: str) -> Response:
        return send_versioned_file(folder, filename)

    app.view_functions["static"] = static

    @app.url_defaults
    def _version_static_urls(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values:
            version = file_version(folder, str(values.get("filename", "")))
            if version is not None:
                values["v"] = version
