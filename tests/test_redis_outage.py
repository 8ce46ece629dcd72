"""Redis down is an outage of counters and queues, never of sign-in or of committed work."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app, jobs
from app.accounts.jobs import record_usage_snapshot
from app.audit.models import AuditEvent
from app.extensions import limiter
from app.tenancy import as_tenant
from tests.conftest import HostClient, csrf_token, sign_in, tenant_host

# Nothing listens on port 1: every connection is refused at once, as when Redis is stopped.
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"
_LIMITER_STATE = ("_storage", "_limiter", "_storage_dead", "_fallback_storage", "_fallback_limiter")


def app_with_redis(app: Flask, redis_url: str) -> Iterator[Flask]:
    """An application like the suite's, with its rate limits and jobs on *redis_url*.

    The limiter is one object shared by every application: its storage is put back afterwards.
    """
    saved = {name: getattr(limiter, name, None) for name in _LIMITER_STATE}
    keep = (
        "TESTING",
        "SECRET_KEY",
        "SQLALCHEMY_DATABASE_URI",
        "MIGRATION_DATABASE_URL",
        "PLATFORM_DATABASE_URL",
        "ATRIUM_DOMAIN",
        "MAIL_SERVER",
        "MAIL_PORT",
    )
    other = create_app(
        {**{key: app.config[key] for key in keep}, "REDIS_URL": redis_url, "RATELIMIT_STORAGE_URI": redis_url}
    )
    other.test_client_class = HostClient
    try:
        yield other
    finally:
        for name, value in saved.items():
            setattr(limiter, name, value)
        with other.app_context():  # its own engine and pool: close them, or they linger until exit
            from app.extensions import db

            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def dead_redis_app(app: Flask) -> Iterator[Flask]:
    yield from app_with_redis(app, DEAD_REDIS_URL)


def client_of(application: Flask, tenant: Any) -> Any:
    client = application.test_client()
    client.host = tenant_host(tenant)
    client.environ_base["REMOTE_ADDR"] = "10.99.0.1"
    return client


def test_people_sign_in_while_redis_is_down_and_the_limit_still_holds(
    dead_redis_app: Flask, tenant_factory: Callable[..., Any], user_factory: Callable[..., Any], caplog: Any
) -> None:
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_of(dead_redis_app, tenant)
    with caplog.at_level(logging.WARNING):
        assert sign_in(client, user.email).status_code == 302
        # 20 sign-in attempts a minute from one address, as with Redis: now counted in this process.
        statuses = [
            sign_in(client_of(dead_redis_app, tenant), "nobody@example.com").status_code for _ in range(20)
        ]
    assert statuses[:19] == [401] * 19
    assert statuses[19] == 429
    outage_warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "unreachable" in r.message
    ]
    assert len(outage_warnings) == 1, "one warning per outage, not one per request"


# ---------------------------------------------------------------- a Redis of the test's own


class RedisServer:
    """A redis-server on a free local port, which a test can stop and start again."""

    def __init__(self, directory: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        from redis import Redis

        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                if Redis.from_url(self.url).ping():
                    return
            except Exception:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_app(app: Flask, own_redis: RedisServer) -> Iterator[Flask]:
    yield from app_with_redis(app, own_redis.url)


def run_queued_jobs(application: Flask, redis_url: str, *queues: str) -> None:
    """Run every job waiting in *queues* in this process, as a worker would, then return."""
    from redis import Redis

    from workers import Worker

    with application.app_context():
        Worker(list(queues), connection=Redis.from_url(redis_url)).work(burst=True)


def outbox_rows(application: Flask, tenant: Any) -> list[Any]:
    # As the tenant: on PostgreSQL the application role sees only the tenant in context's jobs.
    with application.app_context(), as_tenant(tenant):
        return list(
            jobs.db.session.scalars(
                select(jobs.JobOutbox)
                .where(jobs.JobOutbox.tenant_id == tenant.id)
                .order_by(jobs.JobOutbox.id)
            )
        )


def snapshots(application: Flask, tenant: Any) -> int:
    with application.app_context(), as_tenant(tenant):
        return len(
            jobs.db.session.scalars(select(AuditEvent).where(AuditEvent.action == "usage.snapshot")).all()
        )


def test_while_redis_is_stopped_people_sign_in_and_reset_passwords_and_the_mail_goes_once_it_is_back(
    redis_app: Flask, own_redis: RedisServer, tenant_factory: Any, user_factory: Any, mailbox: Any
) -> None:
    tenant = tenant_factory()
    user = user_factory(tenant)
    own_redis.stop()
    assert sign_in(client_of(redis_app, tenant), user.email).status_code == 302
    client = client_of(redis_app, tenant)
    token = csrf_token(client, "/password/forgot")
    response = client.post("/password/forgot", data={"email": user.email, "csrf_token": token})
    assert response.status_code == 302
    [row] = outbox_rows(redis_app, tenant)
    assert (row.function, row.status) == ("app.mail:send_mail", "pending")

    own_redis.start()
    cli = redis_app.test_cli_runner()
    with redis_app.app_context():  # the suite's app context is pushed too; the command must see this one
        assert cli.invoke(args=["jobs", "drain"]).output.strip() == "1 job(s) sent."
        assert cli.invoke(args=["jobs", "drain"]).output.strip() == "0 job(s) sent."  # sent once
    run_queued_jobs(redis_app, own_redis.url, "default")
    message = mailbox.wait_for(user.email, timeout=10)
    assert "reset" in message["Subject"].lower()
    [row] = outbox_rows(redis_app, tenant)
    assert row.status == "done" and row.args == []  # the reset link is not kept once the mail is sent
    assert len([m for m in mailbox.messages if user.email in m["To"]]) == 1


def test_a_job_asked_for_while_redis_is_stopped_runs_exactly_once_when_it_returns(
    redis_app: Flask, own_redis: RedisServer, tenant_factory: Any, user_factory: Any, caplog: Any
) -> None:
    from redis import Redis
    from rq import Queue

    tenant = tenant_factory()
    user_factory(tenant)
    own_redis.stop()
    with redis_app.app_context(), as_tenant(tenant):
        job_id = jobs.enqueue(record_usage_snapshot, queue="reports")
        jobs.db.session.commit()  # Redis is unreachable: committed all the same, the job kept pending
    [row] = outbox_rows(redis_app, tenant)
    assert row.status == "pending" and row.rq_id == job_id
    with redis_app.app_context(), caplog.at_level(logging.WARNING, logger="atrium.jobs"):
        jobs.drain()
        jobs.drain()
    assert len([r for r in caplog.records if "redis_unreachable" in r.getMessage()]) <= 1

    own_redis.start()
    # The next commit that sends jobs also sends what earlier commits left behind.
    jobs._last_backlog_check = 0.0
    jobs._redis_down_until = 0.0
    with redis_app.app_context(), as_tenant(tenant):
        jobs.db.session.add(jobs.db.session.merge(tenant))
        jobs.db.session.commit()
    assert outbox_rows(redis_app, tenant)[0].status == "sent"
    run_queued_jobs(redis_app, own_redis.url, "reports")
    assert snapshots(redis_app, tenant) == 1

    # Delivered a second time (a resend racing a slow commit): the runner sees it done and does nothing.
    with redis_app.app_context():
        connection = Redis.from_url(own_redis.url)
        row = outbox_rows(redis_app, tenant)[0]
        Queue("reports", connection=connection).enqueue_job(jobs._rq_job(row, connection))
    run_queued_jobs(redis_app, own_redis.url, "reports")
    assert snapshots(redis_app, tenant) == 1
    assert outbox_rows(redis_app, tenant)[0].status == "done"


def test_a_rolled_back_change_sends_no_job_and_leaves_no_row(
    redis_app: Flask, own_redis: RedisServer, tenant_factory: Any
) -> None:
    from redis import Redis
    from rq import Queue

    tenant = tenant_factory()
    with redis_app.app_context(), as_tenant(tenant):
        jobs.enqueue(record_usage_snapshot, queue="reports")
        jobs.db.session.rollback()
    assert outbox_rows(redis_app, tenant) == []
    assert Queue("reports", connection=Redis.from_url(own_redis.url)).count == 0


# ---------------------------------------------------------------- a worker killed mid-job


def slow_usage_snapshot(marker: str, seconds: float) -> int:
    """A job that takes its time: it notes each start in *marker*, then records a usage snapshot."""
    with open(marker, "a") as out:
        out.write("started\n")
    time.sleep(seconds)
    return record_usage_snapshot()


def start_worker(app: Flask, redis_url: str) -> subprocess.Popen[bytes]:
    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(redis_url)
    before = {w.name for w in Worker.all(connection=connection)}
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PLATFORM_DATABASE_URL": app.config["PLATFORM_DATABASE_URL"] or "",
        "REDIS_URL": redis_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "ATRIUM_DOMAIN": app.config["ATRIUM_DOMAIN"],
    }
    root = Path(__file__).resolve().parent.parent
    # Its own process group, so that killing it kills its scheduler child too and leaves nothing behind.
    process = subprocess.Popen(
        [sys.executable, "-m", "workers", "reports"], env=env, cwd=root, start_new_session=True
    )
    deadline = time.monotonic() + 30
    while not {w.name for w in Worker.all(connection=connection)} - before:
        assert process.poll() is None, "the worker exited at start"
        assert time.monotonic() < deadline, "the worker did not register with Redis"
        time.sleep(0.1)
    return process


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    """Ask the worker to stop as systemd would (SIGTERM), and kill what is left after 30 s, as systemd does.

    Its shutdown is not what the tests here are about; a worker that lingers on a loaded machine must not
    leave a process behind to fail a later test."""
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)


def test_a_worker_stops_within_seconds_once_its_command_channel_is_unsubscribed(
    own_redis: RedisServer,
) -> None:
    """The end of every burst run and every SIGTERM: the worker unsubscribes from its command channel, then
    stops the thread that listens to it. rq polls that channel every 60 s and redis-py's stop() waits for the
    poll, so a worker whose thread had already read the unsubscribe hung for up to a minute (seen in CI, and
    as workers still running after systemd's grace period)."""
    from redis import Redis

    from workers import Worker

    worker = Worker(["default"], connection=Redis.from_url(own_redis.url))
    worker.subscribe()
    pubsub = worker.pubsub
    assert pubsub is not None
    deadline = time.monotonic() + 10
    while not pubsub.subscribed:
        assert time.monotonic() < deadline, "the worker did not subscribe"
        time.sleep(0.01)
    pubsub.unsubscribe()
    while pubsub.subscribed:  # the thread read the unsubscribe and now waits for a new subscription
        assert time.monotonic() < deadline, "the unsubscribe was not read"
        time.sleep(0.01)
    asked = time.monotonic()
    worker.unsubscribe()
    assert time.monotonic() - asked < 5
    assert worker.pubsub_thread is not None and not worker.pubsub_thread.is_alive()


def test_a_job_whose_worker_is_killed_runs_again_after_the_sweep_and_completes_once(
    app: Flask, redis_app: Flask, own_redis: RedisServer, tenant_factory: Any, tmp_path: Path
) -> None:
    from redis import Redis

    tenant = tenant_factory()
    marker = tmp_path / "starts.txt"
    worker = start_worker(app, own_redis.url)
    try:
        with redis_app.app_context(), as_tenant(tenant):
            jobs.enqueue(slow_usage_snapshot, str(marker), 2.0, queue="reports")
            jobs.db.session.commit()
        deadline = time.monotonic() + 20
        while not marker.exists():
            assert time.monotonic() < deadline, "the worker did not start the job"
            time.sleep(0.05)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
    assert snapshots(redis_app, tenant) == 0
    assert outbox_rows(redis_app, tenant)[0].status == "sent"

    # The killed worker's scheduler lock would expire after a minute; the test does not wait for it.
    connection = Redis.from_url(own_redis.url)
    for key in connection.scan_iter("rq:scheduler-lock:*"):
        connection.delete(key)
    worker = start_worker(app, own_redis.url)
    try:
        with redis_app.app_context():
            result = redis_app.test_cli_runner().invoke(args=["jobs", "sweep"])
        assert result.exit_code == 0, result.output
        deadline = time.monotonic() + 30
        while snapshots(redis_app, tenant) == 0:
            assert time.monotonic() < deadline, "the abandoned job was not run again"
            time.sleep(0.2)
    finally:
        stop_worker(worker)
    assert marker.read_text().count("started") == 2
    assert snapshots(redis_app, tenant) == 1
    assert outbox_rows(redis_app, tenant)[0].status == "done"


# ---------------------------------------------------------------- the receipt page


def _signed_acknowledgement(db: Any, tenant: Any, user: Any) -> Any:
    from app.policies import services as policies

    with as_tenant(tenant):
        policy = policies.create_policy("Code of Conduct", due_days=14)
        version = policies.publish_version(policies.save_draft(policy, "## Respect\n\nBe kind."))
        ack = policies.acknowledge_policy(
            db.session.merge(user), version, user.full_name, accepted=True, ip="10.1.2.3", user_agent="UA/9"
        )
        db.session.commit()
    return ack


def prepare_receipt(client: Any, ack_id: int) -> Any:
    """Post "Prepare the receipt", as the receipt page does (a GET of it writes nothing)."""
    return client.post(f"/policies/receipts/{ack_id}/prepare", data={"csrf_token": csrf_token(client, "/")})


def test_a_receipt_asked_for_while_redis_is_stopped_says_so_and_is_ready_once_redis_is_back(
    db: Any, redis_app: Flask, own_redis: RedisServer, tenant_factory: Any, user_factory: Any
) -> None:
    tenant = tenant_factory()
    user = user_factory(tenant)
    ack = _signed_acknowledgement(db, tenant, user)
    own_redis.stop()
    client = client_of(redis_app, tenant)
    assert sign_in(client, user.email).status_code == 302
    response = prepare_receipt(client, ack.id)
    body = response.get_data(as_text=True)
    assert response.status_code == 202
    assert "Your receipt is being prepared" in body
    assert "as soon as it is back" in body and "Asked for" in body
    assert "Try again" not in body  # not yet: it has only just been asked for
    prepare_receipt(client, ack.id)  # asking again does not queue a second job
    assert len(outbox_rows(redis_app, tenant)) == 1

    own_redis.start()
    with redis_app.app_context():
        assert jobs.drain() == 1
    run_queued_jobs(redis_app, own_redis.url, "certificates")
    assert "Your receipt is ready" in client.get(f"/policies/receipts/{ack.id}/status").get_data(as_text=True)
    assert client.get(f"/policies/receipts/{ack.id}").mimetype == "application/pdf"


def test_a_receipt_whose_job_failed_says_so_and_try_again_prepares_it(
    db: Any, redis_app: Flask, own_redis: RedisServer, tenant_factory: Any, user_factory: Any
) -> None:
    tenant = tenant_factory()
    user = user_factory(tenant)
    ack = _signed_acknowledgement(db, tenant, user)
    client = client_of(redis_app, tenant)
    assert sign_in(client, user.email).status_code == 302
    assert prepare_receipt(client, ack.id).status_code == 202
    [row] = outbox_rows(redis_app, tenant)
    with redis_app.app_context():
        # What the runner records when the last attempt fails.
        jobs.record_failure(row.id, RuntimeError("xhtml2pdf could not render"), final=True)
    body = client.get(f"/policies/receipts/{ack.id}/status").get_data(as_text=True)
    assert "We could not prepare your receipt" in body
    assert 'hx-trigger="every 2s"' not in body  # nothing to wait for
    assert f'action="/policies/receipts/{ack.id}/retry"' in body and "Try again" in body
    assert client.post(f"/policies/receipts/{ack.id}/retry").status_code == 400  # no CSRF token

    token = csrf_token(client, f"/policies/receipts/{ack.id}/status")
    response = client.post(f"/policies/receipts/{ack.id}/retry", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/policies/receipts/{ack.id}/status")
    assert [r.status for r in outbox_rows(redis_app, tenant)] == ["failed", "sent"]
    run_queued_jobs(redis_app, own_redis.url, "certificates")
    assert "Your receipt is ready" in client.get(f"/policies/receipts/{ack.id}/status").get_data(as_text=True)


def test_a_receipt_being_prepared_for_minutes_offers_to_try_again(
    db: Any, redis_app: Flask, own_redis: RedisServer, tenant_factory: Any, user_factory: Any
) -> None:
    from datetime import timedelta

    tenant = tenant_factory()
    user = user_factory(tenant)
    ack = _signed_acknowledgement(db, tenant, user)
    client = client_of(redis_app, tenant)
    assert sign_in(client, user.email).status_code == 302
    prepare_receipt(client, ack.id)
    [row] = outbox_rows(redis_app, tenant)
    with redis_app.app_context(), as_tenant(tenant):
        stuck = jobs.db.session.get(jobs.JobOutbox, row.id)
        stuck.created_at = stuck.created_at - timedelta(minutes=5)  # its worker died; nobody noticed yet
        jobs.db.session.commit()
    body = client.get(f"/policies/receipts/{ack.id}/status").get_data(as_text=True)
    assert "Your receipt is being prepared" in body
    assert "5 minutes ago" in body
    assert "This is taking longer than it should" in body and "Try again" in body
