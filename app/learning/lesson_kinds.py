"""The lesson-kind registry: each kind validates its content, renders itself and says when it is complete.

A kind is a class registered under a key. Adding a kind (assessment, policy,
SCORM, cmi5, LTI …) means writing one class and its two templates
(``learning/kinds/<key>.html`` for the learner and
``learning/kinds/<key>_form.html`` for the author); nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import ValidationError
from app.labels import add_label, label
from app.locales import LOCALE_NAMES, is_known_locale
from app.storage import UploadRefused, check_upload, storage, stored_filename
from app.text import render_markdown


@dataclass
class Upload:
    filename: str
    data: bytes


class LessonKind:
    key: ClassVar[str]
    #: What the author picks from the list of kinds.
    label: ClassVar[Any]
    #: The kind's name beside a lesson in a course outline (``label("lesson_kind", key)``); else the label.
    short_label: ClassVar[Any] = None
    #: Progress events the learner's browser may report for this kind.
    events: ClassVar[frozenset[str]] = frozenset()
    #: Lessons after one of this kind stay locked until it is complete (assessments, checkpoints).
    gates: ClassVar[bool] = False
    #: Extra form fields (beyond the shared lesson form) the author's form template posts.
    form_fields: ClassVar[tuple[str, ...]] = ()
    #: Extra file inputs (beyond the shared lesson form) the author's form template posts.
    upload_fields: ClassVar[tuple[str, ...]] = ()

    def clean(
        self,
        fields: dict[str, str],
        uploads: dict[str, Upload | None],
        current: dict[str, Any],
        tenant_id: int,
    ) -> dict[str, Any]:
        """Validate the author's input and return the lesson's content (raise ValidationError)."""
        raise NotImplementedError

    def completes(self, event: str, value: int | None) -> bool:
        """Whether a progress *event* (with *value*, e.g. percent watched) completes the lesson."""
        return False

    def page_context(self, enrollment: Any, lesson: Any) -> dict[str, Any]:
        """Extra template variables for the learner's page of *lesson* (a quiz's attempts); reads only."""
        return {}

    def done_elsewhere(self, enrollment: Any, lesson: Any) -> bool:
        """Whether the learner already did what *lesson* asks outside it (passed the same quiz in
        another course, signed the policy): the page shows it complete and the visit records it."""
        return False

    def author_context(self) -> dict[str, Any]:
        """Extra template variables for the author's form (the quizzes to choose from, say)."""
        return {}

    def unlock_message(self, lesson: Any) -> str:
        """What a learner must do in *lesson* to unlock the lessons after it."""
        return _("Complete “%(title)s” to unlock this lesson.", title=lesson.title)

    @property
    def template(self) -> str:
        return f"learning/kinds/{self.key}.html"

    @property
    def form_template(self) -> str:
        return f"learning/kinds/{self.key}_form.html"


REGISTRY: dict[str, LessonKind] = {}


def register(cls: type[LessonKind]) -> type[LessonKind]:
    """Add a kind to the registry and its name to the labels templates show."""
    REGISTRY[cls.key] = cls()
    add_label("lesson_kind", cls.key, cls.label if cls.short_label is None else cls.short_label)
    return cls


def get_kind(key: str) -> LessonKind:
    return REGISTRY[key]


def kind_names(lessons: Iterable[Any]) -> dict[str, str]:
    """The outline's word for each kind of *lessons*, translated once per kind rather than per lesson."""
    return {key: label("lesson_kind", key) for key in {lesson.kind for lesson in lessons}}


def _store(upload: Upload, category: str, field: str, tenant_id: int) -> dict[str, Any]:
    try:
        mime, extension = check_upload(category, upload.data, upload.filename)
    except UploadRefused as refused:
        raise ValidationError(str(refused), field=field) from None
    key = storage().save(tenant_id, "lessons", upload.data, extension)
    return {
        "key": key,
        "filename": stored_filename(upload.filename, mime),
        "content_type": mime,
        "size": len(upload.data),
    }


