"""Audit events as sentences a person can read: a registry of event types, each with its sentence.

Each event type (``user.roles_changed``) maps to a function that builds one translated sentence from
what the event stored (actor, target, before, after). Names come from the rows the events point to,
loaded for a whole page of events at once; when a row is gone, the label stored in the event is used.
Every value is escaped and wrapped in ``<bdi dir="auto">``: names are user content in any direction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.audit.models import AuditEvent
from app.extensions import Model, db
from app.inputs import parse_id

SentenceFn = Callable[["EventView"], Markup]
_SENTENCES: dict[str, SentenceFn] = {}


def sentence(*actions: str) -> Callable[[SentenceFn], SentenceFn]:
    """Register the decorated function as the sentence of *actions*."""

    def register(fn: SentenceFn) -> SentenceFn:
        for action in actions:
            _SENTENCES[action] = fn
        return fn

    return register


def known_actions() -> frozenset[str]:
    return frozenset(_SENTENCES)


def user_content(value: object) -> Markup:
    """Escape *value* and isolate its direction, so English names read right in Arabic and back."""
    return Markup('<bdi dir="auto">%s</bdi>') % ("" if value is None else str(value))


def fill(template: str, **values: object) -> Markup:
    """Put *values* into a translated *template*; plain values are escaped, Markup is kept."""
    return escape(template) % {k: v if isinstance(v, Markup) else escape(str(v)) for k, v in values.items()}


@dataclass(frozen=True)
class DescribedEvent:
    event: AuditEvent
    sentence: Markup
    known: bool
    # Who acted, named as the sentence names them (for exports, where the sentence is one cell of many).
    actor: Markup = field(default_factory=Markup)


# ---------------------------------------------------------------- names for a page of events

# Target types whose rows are loaded for their current names, with the relationships the sentences read.
_LOADED_TYPES = (
    "User",
    "Course",
    "Lesson",
    "LearningPath",
    "Policy",
    "Quiz",
    "QuestionBank",
    "Enrollment",
    "PathEnrollment",
    "Attempt",
    "Acknowledgement",
    "LibraryDeployment",
)
_USER_ID_KEYS = ("user_id", "signed_by_id")
_USER_EMAIL_KEYS = ("user", "learner", "signer")


def _model_named(name: str) -> Any:
    for mapper in Model.registry.mappers:
        if mapper.class_.__name__ == name:
            return mapper.class_
    return None


# The relationships each target's sentence reads, loaded with the page (dotted paths: "version.policy").
_LOAD_PATHS: dict[str, tuple[str, ...]] = {
    "Enrollment": ("course", "user"),
    "PathEnrollment": ("path",),
    "Attempt": ("quiz",),
    "Acknowledgement": ("version.policy",),
    "LibraryDeployment": ("version", "package"),
}


def _loader_options(model: Any) -> list[Any]:
    """selectinload options for *model*'s paths in _LOAD_PATHS, found by name: audit imports no feature."""
    options = []
    for path in _LOAD_PATHS.get(model.__name__, ()):
        current, option = model, None
        for attribute in path.split("."):
            relationship = getattr(current, attribute)
            option = selectinload(relationship) if option is None else option.selectinload(relationship)
            current = relationship.property.mapper.class_
        options.append(option)
    return options


class References:
    """The people and objects a page of events names: one query per kind of object, one for people."""

    def __init__(self, events: Sequence[AuditEvent]) -> None:
        user_model = _model_named("User")
        user_ids: set[int] = set()
        emails: set[str] = set()
        targets: dict[str, set[int]] = {}
        for event in events:
            if event.actor_type == "user" and event.actor_id:
                user_ids.add(event.actor_id)
            if event.target_type in _LOADED_TYPES and parse_id(event.target_id):
                targets.setdefault(event.target_type or "", set()).add(int(event.target_id or 0))
            for data in (event.before or {}, event.after or {}):
                for key in _USER_ID_KEYS:
                    if isinstance(data.get(key), int):
                        user_ids.add(data[key])
                for user_id in data.get("user_ids") or []:
                    if isinstance(user_id, int):
                        user_ids.add(user_id)
                for key in _USER_EMAIL_KEYS:
                    if isinstance(data.get(key), str):
                        emails.add(data[key])
        user_ids |= targets.pop("User", set())
        self.objects: dict[tuple[str, int], Any] = {}
        for name, ids in targets.items():
            model = _model_named(name)
            if model is None:
                continue
            statement = select(model).where(model.id.in_(ids)).options(*_loader_options(model))
            for obj in db.session.scalars(statement):
                self.objects[(name, obj.id)] = obj
                if isinstance(getattr(obj, "user_id", None), int):
                    user_ids.add(obj.user_id)
        self.users: dict[int, Any] = {}
        self.users_by_email: dict[str, Any] = {}
        if user_ids or emails:
            for user in db.session.scalars(
                select(user_model).where(or_(user_model.id.in_(user_ids), user_model.email.in_(emails)))
            ):
                self.users[user.id] = user
                self.users_by_email[user.email] = user


