"""Who a provider's answer is: link by the provider's subject, create or update the person (just in
time), map groups to groups and roles. Every change goes through the accounts services, so it is
audited and emits the same events as an admin's edit, and enrolment rules run on it.

Each kind of provider (SAML, OpenID Connect, LDAP) turns what it received into a :class:`Received`
and calls :func:`sign_in_with`; the Sign-in page's "Test sign-in" calls :func:`preview` instead,
which maps the same way and saves nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.accounts.models import Group, OrgUnit, Role, RoleAssignment, User, UserStatus
from app.accounts.services import groups as group_services
from app.accounts.services import users as user_services
from app.errors import ValidationError
from app.extensions import db
from app.identity.models import MAPPED_FIELDS, IdentityProvider, UserIdentity
from app.tenancy.models import utcnow

log = logging.getLogger(__name__)


class IdentityRefused(Exception):
    """A provider vouched for someone Atrium will not let in.

    *code* names the reason for the admin (log, Sign-in page, audit); *message* is what the person
    is told: something they can act on, never anything about another portal.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass
class Received:
    """What a provider said about a person: its stable subject id and every attribute, as lists of text."""

    subject: str
    attributes: dict[str, list[str]]

    @classmethod
    def of(cls, subject: str, attributes: dict[str, Any]) -> Received:
        normalised: dict[str, list[str]] = {}
        for name, value in attributes.items():
            values = value if isinstance(value, list | tuple) else [value]
            normalised[str(name)] = [str(v) for v in values if v is not None and str(v).strip() != ""]
        return cls(subject=str(subject), attributes=normalised)


@dataclass
class Mapped:
    """A provider's answer mapped onto Atrium's fields, with what could not be matched."""

    fields: dict[str, Any] = field(default_factory=dict)
    groups_received: list[str] = field(default_factory=list)
    group_ids: set[int] = field(default_factory=set)
    managed_group_ids: set[int] = field(default_factory=set)
    role_keys: set[str] = field(default_factory=set)
    managed_role_keys: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


def default_attribute_map(kind: str) -> dict[str, str]:
    """Sensible defaults per kind: the names most providers send without configuration."""
    if kind == "saml":
        return {
            "email": "mail",
            "given_name": "givenName",
            "family_name": "sn",
            "full_name": "displayName",
            "employee_id": "employeeNumber",
            "job_title": "title",
            "org_unit": "ou",
            "manager": "manager",
            "locale": "preferredLanguage",
            "groups": "memberOf",
        }
    if kind == "oidc":
        return {
            "email": "email",
            "given_name": "given_name",
            "family_name": "family_name",
            "full_name": "name",
            "employee_id": "employee_id",
            "job_title": "job_title",
            "org_unit": "department",
            "manager": "manager",
            "locale": "locale",
            "groups": "groups",
        }
    return {
        "email": "mail",
        "given_name": "givenName",
        "family_name": "sn",
        "full_name": "cn",
        "employee_id": "employeeNumber",
        "job_title": "title",
        "org_unit": "ou",
        "manager": "manager",
        "locale": "preferredLanguage",
        "groups": "memberOf",
    }


def _first(received: Received, name: str | None) -> str | None:
    if not name:
        return None
    values = received.attributes.get(name)
    if values is None:  # attribute names are case-insensitive in LDAP and often in SAML
        lowered = name.lower()
        values = next((v for k, v in received.attributes.items() if k.lower() == lowered), None)
    return values[0].strip() if values else None


def _all(received: Received, name: str | None) -> list[str]:
    if not name:
        return []
    lowered = name.lower()
    for key, values in received.attributes.items():
        if key == name or key.lower() == lowered:
            return [v.strip() for v in values]
    return []


def _group_names(values: list[str]) -> list[str]:
    # A directory sends groups as DNs (cn=Managers,ou=groups,dc=…): the mapping may name either.
    names = []
    for value in values:
        names.append(value)
        if "=" in value and "," in value:
            names.append(value.split(",", 1)[0].split("=", 1)[1])
    return names


