"""HR sync fixtures: a CSV source (the real "csv" kind) previewed with uploaded text, and runs of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.syncs.services import runs, sources
from app.tenancy import as_tenant

HEADER = ",".join(
    [
        "employee_id",
        "email",
        "first_name",
        "last_name",
        "job_title",
        "hire_date",
        "location",
        "department",
        "manager_employee_id",
        "status",
    ]
)


def csv_of(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


@pytest.fixture
def make_source(db: Any) -> Callable[..., Any]:
    def make(tenant: Any, **values: Any) -> Any:
        with as_tenant(tenant):
            source = sources.create_source(
                {
                    "name": values.pop("name", "HR export"),
                    "kind": "csv",
                    "schedule": "off",
                    "schedule_hour": "2",
                    "max_deactivate_percent": "5",
                    "max_change_percent": "20",
                    **values,
                }
            )
            db.session.commit()
            return source

    return make


def preview(db: Any, tenant: Any, source: Any, upload: bytes, trigger: str = "manual") -> Any:
    """Preview *upload* as a run of *source* (inline: no Redis in tests) and return the run."""
    with as_tenant(tenant):
        source = db.session.merge(source)
        run = runs.start_preview(source, upload=upload, trigger=trigger)
        db.session.commit()
        return run


def apply(db: Any, tenant: Any, run: Any) -> Any:
    with as_tenant(tenant):
        run = db.session.merge(run)
        run = runs.start_apply(run)
        db.session.commit()
        return run
