"""The manager's dashboard (My team): the people they reach, worst first, filtered, a page at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import select

from app.accounts import org
from app.accounts.models import OrgUnit, User
from app.compliance import services
from app.compliance.audiences import Requirements, load_requirements
from app.compliance.lines import ROW_PHRASES, ItemLines, PersonRows
from app.compliance.ranking import NOTHING, Standing, item_titles, rank_people
from app.compliance.statements import IDS, ids_in, rows
from app.compliance.status import (
    Item,
    Kind,
    PersonCompliance,
    Status,
    Summary,
    for_people,
    unit_people_select,
)
from app.extensions import db
from app.inputs import parse_id
from app.labels import label
from app.tenancy.models import utcnow

#: People on one page of the dashboard: a phone's screenful or two, the worst first.
PAGE_SIZE = 25
#: Open items a person's line shows (the most urgent); the rest are a link to the person's page.
ITEMS_SHOWN = 3
#: Items the item filter suggests at most.
SUGGESTIONS = 10
#: The status filter's choices beyond the item statuses.
NOT_COMPLIANT = "not_compliant"
_DONE = Status.done.rank
_STATUS_CHOICES = frozenset({s.value for s in Status} | {NOT_COMPLIANT})
#: The filters a page keeps when it sends the manager back (after a reminder, a paging link, an assignment).
FILTER_NAMES = ("location", "job_title", "status", "item", "page")


class Person(NamedTuple):
    """What a line of the dashboard shows of a person: a row, not a loaded account."""

    id: int
    full_name: str
    job_title: str | None
    org_unit_id: int | None
    email: str | None


class Unit(NamedTuple):
    """A location of the location filter: a row, not a loaded org unit."""

    id: int
    name: str


def _units() -> Any:
    return select(OrgUnit.id, OrgUnit.name).order_by(OrgUnit.name)


#: An open item as a line shows it: (status, kind, title, due_on, expires_on, ref_id, enrollment_id).
ItemLine = tuple[Status, Kind, str, date | None, date | None, int, int | None]


class Row(NamedTuple):
    """A line of the dashboard: a person, their standing, their most urgent open items and when reminded.

    Tuples, in the order the template unpacks them: a page's lines and items are read without an
    attribute lookup for each value.
    """

    person_id: int
    name: str
    job_title: str | None
    location: str | None
    email: str | None
    required: bool  # anything at all is required of them
    compliant: bool
    items: list[ItemLine]  # the most urgent open ones (ITEMS_SHOWN at most)
    more: int  # open items beyond those
    done: int
    reminded_minutes: int | None


def chosen_filters(args: Mapping[str, str]) -> dict[str, Any]:
    """The filter values asked for; a status that is none of the choices is dropped (it shows everyone).

    My team's old quick filter (``show=overdue``) still works: it is the status filter "overdue".
    """
    status = args.get("status", "") or ("overdue" if args.get("show") == "overdue" else "")
    if status not in _STATUS_CHOICES:
        status = ""
    return {
        "location": parse_id(args.get("location", "")),
        "job_title": args.get("job_title", "").strip()[:200],
        "status": status,
        "item": args.get("item", "").strip()[:300],
    }


def _people(ids: set[int]) -> list[Person]:
    """The people *ids* as rows (one statement)."""
    if not ids:
        return []
    found = rows(
        ("team people",),
        lambda: select(User.id, User.full_name, User.job_title, User.org_unit_id, User.email).where(
            ids_in(User.id)
        ),
        {IDS: sorted(ids)},
    )
    return [Person(*row) for row in found]


def _team(manager: User, chosen_unit: OrgUnit | None, everyone: bool) -> set[int]:
    """The ids of the people the dashboard ranks: the manager's reach, or a tenant admin's chosen unit."""
    if everyone and chosen_unit is not None:
        # A tenant admin drilling down from Compliance by location: that location's people, whoever manages.
        return set(db.session.scalars(unit_people_select(chosen_unit.id))) - {manager.id}
    return org.reach_ids(manager)


def item_matches(item: Item, wanted: str) -> bool:
    """Whether *item* is the one the item filter names (as ``chosen_item_clause`` reads it in SQL)."""
    if not wanted:
        return False
    named = wanted.strip().casefold()
    kind, _sep, title = wanted.partition(":")
    return item.title.casefold() == named or (
        kind in {k.value for k in Kind}
        and item.kind.value == kind
        and item.title.casefold() == title.strip().casefold()
    )


def _status_matches(item: Item, status: str) -> bool:
    if status == NOT_COMPLIANT:
        return item.status.breaks_compliance
    return item.status.value == status


def open_items(standing: PersonCompliance, chosen: Mapping[str, Any]) -> list[Item]:
    """The person's open items, most urgent first, those the filters asked for ahead of the rest."""
    found = [item for item in standing.items if item.status != Status.done]

    def asked(item: Item) -> bool:
        if chosen["item"] and not item_matches(item, chosen["item"]):
            return False
        return not chosen["status"] or _status_matches(item, chosen["status"])

    if chosen["item"] or chosen["status"]:
        found.sort(key=lambda item: not asked(item))  # stable: the urgency order stays within each part
    return found


