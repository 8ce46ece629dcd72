"""Safe redirects: only ever to a path on this same site, never to another host."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for
from htmx_flask import request


def safe_next(target: str | None) -> str:
    """*target* when it is a path on this site, else the home page."""
    if not target:
        return url_for("accounts.home")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return url_for("accounts.home")
    return target


def page_of(url: str | None) -> str | None:
    """The path (and query) of *url* when it is a page of this same host, else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return path if path.startswith("/") and not path.startswith("//") else None


def page_the_person_was_on() -> str | None:
    """The page a request was sent from: htmx says so (HX-Current-URL), a form's Referer otherwise."""
    return page_of(request.htmx.current_url) or page_of(request.referrer)
