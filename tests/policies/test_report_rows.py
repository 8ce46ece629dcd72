"""The Policies report's rows: the same times as the template's filter, every value escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import pytz
from flask_babel import _get_current_context, force_locale
from markupsafe import escape
from sqlalchemy import update

from app.accounts.models import User
from app.policies import services as policies
from app.policies.report_rows import MomentWords, accepted_rows, pending_rows
from app.templating import datetime_format
from app.tenancy import as_tenant


def _moments() -> list[datetime]:
    """Every half hour and a few odd minutes over the days around both 2026 daylight-saving changes."""
    found = []
    for start in (datetime(2026, 3, 7, tzinfo=UTC), datetime(2026, 10, 31, tzinfo=UTC)):
        for step in range(0, 4 * 24 * 60, 29):
            found.append(start + timedelta(minutes=step, seconds=step % 60))
    found.append(datetime(2026, 12, 6, 17, 49, 10))  # naive: read as UTC, as the filter does
    return found


@pytest.mark.parametrize(
    "zone", ["UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Lord_Howe"]
)
@pytest.mark.parametrize("locale", ["en", "es", "fr", "de", "pt_BR", "ar"])
def test_moment_words_write_what_the_filter_writes_in_every_locale_and_zone(app, locale, zone):
    with app.test_request_context("/"), force_locale(locale):
        _get_current_context().babel_tzinfo = pytz.timezone(zone)
        words = MomentWords("medium")
        for moment in _moments():
            assert words(moment) == escape(datetime_format(moment, "medium")), (locale, zone, moment)


def test_rows_escape_names_emails_signatures_and_addresses_and_write_the_labels_once_escaped(app):
    hostile = '<script>alert("x")</script>'
    with app.test_request_context("/"), force_locale("en"):
        accepted = str(
            accepted_rows(
                [
                    (
                        hostile,
                        "o'neil\"@example.com",
                        "A & B",
                        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                        "<ip>",
                    )
                ],
                ("Name", 'E"mail', "Signed as", "Accepted", "IP address"),
            )
        )
        pending = str(pending_rows([(hostile, None)], ("Name", "<Email>"), "<td>due</td>"))
    assert "<script>" not in accepted and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in accepted
    assert "o&#39;neil&#34;@example.com" in accepted and "A &amp; B" in accepted and "&lt;ip&gt;" in accepted
    assert 'data-label="E&#34;mail"' in accepted
    assert '<time datetime="2026-01-02T03:04:05+00:00">Jan 2, 2026, 3:04:05\u202fAM</time>' in accepted
    assert "<script>" not in pending and 'data-label="&lt;Email&gt;">—</td>' in pending
    # The due cell is plain text unless the template made it markup: escaped then.
    assert "&lt;td&gt;due&lt;/td&gt;" in pending


def test_report_page_escapes_a_hostile_name_email_and_signature(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    admin = user_factory(tenant, full_name="Alex Admin", roles=("tenant_admin", "learner"))
    hostile = '<script>alert("x")</script>'
    signer = user_factory(tenant, "oneil@example.com", full_name=hostile)
    waiting = user_factory(tenant, "q@example.com", full_name=f"{hostile} too")
    with as_tenant(tenant):
        # Addresses a directory sync may store, which the form would refuse.
        for person, email in ((signer, "o'neil\"@example.com"), (waiting, 'q"<b>@example.com')):
            db.session.execute(update(User).where(User.id == person.id).values(email=email))
        policy = policies.create_policy("Code of Ethics", due_days=10)
        version = policies.publish_version(policies.save_draft(policy, "Be honest."))
        policies.acknowledge_policy(
            db.session.merge(signer), version, hostile, accepted=True, ip="10.9.8.7", user_agent="UA/1"
        )
        db.session.commit()
    page = client_for(tenant, admin).get(f"/admin/policies/{policy.id}/versions/{version.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<script>alert" not in html
    assert '<td data-label="Name"><bdi>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</bdi></td>' in html
    assert '<td data-label="Email">o&#39;neil&#34;@example.com</td>' in html
    assert (
        '<td data-label="Signed as"><bdi>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</bdi></td>' in html
    )
    assert '<td data-label="Email">q&#34;&lt;b&gt;@example.com</td>' in html
