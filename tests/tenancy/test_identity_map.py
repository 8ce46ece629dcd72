"""One session that works for several tenants (CLI commands, jobs, console loops) never hands one
tenant's object to another: switching tenant takes the other tenants' objects out of the session's
identity map, which ``session.get`` reads before any query (and so before any tenant filter)."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.tenancy import as_tenant, unscoped


def test_a_user_of_b_loaded_earlier_is_not_found_as_tenant_a(db, tenant_factory, user_factory):
    a, b = tenant_factory(), tenant_factory()
    id_of_b = user_factory(b).id
    with as_tenant(b):
        assert db.session.get(User, id_of_b) is not None  # now in this session's identity map
    with as_tenant(a):
        assert db.session.get(User, id_of_b) is None


def test_switching_inside_a_block_hides_the_outer_tenant_and_gives_it_back_after(
    db, tenant_factory, user_factory
):
    a, b = tenant_factory(), tenant_factory()
    id_of_b = user_factory(b).id
    with as_tenant(b):
        loaded = db.session.get(User, id_of_b)
        with as_tenant(a):
            assert db.session.get(User, id_of_b) is None
            assert loaded not in db.session
        # Back in B: the very object the block took out, still usable.
        assert db.session.get(User, id_of_b) is loaded
        assert loaded in db.session and loaded.roles


def test_a_user_of_b_read_across_tenants_is_gone_once_the_unscoped_block_ends(
    db, tenant_factory, user_factory
):
    a, b = tenant_factory(), tenant_factory()
    id_of_b = user_factory(b).id
    db.session.commit()
    with as_tenant(a):
        with unscoped("tests: read every tenant's people"):
            assert db.session.get(User, id_of_b) is not None
        assert db.session.get(User, id_of_b) is None
        assert db.session.scalars(select(User).where(User.id == id_of_b)).all() == []


def test_what_b_changed_is_written_before_the_session_switches_to_a(db, tenant_factory, user_factory):
    a, b = tenant_factory(), tenant_factory()
    id_of_b = user_factory(b, full_name="Before").id
    with as_tenant(b):
        db.session.get(User, id_of_b).full_name = "After"
        with as_tenant(a):
            assert db.session.get(User, id_of_b) is None
    db.session.commit()
    db.session.expunge_all()
    with as_tenant(b):
        assert db.session.get(User, id_of_b).full_name == "After"
