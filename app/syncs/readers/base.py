"""What every source reader shares: the error an admin reads, the kind and field descriptions, the
limits, and the guarded fetch that turns HTTP failures into sentences."""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from flask import current_app
from flask_babel import gettext as _

from app import outbound

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
# HR systems build reports on request; Workday's can take a minute or two for a large company.
DEFAULT_TIMEOUT_SECONDS = 120

Row = dict[str, str]
FieldsSeen = Callable[[list[str]], None]


class ReadError(Exception):
    """A source could not be read; *message* is a translated sentence saying what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ConfigField:
    """One setting of a source kind, as the source form shows it."""

    name: str
    label: Any  # lazy translated
    required: bool
    kind: Literal["url", "text", "choice", "path"]
    choices: tuple[tuple[str, Any], ...] = ()  # (value, lazy label)
    hint: Any = ""
    default: str = ""


@dataclass(frozen=True)
class ReaderKind:
    """A kind of source: what it asks for, and how it reads rows."""

    key: str
    label: Any  # lazy translated
    fields: list[ConfigField]
    read: Callable[[dict[str, str], str | None, bytes | None, FieldsSeen | None], Iterator[Row]]
    description: Any = ""
    #: What the secret is called on the form ("API key", "Password", "Bearer token"); None: no secret.
    secret_label: Any = None
    #: Whether the secret must be given (a generic URL without authentication needs none).
    secret_required: Callable[[dict[str, str]], bool] = field(default=lambda config: True)
    #: Whether an uploaded file can be read (csv).
    takes_upload: bool = False

    @property
    def takes_secret(self) -> bool:
        return self.secret_label is not None


def max_bytes() -> int:
    """The largest source Atrium reads (``SYNC_MAX_BYTES``)."""
    return int(current_app.config.get("SYNC_MAX_BYTES") or DEFAULT_MAX_BYTES)


def timeout_seconds() -> float:
    return float(current_app.config.get("SYNC_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS)


def import_root() -> Path:
    """The folder holding each portal's import folder (``SYNC_IMPORT_ROOT``, default instance/imports)."""
    return Path(current_app.config.get("SYNC_IMPORT_ROOT") or Path(current_app.instance_path) / "imports")


def too_large() -> ReadError:
    return ReadError(
        _(
            "The source is larger than the limit of %(limit)s MB; an operator can raise SYNC_MAX_BYTES.",
            limit=max_bytes() // (1024 * 1024),
        )
    )


def basic_auth(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _refuse_clear_text_credentials(url: str, source: str) -> None:
    """Credentials travel over https, except to a local address an operator allowed (a demo, a test)."""
    if not url.lower().startswith("http://"):
        return
    try:
        _host, address = outbound.check_url(url)
    except outbound.OutboundRefused as refused:
        raise ReadError(
            _("%(source)s cannot be reached: %(reason)s.", source=source, reason=refused.message)
        ) from None
    if not ipaddress.ip_address(address).is_private:
        raise ReadError(
            _(
                "%(source)s's address starts with http://, which would send the credentials unencrypted; "
                "use https://.",
                source=source,
            )
        )


def fetch(
    url: str,
    *,
    source: str,
    credentials_hint: str,
    headers: dict[str, str],
    method: str = "GET",
    data: bytes | None = None,
    with_credentials: bool = True,
) -> outbound.Fetched:
    """Fetch *url* through the outbound guard; a refusal or an HTTP error becomes a ReadError."""
    if with_credentials:
        _refuse_clear_text_credentials(url, source)
    try:
        answer = outbound.fetch(
            url, method=method, headers=headers, data=data, max_bytes=max_bytes(), timeout=timeout_seconds()
        )
    except outbound.OutboundRefused as refused:
        if "larger than" in refused.message:
            raise too_large() from None
        raise ReadError(
            _("%(source)s cannot be reached: %(reason)s.", source=source, reason=refused.message)
        ) from None
    status = answer.status
    if 200 <= status < 300:
        return answer
    detail = (answer.headers.get("X-BambooHR-Error-Message") or "").strip()[:200]
    if status == 401:
        message = _(
            "%(source)s refused the credentials (HTTP 401): %(hint)s", source=source, hint=credentials_hint
        )
    elif status == 403:
        message = _(
            "%(source)s refused access (HTTP 403): the account may not read this data; %(hint)s",
            source=source,
            hint=credentials_hint,
        )
    elif status == 404:
        message = _("%(source)s has nothing at this address (HTTP 404): check the address.", source=source)
    elif status == 429:
        message = _("%(source)s asks to slow down (HTTP 429); the next run tries again.", source=source)
    elif status >= 500:
        message = _(
            "%(source)s had a problem on its side (HTTP %(status)s); the next run tries again.",
            source=source,
            status=status,
        )
    else:
        message = _("%(source)s answered HTTP %(status)s.", source=source, status=status)
    if detail:
        message = f"{message} ({detail})"
    raise ReadError(message)
