"""The sign-in page's side of identity providers: home-realm discovery by email domain, the
"Sign in with …" buttons, a portal that sends everyone to one provider, and directory passwords."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import SignInRefused
from app.accounts.services.users import user_by_email
from app.extensions import db
from app.identity import kinds, provisioning
from app.identity.models import IdentityProvider, SignInSettings


def settings() -> SignInSettings:
    """The portal's sign-in settings (defaults when none are saved; not added to the session)."""
    row = db.session.scalars(select(SignInSettings)).first()
    return row if row is not None else SignInSettings(break_glass_user_ids=[], shared_device_idle_minutes=3)


def active_providers() -> list[IdentityProvider]:
    return list(
        db.session.scalars(
            select(IdentityProvider)
            .where(IdentityProvider.enabled.is_(True), IdentityProvider.deactivated_at.is_(None))
            .order_by(IdentityProvider.name)
        )
    )


def _redirecting(provider: IdentityProvider) -> bool:
    kind = kinds.get(provider.kind)
    return kind is not None and kind.start is not None


def start_url(provider: IdentityProvider, next_url: str | None) -> str:
    return url_for("identity.start", slug=provider.slug, next=next_url or None)


def _for_domain(email: str) -> list[IdentityProvider]:
    domain = email.strip().rpartition("@")[2].lower()
    if not domain:
        return []
    return [p for p in active_providers() if domain in {d.lower() for d in p.domains or []}]


def is_break_glass(email: str) -> bool:
    user = user_by_email(email.strip().lower())
    return user is not None and user.id in (settings().break_glass_user_ids or [])


class ProviderWays:
    """What accounts' sign-in page asks of identity (accounts.views.SignInWay)."""

    def email_first(self) -> bool:
        return any(_redirecting(p) for p in active_providers())

    def offered(self) -> list[tuple[str, str]]:
        return [
            (_("Sign in with %(name)s", name=p.name), start_url(p, None))
            for p in active_providers()
            if _redirecting(p)
        ]

    def straight_to(self, next_url: str | None) -> str | None:
        chosen = settings().default_provider_id
        if chosen is None:
            return None
        provider = db.session.get(IdentityProvider, chosen)
        if provider is None or not provider.is_active or not _redirecting(provider):
            return None
        return start_url(provider, next_url)

    def route_email(self, email: str, *, password_given: bool, next_url: str | None) -> str | None:
        providers = [p for p in _for_domain(email) if _redirecting(p)]
        if providers and is_break_glass(email):
            return None  # a break-glass account always signs in here, with its password
        for provider in providers:
            if provider.sso_only or not password_given:
                return start_url(provider, next_url)
        return None

    def password_sign_in(self, email: str, password: str) -> User | None:
        if is_break_glass(email):
            return None  # their local password, even while the directory is down
        for provider in _for_domain(email):
            kind = kinds.get(provider.kind)
            if kind is None or kind.check_password is None:
                continue
            try:
                received = kind.check_password(provider, email, password)
                return provisioning.sign_in_with(provider, received)
            except provisioning.IdentityRefused as refused:
                if refused.code == "unknown_person" and not provider.sso_only:
                    continue  # not in this directory: a local password (or another directory) may know them
                provisioning.record_failure(provider, refused.code)
                raise SignInRefused(refused.message) from None
        return None
