"""Compliance by location: each unit over its subtree, worst first, within reach, and its trend."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.accounts.services import create_org_unit
from app.tenancy import as_tenant

ROLLUP = "/team/compliance/locations"


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _table_rows(page: str) -> list[list[str]]:
    """The roll-up table's rows as a person reads them: the location, then each number."""
    table = page.split('class="rollup-table"', 1)[1].split("</table>", 1)[0]
    body = table.split("<tbody>", 1)[1]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        name = _text(cells[0].split("<br>")[0]).replace(" (see its people)", "")
        rows.append([name, *(_text(c) for c in cells[1:7])])
    return rows


def _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory):
    """Midwest (Downtown with its Kitchen, Riverside) and West (Airport); people compliant or not in each.

    Downtown: the manager and Cam (compliant, a certification expiring in five days), Ovi (overdue course),
    Eve (expired certification); Kitchen: Kim, who has not accepted a policy for the Kitchen that was due
    last month; Riverside: two compliant people (River 1's certification moved to expiring by the nightly
    sweep) and a deactivated one (not counted); Airport: Al (overdue; a certification good for two more
    months). The tenant admin is in no unit and counts for the whole tenant only.
    """
    tenant = tenant_factory()
    with as_tenant(tenant):
        midwest = create_org_unit("Midwest", "region")
        west = create_org_unit("West", "region")
        downtown = create_org_unit("Downtown", "location", midwest.id)
        kitchen = create_org_unit("Kitchen", "department", downtown.id)
        riverside = create_org_unit("Riverside", "location", midwest.id)
        airport = create_org_unit("Airport", "location", west.id)
        db.session.commit()
    today = date.today()
    admin = user_factory(tenant, "admin@bistro.example", roles=("tenant_admin",), full_name="Ada Admin")
    manager = user_factory(
        tenant, "manager@bistro.example", roles=("manager",), full_name="Mo Manager", org_unit_id=downtown.id
    )
    course = course_factory(tenant, "Allergens")
    ovi = user_factory(tenant, full_name="Ovi Overdue", org_unit_id=downtown.id)
    enrol(tenant, ovi, course, due_on=today - timedelta(days=3))
    cam = user_factory(tenant, full_name="Cam Compliant", org_unit_id=downtown.id)
    enrol(tenant, cam, course, due_on=today + timedelta(days=40))
    certify(tenant, cam, "Allergen awareness", "certified", expires_at=datetime.now(UTC) + timedelta(days=5))
    eve = user_factory(tenant, full_name="Eve Expired", org_unit_id=downtown.id)
    certify(tenant, eve, "Food handler", "certified", expires_at=datetime.now(UTC) - timedelta(days=10))
    kim = user_factory(tenant, full_name="Kim Kitchen", org_unit_id=kitchen.id)
    version = policy_factory(tenant, "Knife safety", due_days=14)
    with as_tenant(tenant):
        from app.policies.models import PolicyAudience, PolicyVersion

        published = db.session.get(PolicyVersion, version.id)
        published.published_at = datetime.now(UTC) - timedelta(days=45)
        published.policy.visibility = "restricted"
        db.session.add(PolicyAudience(policy_id=published.policy_id, kind="org_unit", value=str(kitchen.id)))
        db.session.commit()
    river = [user_factory(tenant, full_name=f"River {n}", org_unit_id=riverside.id) for n in range(2)]
    certify(tenant, river[1], "First aid", "expiring", expires_at=datetime.now(UTC) + timedelta(days=40))
    gone = user_factory(tenant, full_name="Gone Away", org_unit_id=riverside.id)
    enrol(tenant, gone, course, due_on=today - timedelta(days=3))
    with as_tenant(tenant):
        from app.accounts.models import User

        db.session.get(User, gone.id).status = "deactivated"
        db.session.commit()
    al = user_factory(tenant, full_name="Al Airport", org_unit_id=airport.id)
    enrol(tenant, al, course, due_on=today - timedelta(days=1))
    certify(tenant, al, "Forklift", "certified", expires_at=datetime.now(UTC) + timedelta(days=60))
    return {
        "tenant": tenant,
        "admin": admin,
        "manager": manager,
        "units": {
            "midwest": midwest,
            "west": west,
            "downtown": downtown,
            "kitchen": kitchen,
            "riverside": riverside,
            "airport": airport,
        },
        "people": {"ovi": ovi, "cam": cam, "eve": eve, "kim": kim, "al": al},
    }


