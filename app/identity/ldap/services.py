"""Adding and changing a portal's LDAP directory, and checking a password against it (with the same
lockout as local passwords)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from flask_babel import gettext as _

from app.accounts.services import sign_in as sign_in_services
from app.errors import ValidationError
from app.identity import provisioning
from app.identity import services as identity_services
from app.identity.ldap import directory
from app.identity.ldap.directory import Settings
from app.identity.models import IdentityProvider, ProviderKind
from app.tenancy.models import utcnow

_DN = re.compile(r"^[^=,]+=[^,]*(,\s*[^=,]+=[^,]*)*$")
_ATTRIBUTE = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")


def _balanced(text: str) -> bool:
    depth = 0
    for char in text.replace("\\(", "").replace("\\)", ""):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _check_filter(value: str, placeholder: str, field: str) -> str:
    value = value.strip()
    if placeholder not in value:
        raise ValidationError(
            _("Put %(placeholder)s in the filter where the value goes.", placeholder=placeholder), field=field
        )
    if not value.startswith("(") or not _balanced(value):
        raise ValidationError(
            _("Write the filter in parentheses, like (&(objectClass=inetOrgPerson)(mail={email}))."),
            field=field,
        )
    return value


def _check_dn(value: str, field: str, message: str) -> str:
    value = value.strip()
    if not _DN.match(value):
        raise ValidationError(message, field=field)
    return value


def check_settings(data: dict[str, Any]) -> Settings:
    """Settings from an admin's form; raises ValidationError naming the first problem."""
    url = str(data.get("url") or "").strip()
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
    if parts.scheme.lower() not in {"ldap", "ldaps"} or not parts.hostname or not port_ok:
        raise ValidationError(
            _("Enter the server address like ldaps://ldap.example.com or ldap://ldap.example.com:389."),
            field="url",
        )
    if parts.path not in {"", "/"} or parts.query:
        raise ValidationError(_("Enter only the server address, without a path."), field="url")
    starttls = parts.scheme.lower() == "ldaps" or bool(data.get("starttls"))
    if parts.scheme.lower() == "ldap" and not starttls and not directory.plain_allowed():
        raise ValidationError(
            _(
                "Use ldaps:// or StartTLS: without them passwords cross the network unencrypted, "
                "and this installation does not allow that."
            ),
            field="starttls",
        )
    ca_cert = str(data.get("ca_cert") or "").strip()
    if ca_cert:
        try:
            x509.load_pem_x509_certificates(ca_cert.encode())
        except ValueError:
            raise ValidationError(
                _("Paste the CA certificate in PEM form, from -----BEGIN CERTIFICATE----- to the end."),
                field="ca_cert",
            ) from None
    group_mode = str(data.get("group_mode") or "memberof")
    if group_mode not in {"memberof", "search"}:
        group_mode = "memberof"
    group_base = str(data.get("group_base") or "").strip()
    if group_mode == "search":
        group_base = _check_dn(
            group_base,
            "group_base",
            _("Enter the group search base as a DN, like ou=groups,dc=example,dc=com."),
        )
    subject_attribute = (
        str(data.get("subject_attribute") or "").strip() or directory.DEFAULT_SUBJECT_ATTRIBUTE
    )
    if not _ATTRIBUTE.match(subject_attribute):
        raise ValidationError(
            _("Enter one attribute name, like entryUUID or objectGUID."), field="subject_attribute"
        )
    return Settings(
        url=f"{parts.scheme.lower()}://{parts.netloc}",
        starttls=starttls if parts.scheme.lower() == "ldap" else False,
        ca_cert=ca_cert,
        bind_dn=_check_dn(
            str(data.get("bind_dn") or ""),
            "bind_dn",
            _("Enter the service account's DN, like cn=atrium,ou=services,dc=example,dc=com."),
        ),
        user_base=_check_dn(
            str(data.get("user_base") or ""),
            "user_base",
            _("Enter the user search base as a DN, like ou=people,dc=example,dc=com."),
        ),
        user_filter=_check_filter(
            str(data.get("user_filter") or directory.DEFAULT_USER_FILTER), "{email}", "user_filter"
        ),
        subject_attribute=subject_attribute,
        group_mode=group_mode,
        group_base=group_base,
        group_filter=_check_filter(
            str(data.get("group_filter") or directory.DEFAULT_GROUP_FILTER), "{dn}", "group_filter"
        )
        if group_mode == "search"
        else directory.DEFAULT_GROUP_FILTER,
    )


