"""Signing in with OpenID Connect (the redirect out, the callback) and the provider's admin pages."""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_permission
from app.errors import ValidationError
from app.extensions import db, limiter
from app.forms import apply_error, as_choices, form_status
from app.identity import services as identity
from app.identity import views as identity_views
from app.identity.models import IdentityProvider, ProviderKind
from app.identity.oidc import protocol, services
from app.identity.oidc.forms import AddProviderForm, ConnectionForm
from app.identity.provisioning import Received
from app.tenancy.services import portal_url

log = logging.getLogger(__name__)

bp = Blueprint("identity_oidc", __name__)

PENDING = "oidc_pending"  # the session key: state -> what this sign-in sent (one-time)
PENDING_SECONDS = 600
PENDING_MAX = 5


def callback_url() -> str:
    """The redirect URI to register at the provider: this portal's, from configuration."""
    return portal_url(g.tenant, url_for("identity_oidc.callback"))


def start(provider: IdentityProvider, next_url: str | None, test: bool) -> Any:
    """Send the person to *provider* with a fresh state, nonce and PKCE challenge kept in the session."""
    settings = provider.settings or {}
    if not settings.get("authorization_endpoint") or not settings.get("client_id"):
        return identity_views.failed(
            provider, "not_configured", _("This sign-in is not set up yet. Ask your portal's admin.")
        )
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    now = time.time()
    pending = {
        key: entry
        for key, entry in (session.get(PENDING) or {}).items()
        if now - float(entry.get("at", 0)) < PENDING_SECONDS
    }
    for key in sorted(pending, key=lambda k: pending[k]["at"])[: max(0, len(pending) - PENDING_MAX + 1)]:
        pending.pop(key)
    pending[state] = {
        "provider": provider.id,
        "nonce": nonce,
        "verifier": verifier,
        "next": next_url,
        "test": test,
        "at": now,
    }
    session[PENDING] = pending
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    params = {
        "response_type": "code",
        "client_id": settings["client_id"],
        "redirect_uri": callback_url(),
        "scope": settings.get("scopes") or protocol.DEFAULT_SCOPES,
        "state": state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    if settings.get("hosted_domain"):
        params["hd"] = settings["hosted_domain"]
    if test:
        params["prompt"] = "login"
    endpoint = str(settings["authorization_endpoint"])
    return redirect(endpoint + ("&" if "?" in endpoint else "?") + urlencode(params))


def _untrusted(provider: IdentityProvider) -> str:
    return _(
        "%(name)s sent an answer that could not be trusted, so you are not signed in. Try again; "
        "if it keeps happening, tell your portal's admin.",
        name=provider.name,
    )


@bp.route("/sso/oidc/callback")
@limiter.limit("30 per minute")
def callback():
    """Where the provider sends the person back: check the state, trade the code, check the ID token."""
    state = request.args.get("state") or ""
    pending = dict(session.get(PENDING) or {})
    entry = pending.pop(state, None) if state else None
    session[PENDING] = pending
    if entry is None or time.time() - float(entry.get("at", 0)) > PENDING_SECONDS:
        log.warning("identity.oidc_state_unknown")
        return identity_views.failed(
            None,
            "state_unknown",
            _("This sign-in was already used or took too long. Start again from the sign-in page."),
            400,
        )
    provider = db.session.get(IdentityProvider, int(entry["provider"]))
    usable = (
        provider is not None and provider.deactivated_at is None and provider.kind == ProviderKind.oidc.value
    )
    # An admin may test a provider before switching it on; nobody signs in with a switched-off one.
    if provider is None or not usable or not (provider.enabled or entry.get("test")):
        return identity_views.failed(
            None, "provider_off", _("This way of signing in is switched off. Ask your portal's admin.")
        )
    if error := request.args.get("error"):
        code = "".join(c for c in error if c.isalnum() or c in "_-")[:60]
        if code == "access_denied":
            message = _(
                "%(name)s did not sign you in: you cancelled, or it refused. Start again from the "
                "sign-in page.",
                name=provider.name,
            )
        else:
            message = _(
                "%(name)s could not sign you in (%(error)s). Try again; if it keeps happening, tell "
                "your portal's admin.",
                name=provider.name,
                error=code,
            )
        return identity_views.failed(provider, f"provider_error:{code}", message)
    code = request.args.get("code") or ""
    if not code:
        return identity_views.failed(provider, "no_code", _untrusted(provider))
    try:
        claims = _claims(provider, code, entry)
    except protocol.OidcRefused as refused:
        log.warning(
            "identity.oidc_refused",
            extra={"provider": provider.slug, "reason": refused.code, "detail": refused.detail},
        )
        return identity_views.failed(provider, refused.code, _untrusted(provider))
    received = Received.of(claims["sub"], claims)
    return identity_views.finish(provider, received, entry.get("next"), bool(entry.get("test")))


def _claims(provider: IdentityProvider, code: str, entry: dict[str, Any]) -> dict[str, Any]:
    secret = identity.get_secret(provider)
    if not secret:
        raise protocol.OidcRefused("no_secret", "the client secret is not set")
    tokens = protocol.exchange_code(
        provider, client_secret=secret, code=code, redirect_uri=callback_url(), verifier=entry["verifier"]
    )
    claims = protocol.verify_id_token(provider, tokens["id_token"], nonce=str(entry["nonce"]))
    email_claim = (provider.attribute_map or {}).get("email") or "email"
    if email_claim not in claims:
        extra = protocol.fetch_userinfo(provider, str(tokens.get("access_token") or ""), claims["sub"])
        claims = {**extra, **claims}
    if claims.get("email_verified") is False:
        # An address the provider has not verified must not link to (or create) an account here.
        claims.pop(email_claim, None)
    for technical in ("nonce", "at_hash", "c_hash", "auth_time", "iat", "exp", "aud", "azp"):
        claims.pop(technical, None)
    return claims


# Admin pages


def _fill(form: ConnectionForm) -> None:
    form.preset.choices = as_choices((key, str(label)) for key, label in services.PRESETS.items())


def _connection(form: ConnectionForm) -> services.Connection:
    return services.Connection(
        **{name: getattr(form, name).data or "" for name in services.Connection.__dataclass_fields__}
    )


@bp.route("/admin/sign-in/oidc/new", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def add():
    """Add an OpenID Connect provider: a preset (Entra ID, Google, Okta) or any provider."""
    form = AddProviderForm()
    _fill(form)
    if request.method == "GET":
        form.preset.data = (
            request.args.get("preset") if request.args.get("preset") in services.PRESETS else "custom"
        )
        form.scopes.data = protocol.DEFAULT_SCOPES
    if form.validate_on_submit():
        try:
            provider = services.add_provider(
                form.name.data or "",
                form.slug.data or "",
                identity.parse_domains(form.domains.data or ""),
                _connection(form),
            )
        except ValidationError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is added. Press “Test sign-in” to try it.", name=provider.name), "success")
            return redirect(url_for("identity.provider", provider_id=provider.id))
    return render_template("identity/oidc/add.html", form=form, callback=callback_url()), form_status()


@bp.route("/admin/sign-in/oidc/<int:provider_id>", methods=["GET", "POST"])
@require_permission(perms.INTEGRATIONS_MANAGE)
def settings(provider_id: int):
    """An OpenID Connect provider's connection: where it is, the client ID and secret, the scopes."""
    provider = get_or_404(IdentityProvider, provider_id)
    if provider.deactivated_at is not None or provider.kind != ProviderKind.oidc.value:
        abort(404)
    form = ConnectionForm()
    _fill(form)
    if request.method == "GET":
        for name, value in vars(services.Connection.of(provider)).items():
            if name != "client_secret":
                getattr(form, name).data = value
    if form.validate_on_submit():
        try:
            services.save_connection(provider, _connection(form))
        except ValidationError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("The connection to %(name)s is saved.", name=provider.name), "success")
            return redirect(url_for("identity_oidc.settings", provider_id=provider.id))
    return render_template(
        "identity/oidc/settings.html",
        form=form,
        provider=provider,
        callback=callback_url(),
        has_secret=provider.secret_sealed is not None,
    ), form_status()


def status_notes(provider: IdentityProvider) -> list[tuple[str, str]]:
    """The Sign-in page's notes: a connection that is not complete yet."""
    settings = provider.settings or {}
    if not settings.get("client_id") or not settings.get("token_endpoint"):
        return [("warning", _("The connection is not set up: open its connection settings."))]
    if provider.secret_sealed is None:
        return [("warning", _("The client secret is missing: open its connection settings."))]
    return []
