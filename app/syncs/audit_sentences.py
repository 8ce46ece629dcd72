"""The audit log's sentences for HR syncs: sources, and the runs applied, approved, cancelled, rolled back."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from app.audit.sentences import EventView, fill, sentence

_SOURCE = {
    "sync.source_added": lambda: _("%(actor)s added the HR source %(target)s."),
    "sync.source_changed": lambda: _("%(actor)s changed the HR source %(target)s: %(fields)s."),
    "sync.source_secret_changed": lambda: _("%(actor)s changed the secret of the HR source %(target)s."),
    "sync.source_removed": lambda: _("%(actor)s removed the HR source %(target)s."),
}


@sentence(*_SOURCE)
def _source(e: EventView) -> Markup:
    return fill(_SOURCE[e.event.action](), actor=e.actor, target=e.target, fields=e.changed_fields())


_RUN = {
    "sync.run_applied": lambda: _(
        "%(actor)s applied run %(run)s of the HR source %(target)s: %(applied)s changes, %(errors)s errors."
    ),
    "sync.run_approved": lambda: _("%(actor)s approved run %(run)s of the HR source %(target)s."),
    "sync.run_cancelled": lambda: _(
        "%(actor)s cancelled run %(run)s of the HR source %(target)s after %(applied)s changes."
    ),
    "sync.run_rolled_back": lambda: _(
        "%(actor)s rolled back run %(run)s of the HR source %(target)s (%(changes)s changes undone)."
    ),
}


@sentence(*_RUN)
def _run(e: EventView) -> Markup:
    return fill(
        _RUN[e.event.action](),
        actor=e.actor,
        target=e.target,
        run=e.value(e.after, "run"),
        applied=e.value(e.after, "applied"),
        errors=e.value(e.after, "errors"),
        changes=e.value(e.after, "changes"),
    )