def add_directory(
    name: str, slug: str, domains: list[str], data: dict[str, Any], bind_password: str
) -> IdentityProvider:
    """Add an LDAP directory to the portal; audited (the bind password sealed, never in the log)."""
    settings = check_settings(data)
    if not bind_password:
        raise ValidationError(_("Enter the service account's password."), field="bind_password")
    provider = identity_services.create_provider(
        ProviderKind.ldap.value, name, slug, domains=domains, settings=settings.as_dict()
    )
    identity_services.set_secret(provider, bind_password)
    return provider


def save_directory(provider: IdentityProvider, data: dict[str, Any], bind_password: str) -> IdentityProvider:
    """Change a directory's connection settings; an empty password keeps the saved one. Audited."""
    settings = check_settings(data)
    if not bind_password and provider.secret_sealed is None:
        raise ValidationError(_("Enter the service account's password."), field="bind_password")
    identity_services.update_provider(provider, settings=settings.as_dict())
    identity_services.set_secret(provider, bind_password)
    return provider


def look_up(provider: IdentityProvider, email: str, password: str) -> provisioning.Received:
    """What the directory says about *email* with *password* (no lockout: the admin's test uses it)."""
    return directory.check_password(provider, identity_services.get_secret(provider), email, password)


def check_password(provider: IdentityProvider, email: str, password: str) -> provisioning.Received:
    """The sign-in page's check: refused while the address is locked; a wrong password counts toward it."""
    try:
        sign_in_services.refuse_if_locked_out(email)
    except sign_in_services.SignInRefused as refused:
        raise provisioning.IdentityRefused("locked_out", refused.message) from None
    try:
        received = look_up(provider, email, password)
    except provisioning.IdentityRefused as refused:
        # Someone the directory does not know is counted here only where it is the only way in;
        # elsewhere the local password is checked next, and counts its own failure.
        if refused.code == "wrong_password" or (refused.code == "unknown_person" and provider.sso_only):
            sign_in_services.count_failed_sign_in(email)
        raise
    sign_in_services.forget_failed_sign_ins(email)
    return received


def test_connection(provider: IdentityProvider) -> directory.ConnectionCheck:
    return directory.test_connection(provider, identity_services.get_secret(provider))


def status_notes(provider: IdentityProvider) -> list[tuple[str, str]]:
    """Warnings for the Sign-in page: no encryption, no service password, a CA certificate expiring."""
    settings = Settings.of(provider)
    notes: list[tuple[str, str]] = []
    if settings.is_plain:
        notes.append(("warning", _("Passwords reach this directory unencrypted (plain ldap://).")))
    if provider.secret_sealed is None:
        notes.append(("warning", _("The service account's password is missing.")))
    if settings.ca_cert:
        try:
            certificates = x509.load_pem_x509_certificates(settings.ca_cert.encode())
        except ValueError:
            certificates = []
        for certificate in certificates:
            expires = certificate.not_valid_after_utc
            if expires < utcnow():
                notes.append(("warning", _("The directory's CA certificate has expired.")))
            elif expires < utcnow() + timedelta(days=30):
                notes.append(
                    (
                        "warning",
                        _(
                            "The directory's CA certificate expires on %(date)s.",
                            date=expires.date().isoformat(),
                        ),
                    )
                )
    return notes
