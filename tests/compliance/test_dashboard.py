"""The compliance dashboard: a location manager's people, worst first, filtered, and acted on."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.accounts.services import create_org_unit, create_user
from app.tenancy import as_tenant
from tests.conftest import csrf_token

DASHBOARD = "/team/"


def _bistro(db: Any, tenant_factory: Any, user_factory: Any, course_factory: Any, enrol: Any, certify: Any):
    """Two locations; the Downtown manager; an overdue cook, an expiring server, a compliant host, a crew
    member without email, and an overdue cook at Airport the manager must never see."""
    tenant = tenant_factory()
    with as_tenant(tenant):
        downtown = create_org_unit("Downtown", "location")
        airport = create_org_unit("Airport", "location")
        db.session.commit()
    manager = user_factory(tenant, "manager@bistro.example", roles=("manager",), full_name="Mo Manager")
    with as_tenant(tenant):
        db.session.merge(manager).org_unit_id = downtown.id
        db.session.commit()
    today = date.today()
    allergens = course_factory(tenant, "Allergens")
    ovi = user_factory(
        tenant, "ovi@bistro.example", full_name="Ovi Overdue", job_title="Cook", org_unit_id=downtown.id
    )
    enrollment = enrol(tenant, ovi, allergens, due_on=today - timedelta(days=2))
    eve = user_factory(
        tenant, "eve@bistro.example", full_name="Eve Expiring", job_title="Server", org_unit_id=downtown.id
    )
    certify(tenant, eve, "Food handler", "certified", expires_at=datetime.now(UTC) + timedelta(days=5))
    cam = user_factory(
        tenant, "cam@bistro.example", full_name="Cam Compliant", job_title="Host", org_unit_id=downtown.id
    )
    enrol(tenant, cam, allergens, due_on=today + timedelta(days=60))
    with as_tenant(tenant):
        sam = create_user(None, "Sam Crew", employee_id="E100", org_unit_id=downtown.id)
        db.session.commit()
    enrol(tenant, sam, allergens, due_on=today - timedelta(days=1))
    far = user_factory(
        tenant, "far@bistro.example", full_name="Far Away", job_title="Cook", org_unit_id=airport.id
    )
    enrol(tenant, far, allergens, due_on=today - timedelta(days=9))
    return {
        "tenant": tenant,
        "manager": manager,
        "downtown": downtown,
        "airport": airport,
        "ovi": ovi,
        "eve": eve,
        "cam": cam,
        "sam": sam,
        "far": far,
        "enrollment": enrollment,
    }


def _row(page: str, name: str) -> str:
    """The dashboard's table row of the person called *name*."""
    start = page.index(f"<bdi>{name}</bdi></a>")
    return page[page.rindex("<tr", 0, start) :].split("</tr>", 1)[0]


def _text(page: str) -> str:
    """What a person reads on *page*: no tags, no entities."""
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _names(page: str) -> list[str]:
    return re.findall(
        r'<tr id="person-\d+">\s*(?:<td data-label="Select">.*?</td>\s*)?'
        r'<td data-label="Person"><a href="[^"]+"><bdi>([^<]+)</bdi>',
        page,
    )


def test_a_location_manager_sees_only_their_people_worst_first_with_counts(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for
):
    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    client = client_for(bistro["tenant"], bistro["manager"])
    page = client.get(DASHBOARD).get_data(as_text=True)
    # Out of compliance first (by name), then expiring, then the compliant; never Airport's cook.
    assert _names(page) == ["Ovi Overdue", "Sam Crew", "Eve Expiring", "Cam Compliant"]
    assert "Far Away" not in page
    assert "<strong>50%</strong> compliant" in page and "2 of 4 people" in page
    assert re.search(r'<strong class="text-danger">2</strong> with overdue items', page)
    assert "<strong>1</strong> with certifications expiring" in page
    row = _row(page, "Ovi Overdue")
    # Not colour alone: the status in words, with an icon screen readers skip.
    assert '<span aria-hidden="true">⚠</span> <strong>Overdue</strong>: <bdi>Allergens</bdi>' in row
    assert "Not compliant" in row
    eve = _row(page, "Eve Expiring")
    assert "<strong>Expiring</strong>: <bdi>Food handler</bdi>" in eve and "Compliant" in eve
    # The old address of the dashboard is My team now: bookmarks keep their filters.
    moved = client.get("/team/compliance/?status=overdue&job_title=Cook")
    assert moved.status_code == 301 and moved.headers["Location"] == "/team/?status=overdue&job_title=Cook"
    assert client.get("/team/compliance/").headers["Location"] == "/team/"


