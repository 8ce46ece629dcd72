"""The manager's dashboard (My team): the people they reach, worst first, filtered, a page at a time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from app.accounts import org
from app.accounts.models import OrgUnit, User
from app.compliance import services
from app.compliance.ranking import rank_people
from app.compliance.status import Status, Summary, for_people
from app.extensions import db
from app.inputs import parse_id
from app.tenancy.models import utcnow

#: People on one page of the dashboard.
PAGE_SIZE = 50
#: The status filter's choices beyond the item statuses.
NOT_COMPLIANT = "not_compliant"
#: The filters a page keeps when it sends the manager back (after a reminder, a paging link, an assignment).
FILTER_NAMES = ("location", "job_title", "status", "item", "page")


def chosen_filters(args: Mapping[str, str]) -> dict[str, Any]:
    """The filter values asked for; a status that is none of the choices is dropped (it shows everyone).

    My team's old quick filter (``show=overdue``) still works: it is the status filter "overdue".
    """
    status = args.get("status", "") or ("overdue" if args.get("show") == "overdue" else "")
    if status not in {s.value for s in Status} | {NOT_COMPLIANT}:
        status = ""
    return {
        "location": parse_id(args.get("location", "")),
        "job_title": args.get("job_title", "").strip()[:200],
        "status": status,
        "item": args.get("item", "").strip()[:300],
    }


def team_board(manager: User, args: Mapping[str, str], today: date, page: int) -> dict[str, Any]:
    """Everything the dashboard shows for *manager*, in a fixed number of statements whatever the team.

    The whole team is sorted, filtered and counted on each person's items counted by status in SQL
    (:func:`app.compliance.ranking.rank_people`); only the page's people have their items read in full.
    """
    chosen = chosen_filters(args)
    everyone = org.sees_everyone(manager)
    chosen_unit = db.session.get(OrgUnit, chosen["location"]) if chosen["location"] else None
    if everyone and chosen_unit is not None:
        # A tenant admin drilling down from Compliance by location: that location's people, whoever manages.
        people = org.unit_people(chosen_unit.id, besides=manager.id)
    else:
        people = org.reach_of(manager)
    ranking = rank_people(people, today, item=chosen["item"])
    ranks = ranking.standings
    unit_ids = {p.org_unit_id for p in people if p.org_unit_id is not None}
    if everyone:
        units = list(db.session.scalars(select(OrgUnit).order_by(OrgUnit.name)))
    elif unit_ids:
        units = list(
            db.session.scalars(select(OrgUnit).where(OrgUnit.id.in_(sorted(unit_ids))).order_by(OrgUnit.name))
        )
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

    def matches(person: User) -> bool:
        own = ranks[person.id]
        relevant = own.chosen if chosen["item"] else own.by_status
        if chosen["item"] and not any(relevant):
            return False
        if chosen["status"] == NOT_COMPLIANT:
            return bool(relevant[Status.overdue.rank] or relevant[Status.expired.rank])
        if chosen["status"]:
            return bool(relevant[Status(chosen["status"]).rank])
        return True

    shown = [p for p in shown if matches(p)]
    shown.sort(key=lambda p: (ranks[p.id].urgency, p.full_name.casefold(), p.id))
    counts = Summary(
        people=len(shown),
        compliant=sum(1 for p in shown if ranks[p.id].compliant),
        overdue_people=sum(1 for p in shown if ranks[p.id].has(Status.overdue)),
        expired_people=sum(1 for p in shown if ranks[p.id].has(Status.expired)),
        expiring_people=sum(1 for p in shown if ranks[p.id].has(Status.expiring)),
        items={status: sum(ranks[p.id].by_status[status.rank] for p in shown) for status in Status},
    )
    page_people = shown[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    standing = for_people([p.id for p in page_people], today, audience_items=ranking.by_audience)
    reminded = services.last_reminders([p.id for p in page_people])
    now = utcnow()
    rows = [
        {
            "person": person,
            "standing": standing[person.id],
            "location": unit_names.get(person.org_unit_id) if person.org_unit_id else None,
            "reminded_minutes": minutes_since(reminded.get(person.id), now),
        }
        for person in page_people
    ]
    return {
        "rows": rows,
        "total": len(shown),
        "page": page,
        "per_page": PAGE_SIZE,
        "counts": counts,
        "chosen": chosen,
        "units": units,
        "job_titles": job_titles,
        "items": ranking.items,
        "statuses": list(Status),
        "not_compliant": NOT_COMPLIANT,
        "today": today,
        "remind_every_minutes": int(services.REMIND_EVERY.total_seconds() // 60),
    }


def minutes_since(moment: datetime | None, now: datetime) -> int | None:
    """Whole minutes from *moment* to *now* (None for never)."""
    if moment is None:
        return None
    return max(0, int((now - services.aware(moment)).total_seconds() // 60))
