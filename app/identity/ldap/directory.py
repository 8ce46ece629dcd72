"""Talking to a portal's LDAP directory with ldap3: connect over TLS, find a person by email, check
their password by binding as them, and read their attributes and groups.

Nothing here writes to Atrium's database: it turns the directory's answer into a
:class:`~app.identity.provisioning.Received`, or raises
:class:`~app.identity.provisioning.IdentityRefused` with a code for the admin and a message the
person can act on.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from app import outbound
from app.identity.models import IdentityProvider
from app.identity.provisioning import IdentityRefused, Received

with warnings.catch_warnings():
    # ldap3 2.9.1 imports pyasn1's old names (tagMap, typeMap), deprecated since pyasn1 0.6.1; they
    # still work, and the warning would fail every test run (filterwarnings = error).
    warnings.simplefilter("ignore", DeprecationWarning)
    from ldap3 import ALL_ATTRIBUTES, BASE, NONE, SUBTREE, Connection, Server, Tls
    from ldap3.core import exceptions as ldap_errors
    from ldap3.utils.conv import escape_filter_chars

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
RECEIVE_TIMEOUT_SECONDS = 10  # whole seconds: ldap3 packs it into SO_RCVTIMEO as an integer
DEFAULT_USER_FILTER = "(&(objectClass=inetOrgPerson)(mail={email}))"
DEFAULT_GROUP_FILTER = "(member={dn})"
DEFAULT_SUBJECT_ATTRIBUTE = "entryUUID"
# Never shown, never mapped: password hashes and the like a service account may be allowed to read.
HIDDEN_ATTRIBUTES = frozenset({"userpassword", "sambantpassword", "sambalmpassword", "unicodepwd"})


def _down() -> IdentityRefused:
    return IdentityRefused(
        "directory_down",
        _("The directory that checks your password is not answering. Try again in a few minutes."),
    )


def _broken(code: str) -> IdentityRefused:
    return IdentityRefused(
        code, _("Signing in with your directory is not working right now. Ask your portal's admin.")
    )


def wrong_password() -> IdentityRefused:
    return IdentityRefused(
        "wrong_password", _("That email and password do not match an active account in this portal.")
    )


@dataclass
class Settings:
    """A directory's non-secret settings, as saved in ``IdentityProvider.settings``."""

    url: str = ""
    starttls: bool = True
    ca_cert: str = ""
    bind_dn: str = ""
    user_base: str = ""
    user_filter: str = DEFAULT_USER_FILTER
    subject_attribute: str = DEFAULT_SUBJECT_ATTRIBUTE
    group_mode: str = "memberof"  # "memberof": the person's memberOf; "search": groups naming them
    group_base: str = ""
    group_filter: str = DEFAULT_GROUP_FILTER

    @classmethod
    def of(cls, provider: IdentityProvider) -> Settings:
        saved = provider.settings or {}
        known = {k: saved[k] for k in cls.__dataclass_fields__ if k in saved}
        return cls(**known)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @property
    def is_plain(self) -> bool:
        return urlsplit(self.url).scheme.lower() == "ldap" and not self.starttls


def plain_allowed() -> bool:
    return bool(current_app.config.get("LDAP_ALLOW_PLAIN"))


@dataclass
class Found:
    """A person's entry: its DN and readable attributes (lists of text)."""

    dn: str
    attributes: dict[str, list[str]] = field(default_factory=dict)


class _VerifiedTls(Tls):
    """TLS that trusts *ca_pem* (else the system's authorities) and checks the certificate names *host*.

    The standard library checks the name during the handshake (IP addresses included); ldap3's
    own check uses ``ssl.match_hostname``, deprecated and gone in Python 3.12.
    """

    def __init__(self, host: str, ca_pem: str | None) -> None:
        super().__init__(validate=ssl.CERT_REQUIRED, ca_certs_data=ca_pem, sni=host)
        self.host = host

    def wrap_socket(self, connection: Any, do_handshake: bool = False) -> None:
        context = ssl.create_default_context(cadata=self.ca_certs_data)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        connection.socket = context.wrap_socket(
            connection.socket, server_hostname=self.host, do_handshake_on_connect=do_handshake
        )