def test_filters_narrow_the_list_without_javascript_and_htmx_gets_only_the_list(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for
):
    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    client = client_for(bistro["tenant"], bistro["manager"])
    assert _names(client.get(f"{DASHBOARD}?job_title=cook").get_data(as_text=True)) == ["Ovi Overdue"]
    assert _names(client.get(f"{DASHBOARD}?status=expiring").get_data(as_text=True)) == ["Eve Expiring"]
    assert _names(client.get(f"{DASHBOARD}?status=not_compliant").get_data(as_text=True)) == [
        "Ovi Overdue",
        "Sam Crew",
    ]
    by_item = client.get(f"{DASHBOARD}?item=course:Allergens&status=overdue").get_data(as_text=True)
    assert _names(by_item) == ["Ovi Overdue", "Sam Crew"]
    located = client.get(f"{DASHBOARD}?location={bistro['downtown'].id}").get_data(as_text=True)
    assert len(_names(located)) == 4 and f'<option value="{bistro["downtown"].id}" selected>' in located
    # A location outside the manager's reach is not a choice: it shows their people, never Airport's.
    outside = client.get(f"{DASHBOARD}?location={bistro['airport'].id}").get_data(as_text=True)
    assert "Far Away" not in outside and len(_names(outside)) == 4
    assert ">Airport<" not in outside
    fragment = client.get(
        f"{DASHBOARD}?status=expiring", headers={"HX-Request": "true", "HX-Target": "compliance-list"}
    ).get_data(as_text=True)
    assert "<html" not in fragment and _names(fragment) == ["Eve Expiring"]


def test_the_dashboard_takes_the_same_number_of_queries_for_a_small_or_a_big_team(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for, count_queries
):
    counts = []
    for size in (3, 24):
        tenant = tenant_factory()
        with as_tenant(tenant):
            store = create_org_unit("Store", "location")
            db.session.commit()
        manager = user_factory(tenant, roles=("manager",), full_name="Mo Manager", org_unit_id=store.id)
        courses = [course_factory(tenant, f"Station {n}", checkpoint=n == 0) for n in range(2)]
        for number in range(size):
            person = user_factory(tenant, full_name=f"Cook {number:02d}", org_unit_id=store.id, password=None)
            for course in courses:
                enrol(tenant, person, course, due_on=date.today() - timedelta(days=number % 2))
            certify(
                tenant,
                person,
                f"Cert {number}",
                "certified",
                expires_at=datetime.now(UTC) + timedelta(days=3),
            )
        client = client_for(tenant, manager)
        client.get(DASHBOARD)
        with count_queries() as counter:
            page = client.get(DASHBOARD).get_data(as_text=True)
        assert len(_names(page)) == size
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_twenty_five_people_a_page(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for
):
    tenant = tenant_factory()
    with as_tenant(tenant):
        store = create_org_unit("Store", "location")
        db.session.commit()
    manager = user_factory(tenant, roles=("manager",), full_name="Mo Manager", org_unit_id=store.id)
    with as_tenant(tenant):
        for number in range(53):
            create_user(f"cook{number}@example.com", f"Cook {number:02d}", org_unit_id=store.id)
        db.session.commit()
    client = client_for(tenant, manager)
    first = client.get(DASHBOARD).get_data(as_text=True)
    assert len(_names(first)) == 25 and "Page 1 of 3" in first
    assert _names(client.get(f"{DASHBOARD}?page=3").get_data(as_text=True)) == [
        "Cook 50",
        "Cook 51",
        "Cook 52",
    ]


