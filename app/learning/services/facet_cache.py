"""The catalog's filters (categories and topics) and how many courses it lists or a search finds, kept
per process and tenant until a course changes.

Counting the filters and the courses reads every visible course of the tenant (their categories and
JSON tags, a search their descriptions) on every catalog page, search and htmx swap: the biggest part
of the catalog's work as catalogs grow.
What a person's filters are depends only on the tenant's courses and audiences and on what the
visibility rules look at (their groups, org-unit ancestry and job title), so each process keeps
them by (tenant, those three), tagged with the **catalog generation** read before the query, as
the tenant cache does (app/tenancy/cache.py, docs/decisions/0010).

A generation is two counters, the tenant's own and one for every tenant: any commit that wrote a
``courses`` or ``course_audiences`` row moves the tenant's on after the commit (a bulk ORM
``UPDATE``/``DELETE`` of them too: the tenant in context's, or the all-tenants one when unscoped).
The counters live where the tenant generation does: Redis keys when ``REDIS_URL`` is set, else
files of the instance folder (``instance/catalog-generation/<tenant id>`` and ``.../all``), so
every process sees a change at its next catalog page. Entries are never used more than
``MAX_AGE_SECONDS`` after they were read (the machinery is app/tenancy/generations.py's). Code that
writes courses with raw SQL must call ``facet_cache().advance(tenant_id)`` after its commit; nothing in
the application does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import NamedTuple, TypeVar

from flask import Flask, current_app

from app.learning.models import Audience, Course, LearningPath
from app.tenancy.generations import GenerationCache, watch_writes

_EXTENSION = "atrium.catalog_facets"
REDIS_KEY_PREFIX = "atrium:catalog-generation:"
GENERATION_FOLDER = "catalog-generation"


class Facets(NamedTuple):
    """What the catalog offers to filter by, and how many courses it lists unfiltered: kept, so immutable."""

    categories: tuple[str, ...]
    tags: tuple[str, ...]
    listed: int


#: What the cache keeps: an audience's filters, or how many courses a search finds.
Kept = TypeVar("Kept", Facets, int)


class FacetCache(GenerationCache):
    """One process's catalog filters by tenant and what the visibility rules look at."""

    def __init__(self, app: Flask) -> None:
        super().__init__(app, REDIS_KEY_PREFIX, GENERATION_FOLDER)

    def facets(self, tenant_id: int, key: Hashable, count: Callable[[], Kept]) -> Kept:
        """What *count()* finds for *key* in *tenant_id* (the filters of an audience, or how many courses
        a search finds): kept while the catalog is unchanged."""
        return self.get(tenant_id, key, count)


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = FacetCache(app)


def also_watch(classes: Mapping[type, tuple[str, ...] | None]) -> None:
    """Writes of *classes* change what the catalog counts too (a course's translations, which its search
    looks in): they move the generation on as well. Called once a process, at import."""
    watch_writes(_EXTENSION, classes)


def facet_cache(app: Flask | None = None) -> FacetCache:
    cache: FacetCache = (app or current_app).extensions[_EXTENSION]
    return cache


# What moves the generation on: the catalog's courses and audiences, and the learning paths My team's assign
# form offers beside them (app/team/choices.py keeps its options under this generation too).
watch_writes(_EXTENSION, {Course: None, Audience: None, LearningPath: None})
