"""Policy documents, their versions, and people's signed acknowledgements."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register policies: the policy lesson, signing, the admin screens, lessons completed once signed."""
    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.accounts.services import register_org_unit_use
    from app.audit.verification import check_records_against_log
    from app.policies import (
        admin_views,
        count_cache,
        lesson_kind,  # noqa: F401 - registers the policy lesson
        models,  # noqa: F401 - the tables
        services,
        subscribers,  # noqa: F401 - signing completes the signer's policy lessons
        translatable,
        unit_uses,
        views,
    )

    translatable.register_kinds()
    count_cache.init_app(app)  # the reports' totals, kept per tenant until what they count changes

    app.register_blueprint(views.bp)
    # The policy page and the policy lesson show (and sign) a version's text in the reader's language.
    app.add_template_global(services.policy_text, "policy_text")
    app.add_template_global(services.language_name, "language_name")
    app.register_blueprint(admin_views.bp)
    # `flask audit verify` compares every acknowledgement with its audit entry.
    check_records_against_log(services.verify_acknowledgements)
    register_org_unit_use("policy_audiences", _l("policy audiences"), unit_uses.units_in_audiences)
    nav.register(
        app,
        nav.NavEntry(
            _l("Policies"),
            "policy_admin.index",
            "/admin/policies",
            nav.may_any(perms.POLICIES_MANAGE, perms.POLICIES_REPORT),
            nav.ADMIN,
            nav.COMPLIANCE,
            order=10,
        ),
    )
