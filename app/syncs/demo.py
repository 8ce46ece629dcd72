"""The demo's HR sync: acme's HR export as a CSV source, with a preview waiting to be applied.

The preview holds one of each: a hire (enrolled by a rule once applied), a mover, a leaver and a
conflict. A BambooHR-shaped source is added by the readers' demo (``app.syncs.readers``) when it
offers one, through :func:`bamboohr_source_hook`.
"""

from __future__ import annotations

from sqlalchemy import select

from app.accounts import services as accounts
from app.extensions import db
from app.learning.models import Course, EnrollmentRule
from app.learning.services import rules
from app.syncs.models import SyncSource
from app.syncs.services import runs, sources

SOURCE_NAME = "Acme HR export (CSV)"

# What acme's HR system says today: Sam Hire is new, Lee Learner moved to Engineering, Pat Porter
# has left, and one row claims Morgan Manager's email with Avery Author's employee ID.
ACME_EXPORT = """\
employee_id,email,first_name,last_name,job_title,hire_date,location,department,manager_employee_id,status
A-1001,manager@acme.example,Morgan,Manager,Team manager,,Headquarters,Sales,,active
A-1002,learner@acme.example,Lee,Learner,Associate,,Headquarters,Engineering,A-1001,active
A-1003,pat.porter@acme.example,Pat,Porter,Mail room,,,,,terminated
A-1004,sam.hire@acme.example,Sam,Hire,Sales associate,2026-12-07,Headquarters,Sales,A-1001,active
A-1005,manager@acme.example,Avery,Author,Author,,Headquarters,Engineering,,active
"""


def _kind() -> str:
    """The readers' kind for an uploaded CSV file (``csv`` until the readers say otherwise)."""
    known = sources.kinds()
    return next((key for key in known if "csv" in key and "url" not in key), "csv")


def _people() -> None:
    """Give acme's demo people the employee IDs their HR system knows them by, and Pat, who is leaving."""
    for email, employee_id in (
        ("manager@acme.example", "A-1001"),
        ("learner@acme.example", "A-1002"),
        ("author@acme.example", "A-1005"),
    ):
        person = accounts.user_by_email(email)
        if person is not None and person.employee_id is None:
            accounts.update_user(person, employee_id=employee_id)
    if accounts.user_by_email("pat.porter@acme.example") is None:
        accounts.create_user(
            "pat.porter@acme.example", "Pat Porter", employee_id="A-1003", job_title="Mail room"
        )


def _sales_hire_rule() -> None:
    name = "Sales associates take the welcome course"
    course = db.session.scalars(select(Course).where(Course.title == "Welcome to Acme")).first()
    if (
        course is None
        or db.session.scalars(select(EnrollmentRule).where(EnrollmentRule.name == name)).first()
    ):
        return
    rules.save_rule(
        None,
        rules.RuleDraft(
            name=name,
            match="all",
            conditions=[{"field": "job_title", "op": "is", "value": "Sales associate"}],
            course=course,
            path=None,
            due_mode="after_enrolment",
            due_days=14,
            due_date=None,
        ),
    )


def acme_hr_sync() -> None:
    """acme's CSV source and a preview of today's export, waiting for an admin to apply it."""
    if db.session.scalars(select(SyncSource).where(SyncSource.name == SOURCE_NAME)).first() is not None:
        return
    _people()
    _sales_hire_rule()
    db.session.flush()
    source = sources.create_source(
        {
            "name": SOURCE_NAME,
            "kind": _kind(),
            "schedule": "off",
            "schedule_hour": "2",
            "max_deactivate_percent": "5",
            "max_change_percent": "20",
        }
    )
    db.session.flush()
    runs.start_preview(source, upload=ACME_EXPORT.encode())
    bamboohr_source_hook()


def bamboohr_source_hook() -> None:
    """Add the readers' BambooHR-shaped demo source, when the readers offer one (``demo_sources()``)."""
    module = sources.readers()
    make = getattr(module, "demo_sources", None) if module is not None else None
    if make is not None:
        make()