def test_a_tenant_admin_compares_every_unit_over_its_subtree_worst_first(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory, client_for
):
    org = _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory)
    page = client_for(org["tenant"], org["admin"]).get(ROLLUP)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    # location, people, compliant, percent, overdue, expired, expiring
    assert _table_rows(body) == [
        ["Airport", "1", "0", "0%", "1", "0", "0"],
        ["Kitchen", "1", "0", "0%", "1", "0", "0"],
        ["West", "1", "0", "0%", "1", "0", "0"],
        ["Downtown", "5", "2", "40%", "2", "1", "1"],
        ["Midwest", "7", "4", "57%", "2", "1", "2"],
        ["Riverside", "2", "2", "100%", "0", "0", "1"],
    ]
    assert ">Expiring</th>" in body
    # The whole tenant: the admin, in no unit, counts too.
    assert "55% compliant (5 of 9 people)" in _text(body)
    assert "2 with certifications expiring soon" in _text(body)
    # Each location opens the dashboard filtered to it.
    assert f'href="/team/?location={org["units"]["downtown"].id}"' in body


def test_the_tree_view_lists_each_unit_under_its_parent(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory, client_for
):
    org = _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory)
    body = client_for(org["tenant"], org["admin"]).get(f"{ROLLUP}?view=tree").get_data(as_text=True)
    assert [row[0] for row in _table_rows(body)] == [
        "Midwest",
        "Downtown",
        "Kitchen",
        "Riverside",
        "West",
        "Airport",
    ]
    assert 'class="rollup-depth-2"' in body  # the Kitchen, two levels down
    assert 'aria-current="page">As the organisation tree' in body


def test_a_location_manager_sees_only_their_subtree(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory, client_for
):
    org = _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory)
    client = client_for(org["tenant"], org["manager"])
    body = client.get(ROLLUP).get_data(as_text=True)
    assert _table_rows(body) == [
        ["Kitchen", "1", "0", "0%", "1", "0", "0"],
        ["Downtown", "5", "2", "40%", "2", "1", "1"],
    ]
    text = _text(body)
    for elsewhere in ("Midwest", "Riverside", "Airport", "West"):
        assert elsewhere not in text
    assert "40% compliant (2 of 5 people)" in text
    # Asking for another location's trend shows nothing of it.
    riverside = org["units"]["riverside"].id
    assert "Riverside" not in _text(client.get(f"{ROLLUP}?location={riverside}").get_data(as_text=True))


def test_learners_may_not_compare_locations_and_auditors_may_without_drilling_down(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory, client_for
):
    org = _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory)
    learner = user_factory(org["tenant"], full_name="Lee Learner", org_unit_id=org["units"]["downtown"].id)
    assert client_for(org["tenant"], learner).get(ROLLUP).status_code == 403
    auditor = user_factory(org["tenant"], roles=("auditor",), full_name="Aud Itor")
    body = client_for(org["tenant"], auditor).get(ROLLUP).get_data(as_text=True)
    assert len(_table_rows(body)) == 6 and "/team/?location=" not in body


def test_another_tenants_location_is_never_shown(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory, client_for
):
    org = _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory)
    other = tenant_factory()
    with as_tenant(other):
        foreign = create_org_unit("Elsewhere Diner", "location")
        db.session.commit()
    user_factory(other, full_name="Foreign Cook", org_unit_id=foreign.id)
    body = (
        client_for(org["tenant"], org["admin"]).get(f"{ROLLUP}?location={foreign.id}").get_data(as_text=True)
    )
    assert "Elsewhere" not in body and len(_table_rows(body)) == 6


