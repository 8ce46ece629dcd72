"""A policy can be a lesson: the learner signs it inside the course, and that completes the lesson."""

from __future__ import annotations

from sqlalchemy import func, select

from app.learning.lesson_kinds import get_kind
from app.learning.models import Enrollment, Lesson
from app.learning.services import courses as authoring
from app.learning.services.enrollments import enrol
from app.policies import services as policies
from app.redirects import local_path
from app.tenancy import as_tenant
from tests.conftest import csrf_token, open_lesson_page


def _course_with_policy_lesson(db, tenant, learner):
    with as_tenant(tenant):
        policy = policies.create_policy("Code of Conduct")
        policies.publish_version(policies.save_draft(policy, "## Respect\n\nBe kind to everyone."))
        course = authoring.create_course({"title": "Welcome aboard"})
        page = authoring.add_lesson(course, "page", "Hello", True, {"body": "Hi."}, {})
        lesson = authoring.add_lesson(
            course, "policy", "Our Code of Conduct", True, {"policy_id": str(policy.id)}, {}
        )
        authoring.set_course_status(course, "published")
        enrollment, _new = enrol(db.session.merge(learner), course)
        db.session.commit()
    return policy, page, lesson, enrollment


def test_signing_in_the_lesson_completes_it_and_the_course_progress(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    learner = user_factory(tenant, full_name="Lee Learner")
    policy, _page, lesson, enrollment = _course_with_policy_lesson(db, tenant, learner)
    assert get_kind("policy").gates is False
    client = client_for(tenant, learner)
    url = f"/learn/{enrollment.id}/lessons/{lesson.id}"
    body = client.get(url).get_data(as_text=True)
    assert "Be kind to everyone." in body and "Sign and accept" in body
    assert f'action="/policies/{policy.id}"' in body and f'name="next" value="{url}"' in body
    wrong = client.post(
        f"/policies/{policy.id}",
        data={"csrf_token": csrf_token(client, url), "accept": "y", "signature": "Nope", "next": url},
    )
    assert wrong.status_code == 422 and f'name="next" value="{url}"' in wrong.get_data(as_text=True)
    signed = client.post(
        f"/policies/{policy.id}",
        data={"csrf_token": csrf_token(client, url), "accept": "y", "signature": "Lee Learner", "next": url},
    )
    assert signed.status_code == 302 and signed.headers["Location"].endswith(url)
    with as_tenant(tenant):
        db.session.expire_all()
        fresh = db.session.get(Enrollment, enrollment.id)
        done = {p.lesson_id for p in fresh.progress if p.completed_at}
        assert lesson.id in done and fresh.progress_percent == 50
    after = client.get(url).get_data(as_text=True)
    assert "You have completed this lesson." in after and "Download receipt (PDF)" in after


def test_opening_the_lesson_when_already_signed_completes_it(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    learner = user_factory(tenant, full_name="Ann Early")
    policy, _page, lesson, enrollment = _course_with_policy_lesson(db, tenant, learner)
    with as_tenant(tenant):
        # Signed outside the course (on the policy page): the subscriber completes the open lesson.
        policies.acknowledge_policy(
            db.session.merge(learner),
            policy.current_version,
            "Ann Early",
            accepted=True,
            ip=None,
            user_agent=None,
        )
        db.session.commit()
        db.session.expire_all()
        fresh = db.session.get(Enrollment, enrollment.id)
        assert lesson.id in {p.lesson_id for p in fresh.progress if p.completed_at}  # the subscriber did it
    client = client_for(tenant, learner)
    page = client.get(f"/learn/{enrollment.id}/lessons/{lesson.id}").get_data(as_text=True)
    assert "You accepted this policy" in page


def test_a_lesson_opened_after_signing_elsewhere_completes(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    learner = user_factory(tenant, full_name="Bo Before")
    with as_tenant(tenant):
        policy = policies.create_policy("Code")
        version = policies.publish_version(policies.save_draft(policy, "Be kind."))
        policies.acknowledge_policy(
            db.session.merge(learner), version, "Bo Before", accepted=True, ip=None, user_agent=None
        )
        course = authoring.create_course({"title": "Later course"})
        lesson = authoring.add_lesson(course, "policy", "Code", True, {"policy_id": str(policy.id)}, {})
        authoring.set_course_status(course, "published")
        enrollment, _new = enrol(db.session.merge(learner), course)
        db.session.commit()
    client = client_for(tenant, learner)
    page = open_lesson_page(client, enrollment.id, lesson.id)
    assert "You have completed this lesson." in page.get_data(as_text=True)
    with as_tenant(tenant):
        db.session.expire_all()
        fresh = db.session.get(Enrollment, enrollment.id)
        assert fresh.completed_at is not None and fresh.progress_percent == 100


def test_the_author_picks_a_published_policy_and_a_bad_choice_is_refused(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    author = user_factory(tenant, roles=("author", "learner"))
    with as_tenant(tenant):
        policy = policies.create_policy("Code")
        policies.publish_version(policies.save_draft(policy, "Be kind."))
        policies.create_policy("Unpublished draft")
        course = authoring.create_course({"title": "Onboarding"})
        db.session.commit()
    client = client_for(tenant, author)
    url = f"/admin/courses/{course.id}/lessons/new?kind=policy"
    form = client.get(url).get_data(as_text=True)
    assert '<select id="policy_id" name="policy_id"' in form and ">Code</option>" in form
    assert "Unpublished draft" not in form
    refused = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "kind": "policy",
            "title": "Sign",
            "policy_id": "999999",
        },
    )
    assert refused.status_code == 422 and "Choose a published policy" in refused.get_data(as_text=True)
    with as_tenant(tenant):
        # This course's lessons: a new portal may also hold the platform library's starter courses.
        assert db.session.scalar(select(func.count()).where(Lesson.course_id == course.id)) == 0
    added = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "kind": "policy",
            "title": "Sign",
            "policy_id": str(policy.id),
        },
    )
    assert added.status_code == 302
    with as_tenant(tenant):
        lesson = db.session.scalars(select(Lesson).where(Lesson.course_id == course.id)).one()
        assert lesson.kind == "policy" and lesson.content == {"policy_id": policy.id}


def test_next_must_be_a_path_on_this_site():
    assert local_path("/learn/1/lessons/2") == "/learn/1/lessons/2"
    for bad in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "",
        None,
    ):
        assert local_path(bad) is None
