"""Atrium: a multi-tenant learning platform for the extended enterprise."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, g, request
from flask_login import current_user
from markupsafe import Markup

from app.config import bind_platform_database, load_settings
from app.extensions import babel, csrf, db, htmx, limiter, login_manager, migrate
from app.locales import is_known_locale, person_locale
from app.timezones import person_time_zone


def _select_locale() -> str:
    """Pick the user's setting, their choice this visit, the browser's (among the tenant's) or the default."""
    from flask import has_request_context, session

    if not has_request_context():
        return "en"
    tenant = g.get("tenant")
    enabled = [loc for loc in (tenant.enabled_locales if tenant else ["en"]) if is_known_locale(loc)]
    if current_user and current_user.is_authenticated and current_user.locale in enabled:
        return str(current_user.locale)
    if session.get("locale") in enabled:
        return str(session["locale"])
    accepted = [loc.replace("_", "-") for loc in enabled]
    best = request.accept_languages.best_match(accepted) if request else None
    if best:
        return best.replace("-", "_")
    return person_locale(None, tenant)


def _select_timezone() -> str:
    from flask import has_request_context

    if not has_request_context():
        return "UTC"
    tenant = g.get("tenant")
    mine = current_user.time_zone if current_user and current_user.is_authenticated else None
    return person_time_zone(mine, tenant.time_zone if tenant else None)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the Atrium application; *config* overrides settings from the environment."""
    instance_path = os.environ.get("ATRIUM_INSTANCE_PATH")
    app = Flask(
        __name__, instance_path=instance_path or str(Path.cwd() / "instance"), instance_relative_config=True
    )
    from app.tenancy.themes import ThemeLoader, themed_environment_class

    # Template lookup is tenant-aware: the tenant's theme first, then the app (cached per theme).
    app.jinja_environment = themed_environment_class(app.jinja_environment)  # type: ignore[assignment]
    app.jinja_options = {**app.jinja_options, "extensions": ["jinja2.ext.do"]}
    app.jinja_env.loader = ThemeLoader(app.create_global_jinja_loader())
    app.config.update(load_settings(Path(app.instance_path)))
    if config:
        app.config.update(config)

    from app.logging import configure_logging, log_requests

    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_JSON"])

    bind_platform_database(app.config)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    # Tenant resolution must be the first before_request hook: CSRF, rate limits
    # and sign-in all happen inside a tenant.
    from app.tenancy import web as tenancy_web

    tenancy_web.init_app(app)
    # Control characters are refused and ids bounded for the whole app, before any view runs.
    from app import inputs

    inputs.init_app(app)
    log_requests(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    htmx.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    # Import every model so metadata, scoping and RLS know all tables.
    from app import events  # noqa: F401
    from app import jobs as _jobs  # noqa: F401 - the job outbox table
    from app.accounts import models as _accounts_models  # noqa: F401
    from app.accounts.views import bp as accounts_bp
    from app.accounts.views import init_login
    from app.admin.branding import bp as branding_bp
    from app.admin.console import bp as console_bp
    from app.admin.views import bp as admin_bp
    from app.assessments import lesson_kinds as _assessment_kinds  # noqa: F401
    from app.assessments import models as _assessment_models  # noqa: F401
    from app.assessments.admin_views import bp as assessment_admin_bp
    from app.assessments.checkpoint_views import bp as checkpoints_bp
    from app.assessments.views import bp as assessments_bp
    from app.audit import models as _audit_models  # noqa: F401
    from app.learning import models as _learning_models  # noqa: F401
    from app.learning.admin_views import bp as authoring_bp
    from app.learning.team_views import bp as team_bp
    from app.learning.views import bp as learning_bp
    from app.library import models as _library_models  # noqa: F401
    from app.library.views import bp as library_bp
    from app.ops.views import bp as ops_bp
    from app.policies import lesson_kind as _policy_lesson_kind  # noqa: F401 - registers the lesson kind
    from app.policies import models as _policy_models  # noqa: F401
    from app.policies.admin_views import bp as policy_admin_bp
    from app.policies.views import bp as policies_bp
    from app.tenancy import models as _tenancy_models  # noqa: F401
    from app.tenancy import scoping  # noqa: F401
    from app.tenancy.views import bp as tenancy_bp

    init_login(app)
    app.register_blueprint(ops_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(console_bp)
    app.register_blueprint(branding_bp)
    app.register_blueprint(tenancy_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(authoring_bp)
    app.register_blueprint(assessment_admin_bp)
    app.register_blueprint(team_bp)
    app.register_blueprint(library_bp)
    app.register_blueprint(policies_bp)
    app.register_blueprint(assessments_bp)
    app.register_blueprint(checkpoints_bp)
    app.register_blueprint(policy_admin_bp)

    from app.errors_views import register_error_pages

    register_error_pages(app)

    from app.cli import register_cli

    register_cli(app)

    from app.translations_cli import register_translation_cli

    register_translation_cli(app)

    from app.locales import RTL_LOCALES

    @app.template_global()
    def current_locale_code() -> str:
        from flask_babel import get_locale

        locale = get_locale()
        return str(locale).replace("_", "-") if locale else "en"

    from app.labels import label

    @app.template_filter("iso")
    def iso(value: Any) -> str:
        """An ISO 8601 timestamp with its offset, for <time datetime>."""
        from datetime import UTC

        if value is None:
            return ""
        if not hasattr(value, "hour"):
            return str(value.isoformat())  # a date
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        # HTML allows at most three digits of a second: microseconds make the attribute invalid.
        return str(value.isoformat(timespec="seconds"))

    @app.template_filter("bdi")
    def bdi(value: Any) -> Markup:
        """Isolate user content's direction inside a translated sentence: English names in Arabic text."""
        return Markup("<bdi>{}</bdi>").format(value)

    @app.template_filter("relative_time")
    def relative_time(value: Any) -> str:
        """Say how long ago (or until) *value* is, in the reader's language: "3 hours ago"."""
        from datetime import UTC, datetime

        from flask_babel import format_timedelta

        if value is None:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return format_timedelta(value - datetime.now(UTC), add_direction=True)

    from app.locales import switchable_locales
    from app.navigation import admin_navigation, main_navigation
    from app.tenancy.branding import brand_version
    from app.tenancy.themes import current_theme_key, get_theme

    app.add_template_global(label)
    app.add_template_global(main_navigation)
    app.add_template_global(admin_navigation)
    app.add_template_global(switchable_locales)

    @app.context_processor
    def _page_globals() -> dict[str, object]:
        return {
            "rtl_locales": RTL_LOCALES,
            "theme": get_theme(current_theme_key()),
            "brand_version": brand_version(g.get("tenant")),
        }

    @app.template_global()
    def has_permission(permission: str) -> bool:
        return bool(current_user and current_user.is_authenticated and current_user.can(permission))

    return app
