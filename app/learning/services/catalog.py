"""What a learner sees: the catalog (search, filters, sorting) and My learning. Constant queries per page."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    Subquery,
    and_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.orm import Bundle, joinedload

from app.extensions import db
from app.inputs import like_pattern, search_words
from app.learning.models import Course, Enrollment, LearningPath, PathStep
from app.learning.services.facet_cache import Facets, Kept, facet_cache
from app.learning.services.visibility import Viewer, visible_courses_clause, visible_paths_clause
from app.tenancy import context

SORTS = {
    "title": (Course.title.asc(),),
    "newest": (Course.created_at.desc(), Course.id.desc()),
    "shortest": (Course.duration_minutes.asc(), Course.title.asc()),
}
PER_PAGE = 24


@dataclass(frozen=True)
class CourseCard:
    """What a course card shows (learning/cards.py course_pieces), as plain values: no ORM object."""

    id: int
    title: str
    category: str | None
    language: str
    duration_minutes: int | None
    deployment_id: int | None

    @property
    def from_library(self) -> bool:
        return self.deployment_id is not None


@dataclass(frozen=True)
class CardEnrollment:
    """The viewer's enrolment in a card's course: done, or how far along."""

    id: int
    completed_at: datetime | None
    progress_percent: int


@dataclass
class CatalogPage:
    courses: list[CourseCard]
    total: int
    page: int
    per_page: int
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    enrollments: dict[int, CardEnrollment] = field(default_factory=dict)
    # Each with its number of steps; a path is a plain row (id, title) when the caller asked for rows.
    paths: list[tuple[Any, int]] = field(default_factory=list)


# Built once: a card's columns and, beside them, the viewer's enrolment in its course (at most one
# current enrolment per course, so a course is never listed twice).
_CARDS = select(
    Course.id,
    Course.title,
    Course.category,
    Course.language,
    Course.duration_minutes,
    Course.deployment_id,
    Enrollment.id.label("enrollment_id"),
    Enrollment.completed_at,
    Enrollment.progress_percent,
).outerjoin_from(
    Course,
    Enrollment,
    and_(
        Enrollment.course_id == Course.id,
        Enrollment.user_id == bindparam("viewer_id"),
        Enrollment.withdrawn_at.is_(None),
    ),
)
_STEPS = (
    select(func.count(PathStep.id))
    .where(PathStep.path_id == LearningPath.id)
    .correlate(LearningPath)
    .scalar_subquery()
)


# The catalog's learning paths with their number of steps, by title: as models, or as plain rows
# (id, title) when their titles read as written.
_PATHS = select(LearningPath, _STEPS).order_by(LearningPath.title)
_PATH_ROWS = select(Bundle("path", LearningPath.id, LearningPath.title), _STEPS).order_by(LearningPath.title)


# Statements kept to an audience, by the ids of the statement and the clause (both kept with it, so
# neither id is reused meanwhile): keyed by identity, as a clause's == builds SQL rather than comparing.
_AUDIENCE_STATEMENTS: dict[tuple[int, int], tuple[Any, Any, Any]] = {}
_AUDIENCE_STATEMENTS_MAX = 1024


def _for_audience(statement: Any, visible: ColumnElement[bool]) -> Any:
    """*statement* kept to what an audience may see (*visible*: its clause, itself built once an audience).

    Built once per process for each, not per request: a statement built again computes its cache key
    again (and its tenant-scoped copy is made again), some hundreds of calls a statement.
    """
    key = (id(statement), id(visible))
    kept = _AUDIENCE_STATEMENTS.get(key)
    if kept is not None and kept[0] is statement and kept[1] is visible:
        return kept[2]
    if len(_AUDIENCE_STATEMENTS) >= _AUDIENCE_STATEMENTS_MAX:
        _AUDIENCE_STATEMENTS.clear()
    found = statement.where(visible)
    _AUDIENCE_STATEMENTS[key] = (statement, visible, found)
    return found


# A page of cards: visible and listed, then the filters a search adds, their values bound when it runs
# (so that the statements are built once per audience and kind of search, not per request).
_LISTED = Course.listed.is_(True)

#: Where else a search word may be found in a course, each a clause over ``Course.id`` given the word's
#: bound LIKE pattern (escaped with a backslash). Content translations add the course's title and
#: description in the reader's language (:func:`also_search`): a learner reading "Seguridad alimentaria"
#: finds it by typing "seguridad".
_ELSEWHERE: list[Callable[[Any], ColumnElement[bool]]] = []


def also_search(place: Callable[[Any], ColumnElement[bool]]) -> None:
    """Search words are also looked for in *place* (registered once, at start-up, before any search)."""
    _ELSEWHERE.append(place)
    _CARD_STATEMENTS.clear()


def _holds_word(number: int) -> ColumnElement[bool]:
    """A course holds the search's word *number* (bound as ``like_<number>``) in its title, description or
    category, or in a place registered with :func:`also_search`."""
    like: Any = bindparam(f"like_{number}")
    return or_(
        func.lower(Course.title).like(like, escape="\\"),
        func.lower(Course.description).like(like, escape="\\"),
        func.lower(Course.category).like(like, escape="\\"),
        *(place(like) for place in _ELSEWHERE),
    )


_IN_CATEGORY = Course.category == bindparam("category")
_TAGGED = cast(Course.tags, String).like(bindparam("tag_like"))
_CARD_STATEMENTS: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}


def _cards_statements(
    visible: ColumnElement[bool], words: int, in_category: bool, tagged: bool, sort: str
) -> tuple[Any, Any]:
    """The cards a search of *words* words finds in what *visible* lets an audience see, and a page of them
    in *sort*'s order (bound: ``limit``, ``offset``), built once a process for each (kept with the clause,
    keyed by its id)."""
    sort = sort if sort in SORTS else "title"
    key = (id(visible), words, in_category, tagged, sort)
    kept = _CARD_STATEMENTS.get(key)
    if kept is not None and kept[0] is visible:
        return kept[1], kept[2]
    wanted = [_holds_word(n) for n in range(words)] + [_IN_CATEGORY] * in_category + [_TAGGED] * tagged
    cards = _CARDS.where(visible, _LISTED, *wanted)
    in_order = cards.order_by(*SORTS[sort]).limit(bindparam("limit")).offset(bindparam("offset"))
    if len(_CARD_STATEMENTS) >= _AUDIENCE_STATEMENTS_MAX:
        _CARD_STATEMENTS.clear()
    _CARD_STATEMENTS[key] = (visible, cards, in_order)
    return cards, in_order


def catalog(
    viewer: Viewer,
    *,
    query: str = "",
    category: str = "",
    tag: str = "",
    sort: str = "title",
    page: int = 1,
    per_page: int = PER_PAGE,
    paths_as_rows: bool = False,
    reading: tuple[str, ...] = (),
) -> CatalogPage:
    """One page of the courses *viewer* may see and enrol in, with the facets to filter by.

    The page is read in the catalog's order and stops after it (an index, however large the catalog).
    How many courses there are comes with the facets, and how many a search finds is counted once
    (unless page 1 shows them all) and kept the same way, until a course changes. The learning paths
    (on page 1 without filters) are plain rows with *paths_as_rows*: no ORM object to load for each.
    """
    visible = visible_courses_clause(viewer)
    params: dict[str, Any] = {"viewer_id": viewer.user_id, "reading": list(reading)}
    words = search_words(query)
    for number, word in enumerate(words):
        params[f"like_{number}"] = like_pattern(word)
    if category:
        params["category"] = category
    if tag:
        params["tag_like"] = f'%"{tag.lower()}"%'
    filters = bool(query.strip() or category or tag)
    facets = _kept(viewer, (), lambda: _facets(visible, _LISTED))
    cards, in_order = _cards_statements(visible, len(words), bool(category), bool(tag), sort)
    rows = db.session.execute(in_order, {**params, "limit": per_page, "offset": (page - 1) * per_page}).all()
    if not filters:
        total = facets.listed
    elif page == 1 and len(rows) < per_page:
        total = len(rows)
    else:
        # What the words are found in depends on the languages read, too.
        search = (" ".join(words), category, tag.lower(), *reading)
        total = _kept(viewer, search, lambda: _count(cards.subquery(), params))
    courses = [CourseCard(*row[:6]) for row in rows]
    enrollments = {
        row.id: CardEnrollment(row.enrollment_id, row.completed_at, row.progress_percent or 0)
        for row in rows
        if row.enrollment_id is not None
    }
    paths: list[tuple[Any, int]] = []
    if page == 1 and not (query or category or tag):
        listed_paths = _for_audience(_PATH_ROWS if paths_as_rows else _PATHS, visible_paths_clause(viewer))
        paths = [(path, steps) for path, steps in db.session.execute(listed_paths)]
    return CatalogPage(
        courses=courses,
        total=total,
        page=page,
        per_page=per_page,
        categories=facets.categories,
        tags=facets.tags,
        enrollments=enrollments,
        paths=paths,
    )


def _kept(viewer: Viewer, search: tuple[str, ...], count: Callable[[], Kept]) -> Kept:
    """What *count()* finds in what *viewer* may see (and *search* finds), kept per tenant and audience
    until a course changes."""
    tenant_id = context.current_tenant_id()
    if tenant_id is None:
        return count()
    # All the visibility rules look at besides the tenant's courses (not who the person is).
    sees = (viewer.group_ids, viewer.org_unit_ids, viewer.job_title)
    return facet_cache().facets(tenant_id, (sees, *search) if search else sees, count)


def _count(found: Subquery, params: dict[str, Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(found), params) or 0


def _facets(*where: ColumnElement[bool]) -> Facets:
    """The categories and the topics (tags) of the courses matching *where*, each once and sorted, and
    how many courses match.

    Found by the database in one statement, so that neither the courses nor their tags are read
    into Python, however large the catalog.
    """
    tag = _json_array_elements(Course.tags)
    categories = select(literal("category").label("facet"), Course.category.label("value")).where(
        *where, Course.category.is_not(None)
    )
    tags = select(literal("tag"), tag.c.value).select_from(Course).join(tag, true()).where(*where)
    counted = select(literal("count"), cast(func.count(), String)).select_from(Course).where(*where)
    found: dict[str, set[str]] = {"category": set(), "tag": set(), "count": set()}
    for facet, value in db.session.execute(union(categories, tags, counted)):
        if value is not None:
            found[facet].add(value)
    # Sorted here, not by ORDER BY: Python's order is the one the page always had, whatever the collation.
    return Facets(
        tuple(sorted(c for c in found["category"] if c)),
        tuple(sorted(found["tag"])),
        int(next(iter(found["count"]), 0)),
    )


def _json_array_elements(column: Any) -> Any:
    """A table of the elements of the JSON array *column* (one row each, as text, in column ``value``)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.json_array_elements_text(column).table_valued("value")
    return func.json_each(column).table_valued("value")


