"""Find entries of a tenant's audit log by date, actor, action and target, and export them as CSV.

Dates are the portal's: "from 3 March" starts at midnight on 3 March in the portal's time zone. The
export streams the filtered log a batch at a time (constant memory, a fixed number of queries per
batch), each entry with its sentence, what changed (before → after), its time in UTC, seq and hash.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select

from app import timezones
from app.audit.models import AuditEvent
from app.audit.sentences import DescribedEvent, describe, field_name, known_actions
from app.csvcells import csv_safe
from app.errors import ValidationError
from app.extensions import Model, db
from app.inputs import parse_id

# The query-string names of the filters, in the order the form shows them.
FILTER_NAMES = ("from", "to", "actor", "event", "action", "target_type", "target")
EXPORT_BATCH = 500
_TEXT_LIMIT = 200


def zone_named(name: str | None) -> ZoneInfo:
    """The portal's time zone (UTC when it has none that loads)."""
    return ZoneInfo(name) if name and timezones.is_usable_zone(name) else ZoneInfo("UTC")


@dataclass
class AuditFilters:
    """What a reader asked for: the text as typed (to show it again) and what it means."""

    typed: dict[str, str] = field(default_factory=dict)
    starts: datetime | None = None
    ends: datetime | None = None
    # Translated refusals by filter name; none when every filter reads.
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str:
        return self.typed.get(name, "")

    @property
    def chosen(self) -> dict[str, str]:
        """The filters that were filled in, as typed (for the audit entry of an export)."""
        return {name: value for name, value in self.typed.items() if value}


def _date(typed: str, name: str) -> date | None:
    if not typed:
        return None
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise ValidationError(
            _("Enter a date as year, month and day, for example 2026-03-31."), field=name
        ) from None


def parse_filters(args: Mapping[str, str], zone: ZoneInfo) -> AuditFilters:
    """Read the filters from *args*; a bad one is refused in ``errors`` and kept as typed."""
    typed = {name: (args.get(name) or "").strip()[:_TEXT_LIMIT] for name in FILTER_NAMES}
    filters = AuditFilters(typed=typed)
    days: dict[str, date | None] = {}
    for name in ("from", "to"):
        try:
            days[name] = _date(typed[name], name)
        except ValidationError as exc:
            filters.errors[name] = exc.message
    first, last = days.get("from"), days.get("to")
    if first is not None and last is not None and first > last:
        filters.errors["to"] = _("The end date must be on or after the start date.")
    if first is not None:
        filters.starts = datetime.combine(first, time(0), zone).astimezone(UTC)
    if last is not None:
        filters.ends = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    return filters


def _user_model() -> Any:
    """The people table, found by name: accounts records into the audit log, so audit imports no feature."""
    for mapper in Model.registry.mappers:
        if mapper.class_.__name__ == "User":
            return mapper.class_
    raise LookupError("no User model")


def _contains(column: Any, text: str) -> ColumnElement[bool]:
    """Whether *column* contains *text*, ignoring case; % and _ are matched as themselves."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def _people_named(text: str) -> Select:
    user = _user_model()
    return select(user.id).where(or_(_contains(user.full_name, text), _contains(user.email, text)))


def statement_for(filters: AuditFilters) -> Select:
    """The entries *filters* ask for, newest first (the tenant is the one in context)."""
    statement = select(AuditEvent)
    if filters.starts is not None:
        statement = statement.where(AuditEvent.occurred_at >= filters.starts)
    if filters.ends is not None:
        statement = statement.where(AuditEvent.occurred_at < filters.ends)
    if actor := filters.text("actor"):
        statement = statement.where(
            or_(
                _contains(AuditEvent.actor_label, actor),
                and_(AuditEvent.actor_type == "user", AuditEvent.actor_id.in_(_people_named(actor))),
            )
        )
    if event := filters.text("event"):
        statement = statement.where(AuditEvent.action == event)
    if action := filters.text("action"):
        statement = statement.where(AuditEvent.action.startswith(action, autoescape=True))
    if target_type := filters.text("target_type"):
        statement = statement.where(AuditEvent.target_type == target_type)
    if target := filters.text("target"):
        user = _user_model()
        named = _people_named(target).with_only_columns(cast(user.id, String))
        matches = [
            _contains(AuditEvent.target_label, target),
            and_(AuditEvent.target_type == "User", AuditEvent.target_id.in_(named)),
        ]
        if (target_id := parse_id(target)) is not None:
            matches.append(AuditEvent.target_id == str(target_id))
        statement = statement.where(or_(*matches))
    return statement.order_by(AuditEvent.seq.desc())


def action_choices() -> list[str]:
    """Every action the log can hold a sentence for, for the action list."""
    return sorted(known_actions())


def _target_type_names() -> dict[str, str]:  # built per call: the reader's language
    """Every kind of thing Atrium's audit entries are about (the target's model), with its name.

    Kept by hand next to the sentences: grep ``audit.record(`` for the targets. A kind missing here
    still filters (by its address) and is offered while chosen; the demo test checks the list covers
    every kind the demo records.
    """
    return {
        "User": _("Person"),
        "Group": _("Group"),
        "OrgUnit": _("Organisation unit"),
        "Role": _("Role"),
        "Tenant": _("Portal"),
        "SignInSettings": _("Sign-in settings"),
        "IdentityProvider": _("Identity provider"),
        "SamlKey": _("SAML key"),
        "ScimToken": _("SCIM token"),
        "SyncSource": _("HR sync source"),
        "Course": _("Course"),
        "Lesson": _("Lesson"),
        "LearningPath": _("Learning path"),
        "Enrollment": _("Enrolment"),
        "PathEnrollment": _("Path enrolment"),
        "EnrollmentRule": _("Rule"),
        "LibraryPackage": _("Library package"),
        "LibraryVersion": _("Library version"),
        "LibraryDeployment": _("Library deployment"),
        "Quiz": _("Quiz"),
        "QuestionBank": _("Question bank"),
        "Question": _("Question"),
        "Attempt": _("Quiz attempt"),
        "CheckpointSignoff": _("Checkpoint sign-off"),
        "Policy": _("Policy"),
        "Acknowledgement": _("Policy acceptance"),
        "Certification": _("Certification"),
        "CertificationRecord": _("Certification record"),
        "Certificate": _("Certificate"),
        "SigningKey": _("Certificate signing key"),
        "PartnerTier": _("Partner tier"),
        "SavedReport": _("Saved report"),
        "ReportExport": _("Report export"),
    }


def _words(kind: str) -> str:
    """A kind without a name of its own reads as its words: "LibraryDeployment" → "Library deployment"."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", kind).capitalize()


