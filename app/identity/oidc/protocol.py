"""The OpenID Connect relying party: discovery, the provider's keys, the code exchange and the ID token
checks. Every request to a provider goes through app.outbound (the SSRF guard); nothing here writes.

A refusal raises :class:`OidcRefused` with a *code* for the admin (log, Sign-in page, audit). What
the person is told is decided by the view: never the details, which could help an attacker.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import secrets
import threading
import time
from typing import Any
from urllib.parse import quote, urlsplit

from flask import current_app
from joserfc import jws, jwt
from joserfc.errors import BadSignatureError, InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from app import outbound
from app.identity.models import IdentityProvider

WELL_KNOWN = "/.well-known/openid-configuration"
# Asymmetric signatures only: never "none", never HMAC keyed with the client secret.
SAFE_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY_SECONDS = 120
JWKS_MAX_AGE_SECONDS = 3600
DEFAULT_SCOPES = "openid email profile"

log = logging.getLogger(__name__)


class OidcRefused(Exception):
    """The provider's answer (or the way to it) cannot be used; *code* names why, *detail* for the log."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


# Discovery


def well_known_url(url: str) -> str:
    """The discovery document's address for an issuer or discovery URL typed by an admin."""
    url = url.strip()
    if url.endswith(WELL_KNOWN):
        return url
    return url.rstrip("/") + WELL_KNOWN


