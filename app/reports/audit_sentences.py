"""The audit log's sentences for reports: exports, and saved report definitions."""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup

from app.audit.sentences import EventView, fill, sentence


def _filters(e: EventView) -> str:
    chosen = e.after.get("filters") or {}
    return ", ".join(f"{name} = {value}" for name, value in sorted(chosen.items())) or _("none")


@sentence("report.exported")
def _exported(e: EventView) -> Markup:
    return fill(
        _("%(actor)s exported the report %(report)s as %(format)s for %(person)s (filters: %(filters)s)."),
        actor=e.actor,
        report=e.value(e.after, "title"),
        format=e.value(e.after, "format"),
        person=e.person(e.after.get("user_id"), e.after.get("user")),
        filters=e.value({"filters": _filters(e)}, "filters"),
    )


@sentence("report.saved")
def _saved(e: EventView) -> Markup:
    schedules = {"daily": _("every day"), "weekly": _("every week"), "monthly": _("every month")}
    schedule = schedules.get(str(e.after.get("schedule")))
    if schedule is None:
        return fill(_("%(actor)s saved the report %(name)s."), actor=e.actor, name=e.value(e.after, "name"))
    return fill(
        _("%(actor)s saved the report %(name)s, sent %(schedule)s to %(count)s people."),
        actor=e.actor,
        name=e.value(e.after, "name"),
        schedule=schedule,
        count=e.value(e.after, "recipients"),
    )


@sentence("report.deleted")
def _deleted(e: EventView) -> Markup:
    return fill(
        _("%(actor)s deleted the saved report %(name)s."), actor=e.actor, name=e.value(e.before, "name")
    )
