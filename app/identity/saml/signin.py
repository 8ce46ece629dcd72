"""SAML sign-in: send the person to the identity provider, and check what comes back."""

from __future__ import annotations

import base64
import logging
from typing import Any
from urllib.parse import urlsplit

from flask import make_response, redirect, render_template, session
from flask_babel import gettext as _
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.response import (
    DecryptionFailed,
    IncorrectlySigned,
    StatusError,
    UnsolicitedResponse,
    VerificationError,
)
from saml2.sigver import SignatureError, SigverError
from saml2.validate import ResponseLifetimeExceed, ToEarly
from saml2.xmldsig import SIG_RSA_SHA256

from app.extensions import db
from app.identity import provisioning
from app.identity import views as identity_views
from app.identity.models import IdentityProvider
from app.identity.saml import sp, store

log = logging.getLogger(__name__)


def _try_again() -> str:
    return _(
        "Signing in did not work. Go back to the sign-in page and try again; "
        "if it keeps failing, ask your portal's admin."
    )


def start(provider: IdentityProvider, next_url: str | None, test: bool) -> Any:
    """Send the person to *provider* with a signed AuthnRequest (Kind.start)."""
    settings = provider.settings or {}
    if not settings.get("idp_entity_id") or not settings.get("metadata_xml"):
        return identity_views.failed(
            provider,
            "saml_no_metadata",
            _(
                "This sign-in is not set up yet: its identity provider's metadata is missing. "
                "Ask your portal's admin."
            ),
            status=503,
        )
    client = sp.client(provider)
    binding = settings.get("sso_binding") or BINDING_HTTP_REDIRECT
    request_id, authn_request = client.create_authn_request(
        settings["sso_url"],
        binding=BINDING_HTTP_POST,  # the binding the answer comes back with
        sign=binding == BINDING_HTTP_POST,
        sign_alg=SIG_RSA_SHA256 if binding == BINDING_HTTP_POST else None,
    )
    relay = sp.relay_state(provider, next_url, test, request_id)
    store.remember_request(request_id, provider.id)
    db.session.commit()
    if binding == BINDING_HTTP_POST:
        page = make_response(
            render_template(
                "identity/saml/post.html",
                provider=provider,
                action=settings["sso_url"],
                saml_request=base64.b64encode(str(authn_request).encode()).decode(),
                relay_state=relay,
            )
        )
        parts = urlsplit(settings["sso_url"])
        page.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"frame-ancestors 'none'; form-action 'self' {parts.scheme}://{parts.netloc}; base-uri 'self'"
        )
        return page
    info = client.apply_binding(
        BINDING_HTTP_REDIRECT,
        str(authn_request),
        settings["sso_url"],
        relay,
        sign=True,
        sigalg=SIG_RSA_SHA256,
    )
    location = dict(info["headers"])["Location"]
    return redirect(location)


def _attributes(response: Any) -> dict[str, list[str]]:
    """Every attribute by its friendly name (pysaml2's ava) and by its raw name."""
    attributes: dict[str, list[str]] = {}
    for name, values in (response.ava or {}).items():
        attributes[name] = [str(v) for v in values]
    for statement in response.assertion.attribute_statement or []:
        for attribute in statement.attribute or []:
            values = [str(v.text) for v in attribute.attribute_value or [] if v.text is not None]
            if attribute.name:
                attributes.setdefault(attribute.name, values)
            if attribute.friendly_name:
                attributes.setdefault(attribute.friendly_name, values)
    return attributes


def _failure_for(error: Exception, conditions: tuple[str, str] | None = None) -> tuple[str, str]:
    text = str(error)
    lowered = text.lower()
    if "neither the response nor the assertion" in lowered or "signature missing" in lowered:
        return "saml_unsigned", _try_again()
    if isinstance(error, SignatureError | IncorrectlySigned | SigverError) and not isinstance(
        error, DecryptionFailed
    ):
        return "saml_bad_signature", _try_again()
    if isinstance(error, DecryptionFailed):
        return "saml_decryption_failed", _try_again()
    if isinstance(error, ResponseLifetimeExceed):
        return "saml_expired", _(
            "Your sign-in took too long or your identity provider's clock is off. Try again."
        )
    if isinstance(error, ToEarly):
        return "saml_not_yet_valid", _(
            "Your identity provider's clock is ahead of ours. Try again in a minute; "
            "if it keeps failing, ask your portal's admin."
        )
    if isinstance(error, UnsolicitedResponse):
        return "saml_in_response_to_mismatch", _try_again()
    if isinstance(error, StatusError):
        return "saml_idp_refused", _(
            "Your identity provider did not sign you in. Try again, or ask your organisation's IT help desk."
        )
    if "AudienceRestrictions" in text:
        return "saml_wrong_audience", _try_again()
    if text == "Condition not OK" and conditions is not None:
        return conditions
    if isinstance(error, VerificationError):
        return "saml_wrong_recipient", _try_again()
    if "signature" in text.lower() or "signed" in text.lower():
        return "saml_unsigned", _try_again()
    return "saml_invalid_response", _try_again()


