"""Every certification page, walked as an admin, a manager and a learner: what each person sees and does."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from PIL import Image
from sqlalchemy import func, select

from app.certifications.models import Certification, CertificationRecord, Transition
from app.tenancy import as_tenant
from tests.certifications.conftest import emitted, learn_and_sign, record_of
from tests.conftest import csrf_token


def _people(tenant_factory, user_factory):
    tenant = tenant_factory(display_name="Bistro")
    admin = user_factory(tenant, "alex@bistro.example", roles=("tenant_admin",), full_name="Alex Admin")
    manager = user_factory(tenant, "mo@bistro.example", roles=("manager",), full_name="Mo Manager")
    learner = user_factory(tenant, "lee@bistro.example", full_name="Lee Learner", manager_id=manager.id)
    return tenant, admin, manager, learner


def _pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (50, 50), "white").save(out, format="PDF")
    return out.getvalue()


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_an_admin_creates_a_certification_chooses_its_requirements_and_publishes_it(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant, admin, _manager, learner = _people(tenant_factory, user_factory)
    course = gated_course(tenant)
    client = client_for(tenant, admin)
    assert "Certifications" in _text(client.get("/admin/certifications/"))

    form = {
        "csrf_token": csrf_token(client, "/admin/certifications/new"),
        "title": "Food Handler",
        "validity": "months",
        "validity_months": "24",
        "renewal_window_days": "60",
        "grace_days": "0",
        "reminder_days": "60, 30, 7, 1, 0",
        "visibility": "everyone",
    }
    bad = client.post("/admin/certifications/new", data={**form, "validity_months": ""})
    assert bad.status_code == 422 and "Enter between 1 and 600 months." in _text(bad)
    # A fixed date that has passed would expire everyone at once: refused, what was typed kept.
    past = client.post(
        "/admin/certifications/new", data={**form, "validity": "fixed_date", "valid_until": "2020-01-01"}
    )
    assert past.status_code == 422 and "The date it is valid until has passed" in _text(past)
    assert 'value="2020-01-01"' in _text(past) and 'value="Food Handler"' in _text(past)
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count()).select_from(Certification)) == 0
    created = client.post("/admin/certifications/new", data=form)
    assert created.status_code == 302
    with as_tenant(tenant):
        cert_id = db.session.scalar(select(Certification.id).where(Certification.title == "Food Handler"))
    page = f"/admin/certifications/{cert_id}/requirements"
    assert "Fryer safety" in _text(client.get(page))  # the checkpoint is in the picker
    saved = client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "initial-course": str(course["course"]),
            "initial-quiz": str(course["quiz"]),
            f"initial-quiz-{course['quiz']}-min": "90",
            "initial-checkpoint": str(course["checkpoint"]),
            "renewal-course": str(course["course"]),
        },
    )
    assert saved.status_code == 302
    # A minimum score over 100 is refused, and the page shows again what was picked and typed.
    refused = client.post(
        page,
        data={
            "csrf_token": csrf_token(client, page),
            "initial-course": str(course["course"]),
            "initial-quiz": str(course["quiz"]),
            f"initial-quiz-{course['quiz']}-min": "150",
        },
    )
    assert refused.status_code == 422 and "A minimum score is between 0 and 100." in _text(refused)
    assert f'name="initial-quiz-{course["quiz"]}-min" value="150"' in _text(refused)
    assert f'name="initial-checkpoint" value="{course["checkpoint"]}" checked' not in _text(refused)
    detail = _text(client.get(f"/admin/certifications/{cert_id}"))
    assert "Food Safety quiz" in detail and "at least 90 %" in detail and "Fryer safety" in detail
    published = client.post(
        f"/admin/certifications/{cert_id}/publish",
        data={"csrf_token": csrf_token(client, f"/admin/certifications/{cert_id}")},
    )
    assert published.status_code == 302
    # Everyone must hold it: the learner is now in progress and enrolled in the course.
    assert record_of(db, tenant, cert_id, learner.id).state == "in_progress"
    people = _text(client.get(f"/admin/certifications/{cert_id}/people?state=in_progress"))
    assert "Lee Learner" in people
    assert "Lee Learner" not in _text(client.get(f"/admin/certifications/{cert_id}/people?state=certified"))
    # Searched by every word, in any order, in the name or the email; "%" is a character, not a wildcard.
    for query, found in (("learner lee", True), ("LEE, learner!", True), ("lee nobody", False), ("%", False)):
        searched = _text(client.get(f"/admin/certifications/{cert_id}/people", query_string={"q": query}))
        assert ("Lee Learner" in searched) is found, query


def test_an_admin_awards_by_hand_with_evidence_revokes_and_reinstates(
    db, tenant_factory, user_factory, client_for, food_handler
):
    tenant, admin, _manager, learner = _people(tenant_factory, user_factory)
    course = food_handler(tenant)
    client = client_for(tenant, admin)
    award_page = f"/admin/certifications/{course['cert']}/award"
    response = client.post(
        award_page,
        data={
            "csrf_token": csrf_token(client, award_page),
            "person": str(learner.id),
            "note": "ServSafe certificate 12345",
            "evidence": (io.BytesIO(_pdf()), "servsafe.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, _text(response)
    record = record_of(db, tenant, course["cert"], learner.id)
    assert record.state == "certified" and record.evidence["how"] == "manual"
    page = f"/admin/certifications/{course['cert']}/people/{record.id}"
    shown = _text(client.get(page))
    assert "ServSafe certificate 12345" in shown and "Download servsafe.pdf" in shown
    download = client.get(f"{page}/evidence")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")

    no_reason = client.post(f"{page}/revoke", data={"csrf_token": csrf_token(client, page), "reason": " "})
    assert no_reason.status_code == 302
    assert record_of(db, tenant, course["cert"], learner.id).state == "certified"
    client.post(
        f"{page}/revoke", data={"csrf_token": csrf_token(client, page), "reason": "Forged certificate"}
    )
    assert record_of(db, tenant, course["cert"], learner.id).state == "revoked"
    assert "Revoked: Forged certificate" in _text(client.get(page))
    client.post(f"{page}/reinstate", data={"csrf_token": csrf_token(client, page)})
    assert record_of(db, tenant, course["cert"], learner.id).state == "certified"
    history = _text(client.get(page))
    assert "Forged certificate" in history and "Alex Admin" in history
    assert [e["reason"] for e in emitted(db, tenant, "certification.revoked")] == ["Forged certificate"]


def test_a_csv_import_names_each_bad_row_and_writes_nothing_until_every_row_is_right(
    db, tenant_factory, user_factory, client_for, food_handler
):
    tenant, admin, manager, learner = _people(tenant_factory, user_factory)
    course = food_handler(tenant)
    client = client_for(tenant, admin)
    page = f"/admin/certifications/{course['cert']}/import"
    last_year = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
    bad_csv = (
        "email,awarded_at,expires_at,note\n"
        f"lee@bistro.example,{last_year},,Paper records\n"
        "nobody@bistro.example,2025-01-10,,\n"
        f"mo@bistro.example,31/01/2025,,\n"
        f"lee@bistro.example,{last_year},,again\n"
    )
    refused = client.post(
        page,
        data={"csrf_token": csrf_token(client, page), "file": (io.BytesIO(bad_csv.encode()), "awards.csv")},
        content_type="multipart/form-data",
    )
    text = _text(refused)
    assert refused.status_code == 422
    assert "Nothing was imported: 3 rows have problems" in text
    assert "Nobody in this portal has the email nobody@bistro.example." in text
    assert "“31/01/2025” is not a date" in text
    assert "lee@bistro.example is already on row 2." in text
    with as_tenant(tenant):
        assert (
            db.session.scalar(
                select(func.count()).select_from(Transition).where(Transition.to_state == "certified")
            )
            == 0
        )

    good_csv = (
        "email,awarded_at,expires_at,note\n"
        f"lee@bistro.example,{last_year},,Paper records\n"
        f"mo@bistro.example,{last_year},2099-01-01,\n"
    )
    imported = client.post(
        page,
        data={"csrf_token": csrf_token(client, page), "file": (io.BytesIO(good_csv.encode()), "awards.csv")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302
    assert record_of(db, tenant, course["cert"], learner.id).state == "certified"
    mo = record_of(db, tenant, course["cert"], manager.id)
    assert mo.state == "certified" and mo.expires_at.year == 2099
    assert len(emitted(db, tenant, "certification.awarded")) == 2


def test_a_learner_sees_their_certifications_what_renewal_needs_and_a_linkedin_link(
    db, tenant_factory, user_factory, client_for, food_handler
):
    tenant, _admin, manager, learner = _people(tenant_factory, user_factory)
    course = food_handler(tenant)
    client = client_for(tenant, learner)
    page = _text(client.get("/certifications"))
    assert "Food Handler" in page and "In progress" in page and "To be certified, you still need:" in page
    assert "Fryer safety" in page

    learn_and_sign(db, tenant, learner, manager, course)
    page = client.get("/certifications").get_data(as_text=True)
    assert "Certified" in page and "Expires" in page
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&amp;name=Food+Handler" in page
    assert "organizationName=Bistro" in page

    record = record_of(db, tenant, course["cert"], learner.id)
    with as_tenant(tenant):
        from app.certifications.services.sweep import sweep

        sweep(record.expires_at - timedelta(days=10))
        # The window opened 50 days ago in this moved clock: the renewal counts work from then.
        db.session.commit()
    home = _text(client.get("/"))
    assert "Certifications to renew" in home and "Food Handler" in home
    mine = _text(client.get("/certifications"))
    assert "Expiring" in mine and "To renew it by" in mine


def test_a_learner_cannot_open_the_admin_pages_and_another_tenants_admin_sees_nothing(
    db, tenant_factory, user_factory, client_for, food_handler
):
    tenant, _admin, _manager, learner = _people(tenant_factory, user_factory)
    course = food_handler(tenant)
    assert client_for(tenant, learner).get(f"/admin/certifications/{course['cert']}").status_code == 403
    other = tenant_factory()
    outsider = user_factory(other, "admin@other.example", roles=("tenant_admin",))
    foreign = client_for(other, outsider)
    assert "Food Handler" not in _text(foreign.get("/admin/certifications/"))
    assert foreign.get(f"/admin/certifications/{course['cert']}").status_code == 404
    assert foreign.get(f"/admin/certifications/{course['cert']}/people").status_code == 404
    with as_tenant(tenant):
        record = db.session.scalars(select(CertificationRecord)).first()
    revoke = foreign.post(
        f"/admin/certifications/{course['cert']}/people/{record.id}/revoke",
        data={"csrf_token": csrf_token(foreign, "/admin/certifications/"), "reason": "Not yours"},
    )
    assert revoke.status_code == 404
    assert record_of(db, tenant, course["cert"], record.user_id).state != "revoked"


def test_a_date_typed_by_an_admin_in_chicago_shows_as_typed_not_the_day_before(
    db, tenant_factory, user_factory, client_for, food_handler
):
    tenant = tenant_factory(display_name="Bistro", time_zone="America/Chicago")
    admin = user_factory(tenant, "alex@bistro.example", roles=("tenant_admin",), full_name="Alex Admin")
    lee = user_factory(tenant, "lee@bistro.example", full_name="Lee Learner")
    mo = user_factory(tenant, "mo@bistro.example", full_name="Mo Manager")
    course = food_handler(tenant)
    client = client_for(tenant, admin)
    page = f"/admin/certifications/{course['cert']}/import"
    csv_text = "email,awarded_at,expires_at,note\nlee@bistro.example,2025-03-31,2027-03-31,Paper records\n"
    imported = client.post(
        page,
        data={"csrf_token": csrf_token(client, page), "file": (io.BytesIO(csv_text.encode()), "awards.csv")},
        content_type="multipart/form-data",
    )
    assert imported.status_code == 302
    award_page = f"/admin/certifications/{course['cert']}/award"
    awarded = client.post(
        award_page,
        data={
            "csrf_token": csrf_token(client, award_page),
            "person": str(mo.id),
            "awarded_on": "2025-06-01",
            "expires_on": "2027-06-01",
        },
    )
    assert awarded.status_code == 302
    people = _text(client.get(f"/admin/certifications/{course['cert']}/people"))
    assert "Mar 31, 2025" in people and "Mar 31, 2027" in people
    assert "Jun 1, 2025" in people and "Jun 1, 2027" in people
    assert record_of(db, tenant, course["cert"], lee.id).awarded_at == datetime(2025, 3, 31, 5, tzinfo=UTC)
