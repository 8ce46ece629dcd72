"""A policy's totals are kept per process and tenant: what changes them, written through one worker, shows on
every worker at its next Policies page, and no tenant sees another's totals."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import GroupMembership, User, UserStatus
from app.accounts.services import add_group_members, create_group, deactivate_user
from app.extensions import db as _db
from app.policies import services as policies
from app.policies.count_cache import policy_count_cache
from app.policies.models import Acknowledgement
from app.tenancy import as_tenant
from app.tenancy.generations import GenerationCache
from app.tenancy.models import utcnow


def _totals(client: Any, path: str) -> tuple[int, int]:
    page = client.get(path).get_data(as_text=True)
    accepted = re.search(r"Accepted \((\d+)\)", page)
    pending = re.search(r"Not yet accepted \((\d+)\)", page)
    assert accepted and pending, f"{path} shows both totals"
    return int(accepted.group(1)), int(pending.group(1))


def _listed(client: Any, title: str) -> tuple[int, int]:
    page = client.get("/admin/policies/").get_data(as_text=True)
    row = page[page.index(title) :].split("</tr>", 1)[0]
    accepted = re.search(r'"Accepted">(\d+)</td>', row)
    pending = re.search(r'"Not yet accepted">(\d+)</td>', row)
    assert accepted and pending, f"the list shows {title}'s counts"
    return int(accepted.group(1)), int(pending.group(1))


def _sign(tenant: Any, person: Any, version: Any) -> None:
    with as_tenant(tenant):
        policies.acknowledge_policy(
            _db.session.merge(person), version, person.full_name, accepted=True, ip=None, user_agent=None
        )
        _db.session.commit()


def _counted_live(tenant: Any, version: Any, group_id: int) -> tuple[int, int]:
    """The totals counted here, without the report's SQL: who signed, and the active members who have not."""
    with as_tenant(tenant):
        accepted = _db.session.scalar(
            select(func.count()).select_from(Acknowledgement).where(Acknowledgement.version_id == version.id)
        )
        members = set(
            _db.session.scalars(select(GroupMembership.user_id).where(GroupMembership.group_id == group_id))
        )
        active = set(_db.session.scalars(select(User.id).where(User.status == UserStatus.active.value)))
        signed = set(
            _db.session.scalars(
                select(Acknowledgement.user_id).where(Acknowledgement.policy_id == version.policy_id)
            )
        )
    return accepted or 0, len((members & active) - signed)


def test_what_changes_a_policys_totals_through_one_worker_shows_on_the_other(
    app, db, workers, tenant_factory, user_factory
):
    tenant = tenant_factory()
    admin = user_factory(tenant, full_name="Alex Admin", roles=("tenant_admin", "learner"))
    drivers = [user_factory(tenant, full_name=f"Driver {n}") for n in range(3)]
    newcomer = user_factory(tenant, full_name="New Driver")
    with as_tenant(tenant):
        group = create_group("Drivers")
        add_group_members(group, [person.id for person in drivers])
        policy = policies.create_policy(
            "Driving Code", visibility="restricted", audiences={"group": [str(group.id)]}
        )
        first = policies.publish_version(policies.save_draft(policy, "Drive safely."))
        db.session.commit()
        group_id, policy_id = group.id, policy.id
    report = f"/admin/policies/{policy_id}/versions/{first.id}"
    a, b = workers(tenant, admin.email, warm=report)
    assert _totals(a, report) == _totals(b, report) == (0, 3)
    assert _listed(b, "Driving Code") == (0, 3)

    _sign(tenant, drivers[0], first)  # a person accepts
    assert _totals(b, report) == _totals(a, report) == (1, 2) == _counted_live(tenant, first, group_id)
    assert _listed(b, "Driving Code") == (1, 2)

    with as_tenant(tenant):  # a person leaves
        deactivate_user(db.session.merge(drivers[1]))
        db.session.commit()
    assert _totals(b, report) == (1, 1) == _counted_live(tenant, first, group_id)
    assert _listed(b, "Driving Code") == (1, 1)

    with as_tenant(tenant):  # a person joins the policy's audience group
        add_group_members(db.session.merge(group), [newcomer.id])
        db.session.commit()
    assert _totals(b, report) == (1, 2) == _counted_live(tenant, first, group_id)
    assert _listed(b, "Driving Code") == (1, 2)

    with as_tenant(tenant):  # a new version asks everyone again: nobody is pending on the first any more
        second = policies.publish_version(
            policies.save_draft(db.session.merge(policy), "Drive safely, always.", material=True)
        )
        second.published_at -= timedelta(seconds=1)
        db.session.commit()
    assert _totals(b, report) == (1, 0)
    assert _totals(b, f"/admin/policies/{policy_id}/versions/{second.id}") == (0, 3)
    assert _listed(b, "Driving Code") == (0, 3)


