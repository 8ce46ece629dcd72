"""Fixtures: ``app``, ``db``, ``tenant_factory``, ``user_factory``, ``client_for``, ``count_queries``.

The database is created fresh for each test run and migrated with the real
migrations: SQLite in a temporary folder by default; PostgreSQL when
TEST_POSTGRES_URL names an admin connection (a new database with an owner role,
an application role under row-level security and the platform role that the
console's cross-tenant reads and global-table writes use). Redis and a real worker
process are used when TEST_REDIS_URL is set; jobs run inline otherwise.

Tests isolate themselves by creating their own tenants (unique slugs), which
is exactly the isolation the product promises; nothing is shared between
tests but the platform tenant.
"""

from __future__ import annotations

import contextvars
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app import create_app
from app.extensions import db as _db

# The live_port fixture and helpers for firing parallel requests at a live server.
pytest_plugins = ("tests.concurrency",)

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("TEST_REDIS_URL")
TEST_DOMAIN = "atrium.test"
PASSWORD = "correct horse battery"


def pytest_report_header(config: Any) -> str:
    database = "PostgreSQL (row-level security)" if POSTGRES_ADMIN_URL else "SQLite"
    jobs = "RQ on Redis with a worker process" if REDIS_URL else "inline"
    return f"atrium: database={database}, jobs={jobs}"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if "postgres" in item.keywords and not POSTGRES_ADMIN_URL:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL run only (set TEST_POSTGRES_URL)"))
        if "redis" in item.keywords and not REDIS_URL:
            item.add_marker(pytest.mark.skip(reason="Redis run only (set TEST_REDIS_URL)"))


@pytest.fixture(scope="session", autouse=True)
def cheapest_argon2() -> Iterator[None]:
    """Passwords and PINs hashed with Argon2 at argon2-cffi's ``CHEAPEST`` parameters, its profile for tests.

    The same algorithm, library and code paths, with a hash or check costing 0.1 ms instead of 110 ms: the
    suite hashes thousands of passwords (every person a test creates, every sign-in), which took minutes of
    CI. Production keeps argon2-cffi's defaults (RFC 9106's second recommended option); a hash made with
    either set of parameters verifies under the other, so the worker process and stored hashes still work.
    """
    from argon2 import PasswordHasher, profiles

    from app.accounts.services import passwords
    from app.crew import services as crew

    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    saved = {module: (module._hasher, module._DUMMY_HASH) for module in (passwords, crew)}
    for module in saved:
        module._hasher, module._DUMMY_HASH = cheap, cheap.hash("atrium-timing-equaliser")
    yield
    for module, (hasher, dummy) in saved.items():
        module._hasher, module._DUMMY_HASH = hasher, dummy


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if POSTGRES_ADMIN_URL:
        from app.tenancy.postgres import drop_database, prepare_database

        name = f"atrium_test_{uuid.uuid4().hex[:12]}"
        urls = prepare_database(POSTGRES_ADMIN_URL, name)
        yield {"app": urls.app, "owner": urls.owner, "platform": urls.platform, "name": name}
        drop_database(POSTGRES_ADMIN_URL, name)
    else:
        path = tmp_path_factory.mktemp("db") / "atrium.sqlite3"
        url = f"sqlite:///{path}"
        yield {"app": url, "owner": url, "name": str(path)}


