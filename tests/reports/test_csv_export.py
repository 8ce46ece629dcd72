"""Fast CSV exports (PostgreSQL's COPY, or Python in batches) are the very bytes the report's rows make."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import g
from flask_babel import force_locale

from app.tenancy import as_tenant

# Cells a spreadsheet would run as formulas, CSV quoting, newlines, non-ASCII text.
AWKWARD_NAMES = (
    '=HYPERLINK("http://x")',
    "+plus, and a comma",
    '-minus "quoted"',
    "@at\nnew line",
    "\ttab first",
    "\rreturn first",
    "Zoë 漢字 🎓 line\r\nbreak",
)
# Scores whose rounding to a tenth is awkward in binary: exact ties, near-ties, negatives, nothing.
AWKWARD_SCORES = (0.25, 0.35, 2.675, 66.66666666666667, 99.95, 12.05, -0.04, -0.0, 0.0, 100.0, None)
ZONE = "America/St_Johns"  # half an hour off the hour, and daylight saving time


@pytest.fixture
def awkward(bistro, db, user_factory) -> dict[str, Any]:
    """The bistro with awkward people, titles and attempts, in a portal three and a half hours behind UTC."""
    from app.accounts.models import User
    from app.assessments.models import Attempt, Quiz
    from app.learning.models import Enrollment
    from app.tenancy.models import Tenant

    tenant = bistro["tenant"]
    people = [
        user_factory(tenant, f"odd{number}@bistro.example", password=None, org_unit_id=bistro["downtown"].id)
        for number in range(len(AWKWARD_NAMES))
    ]
    with as_tenant(tenant):
        db.session.get(Tenant, tenant.id).time_zone = ZONE
        for person, name in zip(people, AWKWARD_NAMES, strict=True):
            found = db.session.get(User, person.id)
            found.full_name, found.job_title = name, "" if person is people[0] else "=cmd|' /C calc'!A0"
        db.session.get(User, people[-1].id).org_unit_id = None  # no location: an empty cell
        quiz = Quiz(title='Knives, "sharp" ones', pass_percent=50)
        db.session.add(quiz)
        db.session.flush()
        enrollment = db.session.get(Enrollment, _completed_enrollment_id(db, bistro))
        # Around the end of daylight saving time in St. John's (2026-11-01 03:30 UTC), to the second.
        start = datetime(2026, 11, 1, 2, 59, 59, tzinfo=UTC)
        for number, score in enumerate(AWKWARD_SCORES, start=1):
            person = people[number % len(people)]
            submitted = None if score is None else start + timedelta(minutes=47 * number, seconds=31)
            db.session.add(
                Attempt(
                    quiz_id=quiz.id,
                    user_id=person.id,
                    enrollment_id=enrollment.id if number == 1 else None,
                    number=number,
                    status="submitted" if submitted else "in_progress",
                    started_at=start + timedelta(minutes=47 * number),
                    submitted_at=submitted,
                    score_percent=score,
                    passed=None if score is None else score >= 50,
                )
            )
        db.session.commit()
    return {**bistro, "people": people, "quiz_id": quiz.id}


def _completed_enrollment_id(db, bistro) -> int:
    from sqlalchemy import select

    from app.learning.models import Enrollment

    return db.session.scalars(select(Enrollment.id).where(Enrollment.user_id == bistro["cara"].id)).one()


def _reference_csv(heading, rows, *, bom: bool) -> bytes:
    """The export as it was written before there was a fast path: a cell at a time, through csv_safe."""
    from app.csvcells import csv_safe
    from app.reports.exports import BOM

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write(BOM)
    for line in heading.lines():
        writer.writerow([csv_safe(value) for value in line])
    writer.writerow([csv_safe(str(column.label)) for column in heading.report.columns()])
    for row in rows:
        writer.writerow([csv_safe(value) for value in row])
    return buffer.getvalue().encode()


def _is_postgres(db) -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.mark.parametrize("key", ["completions", "certifications", "policies", "attempts", "overdue"])
def test_a_fast_csv_export_is_the_same_bytes_as_the_reports_rows(awkward, app, db, key):
    from app.compliance.status import portal_zone
    from app.csvcells import csv_safe
    from app.reports import exports
    from app.reports.csv_copy import copied_rows
    from app.reports.registry import REPORTS, Filters, Scope
    from app.tenancy.models import Tenant

    report = REPORTS[key]
    with app.test_request_context(), as_tenant(awkward["tenant"]), force_locale("es"):
        g.tenant = db.session.get(Tenant, awkward["tenant"].id)
        zone = portal_zone(g.tenant)
        assert zone == ZoneInfo(ZONE)
        heading = exports.Heading(
            report=report, filters=[], generated="2026-12-06 09:00 NST", portal="Bistro"
        )
        fast = b"".join(exports.csv_export(heading, Filters(), Scope(), zone, bom=True))
        reference = _reference_csv(heading, report.rows(Filters(), Scope(), zone), bom=True)
        # The written file of a job is the same bytes again.
        counted: list[int] = []
        path = app.instance_path + f"/test-export-{key}.csv"
        from pathlib import Path

        rows = exports.write_csv(Path(path), heading, Filters(), Scope(), zone, counted.append)
        written = Path(path).read_bytes()
        Path(path).unlink()
        # PostgreSQL writes the rows of every report that has SQL cells (not the overdue report's).
        copied = copied_rows(report, Filters(), Scope(), zone)
        assert (copied is not None) == (_is_postgres(db) and key != "overdue")
        if copied is not None:
            copied.close()
        db.session.rollback()
    assert fast == reference
    assert written == reference
    assert rows == len(list(csv.reader(io.StringIO(reference.decode()[1:])))) - 5
    if key == "attempts":
        text = reference.decode()
        people = {row[0] for row in csv.reader(io.StringIO(text[1:])) if row}
        assert {csv_safe(name) for name in AWKWARD_NAMES} <= people
        assert {'\'=HYPERLINK("http://x")', '\'-minus "quoted"', "'\ttab first", "'\rreturn first"} <= people
        assert '"Knives, ""sharp"" ones"' in text
        # 03:46:59 UTC in daylight saving time (-2:30), 04:33:59 UTC after it ended at 04:30 UTC (-3:30).
        assert ",2026-11-01 01:16," in text and ",2026-11-01 01:03," in text


def test_a_managers_fast_export_keeps_to_the_people_they_reach(bistro, client_for):
    from tests.conftest import csrf_token

    client = client_for(bistro["tenant"], bistro["manager"])
    for key, reached in (
        ("attempts", "Cara Complete"),
        ("certifications", "Cara Complete"),
        ("policies", "Ovi Overdue"),
        ("completions", "Cara Complete"),
    ):
        token = csrf_token(client, f"/reports/{key}")
        response = client.post(
            f"/reports/{key}/export", data={"csrf_token": token, "format": "csv"}, buffered=True
        )
        text = response.get_data(as_text=True)
        assert response.status_code == 200 and reached in text, key
        assert "Far Away" not in text and "far@bistro.example" not in text, key
    admin = client_for(bistro["tenant"], bistro["admin"])
    token = csrf_token(admin, "/reports/attempts")
    text = admin.post(
        "/reports/attempts/export", data={"csrf_token": token, "format": "csv"}, buffered=True
    ).get_data(as_text=True)
    assert "Far Away" in text  # the admin reaches everyone: the manager's export left Far Away out


@pytest.mark.postgres
def test_postgresql_rounds_a_score_to_a_tenth_as_python_does(app, db):
    from sqlalchemy import Float, column, select, values

    from app.reports.sql_cells import SqlCells

    scores = [
        0.25, 0.35, 0.45, 2.675, 0.05, 0.15, 1.25, -1.25, -0.04, -0.05, -0.0, 0.0, 5e-324, 1e-300,
        66.66666666666667, 99.95, 99.94999999999999, 12.05, 100.0, 123456.75, 0.1 + 0.2, 1 / 3,
        4503599627370495.5 / 2**20, 12345678901234.25, 99999999999999.95,
    ]  # fmt: skip
    table = values(column("n"), column("x", Float), name="scores").data(list(enumerate(scores)))
    cells = SqlCells("UTC", ("Yes", "No"))
    with app.test_request_context():
        rows = db.session.execute(select(table.c.n, cells.tenth(table.c.x)).order_by(table.c.n)).all()
        db.session.rollback()
    from app.csvcells import csv_safe

    assert [text for _n, text in rows] == [csv_safe(str(round(x, 1))) for x in scores]


def test_an_admins_fast_export_never_holds_another_portals_rows(
    bistro, client_for, tenant_factory, user_factory, db
):
    from app.assessments.models import Attempt, Quiz
    from tests.conftest import csrf_token

    other = tenant_factory(display_name="Other bistro")
    stranger = user_factory(other, "stranger@other.example", password=None, full_name="Sam Stranger")
    with as_tenant(other):
        quiz = Quiz(title="Their quiz", pass_percent=50)
        db.session.add(quiz)
        db.session.flush()
        db.session.add(
            Attempt(
                quiz_id=quiz.id,
                user_id=stranger.id,
                number=1,
                status="submitted",
                started_at=datetime.now(UTC),
                submitted_at=datetime.now(UTC),
                score_percent=75.0,
                passed=True,
            )
        )
        db.session.commit()
    client = client_for(bistro["tenant"], bistro["admin"])
    for key in ("attempts", "certifications", "policies", "completions"):
        token = csrf_token(client, f"/reports/{key}")
        text = client.post(
            f"/reports/{key}/export", data={"csrf_token": token, "format": "csv"}, buffered=True
        ).get_data(as_text=True)
        assert "Sam Stranger" not in text and "Their quiz" not in text, key
    assert "Cara Complete" in text


def test_a_manager_who_reaches_nobody_exports_the_headings_alone(bistro, client_for, user_factory):
    from tests.conftest import csrf_token

    alone = user_factory(bistro["tenant"], "alone@bistro.example", roles=("manager",))
    client = client_for(bistro["tenant"], alone)
    for key in ("attempts", "completions"):
        token = csrf_token(client, f"/reports/{key}")
        response = client.post(
            f"/reports/{key}/export", data={"csrf_token": token, "format": "csv"}, buffered=True
        )
        assert response.status_code == 200, key
        lines = response.get_data(as_text=True).splitlines()
        assert len(lines) == 5 and lines[4].startswith("Person,Email,Location"), (key, lines)