def _same_issuer(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def fetch_json(url: str, **kwargs: Any) -> tuple[int, Any]:
    """GET or POST *url* through the guard; the status and the decoded JSON (None if it is not JSON)."""
    try:
        fetched = outbound.fetch(url, max_bytes=512 * 1024, **kwargs)
    except outbound.OutboundRefused as error:
        raise OidcRefused("unreachable", error.message) from None
    try:
        return fetched.status, fetched.json()
    except ValueError:
        return fetched.status, None


def discover(url: str, *, issuer_prefix: str | None = None) -> dict[str, Any]:
    """The endpoints a discovery document names, checked; raises OidcRefused.

    The issuer must be the discovery URL's prefix (OpenID Connect Discovery 1.0, section 4.3), or, for
    a provider whose discovery address names a tenant alias (Entra ID), start with *issuer_prefix*.
    """
    status, document = fetch_json(well_known_url(url), headers={"Accept": "application/json"})
    if status != 200 or not isinstance(document, dict):
        raise OidcRefused("discovery_invalid", f"HTTP {status}, not a discovery document")
    issuer = str(document.get("issuer") or "")
    expected = well_known_url(url)[: -len(WELL_KNOWN)]
    if issuer_prefix is not None:
        if not issuer.startswith(issuer_prefix):
            raise OidcRefused("discovery_issuer", f"issuer {issuer!r} is not under {issuer_prefix!r}")
    elif not _same_issuer(issuer, expected):
        raise OidcRefused("discovery_issuer", f"issuer {issuer!r} does not match {expected!r}")
    found: dict[str, Any] = {"issuer": issuer}
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        value = document.get(name)
        if value is None and name == "userinfo_endpoint":
            continue
        if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https"):
            raise OidcRefused("discovery_invalid", f"{name} is missing or not an address")
        found[name] = value
    methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    found["token_auth_method"] = (
        "client_secret_basic" if "client_secret_basic" in methods else "client_secret_post"
    )
    if "client_secret_basic" not in methods and "client_secret_post" not in methods:
        raise OidcRefused("discovery_auth", "the provider takes neither client_secret_basic nor _post")
    algorithms = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    found["algorithms"] = [a for a in SAFE_ALGORITHMS if a in algorithms] or ["RS256"]
    return found


def http_allowed(url: str) -> bool:
    """Whether *url* may be plain http: only at a local address the operator allowed (a test provider).

    Raises OidcRefused when the guard refuses the address outright.
    """
    parts = urlsplit(url)
    if parts.scheme == "https":
        return True
    if parts.scheme != "http":
        return False
    try:
        _host, address = outbound.check_url(url)
    except outbound.OutboundRefused as error:
        raise OidcRefused("unreachable", error.message) from None
    ip = ipaddress.ip_address(address)
    return ip.is_loopback or ip.is_private


# Keys


_jwks_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_jwks_lock = threading.Lock()


def _jwks_key(provider: IdentityProvider) -> str:
    return f"{provider.tenant_id}:{provider.id}:{provider.settings.get('jwks_uri')}"


def _shared() -> Any:
    """Redis, when configured: the key sets are shared by every web process for an hour."""
    if not current_app.config.get("REDIS_URL"):
        return None
    from app.jobs import redis_connection

    return redis_connection()


def _shared_key(cache_key: str) -> str:
    return "atrium:oidc-jwks:" + hashlib.sha256(cache_key.encode()).hexdigest()


def _read_shared(cache_key: str) -> dict[str, Any] | None:
    try:
        connection = _shared()
        raw = connection.get(_shared_key(cache_key)) if connection is not None else None
        document = json.loads(raw) if raw else None
    except Exception as error:  # Redis down or a bad value: fetch from the provider instead
        log.warning("identity.oidc_jwks_cache_unavailable", extra={"error": error.__class__.__name__})
        return None
    return document if isinstance(document, dict) else None


def _write_shared(cache_key: str, document: dict[str, Any]) -> None:
    try:
        connection = _shared()
        if connection is not None:
            connection.set(_shared_key(cache_key), json.dumps(document), ex=JWKS_MAX_AGE_SECONDS)
    except Exception as error:  # the cache is an optimisation: sign-in goes on without it
        log.warning("identity.oidc_jwks_cache_unavailable", extra={"error": error.__class__.__name__})


def provider_keys(provider: IdentityProvider, *, refresh: bool = False) -> dict[str, Any]:
    """The provider's JWKS: cached in this process and in Redis for an hour, fetched anew on *refresh*."""
    cache_key = _jwks_key(provider)
    if not refresh:
        with _jwks_lock:
            cached = _jwks_cache.get(cache_key)
        if cached is not None and time.monotonic() - cached[0] < JWKS_MAX_AGE_SECONDS:
            return cached[1]
        shared = _read_shared(cache_key)
        if shared is not None:
            with _jwks_lock:
                _jwks_cache[cache_key] = (time.monotonic(), shared)
            return shared
    status, document = fetch_json(str(provider.settings.get("jwks_uri") or ""))
    if status != 200 or not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise OidcRefused("jwks_invalid", f"HTTP {status}, not a key set")
    with _jwks_lock:
        _jwks_cache[cache_key] = (time.monotonic(), document)
    _write_shared(cache_key, document)
    return document


def forget_keys(provider: IdentityProvider) -> None:
    """Drop the cached key set (the connection changed), here and in Redis."""
    cache_key = _jwks_key(provider)
    with _jwks_lock:
        _jwks_cache.pop(cache_key, None)
    try:
        connection = _shared()
        if connection is not None:
            connection.delete(_shared_key(cache_key))
    except Exception as error:
        log.warning("identity.oidc_jwks_cache_unavailable", extra={"error": error.__class__.__name__})


def _key_ids(document: dict[str, Any]) -> set[str]:
    return {str(k.get("kid")) for k in document.get("keys", []) if isinstance(k, dict) and k.get("kid")}


def _import_keys(document: dict[str, Any]) -> KeySet:
    usable = [k for k in document.get("keys", []) if isinstance(k, dict) and k.get("use", "sig") == "sig"]
    try:
        return KeySet.import_key_set({"keys": usable})
    except (JoseError, ValueError, TypeError) as error:
        raise OidcRefused("jwks_invalid", str(error)) from None


# The code exchange and the ID token


def exchange_code(
    provider: IdentityProvider, *, client_secret: str, code: str, redirect_uri: str, verifier: str
) -> dict[str, Any]:
    """Trade the authorization *code* (and the PKCE *verifier*) for the provider's tokens."""
    settings = provider.settings
    client_id = str(settings.get("client_id") or "")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    if settings.get("token_auth_method") == "client_secret_post":
        form.update(client_id=client_id, client_secret=client_secret)
    else:  # RFC 6749 2.3.1: each part form-encoded before the Basic encoding
        pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    status, answer = fetch_json(
        str(settings.get("token_endpoint") or ""), method="POST", data=form, headers=headers
    )
    if not isinstance(answer, dict):
        raise OidcRefused("token_invalid", f"HTTP {status}, not JSON")
    if status != 200 or "error" in answer:
        error = str(answer.get("error") or f"http_{status}")[:60]
        raise OidcRefused(f"token_error:{error}", str(answer.get("error_description") or "")[:200])
    if not isinstance(answer.get("id_token"), str):
        raise OidcRefused("token_no_id_token", "the token answer has no id_token")
    return answer


def verify_id_token(provider: IdentityProvider, id_token: str, *, nonce: str) -> dict[str, Any]:
    """The ID token's claims once its signature, issuer, audience, times and nonce are checked."""
    settings = provider.settings
    try:
        header = jws.extract_compact(id_token.encode()).headers()
    except (JoseError, ValueError, TypeError):
        raise OidcRefused("id_token_malformed") from None
    algorithm = str(header.get("alg") or "")
    allowed = [a for a in settings.get("algorithms") or ["RS256"] if a in SAFE_ALGORITHMS]
    if algorithm not in allowed:
        raise OidcRefused("id_token_algorithm", f"alg {algorithm!r} is not one of {allowed}")
    document = provider_keys(provider)
    kid = header.get("kid")
    if kid is not None and str(kid) not in _key_ids(document):
        document = provider_keys(provider, refresh=True)  # the provider rolled its keys: once
    try:
        token = jwt.decode(id_token, _import_keys(document), algorithms=[algorithm])
    except InvalidKeyIdError:
        raise OidcRefused("id_token_unknown_key", f"no key {kid!r} in the provider's key set") from None
    except BadSignatureError:
        raise OidcRefused("id_token_signature", "the signature does not verify") from None
    except (JoseError, ValueError, TypeError) as error:
        raise OidcRefused("id_token_malformed", str(error)[:200]) from None
    claims = dict(token.claims)
    check_claims(provider, claims, nonce=nonce)
    return claims


def check_claims(provider: IdentityProvider, claims: dict[str, Any], *, nonce: str) -> None:
    """OpenID Connect Core 3.1.3.7: issuer, audience, authorized party, expiry, issue time, nonce."""
    settings = provider.settings
    client_id = str(settings.get("client_id") or "")
    # Google signs some ID tokens with its issuer without the scheme (its documentation says so).
    issuers = [str(settings.get("issuer") or ""), *(settings.get("issuer_aliases") or [])]
    if not any(_same_issuer(str(claims.get("iss") or ""), issuer) for issuer in issuers if issuer):
        raise OidcRefused("id_token_issuer", f"iss {claims.get('iss')!r}")
    audience = claims.get("aud")
    audiences = [audience] if isinstance(audience, str) else list(audience or [])
    if client_id not in audiences:
        raise OidcRefused("id_token_audience", f"aud {audiences!r}")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != client_id:
        raise OidcRefused("id_token_azp", f"azp {azp!r}")
    now = time.time()
    try:
        expires, issued = float(claims["exp"]), float(claims["iat"])
    except (KeyError, TypeError, ValueError):
        raise OidcRefused("id_token_times", "exp or iat missing") from None
    if now > expires + LEEWAY_SECONDS:
        raise OidcRefused("id_token_expired", f"expired {int(now - expires)} s ago")
    if issued > now + LEEWAY_SECONDS:
        raise OidcRefused("id_token_times", "issued in the future")
    if not secrets.compare_digest(str(claims.get("nonce") or ""), nonce):
        raise OidcRefused("id_token_nonce", "the nonce is not the one this sign-in sent")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise OidcRefused("id_token_no_subject")
    hosted_domain = settings.get("hosted_domain")
    if hosted_domain and str(claims.get("hd") or "").lower() != str(hosted_domain).lower():
        raise OidcRefused("hosted_domain", f"hd {claims.get('hd')!r}")


def fetch_userinfo(provider: IdentityProvider, access_token: str, subject: str) -> dict[str, Any]:
    """The userinfo claims for the same subject, or nothing (they only fill in what the token lacks)."""
    endpoint = provider.settings.get("userinfo_endpoint")
    if not endpoint or not access_token:
        return {}
    try:
        status, answer = fetch_json(
            str(endpoint), headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"}
        )
    except OidcRefused:
        return {}
    if status != 200 or not isinstance(answer, dict):
        return {}
    if answer.get("sub") != subject:  # Core 5.3.2: a different subject's claims must not be used
        raise OidcRefused("userinfo_subject", "userinfo is about another subject")
    return answer
