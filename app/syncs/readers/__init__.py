"""Where HR syncs read people from: one flat row (field name → string) per person, whatever the source.

The sync engine codes against ``read_rows``, ``sample_fields``, ``KINDS`` and ``ReadError``:

- ``read_rows(kind, config, secret, upload)`` yields rows as the source gives them (a CSV file line
  by line, a JSON list item by item); it raises ``ReadError``, whose ``message`` says in the admin's
  language what to fix, before the first row or part-way through (a file broken at line 40,000),
  so a run must treat any ``ReadError`` as "nothing read".
- Every fetch goes through ``app.outbound`` (private addresses refused unless an operator allowed
  them, redirects checked, pinned address) with ``SYNC_TIMEOUT_SECONDS`` and ``SYNC_MAX_BYTES``.
- BambooHR is read through its custom report by default (everyone, Active and Inactive, with id,
  employeeNumber, hireDate, terminationDate, status and supervisorEId/supervisorId/supervisorEmail);
  the employee directory is offered too, but it lists current employees only, so a leaver there
  is someone who is no longer listed, and it has no employee number, hire date or manager id.
"""

from __future__ import annotations

from collections.abc import Iterator

from flask_babel import gettext as _

from app.syncs.readers.base import ConfigField, ReaderKind, ReadError, Row
from app.syncs.readers.sources import BAMBOOHR, CSV, URL, WORKDAY, import_folder

__all__ = [
    "KINDS",
    "ConfigField",
    "ReadError",
    "ReaderKind",
    "import_folder",
    "read_rows",
    "require_fields",
    "sample_fields",
]

KINDS: dict[str, ReaderKind] = {kind.key: kind for kind in (CSV, BAMBOOHR, WORKDAY, URL)}
SAMPLE_ROWS = 200


def _prepared(kind: str, config: dict, secret: str | None, upload: bytes | None) -> tuple[ReaderKind, dict]:
    reader = KINDS.get(kind)
    if reader is None:
        raise ReadError(_("“%(kind)s” is not a kind of source Atrium can read.", kind=kind))
    settings: dict[str, str] = {}
    for field in reader.fields:
        value = str(config.get(field.name) or "").strip() or field.default
        if field.required and not value:
            raise ReadError(_("Fill in “%(field)s”.", field=field.label))
        if field.choices and value and value not in {choice for choice, _label in field.choices}:
            raise ReadError(_("Choose one of the options for “%(field)s”.", field=field.label))
        settings[field.name] = value
    if reader.takes_secret and reader.secret_required(settings) and not (secret or "").strip():
        raise ReadError(_("Fill in “%(field)s”.", field=reader.secret_label))
    if upload is not None and not reader.takes_upload:
        raise ReadError(_("This kind of source does not read uploaded files."))
    return reader, settings


def read_rows(kind: str, config: dict, secret: str | None, upload: bytes | None = None) -> Iterator[Row]:
    """The people *kind* of source gives with *config*, one flat row each, as they are read."""
    reader, settings = _prepared(kind, config, secret, upload)
    return reader.read(settings, (secret or "").strip() or None, upload, None)


def sample_fields(kind: str, config: dict, secret: str | None, upload: bytes | None = None) -> list[str]:
    """The source's field names, in the order it gives them, for the mapping editor."""
    reader, settings = _prepared(kind, config, secret, upload)
    names: dict[str, None] = {}

    def seen(fields: list[str]) -> None:
        names.update(dict.fromkeys(fields))

    rows = reader.read(settings, (secret or "").strip() or None, upload, seen)
    try:
        for count, row in enumerate(rows, start=1):
            names.update(dict.fromkeys(row))
            if count >= SAMPLE_ROWS:
                break
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()  # the generator's own cleanup: the file is closed now, not when collected
    return list(names)


def require_fields(available: list[str], needed: list[str]) -> None:
    """Raise ReadError naming the first of *needed* that the source does not have."""
    for name in needed:
        if name not in available:
            raise ReadError(
                _(
                    "The source has no field “%(name)s”; it has: %(fields)s.",
                    name=name,
                    fields=", ".join(available) or "—",
                )
            )
