"""The order options are shown in never gives the answer away, and every fair order turns up."""

from __future__ import annotations

import html
import itertools
import random
import re
from collections import Counter

from app.assessments import grading
from app.assessments import services as assessments
from app.assessments.models import QuestionRevision, Quiz
from app.tenancy import as_tenant
from tests.assessments.conftest import wrong_answers
from tests.assessments.test_taking import _attempt

DRAWS = 2000


def _ordering(count: int) -> QuestionRevision:
    items = [{"id": f"{i:x}", "text": f"Step {i}"} for i in range(count)]
    return QuestionRevision(type="ordering", prompt="Order", points=1, data={"items": items})


def _matching(count: int) -> QuestionRevision:
    pairs = [{"id": f"{i:x}", "left": f"L{i}", "right": f"R{i}"} for i in range(count)]
    return QuestionRevision(type="matching", prompt="Match", points=1, data={"pairs": pairs})


def _alignment(revision: QuestionRevision, shown: list[str]) -> tuple[int, ...]:
    """Which left-hand row each right-hand option sits beside: (0, 1, 2 …) lines them up with the answer."""
    rights, lefts = grading.matching_orders(revision, shown)
    return tuple(lefts.index(right) for right in rights)


def test_two_steps_are_shown_in_either_order_about_as_often():
    rng, revision = random.Random(10), _ordering(2)
    seen = Counter(tuple(assessments.shown_order(revision, Quiz(), rng)) for _ in range(DRAWS))
    assert set(seen) == {("0", "1"), ("1", "0")}
    assert 0.45 < seen[("0", "1")] / DRAWS < 0.55  # not always the reverse of the answer


def test_three_or_more_steps_are_never_shown_in_order_or_reversed_and_every_other_order_turns_up():
    for count in (3, 4):
        rng, revision = random.Random(count), _ordering(count)
        answer = [item["id"] for item in revision.data["items"]]
        seen = Counter(tuple(assessments.shown_order(revision, Quiz(), rng)) for _ in range(DRAWS))
        allowed = set(itertools.permutations(answer)) - {tuple(answer), tuple(reversed(answer))}
        assert set(seen) == allowed
        expected = DRAWS / len(allowed)
        assert all(0.5 * expected < n < 1.5 * expected for n in seen.values()), seen


def test_matching_shuffles_both_columns_and_two_pairs_line_up_half_the_time():
    rng, revision = random.Random(20), _matching(2)
    draws = [assessments.shown_order(revision, Quiz(), rng) for _ in range(DRAWS)]
    lefts = Counter(tuple(grading.matching_orders(revision, shown)[1]) for shown in draws)
    aligned = Counter(_alignment(revision, shown) for shown in draws)
    assert set(lefts) == {("0", "1"), ("1", "0")} and 0.45 < lefts[("0", "1")] / DRAWS < 0.55
    assert set(aligned) == {(0, 1), (1, 0)} and 0.45 < aligned[(0, 1)] / DRAWS < 0.55


def test_three_or_more_pairs_never_line_up_with_the_answer_or_its_reverse():
    for count in (3, 4):
        rng, revision = random.Random(count), _matching(count)
        draws = [assessments.shown_order(revision, Quiz(), rng) for _ in range(DRAWS)]
        aligned = Counter(_alignment(revision, shown) for shown in draws)
        identity = tuple(range(count))
        allowed = set(itertools.permutations(identity)) - {identity, identity[::-1]}
        assert set(aligned) == allowed
        lefts = Counter(tuple(grading.matching_orders(revision, shown)[1]) for shown in draws)
        assert len(lefts) == len(list(itertools.permutations(identity)))  # the left column moves too


TWO_OF_EACH = [
    {"type": "ordering", "prompt": "Which comes first?", "items": "Wash hands\nPut on gloves"},
    {
        "type": "matching",
        "prompt": "Match the board to the food.",
        "pairs": [{"left": "Red", "right": "Raw meat"}, {"left": "Green", "right": "Salad"}],
    },
]


def test_learners_see_both_orders_and_the_page_follows_the_order_drawn(
    db, tenant_factory, user_factory, client_for, quiz_factory
):
    tenant = tenant_factory()
    learner = user_factory(tenant)
    quiz = quiz_factory(tenant, questions=TWO_OF_EACH)
    orders, lefts = set(), set()
    for _ in range(12):
        with as_tenant(tenant):
            attempt = assessments.start_attempt(db.session.merge(learner), db.session.merge(quiz))
            ordering, matching = attempt.items
            orders.add(tuple(ordering.display_order))
            lefts.add(tuple(grading.matching_orders(matching.revision, matching.display_order)[1]))
            db.session.commit()
            attempt_id = attempt.id
        if len(orders) == 2 and len(lefts) == 2:
            break
        with as_tenant(tenant):
            assessments.submit_attempt(db.session.merge(attempt), wrong_answers(attempt))
            db.session.commit()
    assert len(orders) == 2 and len(lefts) == 2  # a 1 in 2**10 chance of failing by bad luck each
    attempt = _attempt(db, tenant, attempt_id)
    page = html.unescape(client_for(tenant, learner).get(f"/attempts/{attempt_id}").get_data(as_text=True))
    _ordering_item, matching = attempt.items
    pairs = {pair["id"]: pair for pair in matching.revision.data["pairs"]}
    rights, shown_lefts = grading.matching_orders(matching.revision, matching.display_order)
    labels = re.findall(r'<label for="answer-2-m\d">(?:<bdi>)?([^<]+)(?:</bdi>)?</label>', page)
    assert labels == [pairs[left]["left"] for left in shown_lefts]
    select = page.split('id="answer-2-m0"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r'<option (?:dir="auto" )?value="[0-9a-f]+">([^<]+)</option>', select) == [
        pairs[right]["right"] for right in rights
    ]
