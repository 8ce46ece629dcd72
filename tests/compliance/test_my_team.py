"""My team is the compliance dashboard: assign from it, extend a path's due date, see what is not started."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.accounts.services import create_org_unit
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _row(page: str, name: str) -> str:
    start = page.index(f"<bdi>{name}</bdi></a>")
    return page[page.rindex("<tr", 0, start) :].split("</tr>", 1)[0]


def _names(page: str) -> list[str]:
    return re.findall(r'data-label="Person"><a href="[^"]+"><bdi>([^<]+)</bdi>', page)


def _path(db: Any, tenant: Any, course: Any, title: str = "Line cook path") -> Any:
    from app.learning.services import courses as authoring

    with as_tenant(tenant):
        path = authoring.create_path({"title": title, "self_enroll": True})
        authoring.set_path_courses(path, [course.id])
        authoring.set_path_status(path, "published")
        db.session.commit()
    return path


def _downtown(db: Any, tenant_factory: Any, user_factory: Any) -> dict[str, Any]:
    tenant = tenant_factory()
    with as_tenant(tenant):
        downtown = create_org_unit("Downtown", "location")
        airport = create_org_unit("Airport", "location")
        db.session.commit()
    manager = user_factory(
        tenant, "manager@bistro.example", roles=("manager",), full_name="Mo Manager", org_unit_id=downtown.id
    )
    cook = user_factory(tenant, full_name="Cody Cook", job_title="Cook", org_unit_id=downtown.id)
    host = user_factory(tenant, full_name="Hana Host", job_title="Host", org_unit_id=downtown.id)
    far = user_factory(tenant, full_name="Far Away", job_title="Cook", org_unit_id=airport.id)
    return {
        "tenant": tenant,
        "downtown": downtown,
        "airport": airport,
        "manager": manager,
        "cook": cook,
        "host": host,
        "far": far,
    }


def test_a_manager_assigns_a_course_or_a_path_to_several_people_from_the_dashboard(
    db, tenant_factory, user_factory, course_factory, client_for
):
    from app.learning.models import Enrollment, PathEnrollment

    bistro = _downtown(db, tenant_factory, user_factory)
    tenant = bistro["tenant"]
    grill = course_factory(tenant, "Grill basics")
    path = _path(db, tenant, grill)
    client = client_for(tenant, bistro["manager"])
    page = client.get("/team/").get_data(as_text=True)
    # Each line has a checkbox that belongs to the assign form below the list; paths are offered too.
    assert page.count('form="assign-form"') == 2 and 'id="assign-form"' in page
    assert f'<option dir="auto" value="path:{path.id}">Line cook path</option>' in page
    token = csrf_token(client, "/team/")
    due = (date.today() + timedelta(days=20)).isoformat()
    people = [str(bistro["cook"].id), str(bistro["host"].id)]
    response = client.post(
        "/team/assign",
        data={
            "csrf_token": token,
            "people": people,
            "course_id": f"path:{path.id}",
            "due_mode": "fixed",
            "due_date": due,
        },
        follow_redirects=True,
    )
    assert "“Line cook path” assigned: 2 new, 0 already enrolled." in response.get_data(as_text=True)
    with as_tenant(tenant):
        dated = db.session.scalars(
            select(PathEnrollment.due_on).where(PathEnrollment.path_id == path.id)
        ).all()
    assert dated == [date.fromisoformat(due)] * 2
    # The path is now on both lines, due in three weeks (not due soon yet: not started).
    after = client.get("/team/").get_data(as_text=True)
    assert "<strong>Not started</strong>: <bdi>Line cook path</bdi>" in _row(after, "Hana Host")
    # A course, to one person.
    knives = course_factory(tenant, "Knife skills")
    client.post(
        "/team/assign",
        data={
            "csrf_token": token,
            "people": [str(bistro["cook"].id)],
            "course_id": str(knives.id),
            "due_mode": "none",
        },
    )
    with as_tenant(tenant):
        assert db.session.scalars(
            select(Enrollment.user_id).where(
                Enrollment.course_id == knives.id, Enrollment.source == "manager"
            )
        ).all() == [bistro["cook"].id]
    # Someone at Airport is outside the manager's reach: refused, and nobody is enrolled.
    refused = client.post(
        "/team/assign",
        data={"csrf_token": token, "people": [str(bistro["far"].id)], "course_id": f"path:{path.id}"},
    )
    assert refused.status_code == 404
    with as_tenant(tenant):
        assert (
            db.session.scalars(select(PathEnrollment).where(PathEnrollment.user_id == bistro["far"].id)).all()
            == []
        )
    # A path that is not published cannot be assigned by posting its id.
    draft = _path(db, tenant, grill, "Unfinished path")
    with as_tenant(tenant):
        from app.learning.models import LearningPath

        db.session.get(LearningPath, draft.id).status = "draft"
        db.session.commit()
    nope = client.post(
        "/team/assign",
        data={"csrf_token": token, "people": people, "course_id": f"path:{draft.id}"},
        follow_redirects=True,
    )
    assert "Choose a course to assign." in nope.get_data(as_text=True)


def _path_enrolment(db: Any, tenant: Any, person: Any, path: Any, due_on: date | None) -> Any:
    from app.learning.services.enrollments import enrol_in_path

    with as_tenant(tenant):
        path_enrollment, _new = enrol_in_path(db.session.merge(person), db.session.merge(path), due_on=due_on)
        db.session.commit()
        return path_enrollment


def test_extending_a_paths_due_date_is_validated_kept_and_audited(
    db, tenant_factory, user_factory, course_factory, client_for
):
    from app.learning.models import PathEnrollment

    bistro = _downtown(db, tenant_factory, user_factory)
    tenant = bistro["tenant"]
    path = _path(db, tenant, course_factory(tenant, "Grill basics"))
    before = date.today() - timedelta(days=3)
    late = _path_enrolment(db, tenant, bistro["cook"], path, before)
    cook_id = bistro["cook"].id
    client = client_for(tenant, bistro["manager"])
    address = f"/team/compliance/path-enrollments/{late.id}/due-date"
    page = client.get("/team/").get_data(as_text=True)
    row = _row(page, "Cody Cook")
    assert "<strong>Overdue</strong>: <bdi>Line cook path</bdi>" in row and f'href="{address}"' in row
    form = client.get(address).get_data(as_text=True)
    assert f'value="{before.isoformat()}"' in form and "Learning path" in form
    token = csrf_token(client, address)
    later = (date.today() + timedelta(days=10)).isoformat()
    for data, message, kept in [
        (
            {"due_on": "soon-ish", "reason": "Training kitchen closed"},
            "Enter the new due date as YYYY-MM-DD.",
            'value="soon-ish"',
        ),
        ({"due_on": later, "reason": " "}, "Say why the due date moves.", f'value="{later}"'),
        (
            {"due_on": "", "reason": "Training kitchen closed"},
            "Enter the new due date.",
            "Training kitchen closed</textarea>",
        ),
    ]:
        refused = client.post(address, data={"csrf_token": token, **data})
        text = refused.get_data(as_text=True)
        assert refused.status_code == 422 and message in text and kept in text, message
    with as_tenant(tenant):
        assert db.session.get(PathEnrollment, late.id).due_on == before
    moved = client.post(
        address, data={"csrf_token": token, "due_on": later, "reason": "Training kitchen closed"}
    )
    assert moved.status_code == 302 and moved.headers["Location"] == "/team/"
    after = client.get("/team/").get_data(as_text=True)
    assert f"Line cook path is now due on {later} for Cody Cook." in after
    assert "<strong>Due soon</strong>: <bdi>Line cook path</bdi>" in _row(after, "Cody Cook")
    with as_tenant(tenant):
        db.session.expire_all()
        assert db.session.get(PathEnrollment, late.id).due_on == date.fromisoformat(later)
    # The person's learning record shows the path with its new due date and when they were enrolled.
    record = client.get(f"/team/people/{cook_id}").get_data(as_text=True)
    path_row = _text(record[record.index("Learning paths of Cody Cook") :].split("</tr>", 2)[1])
    assert "Line cook path" in path_row and "in progress" in path_row and "Enrolled" not in path_row
    assert re.search(r"Due \w+ \d+, \d{4}", path_row)  # the new due date, ten days away
    admin = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    log = " ".join(_text(admin.get("/admin/audit").get_data(as_text=True)).split())
    assert (
        f"Mo Manager moved Cody Cook's due date for the path Line cook path from {before} to {later}: "
        "Training kitchen closed" in log
    )
    # Outside the manager's reach: not found, and the date stays.
    far = _path_enrolment(db, tenant, bistro["far"], path, before)
    far_address = f"/team/compliance/path-enrollments/{far.id}/due-date"
    assert client.get(far_address).status_code == 404
    data = {"csrf_token": token, "due_on": later, "reason": "No"}
    assert client.post(far_address, data=data).status_code == 404
    with as_tenant(tenant):
        assert db.session.get(PathEnrollment, far.id).due_on == before


def _certification(
    db: Any, tenant: Any, title: str, visibility: str, audiences: list[tuple[str, str]]
) -> Any:
    from app.certifications.models import Certification, CertificationAudience

    with as_tenant(tenant):
        cert = Certification(
            title=title, status="published", validity="months", validity_months=12, visibility=visibility
        )
        db.session.add(cert)
        db.session.flush()
        for kind, value in audiences:
            db.session.add(CertificationAudience(certification_id=cert.id, kind=kind, value=value))
        db.session.commit()
        return cert


def test_a_certification_that_applies_but_was_never_started_shows_as_not_started(
    db, tenant_factory, user_factory, course_factory, certify, client_for
):
    bistro = _downtown(db, tenant_factory, user_factory)
    tenant = bistro["tenant"]
    _certification(db, tenant, "Grill safety", "restricted", [("job_title", "cook")])
    _certification(db, tenant, "Downtown opener", "restricted", [("org_unit", str(bistro["downtown"].id))])
    _certification(db, tenant, "Airport badge", "restricted", [("org_unit", str(bistro["airport"].id))])
    _certification(db, tenant, "Hand-picked", "nobody", [])
    # The host already holds a certification everyone needs: it shows as done, never as not started too.
    everyone = _certification(db, tenant, "Food handler", "everyone", [])
    certify_existing(db, tenant, bistro["host"], everyone)
    client = client_for(tenant, bistro["manager"])
    page = client.get("/team/").get_data(as_text=True)
    cook = _row(page, "Cody Cook")
    for title in ("Grill safety", "Downtown opener", "Food handler"):
        assert f"<strong>Not started</strong>: <bdi>{title}</bdi>" in cook, title
    assert "Airport badge" not in cook and "Hand-picked" not in cook
    host = _row(page, "Hana Host")
    assert "Grill safety" not in host and "<strong>Not started</strong>: <bdi>Downtown opener</bdi>" in host
    assert "Food handler" not in host and "1 item done" in host
    # The item filter offers them, and the person's page lists them.
    narrowed = client.get("/team/?item=certification:Grill safety&status=not_started").get_data(as_text=True)
    assert _names(narrowed) == ["Cody Cook"]
    person = _text(client.get(f"/team/people/{bistro['cook'].id}").get_data(as_text=True))
    assert re.search(r"Grill safety\s*○ Not started", person)


def certify_existing(db: Any, tenant: Any, person: Any, cert: Any) -> None:
    from app.certifications.models import CertificationRecord

    with as_tenant(tenant):
        db.session.add(
            CertificationRecord(
                certification_id=cert.id,
                user_id=person.id,
                state="certified",
                cycle=1,
                expires_at=datetime.now(UTC) + timedelta(days=300),
                grace_until=datetime.now(UTC) + timedelta(days=300),
                awarded_at=datetime(2026, 1, 1),
            )
        )
        db.session.commit()


def test_my_team_takes_the_same_number_of_queries_with_paths_groups_and_audiences_at_two_sizes(
    db, tenant_factory, user_factory, course_factory, client_for, count_queries
):
    from app.accounts.models import Group, GroupMembership

    counts = []
    for size in (3, 21):
        tenant = tenant_factory()
        with as_tenant(tenant):
            store = create_org_unit("Store", "location")
            group = Group(name="Openers")
            db.session.add(group)
            db.session.commit()
        manager = user_factory(tenant, roles=("manager",), full_name="Mo Manager", org_unit_id=store.id)
        course = course_factory(tenant, "Station", checkpoint=True)
        path = _path(db, tenant, course)
        for number in range(size):
            person = user_factory(
                tenant, full_name=f"Cook {number:02d}", job_title="Cook", org_unit_id=store.id, password=None
            )
            _path_enrolment(db, tenant, person, path, date.today() + timedelta(days=number % 20 - 5))
            with as_tenant(tenant):
                db.session.add(GroupMembership(group_id=group.id, user_id=person.id))
                db.session.commit()
        # Published after the people joined, so nobody has started them yet.
        _certification(
            db, tenant, "Grill safety", "restricted", [("job_title", "cook"), ("group", str(group.id))]
        )
        _certification(db, tenant, "Store opener", "restricted", [("org_unit", str(store.id))])
        client = client_for(tenant, manager)
        client.get("/team/")
        with count_queries() as counter:
            page = client.get("/team/").get_data(as_text=True)
        assert len(_names(page)) == size
        # Each line shows the three most urgent items; the item filter puts the one asked for first.
        narrowed = client.get("/team/?item=store OPENER").get_data(as_text=True)
        assert narrowed.count("<strong>Not started</strong>: <bdi>Store opener</bdi>") == size
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
