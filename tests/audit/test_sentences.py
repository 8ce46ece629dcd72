"""The audit log reads as sentences with the names filled in; unknown event types still show."""

from __future__ import annotations

import re
from pathlib import Path

from app import audit
from app.accounts import services as accounts
from app.accounts.models import Group, User
from app.audit.sentences import known_actions
from app.learning.models import CourseStatus
from app.policies import services as policies
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _roles_changed_by(client, person_id: int) -> None:
    form_page = client.get(f"/admin/users/{person_id}").get_data(as_text=True)
    role_ids = dict(
        (name, value)
        for value, name in re.findall(r'value="(\d+)"[^>]*>\s*(?:<[^>]+>\s*)*(Learner|Manager)\b', form_page)
    )
    data = {
        "csrf_token": csrf_token(client, f"/admin/users/{person_id}"),
        "full_name": "Lee Learner",
        "email": "lee@example.com",
        "roles": [role_ids["Learner"], role_ids["Manager"]],
    }
    assert client.post(f"/admin/users/{person_id}", data=data).status_code == 302


def test_the_audit_log_says_who_changed_whose_roles_and_who_signed_which_policy(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    admin = user_factory(tenant, "alex@example.com", roles=("tenant_admin",), full_name="Alex Admin")
    learner = user_factory(tenant, "lee@example.com", full_name="Lee Learner")
    client = client_for(tenant, admin)
    _roles_changed_by(client, learner.id)
    with as_tenant(tenant):
        version = policies.publish_version(
            policies.save_draft(policies.create_policy("Code of Conduct"), "Be kind.")
        )
        person = db.session.get(User, learner.id)
        policies.acknowledge_policy(person, version, "Lee Learner", accepted=True, ip=None, user_agent=None)
        db.session.commit()
    page = client.get("/admin/audit").get_data(as_text=True)
    assert (
        '<bdi dir="auto">Alex Admin</bdi> changed the roles of <bdi dir="auto">Lee Learner</bdi>: '
        '<bdi dir="auto">Learner</bdi> → <bdi dir="auto">Learner</bdi>, <bdi dir="auto">Manager</bdi>.'
    ) in page
    assert (
        '<bdi dir="auto">Lee Learner</bdi> signed <bdi dir="auto">Code of Conduct</bdi> version '
        '<bdi dir="auto">1</bdi>.'
    ) in page
    assert "<code>user.roles_changed</code>" in page and "<code>policy.acknowledged</code>" in page
    # The person's own page tells the same story in their history.
    history = client.get(f"/team/people/{learner.id}").get_data(as_text=True)
    assert 'changed the roles of <bdi dir="auto">Lee Learner</bdi>' in history


def test_an_unknown_event_type_still_reads_and_keeps_its_code(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",), full_name="Alex Admin")
    with as_tenant(tenant):
        group = accounts.create_group("Night shift", None)
        audit.record("group.frobnicated", target=group)
        db.session.commit()
    response = client_for(tenant, admin).get("/admin/audit?action=group.frob")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'group frobnicated on <bdi dir="auto">Night shift</bdi>' in page
    assert "<code>group.frobnicated</code>" in page


def test_names_in_sentences_are_escaped(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",), full_name="Alex Admin")
    with as_tenant(tenant):
        accounts.create_group('<img src=x onerror="alert(1)">', None)
        db.session.commit()
    page = client_for(tenant, admin).get("/admin/audit").get_data(as_text=True)
    assert "<img src=x" not in page
    assert 'created the group <bdi dir="auto">&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</bdi>' in page


def test_every_event_type_the_code_records_has_a_sentence(root_path: Path):
    """Grep every audit.record("…") and library _record_platform("…"): each type needs a sentence."""
    recorded: set[str] = set()
    call = re.compile(r"(?:audit\.record|_record_platform)\(\s*(f?\"[^,]*?)(?:,|\))", re.S)
    for source in (root_path / "app").rglob("*.py"):
        for first_argument in call.findall(source.read_text()):
            for literal in re.findall(r"\"([a-z_]+\.[a-z_{}]+)\"", first_argument):
                if "{status}" in literal:
                    recorded |= {literal.replace("{status}", s.value) for s in CourseStatus}
                else:
                    recorded.add(literal)
    assert len(recorded) > 60, sorted(recorded)  # the grep still finds them
    assert recorded - known_actions() == set()


def test_the_audit_log_takes_the_same_number_of_queries_for_3_or_12_people(
    db, tenant_factory, user_factory, client_for, count_queries
):
    counts = []
    for n in (3, 12):
        tenant = tenant_factory()
        admin = user_factory(tenant, roles=("tenant_admin",))
        with as_tenant(tenant):
            group = accounts.create_group("Everyone", None)
            db.session.commit()
        people = [user_factory(tenant, full_name=f"Person {number:02d}").id for number in range(n)]
        with as_tenant(tenant):
            accounts.add_group_members(db.session.get(Group, group.id), people)
            db.session.commit()
        client = client_for(tenant, admin)
        with count_queries() as counter:
            page = client.get("/admin/audit").get_data(as_text=True)
        assert page.count("added <bdi") >= n
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
