"""The built-in reports, by key: one class each, with its filters, columns and rows streamed from SQL.

A report's rows come from one SELECT read ``yield_per`` rows at a time (the overdue report reads its
people in batches), so an export of any size holds one batch in memory. Every report is limited to
the people the viewer reaches (:func:`app.reports.services.scope_for`), whatever the filters say.
"""

from __future__ import annotations

from app.reports.base import Column, Filters, Report, Scope, cell
from app.reports.compliance_reports import CertificationStatus, OverdueItems, PolicyAcceptance
from app.reports.learning_reports import AssessmentAttempts, Completions, LessonDropOff

__all__ = ["REPORTS", "Column", "Filters", "Report", "Scope", "cell", "get_report"]

REPORTS: dict[str, Report] = {
    report.key: report
    for report in (
        Completions(),
        CertificationStatus(),
        PolicyAcceptance(),
        OverdueItems(),
        AssessmentAttempts(),
        LessonDropOff(),
    )
}


def get_report(key: str) -> Report | None:
    return REPORTS.get(key)