def _offered_locales(tenant_id: int) -> list[str]:
    from app.extensions import db
    from app.tenancy.models import Tenant

    tenant = db.session.get(Tenant, tenant_id)
    return [code for code in (tenant.enabled_locales if tenant else []) or [] if is_known_locale(code)]


def _store_by_locale(
    content: dict[str, Any],
    key: str,
    fields: dict[str, str],
    upload: Upload | None,
    *,
    names: tuple[str, str, str],
    category: str,
    original: str,
    tenant_id: int,
) -> None:
    """Remove the per-language files the author ticked and add the one they uploaded, under *key*.

    *names* are the form's (language select, removal checkboxes, file input).
    """
    locale_name, remove_name, upload_name = names
    files = dict(content.get(key) or {})
    for locale in (fields.get(remove_name) or "").split("\n"):
        files.pop(locale.strip(), None)
    if upload is not None:
        locale = (fields.get(locale_name) or "").strip()
        if not locale:
            raise ValidationError(_("Choose the language of the file you are adding."), field=upload_name)
        if locale not in _offered_locales(tenant_id):
            raise ValidationError(
                _("This portal does not offer the language “%(locale)s”.", locale=locale), field=upload_name
            )
        if original and _same_language(locale, original):
            raise ValidationError(
                _(
                    "%(language)s is the original's language: replace the original instead.",
                    language=LOCALE_NAMES.get(locale, locale),
                ),
                field=upload_name,
            )
        files[locale] = _store(upload, category, upload_name, tenant_id)
    if files:
        content[key] = files
    else:
        content.pop(key, None)


def _same_language(a: str | None, b: str | None) -> bool:
    return (a or "").replace("-", "_").casefold() == (b or "").replace("-", "_").casefold()


def _author_locales() -> list[tuple[str, str]]:
    from app.locales import switchable_locales

    return switchable_locales()


def caption_tracks(lesson: Any, wanted: str) -> list[dict[str, Any]]:
    """The <track>s of a video lesson: the original captions and one per language, the *wanted* one default.

    When there are no captions in *wanted*, the original's are the default.
    """
    from flask import url_for

    content = lesson.content or {}
    original = str(content.get("captions_language") or "en")
    tracks: list[dict[str, Any]] = []
    if content.get("captions"):
        tracks.append({"locale": original, "lang": None})
    for locale in sorted(content.get("captions_by_locale") or {}):
        tracks.append({"locale": locale, "lang": locale})
    chosen = next((t for t in tracks if _same_language(t["locale"], wanted)), None)
    if chosen is None and content.get("captions"):
        chosen = tracks[0]
    for track in tracks:
        locale = track["locale"]
        track["srclang"] = locale.replace("_", "-")
        track["label"] = LOCALE_NAMES.get(locale, locale)
        track["default"] = track is chosen
        track["src"] = url_for(
            "learning.lesson_media",
            lesson_id=lesson.id,
            part="captions",
            **({"lang": track["lang"]} if track["lang"] else {}),
        )
    return tracks


def file_for(lesson: Any, wanted: str) -> tuple[dict[str, Any] | None, str]:
    """The stored file of a file lesson a person reading *wanted* downloads, and the language it is in."""
    content = lesson.content or {}
    translated = (content.get("files_by_locale") or {}).get(wanted)
    if translated:
        return translated, wanted
    return content.get("file"), file_language(lesson)


def file_language(lesson: Any) -> str:
    """The language of a file lesson's original file (said by the author, else the course's)."""
    content = lesson.content or {}
    return str(content.get("file_language") or getattr(lesson.course, "language", None) or "en")


@register
class PageLesson(LessonKind):
    key = "page"
    label = _l("Page")
    events = frozenset({"viewed_to_end"})

    def clean(
        self,
        fields: dict[str, str],
        uploads: dict[str, Upload | None],
        current: dict[str, Any],
        tenant_id: int,
    ) -> dict[str, Any]:
        body = (fields.get("body") or "").strip()
        if not body:
            raise ValidationError(_("Write the page's text."), field="body")
        return {"markdown": body, "html": render_markdown(body)}

    def completes(self, event: str, value: int | None) -> bool:
        return event == "viewed_to_end"


