"""Demo assessments: bistro's Food Safety quiz and fryer checkpoint; the partners' certification-prep exam."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.assessments import services as assessments
from app.assessments.models import QuestionBank, Quiz
from app.extensions import db
from app.learning.models import Course, LearningPath
from app.learning.services import courses as authoring

FOOD_SAFETY_QUESTIONS: list[dict[str, Any]] = [
    {
        "type": "single",
        "prompt": "Hot food on the pass must be held at what temperature?",
        "options": [
            {
                "text": "63 °C or above",
                "correct": True,
                "feedback": "Right: below 63 °C bacteria start to grow.",
            },
            {"text": "50 °C or above", "feedback": "Too cool: 50 °C is inside the danger zone."},
            {"text": "Any temperature, if it is served within an hour", "feedback": "Time is no excuse."},
        ],
        "feedback_incorrect": "Look again at the lesson “Cook and chill: the danger zone”.",
    },
    {
        "type": "multiple",
        "prompt": "Which of these are among the 14 allergens we must declare? Choose all that apply.",
        "options": [
            {"text": "Celery", "correct": True},
            {"text": "Sesame", "correct": True},
            {"text": "Mustard", "correct": True},
            {"text": "Tomato", "feedback": "Tomato is not one of the 14 declared allergens."},
        ],
        "feedback_incorrect": "Look again at the lesson “Clean and separate”.",
    },
    {
        "type": "true_false",
        "prompt": "Raw chicken should be rinsed under the tap before cooking.",
        "answer": "false",
        "options": [
            {"id": "true", "feedback": "Rinsing splashes bacteria around the sink and onto you."},
        ],
        "feedback_correct": "Right: cooking to 74 °C kills the bacteria; rinsing only spreads them.",
    },
    {
        "type": "short_answer",
        "prompt": "What is the first thing you do when you arrive for your shift, before touching food?",
        "accepted": ["wash my hands", "wash hands", "wash your hands", "hand washing", "handwashing"],
        "pattern": r"(i )?wash(ing)? (my |your |the )?hands.*",
        "feedback_incorrect": "Look again at the lesson “Clean and separate”.",
    },
    {
        "type": "numeric",
        "prompt": "A chilled display must be at most how many degrees Celsius?",
        "answer": "5",
        "tolerance": "0",
        "feedback_incorrect": "Look again at the lesson “Cook and chill: the danger zone”.",
    },
    {
        "type": "ordering",
        "prompt": "Put the hand-washing steps in the right order.",
        "items": "\n".join(
            [
                "Wet your hands with warm water",
                "Apply soap",
                "Rub palms, backs and between fingers for 20 seconds",
                "Rinse",
                "Dry with a disposable towel",
            ]
        ),
    },
    {
        "type": "matching",
        "prompt": "Match each chopping-board colour to the food it is for.",
        "pairs": [
            {"left": "Red", "right": "Raw meat"},
            {"left": "Blue", "right": "Raw fish"},
            {"left": "Green", "right": "Salad and fruit"},
            {"left": "Yellow", "right": "Cooked meat"},
        ],
    },
]

# Every question is answered in the path's lessons (SELLING in app/learning/demo.py).
EXAM_QUESTIONS: list[dict[str, Any]] = [
    {
        "type": "single",
        "prompt": "Which Atrium Widgets line is built for organisations that need single sign-on, "
        "audit trails and a service-level agreement?",
        "options": [
            {"text": "Enterprise", "correct": True},
            {"text": "Pro", "feedback": "Pro is for growing companies that connect Widgets to CRM and HR."},
            {"text": "Core", "feedback": "Core is for small teams of up to 50 people."},
        ],
        "feedback_incorrect": "Look again at the lesson “Widgets 101”.",
    },
    {
        "type": "single",
        "prompt": "A customer asks for a three-year warranty. What do you offer?",
        "options": [
            {"text": "Widget Care Plus", "correct": True},
            {"text": "Nothing: warranties cannot be extended"},
            {"text": "A discount instead"},
        ],
        "feedback_correct": "Right: Widget Care Plus extends the standard one-year warranty to three years.",
        "feedback_incorrect": "Look again at the lesson “Widgets 101”.",
    },
    {
        "type": "multiple",
        "prompt": "Which questions belong in discovery? Choose all that apply.",
        "options": [
            {"text": "What problem are you solving?", "correct": True},
            {"text": "Who else decides?", "correct": True},
            {"text": "Can you sign today?", "feedback": "That is closing, not discovery."},
        ],
    },
    {
        "type": "true_false",
        "prompt": "Partners may quote below the published floor price to win a deal.",
        "answer": "false",
        "feedback_incorrect": "Look again at the lesson “The partner program”.",
    },
    {
        "type": "numeric",
        "prompt": "What is the partner discount, in percent, for gold-tier resellers?",
        "answer": "20",
        "tolerance": "0",
        "feedback_incorrect": "Look again at the lesson “The partner program”.",
    },
    {
        "type": "ordering",
        "prompt": "Put the stages of the Atrium sales process in order.",
        "items": "Discovery\nDemonstration\nProposal\nNegotiation\nClose",
    },
    {
        "type": "short_answer",
        "prompt": "What is the name of the portal where partners register deals?",
        "accepted": ["Partner Hub", "the Partner Hub"],
        "feedback_incorrect": "Look again at the lesson “The partner program”.",
    },
    {
        "type": "matching",
        "prompt": "Match each objection to the best first answer.",
        "pairs": [
            {"left": "Too expensive", "right": "Compare the total cost of ownership"},
            {"left": "Not now", "right": "Ask what would make it a priority"},
            {"left": "We use a competitor", "right": "Ask what they would change about it"},
        ],
    },
]


def _bank(title: str, description: str, questions: list[dict[str, Any]]) -> QuestionBank:
    bank = db.session.scalars(select(QuestionBank).where(QuestionBank.title == title)).first()
    if bank is None:
        bank = assessments.create_bank(title, description)
        for question in questions:
            assessments.add_question(bank, question)
    return bank


def food_safety(course: Course) -> None:
    """End Food Safety Basics with a graded quiz that gates a practical fryer checkpoint."""
    if any(lesson.kind == "assessment" for lesson in course.lessons):
        return
    bank = _bank("Food safety", "Questions for the Food Safety Basics quiz.", FOOD_SAFETY_QUESTIONS)
    quiz = db.session.scalars(select(Quiz).where(Quiz.title == "Food Safety quiz")).first()
    if quiz is None:
        quiz = assessments.create_quiz(
            {
                "title": "Food Safety quiz",
                "description": "Seven questions on what you have just learned. You need 80% to pass.",
                "layout": "one_page",
                "shuffle_options": True,
                "pass_percent": 80,
                "time_limit_minutes": 20,
                "max_attempts": 3,
                "show_answers": "after_last",
            }
        )
        for question in bank.questions:
            assessments.add_fixed_question(quiz, question)
    authoring.add_lesson(course, "assessment", "Food Safety quiz", True, {"quiz_id": str(quiz.id)}, {})
    authoring.add_lesson(
        course,
        "checkpoint",
        "Fryer safety",
        True,
        {
            "instructions": "Show your manager, at the fryer, that you can shut it down and clean it safely. "
            "Wear heat-resistant gloves.",
            "items": "Switches the fryer off at the isolator and lets the oil cool below 40 °C\n"
            "Drains and filters the oil without splashing\n"
            "Cleans the basket and wipes the surround\n"
            "Logs the oil change on the fryer sheet",
        },
        {},
    )


def partners_exam(path: LearningPath) -> None:
    """Add a certification-prep exam (five questions drawn from eight) as the last step of the path."""
    title = "Selling Atrium Widgets: certification-prep exam"
    if db.session.scalars(select(Course.id).where(Course.title == title)).first():
        return
    bank = _bank("Atrium Widgets sales", "Product and process questions for partner reps.", EXAM_QUESTIONS)
    quiz = assessments.create_quiz(
        {
            "title": "Certification-prep exam",
            "description": "Five questions drawn at random from the sales bank, one at a time.",
            "layout": "steps",
            "shuffle_questions": True,
            "shuffle_options": True,
            "pass_percent": 70,
            "time_limit_minutes": 30,
            "max_attempts": 3,
            "wait_minutes": 60,
            "show_answers": "never",
        }
    )
    assessments.add_pool(quiz, bank, 5)
    course = authoring.create_course(
        {
            "title": title,
            "description": "Prove you are ready for certification: pass with 70% or more.",
            "category": "Sales",
            "tags": ["sales", "certification"],
            "language": "en",
            "duration_minutes": 30,
            "self_enroll": False,
            "listed": True,
        }
    )
    authoring.add_lesson(course, "assessment", "Certification-prep exam", True, {"quiz_id": str(quiz.id)}, {})
    authoring.set_course_status(course, "published")
    authoring.set_path_courses(path, [step.course_id for step in path.steps] + [course.id])
