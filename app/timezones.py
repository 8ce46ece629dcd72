"""The one list of time zones people choose from: current IANA zones, grouped by region, with their offset.

Built from the tzdata package's ``zone.tab`` (one line per zone in use in each country), so
backward-compatible links (``Africa/Asmera``, ``US/Eastern``) and internal names (``localtime``,
``posixrules``, ``Factory``) never appear. A value saved before, even an old name, is kept:
it is shown as saved and may be saved again unchanged, but nobody can newly choose it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

REGIONS = {
    "Africa": _l("Africa"),
    "America": _l("Americas"),
    "Antarctica": _l("Antarctica"),
    "Arctic": _l("Arctic"),
    "Asia": _l("Asia"),
    "Atlantic": _l("Atlantic Ocean"),
    "Australia": _l("Australia"),
    "Europe": _l("Europe"),
    "Indian": _l("Indian Ocean"),
    "Pacific": _l("Pacific Ocean"),
}


@cache
def current_zones() -> tuple[str, ...]:
    """Every time zone people may choose, sorted: the zones of zone.tab, and UTC."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    names = {line.split("\t")[2].strip() for line in table.splitlines() if line and not line.startswith("#")}
    return tuple(sorted(names & available_timezones() | {"UTC"}))


def is_current_zone(name: str | None) -> bool:
    return name in current_zones()


@cache
def _usable_zones() -> frozenset[str]:
    # available_timezones() walks the zone files on disk; the set cannot change while the process runs.
    return frozenset(available_timezones() | {"UTC"})


def is_usable_zone(name: str | None) -> bool:
    """Whether *name* loads as a time zone (current or an older alias)."""
    return bool(name) and name in _usable_zones()


def person_time_zone(person_zone: str | None, tenant_zone: str | None) -> str:
    """The zone to show a person's times in: theirs if it loads, else the portal's, else UTC."""
    for name in (person_zone, tenant_zone):
        if is_usable_zone(name):
            return str(name)
    return "UTC"


def utc_offset(name: str, at: datetime | None = None) -> str:
    """The zone's offset from UTC now (or *at*), as ``UTC+05:30``."""
    offset = (at or datetime.now(UTC)).astimezone(ZoneInfo(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _place(name: str) -> str:
    """``America/Argentina/Buenos_Aires`` → ``Argentina / Buenos Aires``."""
    return name.split("/", 1)[-1].replace("_", " ").replace("/", " / ")


def time_zone_choices(current: str | None = None, blank: str | None = None) -> list[SelectChoice]:
    """Choices for a <select> with one group per region; *current* kept when it is an older name."""
    now = datetime.now(UTC)
    choices = [SelectChoice("", blank)] if blank is not None else []
    choices.append(SelectChoice("UTC", f"UTC ({utc_offset('UTC', now)})"))
    if current and not is_current_zone(current) and current in _usable_zones():
        kept = str(_l("As saved before"))
        choices.append(SelectChoice(current, f"{current} ({utc_offset(current, now)})", optgroup=kept))
    by_region: dict[str, list[SelectChoice]] = {}
    for name in current_zones():
        region = name.split("/", 1)[0]
        if region in REGIONS:
            label = f"{_place(name)} ({utc_offset(name, now)})"
            by_region.setdefault(region, []).append(SelectChoice(name, label, optgroup=str(REGIONS[region])))
    for region in sorted(by_region, key=lambda key: str(REGIONS[key]).casefold()):
        choices.extend(sorted(by_region[region], key=lambda choice: choice.label.casefold()))
    return choices


class TimeZoneField(SelectField):
    """A time zone chosen from the app's one list, grouped by region (type-to-find works without JavaScript).

    The value already there (an older name too) stays selectable, so saving a form that did not
    touch it keeps it; services refuse a newly chosen zone that is not in the list.
    """

    def __init__(
        self, label: Any = None, validators: Any = None, *, blank: Any = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("invalid_choice_message", _l("Choose a time zone from the list."))
        super().__init__(label, validators, **kwargs)
        self.blank = blank

    @property
    def choices(self) -> list[SelectChoice]:
        return time_zone_choices(current=self.data, blank=None if self.blank is None else str(self.blank))

    @choices.setter
    def choices(self, value: Any) -> None:
        """The list is the app's own: whatever a view or SelectField sets is ignored."""