@dataclass(frozen=True)
class CourseSummary:
    """The little of a course My learning shows: its title and length (and its status, for paths)."""

    id: int
    title: str
    duration_minutes: int | None
    status: str
    language: str | None = None  # what it was written in: whether its title may read translated


@dataclass(frozen=True)
class EnrollmentCard:
    """One of the learner's current enrolments as My learning shows it: plain values, no ORM object."""

    id: int
    course_id: int
    status: str
    source: str
    enrolled_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    due_on: date | None
    progress_percent: int
    course: CourseSummary


@dataclass(frozen=True)
class NextInPath:
    path: LearningPath
    course: Course


# The paths through any of some courses (``course_ids``), with their steps' courses (joined: one statement
# whatever the number of paths), by title: built once.
_PATHS_THROUGH = (
    select(LearningPath)
    .where(LearningPath.steps.any(PathStep.course_id.in_(bindparam("course_ids", expanding=True))))
    .options(joinedload(LearningPath.steps).joinedload(PathStep.course, innerjoin=True))
    .order_by(LearningPath.title)
)


def next_in_paths(viewer: Viewer, course_ids: Iterable[int]) -> dict[int, list[NextInPath]]:
    """For each course, the course after it in every published path the viewer may see (one query)."""
    ids = set(course_ids)
    if not ids:
        return {}
    paths = (
        db.session.scalars(
            _for_audience(_PATHS_THROUGH, visible_paths_clause(viewer)), {"course_ids": sorted(ids)}
        )
        .unique()
        .all()
    )
    found: dict[int, list[NextInPath]] = {}
    for path in paths:
        for step, following in zip(path.steps, path.steps[1:], strict=False):
            if step.course_id in ids and following.course.status == "published":
                found.setdefault(step.course_id, []).append(NextInPath(path=path, course=following.course))
    return found
