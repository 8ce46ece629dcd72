"""SAML single logout: signing out here also signs out at the identity provider (when it has a
single-logout address), and a logout request from the identity provider ends the person's sessions."""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from saml2 import BINDING_HTTP_REDIRECT, saml
from saml2.s_utils import decode_base64_and_inflate
from saml2.samlp import logout_request_from_string
from saml2.xmldsig import SIG_RSA_SHA256
from sqlalchemy import select

from app.accounts import sessions
from app.extensions import db
from app.identity.models import IdentityProvider, UserIdentity
from app.identity.saml import sp

log = logging.getLogger(__name__)


def idp_logout_location() -> str | None:
    """Where the signing-out person goes to end their session at the identity provider too, if anywhere.

    Called before the sign-out view runs (that view ends the session here).
    """
    if session.get("signed_in_by") != "saml" or not session.get("saml_name_id"):
        return None
    provider = db.session.get(IdentityProvider, session.get("identity_provider_id") or 0)
    if provider is None or provider.kind != "saml" or not (provider.settings or {}).get("slo_url"):
        return None
    settings = provider.settings
    try:
        client = sp.client(provider)
        name_id = saml.name_id_from_string(session["saml_name_id"])
        index = session.get("saml_session_index")
        _request_id, logout_request = client.create_logout_request(
            settings["slo_url"],
            settings["idp_entity_id"],
            name_id=name_id,
            session_indexes=[index] if index else None,
            sign=False,
        )
        info = client.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(logout_request),
            settings["slo_url"],
            "",
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    except Exception:  # signing out here must work even when the provider's side cannot be built
        log.exception("saml.logout_request_failed", extra={"provider": provider.slug})
        return None
    return str(dict(info["headers"])["Location"])


def before_sign_out() -> Any:
    """On the sign-out POST of someone who came through SAML: sign out here, then at the provider."""
    if request.endpoint != "accounts.sign_out" or request.method != "POST":
        return None
    if not current_user.is_authenticated:
        return None
    location = idp_logout_location()
    if location is None:
        return None
    from flask_babel import gettext as _

    from app.accounts.views import continue_to, sign_out

    sign_out()  # ends this session and clears the cookie's session, as for everyone
    # The sign-out form's answer cannot redirect to another site (form-action 'self').
    return continue_to(location, _("You are signed out."))


def answer(args: Any) -> Any:
    """The single-logout address: the provider's answer to our logout, or its own logout request."""
    if args.get("SAMLRequest"):
        return _logout_requested(args)
    flash(_("You are signed out."), "info")
    return redirect(url_for("accounts.sign_in"))


def _logout_requested(args: Any) -> Any:
    encoded = args["SAMLRequest"]
    try:
        parsed = logout_request_from_string(decode_base64_and_inflate(encoded))
        issuer = parsed.issuer.text.strip() if parsed is not None and parsed.issuer is not None else None
    except Exception:
        issuer = None
    provider = sp.provider_for_issuer(issuer)
    if provider is None:
        return _refused()
    client = sp.client(provider)
    message = {"SAMLRequest": encoded, "SigAlg": args.get("SigAlg"), "Signature": args.get("Signature")}
    if args.get("RelayState") is not None:
        message["RelayState"] = args.get("RelayState")
    try:
        logout_request = client.parse_logout_request(encoded, BINDING_HTTP_REDIRECT)
        # pysaml2 checks a redirect signature only on the IdP side: a service provider checks it here.
        if (
            logout_request is None
            or not args.get("Signature")
            or not args.get("SigAlg")
            or not logout_request._do_redirect_sig_check(message)
        ):
            return _refused()
    except Exception:
        log.info("saml.logout_request_refused", extra={"provider": provider.slug})
        return _refused()
    name_id = logout_request.message.name_id
    subject = (name_id.text or "").strip() if name_id is not None else ""
    identity = db.session.scalars(
        select(UserIdentity).where(UserIdentity.provider_id == provider.id, UserIdentity.subject == subject)
    ).first()
    if identity is not None:
        sessions.revoke_user_sessions(identity.user, reason="signed_out_at_identity_provider")
        if current_user.is_authenticated and current_user.id == identity.user_id:
            logout_user()
            session.clear()
    db.session.commit()
    response = client.create_logout_response(logout_request.message, [BINDING_HTTP_REDIRECT], sign=False)
    settings = provider.settings or {}
    info = client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(response),
        settings.get("slo_url"),
        args.get("RelayState") or "",
        response=True,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    return redirect(str(dict(info["headers"])["Location"]))


def _refused() -> Any:
    from app.identity import views as identity_views

    return identity_views.failed(
        None, "saml_logout_refused", _("This sign-out request was not accepted."), status=400
    )
