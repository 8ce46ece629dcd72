"""The demo's HR sync: acme's HR export as a CSV source, with a preview waiting to be applied.

The preview holds one of each: a hire (enrolled by a rule once applied), a mover, a leaver and a
conflict. acme also gets a BambooHR source reading the demo HR API (``scripts/demo_hr_api.py``,
which ``make run`` starts on port 8091); nothing reads it at demo time, "Preview now" does.
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
BAMBOOHR_NAME = "Acme BambooHR"
DEMO_HR_API = "http://127.0.0.1:8091"
DEMO_HR_KEY = "demo-hr-key"  # scripts/demo_hr_api.py's documented key
# What the BambooHR reader yields for its custom report, field by field.
BAMBOOHR_MAPPING = {
    "source_id": "id",
    "employee_id": "employeeNumber",
    "email": "workEmail",
    "first_name": "firstName",
    "last_name": "lastName",
    "full_name": "",
    "job_title": "jobTitle",
    "hire_date": "hireDate",
    "location": "location",
    "department": "department",
    "manager_employee_id": "supervisorId",
    "status": "status",
    "attributes": {"division": "division"},
}

# What acme's HR system says today: Sam Hire is new, Lee Learner moved to Engineering, Pat Porter
# has left, and one row claims Morgan Manager's email with Avery Author's employee ID.
ACME_EXPORT = """\
employee_id,email,first_name,last_name,job_title,hire_date,location,department,manager_employee_id,status
E1002,manager@acme.example,Morgan,Manager,Team manager,,Headquarters,Sales,,active
E1003,learner@acme.example,Lee,Learner,Associate,,Headquarters,Engineering,E1002,active
E1010,pat.porter@acme.example,Pat,Porter,Mail room,,,,,terminated
E1011,sam.hire@acme.example,Sam,Hire,Sales associate,2026-12-07,Headquarters,Sales,E1002,active
E1005,manager@acme.example,Avery,Author,Author,,Headquarters,Engineering,,active
"""


def _people() -> None:
    """Give acme's demo people the employee IDs their HR system knows them by, and Pat, who is leaving."""
    for email, employee_id in (
        ("manager@acme.example", "E1002"),
        ("learner@acme.example", "E1003"),
        ("author@acme.example", "E1005"),
    ):
        person = accounts.user_by_email(email)
        if person is not None and person.employee_id is None:
            accounts.update_user(person, employee_id=employee_id)
    if accounts.user_by_email("pat.porter@acme.example") is None:
        accounts.create_user(
            "pat.porter@acme.example", "Pat Porter", employee_id="E1010", job_title="Mail room"
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
            "kind": "csv",
            "schedule": "off",
            "schedule_hour": "2",
            "max_deactivate_percent": "5",
            "max_change_percent": "20",
        }
    )
    db.session.flush()
    # Previewed here, not on the sync queue: `flask demo` leaves the preview ready, worker or not.
    runs.start_preview(source, upload=ACME_EXPORT.encode(), now=True)
    acme_bamboohr_source()


def acme_bamboohr_source() -> None:
    """acme's BambooHR source, read daily from the demo HR API; no run is started here."""
    if db.session.scalars(select(SyncSource).where(SyncSource.name == BAMBOOHR_NAME)).first() is not None:
        return
    sources.create_source(
        {
            "name": BAMBOOHR_NAME,
            "kind": "bamboohr",
            "config": {"company_domain": "acme", "report": "custom", "base_url": DEMO_HR_API},
            "mapping": BAMBOOHR_MAPPING,
            "terminated_values": "Inactive",
            "schedule": "daily",
            "schedule_hour": "2",
            "max_deactivate_percent": "5",
            "max_change_percent": "20",
        },
        secret=DEMO_HR_KEY,
    )
