"""The dashboard's SQL counts of each person's items agree with the full model, item for item."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from app.compliance.ranking import NOTHING, item_titles, rank_people
from app.compliance.status import Status, for_people
from app.tenancy import as_tenant


def _counted(standing) -> list[int]:
    counts = [0] * len(Status)
    for item in standing.items:
        counts[item.status.rank] += 1
    return counts


def test_each_persons_items_are_counted_by_status_as_the_model_reads_them(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory
):
    from app.accounts.models import User

    tenant = tenant_factory(time_zone="Pacific/Auckland")
    today = date(2026, 12, 5)
    now = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)
    dana = user_factory(tenant, full_name="Dana Cook")
    kiri = user_factory(tenant, full_name="Kiri Cook")
    sam = user_factory(tenant, full_name="Sam Cook")
    nobody = user_factory(tenant, full_name="Nobody Else")
    late = course_factory(tenant, "Allergens")
    enrol(tenant, dana, late, due_on=today - timedelta(days=1))
    enrol(tenant, kiri, late, due_on=today + timedelta(days=14))  # the last day of "due soon"
    enrol(tenant, sam, late, due_on=today + timedelta(days=15))
    chosen = course_factory(tenant, "Latte art")
    enrol(tenant, dana, chosen, source="self")  # chosen, no due date: not required
    practical = course_factory(tenant, "Fryer", checkpoint=True)
    enrol(tenant, dana, practical, due_on=today + timedelta(days=40))
    certify(tenant, dana, "Food handler", "certified", expires_at=now + timedelta(days=5))
    certify(tenant, dana, "First aid", "expired", expires_at=now - timedelta(days=5))
    # 11:30 UTC on 5 December is 00:30 on 6 December in Auckland: still valid there on the 5th.
    certify(tenant, kiri, "Barista", "certified", expires_at=datetime(2026, 12, 5, 11, 30, tzinfo=UTC))
    certify(tenant, kiri, "Forklift", "certified", expires_at=now - timedelta(days=1))  # the clock wins
    certify(tenant, kiri, "Fire marshal", "revoked", expires_at=now + timedelta(days=300))
    certify(tenant, sam, "Cash handling", "in_progress")
    certify(tenant, sam, "Manual handling", "expiring", expires_at=now + timedelta(days=50))
    certify(tenant, sam, "Hygiene", "certified", expires_at=now + timedelta(days=200))
    policy_factory(tenant, "Code of Conduct", due_days=14)

    with as_tenant(tenant):
        people = list(
            db.session.scalars(select(User).where(User.id.in_([dana.id, kiri.id, sam.id, nobody.id])))
        )
        ids = [p.id for p in people]
        model = for_people(ids, today, tenant=tenant)
        standings = rank_people(ids, today, tenant=tenant)
        chosen_item = rank_people(ids, today, item="course:Allergens", tenant=tenant)
        by_title = rank_people(ids, today, item="allergens", tenant=tenant)
        titles = item_titles(ids, today, "", limit=100, tenant=tenant)
        handling = item_titles(ids, today, "HANDL", limit=100, tenant=tenant)

    for person in people:
        assert standings[person.id].by_status == _counted(model[person.id]), person.full_name
        assert standings[person.id].urgency == model[person.id].urgency, person.full_name
    # What the item filter suggests: every item anyone of them has, once, by title; or those called like it.
    assert titles == sorted(
        {(i.kind.value, i.title) for s in model.values() for i in s.items}, key=lambda k: k[1]
    )
    assert [title for _kind, title in handling] == ["Cash handling", "Food handler", "Manual handling"]
    assert standings[dana.id].worst == Status.overdue.rank
    assert not standings[kiri.id].compliant  # the forklift licence lapsed by the clock
    assert standings[kiri.id].by_status[Status.expiring.rank] == 1  # the barista, in Auckland
    assert standings[sam.id].compliant
    # Only the policy applies to the bystander; a person with nothing at all sorts last.
    assert sum(standings[nobody.id].by_status) == 1
    assert standings[nobody.id].worst != NOTHING
    # The item filter counts the chosen item apart: Allergens is overdue for Dana, due soon for Kiri.
    assert chosen_item[dana.id].chosen[Status.overdue.rank] == 1
    assert chosen_item[kiri.id].chosen[Status.due_soon.rank] == 1
    assert chosen_item[sam.id].chosen[Status.not_started.rank] == 1
    assert not any(chosen_item[nobody.id].chosen)
    # Typed as a title, in any case, the filter finds the same item.
    assert [by_title[p.id].chosen for p in people] == [chosen_item[p.id].chosen for p in people]


def test_nobody_to_rank_reads_nothing(db, tenant_factory):
    tenant = tenant_factory()
    with as_tenant(tenant):
        assert rank_people([], date(2026, 12, 5)) == {}
        assert item_titles([], date(2026, 12, 5), "a", limit=10) == []
