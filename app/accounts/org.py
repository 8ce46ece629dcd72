"""The organisation tree in SQL: a unit's subtree, a unit's ancestry and a manager's reach.

Every function here is a fixed number of statements (recursive CTEs that SQLite and PostgreSQL both
run), whatever the size of the tree or the tenant, and is tenant-scoped like every other query:
the ORM adds the tenant criteria to each ``org_units``/``users`` reference, CTEs included, and
PostgreSQL's row-level security applies it again.

Recursion uses ``UNION`` rather than ``UNION ALL`` so that a cycle in the data (a unit that is its
own ancestor, two managers who report to each other) ends instead of looping.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any

from sqlalchemy import CTE, Select, select, true, union

from app.accounts.models import OrgUnit, User, UserStatus
from app.extensions import db

# Above this many ids, batch forms compute the whole tree rather than bind a long IN list.
_IN_LIST_LIMIT = 500


# ---------------------------------------------------------------- subtree


def _subtree_cte(org_unit_id: int, per_row: bool) -> CTE:
    """A recursive CTE (``id``) of unit *org_unit_id* and every unit below it.

    *per_row*: :func:`probe_per_row`; on PostgreSQL each level looks its children up by the parent
    index, as many probes as units found, rather than hashing every unit of the tenant at each level.
    """
    tree = select(OrgUnit.id).where(OrgUnit.id == org_unit_id).cte("subtree", recursive=True)
    if per_row:
        child = select(OrgUnit.id).where(OrgUnit.parent_id == tree.c.id).offset(0).lateral("child")
        below = select(child.c.id).select_from(tree).join(child, true())
    else:
        below = select(OrgUnit.id).join(tree, OrgUnit.parent_id == tree.c.id)
    return tree.union(below)


def subtree_select(org_unit_id: int) -> Select[int]:
    """A SELECT of the ids of unit *org_unit_id* and every unit below it, for ``IN (…)`` clauses."""
    tree = _subtree_cte(org_unit_id, probe_per_row())
    return select(tree.c.id)


def subtree_ids(org_unit_id: int) -> set[int]:
    """Return the ids of unit *org_unit_id* and every unit below it (empty if there is no such unit)."""
    return set(db.session.scalars(subtree_select(org_unit_id)))


def subtrees_select(org_unit_ids: Collection[int]) -> Select[int]:
    """A SELECT of the ids of the units *org_unit_ids* and every unit below any of them."""
    tree = select(OrgUnit.id).where(OrgUnit.id.in_(sorted(org_unit_ids))).cte("subtrees", recursive=True)
    below = select(OrgUnit.id).join(tree, OrgUnit.parent_id == tree.c.id)
    return select(tree.union(below).c.id)


# ---------------------------------------------------------------- ancestry


def ancestry(org_unit_id: int | None) -> frozenset[int]:
    """Return the ids of unit *org_unit_id* and every unit above it (empty for no unit)."""
    if org_unit_id is None:
        return frozenset()
    chain = ancestry_cte(org_unit_id, "chain", per_row=probe_per_row())
    return frozenset(db.session.scalars(select(chain.c.id)))


def ancestry_cte(org_unit_id: Any, name: str, per_row: bool) -> CTE:
    """A recursive CTE (``id``, ``parent_id``) of unit *org_unit_id* and every unit above it.

    For a statement that needs a person's ancestry inside it (*org_unit_id*: a value or a bound
    parameter). *per_row*: :func:`probe_per_row`; on PostgreSQL each level looks its parent up by its
    key rather than hashing every unit of the tenant at each level (a milliseconds at 10,000 units).
    """
    chain = select(OrgUnit.id, OrgUnit.parent_id).where(OrgUnit.id == org_unit_id).cte(name, recursive=True)
    if per_row:
        parent = (
            select(OrgUnit.id, OrgUnit.parent_id)
            .where(OrgUnit.id == chain.c.parent_id)
            .offset(0)
            .lateral("parent")
        )
        above = select(parent.c.id, parent.c.parent_id).select_from(chain).join(parent, true())
    else:
        above = select(OrgUnit.id, OrgUnit.parent_id).join(chain, OrgUnit.id == chain.c.parent_id)
    return chain.union(above)


def ancestries(org_unit_ids: Collection[int | None] | None = None) -> dict[int | None, frozenset[int]]:
    """Return the ancestry (see :func:`ancestry`) of each unit of *org_unit_ids*, or of every unit.

    One statement for any number of units, for callers that look at many people at once. Look a
    person's unit up with ``.get(person.org_unit_id, frozenset())``: no unit has no ancestry.
    """
    wanted = None if org_unit_ids is None else {i for i in org_unit_ids if i is not None}
    if wanted is not None and not wanted:
        return {}
    anchor = select(OrgUnit.id.label("unit_id"), OrgUnit.id.label("ancestor_id"), OrgUnit.parent_id)
    if wanted is not None and len(wanted) <= _IN_LIST_LIMIT:
        anchor = anchor.where(OrgUnit.id.in_(wanted))
    chain = anchor.cte("chains", recursive=True)
    above = select(chain.c.unit_id, OrgUnit.id, OrgUnit.parent_id).join(
        chain, OrgUnit.id == chain.c.parent_id
    )
    chain = chain.union(above)
    found: dict[int | None, set[int]] = {}
    for unit_id, ancestor_id in db.session.execute(select(chain.c.unit_id, chain.c.ancestor_id)):
        if wanted is None or unit_id in wanted:
            found.setdefault(unit_id, set()).add(ancestor_id)
    return {unit_id: frozenset(ids) for unit_id, ids in found.items()}


# ---------------------------------------------------------------- a manager's reach


def probe_per_row() -> bool:
    """Whether to look each recursion step's people up row by row (PostgreSQL) rather than by a join.

    PostgreSQL estimates a recursive query at ten times its first level per level (millions of
    people for a manager of a few hundred) and then joins by hashing every person of the tenant at
    each step. A LATERAL subquery with OFFSET 0 (which the planner may not flatten) makes each step
    an index probe per person found. SQLite has no LATERAL and probes by index anyway.
    """
    return db.session.get_bind().dialect.name == "postgresql"


def _reports_cte(manager_id: int) -> CTE:
    """Active people below *manager_id* in the manager chain (through active people only)."""
    active = User.status == UserStatus.active.value
    reports = select(User.id).where(User.manager_id == manager_id, active).cte("reports", recursive=True)
    if probe_per_row():
        step = select(User.id).where(User.manager_id == reports.c.id, active).offset(0).lateral("step")
        below = select(step.c.id).select_from(reports).join(step, true())
    else:
        below = select(User.id).join(reports, User.manager_id == reports.c.id).where(active)
    return reports.union(below)


def _unit_people(unit_ids: CTE) -> Select[int]:
    """The active people of the units listed by the CTE *unit_ids* (one ``id`` column)."""
    active = User.status == UserStatus.active.value
    if probe_per_row():
        step = select(User.id).where(User.org_unit_id == unit_ids.c.id, active).offset(0).lateral("members")
        return select(step.c.id).select_from(unit_ids).join(step, true())
    return select(User.id).join(unit_ids, User.org_unit_id == unit_ids.c.id).where(active)


def reports_to(person_id: int, boss_id: int) -> bool:
    """Whether the person *person_id* is *boss_id* or sits anywhere below them in the manager chain.

    Deactivated people count: a chain that runs through them is still a chain, and a manager may
    not be placed under someone who reports to them.
    """
    chain = select(User.id, User.manager_id).where(User.id == person_id).cte("bosses", recursive=True)
    above = select(User.id, User.manager_id).join(chain, User.id == chain.c.manager_id)
    chain = chain.union(above)
    return db.session.scalar(select(chain.c.id).where(chain.c.id == boss_id)) is not None


def reach_select(manager: User) -> Select[int]:
    """A SELECT of the ids of the people *manager* reaches, for ``IN (…)`` clauses.

    A manager reaches the active people of their org unit and every unit below it, and the active
    people below them in the manager chain (through active people only); never themselves.

    Each part is found from its own starting point (the manager's reports, the people of their
    units) by index, and the two are united: a filter over every person of the tenant with an OR of
    the two costs a pass over the whole tenant.
    """
    return _reach_statement(manager.id, manager.org_unit_id, probe_per_row())


@lru_cache(maxsize=1024)
def _reach_statement(manager_id: int, org_unit_id: int | None, _per_row: bool) -> Select[int]:
    # Built once per manager and unit (asked on every My team page, and building it costs more Python
    # than running it): a statement holds no one's data, the tenant criteria are added when it runs,
    # and a manager moved to another unit is a new key; *_per_row* (:func:`probe_per_row`, the
    # database's kind) is part of the key because the statement's shape depends on it.
    reports = _reports_cte(manager_id)
    parts = [select(reports.c.id).where(reports.c.id != manager_id)]
    if org_unit_id is not None:
        members = _unit_people(_subtree_cte(org_unit_id, _per_row))
        parts.append(members.where(members.selected_columns[0] != manager_id))
    reached = union(*parts).subquery("reached")
    return select(reached.c.id)


def reach_of(manager: User) -> list[User]:
    """Return the people *manager* reaches (see :func:`reach_select`), by name.

    Two statements: the ids, then those people. Planned in one, the database guesses the reach from
    the recursive queries' estimates (millions) and reads the whole tenant's people to join them.
    """
    ids = reach_ids(manager)
    if not ids:
        return []
    statement = select(User).where(User.id.in_(sorted(ids))).order_by(User.full_name, User.id)
    return list(db.session.scalars(statement))


def reach_ids(manager: User) -> set[int]:
    """Return the ids of the people *manager* reaches."""
    return set(db.session.scalars(reach_select(manager)))


def sees_everyone(user: User) -> bool:
    """Whether *user* looks after the whole portal's people (tenant admins): they may open anyone's
    learning record and any location's dashboard, though their own team stays their org unit's."""
    from app.accounts import permissions as perms

    return bool(user.can(perms.USERS_MANAGE))


def unit_people(org_unit_id: int, *, besides: int | None = None) -> list[User]:
    """The active people of unit *org_unit_id* and every unit below it, by name (not *besides*)."""
    members = _unit_people(_subtree_cte(org_unit_id, probe_per_row()))
    if besides is not None:
        members = members.where(members.selected_columns[0] != besides)
    ids = set(db.session.scalars(members))
    if not ids:
        return []
    statement = select(User).where(User.id.in_(sorted(ids))).order_by(User.full_name, User.id)
    return list(db.session.scalars(statement))


def reaches(manager: User, person_id: int) -> bool:
    """Whether *manager* reaches the person with *person_id* (one statement for someone in their team)."""
    reached = reach_select(manager).subquery("reach")
    if db.session.scalar(select(reached.c.id).where(reached.c.id == person_id)) is not None:
        return True
    if person_id == manager.id or not sees_everyone(manager):
        return False
    active = User.status == UserStatus.active.value
    return db.session.scalar(select(User.id).where(User.id == person_id, active)) is not None
