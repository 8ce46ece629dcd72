"""Health, readiness, request ids and structured logs."""

from __future__ import annotations

import json

from app import create_app


def test_healthz_answers_on_any_host(app):
    response = app.test_client().get("/healthz", headers={"Host": "10.0.0.7:8000"})
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_answers_without_the_database_a_session_or_a_log_line(app, caplog):
    """Liveness is the process answering: a database that is down is /readyz's to report."""
    unreachable = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/nothing",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    client = unreachable.test_client()
    with caplog.at_level("INFO", logger="atrium.request"):
        alive = client.get(
            "/healthz", headers={"Host": "not-a-portal.example", "X-Request-ID": "lb-probe-0001"}
        )
        head = client.head("/healthz")
    assert alive.status_code == 200 and alive.get_json() == {"status": "ok"}
    assert (
        alive.headers["X-Request-ID"] == "lb-probe-0001"
        and alive.headers["X-Content-Type-Options"] == "nosniff"
    )
    assert "Set-Cookie" not in alive.headers
    assert head.status_code == 200 and head.data == b""
    assert not [r for r in caplog.records if r.name == "atrium.request"], "no request log line per probe"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["checks"]["database"]["ok"] is False
    with unreachable.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_readyz_reports_database_redis_and_workers(app, worker):
    """Ready needs a worker listening when jobs go through Redis (the fixture starts one; none on SQLite)."""
    body = app.test_client().get("/readyz").get_json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "redis", "workers"}
    assert body["checks"]["database"] == {"ok": True}


def test_readyz_is_503_when_redis_is_unreachable(app, database_urls):
    broken = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": database_urls["app"],
            "REDIS_URL": "redis://127.0.0.1:1/0",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not ready"
    assert body["checks"]["redis"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True
    with broken.app_context():
        from app.extensions import db

        db.engine.dispose()


def test_every_response_carries_a_request_id(app, tenant_factory, client_for):
    client = client_for(tenant_factory())
    generated = client.get("/sign-in").headers["X-Request-ID"]
    assert len(generated) == 32
    assert (
        client.get("/sign-in", headers={"X-Request-ID": "lb-1234567890"}).headers["X-Request-ID"]
        == "lb-1234567890"
    )
    assert client.get("/nowhere").headers["X-Request-ID"]
    # A header that is not a plausible id is replaced, not echoed.
    assert client.get("/sign-in", headers={"X-Request-ID": "<script>"}).headers["X-Request-ID"] != "<script>"


def test_logs_are_one_json_object_per_line_with_request_and_tenant(app, tenant_factory, client_for):
    import io

    from app.logging import configure_logging

    stream = io.StringIO()
    configure_logging("INFO", json_lines=True, stream=stream)
    try:
        tenant = tenant_factory()
        client_for(tenant).get("/sign-in", headers={"X-Request-ID": "trace-abcdef12"})
    finally:
        configure_logging("INFO", json_lines=True)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    request_line = next(r for r in records if r["message"] == "request")
    assert request_line["request_id"] == "trace-abcdef12"
    assert request_line["tenant_id"] == tenant.id
    assert request_line["path"] == "/sign-in" and request_line["status"] == 200
    assert request_line["level"] == "INFO"


def test_security_headers_are_set(app, tenant_factory, client_for):
    response = client_for(tenant_factory()).get("/sign-in")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
