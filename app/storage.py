"""File storage behind one interface: local files under the instance folder by default."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from flask import current_app

_KEY_RE = re.compile(r"^tenants/\d+/[a-z0-9_-]+/[0-9a-f]{32}\.[a-z0-9]{1,8}$")


class LocalStorage:
    """Store bytes under ``<root>/tenants/<tenant id>/<category>/<random>.<ext>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, tenant_id: int, category: str, data: bytes, extension: str) -> str:
        """Write *data* and return its key."""
        key = f"tenants/{int(tenant_id)}/{category}/{uuid.uuid4().hex}.{extension.lower()}"
        if not _KEY_RE.match(key):
            raise ValueError(f"unsafe storage key {key!r}")
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return key

    def save_file(self, tenant_id: int, category: str, source: Path, extension: str) -> str:
        """Move the file *source* into storage (a large export, never read into memory) and return its key."""
        import shutil

        key = f"tenants/{int(tenant_id)}/{category}/{uuid.uuid4().hex}.{extension.lower()}"
        if not _KEY_RE.match(key):
            raise ValueError(f"unsafe storage key {key!r}")
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(source), path)
        return key

    def path(self, key: str, *, tenant_id: int) -> Path | None:
        """The file behind *key* if it belongs to *tenant_id* (for streaming large media), else None."""
        if not _KEY_RE.match(key) or not key.startswith(f"tenants/{int(tenant_id)}/"):
            return None
        path = self.root / key
        return path if path.is_file() else None

    def bytes_used(self, tenant_id: int) -> int:
        """The total size of the files stored for *tenant_id* (every category), in bytes."""
        total = 0
        for path in (self.root / "tenants" / str(int(tenant_id))).rglob("*"):
            if path.is_file() and not path.is_symlink():
                total += path.stat().st_size
        return total

    def read(self, key: str, *, tenant_id: int) -> bytes | None:
        """Return the bytes under *key* if it belongs to *tenant_id*, else None."""
        if not _KEY_RE.match(key) or not key.startswith(f"tenants/{int(tenant_id)}/"):
            return None
        path = self.root / key
        return path.read_bytes() if path.is_file() else None


# What each kind of upload may be, by content (sniffed), not by the name it came with.
UPLOAD_TYPES: dict[str, dict[str, object]] = {
    "video": {"types": {"video/mp4": "mp4", "video/webm": "webm"}, "max_bytes": 500 * 1024 * 1024},
    "captions": {"types": {"text/vtt": "vtt"}, "max_bytes": 1024 * 1024},
    "document": {
        "types": {
            "application/pdf": "pdf",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
            "application/zip": "zip",
            "image/png": "png",
            "image/jpeg": "jpg",
            "text/plain": "txt",
            "text/csv": "csv",
        },
        "max_bytes": 50 * 1024 * 1024,
    },
}

_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


class UploadRefused(ValueError):
    """An upload that is too big or not what it claims to be; the message says which."""


def sniff(data: bytes, filename: str = "") -> str | None:
    """Return the MIME type *data* really is, judged by its bytes, or None."""
    import io
    import zipfile

    if data[:5] == b"%PDF-":
        return "application/pdf"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"\x1aE\xdf\xa3":
        return "video/webm"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data[:4] == b"PK\x03\x04":
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return None
        for prefix, mime in _OOXML.items():
            if any(name.startswith(prefix) for name in names):
                return mime
        return "application/zip"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    if text.startswith("WEBVTT"):
        return "text/vtt"
    if filename.lower().endswith(".csv"):
        return "text/csv"
    return "text/plain"


def check_upload(
    category: str, data: bytes, filename: str, *, only: tuple[str, ...] | None = None
) -> tuple[str, str]:
    """Return (MIME type, extension) for an allowed upload of *category*, or raise UploadRefused.

    *only* narrows the category's types to those MIME types, for a field that takes fewer
    (a policy's document is a PDF); the refusal then names only those.
    """
    from flask_babel import gettext as _

    rules = UPLOAD_TYPES[category]
    max_bytes = int(rules["max_bytes"])  # type: ignore[call-overload]
    if not data:
        raise UploadRefused(_("The file is empty."))
    if len(data) > max_bytes:
        raise UploadRefused(
            _(
                "The file is %(size)s MB; the limit is %(limit)s MB.",
                size=len(data) // 1048576 or "<1",
                limit=max_bytes // 1048576,
            )
        )
    mime = sniff(data, filename)
    types: dict[str, str] = rules["types"]  # type: ignore[assignment]
    if only is not None:
        types = {m: ext for m, ext in types.items() if m in only}
    if mime not in types:
        allowed = ", ".join(sorted({ext.upper() for ext in types.values()}))
        raise UploadRefused(
            _(
                "This file's content is not an allowed type (%(allowed)s), whatever its name says.",
                allowed=allowed,
            )
        )
    if mime == "application/pdf" and not _is_readable_pdf(data):
        raise UploadRefused(
            _(
                "This file starts like a PDF but is not a PDF with pages that can be read. "
                "Save or export it again as PDF and upload that copy."
            )
        )
    return mime, types[mime]


def _is_readable_pdf(data: bytes) -> bool:
    """Whether *data* parses as a PDF document with at least one page (not merely ``%PDF-`` up front)."""
    import io
    import warnings

    from pypdf import PdfReader

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return len(PdfReader(io.BytesIO(data)).pages) > 0
    # A hostile file can make the parser fail in many ways (its own errors, ValueError, KeyError,
    # RecursionError...); every one of them means "not a PDF we will offer to people".
    except Exception:
        return False


def safe_filename(filename: str, fallback: str = "download") -> str:
    """A file name safe to offer for download: no path, no control characters."""
    from werkzeug.utils import secure_filename

    return secure_filename(filename) or fallback


def extension_of(mime: str) -> str | None:
    """The extension Atrium gives a file whose content is *mime*, or None for a type it never accepts."""
    for rules in UPLOAD_TYPES.values():
        types: dict[str, str] = rules["types"]  # type: ignore[assignment]
        if mime in types:
            return types[mime]
    return None


def stored_filename(filename: str, mime: str, fallback: str = "file") -> str:
    """The uploader's name, sanitised, with the extension of what the file really is.

    ``evil.html`` whose content is plain text becomes ``evil.txt``: whoever downloads it
    gets a name their system opens as what it is, never as the page its name claimed.
    """
    from werkzeug.utils import secure_filename

    extension = extension_of(mime) or "bin"
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    stem = secure_filename(stem)[:100].strip("._") or fallback
    return f"{stem}.{extension}"


def inline_safe(mime: str) -> bool:
    """Whether a browser may show content of *mime* in the page rather than save it."""
    return mime in {"application/pdf", "image/png", "image/jpeg", "video/mp4", "video/webm", "text/vtt"}


def storage() -> LocalStorage:
    root = Path(current_app.config.get("UPLOAD_ROOT") or Path(current_app.instance_path) / "uploads")
    return LocalStorage(root)
