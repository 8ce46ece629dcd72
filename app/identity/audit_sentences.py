"""The audit log's sentences for sign-in: identity providers, linked identities and the settings."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from app.audit.sentences import EventView, fill, sentence

_PROVIDER = {
    "identity.provider_added": lambda: _("%(actor)s added the sign-in %(target)s."),
    "identity.provider_changed": lambda: _("%(actor)s changed the sign-in %(target)s: %(fields)s."),
    "identity.provider_secret_changed": lambda: _("%(actor)s changed the secret of the sign-in %(target)s."),
    "identity.provider_removed": lambda: _("%(actor)s removed the sign-in %(target)s."),
    "identity.settings_changed": lambda: _("%(actor)s changed the portal's sign-in settings: %(fields)s."),
}


@sentence(*_PROVIDER)
def _provider(e: EventView) -> Markup:
    return fill(_PROVIDER[e.event.action](), actor=e.actor, target=e.target, fields=e.changed_fields())


@sentence("identity.linked")
def _linked(e: EventView) -> Markup:
    return fill(
        _("%(target)s signed in with %(provider)s for the first time; their account is linked to it."),
        target=e.target,
        provider=e.value(e.after, "provider"),
    )


@sentence("identity.sign_in_failed")
def _failed(e: EventView) -> Markup:
    return fill(
        _("A sign-in with %(target)s was refused: %(reason)s."),
        target=e.target,
        reason=e.value(e.after, "reason"),
    )
