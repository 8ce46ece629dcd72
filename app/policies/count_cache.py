"""The Policies pages' totals (who accepted, who has not yet), kept per process and tenant until something
they count changes.

Counting who has still to accept a policy is an anti-join over every active person the policy applies
to: some 90 ms at 100,000 people, on every view of a version's report and of the policies list, whose
rows are only fifty. The totals depend on the tenant's people (their status, groups and org units), its
policies, versions, audiences and acknowledgements alone, so each process keeps them by (tenant, what
was counted), tagged with the **policy-report generation** read before the query
(app/tenancy/generations.py, as the catalog's filters are kept).

Any commit that wrote a row of those tables moves the tenant's generation on (a person's row only when
their status or org unit changed: signing in writes it too); the rows of a report's pages are always
read live. Code that writes them with raw SQL must call ``policy_count_cache().advance(tenant_id)``
after its commit; nothing in the application does.
"""

from __future__ import annotations

from flask import Flask, current_app

from app.accounts.models import GroupMembership, OrgUnit, User
from app.policies.models import Acknowledgement, Policy, PolicyAudience, PolicyVersion
from app.tenancy.generations import GenerationCache, watch_writes

_EXTENSION = "atrium.policy_counts"
REDIS_KEY_PREFIX = "atrium:policy-report-generation:"
GENERATION_FOLDER = "policy-report-generation"


def init_app(app: Flask) -> None:
    # Made with the application, not at its first report: a process that never shows one must still move
    # the generation on for those that do.
    app.extensions[_EXTENSION] = GenerationCache(app, REDIS_KEY_PREFIX, GENERATION_FOLDER)


def policy_count_cache(app: Flask | None = None) -> GenerationCache:
    cache: GenerationCache = (app or current_app).extensions[_EXTENSION]
    return cache


watch_writes(
    _EXTENSION,
    {
        User: ("status", "org_unit_id"),
        GroupMembership: None,
        OrgUnit: None,
        Policy: None,
        PolicyVersion: None,
        PolicyAudience: None,
        Acknowledgement: None,
    },
)
