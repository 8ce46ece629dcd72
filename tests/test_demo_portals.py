"""The demo as `flask demo` loads it: bistro's compliance mix, and acme's published SCIM token.

A root-level module, so it runs after the feature folders: loading the demo publishes library packages
that every portal created afterwards receives, which tests counting a new portal's courses do not expect.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest


@pytest.fixture(scope="module")
def demo(app: Any) -> None:
    """The demo data, as `flask demo` loads it (idempotent: other modules may load it too)."""
    from app.actors import acting_as
    from app.cli import CLI_ACTOR
    from app.demo import load_demo
    from app.extensions import db

    with app.app_context(), acting_as(CLI_ACTOR):
        load_demo()
        db.session.commit()


def test_the_downtown_manager_sees_someone_overdue_and_someone_expiring(app, demo):
    from app.demo import DEMO_PASSWORD
    from tests.conftest import TEST_DOMAIN, HostClient, sign_in

    app.test_client_class = HostClient
    client = app.test_client()
    client.host = f"bistro.{TEST_DOMAIN}"  # type: ignore[attr-defined]
    assert sign_in(client, "manager@bistro.example", DEMO_PASSWORD).status_code == 302
    page = client.get("/team/compliance/", follow_redirects=True).get_data(as_text=True)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert re.search(r"Downtown Crew 2.*?Overdue: Food Safety Basics", text, re.S)
    assert re.search(r"Jordan Kitchen.*?Expiring: Food Handler", text, re.S)
    assert "Riverside Crew" not in text and "Airport Crew" not in text


def test_acme_demo_scim_token_printed_by_the_demo_lists_acme_people_only(app, demo):
    """The token `flask demo` prints (and the README's curl uses) works on acme and nowhere else."""
    from app.demo import SCIM_DEMO_TOKEN
    from tests.conftest import TEST_DOMAIN, HostClient

    app.test_client_class = HostClient
    acme, bistro = app.test_client(), app.test_client()
    acme.host = f"acme.{TEST_DOMAIN}"  # type: ignore[attr-defined]
    bistro.host = f"bistro.{TEST_DOMAIN}"  # type: ignore[attr-defined]
    bearer = {"Authorization": f"Bearer {SCIM_DEMO_TOKEN}"}
    listed = acme.get('/scim/v2/Users?filter=userName eq "learner@acme.example"', headers=bearer)
    assert listed.status_code == 200 and listed.json["totalResults"] == 1
    assert bistro.get("/scim/v2/Users", headers=bearer).status_code == 401


def test_bistros_admin_compares_locations_with_twelve_weeks_of_history(app, demo):
    from app.demo import DEMO_PASSWORD
    from tests.conftest import TEST_DOMAIN, HostClient, sign_in

    app.test_client_class = HostClient
    client = app.test_client()
    client.host = f"bistro.{TEST_DOMAIN}"  # type: ignore[attr-defined]
    assert sign_in(client, "admin@bistro.example", DEMO_PASSWORD).status_code == 302
    page = client.get("/team/compliance/locations").get_data(as_text=True)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    for location in ("Midwest", "Downtown", "Riverside", "Airport"):
        assert location in text
    numbers = page.split('class="trend-numbers"', 1)[1]
    assert numbers.count("<tr>") == 1 + 12 and "No record" not in numbers
    # The whole portal's line rises over the twelve weeks to today's value, which is not nothing.
    weekly = [
        int(n) for n in re.findall(r'<td data-label="[^"]*">(\d+)% <small>', numbers.split("</table>")[0])
    ]
    assert len(weekly) == 12, weekly
    assert weekly == sorted(weekly) and weekly[0] < weekly[-1] and weekly[-1] > 0, weekly
    assert len(set(weekly)) >= 3, weekly  # a line, not a step
    # Some location is compliant today, and Downtown (the demo's late team) is the worst.
    table = page.split('class="rollup-table"', 1)[1].split("</table>", 1)[0]
    percents = {
        name: int(percent) for name, percent in re.findall(r"<bdi>(\w+)</bdi>.*?(\d+)%</strong>", table, re.S)
    }
    assert percents["Riverside"] > 0 and percents["Airport"] > 0, percents
    assert percents["Downtown"] == min(percents.values()), percents


def test_the_partners_admin_sees_which_companies_are_below_their_tier_target(app, demo):
    from app.demo import DEMO_PASSWORD
    from tests.conftest import TEST_DOMAIN, HostClient, sign_in

    app.test_client_class = HostClient
    admin, manager = app.test_client(), app.test_client()
    admin.host = manager.host = f"partners.{TEST_DOMAIN}"  # type: ignore[attr-defined]
    assert sign_in(admin, "admin@partners.example", DEMO_PASSWORD).status_code == 302
    page = admin.get("/partners/program").get_data(as_text=True)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    assert "3 companies are below target" in text
    order = [
        m.group(0)
        for m in re.finditer(
            r"Fabrikam Solutions|Litware Partners|Tailspin Traders|"
            r"Northwind Resellers|Contoso Distribution",
            text,
        )
    ]
    assert list(dict.fromkeys(order)) == [
        "Fabrikam Solutions",
        "Litware Partners",
        "Tailspin Traders",
        "Contoso Distribution",
        "Northwind Resellers",
    ]
    assert re.search(r"Northwind Resellers.*?Gold.*?Certified Widget Seller\s+4\s+3\s", text, re.S)
    # The demo's partner manager is placed above the five companies: reach-scoped, they see all five.
    channel = app.test_client()
    channel.host = f"partners.{TEST_DOMAIN}"  # type: ignore[attr-defined]
    assert sign_in(channel, "channel@partners.example", DEMO_PASSWORD).status_code == 302
    seen = html.unescape(re.sub(r"<[^>]+>", " ", channel.get("/partners/program").get_data(as_text=True)))
    assert "3 companies are below target" in seen and "of 5 partner companies shown" in seen
    # The demo's team manager is no partner manager.
    assert sign_in(manager, "manager@partners.example", DEMO_PASSWORD).status_code == 302
    assert manager.get("/partners/program").status_code == 403


def test_the_audit_logs_target_list_names_every_kind_the_demo_records(app, demo):
    """The audit page's target list is fixed (reading it from the log grew with the log): it must cover
    what Atrium records, here every kind the demo's portals have in their logs."""
    from sqlalchemy import select

    from app.audit.models import AuditEvent
    from app.audit.search import target_types
    from app.extensions import db
    from app.tenancy import as_tenant
    from app.tenancy.models import Tenant

    recorded: set[str] = set()
    with app.test_request_context():
        listed = {kind for kind, _name in target_types()}
        for tenant in db.session.scalars(select(Tenant)).all():
            with as_tenant(tenant):
                recorded |= {k for k in db.session.scalars(select(AuditEvent.target_type).distinct()) if k}
    assert len(recorded) > 20 and recorded <= listed, sorted(recorded - listed)
