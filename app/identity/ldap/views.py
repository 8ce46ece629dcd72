"""The LDAP directory pages: add one, its connection settings, "Test connection" and "Test sign-in"."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_permission
from app.errors import ValidationError
from app.extensions import db, limiter
from app.forms import apply_error, form_status
from app.identity import provisioning
from app.identity import services as identity_services
from app.identity.ldap import services
from app.identity.ldap.directory import Settings, describe
from app.identity.ldap.forms import AddDirectoryForm, DirectoryForm, TestSignInForm
from app.identity.models import MAPPED_FIELDS, IdentityProvider, ProviderKind

bp = Blueprint("identity_ldap", __name__)


def _directory_or_404(provider_id: int) -> IdentityProvider:
    provider = get_or_404(IdentityProvider, provider_id)
    if provider.kind != ProviderKind.ldap.value or provider.deactivated_at is not None:
        abort(404)
    return provider


def _form_data(form: DirectoryForm) -> dict[str, Any]:
    return {
        name: getattr(form, name).data
        for name in (
            "url",
            "starttls",
            "ca_cert",
            "bind_dn",
            "user_base",
            "user_filter",
            "subject_attribute",
            "group_mode",
            "group_base",
            "group_filter",
        )
    }


@bp.route("/admin/sign-in/ldap/new", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def add():
    """Add an LDAP directory: where it is, the service account, where people are."""
    form = AddDirectoryForm()
    if form.validate_on_submit():
        try:
            provider = services.add_directory(
                form.name.data or "",
                form.slug.data or "",
                identity_services.parse_domains(form.domains.data or ""),
                _form_data(form),
                form.bind_password.data or "",
            )
        except ValidationError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is added. Test the connection, then a sign-in.", name=provider.name), "success")
            return redirect(url_for("identity_ldap.settings", provider_id=provider.id))
    return render_template("identity/ldap/add.html", form=form), form_status()


@bp.route("/admin/sign-in/ldap/<int:provider_id>", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def settings(provider_id: int):
    """A directory's connection settings; the password field stays empty and keeps the saved one."""
    provider = _directory_or_404(provider_id)
    form = DirectoryForm()
    if request.method == "GET":
        for name, value in Settings.of(provider).as_dict().items():
            getattr(form, name).data = value
    if form.validate_on_submit():
        try:
            services.save_directory(provider, _form_data(form), form.bind_password.data or "")
        except ValidationError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=provider.name), "success")
            return redirect(url_for("identity_ldap.settings", provider_id=provider.id))
    return render_template(
        "identity/ldap/settings.html", provider=provider, form=form, check=None
    ), form_status()


@bp.route("/admin/sign-in/ldap/<int:provider_id>/test-connection", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
@limiter.limit("20 per minute")
def test_connection(provider_id: int):
    """Bind as the service account and read the user search base, with the saved settings."""
    provider = _directory_or_404(provider_id)
    check = services.test_connection(provider)
    form = DirectoryForm(formdata=None)
    for name, value in Settings.of(provider).as_dict().items():
        getattr(form, name).data = value
    return render_template("identity/ldap/settings.html", provider=provider, form=form, check=check)


@bp.route("/admin/sign-in/ldap/<int:provider_id>/test-sign-in", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
@limiter.limit("20 per minute", methods=["POST"])
def test_sign_in(provider_id: int):
    """Check an email and password against the directory and show how the answer maps; nothing saved."""
    provider = _directory_or_404(provider_id)
    form = TestSignInForm()
    refusal = None
    if form.validate_on_submit():
        email, password = (form.email.data or "").strip(), form.password.data or ""
        if not email:
            form.email.errors = [_("Enter the email address of someone in the directory.")]
        elif not password:
            form.password.errors = [_("Enter their password.")]
        else:
            try:
                received = services.look_up(provider, email, password)
            except provisioning.IdentityRefused as refused:
                refusal = (refused.message, refused.code, describe(refused.code))
            else:
                result = provisioning.preview(provider, received)
                db.session.rollback()
                return render_template(
                    "identity/test.html", provider=provider, result=result, fields=MAPPED_FIELDS
                )
    return render_template(
        "identity/ldap/test_sign_in.html", provider=provider, form=form, refusal=refusal
    ), form_status(ok=refusal is not None)
