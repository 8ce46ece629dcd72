"""The admins' SCIM pages: create a token (shown once), a token's operations log, revoke it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import permissions as perms
from app.accounts.access import require_permission
from app.errors import ValidationError
from app.scim import services
from app.scim.forms import ScimTokenForm

bp = Blueprint("scim_admin", __name__, url_prefix="/admin/integrations/scim")
PER_PAGE = 50


@bp.route("/tokens/new", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def new_token() -> Any:
    form = ScimTokenForm()
    if form.validate_on_submit():
        try:
            token, secret = services.create_token(form.name.data or "", current_user)
        except ValidationError as exc:
            form.name.errors = [exc.message]
        else:
            scim_url = request.host_url.rstrip("/") + "/scim/v2"
            return render_template("scim/token_created.html", token=token, secret=secret, scim_url=scim_url)
    status = 400 if form.errors else 200
    return render_template("scim/new_token.html", form=form), status


@bp.route("/tokens/<int:token_id>")
@require_permission(perms.INTEGRATIONS_MANAGE)
def token(token_id: int) -> Any:
    found = services.get_token(token_id) or abort(404)
    page = request.args.get("page", 1, type=int) or 1
    operations, total = services.operations_page(found, max(1, page), PER_PAGE)
    return render_template(
        "scim/token.html",
        token=found,
        operations=operations,
        total=total,
        page=max(1, page),
        per_page=PER_PAGE,
    )


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def revoke_token(token_id: int) -> Any:
    found = services.get_token(token_id) or abort(404)
    services.revoke_token(found)
    flash(_("The SCIM token “%(name)s” no longer works.", name=found.name), "success")
    return redirect(url_for("integrations.index") + "#scim")