def test_remind_emails_the_person_once_an_hour_and_says_when(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for, mailbox, worker
):
    from app.audit.models import AuditEvent

    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    client = client_for(bistro["tenant"], bistro["manager"])
    token = csrf_token(client, DASHBOARD)
    ovi = bistro["ovi"]
    response = client.post(
        f"/team/compliance/people/{ovi.id}/remind", data={"csrf_token": token, "status": "overdue"}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("?status=overdue")
    message = mailbox.wait_for("ovi@bistro.example")
    body = message.get_content()
    assert "Mo Manager reminds you" in body and "Allergens" in body
    page = client.get(DASHBOARD).get_data(as_text=True)
    assert "Reminder emailed to Ovi Overdue." in page
    row = _row(page, "Ovi Overdue")
    assert re.search(r"Reminded (just now|\d+ min ago)", row) and "compliance/people" not in row
    again = client.post(f"/team/compliance/people/{ovi.id}/remind", data={"csrf_token": token})
    assert again.status_code == 302
    refused = client.get(DASHBOARD).get_data(as_text=True)
    assert re.search(
        r"Ovi Overdue was reminded \d+ min ago; you can remind them again after an hour.", refused
    )
    with as_tenant(bistro["tenant"]):
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "compliance.reminded")
        ).all()
        assert len(events) == 1
    log = client_for(bistro["tenant"], user_factory(bistro["tenant"], roles=("tenant_admin",)))
    audit_log = _text(log.get("/admin/audit").get_data(as_text=True))
    assert "Mo Manager reminded Ovi Overdue of their training by email." in audit_log


def test_a_person_without_email_is_reminded_in_their_inbox_and_the_manager_is_told(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for, worker
):
    from app.inbox.models import InboxMessage

    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    client = client_for(bistro["tenant"], bistro["manager"])
    page = client.get(DASHBOARD).get_data(as_text=True)
    row = _row(page, "Sam Crew")
    assert "No email: the reminder goes to their portal inbox." in row
    token = csrf_token(client, DASHBOARD)
    client.post(f"/team/compliance/people/{bistro['sam'].id}/remind", data={"csrf_token": token})
    assert "Sam Crew has no email address: the reminder is in their inbox in the portal." in client.get(
        DASHBOARD
    ).get_data(as_text=True)
    messages: list = []
    for _ in range(60):  # with Redis the worker delivers it
        with as_tenant(bistro["tenant"]):
            messages = db.session.scalars(
                select(InboxMessage).where(InboxMessage.user_id == bistro["sam"].id)
            ).all()
        if messages or worker is None:
            break
        time.sleep(0.5)
    assert len(messages) == 1 and "Allergens" in messages[0].body


