"""Two-step sign-in pages: the code after a password, the forced set-up, and the Account page's
set-up, new recovery codes and turning it off; an admin's reset on a person's page."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_permission, require_sign_in
from app.accounts.models import User
from app.accounts.views import complete_sign_in
from app.errors import ValidationError
from app.extensions import db, limiter
from app.forms import apply_error, form_status
from app.identity.two_step import services
from app.identity.two_step.forms import CodeForm
from app.redirects import safe_next

bp = Blueprint("two_step", __name__)

PENDING = "two_step_pending"
# How long after the password the code may come; setting up an app takes longer.
CODE_SECONDS = 5 * 60
ENROL_SECONDS = 10 * 60


def _rate_key() -> str:
    return f"{g.tenant.id if g.get('tenant') else '-'}:{request.remote_addr}"


# After the password: the gate, and the pending sign-in it leaves in the session


def gate(user: User, method: str, next_url: str | None) -> Any:
    """Before a password sign-in's session starts: ask for a code, or set up two-step first."""
    if method != "password":
        return None  # single sign-on providers do their own second step
    enabled = services.is_enabled(user)
    if not enabled and not services.is_required(user):
        return None
    session.clear()
    session["tenant_id"] = g.tenant.id
    session[PENDING] = {
        "user_id": user.id,
        "tenant_id": g.tenant.id,
        "issued": int(time.time()),
        "next": next_url,
        "enrol": not enabled,
        "detail": g.get("sign_in_detail"),  # what the audit log will say when the session starts
    }
    if enabled:
        return redirect(url_for("two_step.verify"))
    services.start_enrolment(user)
    return redirect(url_for("two_step.enrol"))


def _pending(enrol: bool) -> tuple[User, dict[str, Any]] | None:
    """The person whose password was right a moment ago, if this session holds such a marker."""
    marker = session.get(PENDING)
    if not isinstance(marker, dict) or marker.get("tenant_id") != g.tenant.id:
        return None
    if bool(marker.get("enrol")) != enrol:
        return None
    limit = ENROL_SECONDS if enrol else CODE_SECONDS
    if not isinstance(marker.get("issued"), int) or time.time() - marker["issued"] > limit:
        session.pop(PENDING, None)
        return None
    user = db.session.get(User, marker.get("user_id"))
    if user is None or not user.is_active:
        session.pop(PENDING, None)
        return None
    return user, marker


def _start_again() -> Any:
    flash(_("Your sign-in took too long or has ended. Sign in again."), "error")
    return redirect(url_for("accounts.sign_in"))


@bp.route("/sign-in/two-step", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=_rate_key)
def verify():
    """The second step: a code from the person's app, or one of their recovery codes."""
    pending = _pending(enrol=False)
    if pending is None:
        return _start_again()
    user, marker = pending
    form = CodeForm()
    if form.validate_on_submit():
        try:
            used = services.check_code(user, form.code.data or "")
        except services.TwoStepRefused as refused:
            if refused.locked:
                session.pop(PENDING, None)
                flash(refused.message, "error")
                return redirect(url_for("accounts.sign_in"))
            form.code.errors = [refused.message]
        else:
            if used == "recovery":
                left = services.recovery_codes_left(user)
                flash(
                    _(
                        "You used a recovery code; %(count)d are left. Make new ones on your account page.",
                        count=left,
                    ),
                    "info",
                )
            return complete_sign_in(
                user,
                method="two_step",
                next_url=marker.get("next"),
                detail={**(marker.get("detail") or {}), "second_step": used},
            )
    return render_template("identity/two_step/verify.html", form=form), form_status()