def test_a_report_seen_again_counts_nothing_again_until_a_change(
    app, db, tenant_factory, user_factory, client_for, count_queries
):
    tenant = tenant_factory()
    admin = user_factory(tenant, full_name="Alex Admin", roles=("tenant_admin", "learner"))
    reader = user_factory(tenant, full_name="Robin Reader")
    with as_tenant(tenant):
        policy = policies.create_policy("Code of Conduct")
        version = policies.publish_version(policies.save_draft(policy, "Be kind."))
        db.session.commit()
    client = client_for(tenant, admin)
    report = f"/admin/policies/{policy.id}/versions/{version.id}"
    with count_queries() as first:
        assert _totals(client, report) == (0, 2)
    with count_queries() as again:
        assert _totals(client, report) == (0, 2)
    assert again.count == first.count - 1  # the totals' statement, and only it, not run again
    assert not any("count(" in statement for statement in again.statements)
    _sign(tenant, reader, version)
    with count_queries() as changed:
        assert _totals(client, report) == (1, 1)
    assert changed.count == first.count


def test_signing_in_keeps_the_totals_and_a_changed_status_does_not(app, db, tenant_factory, user_factory):
    """A person's row moves the generation on only when what the totals read of it changed."""
    tenant = tenant_factory()
    person = user_factory(tenant)
    generations = policy_count_cache(app).generations
    before = generations.read(tenant.id)
    with as_tenant(tenant):
        db.session.merge(person).last_login_at = utcnow()
        db.session.commit()
    assert generations.read(tenant.id) == before
    with as_tenant(tenant):
        user = db.session.merge(person)
        user.status = UserStatus.deactivated.value
        db.session.commit()
    assert generations.read(tenant.id) != before


def test_one_tenants_totals_are_never_another_tenants(app, db, tenant_factory, user_factory, client_for):
    first, second = tenant_factory(), tenant_factory()
    reports = {}
    for tenant, people in ((first, 1), (second, 3)):
        admin = user_factory(tenant, roles=("tenant_admin", "learner"))
        for _ in range(people):
            user_factory(tenant)
        with as_tenant(tenant):
            policy = policies.create_policy("Code of Conduct")
            version = policies.publish_version(policies.save_draft(policy, "Be kind."))
            db.session.commit()
        reports[tenant.id] = (client_for(tenant, admin), f"/admin/policies/{policy.id}/versions/{version.id}")
    for tenant, expected in ((first, (0, 2)), (second, (0, 4))):
        client, report = reports[tenant.id]
        assert _totals(client, report) == expected
        assert _listed(client, "Code of Conduct") == expected
        # Another tenant's report of this version is not found, cached totals or not.
        other_client, _report = reports[(second if tenant is first else first).id]
        assert other_client.get(report).status_code == 404


def test_the_cache_keeps_each_tenants_values_apart_and_follows_each_tenants_changes(app):
    cache = GenerationCache(app, "atrium:test-policy-generation:", "test-policy-generation")
    # Another process: its own entries, the same generations.
    other = GenerationCache(app, "atrium:test-policy-generation:", "test-policy-generation")
    counted: list[int] = []

    def count_for(tenant_id: int) -> Any:
        def count() -> tuple[int, int]:
            counted.append(tenant_id)
            return tenant_id, len(counted)

        return count

    assert cache.get(1, ("version", 7), count_for(1)) == (1, 1)
    assert cache.get(2, ("version", 7), count_for(2)) == (2, 2)  # same key, another tenant: counted apart
    assert cache.get(1, ("version", 7), count_for(1)) == (1, 1)
    assert other.get(1, ("version", 7), count_for(1)) == (1, 3)
    cache.advance(2)  # another tenant's change keeps tenant 1's totals in every process
    assert other.get(1, ("version", 7), count_for(1)) == (1, 3)
    assert other.get(2, ("version", 7), count_for(2)) == (2, 4)
    cache.advance(None)  # a change of every tenant reaches them all
    assert other.get(1, ("version", 7), count_for(1)) == (1, 5)
