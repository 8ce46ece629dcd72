"""The audit log's sentences for translated content: a translation saved, reviewed or imported."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from app.audit.sentences import EventView, fill, sentence


@sentence("content.translated")
def _translated(e: EventView) -> Markup:
    return fill(
        _("%(actor)s translated “%(title)s” into %(locale)s (%(fields)s)"),
        actor=e.actor,
        title=e.value(e.after, "title"),
        locale=e.value(e.after, "locale"),
        fields=e.value(e.after, "fields"),
    )


@sentence("content.translation_reviewed")
def _reviewed(e: EventView) -> Markup:
    return fill(
        _("%(actor)s marked the %(locale)s translation of “%(title)s” as reviewed"),
        actor=e.actor,
        title=e.value(e.after, "title"),
        locale=e.value(e.after, "locale"),
    )


@sentence("content.imported")
def _imported(e: EventView) -> Markup:
    return fill(
        _(
            "%(actor)s imported a translation file into %(locale)s: %(changed)s texts changed, "
            "%(skipped)s without translation, %(refused)s refused"
        ),
        actor=e.actor,
        locale=e.value(e.after, "locale"),
        changed=e.value(e.after, "changed"),
        skipped=e.value(e.after, "skipped"),
        refused=e.value(e.after, "refused"),
    )