def team_board(manager: User, args: Mapping[str, str], today: date, page: int) -> dict[str, Any]:
    """Everything the dashboard shows for *manager*, in a fixed number of statements whatever the team.

    The whole team is sorted, filtered and counted on each person's items counted by status in SQL
    (:func:`app.compliance.ranking.rank_people`); only the page's people have their items read in full.
    """
    chosen = chosen_filters(args)
    everyone = org.sees_everyone(manager)
    chosen_unit = db.session.get(OrgUnit, chosen["location"]) if chosen["location"] else None
    team = _team(manager, chosen_unit, everyone)
    people = _people(team)
    requirements = load_requirements()  # read once for the ranking and the page's items
    ranks = rank_people([p.id for p in people], today, item=chosen["item"], requirements=requirements)
    typed_item = None
    if chosen["item"] and not any(any(s.chosen) for s in ranks.values()):
        # Part of a title typed and sent without picking a suggestion: the one item called like it.
        like = item_suggestions([p.id for p in people], today, chosen["item"])
        if len(like) == 1:
            typed_item, chosen["item"] = chosen["item"], like[0][0]
            ranks = rank_people([p.id for p in people], today, item=chosen["item"], requirements=requirements)
    unit_ids = {p.org_unit_id for p in people if p.org_unit_id is not None}
    units: list[Any]
    if everyone:
        units = [Unit(*row) for row in rows(("all units",), _units, {})]
    elif unit_ids:
        # The ids bound as one array: the statement's text is the same whatever the number of units, so
        # the driver prepares it once a connection instead of it being planned anew on every page.
        units = [
            Unit(*row)
            for row in rows(
                ("team units",), lambda: _units().where(ids_in(OrgUnit.id)), {IDS: sorted(unit_ids)}
            )
        ]
    else:
        units = []
    unit_names = {u.id: u.name for u in units}
    job_titles = sorted(
        {p.job_title.strip() for p in people if p.job_title and p.job_title.strip()}, key=str.casefold
    )

    shown = people
    inside = org.subtree_ids(chosen_unit.id) if chosen_unit is not None else set()
    if chosen_unit is not None and (everyone or inside & unit_ids):
        # A location of the team, or a region above some of them (from Compliance by location); a unit
        # outside a manager's reach is not a choice and shows their whole team.
        shown = [p for p in shown if p.org_unit_id in inside]
        if chosen_unit.id not in {u.id for u in units}:
            units = sorted([*units, chosen_unit], key=lambda u: u.name)
    else:
        chosen["location"] = None
    if chosen["job_title"]:
        wanted = chosen["job_title"].casefold()
        shown = [p for p in shown if (p.job_title or "").strip().casefold() == wanted]

    def matches(person: Person) -> bool:
        own = ranks[person.id]
        relevant = own.chosen if chosen["item"] else own.by_status
        if chosen["item"] and not any(relevant):
            return False
        if chosen["status"] == NOT_COMPLIANT:
            return bool(relevant[Status.overdue.rank] or relevant[Status.expired.rank])
        if chosen["status"]:
            return bool(relevant[Status(chosen["status"]).rank])
        return True

    if chosen["item"] or chosen["status"]:
        shown = [p for p in shown if matches(p)]
    shown.sort(key=lambda p: (ranks[p.id].urgency, p.full_name.casefold(), p.id))
    counts = _summary([ranks[p.id].by_status for p in shown])
    # An item nobody of the team has (a typo, a partial title): what they have that is called like it.
    unknown_item = bool(chosen["item"]) and not any(any(s.chosen) for s in ranks.values())
    suggestions = item_suggestions([p.id for p in people], today, chosen["item"]) if unknown_item else []
    page_people = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {
        # The manager's reach when it is the team ranked (not a tenant admin's chosen unit): the page's
        # other parts that need it (the checkpoints awaiting sign-off) do not read it again.
        "reach": None if everyone and chosen_unit is not None else team,
        "rows": _rows(page_people, ranks, today, chosen, unit_names, requirements),
        "total": len(shown),
        "page": page,
        "per_page": PAGE_SIZE,
        "counts": counts,
        "chosen": chosen,
        "units": units,
        "job_titles": job_titles,
        "unknown_item": unknown_item,
        "typed_item": typed_item,
        "item_suggestions": suggestions,
        # Each status with its word, translated once for the status filter and the items' lines.
        "statuses": [(status, label("compliance_status", status.value)) for status in Status],
        "not_compliant": NOT_COMPLIANT,
        "today": today,
        "remind_every_minutes": int(services.REMIND_EVERY.total_seconds() // 60),
        "item_lines": ItemLines,  # writes each row's items with the template's words
        "person_rows": PersonRows,  # writes the rows with the template's words
        "row_phrases": ROW_PHRASES,  # and the phrases with a number (translated in Python)
    }


def _summary(counted: Sequence[Sequence[int]]) -> Summary:
    """The counts over people whose items are *counted* by status (each a ``Standing.by_status`` of
    :mod:`app.compliance.ranking`), in one pass."""
    overdue, expired, expiring = Status.overdue.rank, Status.expired.rank, Status.expiring.rank
    items = [0] * len(Status)
    compliant = overdue_people = expired_people = expiring_people = 0
    for by_status in counted:
        compliant += not (by_status[overdue] or by_status[expired])
        overdue_people += by_status[overdue] > 0
        expired_people += by_status[expired] > 0
        expiring_people += by_status[expiring] > 0
        for rank, count in enumerate(by_status):
            items[rank] += count
    return Summary(
        people=len(counted),
        compliant=compliant,
        overdue_people=overdue_people,
        expired_people=expired_people,
        expiring_people=expiring_people,
        items={status: items[status.rank] for status in Status},
    )


def _rows(
    page_people: Sequence[Person],
    ranks: Mapping[int, Standing],
    today: date,
    chosen: Mapping[str, Any],
    unit_names: Mapping[int, str],
    requirements: Requirements,
) -> list[Row]:
    """A line per person of the page: their standing, their most urgent open items and when reminded.

    Their standing and the items they have done are counted in *ranks*; only their open items are read.
    """
    standing = for_people([p.id for p in page_people], today, requirements=requirements, open_only=True)
    reminded = services.last_reminders([p.id for p in page_people])
    now = utcnow()
    rows = []
    for person_id, name, job_title, org_unit_id, email in page_people:
        counted = ranks[person_id]
        waiting = open_items(standing[person_id], chosen)
        rows.append(
            Row(
                person_id,
                name,
                job_title,
                unit_names.get(org_unit_id) if org_unit_id else None,
                email,
                counted.worst != NOTHING,
                counted.compliant,
                [
                    (i.status, i.kind, i.title, i.due_on, i.expires_on, i.ref_id, i.enrollment_id)
                    for i in waiting[:ITEMS_SHOWN]
                ],
                len(waiting) - ITEMS_SHOWN if len(waiting) > ITEMS_SHOWN else 0,
                counted.by_status[_DONE],
                minutes_since(reminded.get(person_id), now),
            )
        )
    return rows


def team_ids(manager: User, args: Mapping[str, str]) -> set[int]:
    """The people whose items the item filter suggests from: the team the dashboard at *args* ranks."""
    chosen = chosen_filters(args)
    everyone = org.sees_everyone(manager)
    chosen_unit = db.session.get(OrgUnit, chosen["location"]) if chosen["location"] else None
    return _team(manager, chosen_unit, everyone)


def item_suggestions(ids: Sequence[int] | set[int], today: date, typed: str) -> list[tuple[str, list[str]]]:
    """Up to :data:`SUGGESTIONS` titles of the items of the people *ids* called like *typed*, each with
    its kinds (a course and a learning path may share a title)."""
    kind, _sep, title = typed.partition(":")
    text = title.strip() if kind in {k.value for k in Kind} and title.strip() else typed.strip()
    if not text:
        return []
    found: dict[str, list[str]] = {}
    for item_kind, item_title in item_titles(list(ids), today, text, limit=SUGGESTIONS):
        found.setdefault(item_title, []).append(item_kind)
    return list(found.items())


def minutes_since(moment: datetime | None, now: datetime) -> int | None:
    """Whole minutes from *moment* to *now* (None for never)."""
    if moment is None:
        return None
    return max(0, int((now - services.aware(moment)).total_seconds() // 60))