# ---------------------------------------------------------------- one event, as the sentences read it


class EventView:
    """What a sentence function reads: names already escaped and isolated, stored values as they are."""

    def __init__(self, event: AuditEvent, refs: References) -> None:
        self.event = event
        self.refs = refs
        self.before: dict[str, Any] = event.before or {}
        self.after: dict[str, Any] = event.after or {}

    @property
    def obj(self) -> Any:
        """The target row as it is now, or None when it is gone or not loaded."""
        event = self.event
        if not parse_id(event.target_id):
            return None
        if event.target_type == "User":
            return self.refs.users.get(int(event.target_id or 0))
        return self.refs.objects.get((event.target_type or "", int(event.target_id or 0)))

    @property
    def actor(self) -> Markup:
        event = self.event
        if event.actor_type == "user":
            user = self.refs.users.get(event.actor_id or 0)
            if user is not None:
                return user_content(user.full_name)
            return user_content(event.actor_label or _("someone"))
        if event.actor_type == "api_client":
            return fill(_("API client %(name)s"), name=user_content(event.actor_label or ""))
        if event.actor_type == "anonymous":
            return escape(_("Someone not signed in"))
        return escape(_("Atrium"))

    @property
    def target(self) -> Markup:
        obj = self.obj
        for attribute in ("full_name", "title", "name", "slug", "email"):
            value = getattr(obj, attribute, None) if obj is not None else None
            if isinstance(value, str) and value:
                return user_content(value)
        label = self.event.target_label or self.after.get("title") or self.before.get("title")
        if label:
            return user_content(label)
        return escape(_("#%(id)s", id=self.event.target_id or "?"))

    def person(self, user_id: object = None, email: object = None) -> Markup:
        """The name of the person with *user_id* or *email*, or what was stored when they are gone."""
        user = None
        if isinstance(user_id, int):
            user = self.refs.users.get(user_id)
        if user is None and isinstance(email, str):
            user = self.refs.users_by_email.get(email)
        if user is not None:
            return user_content(user.full_name)
        if email:
            return user_content(email)
        return escape(_("person #%(id)s", id=user_id or "?"))

    def people(self, user_ids: Iterable[object]) -> Markup:
        return Markup(", ").join(self.person(user_id) for user_id in user_ids)

    def value(self, data: dict[str, Any], key: str) -> Markup:
        raw = data.get(key)
        if isinstance(raw, list):
            return Markup(", ").join(user_content(item) for item in raw) if raw else escape(_("none"))
        return user_content("" if raw is None else raw)

    def changed_fields(self) -> Markup:
        keys = sorted(set(self.before) | set(self.after))
        return Markup(", ").join(escape(field_name(key)) for key in keys)


def _field_names() -> dict[str, str]:  # built per call: the reader's language
    return {
        "email": _("email"),
        "full_name": _("name"),
        "employee_id": _("employee ID"),
        "job_title": _("job title"),
        "org_unit_id": _("organisation unit"),
        "manager_id": _("manager"),
        "locale": _("language"),
        "time_zone": _("time zone"),
        "hire_date": _("hire date"),
        "status": _("status"),
        "attributes": _("attributes"),
        "title": _("title"),
        "description": _("description"),
        "name": _("name"),
        "kind": _("kind"),
        "parent_id": _("parent unit"),
        "code": _("code"),
    }


def field_name(key: str) -> str:
    """A changed field's name in the reader's language (the stored key when it has none)."""
    return _field_names().get(key, key.replace("_", " "))


def describe(events: Sequence[AuditEvent]) -> list[DescribedEvent]:
    """Turn a page of *events* into sentences, with a readable fallback for unknown types."""
    refs = References(events)
    described = []
    for event in events:
        view = EventView(event, refs)
        fn = _SENTENCES.get(event.action)
        if fn is None:
            text = fill(
                _("%(actor)s: %(action)s on %(target)s"),
                actor=view.actor,
                action=event.action.replace(".", " ").replace("_", " "),
                target=view.target,
            )
            if not event.target_type:
                text = fill(
                    _("%(actor)s: %(action)s"),
                    actor=view.actor,
                    action=event.action.replace(".", " ").replace("_", " "),
                )
        else:
            text = fn(view)
        described.append(DescribedEvent(event=event, sentence=text, known=fn is not None, actor=view.actor))
    return described


from app.audit.sentences import catalog as _catalog  # noqa: E402,F401  (registers the sentences)
