"""The platform console shows each portal's usage in a month, for chargeback, and exports it as CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from unittest.mock import patch

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.certificates.models import Certificate
from app.console.usage import last_full_month
from app.learning.models import Enrollment, LessonProgress
from app.learning.services.courses import create_course
from app.policies import services as policies
from app.storage import storage
from app.tenancy import as_tenant
from app.tenancy.models import Tenant
from tests.conftest import csrf_token

IN_OCTOBER = datetime(2026, 10, 14, 9, 30, tzinfo=UTC)
IN_SEPTEMBER = datetime(2026, 9, 30, 23, 59, tzinfo=UTC)
FIRST_OF_NOVEMBER = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def platform(db):
    return db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()


@pytest.fixture
def operator_client(platform, client_for, user_factory):
    return client_for(platform, user_factory(platform, roles=("operator",), full_name="Olga Operator"))


def _furnish(db, tenant, user_factory, *, learners: int = 3) -> list[int]:
    """A portal whose people learned in October 2026 (and a little around it); the ids of its people."""
    people = [user_factory(tenant, full_name=f"Learner {n}").id for n in range(learners)]
    with as_tenant(tenant):
        course = create_course({"title": "Food safety"})
        other = create_course({"title": "Fryer basics"})
        db.session.flush()
        # 0: enrolled by an admin in October and never opened it: an enrolment, not an active learner.
        db.session.add(Enrollment(user_id=people[0], course_id=course.id, enrolled_at=IN_OCTOBER))
        # 1: enrolled themselves in October and finished in October: active, one completion.
        db.session.add(
            Enrollment(
                user_id=people[1],
                course_id=course.id,
                source="self",
                enrolled_at=IN_OCTOBER,
                started_at=IN_OCTOBER,
                completed_at=IN_OCTOBER,
                status="completed",
            )
        )
        # 2: enrolled in September, opened a lesson in October, and accepted a policy in October.
        enrolment = Enrollment(user_id=people[2], course_id=other.id, enrolled_at=IN_SEPTEMBER)
        db.session.add(enrolment)
        db.session.flush()
        lesson_id = _a_lesson(db, other)
        db.session.add(LessonProgress(enrollment_id=enrolment.id, lesson_id=lesson_id, started_at=IN_OCTOBER))
        version = policies.publish_version(policies.save_draft(policies.create_policy("Conduct"), "Be kind."))
        person = db.session.get(User, people[2])
        # Acceptances are append-only (the application role may not UPDATE them): accept "in October".
        with patch("app.policies.services.utcnow", return_value=IN_OCTOBER):
            policies.acknowledge_policy(person, version, "Learner 2", accepted=True, ip=None, user_agent=None)
        # A completion on the first moment of November is November's.
        db.session.add(
            Enrollment(
                user_id=people[0],
                course_id=other.id,
                enrolled_at=IN_SEPTEMBER,
                completed_at=FIRST_OF_NOVEMBER,
            )
        )
        for cycle, when in ((1, IN_OCTOBER), (2, FIRST_OF_NOVEMBER)):
            db.session.add(
                Certificate(
                    serial=f"S-{tenant.id}-{cycle}",
                    record_id=1,
                    cycle=cycle,
                    user_id=people[1],
                    certification_id=1,
                    holder_name="Learner 1",
                    title="Food Handler",
                    awarded_at=when,
                    created_at=when,
                )
            )
        db.session.commit()
    return people


def _a_lesson(db, course) -> int:
    from app.learning.models import Lesson

    lesson = Lesson(course_id=course.id, title="Wash your hands", kind="page", position=1)
    db.session.add(lesson)
    db.session.flush()
    return lesson.id


def _export(client, month: str):
    token = csrf_token(client, f"/console/usage?month={month}")
    return client.post("/console/usage/export.csv", data={"csrf_token": token, "month": month})


def _rows_by_slug(response) -> dict[str, list[str]]:
    return {row[2]: row for row in csv.reader(io.StringIO(response.get_data(as_text=True)))}


def test_operator_sees_each_portals_usage_for_a_month(db, operator_client, tenant_factory, user_factory):
    busy = tenant_factory(display_name="Busy Bistro")
    quiet = tenant_factory(display_name="Quiet Partners")
    _furnish(db, busy, user_factory)
    user_factory(quiet, full_name="Idle person")
    storage().save(busy.id, "lessons", b"x" * 2500, "txt")

    response = operator_client.get("/console/usage?month=2026-10")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Usage in October 2026" in page
    busy_row = page.split("Busy Bistro", 1)[1].split("</tr>", 1)[0]
    cells = [cell.split(">", 1)[1].split("<", 1)[0] for cell in busy_row.split("<td")[1:]]
    # Active: learners 1 and 2; enrolments: 2 in October; completions: 1; certificates: 1; 2.5 kB stored.
    assert cells == ["2", "2", "1", "1", "2.5 kB"]
    quiet_row = page.split("Quiet Partners", 1)[1].split("</tr>", 1)[0]
    assert [cell.split(">", 1)[1].split("<", 1)[0] for cell in quiet_row.split("<td")[1:]] == [
        "0",
        "0",
        "0",
        "0",
        "0 byte",
    ]
    assert "All portals" in page and "People who did something to learn in the month" in page

    november = _rows_by_slug(_export(operator_client, "2026-11"))[busy.slug]
    # In November: learner 0 completed a course at midnight on the 1st (active, a completion); a certificate.
    assert november[4:8] == ["1", "0", "1", "1"]


def test_the_csv_has_a_line_per_portal_a_total_and_cells_that_never_run_as_formulas(
    db, operator_client, tenant_factory, user_factory, platform
):
    busy = tenant_factory(display_name='=HYPERLINK("http://evil.example")')
    _furnish(db, busy, user_factory)
    storage().save(busy.id, "branding", b"y" * 100, "png")

    response = _export(operator_client, "2026-10")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="atrium-usage-2026-10.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == [
        "Month",
        "Portal",
        "Address",
        "Status",
        "Active learners",
        "Enrolments created",
        "Completions",
        "Certificates issued",
        "Storage used (bytes)",
    ]
    line = next(row for row in rows if row[2] == busy.slug)
    assert line == [
        "2026-10",
        '\'=HYPERLINK("http://evil.example")',
        busy.slug,
        "active",
        "2",
        "2",
        "1",
        "1",
        "100",
    ]
    total = rows[-1]
    assert total[:2] == ["2026-10", "Total"]
    for column in range(4, 9):
        assert int(total[column]) == sum(int(row[column]) for row in rows[1:-1])
    with as_tenant(platform):
        exported = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "usage.exported").order_by(AuditEvent.seq.desc())
        ).first()
    assert exported is not None and exported.after["month"] == "2026-10"
    log = operator_client.get("/admin/audit?action=usage.").get_data(as_text=True)
    assert (
        'Olga Operator</bdi> downloaded the usage of every portal for <bdi dir="auto">2026-10</bdi>.' in log
    )


def test_the_month_is_the_last_full_one_unless_chosen(operator_client):
    page = operator_client.get("/console/usage").get_data(as_text=True)
    month = last_full_month()
    assert f'value="{month}"' in page
    assert "atrium-usage" not in page  # the page offers the download as a form, not a link
    assert f'name="month" value="{month}"' in page


@pytest.mark.parametrize(
    "typed,message",
    [
        ("2026-13", "Enter a month as year and month, for example 2026-11."),
        ("last month", "Enter a month as year and month, for example 2026-11."),
        ("2999-01", "Choose a month that has begun; there is no usage in the future yet."),
    ],
)
def test_a_bad_month_is_refused_and_kept_as_typed(operator_client, typed, message):
    response = operator_client.get("/console/usage", query_string={"month": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and f'value="{typed}"' in page and 'aria-invalid="true"' in page
    assert "Usage in" not in page
    token = csrf_token(operator_client, "/console/usage")
    exported = operator_client.post("/console/usage/export.csv", data={"csrf_token": token, "month": typed})
    assert exported.status_code == 422 and message in exported.get_data(as_text=True)


def test_tenants_never_reach_the_usage_page(db, tenant_factory, user_factory, client_for, platform):
    tenant = tenant_factory()
    admin = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    assert admin.get("/console/usage").status_code == 404
    token = csrf_token(admin, "/")
    assert admin.post("/console/usage/export.csv", data={"csrf_token": token}).status_code == 404
    # A person of the platform without the usage permission is refused too.
    learner = client_for(platform, user_factory(platform, roles=("learner",)))
    assert learner.get("/console/usage").status_code == 403


def test_the_usage_page_takes_the_same_queries_for_more_portals_and_more_learning(
    db, operator_client, tenant_factory, user_factory, count_queries
):
    counts = []
    for portals in (1, 3):
        for _ in range(portals):
            _furnish(db, tenant_factory(), user_factory, learners=3 * portals)
        with count_queries() as counter:
            assert operator_client.get("/console/usage?month=2026-10").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
