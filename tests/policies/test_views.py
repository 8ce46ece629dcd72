"""Learners see the policies they must accept, read them whole and sign with their typed name."""

from __future__ import annotations

from sqlalchemy import func, select

from app.policies.demo import code_of_conduct
from app.policies.models import Acknowledgement
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _tenant_with_code(db, tenant_factory):
    tenant = tenant_factory()
    with as_tenant(tenant):
        policy = code_of_conduct()
        db.session.commit()
    return tenant, policy


def test_learner_reads_and_accepts_the_new_code_of_conduct(db, tenant_factory, user_factory, client_for):
    tenant, policy = _tenant_with_code(db, tenant_factory)
    learner = user_factory(tenant, full_name="Lee Learner")
    client = client_for(tenant, learner)
    home = client.get("/").get_data(as_text=True)
    assert "Policies to accept" in home and "Code of Conduct" in home and "Version 2" in home
    page = client.get(f"/policies/{policy.id}").get_data(as_text=True)
    assert "Gifts and hospitality (new)" in page and "Speaking up" in page  # the whole document
    url = f"/policies/{policy.id}"
    wrong = client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "accept": "y", "signature": "Lee"},
        headers={"User-Agent": "Tester/1.0"},
    )
    assert wrong.status_code == 422
    body = wrong.get_data(as_text=True)
    assert "Type your full name exactly as shown to sign: Lee Learner" in body and 'value="Lee"' in body
    unticked = client.post(url, data={"csrf_token": csrf_token(client, url), "signature": "Lee Learner"})
    assert unticked.status_code == 422 and "Tick the box" in unticked.get_data(as_text=True)
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count()).select_from(Acknowledgement)) == 0
    done = client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "accept": "y", "signature": "Lee Learner"},
        headers={"User-Agent": "Tester/1.0"},
    )
    assert done.status_code == 302
    with as_tenant(tenant):
        ack = db.session.scalars(select(Acknowledgement)).one()
    assert ack.version.number == 2 and ack.user_agent == "Tester/1.0" and ack.ip
    assert "Policies to accept" not in client.get("/").get_data(as_text=True)
    accepted = client.get(url).get_data(as_text=True)
    assert "You accepted version 2" in accepted and "Sign and accept" not in accepted


def test_a_policy_for_others_is_404(db, tenant_factory, user_factory, client_for):
    from app.accounts.services import create_group
    from app.policies import services as policies

    tenant = tenant_factory()
    with as_tenant(tenant):
        drivers = create_group("Drivers")
        db.session.flush()
        policy = policies.create_policy(
            "Driving", visibility="restricted", audiences={"group": [str(drivers.id)]}
        )
        policies.publish_version(policies.save_draft(policy, "Drive safely."))
        db.session.commit()
    client = client_for(tenant, user_factory(tenant))
    assert client.get(f"/policies/{policy.id}").status_code == 404


def test_the_demo_onboarding_course_ends_with_the_code_of_conduct_to_accept(db, tenant_factory):
    from app.learning import demo as learning_demo
    from app.learning.models import Course
    from app.policies.demo import code_of_conduct_lesson

    tenant = tenant_factory()
    with as_tenant(tenant):
        learning_demo.onboarding("Test Co")
        policy = code_of_conduct()
        code_of_conduct_lesson(policy)
        code_of_conduct_lesson(policy)  # once only
        db.session.commit()
        course = db.session.scalars(select(Course).where(Course.title == "Welcome to Test Co")).one()
        kinds = [lesson.kind for lesson in course.lessons]
    assert kinds[-1] == "policy" and kinds.count("policy") == 1
    assert policy.current_version.number == 2 and policy.binding_version.number == 2
