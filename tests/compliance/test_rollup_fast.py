"""The roll-up's fast path: subtree sums from the leaves, a minute's cache of the whole tenant, pages of
locations. Each is checked against the plain computation: every person's standing, unit by unit."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.services import create_org_unit
from app.tenancy import as_tenant
from tests.compliance.test_rollup import ROLLUP, _org, _table_rows, _text


def _every_status(db, org, user_factory, course_factory, enrol, certify, policy_factory) -> dict[str, Any]:
    """Add to the roll-up's org one person per status, an empty unit, a policy for everyone, and two units
    that are each other's parent (bad data: a cycle, hanging from no root)."""
    from app.accounts.models import OrgUnit
    from app.learning.models import Enrollment
    from app.policies.models import PolicyVersion
    from app.policies.services import acknowledge_policy

    tenant, units = org["tenant"], org["units"]
    today = date.today()
    with as_tenant(tenant):
        empty = create_org_unit("Empty", "location", units["west"].id)
        loop_a = create_org_unit("Loop A", "location")
        loop_b = create_org_unit("Loop B", "department", loop_a.id)
        db.session.flush()
        db.session.get(OrgUnit, loop_a.id).parent_id = loop_b.id
        db.session.commit()
    course = course_factory(tenant, "Hygiene")
    people = {}
    for key, unit, due in (
        ("done", units["riverside"], today - timedelta(days=9)),
        ("in_progress", units["airport"], today + timedelta(days=30)),
        ("not_started", units["kitchen"], today + timedelta(days=30)),
        ("due_soon", units["downtown"], today + timedelta(days=3)),
        ("overdue", loop_b, today - timedelta(days=2)),
    ):
        person = user_factory(tenant, full_name=f"Pat {key}", org_unit_id=unit.id)
        enrol(tenant, person, course, due_on=due)
        people[key] = person
    with as_tenant(tenant):
        for key, field in (("done", "completed_at"), ("in_progress", "started_at")):
            enrollment = db.session.scalars(
                select(Enrollment).where(Enrollment.user_id == people[key].id)
            ).one()
            setattr(enrollment, field, datetime.now(UTC) - timedelta(days=1))
        db.session.commit()
    now = datetime.now(UTC)
    revoked = user_factory(tenant, full_name="Rev Oked", org_unit_id=units["airport"].id)
    certify(tenant, revoked, "Gas safety 1", "revoked", expires_at=now + timedelta(days=100))
    in_grace = user_factory(tenant, full_name="Gia Grace", org_unit_id=loop_a.id)
    certify(tenant, in_grace, "Gas safety 2", "certified", now - timedelta(days=2), now + timedelta(days=20))
    lapsed = user_factory(tenant, full_name="Lap Sed", org_unit_id=units["kitchen"].id)
    certify(tenant, lapsed, "Gas safety 3", "expiring", now - timedelta(days=20), now - timedelta(days=1))
    user_factory(tenant, full_name="Nobody's Cook")  # in no unit: the whole tenant counts them only
    # A policy everyone must have signed by last week; all did but Pat (due soon) and the cook in no unit.
    conduct = policy_factory(tenant, "Conduct", due_days=7)
    with as_tenant(tenant):
        from app.accounts.models import User

        version = db.session.get(PolicyVersion, conduct.id)
        version.published_at = now - timedelta(days=30)
        for person in db.session.scalars(select(User).where(User.status == "active")):
            if person.full_name not in ("Pat due_soon", "Nobody's Cook"):
                acknowledge_policy(person, version, person.full_name, accepted=True, ip=None, user_agent=None)
        db.session.commit()
    return {"empty": empty, "loop_a": loop_a, "loop_b": loop_b}


def _plainly(db, tenant) -> dict[int | None, tuple[int, int, int, int, int]]:
    """Each unit's figures the straightforward way: every active person below it (following each
    person's unit up its parents, round a cycle too), their standing one by one."""
    from app.accounts.models import OrgUnit, User
    from app.compliance.status import for_people, summarise

    with as_tenant(tenant):
        parents = dict(db.session.execute(select(OrgUnit.id, OrgUnit.parent_id)).all())
        people = db.session.execute(select(User.id, User.org_unit_id).where(User.status == "active")).all()
        standing = for_people([person_id for person_id, _unit in people])
    members: dict[int | None, list[int]] = {unit_id: [] for unit_id in parents}
    members[None] = []
    for person_id, unit_id in people:
        members[None].append(person_id)
        seen: set[int] = set()
        while unit_id in parents and unit_id not in seen:
            seen.add(unit_id)
            members[unit_id].append(person_id)
            unit_id = parents[unit_id]
    figures = {}
    for unit_id, ids in members.items():
        s = summarise(standing[i] for i in ids)
        figures[unit_id] = (s.people, s.compliant, s.overdue_people, s.expired_people, s.expiring_people)
    return figures


