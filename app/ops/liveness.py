"""``/healthz``: answered where requests enter the application, before any of its machinery runs.

A liveness probe asks one thing, whether this process still answers, and load balancers ask it
several times a second per process. So it touches nothing a page needs: no Host check or tenant,
no session or cookie, no database, no language, no rate limit, no request log line. What can break
in those is for ``/readyz`` to report (database, Redis, workers); it stays an ordinary view.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.tenancy.web import SECURITY_HEADERS, request_id_for

PATH = "/healthz"
BODY = b'{"status":"ok"}\n'
_HEADERS = [
    ("Content-Type", "application/json"),
    ("Content-Length", str(len(BODY))),
    *SECURITY_HEADERS,
]


class AnswerLiveness:
    """Answer ``GET``/``HEAD /healthz`` with ``{"status":"ok"}``; hand every other request on."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            result: Iterable[bytes] = self.wsgi_app(environ, start_response)
            return result
        start_response(
            "200 OK", [*_HEADERS, ("X-Request-ID", request_id_for(environ.get("HTTP_X_REQUEST_ID", "")))]
        )
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [BODY]
