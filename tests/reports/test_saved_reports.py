"""Saved report definitions and their scheduled delivery: a link by email, once per period, never the file."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _save(client, query: str, **fields):
    token = csrf_token(client, f"/reports/overdue{query}")
    return client.post(f"/reports/overdue/save{query}", data={"csrf_token": token, **fields})


def test_a_saved_report_opens_with_its_filters(bistro, client_for):
    client = client_for(bistro["tenant"], bistro["admin"])
    response = _save(client, "?job_title=Cook", name="Cooks overdue", schedule="none", format="csv")
    assert response.status_code == 302
    index = client.get("/reports/").get_data(as_text=True)
    assert "Cooks overdue" in index
    link = re.search(r'href="(/reports/saved/\d+)"', index).group(1)
    opened = client.get(link)
    assert opened.status_code == 302 and "job_title=Cook" in opened.headers["Location"]


def test_a_bad_recipient_is_refused_and_what_was_typed_is_kept(bistro, client_for, db):
    from app.reports.models import SavedReport

    client = client_for(bistro["tenant"], bistro["admin"])
    response = _save(
        client, "", name="Weekly overdue", schedule="weekly", format="csv", recipients="nobody@bistro.example"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Nobody active in this portal has the email nobody@bistro.example." in page
    assert 'value="Weekly overdue"' in page and "nobody@bistro.example</textarea>" in page
    learner_only = _save(
        client, "", name="Weekly overdue", schedule="weekly", format="csv", recipients="ovi@bistro.example"
    )
    assert "may not see reports" in learner_only.get_data(as_text=True)
    with as_tenant(bistro["tenant"]):
        assert db.session.scalar(select(func.count(SavedReport.id))) == 0


def test_a_scheduled_report_is_emailed_once_a_period_as_a_link_that_needs_sign_in(
    bistro, client_for, db, mailbox
):
    from app.reports import jobs
    from app.reports.models import ReportExport

    admin = client_for(bistro["tenant"], bistro["admin"])
    response = _save(
        admin,
        "",
        name="Overdue this week",
        schedule="weekly",
        format="csv",
        recipients="manager@bistro.example",
    )
    assert response.status_code == 302
    before = len(mailbox.messages)
    with as_tenant(bistro["tenant"]):
        assert jobs.deliver_due_reports() == 1
        db.session.commit()
        assert jobs.deliver_due_reports() == 0  # the cron ran twice in the week: nothing more is sent
        db.session.commit()
        exports = list(db.session.scalars(select(ReportExport)))
    assert len(exports) == 1 and exports[0].status == "done"
    message = mailbox.wait_for("manager@bistro.example")
    sent = [m for m in mailbox.messages[before:] if "manager@bistro.example" in m["To"]]
    assert len(sent) == 1
    assert "Overdue this week" in message["Subject"]
    assert not any(part.get_filename() for part in message.walk())  # a link, never an attachment
    body = message.get_body().get_content()
    path = re.search(r"https?://[^/\s]+(/reports/exports/\d+)", body).group(1)
    signed_out = client_for(bistro["tenant"]).get(path + "/download")
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.headers["Location"]
    manager = client_for(bistro["tenant"], bistro["manager"])
    download = manager.get(path + "/download")
    text = download.get_data(as_text=True)
    download.close()
    # Computed in the recipient's own reach: their location's overdue cook, never the other location's.
    assert "Ovi Overdue" in text and "Far Away" not in text


def test_delivery_periods():
    from datetime import date

    from app.reports.services import period_of

    assert period_of("daily", date(2026, 12, 5)) == "2026-12-05"
    assert period_of("weekly", date(2026, 12, 5)) == period_of("weekly", date(2026, 12, 1)) == "2026-W49"
    assert period_of("monthly", date(2026, 12, 31)) == "2026-12"
    assert period_of("none", date(2026, 12, 5)) is None


def test_the_cron_entry_delivers_every_tenants_due_reports_once(bistro, client_for, db, mailbox, app):
    from app.reports.models import ReportExport
    from workers.runner import run_job

    admin = client_for(bistro["tenant"], bistro["admin"])
    _save(admin, "", name="Daily overdue", schedule="daily", format="xlsx", recipients="admin@bistro.example")
    for _run in range(2):  # the cron fired twice today
        with app.app_context():
            run_job(None, "app.reports.jobs:deliver_due_reports_everywhere", [], {})
    with as_tenant(bistro["tenant"]):
        exports = list(db.session.scalars(select(ReportExport)))
    assert [(e.format, e.status) for e in exports] == [("xlsx", "done")]
    sent = [
        m for m in mailbox.messages if "admin@bistro.example" in m["To"] and "Daily overdue" in m["Subject"]
    ]
    assert len(sent) == 1
