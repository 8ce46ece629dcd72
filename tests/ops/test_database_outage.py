"""A lost database connection is a clear "try again" page, never a traceback; the next requests work.

On PostgreSQL the connection is really dropped: the server terminates the application's backend
(as a failover, a restart or an idle-connection reaper would), once while a request is waiting in
the middle of its transaction and once between requests while the connections sit in the pool.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from app.audit.models import AuditEvent
from app.events import OutboxEvent
from app.logging import configure_logging
from app.policies.demo import code_of_conduct
from app.policies.models import Acknowledgement
from app.tenancy import as_tenant
from tests.concurrency import LiveClient, LiveResponse
from tests.conftest import POSTGRES_ADMIN_URL, csrf_token

MESSAGE = "The database is not reachable right now; nothing was saved. Try again in a moment."


def _lost_connection() -> OperationalError:
    return OperationalError(
        "SELECT 1", {}, Exception("server closed the connection unexpectedly"), connection_invalidated=True
    )


def test_a_connection_lost_in_a_view_shows_the_try_again_page_in_the_portal(
    tenant_factory, user_factory, client_for, monkeypatch
):
    import io

    from app.accounts import views as accounts_views

    def lost() -> Any:
        raise _lost_connection()

    monkeypatch.setattr(accounts_views, "_home_page", [lost])  # what / serves
    tenant = tenant_factory(display_name="Bistro Group")
    client = client_for(tenant, user_factory(tenant))
    stream = io.StringIO()
    configure_logging("INFO", json_lines=True, stream=stream)
    try:
        response = client.get("/", headers={"X-Request-ID": "lost-db-ref-1234"})
    finally:
        configure_logging("INFO", json_lines=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert MESSAGE in html and "Traceback" not in html
    assert "Bistro Group" in html and 'class="site-header"' in html, "the portal's own layout"
    assert "lost-db-ref-1234" in html
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(
        r.get("request_id") == "lost-db-ref-1234"
        and r["level"] == "ERROR"
        and r["message"] == "database.unreachable"
        for r in records
    ), records


def test_when_the_layout_needs_the_lost_database_too_a_plain_try_again_page_is_shown(
    app, tenant_factory, user_factory, client_for, monkeypatch
):
    from app.accounts import views as accounts_views

    def lost() -> Any:
        raise _lost_connection()

    monkeypatch.setattr(accounts_views, "_home_page", [lost])  # what / serves
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant))
    monkeypatch.setitem(app.jinja_env.globals, "main_navigation", lost)
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and MESSAGE in html
    assert 'class="site-header"' not in html and "Go to the home page" in html


def test_a_schema_mistake_is_a_server_error_not_an_outage(
    app, tenant_factory, user_factory, client_for, monkeypatch
):
    import sqlite3

    from app.accounts import views as accounts_views

    def missing_table() -> Any:
        raise OperationalError("SELECT * FROM notes", {}, sqlite3.OperationalError("no such table: notes"))

    monkeypatch.setattr(accounts_views, "_home_page", [missing_table])  # what / serves
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answer as production does
    tenant = tenant_factory()
    response = client_for(tenant, user_factory(tenant)).get("/")
    assert response.status_code == 500 and "Something went wrong on our side" in response.get_data(
        as_text=True
    )


def test_a_connection_lost_at_commit_shows_the_try_again_page_and_keeps_nothing(
    app, db, tenant_factory, user_factory, client_for, monkeypatch
):
    from sqlalchemy.orm import Session

    tenant = tenant_factory()
    with as_tenant(tenant):
        policy_id = code_of_conduct().id
        db.session.commit()
    learner = user_factory(tenant, full_name="Lee Learner")
    client = client_for(tenant, learner)
    url = f"/policies/{policy_id}"
    form = {"csrf_token": csrf_token(client, url), "accept": "y", "signature": "Lee Learner"}
    real_commit = Session.commit

    def commit_lost(session: Session) -> None:
        raise _lost_connection()

    monkeypatch.setattr(Session, "commit", commit_lost)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # answer as production does
    response = client.post(url, data=form)
    monkeypatch.setattr(Session, "commit", real_commit)
    assert response.status_code == 503 and MESSAGE in response.get_data(as_text=True)
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count(Acknowledgement.id))) == 0
    assert client.post(url, data=form).status_code == 302  # trying again works
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count(Acknowledgement.id))) == 1


# ---------------------------------------------------------------- a real drop, on PostgreSQL


@pytest.fixture
def superuser_conninfo(database_urls) -> str:
    """How a superuser connects to the suite's database: to lock rows and end backends."""
    assert POSTGRES_ADMIN_URL
    return (
        make_url(POSTGRES_ADMIN_URL)
        .set(drivername="postgresql", database=database_urls["name"])
        .render_as_string(hide_password=False)
    )


