"""HR sync fixtures: a CSV source (the real "csv" kind) previewed with uploaded text, and runs of it."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.syncs.services import runs, sources
from app.tenancy import as_tenant

RECORDED = Path(__file__).resolve().parent / "recorded"


@pytest.fixture(autouse=True)
def sync_jobs_inline(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the jobs these tests start at once, as without Redis, so they read the run's outcome
    straight away on both databases; a test marked ``redis`` keeps the real queue and worker."""
    if "redis" in request.keywords:
        return
    from app import jobs
    from app.tenancy import context

    def inline(fn: Any, *args: Any, queue: str = "default", job_key: str | None = None, **kwargs: Any):
        jobs.run_inline(context.current_tenant_id(), jobs.function_path(fn), args, kwargs)
        return None

    monkeypatch.setattr(jobs, "enqueue", inline)
    monkeypatch.setattr("app.syncs.jobs.enqueue", inline)


@dataclass
class Recorded:
    """What the local server answers (path → status, headers, body) and what it was asked."""

    answers: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0

    def url(self, path: str = "") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(
        self,
        path: str,
        body: bytes | str,
        status: int = 200,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ):
        data = body.encode() if isinstance(body, str) else body
        self.answers[path] = (status, {"Content-Type": content_type, **(headers or {})}, data)

    def answer_file(self, path: str, name: str, content_type: str = "application/json") -> None:
        self.answer(path, (RECORDED / name).read_bytes(), content_type=content_type)


@contextmanager
def serve_recorded(app: Any) -> Iterator[Recorded]:
    """A real HTTP server on 127.0.0.1 (a thread) answering recorded vendor responses; 127.0.0.1 allowed."""
    recorded = Recorded()

    class Handler(http.server.BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            recorded.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": self.rfile.read(length) if length else b"",
                }
            )
            status, headers, body = recorded.answers.get(self.path.split("?")[0], (404, {}, b""))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorded.port = httpd.server_port
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    saved = {key: app.config.get(key) for key in ("OUTBOUND_ALLOWED_HOSTS", "OUTBOUND_ALLOW_PRIVATE")}
    app.config.update(OUTBOUND_ALLOWED_HOSTS="127.0.0.1", OUTBOUND_ALLOW_PRIVATE=False)
    try:
        yield recorded
    finally:
        app.config.update(saved)
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def hr_api(app: Any) -> Iterator[Recorded]:
    """A local HTTP server answering recorded HR vendor responses (no request context pushed)."""
    with serve_recorded(app) as recorded:
        yield recorded


HEADER = ",".join(
    [
        "employee_id",
        "email",
        "first_name",
        "last_name",
        "job_title",
        "hire_date",
        "location",
        "department",
        "manager_employee_id",
        "status",
    ]
)


def csv_of(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


@pytest.fixture
def make_source(db: Any) -> Callable[..., Any]:
    def make(tenant: Any, **values: Any) -> Any:
        with as_tenant(tenant):
            source = sources.create_source(
                {
                    "name": values.pop("name", "HR export"),
                    "kind": "csv",
                    "schedule": "off",
                    "schedule_hour": "2",
                    "max_deactivate_percent": "5",
                    "max_change_percent": "20",
                    **values,
                }
            )
            db.session.commit()
            return source

    return make


def preview(db: Any, tenant: Any, source: Any, upload: bytes, trigger: str = "manual") -> Any:
    """Preview *upload* as a run of *source* (inline: no Redis in tests) and return the run."""
    with as_tenant(tenant):
        source = db.session.merge(source)
        run = runs.start_preview(source, upload=upload, trigger=trigger)
        db.session.commit()
        return run


def apply(db: Any, tenant: Any, run: Any) -> Any:
    with as_tenant(tenant):
        run = db.session.merge(run)
        run = runs.start_apply(run)
        db.session.commit()
        return run