def test_the_fast_rollup_agrees_with_each_persons_standing_in_every_unit(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory, client_for, app
):
    from app.accounts.models import User
    from app.compliance.rollup import figures_by_unit, rollup_for

    org = _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory)
    extra = _every_status(db, org, user_factory, course_factory, enrol, certify, policy_factory)
    expected = _plainly(db, org["tenant"])
    # Every status is there, so a wrong sum or set would show.
    assert expected[None] == (18, 8, 8, 3, 3), expected[None]

    def shown(result: Any) -> dict[int | None, tuple[int, int, int, int, int]]:
        found = {row.id: row.counts for row in result.tree}
        found[result.top_unit_id] = result.total
        return {k: (c.people, c.compliant, c.overdue, c.expired, c.expiring) for k, c in found.items()}

    with as_tenant(org["tenant"]):
        admin = db.session.get(User, org["admin"].id)
        assert shown(rollup_for(admin, refresh=True)) == expected
        manager = db.session.get(User, org["manager"].id)
        mine = shown(rollup_for(manager))
        downtown, kitchen = org["units"]["downtown"].id, org["units"]["kitchen"].id
        assert mine == {downtown: expected[downtown], kitchen: expected[kitchen]}
        # The weekly snapshot's figures: the same, without expiring (the trend is of compliance).
        snapshot = {
            k: (c.people, c.compliant, c.overdue, c.expired) for k, c in figures_by_unit(date.today()).items()
        }
        assert snapshot == {k: v[:4] for k, v in expected.items()}
    # The cycle's two units each count both, as the tree walk always did; the empty unit counts nobody.
    assert expected[extra["loop_a"].id] == expected[extra["loop_b"].id] == (2, 1, 1, 0, 1)
    rows = {row[0]: row[1:] for row in _table_rows(client_for(org["tenant"], org["admin"]).get(ROLLUP).text)}
    assert rows["Empty"] == ["0", "0", "— nobody to count", "0", "0", "0"] and rows["Loop A"] == [
        "2",
        "1",
        "50%",
        "1",
        "0",
        "1",
    ]


def test_the_whole_tenant_is_counted_once_a_minute_and_again_on_request(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory, client_for, monkeypatch
):
    from app.compliance import rollup_cache
    from app.learning.models import Enrollment

    org = _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory)
    admin = client_for(org["tenant"], org["admin"])
    manager = client_for(org["tenant"], org["manager"])
    first = admin.get(ROLLUP).text
    assert "55% compliant (5 of 9 people)" in _text(first)
    assert re.search(r"Counted at \d{1,2}:\d{2}", _text(first)) and "Count again now" in first
    # Ovi finishes his overdue course.
    with as_tenant(org["tenant"]):
        enrollment = db.session.scalars(
            select(Enrollment).where(Enrollment.user_id == org["people"]["ovi"].id)
        ).one()
        enrollment.completed_at = datetime.now(UTC)
        db.session.commit()
    # The manager's own location is counted live: they see it at once, and no "counted at".
    mine = manager.get(ROLLUP).text
    assert "60% compliant (3 of 5 people)" in _text(mine) and "Counted at" not in mine
    # The admin's whole-tenant figures are those counted a moment ago...
    assert "55% compliant (5 of 9 people)" in _text(admin.get(f"{ROLLUP}?view=tree").text)
    # ...until they ask for a count now (a few seconds after the last one).
    monkeypatch.setattr(rollup_cache, "REFRESH_AFTER_SECONDS", 0)
    again = admin.get(f"{ROLLUP}?refresh=1").text
    assert "66% compliant (6 of 9 people)" in _text(again)
    assert ["Downtown", "5", "3", "60%", "1", "1", "1"] in _table_rows(again)
    # The list's links do not ask for another count.
    assert "refresh=1" not in again.split("Count again now", 1)[1]