def test_the_sql_counts_agree_with_each_persons_standing(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory
):
    """The roll-up's SQL and the dashboard's per-person model say the same of every unit."""
    from app.accounts.models import Group, GroupMembership, User
    from app.compliance.rollup import Counts, counts_per_unit
    from app.compliance.status import for_people, summarise
    from app.policies.models import PolicyAudience, PolicyVersion
    from app.policies.services import acknowledge_policy

    org = _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory)
    # Two more overdue policies: one for a group Cam is in, one for Riverside that one of its two signed.
    gloves = policy_factory(org["tenant"], "Gloves", due_days=7)
    river = policy_factory(org["tenant"], "River rules", due_days=7)
    with as_tenant(org["tenant"]):
        group = Group(name="Prep")
        db.session.add(group)
        db.session.flush()
        db.session.add(GroupMembership(group_id=group.id, user_id=org["people"]["cam"].id))
        for version, kind, value in (
            (gloves, "group", group.id),
            (river, "org_unit", org["units"]["riverside"].id),
        ):
            published = db.session.get(PolicyVersion, version.id)
            published.published_at = datetime.now(UTC) - timedelta(days=30)
            published.policy.visibility = "restricted"
            db.session.add(PolicyAudience(policy_id=published.policy_id, kind=kind, value=str(value)))
        signer = db.session.scalars(select(User).where(User.full_name == "River 0")).one()
        acknowledge_policy(
            signer,
            db.session.get(PolicyVersion, river.id),
            "River 0",
            accepted=True,
            ip=None,
            user_agent=None,
        )
        db.session.commit()
    with as_tenant(org["tenant"]):
        direct = counts_per_unit()
        assert direct[org["units"]["riverside"].id] == Counts(2, 1, 1, 0, 1)
        assert direct[org["units"]["downtown"].id] == Counts(4, 1, 2, 1, 1)
        for unit in org["units"].values():
            ids = set(
                db.session.scalars(
                    select(User.id).where(User.org_unit_id == unit.id, User.status == "active")
                )
            )
            summary = summarise(for_people(ids).values()) if ids else None
            mine = direct.get(unit.id)
            if summary is None:
                assert mine is None
                continue
            assert (mine.people, mine.compliant, mine.overdue, mine.expired, mine.expiring) == (
                summary.people,
                summary.compliant,
                summary.overdue_people,
                summary.expired_people,
                summary.expiring_people,
            ), unit.name


def test_the_weekly_snapshot_job_is_idempotent_and_updates_the_week(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory
):
    from app.compliance.jobs import record_weekly_snapshots
    from app.compliance.models import ComplianceSnapshot
    from app.learning.models import Enrollment

    org = _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory)
    tenant = org["tenant"]

    def stored() -> dict[Any, tuple[int, int, int, int]]:
        with as_tenant(tenant):
            return {
                s.org_unit_id: (s.people, s.compliant, s.overdue, s.expired)
                for s in db.session.scalars(select(ComplianceSnapshot))
            }

    with as_tenant(tenant):
        assert record_weekly_snapshots() == 7  # six units and the whole tenant
        db.session.commit()
    first = stored()
    assert first[None] == (9, 5, 3, 1) and first[org["units"]["downtown"].id] == (5, 2, 2, 1)
    with as_tenant(tenant):
        record_weekly_snapshots()
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(ComplianceSnapshot)) == 7
    assert stored() == first
    # Al finishes his training: running again the same week updates the week's rows.
    with as_tenant(tenant):
        enrollment = db.session.scalars(
            select(Enrollment).where(Enrollment.user_id == org["people"]["al"].id)
        ).one()
        enrollment.completed_at = datetime.now(UTC)
        db.session.commit()
        record_weekly_snapshots()
        db.session.commit()
    again = stored()
    assert (
        len(again) == 7 and again[org["units"]["airport"].id] == (1, 1, 0, 0) and again[None] == (9, 6, 2, 1)
    )


