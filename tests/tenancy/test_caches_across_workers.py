"""What one worker changes, every worker shows at its next request, and no cache crosses a tenant.

Two workers are two applications made by ``create_app``, as gunicorn makes one per process: their
own tenant caches, sessions and connection pools, one database, one instance folder (where the
tenant generation lives without Redis) and, when TEST_REDIS_URL is set, one Redis. Each test warms
both, changes something through one and looks through the other.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from app.console.services import add_custom_domain
from app.extensions import limiter
from app.tenancy import platform_writes
from app.tenancy.cache import FileGeneration
from app.tenancy.models import Tenant
from tests.conftest import HostClient, csrf_token, finish_two_step, sign_in, tenant_host

_LIMITER_STATE = ("_storage", "_limiter", "_storage_dead", "_fallback_storage", "_fallback_limiter")
_SHARED = (
    "TESTING",
    "SECRET_KEY",
    "SQLALCHEMY_DATABASE_URI",
    "MIGRATION_DATABASE_URL",
    "PLATFORM_DATABASE_URL",
    "REDIS_URL",
    "RATELIMIT_STORAGE_URI",
    "ATRIUM_DOMAIN",
    "MAIL_SERVER",
    "MAIL_PORT",
)


@pytest.fixture
def other_worker(app: Flask) -> Iterator[Flask]:
    """A second application on the suite's database, instance folder and Redis: another worker process."""
    saved = {name: getattr(limiter, name, None) for name in _LIMITER_STATE}  # one limiter for every app
    other = create_app({key: app.config[key] for key in _SHARED})
    try:
        yield other
    finally:
        for name, value in saved.items():
            setattr(limiter, name, value)
        with other.app_context():
            from app.extensions import db

            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


def browser(
    application: Flask, tenant: Any, email: str | None = None, host: str | None = None
) -> FlaskClient:
    """A client of *application* at *tenant*'s portal (or *host*), signed in as *email* when given."""
    application.test_client_class = HostClient
    client = application.test_client()
    client.host = host or tenant_host(tenant)  # type: ignore[attr-defined]
    client.environ_base["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.0.2"  # its own rate limits
    if email is not None:
        response = sign_in(client, email)
        assert response.status_code == 302
        finish_two_step(client, response, tenant, email)  # operators use two-step sign-in
    return client


def same_browser(application: Flask, client: FlaskClient) -> FlaskClient:
    """*client*'s browser (its session cookie, its host) sending its next requests to *application*."""
    host = client.host  # type: ignore[attr-defined]
    other = browser(application, None, host=host)
    cookie = client.get_cookie("session", domain=host)
    if cookie is not None:
        other.set_cookie("session", cookie.value, domain=host)
    return other


@pytest.fixture
def workers(app: Flask, other_worker: Flask) -> Callable[..., tuple[FlaskClient, FlaskClient]]:
    """One browser, signed in as *email*, whose requests go to worker A or to worker B; both warmed up."""

    def make(
        tenant: Any, email: str | None = None, warm: str = "/sign-in"
    ) -> tuple[FlaskClient, FlaskClient]:
        a = browser(app, tenant, email)
        b = same_browser(other_worker, a)
        for client in (a, b):
            assert client.get(warm).status_code == 200, warm
        return a, b

    return make


def _operator(db: Any, user_factory: Any) -> tuple[Tenant, str]:
    platform = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()
    return platform, user_factory(platform, roles=("operator",)).email


def test_a_tenant_suspended_through_one_worker_is_refused_by_the_other_at_its_next_request(
    app, db, other_worker, workers, tenant_factory, user_factory
):
    tenant = tenant_factory(display_name="Soon Paused")
    learner = user_factory(tenant)
    _a, b = workers(tenant, learner.email, warm="/account")
    platform, operator = _operator(db, user_factory)
    console = browser(app, platform, operator)
    path = f"/console/tenants/{tenant.id}/suspend"
    suspended = console.post(path, data={"csrf_token": csrf_token(console, path), "confirm": "yes"})
    assert suspended.status_code == 302
    page = b.get("/account")
    assert page.status_code == 403 and "suspended" in page.get_data(as_text=True).lower()
    assert browser(other_worker, tenant).get("/sign-in").status_code == 403

    console.post(
        f"/console/tenants/{tenant.id}/resume", data={"csrf_token": csrf_token(console, "/console/")}
    )
    assert b.get("/account").status_code == 200


def test_a_tenant_renamed_through_one_worker_shows_its_new_name_on_the_other(
    workers, tenant_factory, user_factory
):
    tenant = tenant_factory(display_name="Bistro Uno")
    admin = user_factory(tenant, roles=("tenant_admin",))
    a, b = workers(tenant, admin.email, warm="/account")
    assert "Bistro Uno" in b.get("/account").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(a, "/admin/branding"),
        "display_name": "Bistro Due",
        "theme": "default",
        "primary": "#1d4ed8",
        "accent": "#9a3412",
        "sign_in_message": "",
    }
    assert a.post("/admin/branding", data=form).status_code == 302
    page = b.get("/account").get_data(as_text=True)
    assert "Bistro Due" in page and "Bistro Uno" not in page