def _server(settings: Settings) -> Server:
    parts = urlsplit(settings.url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    if scheme not in {"ldap", "ldaps"} or not host:
        raise _broken("bad_url")
    if settings.is_plain and not plain_allowed():
        raise _broken("plain_refused")
    try:
        port = parts.port or (636 if scheme == "ldaps" else 389)
    except ValueError:
        raise _broken("bad_url") from None
    try:
        address = outbound.check_host(host, port)
    except outbound.OutboundRefused as refused:
        log.warning("identity.ldap_address_refused", extra={"reason": refused.message})
        if "cannot be resolved" in refused.message:
            raise _down() from None
        raise _broken("address_refused") from None
    tls = None
    if scheme == "ldaps" or settings.starttls:
        # The connection goes to the checked address; the certificate must still name the host.
        tls = _VerifiedTls(host, settings.ca_cert.strip() or None)
    return Server(
        address,
        port=port,
        use_ssl=scheme == "ldaps",
        tls=tls,
        get_info=NONE,
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
    )


def _connect(server: Server, settings: Settings, user: str, password: str) -> Connection:
    connection = Connection(
        server,
        user=user,
        password=password,
        read_only=True,
        receive_timeout=RECEIVE_TIMEOUT_SECONDS,
        raise_exceptions=False,
        auto_referrals=False,
    )
    try:
        connection.open()
        if server.ssl is False and settings.starttls and not connection.start_tls():
            raise _broken("starttls_failed")
        connection.bind()
    except BaseException:
        _close(connection)
        raise
    return connection


def _close(connection: Connection) -> None:
    with contextlib.suppress(ldap_errors.LDAPException, OSError):
        connection.unbind()
    if connection.socket is not None:
        connection.socket.close()


def _open(server: Server, settings: Settings, user: str, password: str) -> Connection:
    """A connection bound as *user*; raises IdentityRefused (down, TLS) or returns it unbound on a refusal."""
    try:
        return _connect(server, settings, user, password)
    except IdentityRefused:
        raise
    except (ldap_errors.LDAPSSLConfigurationError, ldap_errors.LDAPCertificateError, ssl.SSLError) as error:
        log.warning("identity.ldap_tls_failed", extra={"error": str(error)[:300]})
        raise _broken("tls_failed") from None
    except ldap_errors.LDAPStartTLSError as error:
        log.warning("identity.ldap_tls_failed", extra={"error": str(error)[:300]})
        raise _broken("tls_failed") from None
    except ldap_errors.LDAPSocketOpenError as error:
        # ldap3 reports a failed TLS handshake on ldaps:// as a socket error naming ssl.
        if "ssl" in str(error).lower() or "certificate" in str(error).lower():
            log.warning("identity.ldap_tls_failed", extra={"error": str(error)[:300]})
            raise _broken("tls_failed") from None
        raise _down() from None
    except (ldap_errors.LDAPCommunicationError, ldap_errors.LDAPSessionTerminatedByServerError, OSError):
        raise _down() from None


def _service(settings: Settings, bind_password: str | None) -> tuple[Server, Connection]:
    if not settings.bind_dn or not bind_password:
        raise _broken("no_service_account")
    server = _server(settings)
    connection = _open(server, settings, settings.bind_dn, bind_password)
    if not connection.bound:
        log.warning("identity.ldap_service_bind_refused", extra={"result": connection.result})
        _close(connection)
        raise _broken("service_bind_refused")
    return server, connection


def _text_values(values: Any) -> list[str]:
    values = values if isinstance(values, list | tuple) else [values]
    return [str(v) for v in values if not isinstance(v, bytes | bytearray) and v is not None]


def _attributes(raw: dict[str, Any]) -> dict[str, list[str]]:
    attributes: dict[str, list[str]] = {}
    for name, values in raw.items():
        if name.lower() in HIDDEN_ATTRIBUTES:
            continue
        text = _text_values(values)
        if text:
            attributes[name] = text
    return attributes


def _search(connection: Connection, base: str, query: str, attributes: list[str], limit: int) -> list[Found]:
    try:
        connection.search(base, query, SUBTREE, attributes=attributes, size_limit=limit)
    except ldap_errors.LDAPInvalidFilterError:
        raise _broken("bad_filter") from None
    except (ldap_errors.LDAPCommunicationError, OSError):
        raise _down() from None
    if connection.result.get("description") not in {"success", "sizeLimitExceeded", "noSuchObject"}:
        log.warning("identity.ldap_search_failed", extra={"result": connection.result})
        raise _broken("search_failed")
    return [
        Found(dn=item["dn"], attributes=_attributes(dict(item.get("attributes") or {})))
        for item in connection.response or []
        if item.get("type") == "searchResEntry"
    ]


def find_person(connection: Connection, settings: Settings, email: str) -> Found | None:
    """The one entry whose email is *email* (escaped: it is typed by anyone); refuses two or more."""
    query = settings.user_filter.replace("{email}", escape_filter_chars(email.strip()))
    wanted = [ALL_ATTRIBUTES, settings.subject_attribute or DEFAULT_SUBJECT_ATTRIBUTE, "memberOf"]
    found = _search(connection, settings.user_base, query, wanted, limit=2)
    if len(found) > 1:
        raise IdentityRefused(
            "ambiguous",
            _("More than one person in the directory has this email address. Ask your portal's admin."),
        )
    return found[0] if found else None


def _groups(connection: Connection, settings: Settings, person: Found) -> list[str]:
    if settings.group_mode != "search" or not settings.group_base:
        return []
    query = (settings.group_filter or DEFAULT_GROUP_FILTER).replace("{dn}", escape_filter_chars(person.dn))
    return [group.dn for group in _search(connection, settings.group_base, query, ["cn"], limit=1000)]


def check_password(
    provider: IdentityProvider, bind_password: str | None, email: str, password: str
) -> Received:
    """What the directory says about the person with *email* if *password* is theirs; else IdentityRefused."""
    if not password:
        # An empty password makes an LDAP bind "unauthenticated": it succeeds without checking anything.
        raise wrong_password()
    settings = Settings.of(provider)
    server, service = _service(settings, bind_password)
    try:
        person = find_person(service, settings, email)
        if person is None:
            raise IdentityRefused(
                "unknown_person",
                _("That email and password do not match an active account in this portal."),
            )
        groups = _groups(service, settings, person)
    finally:
        _close(service)
    as_person = _open(server, settings, person.dn, password)
    bound, result = as_person.bound, as_person.result
    _close(as_person)
    if not bound:
        if result.get("description") != "invalidCredentials":
            log.warning("identity.ldap_user_bind_refused", extra={"result": result})
        raise wrong_password()
    attributes = dict(person.attributes)
    groups_attribute = (provider.attribute_map or {}).get("groups") or "memberOf"
    if groups:
        attributes[groups_attribute] = [*attributes.get(groups_attribute, []), *groups]
    subject_name = (settings.subject_attribute or DEFAULT_SUBJECT_ATTRIBUTE).lower()
    subject = next((v[0] for k, v in attributes.items() if k.lower() == subject_name and v), "")
    return Received.of(subject, attributes)


@dataclass
class ConnectionCheck:
    """What "Test connection" found: each step passed or the first that failed."""

    ok: bool
    steps: list[tuple[bool, str]]
    code: str | None = None


def test_connection(provider: IdentityProvider, bind_password: str | None) -> ConnectionCheck:
    """Connect, bind as the service account and read the user search base; nothing is saved."""
    settings = Settings.of(provider)
    steps: list[tuple[bool, str]] = []
    try:
        _unused, service = _service(settings, bind_password)
    except IdentityRefused as refused:
        steps.append((False, describe(refused.code)))
        return ConnectionCheck(False, steps, refused.code)
    steps.append((True, _("Connected over TLS and signed in as the service account.")))
    if settings.is_plain:
        steps[-1] = (True, _("Connected without encryption and signed in as the service account."))
    try:
        service.search(settings.user_base, "(objectClass=*)", BASE, attributes=["1.1"])
        readable = service.result.get("description") == "success"
    except (ldap_errors.LDAPException, OSError):
        readable = False
    finally:
        _close(service)
    if not readable:
        steps.append((False, describe("base_unreadable")))
        return ConnectionCheck(False, steps, "base_unreadable")
    steps.append((True, _("The user search base %(base)s is readable.", base=settings.user_base)))
    return ConnectionCheck(True, steps)


def describe(code: str) -> str:
    """What a refusal code means, for the admin."""
    messages = {
        "directory_down": _("The directory is not answering at that address and port."),
        "bad_url": _(
            "The server address must look like ldaps://ldap.example.com or ldap://ldap.example.com."
        ),
        "plain_refused": _(
            "Plain ldap:// without StartTLS sends passwords unencrypted; this installation does not allow it."
        ),
        "address_refused": _(
            "The server address is a private or local address, which this installation does not allow."
        ),
        "tls_failed": _(
            "The directory's TLS certificate is not trusted or does not name the host. "
            "Check the CA certificate."
        ),
        "starttls_failed": _("The directory refused StartTLS."),
        "no_service_account": _("Enter the service account's bind DN and password."),
        "service_bind_refused": _("The directory refused the service account's bind DN or password."),
        "bad_filter": _("The user filter is not a valid LDAP filter."),
        "search_failed": _(
            "The directory refused the search. Check the search base and the account's rights."
        ),
        "base_unreadable": _("The service account cannot read the user search base."),
        "wrong_password": _("The directory refused this password for the person it found."),
        "unknown_person": _("Nobody under the user search base matches the user filter with this email."),
        "ambiguous": _("More than one entry matches the user filter with this email; it must find one."),
        "locked_out": _("The address is locked after too many failed sign-ins."),
    }
    return messages.get(code, code)