@pytest.fixture
def superuser(superuser_conninfo: str) -> Iterator[Any]:
    import psycopg

    with psycopg.connect(superuser_conninfo, autocommit=True) as connection:
        yield connection


def _app_backends(superuser: Any, *, waiting_on: str | None = None) -> list[int]:
    query = (
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND usename = 'atrium_app'"
        " AND pid <> pg_backend_pid()"
    )
    if waiting_on is not None:
        query += " AND wait_event_type = 'Lock' AND query ILIKE %s"
        return [row[0] for row in superuser.execute(query, (f"%{waiting_on}%",))]
    return [row[0] for row in superuser.execute(query)]


def _accepting_learner(
    db: Any, tenant_factory: Any, user_factory: Any, live_port: int
) -> tuple[Any, str, LiveClient]:
    tenant = tenant_factory()
    with as_tenant(tenant):
        policy_id = code_of_conduct().id
        db.session.commit()
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    user_factory(tenant, email, full_name="Lee Learner")
    client = LiveClient(live_port, tenant)
    client.sign_in(email)
    return tenant, f"/policies/{policy_id}", client


def _recorded(db: Any, tenant: Any) -> tuple[int, int, int]:
    with as_tenant(tenant):
        return (
            db.session.scalar(select(func.count(Acknowledgement.id))),
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.action == "policy.acknowledged")
            ),
            db.session.scalar(
                select(func.count(OutboxEvent.id)).where(OutboxEvent.type == "policy.acknowledged")
            ),
        )


@pytest.mark.postgres
def test_a_connection_dropped_mid_request_answers_503_saves_nothing_and_the_retry_works(
    db, tenant_factory, user_factory, live_port, superuser, superuser_conninfo
):
    import psycopg

    tenant, url, client = _accepting_learner(db, tenant_factory, user_factory, live_port)
    form = {"csrf_token": client.csrf_token(url), "accept": "y", "signature": "Lee Learner"}
    db.session.commit()  # this test's own connection goes back to the pool, idle
    answers: list[LiveResponse] = []
    # Hold the tenant's audit chain: the acceptance is written, then waits to append its audit entry.
    with psycopg.connect(superuser_conninfo) as blocker:
        blocker.execute(
            "SELECT seq FROM audit_chain_heads WHERE tenant_id = %s FOR UPDATE", (tenant.id,)
        ).fetchall()
        request = threading.Thread(target=lambda: answers.append(client.post(url, form)))
        request.start()
        deadline = time.monotonic() + 30
        waiting: list[int] = []
        while not waiting and time.monotonic() < deadline:
            time.sleep(0.05)
            waiting = _app_backends(superuser, waiting_on="audit_chain_heads")
        assert len(waiting) == 1, "the request never reached its audit entry"
        superuser.execute("SELECT pg_terminate_backend(%s)", (waiting[0],))
        request.join(timeout=30)
        blocker.rollback()
    assert len(answers) == 1
    dropped = answers[0]
    assert dropped.status == 503 and MESSAGE in dropped.text and "Traceback" not in dropped.text
    assert 'class="site-header"' in dropped.text, "the portal's own layout, drawn on a fresh connection"
    assert _recorded(db, tenant) == (0, 0, 0), "nothing of the dropped request is kept"
    retried = client.post(url, form)
    assert retried.status == 302, retried.text[:500]
    assert _recorded(db, tenant) == (1, 1, 1)


@pytest.mark.postgres
def test_connections_dropped_between_requests_are_replaced_unnoticed(
    db, tenant_factory, user_factory, live_port, superuser
):
    tenant, url, client = _accepting_learner(db, tenant_factory, user_factory, live_port)
    assert client.get("/").status == 200
    db.session.commit()  # this test's own connection goes back to the pool, idle
    pooled = _app_backends(superuser)
    assert pooled, "the pool keeps connections between requests"
    for pid in pooled:
        superuser.execute("SELECT pg_terminate_backend(%s)", (pid,))
    deadline = time.monotonic() + 10
    while set(_app_backends(superuser)) & set(pooled) and time.monotonic() < deadline:
        time.sleep(0.05)
    pages = [client.get(path) for path in ("/", "/catalog", url, "/account")]
    assert [page.status for page in pages] == [200] * 4, [(p.status, p.text[:300]) for p in pages]
    form = {"csrf_token": client.csrf_token(url), "accept": "y", "signature": "Lee Learner"}
    assert client.post(url, form).status == 302
    assert _recorded(db, tenant) == (1, 1, 1)
