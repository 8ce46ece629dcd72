"""Fire N requests at the same moment against the app on a live, threaded local server.

A race needs real parallel requests: each one in its own server thread, its own database
connection and transaction, as production serves them. Use it like this::

    from tests.concurrency import LiveClient, in_parallel

    def test_ten_submits_grade_once(live_port, ...):
        client = LiveClient(live_port, tenant)
        client.sign_in(learner.email)
        token = client.csrf_token(f"/attempts/{attempt_id}")
        responses = in_parallel(10, lambda i: client.post(f"/attempts/{attempt_id}/submit", {...}))

On SQLite, writes wait for each other (one writer at a time), so races are most honest on
PostgreSQL (TEST_POSTGRES_URL); the tests still run on SQLite when they pass reliably there.
"""

from __future__ import annotations

import http.client
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any, TypeVar

import pytest
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, tenant_host

T = TypeVar("T")


@pytest.fixture(scope="session")
def live_port(app: Any) -> Iterator[int]:
    """The test app served by a threaded server on a free local port; yields the port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    thread.join(timeout=10)


@dataclass
class LiveResponse:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def location(self) -> str:
        """The redirect's path (and query), without scheme and host."""
        parts = urllib.parse.urlsplit(self.headers.get("location", ""))
        return parts.path + (f"?{parts.query}" if parts.query else "")


class LiveClient:
    """One person's browser on one tenant's portal: cookies kept, requests safe to send from many threads."""

    def __init__(self, port: int, tenant: Any) -> None:
        self.port = port
        self.host = f"{tenant_host(tenant)}:{port}"
        self.cookies: dict[str, str] = {}
        self._lock = threading.Lock()

    def request(self, method: str, path: str, data: dict[str, Any] | None = None) -> LiveResponse:
        body = urllib.parse.urlencode(data or {}, doseq=True) if data is not None else None
        with self._lock:
            cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        headers = {"Host": self.host, "User-Agent": "atrium-concurrency-test"}
        if cookie:
            headers["Cookie"] = cookie
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            self._keep_cookies(response.headers.get_all("Set-Cookie") or [])
            return LiveResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
        finally:
            connection.close()

    def _keep_cookies(self, set_cookies: list[str]) -> None:
        with self._lock:
            for header in set_cookies:
                parsed = SimpleCookie()
                parsed.load(header)
                for name, morsel in parsed.items():
                    if morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"]):
                        self.cookies.pop(name, None)
                    else:
                        self.cookies[name] = morsel.value

    def get(self, path: str) -> LiveResponse:
        return self.request("GET", path)

    def post(self, path: str, data: dict[str, Any]) -> LiveResponse:
        return self.request("POST", path, data)

    def csrf_token(self, path: str) -> str:
        page = self.get(path).text
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        token = self.csrf_token("/sign-in")
        response = self.post("/sign-in", {"email": email, "password": password, "csrf_token": token})
        assert response.status == 302, response.text[:2000]


def in_parallel(count: int, send: Callable[[int], T]) -> list[T]:
    """Call ``send(0) … send(count - 1)`` in *count* threads released together; return their results."""
    barrier = threading.Barrier(count)

    def run(index: int) -> T:
        barrier.wait(timeout=30)
        return send(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))
