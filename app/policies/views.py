"""Learners read a policy and accept it with their typed name."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional

from app.accounts.access import require_sign_in
from app.admin.views import _apply_error
from app.errors import ValidationError
from app.extensions import db
from app.policies import services as policies
from app.policies.models import Acknowledgement, Policy

bp = Blueprint("policies", __name__)


class AcceptForm(FlaskForm):
    accept = BooleanField(_l("I have read and accept this policy"))
    signature = StringField(_l("Your full name, as your signature"), validators=[Optional(), Length(max=200)])


@bp.route("/policies/<int:policy_id>", methods=["GET", "POST"])
@require_sign_in
def policy(policy_id: int) -> Any:
    found = db.session.get(Policy, policy_id)
    if found is None or found.current_version is None:
        abort(404)
    pending = {p.policy.id: p for p in policies.pending_policies(current_user)}
    signed = list(
        db.session.scalars(
            select(Acknowledgement)
            .where(Acknowledgement.user_id == current_user.id, Acknowledgement.policy_id == found.id)
            .order_by(Acknowledgement.id)
        )
    )
    if found.id not in pending and not signed:
        abort(404)  # the policy does not apply to this person
    version = found.current_version
    form = AcceptForm()
    if found.id in pending and form.validate_on_submit():
        try:
            policies.acknowledge_policy(
                current_user,
                version,
                form.signature.data or "",
                accepted=bool(form.accept.data),
                ip=request.remote_addr,
                user_agent=request.user_agent.string,
            )
        except ValidationError as exc:
            _apply_error(form, exc)
        else:
            flash(_("Thank you. Your acceptance of “%(title)s” is recorded.", title=found.title), "success")
            return redirect(url_for("accounts.home"))
    from datetime import datetime

    from flask_babel import get_timezone

    status = 200 if request.method == "GET" else 422
    return render_template(
        "policies/policy.html",
        policy=found,
        version=version,
        form=form,
        pending=pending.get(found.id),
        signed=signed,
        today=datetime.now(get_timezone()).date(),
    ), status