@bp.route("/sign-in/two-step/set-up", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"], key_func=_rate_key)
def enrol():
    """Set up two-step before the session starts, for someone the portal requires it of."""
    pending = _pending(enrol=True)
    if pending is None:
        return _start_again()
    user, marker = pending
    row = services.secret_row(user)
    if row is None or row.enabled:
        session.pop(PENDING, None)
        return _start_again()
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = services.confirm_enrolment(user, form.code.data or "")
        except ValidationError as error:
            apply_error(form, error)
        else:
            complete_sign_in(
                user,
                method="two_step",
                next_url=marker.get("next"),
                detail={**(marker.get("detail") or {}), "second_step": "set up"},
            )
            return render_template(
                "identity/two_step/recovery_codes.html",
                codes=codes,
                continue_url=safe_next(marker.get("next")),
                first_time=True,
            )
    return render_template(
        "identity/two_step/enrol.html", form=form, forced=True, **_enrolment(user, row)
    ), form_status()


def _enrolment(user: User, row: Any) -> dict[str, Any]:
    uri = services.provisioning_uri(user, row, g.tenant.display_name)
    return {"qr": services.qr_data_uri(uri), "secret": services.formatted_secret(row), "person": user}


# The Account page


def account_panel(user: User) -> Markup:
    """The Account page's two-step section."""
    row = services.secret_row(user)
    return Markup(  # noqa: S704 - HTML our own autoescaping template rendered
        render_template(
            "identity/two_step/_account_panel.html",
            row=row if row is not None and row.enabled else None,
            codes_left=services.recovery_codes_left(user) if row is not None and row.enabled else 0,
            required=services.is_required(user),
        )
    )


@bp.route("/account/two-step/start", methods=["POST"])
@require_sign_in
def start():
    try:
        services.start_enrolment(current_user)
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.account"))
    return redirect(url_for("two_step.account_enrol"))


@bp.route("/account/two-step/set-up", methods=["GET", "POST"])
@require_sign_in
@limiter.limit("10 per minute", methods=["POST"], key_func=_rate_key)
def account_enrol():
    row = services.secret_row(current_user)
    if row is None or row.enabled:
        return redirect(url_for("accounts.account"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = services.confirm_enrolment(current_user, form.code.data or "")
        except ValidationError as error:
            apply_error(form, error)
        else:
            return render_template(
                "identity/two_step/recovery_codes.html",
                codes=codes,
                continue_url=url_for("accounts.account"),
                first_time=True,
            )
    return render_template(
        "identity/two_step/enrol.html", form=form, forced=False, **_enrolment(current_user, row)
    ), form_status()


@bp.route("/account/two-step/recovery-codes", methods=["POST"])
@require_sign_in
def new_recovery_codes():
    try:
        codes = services.regenerate_recovery_codes(current_user)
    except ValidationError as error:
        flash(error.message, "error")
        return redirect(url_for("accounts.account"))
    return render_template(
        "identity/two_step/recovery_codes.html",
        codes=codes,
        continue_url=url_for("accounts.account"),
        first_time=False,
    )


@bp.route("/account/two-step/turn-off", methods=["GET", "POST"])
@require_sign_in
@limiter.limit("10 per minute", methods=["POST"], key_func=_rate_key)
def turn_off():
    if not services.is_enabled(current_user):
        return redirect(url_for("accounts.account"))
    required = services.is_required(current_user)
    form = CodeForm()
    if not required and form.validate_on_submit():
        try:
            services.turn_off(current_user, form.code.data or "")
        except ValidationError as error:
            apply_error(form, error)
        else:
            flash(_("Two-step sign-in is off. Your password alone now signs you in."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("identity/two_step/turn_off.html", form=form, required=required), form_status()


# A person's admin page


def person_panel(person: User) -> Markup:
    """Two-step status and the reset button in the Access part of a person's admin page."""
    if not current_user.is_authenticated or not current_user.can(perms.USERS_MANAGE):
        return Markup("")
    row = services.secret_row(person)
    return Markup(  # noqa: S704 - HTML our own autoescaping template rendered
        render_template(
            "identity/two_step/_person_panel.html",
            person=person,
            row=row if row is not None and row.enabled else None,
        )
    )


@bp.route("/admin/users/<int:user_id>/two-step/reset", methods=["POST"])
@require_permission(perms.USERS_MANAGE, platform=None)
def reset(user_id: int):
    person = get_or_404(User, user_id)
    if services.reset(person):
        flash(
            _(
                "Two-step sign-in of %(name)s is reset: they set it up again when they next need it.",
                name=person.full_name,
            ),
            "success",
        )
    else:
        flash(_("%(name)s has no two-step sign-in to reset.", name=person.full_name), "info")
    if g.tenant.is_platform:
        return redirect(url_for("admin.edit_user", user_id=person.id))
    return redirect(url_for("team.person", user_id=person.id))
