"""Redis down is an outage of counters and queues, never of sign-in or of committed work."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.extensions import limiter
from tests.conftest import HostClient, sign_in, tenant_host

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