def test_the_trend_shows_weeks_without_a_snapshot_as_gaps_and_today_last(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory, client_for
):
    from app.compliance.rollup import Counts, store_snapshots, week_start
    from app.compliance.status import portal_today

    org = _org(db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory)
    downtown = org["units"]["downtown"].id
    with as_tenant(org["tenant"]):
        this_week = week_start(portal_today())
        store_snapshots(
            this_week - timedelta(weeks=3), {None: Counts(8, 2, 6, 0), downtown: Counts(4, 1, 3, 0)}
        )
        store_snapshots(this_week - timedelta(weeks=1), {None: Counts(8, 6, 2, 0)})
        db.session.commit()
    body = client_for(org["tenant"], org["admin"]).get(f"{ROLLUP}?location={downtown}").get_data(as_text=True)
    numbers = body.split('class="trend-numbers"', 1)[1]
    rows = [
        [_text(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", numbers.split("<tbody>", 1)[1], re.S)
    ]
    assert len(rows) == 12
    assert [r[1:] for r in rows[-4:]] == [
        ["25% (8 people)", "25% (4 people)"],
        ["No record", "No record"],
        ["75% (8 people)", "No record"],
        ["55% (9 people)", "40% (5 people)"],
    ]
    assert rows[-1][0].startswith("Today")
    assert sum(r.count("No record") for r in rows) == 9 + 10  # gaps, never zeros
    assert "0%" not in " ".join(" ".join(r[1:]) for r in rows[:-1])
    svg = body.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert 'role="img"' in body and "<title" in svg and "<desc" in svg
    # The whole tenant's line: a lone point three weeks ago, then a line from last week to today.
    assert svg.count('class="trend-line trend-line-primary"') == 2
    assert svg.count('class="trend-dot trend-dot-primary"') == 3


def test_the_rollup_takes_the_same_number_of_queries_for_a_small_or_a_big_organisation(
    db,
    tenant_factory,
    user_factory,
    course_factory,
    enrol,
    certify,
    policy_factory,
    client_for,
    count_queries,
):
    counts = []
    for size in (2, 8):
        tenant = tenant_factory()
        with as_tenant(tenant):
            region = create_org_unit("Region", "region")
            stores = [create_org_unit(f"Store {n}", "location", region.id) for n in range(size)]
            db.session.commit()
        admin = user_factory(tenant, roles=("tenant_admin",), full_name="Ada Admin")
        course = course_factory(tenant, "Allergens")
        policy_factory(tenant, "Conduct", due_days=14)
        for n, store in enumerate(stores):
            for m in range(size):
                person = user_factory(tenant, full_name=f"Cook {n}-{m}", org_unit_id=store.id, password=None)
                enrol(tenant, person, course, due_on=date.today() - timedelta(days=(n + m) % 2))
                if m == 0:
                    certify(tenant, person, f"Cert {n}", "expired")
        client = client_for(tenant, admin)
        client.get(f"{ROLLUP}?location={stores[0].id}")
        with count_queries() as counter:
            body = client.get(f"{ROLLUP}?location={stores[0].id}").get_data(as_text=True)
        assert len(_table_rows(body)) == size + 1
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_the_monday_cron_records_each_tenants_week_in_that_tenant_only(
    db, tenant_factory, user_factory, jobs_inline
):
    from app.compliance.models import ComplianceSnapshot
    from workers.nightly import compliance_snapshots_everywhere

    tenants = []
    for name in ("North", "South"):
        tenant = tenant_factory()
        with as_tenant(tenant):
            unit = create_org_unit(name, "location")
            db.session.commit()
        user_factory(tenant, full_name=f"{name} Cook", org_unit_id=unit.id)
        tenants.append((tenant, unit))
    assert compliance_snapshots_everywhere() >= 2  # jobs run inline here, as on a machine without Redis
    for tenant, unit in tenants:
        with as_tenant(tenant):
            rows = {s.org_unit_id: s.people for s in db.session.scalars(select(ComplianceSnapshot))}
        assert rows == {None: 1, unit.id: 1}


def test_a_manager_placed_in_no_location_is_told_so(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    with as_tenant(tenant):
        create_org_unit("Downtown", "location")
        db.session.commit()
    manager = user_factory(tenant, roles=("manager",), full_name="Mo Manager")
    page = client_for(tenant, manager).get(ROLLUP)
    assert page.status_code == 200
    text = _text(page.get_data(as_text=True))
    assert "You are not placed in a location" in text and "Downtown" not in text


def test_flask_compliance_snapshot_records_the_week_for_one_tenant(app, db, tenant_factory, user_factory):
    from app.compliance.models import ComplianceSnapshot

    tenant = tenant_factory()
    with as_tenant(tenant):
        unit = create_org_unit("Harbour", "location")
        db.session.commit()
    user_factory(tenant, full_name="Harbour Cook", org_unit_id=unit.id)
    result = app.test_cli_runner().invoke(args=["compliance", "snapshot", "--tenant", tenant.slug])
    assert result.exit_code == 0 and f"{tenant.slug}: 2 snapshots" in result.output, result.output
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count()).select_from(ComplianceSnapshot)) == 2