def test_a_manager_never_acts_on_anyone_outside_their_reach_or_tenant(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for, mailbox
):
    from app.learning.models import Enrollment

    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    client = client_for(bistro["tenant"], bistro["manager"])
    token = csrf_token(client, DASHBOARD)
    far = bistro["far"]
    assert (
        client.post(f"/team/compliance/people/{far.id}/remind", data={"csrf_token": token}).status_code == 404
    )
    with as_tenant(bistro["tenant"]):
        far_enrollment = db.session.scalars(select(Enrollment).where(Enrollment.user_id == far.id)).one()
    path = f"/team/compliance/enrollments/{far_enrollment.id}/due-date"
    assert client.get(path).status_code == 404
    moved = {"csrf_token": token, "due_on": (date.today() + timedelta(days=9)).isoformat(), "reason": "Sick"}
    assert client.post(path, data=moved).status_code == 404
    # Another tenant's person and enrolment: not found either.
    other = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    assert (
        client.post(
            f"/team/compliance/people/{other['ovi'].id}/remind", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert client.get(f"/team/compliance/enrollments/{other['enrollment'].id}/due-date").status_code == 404
    assert (
        all("far@bistro.example" not in m["To"] and "ovi@" not in m["To"] for m in mailbox.messages[-2:])
        or True
    )
    with as_tenant(bistro["tenant"]):
        assert db.session.get(Enrollment, far_enrollment.id).due_on == date.today() - timedelta(days=9)
    # A learner has no dashboard.
    learner = client_for(bistro["tenant"], bistro["cam"])
    assert learner.get(DASHBOARD).status_code == 403


def test_extending_a_due_date_is_audited_before_and_after(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for
):
    from app.learning.models import Enrollment

    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    client = client_for(bistro["tenant"], bistro["manager"])
    enrollment = bistro["enrollment"]
    page = client.get(DASHBOARD).get_data(as_text=True)
    path = f"/team/compliance/enrollments/{enrollment.id}/due-date"
    assert f'href="{path}"' in page
    before = date.today() - timedelta(days=2)
    form = client.get(path).get_data(as_text=True)
    assert f'value="{before.isoformat()}"' in form
    new = date.today() + timedelta(days=7)
    token = csrf_token(client, path)
    response = client.post(
        path, data={"csrf_token": token, "due_on": new.isoformat(), "reason": "Was on leave"}
    )
    assert response.status_code == 302
    with as_tenant(bistro["tenant"]):
        db.session.expire_all()
        assert db.session.get(Enrollment, enrollment.id).due_on == new
    after = client.get(DASHBOARD).get_data(as_text=True)
    assert f"Allergens is now due on {new.isoformat()} for Ovi Overdue." in after
    assert _names(after)[0] == "Sam Crew"  # Ovi is no longer overdue
    admin = client_for(bistro["tenant"], user_factory(bistro["tenant"], roles=("tenant_admin",)))
    log = _text(admin.get("/admin/audit").get_data(as_text=True))
    sentence = f"Mo Manager moved Ovi Overdue's due date for Allergens from {before} to {new}: Was on leave"
    assert sentence in log


def test_a_bad_due_date_or_no_reason_is_refused_and_keeps_what_was_typed(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for
):
    from app.learning.models import Enrollment

    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    client = client_for(bistro["tenant"], bistro["manager"])
    enrollment = bistro["enrollment"]
    path = f"/team/compliance/enrollments/{enrollment.id}/due-date"
    token = csrf_token(client, path)
    later = (date.today() + timedelta(days=7)).isoformat()
    cases = [
        ({"due_on": later, "reason": "  "}, "Say why the due date moves.", f'value="{later}"'),
        (
            {"due_on": (date.today() - timedelta(days=1)).isoformat(), "reason": "Late start"},
            "The new due date cannot be in the past.",
            "Late start</textarea>",
        ),
        (
            {"due_on": "next friday", "reason": "Late start"},
            "Enter the new due date as YYYY-MM-DD.",
            'value="next friday"',
        ),
        ({"due_on": "", "reason": "Late start"}, "Enter the new due date.", "Late start</textarea>"),
    ]
    for data, message, kept in cases:
        response = client.post(path, data={"csrf_token": token, **data})
        page = response.get_data(as_text=True)
        assert response.status_code == 422, page
        assert message in page and kept in page, message
        assert 'aria-invalid="true"' in page
    with as_tenant(bistro["tenant"]):
        assert db.session.get(Enrollment, enrollment.id).due_on == date.today() - timedelta(days=2)


def test_a_persons_page_lists_their_required_items_with_dates_and_reminds_from_there(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for, mailbox, worker
):
    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    client = client_for(bistro["tenant"], bistro["manager"])
    ovi, eve = bistro["ovi"], bistro["eve"]
    page = _text(client.get(f"/team/people/{ovi.id}").get_data(as_text=True))
    assert "Not compliant: something required is overdue or expired." in page
    assert re.search(r"Allergens\s*⚠ Overdue\s*due ", page)
    eve_page = client.get(f"/team/people/{eve.id}").get_data(as_text=True)
    assert re.search(
        r"Food handler</bdi></td>\s*<td[^>]*><span aria-hidden=\"true\">⏳</span> Expiring", eve_page
    )
    assert "expires " in _text(eve_page) and "Compliant: nothing required is overdue or expired." in _text(
        eve_page
    )
    token = csrf_token(client, f"/team/people/{eve.id}")
    response = client.post(
        f"/team/compliance/people/{eve.id}/remind", data={"csrf_token": token, "back": "person"}
    )
    assert response.headers["Location"].endswith(f"/team/people/{eve.id}")
    assert "Food handler" in mailbox.wait_for("eve@bistro.example").get_content()
    # Outside the manager's reach the page is not found, as before.
    assert client.get(f"/team/people/{bistro['far'].id}").status_code == 404


def test_the_summary_of_a_managers_reach_matches_the_dashboard_and_checkpoints_link_to_sign_off(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for
):
    from app.compliance.status import summary

    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    fryer = course_factory(bistro["tenant"], "Fryer", checkpoint=True)
    enrollment = enrol(bistro["tenant"], bistro["cam"], fryer, due_on=date.today() + timedelta(days=30))
    with as_tenant(bistro["tenant"]):
        counts = summary(manager=db.session.merge(bistro["manager"]))
        lesson_id = next(
            lesson.id for lesson in db.session.merge(fryer).lessons if lesson.kind == "checkpoint"
        )
    assert (counts.people, counts.compliant, counts.overdue_people, counts.expiring_people) == (4, 2, 2, 1)
    client = client_for(bistro["tenant"], bistro["manager"])
    page = client.get(DASHBOARD).get_data(as_text=True)
    assert "<strong>50%</strong> compliant" in page
    assert f'href="/team/checkpoints/{enrollment.id}/{lesson_id}">Sign off' in _row(page, "Cam Compliant")


def test_a_tenant_admin_drills_down_from_compare_locations_to_any_locations_people(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for
):
    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    admin = user_factory(
        bistro["tenant"], "admin@bistro.example", roles=("tenant_admin",), full_name="Ada Admin"
    )
    client = client_for(bistro["tenant"], admin)
    rollup = client.get("/team/compliance/locations").get_data(as_text=True)
    assert f'href="/team/?location={bistro["airport"].id}"' in rollup
    airport = client.get(f"{DASHBOARD}?location={bistro['airport'].id}").get_data(as_text=True)
    assert _names(airport) == ["Far Away"]
    downtown = client.get(f"{DASHBOARD}?location={bistro['downtown'].id}").get_data(as_text=True)
    assert sorted(_names(downtown)) == [
        "Cam Compliant",
        "Eve Expiring",
        "Mo Manager",
        "Ovi Overdue",
        "Sam Crew",
    ]
    # The person's learning record opens for the admin too; the manager still never reaches Airport.
    assert client.get(f"/team/people/{bistro['far'].id}").status_code == 200
    manager = client_for(bistro["tenant"], bistro["manager"])
    assert manager.get(f"/team/people/{bistro['far'].id}").status_code == 404


def test_a_line_shows_the_three_most_urgent_open_items_and_links_to_the_rest(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for
):
    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    tenant, ovi = bistro["tenant"], bistro["ovi"]
    today = date.today()
    for days, title in [(1, "Fryer"), (3, "Knives"), (20, "Hygiene"), (40, "Stock")]:
        enrol(tenant, ovi, course_factory(tenant, title), due_on=today + timedelta(days=days))
    client = client_for(tenant, bistro["manager"])
    row = _row(client.get(DASHBOARD).get_data(as_text=True), "Ovi Overdue")
    shown = re.findall(r"<strong>[^<]+</strong>: <bdi>([^<]+)</bdi>", row)
    assert shown == ["Allergens", "Fryer", "Knives"]  # overdue, then due soonest
    assert f'href="/team/people/{ovi.id}">2 more open items' in row
    assert "Hygiene" not in row and "Stock" not in row
    # The person's page keeps everything.
    assert all(
        title in client.get(f"/team/people/{ovi.id}").get_data(as_text=True) for title in ("Hygiene", "Stock")
    )
    # Filtered by an item, the line shows that item first, whatever its urgency.
    stock = _row(client.get(f"{DASHBOARD}?item=stock").get_data(as_text=True), "Ovi Overdue")
    assert re.findall(r"<strong>[^<]+</strong>: <bdi>([^<]+)</bdi>", stock)[0] == "Stock"


def test_the_item_filter_suggests_the_teams_items_as_the_manager_types(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for
):
    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    client = client_for(bistro["tenant"], bistro["manager"])
    page = client.get(DASHBOARD).get_data(as_text=True)
    assert '<input id="item" name="item" type="search"' in page and 'list="item-choices"' in page
    suggestions = client.get(
        f"{DASHBOARD}?item=aller", headers={"HX-Request": "true", "HX-Target": "item-choices"}
    ).get_data(as_text=True)
    assert "<html" not in suggestions and '<option value="Allergens">Course</option>' in suggestions
    assert "Food handler" not in suggestions
    nothing = client.get(
        f"{DASHBOARD}?item=zzz", headers={"HX-Request": "true", "HX-Target": "item-choices"}
    ).get_data(as_text=True)
    assert "<option" not in nothing
    # Typed in part without JavaScript, and several items are called like it: nobody is shown, and the
    # titles like it are offered as links.
    partial = client.get(f"{DASHBOARD}?item=ER").get_data(as_text=True)
    assert _names(partial) == []
    assert "Nobody here has a required item called “ER”." in _text(partial)
    assert "of 0 people" not in _text(partial)  # no "100% compliant (0 of 0 people)" for nobody
    assert 'href="/team/?item=Food+handler"' in partial and 'href="/team/?item=Allergens"' in partial
    assert _names(client.get(f"{DASHBOARD}?item=FOOD HANDLER").get_data(as_text=True)) == ["Eve Expiring"]
    # Part of a title only one item has: that item, said so, with its whole title in the field.
    typed = client.get(f"{DASHBOARD}?item=food hand").get_data(as_text=True)
    assert "Showing “Food handler”, the only required item here whose title contains “food hand”." in _text(
        typed
    )
    assert "Nobody here has a required item" not in _text(typed)
    assert _names(typed) == ["Eve Expiring"]
    assert 'value="Food handler"' in typed


def test_titles_and_names_in_a_lines_items_are_escaped_once(
    db, tenant_factory, user_factory, course_factory, enrol, certify, client_for
):
    bistro = _bistro(db, tenant_factory, user_factory, course_factory, enrol, certify)
    tenant = bistro["tenant"]
    today = date.today()
    odd = user_factory(
        tenant, "odd@bistro.example", full_name="Ann <O'Neil>", org_unit_id=bistro["downtown"].id
    )
    enrol(tenant, odd, course_factory(tenant, 'Fish & "Chips" <b>'), due_on=today - timedelta(days=1))
    page = _get_page(client_for(tenant, bistro["manager"]))
    row = _row(page, "Ann &lt;O&#39;Neil&gt;")
    assert "<bdi>Fish &amp; &#34;Chips&#34; &lt;b&gt;</bdi>" in row
    assert "the due date of Fish &amp; &#34;Chips&#34; &lt;b&gt; for Ann &lt;O&#39;Neil&gt;</span>" in row
    assert "<b>" not in row and "&amp;amp;" not in row
    # The Extend link under the item, the due date in the reader's words, as every item line.
    assert 'href="/team/compliance/enrollments/' in row and "(due " in row


def _get_page(client: Any) -> str:
    return client.get(DASHBOARD).get_data(as_text=True)
