"""The audit log's sentences for the portal's terminology: a message reworded or reverted, a PO import."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from app.audit.sentences import EventView, fill, sentence


@sentence("terminology.changed")
def _changed(e: EventView) -> Markup:
    return fill(
        _("%(actor)s reworded “%(msgid)s” in %(locale)s: %(before)s → %(after)s"),
        actor=e.actor,
        msgid=e.value(e.after, "msgid"),
        locale=e.value(e.after, "locale"),
        before=e.value(e.before, "text"),
        after=e.value(e.after, "text"),
    )


@sentence("terminology.reverted")
def _reverted(e: EventView) -> Markup:
    return fill(
        _("%(actor)s put back the shipped wording of “%(msgid)s” in %(locale)s: %(before)s → %(after)s"),
        actor=e.actor,
        msgid=e.value(e.before, "msgid"),
        locale=e.value(e.before, "locale"),
        before=e.value(e.before, "text"),
        after=e.value(e.after, "text"),
    )


@sentence("terminology.imported")
def _imported(e: EventView) -> Markup:
    return fill(
        _("%(actor)s imported a PO file of terminology in %(locale)s: %(added)s added, %(changed)s changed."),
        actor=e.actor,
        locale=e.value(e.after, "locale"),
        added=e.value(e.after, "added"),
        changed=e.value(e.after, "changed"),
    )