def map_received(provider: IdentityProvider, received: Received) -> Mapped:
    """Map *received* onto Atrium's fields with *provider*'s table; nothing is saved."""
    attribute_map = {**default_attribute_map(provider.kind), **(provider.attribute_map or {})}
    mapped = Mapped()
    email = _first(received, attribute_map.get("email"))
    if email:
        mapped.fields["email"] = email
    full = _first(received, attribute_map.get("full_name"))
    given = _first(received, attribute_map.get("given_name"))
    family = _first(received, attribute_map.get("family_name"))
    name = full or " ".join(p for p in (given, family) if p)
    if name:
        mapped.fields["full_name"] = name[:200]
    for simple in ("employee_id", "job_title"):
        value = _first(received, attribute_map.get(simple))
        if value:
            mapped.fields[simple] = value[:200]
    locale = _first(received, attribute_map.get("locale"))
    if locale:
        from app.locales import is_known_locale

        candidate = locale.replace("-", "_")
        for option in (candidate, candidate.split("_")[0]):
            if is_known_locale(option):
                mapped.fields["locale"] = option
                break
    unit_name = _first(received, attribute_map.get("org_unit"))
    if unit_name:
        unit = db.session.scalars(
            select(OrgUnit).where(
                (OrgUnit.code == unit_name) | (func.lower(OrgUnit.name) == unit_name.lower())
            )
        ).first()
        if unit is None:
            mapped.warnings.append(_("No organisation unit is called or coded “%(name)s”.", name=unit_name))
        else:
            mapped.fields["org_unit_id"] = unit.id
    manager_ref = _first(received, attribute_map.get("manager"))
    if manager_ref:
        # A directory names the manager by DN; take its first value (uid=…, cn=… or mail=…).
        ref = manager_ref.split(",", 1)[0].split("=", 1)[1] if "=" in manager_ref else manager_ref
        manager = db.session.scalars(
            select(User).where(
                (func.lower(User.email) == ref.lower()) | (User.employee_id == ref),
                User.status == UserStatus.active.value,
            )
        ).first()
        if manager is None:
            mapped.warnings.append(_("No active person matches the manager “%(name)s”.", name=manager_ref))
        else:
            mapped.fields["manager_id"] = manager.id
    mapped.groups_received = _all(received, attribute_map.get("groups"))
    names = {n.lower() for n in _group_names(mapped.groups_received)}
    for row in provider.group_map or []:
        value = str(row.get("value") or "").strip()
        if not value:
            continue
        present = value.lower() in names
        if row.get("group_id"):
            group_id = int(row["group_id"])
            mapped.managed_group_ids.add(group_id)
            if present:
                mapped.group_ids.add(group_id)
        if row.get("role_key"):
            mapped.managed_role_keys.add(str(row["role_key"]))
            if present:
                mapped.role_keys.add(str(row["role_key"]))
    return mapped


def _domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


def _refuse(provider: IdentityProvider, code: str, message: str) -> IdentityRefused:
    log.warning("identity.refused", extra={"provider": provider.slug, "kind": provider.kind, "reason": code})
    return IdentityRefused(code, message)


def find_person(
    provider: IdentityProvider, received: Received, mapped: Mapped
) -> tuple[User | None, UserIdentity | None]:
    """The person *received* is: by identity (provider and subject), else the account with its email."""
    identity = db.session.scalars(
        select(UserIdentity).where(
            UserIdentity.provider_id == provider.id, UserIdentity.subject == received.subject
        )
    ).first()
    if identity is not None:
        return identity.user, identity
    email = mapped.fields.get("email")
    if not email:
        return None, None
    try:
        address = user_services.normalise_email(email)
    except ValidationError:
        return None, None
    user = user_services.user_by_email(address)
    return user, None


