"""The organisation tree: subtrees, ancestry and a manager's reach, computed in SQL."""

from __future__ import annotations

from typing import Any

import pytest

from app.accounts import org
from app.accounts.models import OrgUnit, User
from app.accounts.services import create_org_unit, deactivate_user, update_user
from app.errors import ValidationError
from app.tenancy import as_tenant


@pytest.fixture
def bistro(db: Any, tenant_factory: Any, user_factory: Any) -> dict[str, Any]:
    """North > Downtown > Kitchen, North > Uptown, South; an area manager over a store manager."""
    tenant = tenant_factory()
    with as_tenant(tenant):
        north = create_org_unit("North", "region")
        south = create_org_unit("South", "region")
        db.session.flush()
        downtown = create_org_unit("Downtown", "location", north.id)
        uptown = create_org_unit("Uptown", "location", north.id)
        db.session.flush()
        kitchen = create_org_unit("Kitchen", "department", downtown.id)
        db.session.commit()

    def person(name: str, unit: OrgUnit | None = None, manager: User | None = None, **kw: Any) -> User:
        return user_factory(
            tenant,
            full_name=name,
            org_unit_id=unit.id if unit else None,
            manager_id=manager.id if manager else None,
            password=None,
            **kw,
        )

    ada = person("Ada Area", roles=("manager",))
    ben = person("Ben Store", downtown, ada, roles=("manager",))
    cat = person("Cat Cook", kitchen, ben)
    dan = person("Dan Dish", downtown)
    eve = person("Eve Uptown", uptown)
    fay = person("Fay South", south, ben)
    gus = person("Gus Gone", kitchen, ben)
    ivy = person("Ivy Left", south, ben)
    hal = person("Hal Hidden", south, ivy)
    with as_tenant(tenant):
        deactivate_user(db.session.merge(gus))
        deactivate_user(db.session.merge(ivy))
        db.session.commit()
    units = {"north": north, "south": south, "downtown": downtown, "uptown": uptown, "kitchen": kitchen}
    people = {"ada": ada, "ben": ben, "cat": cat, "dan": dan, "eve": eve, "fay": fay, "gus": gus, "hal": hal}
    return {"tenant": tenant, **{k: v.id for k, v in units.items()}, **{k: v.id for k, v in people.items()}}


def _names(db: Any, ids: set[int]) -> set[str]:
    return {db.session.get(User, i).full_name.split()[0] for i in ids}


def test_subtree_holds_the_unit_and_everything_below_it(db, bistro):
    b = bistro
    with as_tenant(b["tenant"]):
        assert org.subtree_ids(b["north"]) == {b["north"], b["downtown"], b["uptown"], b["kitchen"]}
        assert org.subtree_ids(b["downtown"]) == {b["downtown"], b["kitchen"]}
        assert org.subtree_ids(b["kitchen"]) == {b["kitchen"]}
        assert org.subtree_ids(b["south"]) == {b["south"]}


def test_ancestry_holds_the_unit_and_everything_above_it(db, bistro):
    b = bistro
    with as_tenant(b["tenant"]):
        assert org.ancestry(b["kitchen"]) == {b["kitchen"], b["downtown"], b["north"]}
        assert org.ancestry(b["uptown"]) == {b["uptown"], b["north"]}
        assert org.ancestry(b["north"]) == {b["north"]}
        assert org.ancestry(None) == frozenset()


def test_ancestries_answers_many_units_at_once(db, bistro):
    b = bistro
    with as_tenant(b["tenant"]):
        chosen = org.ancestries([b["kitchen"], b["south"], None])
        assert chosen == {
            b["kitchen"]: {b["kitchen"], b["downtown"], b["north"]},
            b["south"]: {b["south"]},
        }
        everything = org.ancestries()
        assert set(everything) == {b[k] for k in ("north", "south", "downtown", "uptown", "kitchen")}
        assert all(everything[unit] == org.ancestry(unit) for unit in everything)
        assert org.ancestries([]) == {}


def test_store_manager_reaches_their_units_people_and_their_reports(db, bistro):
    b = bistro
    with as_tenant(b["tenant"]):
        ben = db.session.get(User, b["ben"])
        reached = org.reach_of(ben)
        # Cat: Kitchen is under Downtown and Cat reports to Ben; Dan: Downtown; Fay: reports to Ben.
        # Not Ben himself, not Gus (deactivated), not Hal (reports to Ben only through deactivated Ivy),
        # not Eve (Uptown), not Ada (Ben's own manager).
        assert [p.full_name for p in reached] == ["Cat Cook", "Dan Dish", "Fay South"]
        assert org.reach_ids(ben) == {b["cat"], b["dan"], b["fay"]}
        assert org.reaches(ben, b["cat"]) and org.reaches(ben, b["fay"])
        assert not any(org.reaches(ben, b[k]) for k in ("ben", "ada", "eve", "gus", "hal"))


def test_area_manager_reaches_the_people_of_the_managers_below_them(db, bistro):
    b = bistro
    with as_tenant(b["tenant"]):
        ada = db.session.get(User, b["ada"])
        # Through Ben (who reports to Ada) to Cat and Fay; Dan only shares Ben's unit, and Ada has none.
        assert _names(db, org.reach_ids(ada)) == {"Ben", "Cat", "Fay"}
        assert [p.full_name for p in org.reach_of(ada)] == ["Ben Store", "Cat Cook", "Fay South"]


def test_moving_a_manager_into_a_region_reaches_the_whole_region(db, bistro):
    b = bistro
    with as_tenant(b["tenant"]):
        ada = db.session.get(User, b["ada"])
        ada.org_unit_id = b["north"]
        db.session.flush()
        assert _names(db, org.reach_ids(ada)) == {"Ben", "Cat", "Dan", "Eve", "Fay"}


