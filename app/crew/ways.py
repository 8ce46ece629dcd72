"""The sign-in page's link to the shared device's sign-in, when the portal has badge sign-in on."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.accounts.models import User
from app.identity.ways import settings


class CrewWay:
    """What accounts' sign-in page asks of crew sign-in (accounts.views.SignInWay): one button."""

    def email_first(self) -> bool:
        return False

    def offered(self) -> list[tuple[str, str]]:
        if not settings().badge_sign_in:
            return []
        return [(_("Crew: sign in with a badge or employee ID"), url_for("crew.device"))]

    def straight_to(self, next_url: str | None) -> str | None:
        return None

    def route_email(self, email: str, *, password_given: bool, next_url: str | None) -> str | None:
        return None

    def password_sign_in(self, email: str, password: str) -> User | None:
        return None
