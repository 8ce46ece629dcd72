"""Author question banks and quizzes; start, save, submit and grade attempts; report results per question.

One module per topic (banks, quizzes, attempts, submissions, results); the public names are
re-exported here, so ``from app.assessments import services as assessments`` reaches them all.
"""

from app.assessments.models import Quiz as Quiz
from app.assessments.services.attempts import (
    QuizState,
    attempts_of,
    close_expired_attempts_of,
    load_attempt,
    may_show_answers,
    quiz_state,
    shown_order,
    start_attempt,
)
from app.assessments.services.banks import (
    add_question,
    banks_with_counts,
    clean_question,
    create_bank,
    revise_question,
    set_question_active,
    update_bank,
)
from app.assessments.services.quizzes import (
    QUIZ_SETTINGS,
    add_fixed_question,
    add_pool,
    clean_quiz_settings,
    create_quiz,
    load_quiz,
    question_count,
    quiz_loading,
    remove_section,
    update_quiz,
)
from app.assessments.services.results import QuestionResult, question_results, quiz_summary
from app.assessments.services.submissions import (
    DEADLINE_GRACE,
    close_expired_attempts,
    finalize_if_expired,
    item_at,
    lock_attempt,
    positions_in,
    save_answer,
    save_answers,
    save_before_submit,
    submit_attempt,
    time_is_up,
)

__all__ = [
    "DEADLINE_GRACE",
    "QUIZ_SETTINGS",
    "QuestionResult",
    "Quiz",
    "QuizState",
    "add_fixed_question",
    "add_pool",
    "add_question",
    "attempts_of",
    "banks_with_counts",
    "clean_question",
    "clean_quiz_settings",
    "close_expired_attempts",
    "close_expired_attempts_of",
    "create_bank",
    "create_quiz",
    "finalize_if_expired",
    "item_at",
    "load_attempt",
    "load_quiz",
    "lock_attempt",
    "may_show_answers",
    "positions_in",
    "question_count",
    "question_results",
    "quiz_loading",
    "quiz_state",
    "quiz_summary",
    "remove_section",
    "revise_question",
    "save_answer",
    "save_answers",
    "save_before_submit",
    "set_question_active",
    "shown_order",
    "start_attempt",
    "submit_attempt",
    "time_is_up",
    "update_bank",
    "update_quiz",
]
