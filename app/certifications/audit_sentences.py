"""The audit log's sentences for certifications and people's certification records."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from app.audit.sentences import EventView, fill, sentence

_DEFINITION = {
    "certification.created": lambda: _("%(actor)s created the certification %(target)s."),
    "certification.updated": lambda: _("%(actor)s changed the certification %(target)s: %(fields)s."),
    "certification.requirements_set": lambda: _(
        "%(actor)s changed what the certification %(target)s requires."
    ),
    "certification.published": lambda: _("%(actor)s published the certification %(target)s."),
    "certification.archived": lambda: _("%(actor)s archived the certification %(target)s."),
    "certification.imported": lambda: _("%(actor)s imported past awards of the certification %(target)s."),
}


@sentence(*_DEFINITION)
def _definition(e: EventView) -> Markup:
    return fill(_DEFINITION[e.event.action](), actor=e.actor, target=e.target, fields=e.changed_fields())


_RECORD = {
    "certification.started": lambda: _("%(person)s started the certification %(title)s."),
    "certification.awarded": lambda: _(
        "%(person)s was awarded the certification %(title)s (cycle %(cycle)s)."
    ),
    "certification.renewed": lambda: _("%(person)s renewed the certification %(title)s (cycle %(cycle)s)."),
    "certification.expiring": lambda: _(
        "The certification %(title)s of %(person)s entered its renewal window."
    ),
    "certification.expired": lambda: _("The certification %(title)s of %(person)s expired."),
    "certification.revoked": lambda: _(
        "%(actor)s revoked the certification %(title)s of %(person)s: %(reason)s"
    ),
    "certification.reinstated": lambda: _("%(actor)s reinstated the certification %(title)s of %(person)s."),
}


@sentence(*_RECORD)
def _record(e: EventView) -> Markup:
    return fill(
        _RECORD[e.event.action](),
        actor=e.actor,
        person=e.person(e.after.get("user_id"), e.after.get("user")),
        title=e.value(e.after, "certification"),
        cycle=e.value(e.after, "cycle"),
        reason=e.value(e.after, "reason"),
    )