class Mailbox:
    """Messages received by the test SMTP server."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes
        from email.policy import default

        self.messages.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def wait_for(self, to: str, timeout: float = 30) -> Any:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if to in message["To"]:
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no mail to {to} within {timeout}s")


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[str, int, Mailbox]]:
    """A real SMTP server (aiosmtpd) on a free local port."""
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield "127.0.0.1", port, mailbox
    controller.stop()


@pytest.fixture
def jobs_inline(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the jobs a test starts at once, as on a machine without Redis, on either database (for tests
    that read a job's outcome straight away; the real queue and worker have tests of their own)."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)


@pytest.fixture
def mailbox(smtp_server: tuple[str, int, Mailbox]) -> Mailbox:
    return smtp_server[2]


@pytest.fixture(scope="session")
def app(
    database_urls: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
    smtp_server: tuple[str, int, Mailbox],
) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("instance")
    os.environ["ATRIUM_INSTANCE_PATH"] = str(instance)
    application = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key-not-for-production",
            "SQLALCHEMY_DATABASE_URI": database_urls["app"],
            "MIGRATION_DATABASE_URL": database_urls["owner"],
            "PLATFORM_DATABASE_URL": database_urls.get("platform"),
            "REDIS_URL": REDIS_URL,
            "RATELIMIT_STORAGE_URI": "memory://",
            "ATRIUM_DOMAIN": TEST_DOMAIN,
            "MAIL_SERVER": smtp_server[0],
            "MAIL_PORT": smtp_server[1],
            "LOG_JSON": True,
        }
    )
    # The catalogs are compiled by `make install`; compile here too so pytest alone works.
    from babel.messages.frontend import CommandLineInterface

    previous = Path.cwd()
    os.chdir(Path(__file__).resolve().parent.parent)
    try:
        CommandLineInterface().run(["pybabel", "-q", "compile", "-d", "translations"])
    finally:
        os.chdir(previous)
    with application.app_context():
        from flask_migrate import upgrade

        from app.console.services import ensure_platform_tenant

        upgrade()
        ensure_platform_tenant()
        _db.session.commit()
        _db.session.remove()
    yield application
    with application.app_context():
        _db.session.remove()
        for engine in _db.engines.values():
            engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    with app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()


def unique_slug(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def tenant_factory(db: Any) -> Callable[..., Any]:
    from app.console.services import create_tenant

    def make(slug: str | None = None, **fields: Any) -> Any:
        fields.setdefault("display_name", "Test portal")
        tenant = create_tenant(slug or unique_slug(), **fields)
        db.session.commit()
        return tenant

    return make


@pytest.fixture
def user_factory(db: Any) -> Callable[..., Any]:
    from app.accounts.services import create_user
    from app.tenancy import as_tenant

    def make(
        tenant: Any,
        email: str | None = None,
        *,
        roles: tuple[str, ...] = ("learner",),
        password: str | None = PASSWORD,
        **fields: Any,
    ) -> Any:
        with as_tenant(tenant):
            user = create_user(
                email or f"{uuid.uuid4().hex[:8]}@example.com",
                fields.pop("full_name", "Pat Person"),
                password=password,
                role_keys=roles,
                **fields,
            )
        db.session.commit()
        return user

    return make


def tenant_host(tenant: Any) -> str:
    return TEST_DOMAIN if tenant.is_platform else f"{tenant.slug}.{TEST_DOMAIN}"


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def continued_to(response: Any) -> str:
    """Where a page that moves on by itself (accounts.views.continue_to) sends the browser."""
    import html

    body = response.get_data(as_text=True)
    assert response.status_code == 200, body
    match = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', body)
    assert match, body
    return html.unescape(match.group(1))


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client, "/sign-in")
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})


def two_step_code(tenant: Any, email: str, app: Flask | None = None) -> str:
    """The code a person's authenticator app shows now that the portal has not accepted yet."""
    import time

    import pyotp
    from flask import current_app

    from app.accounts.services import user_by_email
    from app.identity.two_step import services as two_step
    from app.tenancy import as_tenant

    tenant_id = tenant if isinstance(tenant, int) else tenant.id
    # A fresh application context: a fresh database session, not the test's (it may hold old rows).
    with (app or current_app).app_context(), as_tenant(tenant_id):
        user = user_by_email(email)
        assert user is not None, email
        row = two_step.secret_row(user)
        assert row is not None and row.enabled, f"{email} has no two-step sign-in"
        secret, last_used = two_step.secret_of(row), row.last_used_step
    step = max(two_step.current_step(), last_used + 1)
    while step > two_step.current_step() + 1:  # two codes used within one step already: wait for the next
        time.sleep(1)
    return pyotp.TOTP(secret).generate_otp(step)


