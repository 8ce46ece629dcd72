"""Sign in through a provider (start, finish, the failure page) and the Sign-in admin page."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_permission
from app.accounts.models import Group, Role, User
from app.accounts.views import complete_sign_in, continue_to
from app.errors import ValidationError
from app.extensions import db, limiter
from app.forms import apply_error, as_choices, form_status
from app.identity import kinds, provisioning, services, ways
from app.identity.forms import ProviderForm, SignInSettingsForm
from app.identity.models import MAPPED_FIELDS, IdentityProvider

log = logging.getLogger(__name__)

bp = Blueprint("identity", __name__)


def _provider_by_slug(slug: str) -> IdentityProvider:
    provider = db.session.scalars(select(IdentityProvider).where(IdentityProvider.slug == slug)).first()
    if provider is None or not provider.is_active:
        abort(404)
    return provider


@bp.route("/sso/<slug>")
@limiter.limit("30 per minute")
def start(slug: str):
    """Send the person to provider *slug* (home-realm discovery and the sign-in buttons lead here)."""
    provider = _provider_by_slug(slug)
    kind = kinds.get(provider.kind)
    if kind is None or kind.start is None:
        abort(404)
    return kind.start(provider, request.args.get("next"), False)


def finish(
    provider: IdentityProvider, received: provisioning.Received, next_url: str | None, test: bool
) -> Any:
    """What a kind calls with a verified answer: sign the person in, or (*test*) show the answer.

    *test* must come from state the kind issued and verified itself (a signed RelayState, the
    OpenID Connect ``state`` it stored): a SAML response arrives as a cross-site POST that carries
    no session cookie.
    """
    if test:
        return render_test(provider, received)
    try:
        user = provisioning.sign_in_with(provider, received)
    except provisioning.IdentityRefused as refused:
        return failed(provider, refused.code, refused.message)
    response = complete_sign_in(
        user, method=provider.kind, next_url=next_url, detail=g.pop("sign_in_detail", None)
    )
    session["identity_provider_id"] = provider.id
    db.session.commit()
    return response


def failed(provider: IdentityProvider | None, code: str, message: str, status: int = 403) -> Any:
    """The page for a sign-in that did not work: what to do for the person, the reason in the log."""
    log.warning(
        "identity.sign_in_failed",
        extra={"provider": provider.slug if provider else None, "reason": code},
    )
    if provider is not None:
        provisioning.record_failure(provider, code)
    return render_template("identity/failed.html", provider=provider, message=message), status


# The Sign-in admin page


def _active_redirecting() -> list[IdentityProvider]:
    return [
        p for p in ways.active_providers() if (k := kinds.get(p.kind)) is not None and k.start is not None
    ]


@bp.route("/admin/sign-in", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def admin():
    providers = list(
        db.session.scalars(
            select(IdentityProvider)
            .where(IdentityProvider.deactivated_at.is_(None))
            .order_by(IdentityProvider.name)
        )
    )
    current = ways.settings()
    form = SignInSettingsForm()
    form.default_provider_id.choices = as_choices(
        [
            ("", _("Nowhere: people choose on the sign-in page")),
            *((str(p.id), p.name) for p in _active_redirecting()),
        ]
    )
    if request.method == "GET":
        form.default_provider_id.data = str(current.default_provider_id or "")
        emails = (
            db.session.scalars(
                select(User.email).where(
                    User.id.in_(current.break_glass_user_ids or []), User.email.is_not(None)
                )
            ).all()
            if current.break_glass_user_ids
            else []
        )
        form.break_glass.data = "\n".join(sorted(e for e in emails if e))
        form.require_two_step_for_admins.data = bool(current.require_two_step_for_admins)
        form.badge_sign_in.data = bool(current.badge_sign_in)
        form.shared_device_idle_minutes.data = current.shared_device_idle_minutes or 3
    if form.validate_on_submit():
        try:
            chosen = form.default_provider_id.data or ""
            services.save_settings(
                default_provider_id=int(chosen) if chosen.isdigit() else None,
                break_glass_emails=[
                    e.strip() for e in (form.break_glass.data or "").splitlines() if e.strip()
                ],
                require_two_step_for_admins=bool(form.require_two_step_for_admins.data),
                badge_sign_in=bool(form.badge_sign_in.data),
                shared_device_idle_minutes=int(form.shared_device_idle_minutes.data or 0),
            )
        except ValidationError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The sign-in settings are saved."), "success")
            return redirect(url_for("identity.admin"))
    notes = {p.id: (k.status_notes(p) if (k := kinds.get(p.kind)) else []) for p in providers}
    return render_template(
        "identity/admin.html",
        providers=providers,
        form=form,
        kinds=kinds.all_kinds(),
        kind_of=kinds.get,
        notes=notes,
    ), form_status()


def _target_choices() -> list[tuple[str, str]]:
    groups = db.session.scalars(select(Group).order_by(Group.name)).all()
    roles = db.session.scalars(select(Role).where(Role.key.is_not(None)).order_by(Role.name)).all()
    return [
        ("", _("Choose…")),
        *((f"group:{g.id}", _("Group: %(name)s", name=g.name)) for g in groups),
        *((f"role:{r.key}", _("Role: %(name)s", name=r.name)) for r in roles),
    ]


@bp.route("/admin/sign-in/providers/<int:provider_id>", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def provider(provider_id: int):
    """A provider's name, domains, how people are created and how their attributes map."""
    provider = get_or_404(IdentityProvider, provider_id)
    if provider.deactivated_at is not None:
        abort(404)
    form = ProviderForm()
    if request.method == "GET":
        form.name.data, form.slug.data = provider.name, provider.slug
        form.enabled.data, form.sso_only.data = provider.enabled, provider.sso_only
        form.create_people.data = provider.create_people
        form.domains.data = "\n".join(provider.domains or [])
        defaults = provisioning.default_attribute_map(provider.kind)
        for name in MAPPED_FIELDS:
            getattr(form, f"map_{name}").data = (provider.attribute_map or {}).get(name) or defaults.get(
                name, ""
            )
        rows = [
            {
                "value": r["value"],
                "target": f"group:{r['group_id']}" if r.get("group_id") else f"role:{r.get('role_key')}",
            }
            for r in provider.group_map or []
        ]
        while form.group_rows.entries:
            form.group_rows.pop_entry()
        for row in [*rows, *({"value": "", "target": ""} for _ in range(3))]:
            form.group_rows.append_entry(row)
    choices = as_choices(_target_choices())
    for entry in form.group_rows:
        entry.form.target.choices = choices
    if form.validate_on_submit():
        try:
            services.update_provider(
                provider,
                name=form.name.data or "",
                slug=form.slug.data or "",
                enabled=form.enabled.data,
                sso_only=form.sso_only.data,
                create_people=form.create_people.data,
                domains=services.parse_domains(form.domains.data or ""),
                attribute_map={name: getattr(form, f"map_{name}").data or "" for name in MAPPED_FIELDS},
                group_map=[
                    {"value": e.form.value.data, "target": e.form.target.data} for e in form.group_rows
                ],
            )
        except ValidationError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=provider.name), "success")
            return redirect(url_for("identity.provider", provider_id=provider.id))
    return render_template(
        "identity/provider.html", provider=provider, form=form, kind=kinds.get(provider.kind)
    ), form_status()


@bp.route("/admin/sign-in/providers/<int:provider_id>/remove", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def remove(provider_id: int):
    provider = get_or_404(IdentityProvider, provider_id)
    services.deactivate_provider(provider)
    db.session.commit()
    flash(_("%(name)s is removed: nobody can sign in with it any more.", name=provider.name), "success")
    return redirect(url_for("identity.admin"))


@bp.route("/admin/sign-in/providers/<int:provider_id>/test", methods=["POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def test(provider_id: int):
    """Send the admin to the provider; its answer comes back as the test page, nobody is signed in."""
    provider = get_or_404(IdentityProvider, provider_id)
    kind = kinds.get(provider.kind)
    if provider.deactivated_at is not None or kind is None or kind.start is None:
        abort(404)
    response = kind.start(provider, None, True)
    if 300 <= response.status_code < 400 and response.location:
        return continue_to(response.location)  # a form's answer cannot redirect to another site
    return response


def render_test(provider: IdentityProvider, received: provisioning.Received) -> Any:
    """What the provider sent and how it maps, before anything is saved."""
    result = provisioning.preview(provider, received)
    db.session.rollback()
    return render_template("identity/test.html", provider=provider, result=result, fields=MAPPED_FIELDS)
