"""The catalog's search looks in a course's title and description as the learner reads them: translated.

A Spanish learner reads "Seguridad alimentaria" where the course was written as "Food Safety Basics"; typing
"seguridad" must find it. The catalog (app/learning/services/catalog.py) cannot import this package, which
imports its models, so its search is told here where else to look: the course's translations into the
languages the learner reads (bound as ``reading``: their own, then the portal's), each word matched
against the translated title and description. A translation written or changed moves the catalog's
generation on, so a search's kept total counts it at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, or_, select

from app.learning.models import Course
from app.learning.services import facet_cache
from app.learning.services.catalog import also_search
from app.multilingual.models import ContentTranslation

_READING: Any = bindparam("reading", expanding=True)


def translated_course_holds(like: Any) -> ColumnElement[bool]:
    """A course whose title or description, translated into a language the reader reads, is *like*."""
    title = func.lower(ContentTranslation.fields["title"].as_string())
    description = func.lower(ContentTranslation.fields["description"].as_string())
    return Course.id.in_(
        select(ContentTranslation.item_id).where(
            ContentTranslation.kind == "course",
            ContentTranslation.locale.in_(_READING),
            or_(title.like(like, escape="\\"), description.like(like, escape="\\")),
        )
    )


also_search(translated_course_holds)
facet_cache.also_watch({ContentTranslation: ("fields",)})
