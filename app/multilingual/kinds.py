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
# The kind of each class seen, found once: a page asks for it for every text it shows.
_KIND_OF_TYPE: dict[type, Kind | None] = {}


def register(kind: Kind) -> None:
    """Make *kind* translatable (features above this one register theirs when the app starts)."""
    _register_builtin()
    _add(kind)


def _add(kind: Kind) -> None:
    _KINDS[kind.name] = kind
    _KIND_OF_TYPE.clear()


def all_kinds() -> list[Kind]:
    _register_builtin()
    return list(_KINDS.values())


def kind_named(name: str) -> Kind | None:
    _register_builtin()
    return _KINDS.get(name)


def kind_of(obj: Any) -> Kind | None:
    """The kind an instance stands for, or None for something that is not translatable."""
    _register_builtin()
    cls = type(obj)
    try:
        return _KIND_OF_TYPE[cls]
    except KeyError:
        pass
    found = next((kind for kind in _KINDS.values() if isinstance(obj, kind.classes)), None)
    _KIND_OF_TYPE[cls] = found
    return found


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


def written_in_portal_locale(item: Any) -> str:
    """A kind's ``source_locale`` for items written in the portal's language (the reader's default)."""
    return portal_locale()


def text_field(name: str, label: Any, text: str | None, **options: Any) -> Iterator[Field]:
    """The field *name* of an item, unless its text is empty (nothing to translate)."""
    if text and text.strip():
        yield Field(name, label, text, **options)


def loader(model: type) -> Callable[[int], Any]:
    """A kind's ``load``: the item of *model* with that id, in the current portal (or None)."""
    from app.extensions import db

    return lambda item_id: db.session.get(model, item_id)


# ------------------------------------------------------------------------------------------- the kinds


def titled_fields(course: Any) -> list[Field]:
    """A title and a description: the texts of a course, a path, a quiz, a certification."""
    return [
        *text_field("title", _l("Title"), course.title),
        *text_field("description", _l("Description"), course.description, multiline=True),
    ]


def _lesson_fields(lesson: Any) -> list[Field]:
    content = lesson.content or {}
    fields = list(text_field("title", _l("Title"), lesson.title))
    if lesson.kind == "page":
        fields += text_field("markdown", _l("Lesson text (Markdown)"), content.get("markdown"), markdown=True)
    elif lesson.kind == "video":
        fields += text_field("transcript", _l("Transcript"), content.get("transcript"), multiline=True)
    elif lesson.kind == "file":
        fields += text_field("note", _l("Note"), content.get("note"), multiline=True)
    return fields


def revision_fields(revision: Any) -> list[Field]:
    """The texts of one question revision: prompt, options and their feedback, items, pairs, feedback."""
    data = revision.data or {}
    fields = list(text_field("prompt", _l("Question"), revision.prompt, markdown=True))
    for option in data.get("options", []):
        key = option.get("id")
        fields += text_field(f"option.{key}.text", _l("Answer option"), option.get("text"))
        fields += text_field(f"option.{key}.feedback", _l("Feedback for this option"), option.get("feedback"))
    for item in data.get("items", []):
        fields += text_field(f"item.{item.get('id')}.text", _l("Item to order"), item.get("text"))
    for pair in data.get("pairs", []):
        fields += text_field(f"pair.{pair.get('id')}.left", _l("Left of a pair"), pair.get("left"))
        fields += text_field(f"pair.{pair.get('id')}.right", _l("Right of a pair"), pair.get("right"))
    fields += text_field(
        "feedback_correct", _l("Feedback when right"), data.get("feedback_correct"), multiline=True
    )
    fields += text_field(
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


def titled(obj: Any) -> str:
    return str(obj.title)


def _register_builtin() -> None:
    """Courses, lessons, paths, quizzes and questions: the kinds of the features this one stands on."""
    if _KINDS:
        return
    from app.assessments.models import Question, QuestionRevision, Quiz
    from app.learning.models import Course, LearningPath, Lesson

    _add(
        Kind(
            "course",
            _l("Course"),
            (Course,),
            lambda c: int(c.id),
            titled_fields,
            titled,
            lambda c: str(c.language or portal_locale()),
            lambda: select(Course).order_by(Course.title, Course.id),
            loader(Course),
        )
    )
    _add(
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
    _add(
        Kind(
            "path",
            _l("Learning path"),
            (LearningPath,),
            lambda p: int(p.id),
            titled_fields,
            titled,
            written_in_portal_locale,
            lambda: select(LearningPath).order_by(LearningPath.title, LearningPath.id),
            loader(LearningPath),
        )
    )
    _add(
        Kind(
            "quiz",
            _l("Quiz"),
            (Quiz,),
            lambda q: int(q.id),
            titled_fields,
            titled,
            written_in_portal_locale,
            lambda: select(Quiz).order_by(Quiz.title, Quiz.id),
            loader(Quiz),
        )
    )
    _add(
        Kind(
            "question",
            _l("Question"),
            (Question, QuestionRevision),
            _question_id,
            _question_fields,
            _question_title,
            written_in_portal_locale,
            lambda: (
                select(Question)
                .where(Question.active.is_(True))
                .options(selectinload(Question.revisions))
                .order_by(Question.bank_id, Question.position)
            ),
            loader(Question),
        )
    )
