"""The audit log's sentences for SCIM provisioning."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from app.audit.sentences import EventView, fill, sentence


@sentence("scim.token_created")
def _token_created(e: EventView) -> Markup:
    return fill(_("%(actor)s created the SCIM token %(target)s."), actor=e.actor, target=e.target)


@sentence("scim.token_revoked")
def _token_revoked(e: EventView) -> Markup:
    return fill(
        _("%(actor)s revoked the SCIM token %(target)s; it no longer works."), actor=e.actor, target=e.target
    )


@sentence("scim.user_deleted")
def _user_deleted(e: EventView) -> Markup:
    return fill(
        _("%(actor)s deleted %(target)s over SCIM: they are deactivated and their records are kept."),
        actor=e.actor,
        target=e.target,
    )


@sentence("scim.group_deleted")
def _group_deleted(e: EventView) -> Markup:
    return fill(
        _("%(actor)s deleted the group %(target)s over SCIM: its members left it."),
        actor=e.actor,
        target=e.target,
    )