def sign_in_with(provider: IdentityProvider, received: Received) -> User:
    """Let in the person *provider* vouches for: link, create or update them; raise IdentityRefused.

    The caller starts the session and commits; on IdentityRefused it should roll back and call
    :func:`record_failure` (which commits on its own).
    """
    if not provider.is_active:
        raise _refuse(
            provider, "provider_off", _("This way of signing in is switched off. Ask your portal's admin.")
        )
    if not received.subject:
        raise _refuse(
            provider,
            "no_subject",
            _("Your identity provider did not say who you are. Ask your portal's admin."),
        )
    mapped = map_received(provider, received)
    user, identity = find_person(provider, received, mapped)
    email = mapped.fields.get("email")
    now = utcnow()
    if user is not None and identity is None:
        # First sign-in of a person who has an account here: link only inside the provider's own
        # domains, so one provider cannot take over accounts it does not serve.
        if not provider.domains or _domain(user.email or "") not in {d.lower() for d in provider.domains}:
            raise _refuse(
                provider,
                "not_linked",
                _("Your account here is not linked to this sign-in yet. Ask your portal's admin."),
            )
        other = db.session.scalars(
            select(UserIdentity.id).where(
                UserIdentity.provider_id == provider.id, UserIdentity.user_id == user.id
            )
        ).first()
        if other is not None:
            raise _refuse(
                provider,
                "linked_elsewhere",
                _("Your account here is linked to another identity. Ask your portal's admin."),
            )
    if user is not None and user.status != UserStatus.active.value:
        raise _refuse(
            provider,
            "deactivated",
            _("Your account in this portal is deactivated. Ask your manager or the portal's admin."),
        )
    if user is None:
        if not provider.create_people:
            raise _refuse(
                provider,
                "no_account",
                _("You have no account in this portal yet. Ask your portal's admin to add you."),
            )
        if not email:
            raise _refuse(
                provider,
                "no_email",
                _("Your identity provider did not send your email address. Ask your portal's admin."),
            )
        if provider.domains and _domain(email) not in {d.lower() for d in provider.domains}:
            raise _refuse(
                provider,
                "domain",
                _("Your email address is not one this sign-in serves. Ask your portal's admin."),
            )
        create = {k: v for k, v in mapped.fields.items() if k not in ("email", "full_name")}
        try:
            user = user_services.create_user(
                email,
                mapped.fields.get("full_name") or email.partition("@")[0],
                role_keys=("learner",),
                **create,
            )
        except ValidationError as error:
            raise _refuse(
                provider,
                f"invalid:{error.field}",
                _("Your account could not be created: %(problem)s", problem=error.message),
            ) from None
    else:
        changes = {k: v for k, v in mapped.fields.items() if getattr(user, k) != v}
        if "email" in changes:
            try:
                changes["email"] = user_services.normalise_email(changes["email"])
            except ValidationError:
                changes.pop("email")
            if changes.get("email") == user.email:
                changes.pop("email")
        if changes:
            try:
                user_services.update_user(user, **changes)
            except ValidationError as error:
                raise _refuse(
                    provider,
                    f"invalid:{error.field}",
                    _("Your account could not be updated: %(problem)s", problem=error.message),
                ) from None
    if identity is None:
        identity = UserIdentity(user_id=user.id, provider_id=provider.id, subject=received.subject)
        db.session.add(identity)
        audit.record(
            "identity.linked", target=user, after={"provider": provider.name, "subject": received.subject}
        )
    identity.email_at_provider = email
    identity.last_sign_in_at = now
    _apply_groups(user, mapped)
    _apply_roles(user, mapped)
    user.last_login_at = now
    provider.last_success_at = now
    if has_request_context():  # what the audit log's "signed in" says, written when the session starts
        g.sign_in_detail = {"method": provider.kind, "provider": provider.name}
    return user


def _apply_groups(user: User, mapped: Mapped) -> None:
    if not mapped.managed_group_ids:
        return
    groups = {
        g.id: g for g in db.session.scalars(select(Group).where(Group.id.in_(mapped.managed_group_ids)))
    }
    for group_id in mapped.managed_group_ids:
        group = groups.get(group_id)
        if group is None:
            continue
        member = any(m.user_id == user.id for m in group.memberships)
        if group_id in mapped.group_ids and not member:
            group_services.add_group_members(group, [user.id])
        elif group_id not in mapped.group_ids and member:
            group_services.remove_group_member(group, user)


def _apply_roles(user: User, mapped: Mapped) -> None:
    if not mapped.managed_role_keys:
        return
    roles = {r.key: r for r in db.session.scalars(select(Role).where(Role.key.in_(mapped.managed_role_keys)))}
    held = {a.role.key: a for a in user.role_assignments}
    before = sorted(k for k in held if k)
    for key in mapped.managed_role_keys:
        role = roles.get(key)
        if role is None:
            continue
        if key in mapped.role_keys and key not in held:
            user.role_assignments.append(RoleAssignment(role=role, tenant_id=user.tenant_id))
        elif key not in mapped.role_keys and key in held:
            user.role_assignments.remove(held[key])
    after = sorted({a.role.key for a in user.role_assignments if a.role.key})
    if before != after:
        audit.record("user.roles_changed", target=user, before={"roles": before}, after={"roles": after})


@dataclass
class Preview:
    """What a sign-in would do, for the Sign-in page's "Test sign-in": nothing is saved."""

    received: Received
    mapped: Mapped
    person: User | None
    outcome: str  # "update", "create", or an IdentityRefused code
    message: str | None = None


def preview(provider: IdentityProvider, received: Received) -> Preview:
    mapped = map_received(provider, received)
    person, _identity = find_person(provider, received, mapped)
    savepoint = db.session.begin_nested()
    try:
        sign_in_with(provider, received)
    except IdentityRefused as refused:
        return Preview(received, mapped, person, refused.code, refused.message)
    finally:
        savepoint.rollback()
    return Preview(received, mapped, person, "update" if person is not None else "create")


def record_failure(provider: IdentityProvider, code: str) -> None:
    """Remember a failed sign-in on the provider (shown on the Sign-in page) and in the audit log; commits."""
    db.session.rollback()
    fresh = db.session.get(IdentityProvider, provider.id)
    if fresh is None:
        return
    fresh.last_failure_at = utcnow()
    fresh.last_failure_reason = code[:500]
    audit.record("identity.sign_in_failed", target=fresh, after={"reason": code[:200]})
    db.session.commit()


def mapped_field_names() -> tuple[str, ...]:
    return MAPPED_FIELDS
