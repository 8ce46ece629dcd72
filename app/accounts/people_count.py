"""How many people Admin → People lists (everyone, or everyone of one status), kept per process and tenant
until a person is added or removed or their status changes.

The list shows 25 people a page, read by name through an index, and above them how many there are: a count
of every person of the tenant, some 15 ms at 100,000 people on every view, twice the rest of the page's
SQL together. That total depends only on the tenant's people rows and their status, so each process keeps
it by (tenant, status filter), tagged with the **people generation** read before the query, as the
catalog's filters and the Policies report's totals are kept (app/tenancy/generations.py,
docs/decisions/0013). Any commit that adds or removes a person or changes someone's status moves the
tenant's generation on, in every process (Redis when ``REDIS_URL`` is set, else files of the instance
folder); signing in, or editing a name, does not. A search's total is always counted live: it depends on
the names, emails and titles typed. Code that writes people with raw SQL must call
``people_count_cache().advance(tenant_id)`` after its commit; nothing in the application does.
"""

from __future__ import annotations

from flask import Flask, current_app

from app.accounts.models import User
from app.tenancy.generations import GenerationCache, watch_writes

_EXTENSION = "atrium.people_counts"
REDIS_KEY_PREFIX = "atrium:people-generation:"
GENERATION_FOLDER = "people-generation"


def init_app(app: Flask) -> None:
    # Made with the application, not at the first People page: a process that never shows it must still
    # move the generation on for those that do.
    app.extensions[_EXTENSION] = GenerationCache(app, REDIS_KEY_PREFIX, GENERATION_FOLDER)


def people_count_cache(app: Flask | None = None) -> GenerationCache:
    cache: GenerationCache = (app or current_app).extensions[_EXTENSION]
    return cache


watch_writes(_EXTENSION, {User: ("status",)})
