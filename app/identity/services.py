"""Admin changes to a portal's identity providers and sign-in settings; every one audited."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.accounts.models import Group, Role, User, UserStatus
from app.errors import ValidationError
from app.extensions import db
from app.identity.models import MAPPED_FIELDS, IdentityProvider, ProviderKind, SignInSettings
from app.tenancy.models import utcnow

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64].strip("-")
    return slug or "provider"


def parse_domains(text: str) -> list[str]:
    """Email domains from a comma, space or line separated list; raises ValidationError naming a bad one."""
    domains: list[str] = []
    for part in re.split(r"[\s,;]+", (text or "").strip().lower()):
        part = part.removeprefix("@")
        if not part:
            continue
        try:
            ascii_part = part.encode("idna").decode("ascii")
        except UnicodeError:
            ascii_part = part
        if not _DOMAIN.match(ascii_part):
            raise ValidationError(
                _("“%(domain)s” is not an email domain like example.com.", domain=part), field="domains"
            )
        if ascii_part not in domains:
            domains.append(ascii_part)
    return domains


def _snapshot(provider: IdentityProvider) -> dict[str, Any]:
    return {
        "name": provider.name,
        "slug": provider.slug,
        "enabled": provider.enabled,
        "domains": list(provider.domains or []),
        "sso_only": provider.sso_only,
        "create_people": provider.create_people,
        "attribute_map": dict(provider.attribute_map or {}),
        "group_map": list(provider.group_map or []),
        "settings": dict(provider.settings or {}),
    }


def _check_common(provider: IdentityProvider | None, name: str, slug: str) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Enter a name people will recognise, like “Acme SSO”."), field="name")
    if len(name) > 120:
        raise ValidationError(_("Keep the name under 120 characters."), field="name")
    slug = (slug or "").strip().lower() or slugify(name)
    if not _SLUG.match(slug):
        raise ValidationError(
            _("Use lower-case letters, digits and hyphens for the short name, like acme-sso."), field="slug"
        )
    clash = db.session.scalars(select(IdentityProvider.id).where(IdentityProvider.slug == slug)).first()
    if clash is not None and (provider is None or clash != provider.id):
        raise ValidationError(
            _("Another sign-in already uses the short name %(slug)s.", slug=slug), field="slug"
        )
    return name, slug


def create_provider(kind: str, name: str, slug: str = "", **common: Any) -> IdentityProvider:
    """Add a provider of *kind* (its settings are saved by the kind's own page); audited."""
    if kind not in {k.value for k in ProviderKind}:
        raise ValidationError(_("Choose SAML, OpenID Connect or LDAP."), field="kind")
    name, slug = _check_common(None, name, slug)
    provider = IdentityProvider(
        kind=kind,
        name=name,
        slug=slug,
        enabled=bool(common.get("enabled", True)),
        domains=list(common.get("domains") or []),
        sso_only=bool(common.get("sso_only", False)),
        create_people=bool(common.get("create_people", True)),
        settings=dict(common.get("settings") or {}),
        attribute_map=dict(common.get("attribute_map") or {}),
        group_map=list(common.get("group_map") or []),
    )
    db.session.add(provider)
    db.session.flush()
    audit.record("identity.provider_added", target=provider, after=_snapshot(provider))
    return provider


def update_provider(provider: IdentityProvider, **fields: Any) -> IdentityProvider:
    """Change a provider's common fields and mapping (and, from a kind's page, its settings); audited."""
    before = _snapshot(provider)
    if "name" in fields or "slug" in fields:
        provider.name, provider.slug = _check_common(
            provider, fields.get("name", provider.name), fields.get("slug", provider.slug)
        )
    for simple in ("enabled", "sso_only", "create_people"):
        if simple in fields:
            setattr(provider, simple, bool(fields[simple]))
    if "domains" in fields:
        provider.domains = list(fields["domains"])
    if "attribute_map" in fields:
        provider.attribute_map = {
            k: v.strip() for k, v in fields["attribute_map"].items() if k in MAPPED_FIELDS and v and v.strip()
        }
    if "group_map" in fields:
        provider.group_map = clean_group_map(fields["group_map"])
    if "settings" in fields:
        provider.settings = dict(fields["settings"])
    after = _snapshot(provider)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        provider.updated_at = utcnow()
        audit.record(
            "identity.provider_changed",
            target=provider,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return provider


def clean_group_map(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the rows that name a provider group and an existing Atrium group or role."""
    groups = {g.id for g in db.session.scalars(select(Group))}
    roles = {r.key for r in db.session.scalars(select(Role)) if r.key}
    cleaned: list[dict[str, Any]] = []
    for row in rows:
        value = str(row.get("value") or "").strip()
        target = str(row.get("target") or "").strip()
        if not value and not target:
            continue
        if not value:
            raise ValidationError(
                _("Enter the provider's group name for every row with a target."), field="group_map"
            )
        if target.startswith("group:") and target[6:].isdigit() and int(target[6:]) in groups:
            cleaned.append({"value": value[:200], "group_id": int(target[6:])})
        elif target.startswith("role:") and target[5:] in roles:
            cleaned.append({"value": value[:200], "role_key": target[5:]})
        else:
            raise ValidationError(
                _("Choose the Atrium group or role for “%(value)s”.", value=value[:200]), field="group_map"
            )
    return cleaned


def set_secret(provider: IdentityProvider, secret: str | None) -> None:
    """Seal *secret* (a client secret, a bind password) on *provider*; None or empty keeps the old one."""
    from app import sealing

    if not secret:
        return
    provider.secret_sealed = sealing.seal_text(secret, purpose=provider.secret_purpose)
    audit.record("identity.provider_secret_changed", target=provider, after={"secret": "changed"})


def get_secret(provider: IdentityProvider) -> str | None:
    from app import sealing

    if provider.secret_sealed is None:
        return None
    return sealing.unseal_text(provider.secret_sealed, purpose=provider.secret_purpose)


def deactivate_provider(provider: IdentityProvider) -> None:
    if provider.deactivated_at is not None:
        return
    provider.deactivated_at = utcnow()
    provider.enabled = False
    row = db.session.scalars(select(SignInSettings)).first()
    if row is not None and row.default_provider_id == provider.id:
        row.default_provider_id = None
    audit.record(
        "identity.provider_removed", target=provider, before={"enabled": True}, after={"enabled": False}
    )


def save_settings(
    *,
    default_provider_id: int | None,
    break_glass_emails: list[str],
    require_two_step_for_admins: bool,
    badge_sign_in: bool,
    shared_device_idle_minutes: int,
) -> SignInSettings:
    """Save the portal's sign-in settings; audited. Break-glass accounts must be active local people."""
    row = db.session.scalars(select(SignInSettings)).first()
    if row is None:
        row = SignInSettings(break_glass_user_ids=[])
        db.session.add(row)
    ids: list[int] = []
    for email in break_glass_emails:
        user = db.session.scalars(
            select(User).where(
                func.lower(User.email) == email.strip().lower(), User.status == UserStatus.active.value
            )
        ).first()
        if user is None:
            raise ValidationError(
                _("No active person here has the email %(email)s.", email=email), field="break_glass"
            )
        if user.password_hash is None:
            raise ValidationError(
                _("%(email)s has no password here, so cannot be a break-glass account.", email=email),
                field="break_glass",
            )
        ids.append(user.id)
    if default_provider_id is not None:
        provider = db.session.get(IdentityProvider, default_provider_id)
        if provider is None or not provider.is_active:
            raise ValidationError(_("Choose an active sign-in from the list."), field="default_provider_id")
    if not 1 <= shared_device_idle_minutes <= 60:
        raise ValidationError(_("Enter between 1 and 60 minutes."), field="shared_device_idle_minutes")
    before = {
        "default_provider_id": row.default_provider_id,
        "break_glass_user_ids": list(row.break_glass_user_ids or []),
        "require_two_step_for_admins": bool(row.require_two_step_for_admins),
        "badge_sign_in": bool(row.badge_sign_in),
        "shared_device_idle_minutes": row.shared_device_idle_minutes,
    }
    row.default_provider_id = default_provider_id
    row.break_glass_user_ids = ids
    row.require_two_step_for_admins = require_two_step_for_admins
    row.badge_sign_in = badge_sign_in
    row.shared_device_idle_minutes = shared_device_idle_minutes
    after = {
        "default_provider_id": row.default_provider_id,
        "break_glass_user_ids": ids,
        "require_two_step_for_admins": require_two_step_for_admins,
        "badge_sign_in": badge_sign_in,
        "shared_device_idle_minutes": shared_device_idle_minutes,
    }
    if before != after:
        audit.record("identity.settings_changed", target=row, before=before, after=after)
    return row
