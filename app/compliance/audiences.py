"""The required items found by their audiences, as SQL over a set of people: policies to accept and
certifications that apply to someone who has not started them.

Which policies and certifications there are, and whom each names, is read first (a few small
statements); each then becomes one ``SELECT`` of the people it binds, so a whole team, or a region of
ten thousand people, is matched in the database rather than person by person in Python. The same
selects serve :func:`app.compliance.status.for_people` (every item of a page's people) and
:func:`app.compliance.ranking.rank_people` (every person's items counted), so both agree by
construction. The audience rules are those of :func:`app.policies.services.applies_to` (everyone; or
a group, an org unit's subtree) and :func:`app.certifications.services.people.audience_of` (and a job
title, trimmed, in any case).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ARRAY,
    Date,
    Integer,
    String,
    any_,
    exists,
    false,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)

from app.accounts.models import GroupMembership, OrgUnit, User, UserStatus
from app.compliance.statements import cached, dialect_name, ids_in
from app.compliance.statements import rows as kept_rows
from app.inputs import parse_id

#: ``_in(column, ids)`` of :mod:`app.compliance.status`: a column is one of a set of ids.
InClause = Callable[[Any], Any]


@dataclass
class Audience:
    """Whom a policy or certification names: everyone, or groups, org units' subtrees, job titles."""

    everyone: bool = False
    groups: set[int] = field(default_factory=set)
    units: set[int] = field(default_factory=set)
    job_titles: set[str] = field(default_factory=set)  # trimmed and casefolded

    def add(self, kind: str, value: str) -> None:
        if kind == "group" and (group_id := parse_id(value)) is not None:
            self.groups.add(group_id)
        elif kind == "org_unit" and (unit_id := parse_id(value)) is not None:
            self.units.add(unit_id)
        elif kind == "job_title" and value.strip():
            self.job_titles.add(value.strip().casefold())

    @property
    def key(self) -> tuple[Any, ...]:
        """Everything :meth:`clause` reads, as a value (a statement kept for it stays right)."""
        return (
            self.everyone,
            tuple(sorted(self.groups)),
            tuple(sorted(self.units)),
            tuple(sorted(self.job_titles)),
        )

    def clause(self, people: Any, subtrees: dict[int, set[int]]) -> Any:
        """A WHERE clause over *people* (``id``, ``org_unit_id``, ``job_title``): the person is one of the
        audience (*subtrees*: each named unit's subtree, from :func:`subtrees_of`)."""
        if self.everyone:
            return true()
        parts: list[Any] = []
        if self.groups:
            parts.append(
                exists().where(
                    GroupMembership.user_id == people.c.id, GroupMembership.group_id.in_(sorted(self.groups))
                )
            )
        if self.units:
            below = sorted({unit for named in self.units for unit in subtrees.get(named, ())})
            parts.append(people.c.org_unit_id.in_(below))
        if self.job_titles:
            parts.append(func.lower(func.trim(people.c.job_title)).in_(sorted(self.job_titles)))
        return or_(*parts) if parts else false()


def subtrees_of(audiences: Iterable[Audience]) -> dict[int, set[int]]:
    """Each org unit the *audiences* name, with every unit below it, in one statement (none if none).

    Read once rather than as a recursive query in each audience's clause: a statement may hold only
    one common table expression of a name, and a list of ids plans better than a recursion.
    """
    named = tuple(sorted({unit for audience in audiences for unit in audience.units}))
    if not named:
        return {}

    def build() -> Any:
        tree = (
            select(OrgUnit.id.label("root"), OrgUnit.id.label("id"))
            .where(OrgUnit.id.in_(named))
            .cte("named_subtrees", recursive=True)
        )
        tree = tree.union(select(tree.c.root, OrgUnit.id).join(tree, OrgUnit.parent_id == tree.c.id))
        return select(tree.c.root, tree.c.id)

    found: dict[int, set[int]] = {}
    for root, unit_id in kept_rows(("subtrees", named), build, {}):
        found.setdefault(root, set()).add(unit_id)
    return found


