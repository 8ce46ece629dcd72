"""The audit log's sentences for the compliance dashboard: reminders, moved course and path due dates."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from app.audit.sentences import EventView, fill, sentence


@sentence("compliance.reminded")
def _reminded(e: EventView) -> Markup:
    if e.after.get("channel") == "inbox":
        text = _("%(actor)s reminded %(person)s of their training (in their inbox: they have no email).")
    else:
        text = _("%(actor)s reminded %(person)s of their training by email.")
    return fill(text, actor=e.actor, person=e.person(e.after.get("user_id"), e.after.get("user")))


@sentence("enrollment.due_date_extended")
def _extended(e: EventView) -> Markup:
    before = e.before.get("due_on")
    return fill(
        _("%(actor)s moved %(person)s's due date for %(course)s from %(before)s to %(after)s: %(reason)s")
        if before
        else _("%(actor)s gave %(course)s of %(person)s a due date of %(after)s: %(reason)s"),
        actor=e.actor,
        person=e.person(e.after.get("user_id"), e.after.get("user")),
        course=e.value(e.after, "course"),
        before=e.value(e.before, "due_on"),
        after=e.value(e.after, "due_on"),
        reason=e.value(e.after, "reason"),
    )


@sentence("path_enrollment.due_date_extended")
def _path_extended(e: EventView) -> Markup:
    before = e.before.get("due_on")
    return fill(
        _(
            "%(actor)s moved %(person)s's due date for the path %(path)s"
            " from %(before)s to %(after)s: %(reason)s"
        )
        if before
        else _("%(actor)s gave the path %(path)s of %(person)s a due date of %(after)s: %(reason)s"),
        actor=e.actor,
        person=e.person(e.after.get("user_id"), e.after.get("user")),
        path=e.value(e.after, "path"),
        before=e.value(e.before, "due_on"),
        after=e.value(e.after, "due_on"),
        reason=e.value(e.after, "reason"),
    )
