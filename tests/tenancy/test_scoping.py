"""The ORM filters every scoped query by the current tenant and refuses to guess."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from app.accounts.models import Group, GroupMembership, Role, RoleAssignment, User
from app.tenancy import as_tenant, unscoped
from app.tenancy.context import CrossTenantWrite, TenantContextMissing


def test_query_of_people_with_no_tenant_in_context_raises(db, tenant_factory, user_factory):
    user_factory(tenant_factory())
    with pytest.raises(TenantContextMissing):
        db.session.scalars(select(User)).all()


def test_query_sees_only_the_current_tenants_rows(db, tenant_factory, user_factory):
    a, b = tenant_factory(), tenant_factory()
    user_factory(a, "one@a.example")
    user_factory(b, "one@b.example")
    user_factory(b, "two@b.example")
    with as_tenant(a):
        assert [u.email for u in db.session.scalars(select(User))] == ["one@a.example"]
    with as_tenant(b):
        assert sorted(u.email for u in db.session.scalars(select(User))) == ["one@b.example", "two@b.example"]
        # A filter on another tenant's id still returns nothing.
        assert db.session.scalars(select(User).where(User.tenant_id == a.id)).all() == []


# Built once, as the session loader's statement is: each run binds the running tenant into every entity.
_PEOPLE_WITH_MANAGER_GROUP_AND_ROLE = (
    select(User.email, Group.name, Role.key)
    .join(aliased(User), User.manager)
    .join(GroupMembership, GroupMembership.user_id == User.id)
    .join(Group, Group.id == GroupMembership.group_id)
    .join(RoleAssignment, RoleAssignment.user_id == User.id)
    .join(Role, Role.id == RoleAssignment.role_id)
)


def test_one_statement_of_many_scoped_entities_serves_each_tenant_its_own_rows(
    db, tenant_factory, user_factory
):
    a, b = tenant_factory(), tenant_factory()
    for tenant, email in ((a, "pat@a.example"), (b, "pat@b.example")):
        manager = user_factory(tenant)
        person = user_factory(tenant, email, manager_id=manager.id)
        with as_tenant(tenant):
            group = Group(name=f"Crew {email}")
            db.session.add(GroupMembership(group=group, user_id=person.id))
            db.session.commit()

    for tenant, email in ((a, "pat@a.example"), (b, "pat@b.example"), (a, "pat@a.example")):
        with as_tenant(tenant):
            assert db.session.execute(_PEOPLE_WITH_MANAGER_GROUP_AND_ROLE).all() == [
                (email, f"Crew {email}", "learner")
            ]


def test_get_by_primary_key_of_another_tenants_row_returns_none(db, tenant_factory, user_factory):
    a, b = tenant_factory(), tenant_factory()
    foreign_id = user_factory(b).id
    a_id = a.id
    db.session.expunge_all()
    with as_tenant(a_id):
        assert db.session.get(User, foreign_id) is None


def test_bulk_update_touches_only_the_current_tenant(db, tenant_factory, user_factory):
    a, b = tenant_factory(), tenant_factory()
    user_factory(a, job_title="Cook")
    user_factory(b, job_title="Cook")
    with as_tenant(a):
        db.session.execute(update(User).values(job_title="Chef"))
        db.session.commit()
    with as_tenant(b):
        assert db.session.scalars(select(User.job_title)).all() == ["Cook"]


def test_writing_another_tenants_object_raises(db, tenant_factory):
    a, b = tenant_factory(), tenant_factory()
    with as_tenant(a):
        db.session.add(Group(name="Smugglers", tenant_id=b.id))
        with pytest.raises(CrossTenantWrite):
            db.session.flush()
        db.session.rollback()


def test_new_objects_are_stamped_with_the_current_tenant(db, tenant_factory):
    a = tenant_factory()
    with as_tenant(a):
        group = Group(name="Night shift")
        db.session.add(group)
        db.session.flush()
        assert group.tenant_id == a.id
        db.session.rollback()


def test_writing_with_no_tenant_raises(db):
    db.session.add(Group(name="Orphans"))
    with pytest.raises(TenantContextMissing):
        db.session.flush()
    db.session.rollback()


def test_unscoped_block_sees_every_tenant_and_needs_a_reason(db, tenant_factory, user_factory):
    a, b = tenant_factory(), tenant_factory()
    user_factory(a)
    user_factory(b)
    with unscoped("test: count people across tenants"):
        tenants = set(db.session.scalars(select(User.tenant_id).where(User.tenant_id.in_([a.id, b.id]))))
    assert tenants == {a.id, b.id}
    with pytest.raises(ValueError), unscoped(" "):
        pass