def test_counting_the_whole_tenant_takes_the_same_statements_for_a_small_or_a_big_organisation(
    app,
    db,
    tenant_factory,
    user_factory,
    course_factory,
    enrol,
    certify,
    policy_factory,
    client_for,
    count_queries,
    monkeypatch,
):
    """Counted afresh (no cache) and read from the cache: a fixed number of statements each."""
    counts = []
    for size in (2, 8):
        tenant = tenant_factory()
        with as_tenant(tenant):
            region = create_org_unit("Region", "region")
            stores = [create_org_unit(f"Store {n}", "location", region.id) for n in range(size)]
            db.session.commit()
        admin = user_factory(tenant, roles=("tenant_admin",), full_name="Ada Admin")
        course = course_factory(tenant, "Allergens")
        for n, store in enumerate(stores):
            for m in range(size):
                person = user_factory(tenant, full_name=f"Cook {n}-{m}", org_unit_id=store.id, password=None)
                enrol(tenant, person, course, due_on=date.today() - timedelta(days=(n + m) % 2))
        client = client_for(tenant, admin)
        client.get(ROLLUP)
        with count_queries() as cached:
            client.get(ROLLUP)
        monkeypatch.setitem(app.config, "COMPLIANCE_ROLLUP_CACHE_SECONDS", 0)
        with count_queries() as counted:
            body = client.get(ROLLUP).text
        monkeypatch.undo()
        assert len(_table_rows(body)) == size + 1
        counts.append((cached.count, counted.count))
    assert counts[0] == counts[1] and counts[0][0] < counts[0][1], counts


@pytest.mark.parametrize("view", ["worst", "tree"])
def test_a_large_organisation_is_listed_fifty_locations_a_page(
    db, tenant_factory, user_factory, client_for, view
):
    tenant = tenant_factory()
    with as_tenant(tenant):
        regions = [create_org_unit(f"Region {r}", "region") for r in range(2)]
        for r, region in enumerate(regions):
            for n in range(30):
                create_org_unit(f"Store {r}-{n:02d}", "location", region.id)
        db.session.commit()
    admin = user_factory(tenant, roles=("tenant_admin",), full_name="Ada Admin")
    client = client_for(tenant, admin)
    first = client.get(f"{ROLLUP}?view={view}").text
    second = client.get(f"{ROLLUP}?view={view}&page=2").text
    names = [row[0] for row in _table_rows(first)] + [row[0] for row in _table_rows(second)]
    assert len(_table_rows(first)) == 50 and len(names) == 62 and len(set(names)) == 62
    assert "Locations 1 to 50 of 62" in _text(first) and "Locations 51 to 62 of 62" in _text(second)
    assert f'href="/team/compliance/locations?page=2&amp;view={view}" rel="next"' in first
    assert 'rel="prev"' in second and 'rel="next"' not in second
    paths = re.compile(r"<br><small>(.*?)</small>")
    if view == "tree":
        # The second page starts inside Region 1: its rows say where they hang; the first needs not.
        assert paths.findall(second) == ["<bdi>Region 1</bdi>"] * 12 and not paths.findall(first)
    else:
        assert len(paths.findall(first)) == 48  # every store says its region
    # A page past the end shows the last one; nonsense shows the first.
    assert _table_rows(client.get(f"{ROLLUP}?view={view}&page=9").text) == _table_rows(second)
    assert _table_rows(client.get(f"{ROLLUP}?view={view}&page=x").text) == _table_rows(first)


def test_a_manager_of_many_units_reads_the_kept_whole_tenant_counts_of_their_own_units_only(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory, client_for, monkeypatch
):
    from app.compliance import rollup

    org = _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory)
    # Another tenant's whole-tenant counts are kept too, under their own key.
    other = tenant_factory()
    with as_tenant(other):
        elsewhere = create_org_unit("Elsewhere Diner", "location")
        db.session.commit()
    for n in range(3):
        user_factory(other, full_name=f"Foreign Cook {n}", org_unit_id=elsewhere.id)
    other_admin = user_factory(other, roles=("tenant_admin",), full_name="Other Admin")
    assert "100% compliant (4 of 4 people)" in _text(client_for(other, other_admin).get(ROLLUP).text)
    client_for(org["tenant"], org["admin"]).get(ROLLUP)
    # Past the IN-list limit a manager's subtree is read from everyone's counts (kept a minute).
    monkeypatch.setattr(rollup, "_IN_LIST_LIMIT", 1)
    body = client_for(org["tenant"], org["manager"]).get(ROLLUP).text
    assert _table_rows(body) == [
        ["Kitchen", "1", "0", "0%", "1", "0", "0"],
        ["Downtown", "5", "2", "40%", "2", "1", "1"],
    ]
    text = _text(body)
    assert "40% compliant (2 of 5 people)" in text and "Counted at" in text
    for elsewhere_name in ("Midwest", "Riverside", "Airport", "West", "Elsewhere"):
        assert elsewhere_name not in text
