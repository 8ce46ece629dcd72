"""Two-step sign-in with an authenticator app (TOTP) after a local or directory password, with
recovery codes; required of operators, and of a portal's admins when the portal says so."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register two-step sign-in: its pages, the gate after a password, the Account page section."""
    from app import sealing
    from app.accounts.views import register_account_panel, register_person_panel, register_sign_in_gate
    from app.identity.two_step import models, views

    sealing.register(models.TwoStepSecret, "secret_sealed", lambda row: row.purpose)
    app.register_blueprint(views.bp)
    register_sign_in_gate(views.gate)
    register_account_panel(views.account_panel)
    register_person_panel(views.person_panel)
