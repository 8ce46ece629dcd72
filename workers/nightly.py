"""Periodic work: enrolment rules nightly; quiz attempts whose time ran out, every 15 minutes."""

from __future__ import annotations

import logging
from typing import Any

from app.jobs import enqueue
from app.tenancy.iteration import TenantOutcome, for_each_tenant

log = logging.getLogger(__name__)


def run_rules_everywhere() -> int:
    """Enqueue the rule run of every active tenant; return how many tenants were queued."""
    outcomes = for_each_tenant(
        lambda tenant: enqueue("app.learning.services.rules:run_all_rules", queue="default"),
        what="queueing the rule run",
    )
    return _done(outcomes, "queueing the rule run")


def close_expired_attempts_everywhere() -> int:
    """Enqueue, for every active tenant, the closing of quiz attempts whose time limit has passed.

    One tenant's failure is logged with its id and the others still run; returns how many did.
    """
    outcomes = for_each_tenant(
        lambda tenant: enqueue("app.assessments.services:close_expired_attempts", queue="default"),
        what="closing expired attempts",
    )
    return _done(outcomes, "closing expired attempts")


def _done(outcomes: list[TenantOutcome[Any]], what: str) -> int:
    failed = [outcome.tenant_id for outcome in outcomes if not outcome.ok]
    if failed:
        # Not raised: each tenant's work is committed on its own, and what the others did must be kept.
        log.error("%s failed for tenants %s; the others were done", what, failed)
    return len(outcomes) - len(failed)


def sweep_certifications_everywhere() -> int:
    """Enqueue, for every active tenant, the certification sweep (expiring, expired) and due reminders."""
    outcomes = for_each_tenant(
        lambda tenant: enqueue("app.certifications.jobs:sweep_tenant", queue="default"),
        what="the certification sweep",
    )
    return _done(outcomes, "the certification sweep")


def certification_digests_everywhere() -> int:
    """Enqueue, for every active tenant, the managers' weekly digest of expiring and expired awards."""
    outcomes = for_each_tenant(
        lambda tenant: enqueue("app.certifications.jobs:digest_tenant", queue="default"),
        what="the certification digests",
    )
    return _done(outcomes, "the certification digests")


def compliance_snapshots_everywhere() -> int:
    """Enqueue, for every active tenant, the recording of this week's compliance of each unit."""
    outcomes = for_each_tenant(
        lambda tenant: enqueue(
            "app.compliance.jobs:record_weekly_snapshots", queue="reports", job_key="compliance-snapshots"
        ),
        what="the weekly compliance snapshots",
    )
    return _done(outcomes, "the weekly compliance snapshots")


def refresh_saml_metadata_everywhere() -> int:
    """Enqueue, for every active tenant, the daily re-reading of its SAML providers' metadata addresses."""
    outcomes = for_each_tenant(
        lambda tenant: enqueue("app.identity.saml.jobs:refresh_all_metadata", queue="sync"),
        what="the SAML metadata refresh",
    )
    return _done(outcomes, "the SAML metadata refresh")
