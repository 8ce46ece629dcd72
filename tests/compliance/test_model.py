"""The compliance model: each item's status at its boundaries, a person's standing, and a location's share."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.accounts.services import create_org_unit
from app.compliance.status import (
    Kind,
    Status,
    certification_status,
    for_people,
    portal_today,
    status_by_due_date,
    summary,
)
from app.tenancy import as_tenant

TODAY = date(2026, 12, 5)


@pytest.mark.parametrize(
    ("due_on", "done", "started", "expected"),
    [
        (None, False, False, Status.not_started),
        (None, False, True, Status.in_progress),
        (TODAY - timedelta(days=1), False, True, Status.overdue),
        (TODAY, False, False, Status.due_soon),  # due today is not late yet
        (TODAY + timedelta(days=14), False, False, Status.due_soon),
        (TODAY + timedelta(days=15), False, False, Status.not_started),
        (TODAY + timedelta(days=15), False, True, Status.in_progress),
        (TODAY - timedelta(days=30), True, True, Status.done),  # done late is done
    ],
)
def test_a_course_or_policy_is_read_by_its_due_date_then_its_progress(due_on, done, started, expected):
    assert status_by_due_date(done=done, started=started, due_on=due_on, today=TODAY) == expected


def test_due_soon_days_are_configurable():
    due = TODAY + timedelta(days=20)
    assert status_by_due_date(done=False, started=False, due_on=due, today=TODAY) == Status.not_started
    assert status_by_due_date(done=False, started=False, due_on=due, today=TODAY, due_soon_days=30) == (
        Status.due_soon
    )


@pytest.mark.parametrize(
    ("state", "expires_on", "lapses_on", "expected"),
    [
        ("in_progress", None, None, Status.in_progress),
        ("not_started", None, None, Status.not_started),
        ("certified", None, None, Status.done),  # never expires
        ("certified", TODAY + timedelta(days=15), TODAY + timedelta(days=15), Status.done),
        ("certified", TODAY + timedelta(days=14), TODAY + timedelta(days=14), Status.expiring),
        ("certified", TODAY + timedelta(days=1), TODAY + timedelta(days=1), Status.expiring),
        ("certified", TODAY, TODAY, Status.expired),  # the sweep has not run yet: the clock wins
        ("expiring", TODAY + timedelta(days=50), TODAY + timedelta(days=50), Status.expiring),
        ("expiring", TODAY - timedelta(days=2), TODAY + timedelta(days=5), Status.expiring),  # in grace
        ("expiring", TODAY - timedelta(days=9), TODAY, Status.expired),  # grace over
        ("expired", TODAY - timedelta(days=1), TODAY - timedelta(days=1), Status.expired),
        ("revoked", None, None, Status.expired),
    ],
)
def test_a_certification_is_read_by_its_state_and_the_clock(state, expires_on, lapses_on, expected):
    assert (
        certification_status(state=state, expires_on=expires_on, lapses_on=lapses_on, today=TODAY) == expected
    )


def test_statuses_sort_worst_first_and_only_overdue_or_expired_break_compliance():
    assert sorted(Status, key=lambda s: s.rank)[:3] == [Status.overdue, Status.expired, Status.expiring]
    assert {s for s in Status if s.breaks_compliance} == {Status.overdue, Status.expired}


def test_today_is_the_portals_date(tenant_factory):
    tenant = tenant_factory(time_zone="Pacific/Auckland")
    # 20:00 UTC on 5 December is already 6 December in Auckland (UTC+13 in summer) and still the 5th in UTC.
    moment = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)
    assert portal_today(tenant, moment) == date(2026, 12, 6)
    tenant.time_zone = "America/Los_Angeles"
    assert portal_today(tenant, moment) == date(2026, 12, 5)
    tenant.time_zone = "Not/AZone"
    assert portal_today(tenant, moment) == date(2026, 12, 5)


def test_a_certification_expires_on_the_portals_calendar_day(db, tenant_factory, user_factory, certify):
    """An expiry stored in UTC counts on the day it falls on where the portal is."""
    tenant = tenant_factory(time_zone="Pacific/Auckland")
    person = user_factory(tenant, full_name="Kiri Cook")
    # 11:30 UTC on 5 December is 00:30 on 6 December in Auckland: valid through the 5th there.
    certify(tenant, person, "Barista", "certified", expires_at=datetime(2026, 12, 5, 11, 30, tzinfo=UTC))
    with as_tenant(tenant):
        item = for_people([person.id], date(2026, 12, 5), tenant=tenant)[person.id].items[0]
        assert item.expires_on == date(2026, 12, 6) and item.status == Status.expiring
        item = for_people([person.id], date(2026, 12, 6), tenant=tenant)[person.id].items[0]
        assert item.status == Status.expired


def test_every_kind_of_required_item_is_found_with_its_status(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory
):
    tenant = tenant_factory()
    person = user_factory(tenant, full_name="Dana Cook")
    bystander = user_factory(tenant, full_name="Nobody Else")
    today = date.today()
    late = course_factory(tenant, "Allergens")
    enrol(tenant, person, late, due_on=today - timedelta(days=1))
    soon = course_factory(tenant, "Knife skills")
    enrol(tenant, person, soon, due_on=today + timedelta(days=3), source="manager")
    chosen = course_factory(tenant, "Latte art")
    enrol(tenant, person, chosen, source="self")  # chosen, no due date: not required
    practical = course_factory(tenant, "Fryer", checkpoint=True)
    enrol(tenant, person, practical, due_on=today + timedelta(days=40))
    certify(tenant, person, "Food handler", "certified", expires_at=datetime.now(UTC) + timedelta(days=5))
    certify(tenant, person, "First aid", "expired", expires_at=datetime.now(UTC) - timedelta(days=5))
    policy_factory(tenant, "Code of Conduct", due_days=14)

    with as_tenant(tenant):
        standing = for_people([person.id, bystander.id], today)
    mine = {(item.kind, item.title): item.status for item in standing[person.id].items}
    assert mine == {
        (Kind.course, "Allergens"): Status.overdue,
        (Kind.course, "Knife skills"): Status.due_soon,
        (Kind.course, "Fryer"): Status.not_started,
        (Kind.checkpoint, "Fryer: Show it"): Status.not_started,
        (Kind.certification, "Food handler"): Status.expiring,
        (Kind.certification, "First aid"): Status.expired,
        (Kind.policy, "Code of Conduct"): Status.due_soon,
    }
    assert standing[person.id].worst_status == Status.overdue
    assert not standing[person.id].compliant
    assert [i.status for i in standing[person.id].items][:2] == [Status.overdue, Status.expired]
    # The policy applies to everyone: the bystander has it too, and is compliant.
    assert [(i.title, i.status) for i in standing[bystander.id].items] == [
        ("Code of Conduct", Status.due_soon)
    ]
    assert standing[bystander.id].compliant


def test_done_items_keep_a_person_compliant_and_an_overdue_policy_does_not(
    db, tenant_factory, user_factory, course_factory, enrol, policy_factory
):
    from app.learning.models import Enrollment
    from app.policies.services import acknowledge_policy

    tenant = tenant_factory()
    person = user_factory(tenant, full_name="Sam Cook")
    today = date.today()
    course = course_factory(tenant, "Allergens")
    enrollment = enrol(tenant, person, course, due_on=today - timedelta(days=3))
    version = policy_factory(tenant, "Hygiene", due_days=1)
    with as_tenant(tenant):
        db.session.get(Enrollment, enrollment.id).completed_at = datetime.now(UTC)
        version = db.session.merge(version)
        version.published_at = datetime.now(UTC) - timedelta(days=10)
        db.session.commit()
        standing = for_people([person.id], today)[person.id]
        assert {i.title: i.status for i in standing.items} == {
            "Allergens": Status.done,
            "Hygiene": Status.overdue,
        }
        assert not standing.compliant
        acknowledge_policy(
            db.session.merge(person), version, "Sam Cook", accepted=True, ip=None, user_agent=None
        )
        db.session.commit()
        standing = for_people([person.id], today)[person.id]
        assert {i.title: i.status for i in standing.items} == {
            "Allergens": Status.done,
            "Hygiene": Status.done,
        }
        assert standing.compliant


def test_a_location_is_compliant_as_a_share_of_the_people_of_its_subtree(
    db, tenant_factory, user_factory, course_factory, enrol
):
    tenant = tenant_factory()
    with as_tenant(tenant):
        region = create_org_unit("North", "region")
        db.session.flush()
        downtown = create_org_unit("Downtown", "location", region.id)
        airport = create_org_unit("Airport", "location", region.id)
        db.session.commit()
    course = course_factory(tenant, "Allergens")
    today = date.today()
    for number, unit in enumerate([downtown, downtown, downtown, airport]):
        person = user_factory(tenant, full_name=f"Cook {number}", org_unit_id=unit.id)
        enrol(
            tenant,
            person,
            course,
            due_on=today - timedelta(days=1) if number == 0 else today + timedelta(days=30),
        )
    with as_tenant(tenant):
        north, down, air = (
            summary(region.id, today=today),
            summary(downtown.id, today=today),
            summary(airport.id),
        )
    assert (north.people, north.compliant, north.percent, north.overdue_people) == (4, 3, 75, 1)
    assert (down.people, down.compliant, down.percent) == (3, 2, 66)
    assert (air.people, air.compliant, air.percent, air.overdue_people) == (1, 1, 100, 0)
    assert north.items[Status.overdue] == 1 and north.items[Status.not_started] == 3


def test_the_model_takes_the_same_number_of_statements_for_few_or_many_people(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory, count_queries
):
    counts = []
    for size in (2, 12):
        tenant = tenant_factory()
        courses = [course_factory(tenant, f"Station {n}", checkpoint=n == 0) for n in range(2)]
        policy_factory(tenant, "Code of Conduct")
        ids = []
        for number in range(size):
            person = user_factory(tenant, full_name=f"Cook {number}", password=None)
            ids.append(person.id)
            for course in courses:
                enrol(tenant, person, course, due_on=date.today())
            certify(
                tenant,
                person,
                f"Cert {number}",
                "certified",
                expires_at=datetime.now(UTC) + timedelta(days=3),
            )
        with as_tenant(tenant), count_queries() as counter:
            standing = for_people(ids, date.today())
        assert all(len(s.items) == 5 for s in standing.values())  # 2 courses, a checkpoint, cert, policy
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
