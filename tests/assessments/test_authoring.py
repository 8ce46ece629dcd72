"""Authors build question banks, questions of every type, quizzes, and read results per question."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from app.assessments import services as assessments
from app.assessments.models import Question, QuestionBank, QuestionRevision, Quiz, QuizSection
from app.tenancy import as_tenant
from tests.assessments.conftest import QUESTIONS, right_answers, wrong_answers
from tests.conftest import csrf_token

# What an author types into the editor for each type, as the browser posts it.
TYPED: dict[str, dict[str, Any]] = {
    "single": {
        "prompt": "Which temperature keeps hot food safe?",
        "points": "2",
        "option-1-id": "",
        "option-1-text": "63 °C or above",
        "option-1-feedback": "Right: 63 °C is the legal minimum.",
        "option-2-id": "",
        "option-2-text": "40 °C",
        "option-2-feedback": "Too cool.",
        "option-3-id": "",
        "option-3-text": "",
        "option-3-feedback": "",
        "correct": "1",
        "feedback_correct": "Well done.",
        "feedback_incorrect": "See the temperature chart.",
    },
    "multiple": {
        "prompt": "Which of these are allergens you must declare?",
        "points": "1",
        "option-1-text": "Peanuts",
        "option-2-text": "Celery",
        "option-3-text": "Salt",
        "option-4-text": "",
        "correct": ["1", "2"],
    },
    "true_false": {
        "prompt": "Raw chicken may be washed in the sink.",
        "points": "1",
        "answer": "false",
        "feedback_true": "No: washing spreads bacteria.",
        "feedback_false": "Right.",
    },
    "short_answer": {
        "prompt": "What do you do first when you arrive for your shift?",
        "points": "1",
        "accepted": "wash my hands\n  Wash   hands \n\n",
        "pattern": r"wash(ing)? (your |my )?hands.*",
    },
    "numeric": {
        "prompt": "The fridge should be at most how many °C?",
        "points": "1",
        "answer": "5",
        "tolerance": "0,5",
    },
    "ordering": {
        "prompt": "Put the hand-washing steps in order.",
        "points": "3",
        "items": "Wet hands\nApply soap\n\nRinse\n",
    },
    "matching": {
        "prompt": "Match each board colour to its food.",
        "points": "1",
        "pair-1-id": "",
        "pair-1-left": "Red",
        "pair-1-right": "Raw meat",
        "pair-2-id": "",
        "pair-2-left": "Blue",
        "pair-2-right": "Raw fish",
        "pair-3-id": "",
        "pair-3-left": "",
        "pair-3-right": "",
    },
}

# Bad input per type: what is typed, the message, and text that must be shown again.
BAD: dict[str, tuple[dict[str, Any], str, list[str]]] = {
    "single": (
        {
            "prompt": "Pick one",
            "option-1-text": "Tongs",
            "option-1-feedback": "Good for salad",
            "option-2-text": "Hands",
            "correct": ["1", "2"],
        },
        "Mark exactly one answer as correct.",
        ['value="Tongs"', 'value="Good for salad"', 'value="Hands"'],
    ),
    "multiple": (
        {"prompt": "Pick some", "option-1-text": "Gloves", "option-2-text": "Apron"},
        "Mark at least one answer as correct.",
        ['value="Gloves"', 'value="Apron"'],
    ),
    "true_false": (
        {"prompt": "Ice cream can be refrozen.", "feedback_true": "Never refreeze"},
        "Say whether the statement is true or false.",
        ["Ice cream can be refrozen.", 'value="Never refreeze"'],
    ),
    "short_answer": (
        {"prompt": "Name the danger zone", "accepted": "8 to 63\neight to sixty-three", "pattern": "8(to"},
        "The pattern is not a valid regular expression",
        ["eight to sixty-three", 'value="8(to"'],
    ),
    "numeric": (
        {"prompt": "Core temperature?", "answer": "seventy-five", "tolerance": "1"},
        "Enter the correct answer as a number.",
        ['value="seventy-five"'],
    ),
    "ordering": (
        {"prompt": "Order these", "items": "Only one step"},
        "List at least two steps, in the correct order.",
        ["Only one step"],
    ),
    "matching": (
        {
            "prompt": "Match",
            "pair-1-left": "Red",
            "pair-1-right": "Meat",
            "pair-2-left": "Blue",
            "pair-2-right": "",
        },
        "Give every pair both sides.",
        ['value="Red"', 'value="Meat"', 'value="Blue"'],
    ),
}


def _author(tenant_factory, user_factory, client_for, roles=("author",)):
    tenant = tenant_factory()
    return tenant, client_for(tenant, user_factory(tenant, roles=roles))


def _post(client, path: str, data: dict[str, Any], page: str | None = None):
    return client.post(path, data={"csrf_token": csrf_token(client, page or path), **data})


def _new_bank(client, title="Food safety") -> str:
    response = _post(client, "/admin/quizzes/banks/new", {"title": title, "description": "Kitchen basics."})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def _counts(db, tenant) -> tuple[int, int]:
    with as_tenant(tenant):
        return (
            db.session.scalar(select(func.count(Question.id))),
            db.session.scalar(select(func.count(QuestionRevision.id))),
        )


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"(ba+)\1", "Patterns may not use back-references"),
        (r"(?=wash)wash.*", "Patterns may not use back-references such as \\1, look-ahead or look-behind"),
        ("x" * 201, "Keep the pattern under 200 characters."),
    ],
)
def test_a_pattern_answers_cannot_be_checked_with_is_refused_and_kept_in_the_editor(
    db, tenant_factory, user_factory, client_for, pattern, message
):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    path = f"{_new_bank(client)}/questions/new?type=short_answer"
    response = _post(
        client, path, {"prompt": "What does a sheep say?", "accepted": "baa", "pattern": pattern}
    )
    assert response.status_code == 422
    assert message in _text(response)
    assert f'value="{html.escape(pattern)}"' in response.get_data(as_text=True)
    assert _counts(db, tenant) == (0, 0)


def test_author_builds_a_bank_with_a_question_of_every_type(db, tenant_factory, user_factory, client_for):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    bank_url = _new_bank(client)
    for kind, typed in TYPED.items():
        path = f"{bank_url}/questions/new?type={kind}"
        assert client.get(path).status_code == 200
        response = _post(client, path, typed)
        assert response.status_code == 302, (kind, _text(response))
    with as_tenant(tenant):
        bank = db.session.scalars(select(QuestionBank)).one()
        stored = {q.current.type: q.current for q in bank.questions}
        assert set(stored) == set(TYPED)
        single = stored["single"]
        assert single.points == 2
        assert [(o["text"], o["correct"]) for o in single.data["options"]] == [
            ("63 °C or above", True),
            ("40 °C", False),
        ]
        assert single.data["options"][0]["feedback"] == "Right: 63 °C is the legal minimum."
        assert single.data["feedback_incorrect"] == "See the temperature chart."
        assert [o["correct"] for o in stored["multiple"].data["options"]] == [True, True, False]
        tf = {o["id"]: o for o in stored["true_false"].data["options"]}
        assert tf["false"]["correct"] and tf["true"]["feedback"] == "No: washing spreads bacteria."
        assert stored["short_answer"].data["accepted"] == ["wash my hands", "Wash hands"]
        assert stored["short_answer"].data["pattern"] == r"wash(ing)? (your |my )?hands.*"
        assert stored["numeric"].data == {**stored["numeric"].data, "answer": "5", "tolerance": "0.5"}
        assert [i["text"] for i in stored["ordering"].data["items"]] == ["Wet hands", "Apply soap", "Rinse"]
        assert [(p["left"], p["right"]) for p in stored["matching"].data["pairs"]] == [
            ("Red", "Raw meat"),
            ("Blue", "Raw fish"),
        ]
    banks_page = _text(client.get("/admin/quizzes/banks"))
    assert "Food safety" in banks_page
    assert re.search(r"Food safety</bdi></a></td>\s*<td[^>]*>7</td>", banks_page)
    bank_page = _text(client.get(bank_url))
    assert "Raw chicken may be washed in the sink." in bank_page and "Matching pairs" in bank_page


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_question_input_keeps_what_was_typed_and_writes_nothing(
    kind, db, tenant_factory, user_factory, client_for
):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    bank_url = _new_bank(client)
    before = _counts(db, tenant)
    typed, message, kept = BAD[kind]
    response = _post(client, f"{bank_url}/questions/new?type={kind}", typed)
    page = _text(response)
    assert response.status_code == 422
    assert message in page
    assert 'id="error-summary"' in page
    for text in kept:
        assert text in page, text
    assert _counts(db, tenant) == before


def test_a_marked_answer_without_text_is_refused_not_dropped(db, tenant_factory, user_factory, client_for):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    bank_url = _new_bank(client)
    response = _post(
        client,
        f"{bank_url}/questions/new?type=single",
        {
            "prompt": "Q",
            "option-1-text": "A",
            "option-2-text": "B",
            "option-3-feedback": "lost?",
            "correct": "1",
        },
    )
    assert response.status_code == 422
    assert "Write the text of every answer you marked or gave feedback for." in _text(response)
    assert _counts(db, tenant) == (0, 0)


def test_editing_makes_a_new_revision_and_an_attempt_started_before_keeps_the_old_one(
    db, tenant_factory, user_factory, client_for, quiz_factory
):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    quiz = quiz_factory(tenant, questions=[QUESTIONS[0]])
    learner = user_factory(tenant)
    with as_tenant(tenant):
        question = db.session.scalars(select(Question)).one()
        old = question.current
        old_ids = [o["id"] for o in old.data["options"]]
        attempt = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
        db.session.commit()
        attempt_id, question_id, old_revision_id = attempt.id, question.id, old.id
    edit_url = f"/admin/quizzes/questions/{question_id}"
    page = _text(client.get(edit_url))
    assert "Saving creates revision 2; attempts already taken keep the revision they saw" in page
    # The editor posts back what it shows, with the hidden option ids; the author rewords answer 2.
    fields = dict(re.findall(r'name="(option-\d+-(?:id|text|feedback))" value="([^"]*)"', page))
    fields["option-2-text"] = "40 °C (warm)"
    response = _post(
        client,
        edit_url,
        {"prompt": "Which temperature keeps hot food safe?", "points": "1", "correct": "1", **fields},
    )
    assert response.status_code == 302, _text(response)
    with as_tenant(tenant):
        db.session.expire_all()
        question = db.session.get(Question, question_id)
        assert [r.number for r in question.revisions] == [1, 2]
        assert [o["id"] for o in question.current.data["options"]] == old_ids
        assert question.current.data["options"][1]["text"] == "40 °C (warm)"
        attempt = assessments.load_attempt(attempt_id)
        assert attempt.items[0].revision_id == old_revision_id
        assessments.submit_attempt(attempt, right_answers(attempt))
        assert attempt.passed
        fresh = assessments.start_attempt(
            db.session.merge(user_factory(tenant)), db.session.get(Quiz, quiz.id)
        )
        assert fresh.items[0].revision.number == 2
        db.session.commit()
    page = _text(client.get(edit_url))
    assert "Saving creates revision 3" in page
    assert "Revision history" in page and "40 °C (warm)" in page


def test_saving_an_unchanged_question_makes_no_revision(db, tenant_factory, user_factory, client_for):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    bank_url = _new_bank(client)
    assert _post(client, f"{bank_url}/questions/new?type=matching", TYPED["matching"]).status_code == 302
    with as_tenant(tenant):
        question_id = db.session.scalars(select(Question.id)).one()
    edit_url = f"/admin/quizzes/questions/{question_id}"
    page = _text(client.get(edit_url))
    fields = dict(re.findall(r'name="(pair-\d+-(?:id|left|right))" value="([^"]*)"', page))
    response = _post(client, edit_url, {"prompt": TYPED["matching"]["prompt"], "points": "1", **fields})
    assert response.status_code == 302
    assert _counts(db, tenant) == (1, 1)


def test_a_retired_question_is_no_longer_drawn_and_can_be_restored(
    db, tenant_factory, user_factory, client_for, quiz_factory
):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    quiz = quiz_factory(tenant)
    with as_tenant(tenant):
        retired = db.session.scalars(select(Question).order_by(Question.id)).first()
        retired_id = retired.id
    edit_url = f"/admin/quizzes/questions/{retired_id}"
    response = _post(client, f"{edit_url}/active?active=0", {}, page=edit_url)
    assert response.status_code == 302
    assert "This question is retired" in _text(client.get(edit_url))
    with as_tenant(tenant):
        db.session.expire_all()
        attempt = assessments.start_attempt(
            db.session.merge(user_factory(tenant)), db.session.get(Quiz, quiz.id)
        )
        assert retired_id not in {item.question_id for item in attempt.items}
        assert len(attempt.items) == len(QUESTIONS) - 1
        db.session.commit()
    assert "6 questions per attempt" in _text(client.get(f"/admin/quizzes/{quiz.id}"))
    _post(client, f"{edit_url}/active?active=1", {}, page=edit_url)
    with as_tenant(tenant):
        db.session.expire_all()
        assert db.session.get(Question, retired_id).active
        assert len(db.session.get(Question, retired_id).revisions) == 1


QUIZ_FIELDS = {
    "title": "Food Safety check",
    "description": "Ten minutes.",
    "layout": "steps",
    "shuffle_questions": "y",
    "pass_percent": "75",
    "time_limit_minutes": "15",
    "max_attempts": "3",
    "wait_minutes": "60",
    "show_answers": "after_last",
}


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("title", "  ", "Give the quiz a title."),
        ("pass_percent", "150", "Enter a passing score from 0 to 100 %."),
        ("time_limit_minutes", "ten", "Enter a time limit from 1 to 600 minutes, or leave it empty."),
        ("max_attempts", "0", "Enter from 1 to 100 attempts, or leave it empty for no limit."),
        ("wait_minutes", "-5", "Enter a wait from 1 minute to 30 days"),
        ("layout", "carousel", "Choose how the quiz is shown."),
    ],
)
def test_quiz_settings_are_checked_and_kept(
    field, value, message, db, tenant_factory, user_factory, client_for
):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    response = _post(client, "/admin/quizzes/new", {**QUIZ_FIELDS, field: value})
    page = _text(response)
    assert response.status_code == 422
    assert message in page
    if field not in ("layout", "title"):
        assert f'value="{value}"' in page
    assert 'value="Ten minutes.' in page or "Ten minutes." in page
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count(Quiz.id))) == 0


def test_author_creates_a_quiz_with_every_setting(db, tenant_factory, user_factory, client_for):
    tenant, client = _author(tenant_factory, user_factory, client_for, roles=("tenant_admin",))
    response = _post(client, "/admin/quizzes/new", QUIZ_FIELDS)
    assert response.status_code == 302, _text(response)
    with as_tenant(tenant):
        quiz = db.session.scalars(select(Quiz)).one()
        assert (quiz.layout, quiz.shuffle_questions, quiz.shuffle_options) == ("steps", True, False)
        assert (quiz.pass_percent, quiz.time_limit_minutes, quiz.max_attempts, quiz.wait_minutes) == (
            75,
            15,
            3,
            60,
        )
        assert quiz.show_answers == "after_last"
    page = _text(client.get(f"/admin/quizzes/{quiz.id}"))
    assert 'value="75"' in page and 'value="15"' in page
    response = _post(
        client, f"/admin/quizzes/{quiz.id}", {**QUIZ_FIELDS, "max_attempts": "", "layout": "one_page"}
    )
    assert response.status_code == 302
    with as_tenant(tenant):
        db.session.expire_all()
        quiz = db.session.get(Quiz, quiz.id)
        assert quiz.max_attempts is None and quiz.layout == "one_page"
    assert "Food Safety check" in _text(client.get("/admin/quizzes"))


def test_quiz_parts_fixed_questions_and_a_pool_no_larger_than_the_bank(
    db, tenant_factory, user_factory, client_for, quiz_factory
):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    source = quiz_factory(tenant, title="Source")  # a bank of seven active questions
    with as_tenant(tenant):
        bank = db.session.scalars(select(QuestionBank)).one()
        first = bank.questions[0]
        bank_id, first_id = bank.id, first.id
    assert _post(client, "/admin/quizzes/new", {**QUIZ_FIELDS, "title": "Mixed"}).status_code == 302
    with as_tenant(tenant):
        quiz_id = db.session.scalars(select(Quiz.id).where(Quiz.title == "Mixed")).one()
    quiz_url = f"/admin/quizzes/{quiz_id}"
    too_many = _post(client, f"{quiz_url}/pools", {"bank_id": str(bank_id), "draw_count": "8"}, page=quiz_url)
    assert too_many.status_code == 422
    assert "Draw from 1 to 7 questions" in _text(too_many)
    assert 'value="8"' in _text(too_many)
    not_a_number = _post(
        client, f"{quiz_url}/pools", {"bank_id": str(bank_id), "draw_count": "some"}, page=quiz_url
    )
    assert not_a_number.status_code == 422
    with as_tenant(tenant):
        assert (
            db.session.scalar(select(func.count(QuizSection.id)).where(QuizSection.quiz_id == quiz_id)) == 0
        )
    assert (
        _post(client, f"{quiz_url}/questions", {"question_id": str(first_id)}, page=quiz_url).status_code
        == 302
    )
    again = _post(client, f"{quiz_url}/questions", {"question_id": str(first_id)}, page=quiz_url)
    assert again.status_code == 422 and "That question is already in the quiz." in _text(again)
    assert (
        _post(
            client, f"{quiz_url}/pools", {"bank_id": str(bank_id), "draw_count": "3"}, page=quiz_url
        ).status_code
        == 302
    )
    page = _text(client.get(quiz_url))
    assert "Each attempt asks 4 questions." in page
    with as_tenant(tenant):
        sections = db.session.scalars(
            select(QuizSection).where(QuizSection.quiz_id == quiz_id).order_by(QuizSection.position)
        ).all()
        fixed_id = sections[0].id
    removed = _post(client, f"{quiz_url}/sections/{fixed_id}/remove", {}, page=quiz_url)
    assert removed.status_code == 302
    assert "Each attempt asks 3 questions." in _text(client.get(quiz_url))
    assert source.id != quiz_id


def _take(db, tenant, quiz, learners, answers) -> None:
    with as_tenant(tenant):
        for learner in learners:
            attempt = assessments.start_attempt(db.session.merge(learner), db.session.get(Quiz, quiz.id))
            assessments.submit_attempt(attempt, answers(attempt))
        db.session.commit()


def test_results_page_shows_how_many_got_each_question_right(
    db, tenant_factory, user_factory, client_for, quiz_factory
):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    quiz = quiz_factory(tenant)
    _take(db, tenant, quiz, [user_factory(tenant, password=None) for _n in range(2)], right_answers)
    _take(db, tenant, quiz, [user_factory(tenant, password=None)], wrong_answers)
    page = _text(client.get(f"/admin/quizzes/{quiz.id}/results"))
    assert "Submitted attempts" in page
    rows = page.split("<tr>")[2:]
    assert len(rows) == len(QUESTIONS)
    single = next(row for row in rows if "Which temperature keeps hot food safe?" in row)
    assert "66.7%" in single
    assert "<bdi>63 °C or above</bdi> <strong>(correct)</strong>: chosen 2 times" in single
    assert "<bdi>40 °C</bdi>: chosen 1 time" in single
    assert "Nobody got this right" not in page
    # Hardest first: nobody answered ordering and matching partly right in the wrong attempt, same share.
    percents = [float(re.search(r"([\d.]+)% <small>", row).group(1)) for row in rows]
    assert percents == sorted(percents)

    hard = quiz_factory(tenant, title="Hard quiz", questions=[QUESTIONS[0]])
    _take(db, tenant, hard, [user_factory(tenant, password=None)], wrong_answers)
    assert "Nobody got this right: check the wording and the answer key." in _text(
        client.get(f"/admin/quizzes/{hard.id}/results")
    )
    listing = _text(client.get("/admin/quizzes"))
    assert "Hard quiz" in listing


def test_results_and_quiz_list_queries_do_not_grow_with_attempts(
    db, tenant_factory, user_factory, client_for, quiz_factory, count_queries
):
    def measure(attempts: int) -> tuple[Any, Any]:
        tenant, client = _author(tenant_factory, user_factory, client_for)
        quiz = quiz_factory(tenant, questions=QUESTIONS[:3])
        learners = [user_factory(tenant, password=None) for _n in range(5)]
        with as_tenant(tenant):
            for _round in range(attempts // 5):
                for learner in learners:
                    attempt = assessments.start_attempt(
                        db.session.merge(learner), db.session.get(Quiz, quiz.id)
                    )
                    assessments.submit_attempt(attempt, wrong_answers(attempt))
            db.session.commit()
        client.get(f"/admin/quizzes/{quiz.id}/results")  # warm caches (theme, translations)
        with count_queries() as results:
            assert client.get(f"/admin/quizzes/{quiz.id}/results").status_code == 200
        with count_queries() as listing:
            assert client.get("/admin/quizzes").status_code == 200
        return results, listing

    few, many = measure(5), measure(50)
    # On a mismatch, the statements say which one came or went.
    assert [c.count for c in few] == [c.count for c in many], [
        [c.statements for c in few],
        [c.statements for c in many],
    ]


def test_quiz_list_queries_do_not_grow_with_quizzes(
    db, tenant_factory, user_factory, client_for, quiz_factory, count_queries
):
    def measure(quizzes: int) -> int:
        tenant, client = _author(tenant_factory, user_factory, client_for)
        for n in range(quizzes):
            quiz_factory(tenant, title=f"Quiz {n}", questions=QUESTIONS[:2])
        client.get("/admin/quizzes")
        with count_queries() as counter:
            page = client.get("/admin/quizzes")
        assert page.status_code == 200
        return counter.count

    assert measure(1) == measure(4)


def test_a_learner_is_refused_every_assessment_admin_page(
    app, db, tenant_factory, user_factory, client_for, quiz_factory
):
    tenant = tenant_factory()
    quiz = quiz_factory(tenant)
    with as_tenant(tenant):
        question = db.session.scalars(select(Question)).first()
        ids = {
            "quiz_id": quiz.id,
            "bank_id": question.bank_id,
            "question_id": question.id,
            "section_id": db.session.scalars(select(QuizSection.id)).first(),
        }
    client = client_for(tenant, user_factory(tenant, roles=("learner",)))
    app.config["WTF_CSRF_ENABLED"] = False
    checked = []
    try:
        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("assessment_admin."):
                continue
            path = rule.build({arg: ids[arg] for arg in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(path, method=method, data={"title": "Hijacked"})
                assert response.status_code == 403, (method, path, response.status_code)
                checked.append(rule.endpoint)
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert len(set(checked)) >= 12
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count(QuestionBank.id))) == 1
        assert db.session.get(Question, question.id).active
    assert "Quizzes" not in _text(client.get("/"))


def test_authors_find_quizzes_in_the_navigation_and_the_lesson_editor(
    db, tenant_factory, user_factory, client_for
):
    from app.learning.services import courses as course_authoring

    tenant, client = _author(tenant_factory, user_factory, client_for, roles=("author", "learner"))
    with as_tenant(tenant):
        course = course_authoring.create_course({"title": "Kitchen", "self_enroll": True, "listed": True})
        db.session.commit()
    page = _text(client.get(f"/admin/courses/{course.id}/lessons/new?kind=assessment"))
    assert 'href="/admin/quizzes">Manage quizzes</a>' in page
    quizzes = _text(client.get("/admin/quizzes"))
    assert re.search(
        r'href="/admin/quizzes"[^>]*aria-current="page"|aria-current="page"[^>]*href="/admin/quizzes"',
        quizzes,
    )


def test_option_ids_survive_edits_and_crafted_ids_are_replaced(db, tenant_factory, user_factory, client_for):
    tenant, client = _author(tenant_factory, user_factory, client_for)
    bank_url = _new_bank(client)
    crafted = {
        "prompt": "Which gloves?",
        "option-1-id": "answer-1 x",
        "option-1-text": "Blue nitrile",
        "option-2-id": "abc123",
        "option-2-text": "Latex",
        "option-3-id": "abc123",
        "option-3-text": "None",
        "correct": "1",
    }
    assert _post(client, f"{bank_url}/questions/new?type=single", crafted).status_code == 302
    assert _post(client, f"{bank_url}/questions/new?type=ordering", TYPED["ordering"]).status_code == 302
    with as_tenant(tenant):
        single, ordering = db.session.scalars(select(Question).order_by(Question.id)).all()
        ids = [o["id"] for o in single.current.data["options"]]
        assert ids[1] == "abc123" and len(set(ids)) == 3
        assert all(re.fullmatch(r"[0-9a-f]{1,16}", i) for i in ids)
        steps = {i["text"]: i["id"] for i in ordering.current.data["items"]}
        ordering_id = ordering.id
    # Reword one step and add another: the unchanged steps keep their ids.
    response = _post(
        client,
        f"/admin/quizzes/questions/{ordering_id}",
        {
            "prompt": TYPED["ordering"]["prompt"],
            "points": "3",
            "items": "Wet hands\nApply soap\nScrub\nRinse well",
        },
    )
    assert response.status_code == 302
    with as_tenant(tenant):
        db.session.expire_all()
        items = db.session.get(Question, ordering_id).current.data["items"]
        assert items[0]["id"] == steps["Wet hands"] and items[1]["id"] == steps["Apply soap"]
        assert items[3]["id"] not in steps.values()