def _failed_condition(saml_response: str) -> tuple[str, str] | None:
    """Which condition an assertion pysaml2 refused broke (its time window, its audience), for the log.

    Read from the unverified XML only to name the reason: the answer is refused either way.
    """
    from datetime import datetime, timedelta

    from saml2 import samlp

    from app.tenancy.models import utcnow

    try:
        parsed = samlp.response_from_string(base64.b64decode(saml_response))
        conditions = parsed.assertion[0].conditions
    except Exception:
        return None
    if conditions is None:
        return None
    slack = timedelta(seconds=sp.ACCEPTED_TIME_DIFF)
    now = utcnow()
    if conditions.not_on_or_after:
        ends = datetime.fromisoformat(conditions.not_on_or_after.replace("Z", "+00:00"))
        if ends + slack <= now:
            return "saml_expired", _(
                "Your sign-in took too long or your identity provider's clock is off. Try again."
            )
    if conditions.not_before:
        starts = datetime.fromisoformat(conditions.not_before.replace("Z", "+00:00"))
        if starts - slack > now:
            return "saml_not_yet_valid", _(
                "Your identity provider's clock is ahead of ours. Try again in a minute; "
                "if it keeps failing, ask your portal's admin."
            )
    audiences = {a.text for r in conditions.audience_restriction or [] for a in r.audience or []}
    if audiences and sp.entity_id() not in audiences:
        return "saml_wrong_audience", _try_again()
    return None


def consume(saml_response: str | None, relay_token: str | None) -> Any:
    """The assertion consumer service: check the answer, then sign the person in (or show the test)."""
    if not saml_response:
        return identity_views.failed(None, "saml_no_response", _try_again(), status=400)
    relay = sp.read_relay_state(relay_token) if relay_token else None
    if relay_token and relay is None:
        return identity_views.failed(None, "saml_bad_relay_state", _try_again(), status=400)
    try:
        issuer, in_response_to = sp.issuer_of(saml_response)
    except Exception:
        return identity_views.failed(None, "saml_malformed", _try_again(), status=400)
    provider = sp.provider_for_issuer(issuer)
    if provider is None or not provider.is_active:
        log.warning("saml.unknown_issuer", extra={"issuer": (issuer or "")[:200]})
        # Never say more: the issuer may be another portal's provider.
        return identity_views.failed(None, "saml_unknown_idp", _try_again())
    if relay is not None and relay.get("p") != provider.id:
        return identity_views.failed(provider, "saml_relay_state_mismatch", _try_again())
    outstanding: dict[str, str] = {}
    if in_response_to:
        if store.take_request(in_response_to) != provider.id or (
            relay is not None and relay.get("r") != in_response_to
        ):
            db.session.commit()
            return identity_views.failed(provider, "saml_in_response_to_mismatch", _try_again())
        outstanding[in_response_to] = "/"
    elif not (provider.settings or {}).get("idp_initiated"):
        return identity_views.failed(
            provider,
            "saml_unsolicited",
            _("Start signing in from this portal's sign-in page, not from your identity provider's portal."),
        )
    client = sp.client(provider, allow_unsolicited=not in_response_to)
    try:
        response = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding=outstanding
        )
    except Exception as error:  # pysaml2 raises many kinds, some of them bare Exception
        db.session.commit()  # the request id is used up even by a failed answer
        code, message = _failure_for(error, _failed_condition(saml_response))
        log.info("saml.response_refused", extra={"reason": code, "detail": str(error)[:300]})
        return identity_views.failed(provider, code, message)
    if response is None or response.assertion is None:
        db.session.commit()
        return identity_views.failed(provider, "saml_invalid_response", _try_again())
    if not store.first_use(f"{provider.id}:{response.assertion.id}"):
        db.session.commit()
        return identity_views.failed(provider, "saml_replay", _try_again())
    # The request id and the assertion id are used up now, whatever happens to the sign-in.
    db.session.commit()
    name_id = response.name_id
    subject = (name_id.text or "").strip() if name_id is not None else ""
    received = provisioning.Received.of(subject, _attributes(response))
    test = bool(relay.get("x")) if relay else False
    next_url = relay.get("n") if relay else None
    result = identity_views.finish(provider, received, next_url, test)
    if not test and session.get("identity_provider_id") == provider.id and name_id is not None:
        session["saml_name_id"] = str(name_id)
        statements = response.assertion.authn_statement or []
        session["saml_session_index"] = statements[0].session_index if statements else None
    return result
