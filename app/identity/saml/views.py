"""SAML routes: the portal's SP metadata, the assertion consumer service, single logout, and the
admin pages to add a SAML provider, change its settings and rotate the portal's SAML key."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_permission
from app.errors import ValidationError
from app.extensions import csrf, db, limiter
from app.forms import apply_error, form_status
from app.identity import services as identity_services
from app.identity.models import IdentityProvider
from app.identity.saml import keys, logout, signin, sp
from app.identity.saml import services as saml_services
from app.identity.saml.forms import AddSamlForm, ConfirmForm, SamlSettingsForm

bp = Blueprint("saml", __name__)


@bp.route(sp.METADATA_PATH)
@limiter.limit("60 per minute")
def metadata() -> Response:
    """This portal's signed SAML service-provider metadata (a stable address for identity providers)."""
    had_key = bool(keys.live_keys())
    document = sp.metadata_xml()
    if not had_key:
        db.session.commit()  # the portal's first key, made on first use
    response = Response(document, mimetype="application/samlmetadata+xml")
    response.headers["Content-Disposition"] = 'inline; filename="metadata.xml"'
    return response


@bp.route(sp.ACS_PATH, methods=["POST"])
@csrf.exempt  # a cross-site POST from the identity provider: its signature is the proof
@limiter.limit("30 per minute")
def acs() -> Any:
    return signin.consume(request.form.get("SAMLResponse"), request.form.get("RelayState"))


@bp.route(sp.SLO_PATH)
@limiter.limit("30 per minute")
def slo() -> Any:
    return logout.answer(request.args)


def _uploaded(form: Any) -> bytes | None:
    file = form.metadata_file.data
    if file is None or not getattr(file, "filename", ""):
        return None
    return file.read(2 * 1024 * 1024 + 1)


@bp.route("/admin/sign-in/saml/new", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def add() -> Any:
    form = AddSamlForm()
    if form.validate_on_submit():
        try:
            domains = identity_services.parse_domains(form.domains.data or "")
            parsed, url = saml_services.metadata_from(
                form.metadata_xml.data or "", _uploaded(form), form.metadata_url.data or ""
            )
            provider = saml_services.add_provider(form.name.data or "", domains, parsed, url)
            sp.current_key()
        except ValidationError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s is added. Give its identity provider this portal's metadata.",
                    name=provider.name,
                ),
                "success",
            )
            return redirect(url_for("saml.settings", provider_id=provider.id))
    return render_template("identity/saml/add.html", form=form), form_status()


def _saml_provider(provider_id: int) -> IdentityProvider:
    provider = get_or_404(IdentityProvider, provider_id)
    if provider.kind != "saml" or provider.deactivated_at is not None:
        abort(404)
    return provider


@bp.route("/admin/sign-in/providers/<int:provider_id>/saml", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def settings(provider_id: int) -> Any:
    provider = _saml_provider(provider_id)
    form = SamlSettingsForm()
    current = provider.settings or {}
    if request.method == "GET":
        form.idp_initiated.data = bool(current.get("idp_initiated"))
        form.want_assertions_signed.data = bool(current.get("want_assertions_signed"))
        form.metadata_url.data = current.get("metadata_url") or ""
    if form.validate_on_submit():
        try:
            parsed, url = saml_services.metadata_from(
                form.metadata_xml.data or "", _uploaded(form), form.metadata_url.data or ""
            )
            saml_services.update_settings(
                provider,
                parsed=parsed,
                url=url,
                idp_initiated=bool(form.idp_initiated.data),
                want_assertions_signed=bool(form.want_assertions_signed.data),
            )
        except ValidationError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=provider.name), "success")
            return redirect(url_for("saml.settings", provider_id=provider.id))
    return render_template(
        "identity/saml/settings.html",
        provider=provider,
        form=form,
        info=saml_services.summary(provider),
        sp_entity_id=sp.entity_id(),
        acs_url=sp.acs_url(),
        slo_url=sp.slo_url(),
        sp_keys=keys.live_keys(),
        confirm=ConfirmForm(),
    ), form_status()


@bp.route("/admin/sign-in/providers/<int:provider_id>/saml/refresh", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def refresh(provider_id: int) -> Any:
    provider = _saml_provider(provider_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not (provider.settings or {}).get("metadata_url"):
        flash(_("%(name)s has no metadata address to read.", name=provider.name), "error")
    else:
        saml_services.schedule_refresh(provider)
        db.session.commit()
        flash(_("The metadata of %(name)s is being read again.", name=provider.name), "success")
    return redirect(url_for("saml.settings", provider_id=provider.id))


@bp.route("/admin/sign-in/saml/rotate-key", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def rotate_key() -> Any:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    sp.current_key()
    keys.rotate(sp.common_name())
    db.session.commit()
    flash(
        _(
            "The portal has a new SAML key. The previous one stays in the metadata for 14 days: "
            "update your identity provider before then."
        ),
        "success",
    )
    back = request.form.get("provider_id", "")
    if back.isdigit():
        return redirect(url_for("saml.settings", provider_id=int(back)))
    return redirect(url_for("identity.admin"))
