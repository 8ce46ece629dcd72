"""Demo data of the compliance roll-up: this week's snapshots, and for bistro a made-up 12-week history."""

from __future__ import annotations

import math
from datetime import timedelta

from app.compliance.rollup import (
    TREND_WEEKS,
    Counts,
    figures_by_unit,
    record_snapshots,
    store_snapshots,
    week_start,
)
from app.compliance.status import portal_today


def record_this_week() -> None:
    """Record this week's compliance of every unit of the tenant in context, as the Monday job does."""
    record_snapshots()


def bistro_history() -> None:
    """Backfill the weeks before this one, so that the roll-up's trend has something to show.

    A demo only: each past week is computed from the real current numbers, fewer people compliant the
    further back it goes (a rollout that took hold over the quarter), so every line rises to today's
    value; deterministic, so loading the demo twice writes the same rows.
    """
    today = portal_today()
    current = figures_by_unit(today)
    this_week = week_start(today)
    for weeks_ago in range(1, TREND_WEEKS):
        figures = {unit_id: _earlier(counts, weeks_ago) for unit_id, counts in current.items()}
        store_snapshots(this_week - timedelta(weeks=weeks_ago), figures)
    record_snapshots(today)


#: How much of today's compliance the oldest week of the trend had lost: a line from 30% of today's up.
_OLDEST_SHARE_LOST = 0.7


def _earlier(now: Counts, weeks_ago: int) -> Counts:
    """A plausible earlier week: fewer compliant people the further back, never more than the week after."""
    if not now.people:
        return now
    lost = math.ceil(now.compliant * _OLDEST_SHARE_LOST * weeks_ago / (TREND_WEEKS - 1))
    compliant = max(0, now.compliant - lost)
    out = now.people - compliant
    expired = min(now.expired, out)
    return Counts(now.people, compliant, overdue=out - expired, expired=expired)
