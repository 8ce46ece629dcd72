"""Demo data of the compliance roll-up: this week's snapshots, and for bistro a made-up 12-week history."""

from __future__ import annotations

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

    A demo only: each past week is computed from the real current numbers, worse the further back it
    goes and varied deterministically per unit and week, so loading the demo twice writes the same rows.
    """
    today = portal_today()
    current = figures_by_unit(today)
    this_week = week_start(today)
    for weeks_ago in range(1, TREND_WEEKS):
        figures = {
            unit_id: _earlier(counts, weeks_ago, salt=unit_id or 0) for unit_id, counts in current.items()
        }
        store_snapshots(this_week - timedelta(weeks=weeks_ago), figures)
    record_snapshots(today)


def _earlier(now: Counts, weeks_ago: int, *, salt: int) -> Counts:
    """A plausible earlier week: fewer compliant people the further back, wobbling a little."""
    if not now.people:
        return now
    wobble = (salt * 7 + weeks_ago * 3) % 3 - 1
    compliant = now.compliant - (now.people * weeks_ago) // 20 + wobble
    compliant = max(0, min(now.people, compliant))
    out = now.people - compliant
    expired = min(now.expired, out)
    return Counts(now.people, compliant, overdue=out - expired if out else 0, expired=expired)