@register
class VideoLesson(LessonKind):
    key = "video"
    label = _l("Video")
    events = frozenset({"watched"})
    COMPLETE_AT = 90
    form_fields = ("captions_locale", "remove_captions")
    upload_fields = ("locale_captions_file",)

    def clean(
        self,
        fields: dict[str, str],
        uploads: dict[str, Upload | None],
        current: dict[str, Any],
        tenant_id: int,
    ) -> dict[str, Any]:
        content = dict(current)
        url = (fields.get("video_url") or "").strip()
        video = uploads.get("video_file")
        if video is not None:
            content["video"] = _store(video, "video", "video_file", tenant_id)
            content.pop("url", None)
        elif url:
            parts = urlsplit(url)
            if parts.scheme != "https" or not parts.netloc:
                raise ValidationError(_("Link to the video with an https:// address."), field="video_url")
            content["url"] = url
            content.pop("video", None)
        if not content.get("video") and not content.get("url"):
            raise ValidationError(_("Upload a video file or give a link to one."), field="video_file")
        captions = uploads.get("captions_file")
        if captions is not None:
            content["captions"] = _store(captions, "captions", "captions_file", tenant_id)
        content["captions_language"] = (fields.get("captions_language") or "en").strip()[:10]
        _store_by_locale(
            content,
            "captions_by_locale",
            fields,
            uploads.get("locale_captions_file"),
            names=("captions_locale", "remove_captions", "locale_captions_file"),
            category="captions",
            original=content["captions_language"] if content.get("captions") else "",
            tenant_id=tenant_id,
        )
        content["transcript"] = (fields.get("transcript") or "").strip()
        return content

    def page_context(self, enrollment: Any, lesson: Any) -> dict[str, Any]:
        from flask_babel import get_locale

        return {"caption_tracks": caption_tracks(lesson, str(get_locale() or ""))}

    def author_context(self) -> dict[str, Any]:
        return {"media_locales": _author_locales()}

    def completes(self, event: str, value: int | None) -> bool:
        return event == "watched" and (value or 0) >= self.COMPLETE_AT


@register
class FileLesson(LessonKind):
    key = "file"
    label = _l("File to download")
    events = frozenset()  # completed by the download itself
    form_fields = ("file_language", "file_locale", "remove_files")
    upload_fields = ("locale_document_file",)

    def clean(
        self,
        fields: dict[str, str],
        uploads: dict[str, Upload | None],
        current: dict[str, Any],
        tenant_id: int,
    ) -> dict[str, Any]:
        content = dict(current)
        upload = uploads.get("document_file")
        if upload is not None:
            content["file"] = _store(upload, "document", "document_file", tenant_id)
        if not content.get("file"):
            raise ValidationError(_("Choose the file people will download."), field="document_file")
        language = (fields.get("file_language") or "").strip()
        if language:
            if language not in _offered_locales(tenant_id):
                raise ValidationError(
                    _("This portal does not offer the language “%(locale)s”.", locale=language),
                    field="file_language",
                )
            content["file_language"] = language
        _store_by_locale(
            content,
            "files_by_locale",
            fields,
            uploads.get("locale_document_file"),
            names=("file_locale", "remove_files", "locale_document_file"),
            category="document",
            original=str(content.get("file_language") or ""),
            tenant_id=tenant_id,
        )
        content["note"] = (fields.get("note") or "").strip()
        return content

    def page_context(self, enrollment: Any, lesson: Any) -> dict[str, Any]:
        from flask_babel import get_locale

        stored, locale = file_for(lesson, str(get_locale() or ""))
        return {"download_file": stored or {}, "download_language": LOCALE_NAMES.get(locale, locale)}

    def author_context(self) -> dict[str, Any]:
        return {"media_locales": _author_locales()}

    def completes(self, event: str, value: int | None) -> bool:
        return event == "downloaded"
