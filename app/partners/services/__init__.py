"""The partner program: tiers and their targets, partner companies, and how each company stands."""

from __future__ import annotations

from app.partners.services.definitions import (
    MAX_RANK,
    MAX_TARGET,
    assign_tier,
    company_of,
    create_tier,
    delete_tier,
    list_companies,
    list_tiers,
    remove_company,
    target_choices,
    targets_of,
    update_tier,
)
from app.partners.services.standing import (
    CompanyStanding,
    PersonStanding,
    TargetLine,
    company_people,
    csv_lines,
    export_rows,
    holds_today,
    program,
    record_export,
    standing_of,
    targeted_certifications,
)

__all__ = [
    "MAX_RANK",
    "MAX_TARGET",
    "CompanyStanding",
    "PersonStanding",
    "TargetLine",
    "assign_tier",
    "company_of",
    "company_people",
    "create_tier",
    "csv_lines",
    "delete_tier",
    "export_rows",
    "holds_today",
    "list_companies",
    "list_tiers",
    "program",
    "record_export",
    "remove_company",
    "standing_of",
    "target_choices",
    "targeted_certifications",
    "targets_of",
    "update_tier",
]