def target_types(chosen: str = "") -> list[tuple[str, str]]:
    """The kinds of things the log's entries are about, with their names, for the target list.

    A fixed list, read from no table: listing the kinds found in the log cost a pass over the whole log
    on every view, growing with it. *chosen*, the kind asked for, is offered too when the list does not
    know it, so that the form still shows what the page is filtered by.
    """
    names = _target_type_names()
    if chosen and chosen not in names:
        names[chosen] = _words(chosen)
    return sorted(names.items(), key=lambda pair: pair[1].casefold())


# ---------------------------------------------------------------- export


def record_export(filters: AuditFilters) -> int:
    """Note in the log that someone took it away, with the filters used; the seq the file stops before."""
    from app import audit

    entry = audit.record("audit.exported", after={"filters": filters.chosen})
    return entry.seq


def _readable(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def changes(event: AuditEvent) -> str:
    """What the entry changed, field by field: "name: Old → New"; a value only set reads "name: New"."""
    before, after = event.before or {}, event.after or {}
    parts = []
    for key in sorted(set(before) | set(after)):
        if key in before and key in after:
            parts.append(f"{field_name(key)}: {_readable(before[key])} → {_readable(after[key])}")
        elif key in after:
            parts.append(f"{field_name(key)}: {_readable(after[key])}")
        else:
            parts.append(f"{field_name(key)}: {_readable(before[key])} → —")
    return "; ".join(parts)


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def csv_header() -> list[str]:
    return [
        _("Seq"),
        _("Time (UTC)"),
        _("Action"),
        _("What happened"),
        _("Changes (before → after)"),
        _("Actor"),
        _("Actor's sign-in"),
        _("Target type"),
        _("Target ID"),
        _("Target"),
        _("From (IP address)"),
        _("Hash"),
        _("Previous hash"),
    ]


def _row(described: DescribedEvent) -> list[str]:
    event = described.event
    return [
        str(event.seq),
        _utc_iso(event.occurred_at),
        event.action,
        described.sentence.striptags(),
        changes(event),
        described.actor.striptags(),
        event.actor_label or "",
        event.target_type or "",
        event.target_id or "",
        event.target_label or "",
        event.ip or "",
        event.hash,
        event.prev_hash,
    ]


def csv_lines(filters: AuditFilters, tenant_id: int, before_seq: int) -> Iterator[str]:
    """Yield *tenant_id*'s filtered log (entries before *before_seq*) as CSV, oldest first, a batch at a time.

    The body streams after the request has ended (its tenant context reset, its session closed),
    so the tenant is set again here, explicitly.
    """
    from app.tenancy import as_tenant

    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: list[str]) -> str:
        writer.writerow([csv_safe(cell) for cell in cells])
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(csv_header())
    statement = (
        statement_for(filters)
        .where(AuditEvent.seq < before_seq)
        .order_by(None)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=EXPORT_BATCH)
    )
    with as_tenant(tenant_id):
        for batch in db.session.scalars(statement).partitions():
            for described in describe(batch):
                yield line(_row(described))
