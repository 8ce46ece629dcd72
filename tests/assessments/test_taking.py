"""Learners take quizzes in their browser: gates, autosave, time limits, attempt limits, no answer leaks."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.assessments import services as assessments
from app.assessments.models import Attempt, Quiz
from app.errors import ValidationError
from app.events import OutboxEvent
from app.learning.services.enrollments import enrol
from app.tenancy import as_tenant
from app.tenancy.models import utcnow
from tests.assessments.conftest import QUESTIONS, right_answers, wrong_answers
from tests.conftest import csrf_token

QUESTIONS_BY_TYPE = {q["type"]: q for q in QUESTIONS}


def _enrolled(db: Any, tenant: Any, learner: Any, course_id: int) -> int:
    from app.learning.models import Course

    with as_tenant(tenant):
        enrollment, _new = enrol(db.session.merge(learner), db.session.get(Course, course_id))
        db.session.commit()
        return enrollment.id


def _lesson_url(enrollment_id: int, lesson_id: int) -> str:
    return f"/learn/{enrollment_id}/lessons/{lesson_id}"


def _start(client: Any, enrollment_id: int, lesson: Any) -> int:
    token = csrf_token(client, _lesson_url(enrollment_id, lesson))
    response = client.post(f"{_lesson_url(enrollment_id, lesson)}/attempts", data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    match = re.search(r"/attempts/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _attempt(db: Any, tenant: Any, attempt_id: int) -> Any:
    with as_tenant(tenant):
        db.session.expire_all()
        attempt = assessments.load_attempt(attempt_id)
        assert attempt is not None
        for item in attempt.items:
            _ = item.revision.data
        return attempt


def _submit(client: Any, attempt_id: int, form: dict[str, list[str]]) -> Any:
    """Submit, confirming at once that unanswered questions may stay unanswered."""
    token = csrf_token(client, f"/attempts/{attempt_id}")
    return client.post(
        f"/attempts/{attempt_id}/submit", data={**form, "unanswered": "confirmed", "csrf_token": token}
    )


def test_fail_then_pass_unlocks_the_checkpoint(db, tenant_factory, user_factory, client_for, gated_course):
    tenant = tenant_factory()
    learner = user_factory(tenant, full_name="Lee Learner")
    made = gated_course(tenant)
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)

    locked = client.get(_lesson_url(enrollment_id, made["checkpoint"]))
    assert locked.status_code == 403
    assert "Pass “Food Safety quiz” with at least 80% to unlock this lesson." in locked.get_data(as_text=True)

    first = _start(client, enrollment_id, made["test"])
    response = _submit(client, first, wrong_answers(_attempt(db, tenant, first)))
    assert response.headers["Location"].endswith(f"/attempts/{first}/review")
    review = client.get(f"/attempts/{first}/review").get_data(as_text=True)
    assert "Not passed" in review and "the pass mark is 80%" in review
    assert client.get(_lesson_url(enrollment_id, made["checkpoint"])).status_code == 403

    second = _start(client, enrollment_id, made["test"])
    assert second != first
    _submit(client, second, right_answers(_attempt(db, tenant, second)))
    review = client.get(f"/attempts/{second}/review").get_data(as_text=True)
    assert "Passed" in review and "You scored 100%" in review
    assert "Continue: Fryer safety" in review

    checkpoint = client.get(_lesson_url(enrollment_id, made["checkpoint"]))
    assert checkpoint.status_code == 200
    assert "Waiting for sign-off" in checkpoint.get_data(as_text=True)
    # The closing lesson waits for the checkpoint's sign-off.
    assert client.get(_lesson_url(enrollment_id, made["closing"])).status_code == 403
    with as_tenant(tenant):
        types = list(
            db.session.scalars(select(OutboxEvent.type).where(OutboxEvent.type.like("assessment.%")))
        )
    assert types.count("assessment.submitted") == 2
    assert types.count("assessment.failed") == 1 and types.count("assessment.passed") == 1
    assert "lesson.completed" in {e for e in _event_types(db, tenant)}, (
        "passing completes the assessment lesson"
    )


def _event_types(db: Any, tenant: Any) -> list[str]:
    with as_tenant(tenant):
        return list(db.session.scalars(select(OutboxEvent.type)))


def test_correct_answers_never_reach_the_browser_before_submission(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant, show_answers="after_pass")
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    attempt = _attempt(db, tenant, attempt_id)
    secrets = ["wash my hands", "wash(ing)", "legal minimum", "Too cool", "correct", "tolerance"]
    pages = [
        client.get(_lesson_url(enrollment_id, made["test"])),
        client.get(f"/attempts/{attempt_id}"),
        client.get(f"/attempts/{attempt_id}/review", follow_redirects=True),
    ]
    token = csrf_token(client, f"/attempts/{attempt_id}")
    for item in attempt.items:  # every autosave partial, right and wrong answers alike
        for form in (right_answers(attempt), wrong_answers(attempt)):
            fields = {k: v for k, v in form.items() if k.startswith(f"answer-{item.position}")}
            pages.append(
                client.post(
                    f"/attempts/{attempt_id}/answers/{item.position}",
                    data={**fields, "csrf_token": token},
                    headers={"HX-Request": "true"},
                )
            )
    for response in pages:
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        for secret in secrets:
            assert secret not in html, f"{secret!r} leaked in {response.request.path}"
    # Ordering items are never shown in their correct order.
    ordering = next(i for i in attempt.items if i.revision.type == "ordering")
    assert ordering.display_order != [entry["id"] for entry in ordering.revision.data["items"]]
    # After a failed attempt the correct answers stay hidden (shown only after passing here).
    _submit(client, attempt_id, wrong_answers(attempt))
    review = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Correct answer:" not in review and "wash my hands" not in review
    assert "The correct answers are shown once you pass." in review
    assert "Too cool: bacteria grow between 8 and 63 °C." in review  # feedback for the chosen option


def test_answers_are_saved_as_you_go_and_the_attempt_resumes(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant, layout="steps")
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    attempt = _attempt(db, tenant, attempt_id)
    first = attempt.items[0]
    choice = first.display_order[1]
    token = csrf_token(client, f"/attempts/{attempt_id}?q=1")
    saved = client.post(
        f"/attempts/{attempt_id}/answers/1",
        data={"answer-1": choice, "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200 and "Answer saved." in saved.get_data(as_text=True)
    assert "HX-Request" in saved.headers["Vary"]
    # A dropped connection: starting again resumes the same attempt with the answer kept.
    assert _start(client, enrollment_id, made["test"]) == attempt_id
    page = client.get(f"/attempts/{attempt_id}?q=1").get_data(as_text=True)
    assert f'value="{choice}" checked' in page
    # Without JavaScript, "Save and next question" goes to the next step.
    response = client.post(
        f"/attempts/{attempt_id}/answers/2",
        data={"answer-2": attempt.items[1].display_order[0], "go": "next", "csrf_token": token},
    )
    assert response.status_code == 302 and "q=3" in response.headers["Location"]


def test_an_answer_to_a_question_not_in_the_attempt_is_refused(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant)
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    attempt = _attempt(db, tenant, attempt_id)
    token = csrf_token(client, f"/attempts/{attempt_id}")
    single = client.post(f"/attempts/{attempt_id}/answers/42", data={"answer-42": "x", "csrf_token": token})
    assert single.status_code == 422
    assert "That question is not part of this attempt." in single.get_data(as_text=True)
    form = {**right_answers(attempt), "answer-42": ["x"]}
    response = _submit(client, attempt_id, form)
    assert response.status_code == 422
    after = _attempt(db, tenant, attempt_id)
    assert after.status == "in_progress" and all(item.answer is None for item in after.items)


def test_after_the_time_limit_only_answers_saved_in_time_count(
    db, tenant_factory, user_factory, quiz_factory
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant, time_limit_minutes=10)
    with as_tenant(tenant):
        start = utcnow()
        attempt = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz), now=start)
        right = right_answers(attempt)
        in_time = {k: v for k, v in right.items() if k.startswith("answer-1")}
        assessments.save_answer(attempt, 1, in_time, now=start + timedelta(minutes=9))
        late = start + timedelta(minutes=10, seconds=30)
        with pytest.raises(ValidationError, match="Time is up"):
            assessments.save_answer(attempt, 2, right, now=late)
        assessments.submit_attempt(attempt, right, now=late)
        assert attempt.ended_by == "time_expired"
        assert [item.credit for item in attempt.items] == [1.0] + [0.0] * 6
        assert attempt.score_percent == pytest.approx(100 / 7, abs=0.1)
        assert attempt.passed is False


def test_a_late_submit_over_http_scores_only_what_was_saved(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant, time_limit_minutes=5)
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    attempt = _attempt(db, tenant, attempt_id)
    token = csrf_token(client, f"/attempts/{attempt_id}")
    right = right_answers(attempt)
    saved = client.post(
        f"/attempts/{attempt_id}/answers/1",
        data={**{k: v for k, v in right.items() if k.startswith("answer-1")}, "csrf_token": token},
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert _attempt(db, tenant, attempt_id).items[0].answer is not None
    with as_tenant(tenant):
        row = db.session.get(Attempt, attempt_id)
        row.started_at = utcnow() - timedelta(minutes=6)
        row.deadline_at = utcnow() - timedelta(minutes=1)
        for item in row.items:
            if item.answered_at is not None:
                item.answered_at = utcnow() - timedelta(minutes=3)
        db.session.commit()
    response = client.post(f"/attempts/{attempt_id}/submit", data={**right, "csrf_token": token})
    assert response.status_code == 302
    result = _attempt(db, tenant, attempt_id)
    assert result.ended_by == "time_expired"
    assert result.score_points == 1.0 and result.passed is False
    review = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Time ran out: only answers saved in time were counted." in review


def test_attempts_beyond_the_maximum_are_refused(db, tenant_factory, user_factory, client_for, gated_course):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant, max_attempts=1)
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    _submit(client, attempt_id, wrong_answers(_attempt(db, tenant, attempt_id)))
    token = csrf_token(client, _lesson_url(enrollment_id, made["test"]))
    response = client.post(f"{_lesson_url(enrollment_id, made['test'])}/attempts", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        _lesson_url(enrollment_id, made["test"])
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You have used all 1 attempts." in page
    with as_tenant(tenant):
        assert db.session.scalars(select(Attempt).where(Attempt.user_id == learner.id)).all().__len__() == 1
        with pytest.raises(ValidationError):
            assessments.start_attempt(db.session.merge(learner), db.session.get(Quiz, made["quiz"]))


def test_the_wait_between_attempts_is_enforced(db, tenant_factory, user_factory, quiz_factory):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant, wait_minutes=60)
    with as_tenant(tenant):
        person, test = db.session.merge(learner), db.session.merge(quiz)
        start = utcnow()
        first = assessments.start_attempt(person, test, now=start)
        assessments.submit_attempt(first, wrong_answers(first), now=start + timedelta(minutes=1))
        with pytest.raises(ValidationError, match="wait between attempts"):
            assessments.start_attempt(person, test, now=start + timedelta(minutes=30))
        again = assessments.start_attempt(person, test, now=start + timedelta(minutes=62))
        assert again.number == 2


def test_another_learners_attempt_is_not_found(db, tenant_factory, user_factory, client_for, gated_course):
    tenant = tenant_factory()
    owner, other = user_factory(tenant), user_factory(tenant)
    made = gated_course(tenant)
    enrollment_id = _enrolled(db, tenant, owner, made["course"])
    attempt_id = _start(client_for(tenant, owner), enrollment_id, made["test"])
    snooper = client_for(tenant, other)
    assert snooper.get(f"/attempts/{attempt_id}").status_code == 404
    assert snooper.get(f"/attempts/{attempt_id}/review").status_code == 404
    assert snooper.get(_lesson_url(enrollment_id, made["test"])).status_code == 404


def test_a_new_revision_does_not_change_an_attempt_in_progress(
    db, tenant_factory, user_factory, quiz_factory
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant)
    with as_tenant(tenant):
        person, test = db.session.merge(learner), db.session.merge(quiz)
        attempt = assessments.start_attempt(person, test)
        question = test.sections[0].question
        shown = attempt.items[0].revision_id
        assessments.revise_question(
            question,
            {
                "type": "single",
                "prompt": "Which temperature keeps hot food safe? (revised)",
                "options": [{"text": "75 °C", "correct": True}, {"text": "20 °C", "correct": False}],
            },
        )
        assert question.current.number == 2
        assert attempt.items[0].revision_id == shown
        assessments.submit_attempt(attempt, right_answers(attempt))
        assert attempt.items[0].credit == 1.0


@pytest.mark.parametrize("page", ["lesson", "attempt", "review"])
def test_quiz_pages_make_the_same_number_of_queries_for_5_or_30_questions(
    db, tenant_factory, user_factory, client_for, quiz_factory, count_queries, page
):
    from app.learning.services import courses as authoring

    counts = []
    for size in (5, 30):
        tenant = tenant_factory()
        learner = user_factory(tenant)
        many = [{**QUESTIONS_BY_TYPE["single"], "prompt": f"Question {n}?"} for n in range(size)]
        quiz = quiz_factory(tenant, questions=many)
        with as_tenant(tenant):
            course = authoring.create_course({"title": "Sized", "self_enroll": True})
            lesson = authoring.add_lesson(course, "assessment", "Quiz", True, {"quiz_id": str(quiz.id)}, {})
            authoring.set_course_status(course, "published")
            db.session.commit()
            lesson_id, course_id = lesson.id, course.id
        enrollment_id = _enrolled(db, tenant, learner, course_id)
        client = client_for(tenant, learner)
        attempt_id = _start(client, enrollment_id, lesson_id)
        url = {"lesson": _lesson_url(enrollment_id, lesson_id), "attempt": f"/attempts/{attempt_id}"}.get(
            page
        )
        if page == "review":
            _submit(client, attempt_id, right_answers(_attempt(db, tenant, attempt_id)))
            url = f"/attempts/{attempt_id}/review"
        client.get(url)  # warm caches (templates, translations)
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_attempts_whose_time_ran_out_are_closed_without_the_learner(
    app, db, tenant_factory, user_factory, quiz_factory
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant, time_limit_minutes=5)
    with as_tenant(tenant):
        person, test = db.session.merge(learner), db.session.merge(quiz)
        start = utcnow() - timedelta(minutes=30)
        attempt = assessments.start_attempt(person, test, now=start)
        saved = {k: v for k, v in right_answers(attempt).items() if k.startswith("answer-1")}
        assessments.save_answer(attempt, 1, saved, now=start + timedelta(minutes=1))
        db.session.commit()
        attempt_id = attempt.id
    result = app.test_cli_runner().invoke(args=["assessments", "close-expired", "--tenant", tenant.slug])
    assert result.exit_code == 0, result.output
    assert f"{tenant.slug}: 1 closed" in result.output
    with as_tenant(tenant):
        db.session.expire_all()
        closed = db.session.get(Attempt, attempt_id)
        assert closed.status == "submitted" and closed.ended_by == "time_expired"
        assert closed.score_points == 1.0 and closed.passed is False
        events = set(
            db.session.scalars(select(OutboxEvent.type).where(OutboxEvent.type.like("assessment.%")))
        )
        assert {"assessment.submitted", "assessment.failed"} <= events
    again = app.test_cli_runner().invoke(args=["assessments", "close-expired", "--tenant", tenant.slug])
    assert f"{tenant.slug}: 0 closed" in again.output


def _save(client: Any, attempt_id: int, position: int, fields: dict[str, list[str]], token: str) -> Any:
    return client.post(
        f"/attempts/{attempt_id}/answers/{position}",
        data={**fields, "csrf_token": token},
        headers={"HX-Request": "true", "HX-Target": f"saved-{position}"},
    )


def test_every_question_of_a_one_page_quiz_has_its_own_save_status(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant)  # one page: all seven questions together
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    for position in range(1, len(QUESTIONS) + 1):
        assert page.count(f'id="saved-{position}"') == 1, f"question {position} has no status line of its own"
        assert f'hx-target="#saved-{position}"' in page
    # Every question answered through its own autosave is kept when the learner comes back.
    attempt = _attempt(db, tenant, attempt_id)
    token = csrf_token(client, f"/attempts/{attempt_id}")
    right = right_answers(attempt)
    for item in attempt.items:
        fields = {k: v for k, v in right.items() if k.startswith(f"answer-{item.position}")}
        saved = _save(client, attempt_id, item.position, fields, token)
        assert saved.status_code == 200
        assert f'id="saved-{item.position}"' in saved.get_data(as_text=True)
    assert all(item.answer is not None for item in _attempt(db, tenant, attempt_id).items)


def test_an_attempt_closed_by_the_time_limit_is_graded_on_every_answer_saved_in_time(
    app, db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant, time_limit_minutes=5)
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    attempt = _attempt(db, tenant, attempt_id)
    token = csrf_token(client, f"/attempts/{attempt_id}")
    right = right_answers(attempt)
    for position in (1, 2, 3, 4, 5):
        fields = {k: v for k, v in right.items() if k.startswith(f"answer-{position}")}
        assert _save(client, attempt_id, position, fields, token).status_code == 200
    with as_tenant(tenant):  # the learner closed the tab; the deadline passed since
        db.session.expire_all()
        row = db.session.get(Attempt, attempt_id)
        row.started_at, row.deadline_at = utcnow() - timedelta(minutes=30), utcnow() - timedelta(minutes=25)
        for item in row.items:
            if item.answered_at is not None:
                item.answered_at = utcnow() - timedelta(minutes=27)
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["assessments", "close-expired", "--tenant", tenant.slug])
    assert result.exit_code == 0, result.output
    closed = _attempt(db, tenant, attempt_id)
    assert closed.ended_by == "time_expired"
    assert [item.credit for item in closed.items] == [1.0] * 5 + [0.0] * 2


def test_a_partly_placed_ordering_answer_is_kept_but_counts_as_unanswered(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant, layout="steps")
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    attempt = _attempt(db, tenant, attempt_id)
    ordering = next(i for i in attempt.items if i.revision.type == "ordering")
    steps = [entry["id"] for entry in ordering.revision.data["items"]]
    name = f"answer-{ordering.position}"
    token = csrf_token(client, f"/attempts/{attempt_id}?q={ordering.position}")
    # The third step is placed third; the rest stay at "— place —".
    partial = {f"{name}-{item_id}": [""] for item_id in steps} | {f"{name}-{steps[2]}": ["3"]}
    saved = _save(client, attempt_id, ordering.position, partial, token)
    assert saved.status_code == 200
    status = saved.get_data(as_text=True)
    assert "Answer saved." not in status and "not every step has a place yet" in status
    page = client.get(f"/attempts/{attempt_id}?q={ordering.position}").get_data(as_text=True)
    strip = page.split('class="question-steps"')[1].split("</nav>")[0]
    assert f"{ordering.position}<span" not in strip, "the strip marks the unplaced question as answered"
    placed = re.search(rf'<select id="{name}-{steps[2]}"[^>]*>.*?</select>', page, re.S)
    assert placed and '<option value="3" selected>' in placed.group(0), "the partial order is kept"
    full = {f"{name}-{item_id}": [str(rank)] for rank, item_id in enumerate(steps, start=1)}
    assert "Answer saved." in _save(client, attempt_id, ordering.position, full, token).get_data(as_text=True)
    page = client.get(f"/attempts/{attempt_id}?q=1").get_data(as_text=True)
    assert f'{ordering.position}<span class="visually-hidden"> (answered)' in page


def test_submitting_with_unanswered_questions_asks_first_and_uses_no_attempt(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant)
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    attempt = _attempt(db, tenant, attempt_id)
    right = right_answers(attempt)
    answered = {k: v for k, v in right.items() if re.match(r"answer-[1-4](-|$)", k)}
    token = csrf_token(client, f"/attempts/{attempt_id}")
    asked = client.post(f"/attempts/{attempt_id}/submit", data={**answered, "csrf_token": token})
    assert asked.status_code == 200
    html = asked.get_data(as_text=True)
    assert "3 questions are unanswered: 5, 6, 7." in html
    assert f'href="/attempts/{attempt_id}#question-5"' in html and "Go back to the questions" in html
    assert 'name="unanswered" value="confirmed"' in html and "Submit anyway" in html
    waiting = _attempt(db, tenant, attempt_id)
    assert waiting.status == "in_progress", "nothing is submitted before the learner confirms"
    assert [item.answer is not None for item in waiting.items] == [True] * 4 + [False] * 3, (
        "the answers sent with the submit are kept"
    )
    confirmed = client.post(
        f"/attempts/{attempt_id}/submit", data={"unanswered": "confirmed", "csrf_token": token}
    )
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/review")
    done = _attempt(db, tenant, attempt_id)
    assert done.status == "submitted" and [item.credit for item in done.items] == [1.0] * 4 + [0.0] * 3


def test_a_fully_answered_quiz_is_submitted_without_asking(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant)
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    token = csrf_token(client, f"/attempts/{attempt_id}")
    right = right_answers(_attempt(db, tenant, attempt_id))
    response = client.post(f"/attempts/{attempt_id}/submit", data={**right, "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review")


def test_the_unanswered_question_warning_does_not_stretch_the_time_limit(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant, time_limit_minutes=5)
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    right = right_answers(_attempt(db, tenant, attempt_id))
    first = {k: v for k, v in right.items() if k.startswith("answer-1")}
    token = csrf_token(client, f"/attempts/{attempt_id}")
    asked = client.post(f"/attempts/{attempt_id}/submit", data={**first, "csrf_token": token})
    assert "6 questions are unanswered" in asked.get_data(as_text=True)
    assert 'id="quiz-timer"' in asked.get_data(as_text=True), "the time left stays in view"
    with as_tenant(tenant):  # the learner hesitates past the deadline, then answers the rest
        db.session.expire_all()
        row = db.session.get(Attempt, attempt_id)
        row.started_at, row.deadline_at = utcnow() - timedelta(minutes=10), utcnow() - timedelta(minutes=1)
        for item in row.items:
            if item.answered_at is not None:
                item.answered_at = utcnow() - timedelta(minutes=3)
        db.session.commit()
    late = client.post(f"/attempts/{attempt_id}/submit", data={**right, "csrf_token": token})
    assert late.status_code == 302, "past the deadline there is nothing left to confirm"
    result = _attempt(db, tenant, attempt_id)
    assert result.ended_by == "time_expired" and result.score_points == 1.0


def test_a_refused_save_says_it_was_not_saved_and_why(
    db, tenant_factory, user_factory, client_for, gated_course
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    made = gated_course(tenant)
    enrollment_id = _enrolled(db, tenant, learner, made["course"])
    client = client_for(tenant, learner)
    attempt_id = _start(client, enrollment_id, made["test"])
    attempt = _attempt(db, tenant, attempt_id)
    numeric = next(i for i in attempt.items if i.revision.type == "numeric")
    token = csrf_token(client, f"/attempts/{attempt_id}")
    invalid = _save(client, attempt_id, numeric.position, {f"answer-{numeric.position}": ["lots"]}, token)
    assert invalid.status_code == 422
    assert "Not saved: Enter a number" in invalid.get_data(as_text=True)
    assert "Answer saved." not in invalid.get_data(as_text=True)

    client.delete_cookie("session", domain=client.host)  # the session expired mid-quiz
    expired = client.post(
        f"/attempts/{attempt_id}/answers/1",
        data={"answer-1": attempt.items[0].display_order[0], "csrf_token": token},
        headers={
            "HX-Request": "true",
            "HX-Target": "saved-1",
            "HX-Current-URL": f"http://{client.host}/attempts/{attempt_id}",
        },
    )
    assert expired.status_code == 400
    status = expired.get_data(as_text=True)
    assert 'id="saved-1"' in status and 'role="status"' in status
    assert "Not saved: your session has expired. Sign in again to keep your answers." in status
    assert f'href="/sign-in?next=/attempts/{attempt_id}"' in status
    assert "Answer saved." not in status
    assert _attempt(db, tenant, attempt_id).items[0].answer is None
