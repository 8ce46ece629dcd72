"""Who may see which course or path: everyone, or the groups, org units (with subtrees) and job titles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import String, and_, bindparam, cast, exists, false, literal, or_, select, union_all

from app.accounts import org
from app.accounts.models import GroupMembership, User
from app.extensions import db
from app.learning.models import Audience, Course, LearningPath


@dataclass(frozen=True)
class Viewer:
    """What visibility rules look at for one person: their groups, org-unit ancestry and job title."""

    user_id: int
    group_ids: frozenset[int]
    org_unit_ids: frozenset[int]  # their unit and every unit above it
    job_title: str | None


@lru_cache(maxsize=2)
def _viewer_facts(per_row: bool) -> Any:
    """One statement, built once per kind of database: ("group", id) for each of a person's groups,
    ("unit", id) for their unit and each unit above it (``org.ancestry_cte``; *per_row*:
    ``org.probe_per_row()``)."""
    chain = org.ancestry_cte(bindparam("org_unit_id"), "chain", per_row)
    groups = select(literal("group").label("kind"), GroupMembership.group_id.label("id")).where(
        GroupMembership.user_id == bindparam("user_id")
    )
    units = select(literal("unit").label("kind"), chain.c.id.label("id"))
    return union_all(groups, units)


def viewer_for(user: User) -> Viewer:
    found: dict[str, set[int]] = {"group": set(), "unit": set()}
    for kind, value in db.session.execute(
        _viewer_facts(org.probe_per_row()), {"user_id": user.id, "org_unit_id": user.org_unit_id}
    ):
        found[kind].add(value)
    return Viewer(
        user_id=user.id,
        group_ids=frozenset(found["group"]),
        org_unit_ids=frozenset(found["unit"]),
        job_title=(user.job_title or "").strip().casefold() or None,
    )


def visible_courses_clause(viewer: Viewer) -> Any:
    """A WHERE clause: courses *viewer* may see (published, and everyone or a matching audience)."""
    return _visible_clauses(viewer.group_ids, viewer.org_unit_ids, viewer.job_title)[0]


def visible_paths_clause(viewer: Viewer) -> Any:
    return _visible_clauses(viewer.group_ids, viewer.org_unit_ids, viewer.job_title)[1]


@lru_cache(maxsize=4096)
def _visible_clauses(group_ids: frozenset[int], org_unit_ids: frozenset[int], job_title: str | None) -> Any:
    """The courses' and the paths' clause for a person who sees with these groups, units and job title.

    Built once per process for each such audience (every page asks for them): a clause holds no tenant
    (each statement is scoped when it runs) and is immutable, so statements may share it.
    """
    conditions = []
    if group_ids:
        conditions.append(and_(Audience.kind == "group", Audience.value.in_([str(g) for g in group_ids])))
    if org_unit_ids:
        conditions.append(
            and_(Audience.kind == "org_unit", Audience.value.in_([str(u) for u in org_unit_ids]))
        )
    if job_title:
        conditions.append(and_(Audience.kind == "job_title", Audience.value == job_title))
    match = or_(*conditions) if conditions else false()
    return _published_for(match)


def _published_for(match: Any) -> tuple[Any, Any]:
    """The courses' and the paths' clause: published, and for everyone or an audience row matching *match*."""
    courses = and_(
        Course.status == "published",
        or_(Course.visibility == "everyone", exists().where(Audience.course_id == Course.id, match)),
    )
    paths = and_(
        LearningPath.status == "published",
        or_(
            LearningPath.visibility == "everyone", exists().where(Audience.path_id == LearningPath.id, match)
        ),
    )
    return courses, paths


@lru_cache(maxsize=2)
def person_clauses(per_row: bool) -> tuple[Any, Any]:
    """The courses' and the paths' clause for the person bound when a statement runs, built once.

    Bound at run time: ``user_id``, ``org_unit_id`` (their unit; the units above it count too) and
    ``job_title`` (as :func:`viewer_for` writes it, or None). The same audience as
    :func:`visible_courses_clause`, with the person's groups and units found by the statement itself
    rather than by a statement of their own beforehand. *per_row*: ``org.probe_per_row()``.
    """
    chain = org.ancestry_cte(bindparam("org_unit_id"), "viewer_units", per_row)
    # Audience values are ids written as text (str(id)), as visible_courses_clause compares them.
    my_groups = select(cast(GroupMembership.group_id, String)).where(
        GroupMembership.user_id == bindparam("user_id")
    )
    my_units = select(cast(chain.c.id, String))
    match = or_(
        and_(Audience.kind == "group", Audience.value.in_(my_groups)),
        and_(Audience.kind == "org_unit", Audience.value.in_(my_units)),
        and_(Audience.kind == "job_title", Audience.value == bindparam("job_title")),
    )
    return _published_for(match)


def person_params(user: User) -> dict[str, Any]:
    """The values the clauses of :func:`person_clauses` are bound to for *user*."""
    return {
        "user_id": user.id,
        "org_unit_id": user.org_unit_id,
        "job_title": (user.job_title or "").strip().casefold() or None,
    }


def can_see_course(viewer: Viewer, course_id: int) -> bool:
    return (
        db.session.scalar(select(Course.id).where(Course.id == course_id, visible_courses_clause(viewer)))
        is not None
    )


def can_see_path(viewer: Viewer, path_id: int) -> bool:
    return (
        db.session.scalar(
            select(LearningPath.id).where(LearningPath.id == path_id, visible_paths_clause(viewer))
        )
        is not None
    )