def test_reports_to_follows_the_manager_chain_upwards_even_through_deactivated_people(db, bistro):
    b = bistro
    with as_tenant(b["tenant"]):
        assert org.reports_to(b["cat"], b["ben"]) and org.reports_to(b["cat"], b["ada"])
        assert org.reports_to(b["hal"], b["ben"])  # through Ivy, who left
        assert org.reports_to(b["ada"], b["ada"])
        assert not org.reports_to(b["ada"], b["cat"]) and not org.reports_to(b["dan"], b["ben"])


def test_a_manager_cannot_be_placed_under_someone_who_reports_to_them(db, bistro):
    b = bistro
    with as_tenant(b["tenant"]):
        ada = db.session.get(User, b["ada"])
        with pytest.raises(ValidationError, match="cannot manage someone they report to") as refused:
            update_user(ada, manager_id=b["cat"])
        assert refused.value.field == "manager_id"
        ben = db.session.get(User, b["ben"])
        with pytest.raises(ValidationError):
            update_user(ben, manager_id=b["hal"])
        update_user(ada, manager_id=b["dan"])
        assert ada.manager_id == b["dan"]


def test_the_tree_never_reaches_into_another_tenant(db, bistro, tenant_factory, user_factory):
    b = bistro
    other = tenant_factory()
    with as_tenant(other):
        # Rows of another tenant that point into this tenant's tree, as a corrupt import might.
        stray = OrgUnit(name="Stray", kind="location", parent_id=b["kitchen"])
        db.session.add(stray)
        db.session.flush()
        intruder = User(email="intruder@example.com", full_name="Ian Intruder", status="active")
        intruder.manager_id = b["ben"]
        intruder.org_unit_id = stray.id
        intruder.attributes = {}
        db.session.add(intruder)
        db.session.commit()
        stray_id, intruder_id = stray.id, intruder.id
    with as_tenant(b["tenant"]):
        ben = db.session.get(User, b["ben"])
        assert stray_id not in org.subtree_ids(b["north"])
        assert intruder_id not in org.reach_ids(ben)
        assert not org.reaches(ben, intruder_id)
        assert not org.reports_to(intruder_id, b["ben"])
        assert org.ancestry(stray_id) == frozenset()
        assert stray_id not in org.ancestries()


def _tree_of(db: Any, tenant_factory: Any, user_factory: Any, size: int) -> tuple[Any, int, int]:
    """A binary tree of *size* units with one person in each, and a manager at the root."""
    tenant = tenant_factory()
    with as_tenant(tenant):
        units = [create_org_unit("Unit 0", "region")]
        db.session.flush()
        for number in range(1, size):
            units.append(create_org_unit(f"Unit {number}", "location", units[(number - 1) // 2].id))
            db.session.flush()
        db.session.commit()
        unit_ids = [u.id for u in units]
    manager = user_factory(tenant, roles=("manager",), full_name="Root Manager", org_unit_id=unit_ids[0])
    boss_id = manager.id
    for number, unit_id in enumerate(unit_ids):
        # Every fifth person manages the next one: a manager chain as long as the tree is big.
        boss_id = user_factory(
            tenant, full_name=f"Person {number:03d}", org_unit_id=unit_id, manager_id=boss_id, password=None
        ).id
        if number % 5:
            boss_id = manager.id
    return tenant, manager.id, unit_ids[-1]


def test_reach_and_ancestry_take_the_same_number_of_queries_for_10_or_200_units(
    db, tenant_factory, user_factory, count_queries
):
    counts = []
    for size in (10, 200):
        tenant, manager_id, leaf_id = _tree_of(db, tenant_factory, user_factory, size)
        with as_tenant(tenant):
            db.session.expire_all()
            manager = db.session.get(User, manager_id)
            root_id = manager.org_unit_id
            with count_queries() as counter:
                reached = org.reach_of(manager)
                assert org.reaches(manager, reached[-1].id)
                ids = org.reach_ids(manager)
                chain = org.ancestry(leaf_id)
                every = org.ancestries()
                below = org.subtree_ids(root_id)
            assert len(reached) == len(ids) == size
            assert root_id in chain and leaf_id in chain and len(chain) > 3
            assert len(every) == len(below) == size
            counts.append(counter.count)
    # reach_of is two (the ids, then the people), each other call one.
    assert counts[0] == counts[1] == 7, counts


def test_what_still_uses_a_unit_is_named_in_the_admins_language(
    db: Any, app: Any, tenant_factory: Any
) -> None:
    """A unit another feature's rows point at is named by that feature, in the admin's language."""
    from datetime import date

    from flask_babel import force_locale

    from app.accounts.services import org_unit_uses
    from app.compliance.models import ComplianceSnapshot
    from app.partners.models import PartnerCompany, PartnerTier

    tenant = tenant_factory()
    with as_tenant(tenant):
        acme = create_org_unit("Acme", "company")
        tier = PartnerTier(name="Gold", rank=1)
        db.session.add(tier)
        db.session.flush()
        db.session.add(PartnerCompany(org_unit_id=acme.id, tier_id=tier.id))
        db.session.add(
            ComplianceSnapshot(org_unit_id=acme.id, week_start=date(2026, 11, 30), people=1, compliant=1)
        )
        db.session.commit()
        with app.test_request_context(), force_locale("en"):
            assert sorted(org_unit_uses([acme.id])[acme.id]) == [
                "the compliance history",
                "the partner program",
            ]
        with app.test_request_context(), force_locale("fr"):
            assert sorted(org_unit_uses([acme.id])[acme.id]) == [
                "l'historique de conformité",
                "le programme partenaires",
            ]
