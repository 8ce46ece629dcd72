"""What a portal can translate: each kind of item, its texts (fields) and the language it was written in.

A field is named so that it stays the same across edits of the item: ``title``, ``markdown``, and for a
question's parts their ids (``option.b.text``). Files carry the field names as unit ids (``course.12.title``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from flask import g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager, selectinload

from app.multilingual.exchange import source_hash


@dataclass(frozen=True)
class Field:
    """One text of an item: its stable name, what it is for a translator, its source text."""

    name: str
    label: Any
    text: str
    markdown: bool = False
    multiline: bool = False

    @property
    def source_hash(self) -> str:
        return source_hash(self.text)


@dataclass(frozen=True)
class Kind:
    """A kind of translatable item.

    ``classes`` are the models that stand for an item of this kind (a question is shown through one of its
    revisions); ``item_id`` finds the item an instance stands for, ``fields`` its texts, ``title`` a name
    for lists, ``source_locale`` the language it was written in, ``items`` the statement listing the
    portal's items for the translation workspace.
    """

    name: str
    label: Any
    classes: tuple[type, ...]
    item_id: Callable[[Any], int]
    fields: Callable[[Any], list[Field]]
    title: Callable[[Any], str]
    source_locale: Callable[[Any], str]
    items: Callable[[], Select[Any]]
    load: Callable[[int], Any]


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> None:
    _KINDS[kind.name] = kind


def all_kinds() -> list[Kind]:
    _register_builtin()
    return list(_KINDS.values())


def kind_named(name: str) -> Kind | None:
    _register_builtin()
    return _KINDS.get(name)


def kind_of(obj: Any) -> Kind | None:
    """The kind an instance stands for, or None for something that is not translatable."""
    _register_builtin()
    for kind in _KINDS.values():
        if isinstance(obj, kind.classes):
            return kind
    return None


def current_portal() -> Any:
    """The portal being served (a request's ``g.tenant``), else the one a job or command works as."""
    from app.extensions import db
    from app.tenancy import context
    from app.tenancy.models import Tenant

    tenant = g.get("tenant") if has_app_context() else None
    tenant_id = context.current_tenant_id()
    if tenant is not None and (tenant_id is None or tenant.id == tenant_id):
        return tenant
    return db.session.get(Tenant, tenant_id) if tenant_id is not None else None


def portal_locale() -> str:
    return str(getattr(current_portal(), "default_locale", None) or "en")


def _text(name: str, label: Any, text: str | None, **options: Any) -> Iterator[Field]:
    if text and text.strip():
        yield Field(name, label, text, **options)


# ------------------------------------------------------------------------------------------- the kinds


def _course_fields(course: Any) -> list[Field]:
    return [
        *_text("title", _l("Title"), course.title),
        *_text("description", _l("Description"), course.description, multiline=True),
    ]


def _lesson_fields(lesson: Any) -> list[Field]:
    content = lesson.content or {}
    fields = list(_text("title", _l("Title"), lesson.title))
    if lesson.kind == "page":
        fields += _text("markdown", _l("Lesson text (Markdown)"), content.get("markdown"), markdown=True)
    elif lesson.kind == "video":
        fields += _text("transcript", _l("Transcript"), content.get("transcript"), multiline=True)
    elif lesson.kind == "file":
        fields += _text("note", _l("Note"), content.get("note"), multiline=True)
    return fields


def revision_fields(revision: Any) -> list[Field]:
    """The texts of one question revision: prompt, options and their feedback, items, pairs, feedback."""
    data = revision.data or {}
    fields = list(_text("prompt", _l("Question"), revision.prompt, markdown=True))
    for option in data.get("options", []):
        key = option.get("id")
        fields += _text(f"option.{key}.text", _l("Answer option"), option.get("text"))
        fields += _text(f"option.{key}.feedback", _l("Feedback for this option"), option.get("feedback"))
    for item in data.get("items", []):
        fields += _text(f"item.{item.get('id')}.text", _l("Item to order"), item.get("text"))
    for pair in data.get("pairs", []):
        fields += _text(f"pair.{pair.get('id')}.left", _l("Left of a pair"), pair.get("left"))
        fields += _text(f"pair.{pair.get('id')}.right", _l("Right of a pair"), pair.get("right"))
    fields += _text(
        "feedback_correct", _l("Feedback when right"), data.get("feedback_correct"), multiline=True
    )
    fields += _text(
        "feedback_incorrect", _l("Feedback when wrong"), data.get("feedback_incorrect"), multiline=True
    )
    return fields


def _question_fields(obj: Any) -> list[Field]:
    from app.assessments.models import Question

    return revision_fields(obj.current if isinstance(obj, Question) else obj)


def _question_id(obj: Any) -> int:
    from app.assessments.models import Question

    return int(obj.id if isinstance(obj, Question) else obj.question_id)


def _question_title(obj: Any) -> str:
    from app.assessments.models import Question

    revision = obj.current if isinstance(obj, Question) else obj
    prompt = " ".join((revision.prompt or "").split())
    return prompt if len(prompt) <= 80 else prompt[:79] + "…"


def _titled(obj: Any) -> str:
    return str(obj.title)


def _register_builtin() -> None:
    if _KINDS:
        return
    from app.assessments.models import Question, QuestionRevision, Quiz
    from app.certifications.models import Certification
    from app.learning.models import Course, LearningPath, Lesson
    from app.policies.models import Policy, PolicyVersion

    def loader(model: type) -> Callable[[int], Any]:
        from app.extensions import db

        return lambda item_id: db.session.get(model, item_id)

    register(
        Kind(
            "course",
            _l("Course"),
            (Course,),
            lambda c: int(c.id),
            _course_fields,
            _titled,
            lambda c: str(c.language or portal_locale()),
            lambda: select(Course).order_by(Course.title, Course.id),
            loader(Course),
        )
    )
    register(
        Kind(
            "lesson",
            _l("Lesson"),
            (Lesson,),
            lambda lesson: int(lesson.id),
            _lesson_fields,
            lambda lesson: f"{lesson.course.title}: {lesson.title}",
            lambda lesson: str(lesson.course.language or portal_locale()),
            lambda: (
                select(Lesson)
                .join(Lesson.course)
                .options(contains_eager(Lesson.course))
                .order_by(Course.title, Lesson.course_id, Lesson.position)
            ),
            loader(Lesson),
        )
    )
    register(
        Kind(
            "path",
            _l("Learning path"),
            (LearningPath,),
            lambda p: int(p.id),
            _course_fields,
            _titled,
            lambda p: portal_locale(),
            lambda: select(LearningPath).order_by(LearningPath.title, LearningPath.id),
            loader(LearningPath),
        )
    )
    register(
        Kind(
            "quiz",
            _l("Quiz"),
            (Quiz,),
            lambda q: int(q.id),
            _course_fields,
            _titled,
            lambda q: portal_locale(),
            lambda: select(Quiz).order_by(Quiz.title, Quiz.id),
            loader(Quiz),
        )
    )
    register(
        Kind(
            "question",
            _l("Question"),
            (Question, QuestionRevision),
            _question_id,
            _question_fields,
            _question_title,
            lambda q: portal_locale(),
            lambda: (
                select(Question)
                .where(Question.active.is_(True))
                .options(selectinload(Question.revisions))
                .order_by(Question.bank_id, Question.position)
            ),
            loader(Question),
        )
    )
    register(
        Kind(
            "policy",
            _l("Policy"),
            (Policy,),
            lambda p: int(p.id),
            lambda p: list(_text("title", _l("Title"), p.title)),
            _titled,
            lambda p: portal_locale(),
            lambda: select(Policy).order_by(Policy.title, Policy.id),
            loader(Policy),
        )
    )
    register(
        Kind(
            "policy_version",
            _l("Policy text"),
            (PolicyVersion,),
            lambda v: int(v.id),
            lambda v: list(_text("body", _l("Policy text (Markdown)"), v.body_markdown, markdown=True)),
            lambda v: f"{v.policy.title} · v{v.number}",
            lambda v: portal_locale(),
            lambda: (
                select(PolicyVersion)
                .join(PolicyVersion.policy)
                .options(contains_eager(PolicyVersion.policy))
                .order_by(Policy.title, PolicyVersion.number)
            ),
            loader(PolicyVersion),
        )
    )
    register(
        Kind(
            "certification",
            _l("Certification"),
            (Certification,),
            lambda c: int(c.id),
            _course_fields,
            _titled,
            lambda c: portal_locale(),
            lambda: select(Certification).order_by(Certification.title, Certification.id),
            loader(Certification),
        )
    )