@dataclass(frozen=True)
class BindingPolicy:
    """A published policy as a person's item: its title, the version that binds and its due date."""

    policy_id: int
    title: str
    binding_number: int
    due_on: date | None
    audience: Audience


class _Published(NamedTuple):
    """What :func:`app.policies.services.due_on` reads of a binding version."""

    published_at: datetime


def utc(moment: datetime) -> datetime:
    """*moment* in UTC, as the ORM reads a ``UtcDateTime``: rows read through the driver come in the
    connection's time zone (a due date is counted from the UTC day a version was published)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def binding_policies() -> list[BindingPolicy]:
    """The published policies with a version that binds, and whom each binds (two statements, rows rather
    than loaded policies and versions: the binding version is as :attr:`Policy.binding_version` finds it)."""
    from app.policies.models import Policy, PolicyAudience, PolicyStatus, PolicyVersion
    from app.policies.services import due_on

    published = Policy.status == PolicyStatus.published.value
    policies: dict[int, Any] = {}
    binding: dict[int, Any] = {}
    versions = kept_rows(
        ("binding_policies",),
        lambda: (
            select(
                Policy.id,
                Policy.title,
                Policy.visibility,
                Policy.due_days,
                PolicyVersion.number,
                PolicyVersion.material,
                PolicyVersion.published_at,
            )
            .join(PolicyVersion, PolicyVersion.policy_id == Policy.id)
            .where(published, PolicyVersion.published_at.is_not(None))
            .order_by(Policy.id, PolicyVersion.number)
        ),
        {},
    )
    for row in versions:
        policies.setdefault(row.id, row)
        if row.id not in binding or row.material:  # the first published version, or the latest material one
            binding[row.id] = row
    if not policies:
        return []
    audiences = {
        policy_id: Audience(everyone=row.visibility == "everyone") for policy_id, row in policies.items()
    }
    for policy_id, kind, value in kept_rows(
        ("policy_audiences",),
        lambda: (
            select(PolicyAudience.policy_id, PolicyAudience.kind, PolicyAudience.value)
            .join(Policy, Policy.id == PolicyAudience.policy_id)
            .where(published, PolicyAudience.kind.in_(("group", "org_unit")))
        ),
        {},
    ):
        if policy_id in audiences:
            audiences[policy_id].add(kind, value)
    return [
        BindingPolicy(
            policy_id,
            row.title,
            binding[policy_id].number,
            # due_on reads a version's published_at only: the row's, in UTC as the ORM would read it.
            due_on(row, cast("PolicyVersion", _Published(utc(binding[policy_id].published_at)))),
            audiences[policy_id],
        )
        for policy_id, row in policies.items()
    ]


def open_certifications() -> dict[int, tuple[str, Audience]]:
    """Each published certification anyone may need (its title and audience), in one statement."""
    from app.certifications.models import Certification, CertificationAudience, CertificationStatus

    found: dict[int, tuple[str, Audience]] = {}
    for cert_id, title, visibility, kind, value in kept_rows(
        ("open_certifications",),
        lambda: (
            select(
                Certification.id,
                Certification.title,
                Certification.visibility,
                CertificationAudience.kind,
                CertificationAudience.value,
            )
            .outerjoin(CertificationAudience, CertificationAudience.certification_id == Certification.id)
            .where(
                Certification.status == CertificationStatus.published.value,
                Certification.visibility.in_(("everyone", "restricted")),
            )
            .order_by(Certification.id)
        ),
        {},
    ):
        entry = found.setdefault(cert_id, (title, Audience(everyone=visibility == "everyone")))
        if kind is not None:
            entry[1].add(kind, value)
    return found


@dataclass(frozen=True)
class Requirements:
    """What is required of people by audience, read once a request: the binding policies and the
    certifications anyone may need, and the subtrees of the units their audiences name."""

    policies: list[BindingPolicy]
    certifications: dict[int, tuple[str, Audience]]
    subtrees: dict[int, set[int]]

    @cached_property
    def key(self) -> tuple[Any, ...]:
        """Everything :meth:`rows` builds its SELECTs from, as a value: statements kept under it are
        those these requirements would build (a changed policy or certification makes another key)."""
        return (
            tuple((p.policy_id, p.title, p.binding_number, p.due_on, p.audience.key) for p in self.policies),
            tuple(
                (cert_id, title, audience.key) for cert_id, (title, audience) in self.certifications.items()
            ),
            tuple(sorted((root, tuple(sorted(units))) for root, units in self.subtrees.items())),
        )

    def rows_of_ids(self) -> tuple[Any, Any]:
        """:meth:`rows` over the people bound at execution as the ``ids`` parameter
        (:mod:`app.compliance.statements`), built once for these requirements."""
        return cached(("audiences", self.key), lambda: self.rows(ids_in))

    def rows(self, within: InClause) -> tuple[Any, Any]:
        """Two SELECTs over the people *within* narrows ``users.id`` to (None where there is nothing):

        - (user_id, ref_id: the policy, title, accepted, due_on): each policy of each person it binds;
        - (user_id, ref_id: the certification, title): each certification that applies to an active
          person who has no record of it beyond "not started".

        The people are read once (a common table expression every policy and certification shares);
        their signatures and records are looked up among theirs only, so the database may hash them
        rather than probe the whole table for each person.
        """
        from app.certifications.models import CertificationRecord
        from app.policies.models import Acknowledgement, PolicyVersion

        # On PostgreSQL each person comes with the certifications they have begun, as an array read with
        # them: each certification's "not started" is then a test of that array, not as many index probes
        # (one a person) as there are certifications.
        begun_in_array = bool(self.certifications) and dialect_name() == "postgresql"
        begun = (
            func.array(
                select(CertificationRecord.certification_id)
                .where(CertificationRecord.user_id == User.id, CertificationRecord.state != "not_started")
                .scalar_subquery(),
                type_=ARRAY(Integer),
            )
            if begun_in_array
            else null()
        )
        people = (
            select(User.id, User.org_unit_id, User.job_title, User.status, begun.label("begun"))
            .where(within(User.id))
            .cte("people")
        )
        policies = []
        for policy in self.policies:
            accepted = exists().where(
                Acknowledgement.user_id == people.c.id,
                within(Acknowledgement.user_id),
                Acknowledgement.policy_id == _whole(policy.policy_id),
                Acknowledgement.version_id == PolicyVersion.id,
                PolicyVersion.number >= _whole(policy.binding_number),
            )
            policies.append(
                select(
                    people.c.id.label("user_id"),
                    _whole(policy.policy_id).label("ref_id"),
                    literal(policy.title, String).label("title"),
                    accepted.label("accepted"),
                    literal(policy.due_on, Date).label("due_on"),
                ).where(policy.audience.clause(people, self.subtrees))
            )
        not_started = []
        for cert_id, (title, audience) in self.certifications.items():
            started: Any = (
                _whole(cert_id) == any_(people.c.begun)
                if begun_in_array
                else exists().where(
                    CertificationRecord.user_id == people.c.id,
                    within(CertificationRecord.user_id),
                    CertificationRecord.certification_id == _whole(cert_id),
                    CertificationRecord.state != "not_started",
                )
            )
            not_started.append(
                select(
                    people.c.id.label("user_id"),
                    _whole(cert_id).label("ref_id"),
                    literal(title, String).label("title"),
                ).where(
                    people.c.status == UserStatus.active.value,
                    audience.clause(people, self.subtrees),
                    ~started,
                )
            )
        return _united(policies), _united(not_started)


def _whole(number: int) -> Any:
    """An id or version number written into the SQL rather than bound: a statement of a SELECT per
    policy and certification would otherwise bind (and look up at every execution) several each."""
    return literal_column(str(int(number)), Integer)


def _united(parts: list[Any]) -> Any:
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else union_all(*parts)


def load_requirements() -> Requirements:
    """The policies and certifications required by audience, and their units' subtrees (six statements)."""
    policies = binding_policies()
    certifications = open_certifications()
    named = [p.audience for p in policies] + [audience for _title, audience in certifications.values()]
    return Requirements(policies, certifications, subtrees_of(named))