def test_languages_and_sign_in_limits_changed_through_one_worker_apply_on_the_other(
    workers, tenant_factory, user_factory
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    a, b = workers(tenant, admin.email, warm="/account")
    assert '<html lang="en"' in b.get("/account").get_data(as_text=True)
    languages = {
        "csrf_token": csrf_token(a, "/admin/branding"),
        "locale-enabled_locales": ["en", "fr"],
        "locale-default_locale": "fr",
        "locale-time_zone": "Europe/Paris",
    }
    assert a.post("/admin/branding/languages", data=languages).status_code == 302
    anonymous = browser(b.application, tenant)  # no choice of their own: the portal's default now
    assert '<html lang="fr"' in anonymous.get("/sign-in", headers={"Accept-Language": "de"}).get_data(
        as_text=True
    )
    limits = {
        "csrf_token": csrf_token(a, "/admin/branding"),
        "sessions-idle_minutes": "5",
        "sessions-max_hours": "1",
    }
    assert a.post("/admin/branding/sessions", data=limits).status_code == 302
    assert 'value="5"' in b.get("/admin/branding").get_data(as_text=True)


def test_roles_changed_through_one_worker_apply_on_the_other_at_the_next_request(
    db, workers, tenant_factory, user_factory
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin", "learner"))
    a, b = workers(tenant, admin.email, warm="/admin/users")
    form_page = a.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    learner_role = re.search(r'<input[^>]*value="(\d+)"[^>]*>\s*(?:<bdi>)?Learner', form_page)
    assert learner_role, "the Learner role is offered"
    form = {
        "csrf_token": csrf_token(a, f"/admin/users/{admin.id}"),
        "full_name": "Pat Person",
        "email": admin.email,
        "employee_id": "",
        "job_title": "",
        "org_unit_id": "",
        "manager_id": "",
        "hire_date": "",
        "locale": "",
        "time_zone": "",
        "roles": [learner_role.group(1)],  # the admin gives up their own admin role; their session stays
    }
    assert a.post(f"/admin/users/{admin.id}", data=form).status_code == 302
    assert b.get("/admin/users").status_code == 403
    assert ">Admin<" not in b.get("/account").get_data(as_text=True)


def test_a_person_moved_to_another_manager_through_one_worker_moves_on_the_other(
    app, other_worker, tenant_factory, user_factory
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    first = user_factory(tenant, roles=("manager",), full_name="Fran First")
    second = user_factory(tenant, roles=("manager",), full_name="Sid Second")
    person = user_factory(tenant, full_name="Moe Mover", manager_id=first.id)
    first_at_b = same_browser(other_worker, browser(app, tenant, first.email))
    second_at_b = same_browser(other_worker, browser(app, tenant, second.email))
    assert "Moe Mover" in first_at_b.get("/team/").get_data(as_text=True)
    assert "Moe Mover" not in second_at_b.get("/team/").get_data(as_text=True)
    a = browser(app, tenant, admin.email)
    form = {
        "csrf_token": csrf_token(a, f"/admin/users/{person.id}"),
        "full_name": "Moe Mover",
        "email": person.email,
        "employee_id": "",
        "job_title": "",
        "org_unit_id": "",
        "manager_id": str(second.id),
        "hire_date": "",
        "locale": "",
        "time_zone": "",
        "roles": [],
    }
    assert a.post(f"/admin/users/{person.id}", data=form).status_code == 302
    assert "Moe Mover" not in first_at_b.get("/team/").get_data(as_text=True)
    assert "Moe Mover" in second_at_b.get("/team/").get_data(as_text=True)


def test_a_cached_tenant_is_never_served_at_another_tenants_host(
    app, other_worker, tenant_factory, user_factory
):
    north = tenant_factory(display_name="North Portal")
    south = tenant_factory(display_name="South Portal")
    learner = user_factory(north)
    at_north = browser(app, north, learner.email)
    assert "North Portal" in at_north.get("/account").get_data(as_text=True)
    # North's session cookie presented at South's host, on both workers, with North's row cached.
    cookie = at_north.get_cookie("session", domain=tenant_host(north))
    assert cookie is not None
    for application in (app, other_worker):
        client = browser(application, south)
        client.set_cookie("session", cookie.value, domain=tenant_host(south))
        page = client.get("/account")
        assert page.status_code == 302 and "/sign-in" in page.headers["Location"], "not signed in there"
        sign_in_page = client.get("/sign-in").get_data(as_text=True)
        assert "South Portal" in sign_in_page and "North Portal" not in sign_in_page
    assert "North Portal" in at_north.get("/account").get_data(as_text=True)


def test_a_custom_domain_verified_then_withdrawn_serves_its_tenant_then_nobody_on_every_worker(
    app, db, other_worker, tenant_factory
):
    tenant = tenant_factory(display_name="Own Domain Portal")
    domain = f"learn-{tenant.slug}.example.com"
    add_custom_domain(tenant, domain)
    db.session.commit()
    clients = [browser(application, tenant, host=domain) for application in (app, other_worker)]
    for client in clients:
        assert client.get("/sign-in").status_code == 404, "not verified yet"
    record = add_custom_domain(tenant, domain, verified=True)
    db.session.commit()
    for client in clients:
        assert "Own Domain Portal" in client.get("/sign-in").get_data(as_text=True)
    with platform_writes("test: the domain's verification is withdrawn"):
        record.verified = False
    db.session.commit()
    for client in clients:
        assert client.get("/sign-in").status_code == 404, "a withdrawn domain serves nobody"


def test_two_changes_within_one_tick_of_the_clock_are_two_generations(tmp_path):
    generation = FileGeneration(tmp_path / "tenant-generation")
    seen = [generation.read()]
    for _ in range(3):
        generation.advance()
        seen.append(generation.read())
    assert len(set(seen)) == 4 and None not in seen


@pytest.mark.redis
def test_a_redis_that_lost_the_generation_never_comes_back_to_an_old_one(app):
    from redis import Redis

    from app.tenancy.cache import REDIS_KEY, RedisGeneration

    generation = RedisGeneration(app.config["REDIS_URL"])
    redis = Redis.from_url(app.config["REDIS_URL"])
    redis.delete(REDIS_KEY)
    seen = {generation.read()}  # a request is the first to reach a new Redis
    for _ in range(2):
        redis.delete(REDIS_KEY)  # a restart without persistence
        generation.advance()  # a change is the first to reach the new Redis
        seen.add(generation.read())
        generation.advance()
        seen.add(generation.read())
    assert len(seen) == 5 and None not in seen
    assert all(int(value) > 2**20 for value in seen), "a random start, not 1, 2, 3"  # type: ignore[call-overload]
