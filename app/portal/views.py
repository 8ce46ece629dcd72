"""The tenant admin Branding page, with a live preview."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app.accounts import permissions as perms
from app.accounts.access import require_permission
from app.errors import ValidationError
from app.forms import MultiCheckboxField, apply_error, as_choices, form_status
from app.portal import services as portal_settings
from app.tenancy import branding as branding_service
from app.tenancy.colours import normalise
from app.tenancy.themes import available_themes, brand_variables, get_theme, stylesheet
from app.timezones import TimeZoneField

bp = Blueprint("branding", __name__, url_prefix="/admin/branding")


class BrandingForm(FlaskForm):
    display_name = StringField(
        _l("Portal name"), validators=[DataRequired(_l("Enter the portal's name.")), Length(max=200)]
    )
    theme = SelectField(_l("Theme"))
    primary = StringField(_l("Primary colour"), validators=[DataRequired(_l("Enter a colour."))])
    accent = StringField(_l("Accent colour"), validators=[DataRequired(_l("Enter a colour."))])
    logo = FileField(_l("Logo"))
    remove_logo = BooleanField(_l("Remove the current logo"))
    favicon = FileField(_l("Favicon"))
    remove_favicon = BooleanField(_l("Remove the current favicon"))
    sign_in_message = TextAreaField(
        _l("Message on the sign-in page"), validators=[Optional(), Length(max=500)]
    )


class LocaleSettingsForm(FlaskForm):
    enabled_locales = MultiCheckboxField(_l("Languages offered"))
    default_locale = SelectField(_l("Default language"))
    time_zone = TimeZoneField(_l("Time zone"))


class SessionSettingsForm(FlaskForm):
    idle_minutes = IntegerField(
        _l("Sign out after this many minutes without activity"),
        validators=[InputRequired(_l("Enter a number of minutes."))],
    )
    max_hours = IntegerField(
        _l("Sign out after this many hours in any case"),
        validators=[InputRequired(_l("Enter a number of hours."))],
    )


def _session_form() -> SessionSettingsForm:
    submitted_here = request.endpoint == "branding.sessions"
    form = (
        SessionSettingsForm(prefix="sessions")
        if submitted_here
        else SessionSettingsForm(prefix="sessions", formdata=None)
    )
    if not submitted_here:
        form.idle_minutes.data = g.tenant.session_idle_minutes
        form.max_hours.data = g.tenant.session_max_hours
    return form


def _locale_form() -> LocaleSettingsForm:
    from app.locales import LOCALE_NAMES

    tenant = g.tenant
    submitted_here = request.endpoint == "branding.languages"
    form = (
        LocaleSettingsForm(prefix="locale")
        if submitted_here
        else LocaleSettingsForm(prefix="locale", formdata=None)
    )
    form.enabled_locales.choices = as_choices(LOCALE_NAMES.items())
    form.default_locale.choices = as_choices(LOCALE_NAMES.items())
    if not submitted_here:
        form.enabled_locales.data = list(tenant.enabled_locales)
        form.default_locale.data = tenant.default_locale
        form.time_zone.data = tenant.time_zone
    return form


def _form() -> BrandingForm:
    tenant = g.tenant
    elsewhere = request.endpoint in ("branding.languages", "branding.sessions")
    fresh = request.method == "GET" or elsewhere
    form = BrandingForm(formdata=None) if elsewhere else BrandingForm()
    form.theme.choices = as_choices((key, theme.name) for key, theme in available_themes().items())
    if fresh:
        current = brand_variables(get_theme(tenant.theme), tenant.branding or {})
        form.display_name.data = tenant.display_name
        form.theme.data = tenant.theme if tenant.theme in available_themes() else "default"
        form.primary.data = current["color-primary"]
        form.accent.data = current["color-accent"]
        form.sign_in_message.data = (tenant.branding or {}).get("sign_in_message") or ""
    return form


def _preview_context(theme_key: str, primary: str, accent: str) -> dict[str, Any]:
    theme = get_theme(theme_key)
    checks = []
    for field, value in (("primary", primary), ("accent", accent)):
        colour = normalise(value or "")
        checks.append(branding_service.check_colour(theme, field, colour) if colour else None)
    return {
        "preview_theme": theme,
        "preview_primary": primary,
        "preview_accent": accent,
        "checks": checks,
    }


def _read_upload(field: Any) -> bytes | None:
    storage = field.data
    if storage is None or not getattr(storage, "filename", ""):
        return None
    return storage.read(branding_service.LOGO_MAX_BYTES + 1)


@bp.route("", methods=["GET", "POST"])
@require_permission(perms.BRANDING_MANAGE)
def edit() -> Any:
    form = _form()
    previewing = request.form.get("action") == "preview"
    if request.method == "POST" and not previewing and form.validate_on_submit():
        try:
            portal_settings.update_branding(
                g.tenant,
                display_name=form.display_name.data or "",
                theme=form.theme.data or "default",
                primary=form.primary.data or "",
                accent=form.accent.data or "",
                sign_in_message=form.sign_in_message.data or "",
                logo=_read_upload(form.logo),
                favicon=_read_upload(form.favicon),
                remove_logo=bool(form.remove_logo.data),
                remove_favicon=bool(form.remove_favicon.data),
            )
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("The branding is saved. Everyone sees it on their next page."), "success")
            return redirect(url_for("branding.edit"))
    context = _preview_context(form.theme.data or "default", form.primary.data or "", form.accent.data or "")
    status = form_status(ok=previewing)
    return render_template(
        "admin/branding.html", form=form, locale_form=_locale_form(), session_form=_session_form(), **context
    ), status


@bp.route("/languages", methods=["POST"])
@require_permission(perms.BRANDING_MANAGE)
def languages() -> Any:
    """Save the languages the portal offers, its default language and time zone."""
    from app.portal.services import update_locale_settings

    locale_form = _locale_form()
    if locale_form.validate_on_submit():
        try:
            update_locale_settings(
                g.tenant,
                enabled_locales=list(locale_form.enabled_locales.data or []),
                default_locale=locale_form.default_locale.data or "",
                time_zone=locale_form.time_zone.data or "",
            )
        except ValidationError as exc:
            apply_error(locale_form, exc)
        else:
            flash(_("Languages and time zone are saved."), "success")
            return redirect(url_for("branding.edit") + "#languages-heading")
    form = _form()
    context = _preview_context(form.theme.data or "default", form.primary.data or "", form.accent.data or "")
    return render_template(
        "admin/branding.html", form=form, locale_form=locale_form, session_form=_session_form(), **context
    ), 422


@bp.route("/sessions", methods=["POST"])
@require_permission(perms.BRANDING_MANAGE)
def sessions() -> Any:
    """Save how long a sign-in lasts in this portal: idle timeout and absolute lifetime."""
    from app.portal.services import update_session_settings

    session_form = _session_form()
    if session_form.validate_on_submit():
        try:
            update_session_settings(
                g.tenant,
                idle_minutes=session_form.idle_minutes.data or 0,
                max_hours=session_form.max_hours.data or 0,
            )
        except ValidationError as exc:
            apply_error(session_form, exc)
        else:
            flash(_("Sign-in limits are saved. They apply to every session from now on."), "success")
            return redirect(url_for("branding.edit") + "#sessions-heading")
    form = _form()
    context = _preview_context(form.theme.data or "default", form.primary.data or "", form.accent.data or "")
    return render_template(
        "admin/branding.html", form=form, locale_form=_locale_form(), session_form=session_form, **context
    ), 422


@bp.route("/preview", methods=["POST"])
@require_permission(perms.BRANDING_MANAGE)
def preview() -> Any:
    """The preview panel for the colours and theme being typed (an htmx partial)."""
    context = _preview_context(
        request.form.get("theme", "default"), request.form.get("primary", ""), request.form.get("accent", "")
    )
    return render_template("admin/_branding_preview.html", **context)


@bp.route("/preview.css")
@require_permission(perms.BRANDING_MANAGE)
def preview_css() -> Response:
    """CSS for the preview panel only, so the preview obeys the Content-Security-Policy."""
    theme = get_theme(request.args.get("theme"))
    candidate = {
        "primary": normalise(request.args.get("primary", "")) or None,
        "accent": normalise(request.args.get("accent", "")) or None,
    }
    css = stylesheet(brand_variables(theme, candidate), selector=".brand-preview")
    return Response(css, mimetype="text/css", headers={"Cache-Control": "no-store"})
