"""Policy versions are hashed; acknowledgements are signed, append-only evidence checked by `audit verify`."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import create_engine, func, select, text

from app.accounts.services import add_group_members, create_group
from app.errors import ValidationError
from app.policies import services as policies
from app.policies.models import Acknowledgement
from app.tenancy import as_tenant


def _published(db, tenant, title="Code of Conduct", **kwargs):
    with as_tenant(tenant):
        policy = policies.create_policy(title, **kwargs)
        version = policies.save_draft(policy, "## Respect\n\nTreat everyone with respect.")
        policies.publish_version(version)
        db.session.commit()
    return policy, version


def _pending(user):
    """The pending policies of *user*, checked against what My learning lists (one statement)."""
    pending = policies.pending_policies(user)
    listed = policies.policies_to_accept(user)
    assert [(p.policy.id, p.policy.title, p.version.number, p.due_on) for p in pending] == [
        (p.policy_id, p.title, p.version_number, p.due_on) for p in listed
    ]
    return pending


def test_a_published_version_stores_the_sha256_of_what_people_read(db, tenant_factory):
    tenant = tenant_factory()
    _policy, version = _published(db, tenant)
    assert version.sha256 == hashlib.sha256(version.body_html.encode()).hexdigest()
    with as_tenant(tenant), pytest.raises(ValidationError):
        policies.publish_version(version)
    db.session.rollback()


def test_signature_must_match_the_full_name_and_nothing_is_recorded_otherwise(
    db, tenant_factory, user_factory
):
    tenant = tenant_factory()
    _policy, version = _published(db, tenant)
    user = user_factory(tenant, full_name="Lee Learner")
    with as_tenant(tenant):
        with pytest.raises(ValidationError, match="Type your full name exactly"):
            policies.acknowledge_policy(
                user, version, "Someone Else", accepted=True, ip="10.0.0.1", user_agent="pytest"
            )
        with pytest.raises(ValidationError, match="Tick the box"):
            policies.acknowledge_policy(
                user, version, "Lee Learner", accepted=False, ip=None, user_agent=None
            )
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Acknowledgement)) == 0
        ack = policies.acknowledge_policy(
            user, version, "  lee LEARNER ", accepted=True, ip="10.0.0.1", user_agent="Mozilla/5.0"
        )
        db.session.commit()
    assert ack.content_sha256 == version.sha256 and ack.signature == "lee LEARNER"
    assert ack.ip == "10.0.0.1" and ack.user_agent == "Mozilla/5.0" and ack.acknowledged_at is not None


def test_a_material_version_asks_again_and_a_minor_one_does_not(db, tenant_factory, user_factory):
    tenant = tenant_factory()
    policy, version = _published(db, tenant)
    user = user_factory(tenant, full_name="Pat Person")
    with as_tenant(tenant):
        assert [p.policy.id for p in _pending(user)] == [policy.id]
        policies.acknowledge_policy(user, version, "Pat Person", accepted=True, ip=None, user_agent=None)
        assert _pending(user) == []
        minor = policies.save_draft(
            policy, "## Respect\n\nTreat everyone with respect. (Typo fixed.)", material=False
        )
        policies.publish_version(minor)
        assert _pending(user) == []
        material = policies.save_draft(
            policy, "## Respect\n\nNew rules on gifts and hospitality.", material=True
        )
        policies.publish_version(material)
        pending = _pending(user)
        assert [p.version.number for p in pending] == [3]
        db.session.commit()


def test_policies_for_groups_apply_only_to_their_members(db, tenant_factory, user_factory):
    tenant = tenant_factory()
    with as_tenant(tenant):
        drivers = create_group("Drivers")
        db.session.commit()
    _published(
        db,
        tenant,
        "Driving Policy",
        visibility="restricted",
        audiences={"group": [str(drivers.id)]},
        due_days=14,
    )
    driver, office = user_factory(tenant), user_factory(tenant)
    with as_tenant(tenant):
        add_group_members(drivers, [driver.id])
        pending = _pending(driver)
        assert [p.policy.title for p in pending] == ["Driving Policy"] and pending[0].due_on is not None
        assert _pending(office) == []
        db.session.commit()


def test_my_learning_lists_the_policies_of_my_units_groups_and_everyone_not_yet_signed(
    db, tenant_factory, user_factory, count_queries
):
    from app.accounts.services import create_org_unit

    tenant, other = tenant_factory(), tenant_factory()
    with as_tenant(tenant):
        region = create_org_unit("North", kind="region")
        store = create_org_unit("Leeds", parent_id=region.id)
        elsewhere = create_org_unit("South", kind="region")
        drivers = create_group("Drivers")
        db.session.commit()
        region_id, store_id, elsewhere_id, drivers_id = region.id, store.id, elsewhere.id, drivers.id
    _published(db, tenant, "Everyone Rules", due_days=30)
    _published(db, tenant, "North Rules", visibility="restricted", audiences={"org_unit": [str(region_id)]})
    _published(
        db, tenant, "South Rules", visibility="restricted", audiences={"org_unit": [str(elsewhere_id)]}
    )
    drive, drive_v1 = _published(
        db, tenant, "Drive Rules", visibility="restricted", audiences={"group": [str(drivers_id)]}
    )
    _published(db, other, "Another Tenant's Rules")
    with as_tenant(tenant):
        draft = policies.create_policy("Draft Rules")
        policies.save_draft(draft, "Not yet.")
        db.session.commit()
    person = user_factory(tenant, full_name="Sam Store", org_unit_id=store_id)
    with as_tenant(tenant):
        add_group_members(db.session.merge(drivers), [person.id])
        db.session.commit()
        with count_queries() as one:
            listed = policies.policies_to_accept(person)
        assert one.count == 1
        assert [p.title for p in listed] == ["Everyone Rules", "Drive Rules", "North Rules"]
        assert listed[0].due_on is not None and listed[1].due_on is None
        _pending(person)
        policies.acknowledge_policy(person, drive_v1, "Sam Store", accepted=True, ip=None, user_agent=None)
        policies.publish_version(policies.save_draft(drive, "Minor fix.", material=False))
        assert [p.policy.title for p in _pending(person)] == ["Everyone Rules", "North Rules"]
        policies.publish_version(policies.save_draft(drive, "New rules.", material=True))
        listed = policies.policies_to_accept(person)
        assert [(p.title, p.version_number) for p in listed if p.title == "Drive Rules"] == [
            ("Drive Rules", 3)
        ]
        _pending(person)
        db.session.commit()


def test_an_altered_acknowledgement_makes_audit_verify_fail(app, db, tenant_factory, user_factory):
    tenant = tenant_factory()
    _policy, version = _published(db, tenant)
    user = user_factory(tenant, full_name="Ada Lovelace")
    with as_tenant(tenant):
        ack = policies.acknowledge_policy(
            user, version, "Ada Lovelace", accepted=True, ip="10.1.1.1", user_agent="ua"
        )
        db.session.commit()
        ack_id = ack.id
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify", "--tenant", tenant.slug]).exit_code == 0
    engine = create_engine(app.config["MIGRATION_DATABASE_URL"])
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # The owner is bound by FORCE ROW LEVEL SECURITY too: it forges inside the tenant.
                conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant.id)})
            conn.execute(
                text("UPDATE policy_acknowledgements SET signature = 'Forged Name' WHERE id = :id"),
                {"id": ack_id},
            )
    finally:
        engine.dispose()
    result = runner.invoke(args=["audit", "verify", "--tenant", tenant.slug])
    assert result.exit_code == 1
    assert f"acknowledgement {ack_id} differs from its audit record" in result.output


@pytest.mark.postgres
def test_acknowledgements_are_append_only_for_the_application_role(app, db, tenant_factory, user_factory):
    tenant = tenant_factory()
    _policy, version = _published(db, tenant)
    user = user_factory(tenant, full_name="Grace Hopper")
    with as_tenant(tenant):
        policies.acknowledge_policy(user, version, "Grace Hopper", accepted=True, ip=None, user_agent=None)
        db.session.commit()
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as conn, conn.begin():
            conn.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant.id)})
            with pytest.raises(Exception, match="permission denied"):
                conn.execute(text("DELETE FROM policy_acknowledgements"))
    finally:
        engine.dispose()
