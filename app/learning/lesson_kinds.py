"""The lesson-kind registry: each kind validates its content, renders itself and says when it is complete.

A kind is a class registered under a key. Adding a kind (assessment, policy,
SCORM, cmi5, LTI …) means writing one class and its two templates
(``learning/kinds/<key>.html`` for the learner and
``learning/kinds/<key>_form.html`` for the author); nothing else changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.errors import ValidationError
from app.labels import add_label
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
        content["transcript"] = (fields.get("transcript") or "").strip()
        return content

    def completes(self, event: str, value: int | None) -> bool:
        return event == "watched" and (value or 0) >= self.COMPLETE_AT


@register
class FileLesson(LessonKind):
    key = "file"
    label = _l("File to download")
    events = frozenset()  # completed by the download itself

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
        content["note"] = (fields.get("note") or "").strip()
        return content

    def completes(self, event: str, value: int | None) -> bool:
        return event == "downloaded"
