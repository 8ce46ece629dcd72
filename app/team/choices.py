"""The assign form's courses and learning paths, kept per process and tenant while the catalog is unchanged.

Every visit of My team offers the first published courses and learning paths by title: two statements
and the escaping of a hundred titles, the same for every manager of a tenant until a course or path
changes. So the unsearched list is kept, as its ``<option>`` markup, under the tenant's **catalog
generation** (:mod:`app.learning.services.facet_cache`, read before the queries): a commit that wrote
a course, an audience or a learning path moves it on, in every process. Entries are never used more
than ``MAX_AGE_SECONDS`` after they were read.
A search (``course_q``) is read each time: what managers type hardly repeats.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import func, select

from app.extensions import db
from app.inputs import like_pattern
from app.learning.models import Course, LearningPath
from app.learning.services.facet_cache import facet_cache
from app.tenancy import context

#: Courses offered at once in the assign form; a search narrows them (a tenant may publish thousands).
ASSIGN_CHOICES = 50
MAX_AGE_SECONDS = 300.0
_EXTENSION = "atrium.team_choices"


@dataclass(frozen=True)
class Choices:
    """The assign form's options: kept and shared between requests, so immutable."""

    courses: Markup  # an <option> per published course, by title
    paths: Markup  # an <option> per published learning path, by title
    more_courses: bool  # more courses match than are offered


#: What a manager who may not assign is offered (the form is not shown).
NO_CHOICES = Choices(Markup(""), Markup(""), False)


def _title_contains(column: Any, query: str) -> Any:
    """A WHERE clause: *column* contains *query* in any case ("%" and "_" are letters, not wildcards)."""
    return func.lower(column).like(like_pattern(query.lower()), escape="\\")


def _read(query: str) -> Choices:
    """Published courses and learning paths whose title contains *query*, as options (two statements)."""
    courses = select(Course.id, Course.title).where(Course.status == "published")
    paths = select(LearningPath.id, LearningPath.title).where(LearningPath.status == "published")
    if query:
        courses = courses.where(_title_contains(Course.title, query))
        paths = paths.where(_title_contains(LearningPath.title, query))
    found = db.session.execute(courses.order_by(Course.title, Course.id).limit(ASSIGN_CHOICES + 1)).all()
    shown = db.session.execute(paths.order_by(LearningPath.title, LearningPath.id).limit(ASSIGN_CHOICES))
    course_options = "".join(
        f'<option dir="auto" value="{int(i)}">{escape(t)}</option>' for i, t in found[:ASSIGN_CHOICES]
    )
    path_options = "".join(f'<option dir="auto" value="path:{int(i)}">{escape(t)}</option>' for i, t in shown)
    # Markup: the ids are whole numbers and the titles escaped above.
    return Choices(Markup(course_options), Markup(path_options), len(found) > ASSIGN_CHOICES)  # noqa: S704


def assign_choices(query: str) -> Choices:
    """The courses and learning paths the assign form offers for *query* ("": the first by title)."""
    tenant_id = context.current_tenant_id()
    if query or tenant_id is None:
        return _read(query)
    cache: dict[int, tuple[Hashable, float, Choices]] = current_app.extensions.setdefault(_EXTENSION, {})
    generation = facet_cache().generations.read(tenant_id)  # before the queries: a change after is seen next
    if generation is None:
        return _read(query)
    now = time.monotonic()
    entry = cache.get(tenant_id)
    if entry is not None and entry[0] == generation and now - entry[1] < MAX_AGE_SECONDS:
        return entry[2]
    choices = _read(query)
    with _lock:
        cache[tenant_id] = (generation, now, choices)
    return choices


_lock = threading.Lock()