def finish_two_step(client: FlaskClient, response: Any, tenant: Any, email: str) -> Any:
    """After the password: enter the code (or set up the app when the portal requires it) like a person."""
    import pyotp

    location = response.headers.get("Location", "") if response.status_code == 302 else ""
    if location.endswith("/sign-in/two-step/set-up"):
        page = client.get("/sign-in/two-step/set-up").get_data(as_text=True)
        match = re.search(r'id="two-step-secret"[^>]*>([^<]+)<', page)
        assert match, page[:2000]
        token = csrf_token(client, "/sign-in/two-step/set-up")
        code = pyotp.TOTP(match.group(1).replace(" ", "")).now()
        response = client.post("/sign-in/two-step/set-up", data={"code": code, "csrf_token": token})
        assert response.status_code == 200 and "recovery codes" in response.get_data(as_text=True)
    elif location.endswith("/sign-in/two-step"):
        token = csrf_token(client, "/sign-in/two-step")
        code = two_step_code(tenant, email, client.application)
        response = client.post("/sign-in/two-step", data={"code": code, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
    return response


class HostClient(FlaskClient):
    """A test client whose requests go to one host (one tenant's portal)."""

    host = "localhost"

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if not args or isinstance(args[0], str):
            kwargs.setdefault("base_url", f"http://{self.host}")
        # Run the request in an empty context, as a server would: its own app
        # context, database session and tenant context, not the test's.
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client_for(app: Flask) -> Callable[..., FlaskClient]:
    def make(tenant: Any, user: Any = None, password: str = PASSWORD) -> FlaskClient:
        app.test_client_class = HostClient
        client = app.test_client()
        client.host = tenant_host(tenant)  # type: ignore[attr-defined]
        client.environ_base["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.0.1"
        if user is not None:
            from app.tenancy import as_tenant

            with as_tenant(tenant):
                email = user.email  # the test may have expired it
            response = sign_in(client, email, password)
            assert response.status_code == 302, response.get_data(as_text=True)
            finish_two_step(client, response, tenant, email)
        return client

    return make


class QueryCounter:
    def __init__(self) -> None:
        self.count = 0
        self.statements: list[str] = []


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], Any]:
    from contextlib import contextmanager

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            # Neither the tenant's setting nor the session's "last seen" (written at most once a minute, so
            # in a counted request only when the machine is slow enough for a minute to pass) is the page's.
            if "set_config('app.tenant_id'" not in statement and not statement.startswith(
                "UPDATE user_sessions SET last_seen_at"
            ):
                counter.count += 1
                counter.statements.append(statement)

        with app.app_context():
            engine = _db.engine
        event.listen(engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting


@pytest.fixture
def root_path() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def worker(app: Flask) -> Iterator[Any]:
    """A real `python -m workers` process when Redis is configured."""
    if not REDIS_URL:
        yield None
        return
    import subprocess
    import sys
    import time

    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(REDIS_URL)
    connection.flushdb()  # TEST_REDIS_URL names a database the tests own; start from nothing
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PLATFORM_DATABASE_URL": app.config["PLATFORM_DATABASE_URL"] or "",
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "ATRIUM_DOMAIN": app.config["ATRIUM_DOMAIN"],
        "MAIL_SERVER": app.config["MAIL_SERVER"],
        "MAIL_PORT": str(app.config["MAIL_PORT"]),
    }
    process = subprocess.Popen([sys.executable, "-m", "workers"], env=env)
    deadline = time.monotonic() + 30
    while not Worker.all(connection=connection):
        assert process.poll() is None, "the worker exited at start"
        assert time.monotonic() < deadline, "the worker did not register with Redis"
        time.sleep(0.2)
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        # Seen once on a loaded machine: the worker logged its warm shut-down and then did not exit.
        # Every test has run by now; end it so the run reports the tests, not a teardown hang.
        print("the RQ worker did not exit within 30 s of SIGTERM; killed", file=sys.stderr)
        process.kill()
        process.wait(timeout=30)


def open_lesson_page(client: FlaskClient, enrollment_id: int, lesson_id: int) -> Any:
    """Open a lesson as a browser does: GET the page (it writes nothing), then post the visit it sends."""
    path = f"/learn/{enrollment_id}/lessons/{lesson_id}"
    page = client.get(path)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    if page.status_code == 200 and match:
        client.post(f"{path}/visit", data={"csrf_token": match.group(1)}, headers={"HX-Request": "true"})
    return page
