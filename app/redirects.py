"""Safe redirects: only ever to a path on this same site, never to another host."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for
from htmx_flask import request


def local_path(target: str | None) -> str | None:
    """*target* when it is a path on this site (no scheme, host, ``//`` or backslash), else None."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def safe_next(target: str | None) -> str:
    """*target* when it is a path on this site, else the home page."""
    return local_path(target) or url_for("accounts.home")


def page_of(url: str | None) -> str | None:
    """The path (and query) of *url* when it is a page of this same host, else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return local_path(parts.path + (f"?{parts.query}" if parts.query else ""))


def page_the_person_was_on() -> str | None:
    """The page a request was sent from: htmx says so (HX-Current-URL), a form's Referer otherwise."""
    return page_of(request.htmx.current_url) or page_of(request.referrer)
