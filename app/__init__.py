"""Atrium: a multi-tenant learning platform for the extended enterprise."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any
from weakref import WeakSet

from babel import Locale
from flask import Flask, Response, g, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app import (
    accounts,
    assessments,
    assets,
    audit,
    certificates,
    certifications,
    cli,
    compliance,
    connections,
    console,
    crew,
    errors_views,
    events,  # noqa: F401 - an app-wide table: the event outbox
    identity,
    inbox,
    inputs,
    integrations,
    jobs,  # noqa: F401 - an app-wide table: the job outbox
    learning,
    library,
    multilingual,
    ops,
    partners,
    policies,
    portal,
    reports,
    scim,
    syncs,
    team,
    templating,
    tenancy,
    terminology,
    transactions,
    translations_cli,
)
from app.config import bind_platform_database, load_settings, tune_postgresql_engines
from app.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate
from app.kept import kept
from app.locales import is_known_locale, person_locale
from app.logging import configure_logging, log_requests
from app.timezones import person_time_zone

# Each feature registers its tables, blueprints, commands, subscribers, lesson kinds and navigation
# entries itself (its package's ``init_app``); a new feature is one more line here. The order is
# the order their blueprints are registered in.
FEATURES = (
    ops,
    accounts,
    identity,
    integrations,
    syncs,
    scim,
    console,
    tenancy,
    audit,
    learning,
    assessments,
    library,
    policies,
    certificates,
    certifications,
    portal,
    team,
    compliance,
    crew,
    inbox,
    partners,
    reports,
    terminology,
    multilingual,
)


def _select_locale() -> str:
    """Pick the user's setting, their choice this visit, the browser's (among the tenant's) or the default."""
    from flask import has_request_context, session

    if not has_request_context():
        return "en"
    tenant = g.get("tenant")
    enabled = [loc for loc in (tenant.enabled_locales if tenant else ["en"]) if is_known_locale(loc)]
    user = current_user._get_current_object()  # once: each read through the proxy finds it again
    if user and user.is_authenticated and user.locale in enabled:
        return str(user.locale)
    if session.get("locale") in enabled:
        return str(session["locale"])
    accepted = [loc.replace("_", "-") for loc in enabled]
    best = request.accept_languages.best_match(accepted) if request else None
    if best:
        return best.replace("-", "_")
    return person_locale(None, tenant)


# The reader's locale as Flask-Babel parses _select_locale's answer, parsed once a process (a Locale is
# never changed by its readers): parsing it again cost some twenty calls a request.
_parsed_locales: dict[Hashable, Locale] = {}


def _selected_locale() -> Locale:
    """The locale ``_select_locale`` picks, as Flask-Babel would parse it."""
    code = _select_locale()
    return kept(_parsed_locales, code, lambda: Locale.parse(code))


def _select_timezone() -> str:
    from flask import has_request_context

    if not has_request_context():
        return "UTC"
    tenant = g.get("tenant")
    user = current_user._get_current_object()
    mine = user.time_zone if user and user.is_authenticated else None
    return person_time_zone(mine, tenant.time_zone if tenant else None)


# Session cookies already verified by this process (see KeptSerializerSessions.open_session).
_OPENED_MAX = 4096
_PLAIN_VALUES = (str, int, float, bool, type(None))


class KeptSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, the serializer made once per set of keys, not twice a request.

    A browser sends the same cookie request after request until the session changes, and checking its
    signature and decoding it cost some two hundred calls each time: a cookie whose signature this process
    has already checked with the same keys is read from memory, its age still checked on every request.
    """

    _kept: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def __init__(self) -> None:
        # cookie -> (serializer that verified it, when it was signed (Unix seconds), its values)
        self._opened: dict[str, tuple[URLSafeTimedSerializer, int, dict[str, Any]]] = {}

    def open_session(self, app: Flask, request: Any) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        cookie = request.cookies.get(self.get_cookie_name(app))
        if serializer is None or not cookie:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        opened = self._opened.get(cookie)
        if opened is not None and opened[0] is serializer and 0 <= int(time.time()) - opened[1] <= max_age:
            return self.session_class(opened[2])  # a copy: the request may change its session
        try:
            data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        # Only flat values are kept: a list or dict (flashed messages) would be shared between requests.
        if isinstance(data, dict) and all(type(value) in _PLAIN_VALUES for value in data.values()):
            if len(self._opened) >= _OPENED_MAX:
                self._opened.clear()
            self._opened[cookie] = (serializer, int(signed_at.timestamp()), dict(data))
        return self.session_class(data)

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._kept
        if kept is None or kept[0] != keys:
            self._kept = kept = (keys, super().get_signing_serializer(app))
        return kept[1]


class Atrium(Flask):
    """Flask, remembering which hooks and views are plain functions instead of asking on every call.

    A request runs some twenty-five hooks, views and context processors, and Flask asks of each whether
    it is a coroutine function (seven calls each) before calling it. Its sessions keep their serializer.
    """

    session_interface = KeptSerializerSessions()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Weak: a function registered for one request only (after_this_request) is not kept.
        self._plain_functions: WeakSet[Callable[..., Any]] = WeakSet()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        if func in self._plain_functions:
            return func
        made = super().ensure_sync(func)
        if made is func:
            self._plain_functions.add(func)
        return made


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the Atrium application; *config* overrides settings from the environment."""
    instance_path = os.environ.get("ATRIUM_INSTANCE_PATH")
    app = Atrium(
        __name__, instance_path=instance_path or str(Path.cwd() / "instance"), instance_relative_config=True
    )
    app.jinja_options = {**app.jinja_options, "extensions": ["jinja2.ext.do"]}
    tenancy.init_themes(app)
    app.config.update(load_settings(Path(app.instance_path)))
    if config:
        app.config.update(config)

    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_JSON"])

    bind_platform_database(app.config)
    tune_postgresql_engines(app.config)
    tenancy.init_database()
    connections.engine_options(app.config)
    db.init_app(app)
    connections.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    # Tenant resolution must be the first before_request hook: CSRF, rate limits
    # and sign-in all happen inside a tenant.
    tenancy.init_request_tenant(app)
    # One transaction rule for every request: commit on success, roll back on an error or exception.
    transactions.init_app(app)
    # Control characters are refused and ids bounded for the whole app, before any view runs.
    inputs.init_app(app)
    log_requests(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_selected_locale, timezone_selector=_select_timezone)
    htmx.init_app(app)
    csrf.init_app(app)
    # Registered before the limiter so it runs after the limiter's own headers are added.
    app.after_request(_retry_after_only_when_refused)
    limiter.init_app(app)

    for feature in FEATURES:
        feature.init_app(app)

    errors_views.register_error_pages(app)
    cli.init_app(app)
    translations_cli.register_translation_cli(app)
    templating.init_app(app)
    # Atrium's own static files at URLs that carry their content hash: kept a year by browsers.
    assets.init_app(app)
    return app


def _retry_after_only_when_refused(response: Response) -> Response:
    """Keep ``Retry-After`` for 429, 503 and redirects (RFC 9110 §10.2.3), not on every answer.

    Flask-Limiter adds it to every response when its headers are on; a client (an identity provider's
    SCIM client, a load balancer) that honours it would wait after a success.
    """
    if response.status_code not in (429, 503) and not 300 <= response.status_code < 400:
        response.headers.pop("Retry-After", None)
    return response
