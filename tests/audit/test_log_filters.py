"""The audit log filters by date (in the portal's time zone), actor, action and target, and exports as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app import audit
from app.accounts.models import Group, User
from app.actors import Actor, acting_as
from app.audit import services as audit_services
from app.audit.models import AuditEvent
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _at(moment: datetime, monkeypatch) -> None:
    monkeypatch.setattr(audit_services, "utcnow", lambda: moment)


@pytest.fixture
def portal(db, tenant_factory, user_factory, client_for, monkeypatch):
    """A New York portal whose log holds four entries around 1 March 2026 (New York time), by two people."""
    tenant = tenant_factory(time_zone="America/New_York")
    admin = user_factory(tenant, "alex@example.com", roles=("tenant_admin",), full_name="Alex Admin")
    sam = user_factory(tenant, "sam@example.com", roles=("tenant_admin",), full_name="Sam Second")
    lee = user_factory(tenant, "lee@example.com", full_name="Lee Learner")
    alex_acts = Actor(type="user", id=admin.id, label="alex@example.com", ip="192.0.2.1")
    sam_acts = Actor(type="user", id=sam.id, label="sam@example.com", ip="192.0.2.2")
    with as_tenant(tenant):
        group = Group(name='=HYPERLINK("http://evil.example")')
        db.session.add(group)
        db.session.flush()
        learner = db.session.get(User, lee.id)
        # 23:00 on 28 February in New York.
        _at(datetime(2026, 3, 1, 4, 0, tzinfo=UTC), monkeypatch)
        with acting_as(alex_acts):
            audit.record("user.created", target=learner)
        # 01:00 on 1 March in New York.
        _at(datetime(2026, 3, 1, 6, 0, tzinfo=UTC), monkeypatch)
        with acting_as(alex_acts):
            audit.record("group.created", target=group)
        _at(datetime(2026, 3, 2, 12, 0, tzinfo=UTC), monkeypatch)
        with acting_as(sam_acts):
            audit.record(
                "user.updated",
                target=learner,
                before={"full_name": "Lee Learner"},
                after={"full_name": "Leigh Learner"},
            )
        _at(datetime(2026, 3, 5, 12, 0, tzinfo=UTC), monkeypatch)
        audit.record("usage.snapshot", after={"active_people": 3})
        db.session.commit()
    monkeypatch.undo()
    return {"tenant": tenant, "client": client_for(tenant, admin), "lee": lee.id, "group": group.id}


def _seqs(page: str) -> list[str]:
    return re.findall(r'<td data-label="#" class="nowrap">(\d+)</td>', page)


def _actions(page: str) -> list[str]:
    return re.findall(r"<code>([a-z_.]+)</code>", page)


@pytest.mark.parametrize(
    "query,expected",
    [
        ({"from": "2026-03-01", "to": "2026-03-01"}, ["group.created"]),
        ({"to": "2026-02-28"}, ["user.created"]),
        ({"from": "2026-03-02"}, ["usage.snapshot", "user.updated"]),
        ({"actor": "sam"}, ["user.updated"]),
        ({"actor": "Alex Adm"}, ["group.created", "user.created"]),
        ({"event": "user.updated"}, ["user.updated"]),
        ({"action": "user."}, ["user.updated", "user.created"]),
        ({"target_type": "Group"}, ["group.created"]),
        ({"target": "leigh"}, []),
        ({"target": "Lee Learn"}, ["user.updated", "user.created"]),
        ({"target": "lee@example"}, ["user.updated", "user.created"]),
        ({"actor": "alex", "target": "lee", "from": "2026-02-01"}, ["user.created"]),
        ({"actor": "alex", "action": "user.", "to": "2026-03-01", "target_type": "User"}, ["user.created"]),
        ({"actor": "nobody"}, []),
        ({"actor": "%"}, []),
    ],
)
def test_filters_combine_and_dates_are_the_portals(portal, query, expected):
    # Up to March 2026 unless the case says: the sign-ins and the people the test adds are recorded today.
    query = {"to": "2026-03-31", **query}
    response = portal["client"].get("/admin/audit", query_string=query)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    listed = page.split("</form>", 1)[1]
    assert _actions(listed) == expected
    if not expected:
        assert "No entry matches these filters." in page
    for value in query.values():
        assert f'value="{value}"' in page  # what was typed or chosen stays on the form


def test_a_target_is_found_by_its_number(portal):
    page = (
        portal["client"]
        .get("/admin/audit", query_string={"target": str(portal["group"])})
        .get_data(as_text=True)
    )
    assert "group.created" in _actions(page.split("</form>", 1)[1])


def test_the_action_list_offers_every_known_action(portal):
    page = portal["client"].get("/admin/audit").get_data(as_text=True)
    assert '<option value="user.roles_changed">' in page and '<option value="audit.exported">' in page
    assert '<option value="Group">Group</option>' in page and '<option value="User">Person</option>' in page


def test_the_target_list_is_fixed_and_reads_nothing_from_the_log(portal, count_queries):
    with count_queries() as counter:
        page = portal["client"].get("/admin/audit").get_data(as_text=True)
    # Listing the kinds found in the log read the whole log on every view, growing with it.
    assert not [q for q in counter.statements if "distinct" in q.lower() and "audit_events" in q.lower()]
    # A kind this portal has never recorded is a choice all the same (none recorded: nothing found).
    assert '<option value="PartnerTier">Partner tier</option>' in page
    found = portal["client"].get("/admin/audit", query_string={"target_type": "PartnerTier"})
    assert _actions(found.get_data(as_text=True).split("</form>", 1)[1]) == []
    # A kind typed into the address that the list does not know still filters, and shows as chosen.
    odd = portal["client"].get("/admin/audit", query_string={"target_type": "WidgetThing"})
    assert '<option value="WidgetThing" selected>Widget thing</option>' in odd.get_data(as_text=True)


@pytest.mark.parametrize(
    "query,field,message",
    [
        ({"from": "2026-02-30"}, "from", "Enter a date as year, month and day, for example 2026-03-31."),
        ({"to": "yesterday"}, "to", "Enter a date as year, month and day, for example 2026-03-31."),
        (
            {"from": "2026-03-05", "to": "2026-03-01"},
            "to",
            "The end date must be on or after the start date.",
        ),
    ],
)
def test_a_bad_date_is_refused_and_kept_as_typed(portal, query, field, message):
    response = portal["client"].get("/admin/audit", query_string={**query, "actor": "alex"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="field-error" id="filter-{field}-error">{message}</p>' in page
    assert f'href="#filter-{field}"' in page
    for value in query.values():
        assert f'value="{value}"' in page
    assert 'value="alex"' in page and "<code>" not in page


def test_the_pages_of_a_filtered_log_keep_the_filters(db, portal):
    tenant = portal["tenant"]
    with as_tenant(tenant):
        group = db.session.get(Group, portal["group"])
        for _ in range(30):
            audit.record("group.updated", target=group, before={"name": "a"}, after={"name": "b"})
        db.session.commit()
    page = portal["client"].get("/admin/audit", query_string={"event": "group.updated", "from": "2026-01-01"})
    text = page.get_data(as_text=True)
    assert "30 entries." in text
    next_link = re.search(r'<a href="([^"]+)" rel="next">', text).group(1).replace("&amp;", "&")
    assert "event=group.updated" in next_link and "from=2026-01-01" in next_link and "page=2" in next_link
    second = portal["client"].get(next_link).get_data(as_text=True)
    assert set(_actions(second.split("</form>", 1)[1])) == {"group.updated"}
    assert len(_seqs(second)) == 5


def _export(client, **filters):
    token = csrf_token(client, "/admin/audit")
    # Buffered: the test client runs each request in a context of its own (as a server would), and the
    # body streams in the request's context, so it is read there.
    return client.post("/admin/audit/export.csv", data={"csrf_token": token, **filters}, buffered=True)


def test_the_export_holds_the_filtered_entries_with_sentence_changes_time_seq_and_hash(db, portal):
    response = _export(portal["client"], actor="sam")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1
    (row,) = rows
    with as_tenant(portal["tenant"]):
        stored = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.updated")).one()
    assert row["Seq"] == str(stored.seq)
    assert row["Hash"] == stored.hash and row["Previous hash"] == stored.prev_hash
    assert row["Time (UTC)"] == "2026-03-02T12:00:00Z"
    assert row["Action"] == "user.updated"
    assert row["What happened"] == "Sam Second changed the details of Lee Learner: name."
    assert row["Changes (before → after)"] == "name: Lee Learner → Leigh Learner"
    assert row["Actor"] == "Sam Second" and row["Actor's sign-in"] == "sam@example.com"
    assert (row["Target type"], row["Target ID"]) == ("User", str(portal["lee"]))
    assert row["From (IP address)"] == "192.0.2.2"


def test_the_export_is_itself_audited_with_its_filters(db, portal):
    _export(portal["client"], actor="sam", **{"from": "2026-03-01"})
    with as_tenant(portal["tenant"]):
        exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")).one()
    assert exported.after == {"filters": {"from": "2026-03-01", "actor": "sam"}}
    page = (
        portal["client"].get("/admin/audit", query_string={"event": "audit.exported"}).get_data(as_text=True)
    )
    assert (
        '<bdi dir="auto">Alex Admin</bdi> downloaded the audit log, filtered by from '
        '“<bdi dir="auto">2026-03-01</bdi>”, who did it “<bdi dir="auto">sam</bdi>”.'
    ) in page
    # A second, unfiltered export lists the first one (but never itself).
    rows = list(csv.DictReader(io.StringIO(_export(portal["client"]).get_data(as_text=True))))
    assert [r["Action"] for r in rows].count("audit.exported") == 1
    fixture = [r["Action"] for r in rows if r["Time (UTC)"].startswith("2026-03")]
    assert fixture == ["user.created", "group.created", "user.updated", "usage.snapshot"]


def test_the_export_is_the_tenants_own_and_its_cells_never_run_as_formulas(
    db, portal, tenant_factory, user_factory
):
    other = tenant_factory()
    user_factory(other, "lee@example.com", full_name="Lee Learner")  # recorded as user.created there
    rows = list(csv.DictReader(io.StringIO(_export(portal["client"]).get_data(as_text=True))))
    with as_tenant(portal["tenant"]):
        ours = set(db.session.scalars(select(AuditEvent.hash).where(AuditEvent.action != "audit.exported")))
    assert {r["Hash"] for r in rows} == ours and len(rows) == len(ours)
    group_row = next(r for r in rows if r["Action"] == "group.created")
    assert group_row["Target"] == '\'=HYPERLINK("http://evil.example")'
    assert group_row["What happened"].startswith("Alex Admin created the group =HYPERLINK")


def test_a_bad_date_refuses_the_export_and_writes_nothing(db, portal):
    response = _export(portal["client"], **{"from": "31/12/2026"})
    assert response.status_code == 422
    assert 'value="31/12/2026"' in response.get_data(as_text=True)
    with as_tenant(portal["tenant"]):
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all()


def test_another_tenants_admin_exports_only_their_own_log(
    db, portal, tenant_factory, user_factory, client_for
):
    other = tenant_factory()
    admin = user_factory(other, roles=("tenant_admin",))
    rows = list(
        csv.DictReader(io.StringIO(_export(client_for(other, admin), actor="alex").get_data(as_text=True)))
    )
    assert rows == []
    with as_tenant(portal["tenant"]):
        lee = db.session.get(User, portal["lee"])
    learner = client_for(portal["tenant"], lee)
    assert learner.get("/admin/audit").status_code == 403


def test_the_filtered_page_and_the_export_take_the_same_queries_for_more_entries(
    db, tenant_factory, user_factory, client_for, count_queries
):
    counts = []
    for n in (3, 12):
        tenant = tenant_factory()
        admin = user_factory(tenant, roles=("tenant_admin",), full_name="Alex Admin")
        people = [user_factory(tenant, full_name=f"Person {i:02d}") for i in range(n)]
        with as_tenant(tenant), acting_as(Actor(type="user", id=admin.id, label=admin.email)):
            for person in people:
                audit.record(
                    "user.updated", target=db.session.get(User, person.id), before={"x": 1}, after={"x": 2}
                )
            db.session.commit()
        client = client_for(tenant, admin)
        token = csrf_token(client, "/admin/audit")
        with count_queries() as page_counter:
            page = client.get(
                "/admin/audit", query_string={"actor": "alex", "target": "person", "from": "2026-01-01"}
            )
        assert page.get_data(as_text=True).count("user.updated") >= n
        with count_queries() as export_counter:
            exported = client.post(
                "/admin/audit/export.csv", data={"csrf_token": token, "actor": "alex"}, buffered=True
            )
            lines = exported.get_data(as_text=True).count("user.updated")
        assert lines == n
        counts.append((page_counter.count, export_counter.count))
    assert counts[0] == counts[1], counts
