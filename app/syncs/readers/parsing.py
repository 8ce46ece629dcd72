"""Turning a source's bytes into flat rows: CSV (sniffed separator, header required) and a JSON list
read item by item, with nested values flattened to strings."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import IO, Any

from flask_babel import gettext as _

from app.syncs.readers.base import FieldsSeen, ReadError, Row

SEPARATORS = {"comma": ",", "semicolon": ";", "tab": "\t"}
_WHITESPACE = re.compile(r"[ \t\n\r]*")


# --- CSV -------------------------------------------------------------------------------------------


def _sniff_separator(header_line: str) -> str:
    counts = {separator: header_line.count(separator) for separator in (",", ";", "\t")}
    best = max(counts, key=lambda separator: counts[separator])
    return best if counts[best] > 0 else ","


def _header(cells: list[str]) -> list[str]:
    names = [cell.strip() for cell in cells]
    while names and not names[-1]:
        names.pop()  # spreadsheets leave empty columns at the end
    if not names:
        raise ReadError(
            _("The file has no header row: its first line must name the columns, like employee_id,email.")
        )
    seen: set[str] = set()
    for number, name in enumerate(names, start=1):
        if not name:
            raise ReadError(_("Column %(number)s of the header row has no name.", number=number))
        if name in seen:
            raise ReadError(_("The header row names the column “%(name)s” twice.", name=name))
        seen.add(name)
    return names


def csv_rows(
    binary: IO[bytes], separator: str = "auto", fields_seen: FieldsSeen | None = None
) -> Iterator[Row]:
    """Rows of a UTF-8 CSV file (with or without BOM), one dict per line, read as they come."""
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
    line = 1
    try:
        header_line = text.readline()
        delimiter = SEPARATORS.get(separator) or _sniff_separator(header_line)
        header = _header(next(csv.reader([header_line], delimiter=delimiter), []))
        if fields_seen is not None:
            fields_seen(list(header))
        reader = csv.reader(text, delimiter=delimiter)
        width = len(header)
        for cells in reader:
            line = reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > width:
                if any(cell.strip() for cell in cells[width:]):
                    raise ReadError(
                        _(
                            "Line %(line)s has %(found)s values but the header names %(expected)s columns; "
                            "check the separator and the quotes.",
                            line=line,
                            found=len(cells),
                            expected=width,
                        )
                    )
                cells = cells[:width]
            elif len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
    except UnicodeDecodeError:
        raise ReadError(
            _(
                "The file is not UTF-8 text (near line %(line)s): save it as “CSV UTF-8” and try again.",
                line=line,
            )
        ) from None
    except csv.Error as error:
        raise ReadError(
            _("Line %(line)s cannot be read as CSV: %(problem)s.", line=line, problem=str(error))
        ) from None
    finally:
        text.detach()


# --- JSON ------------------------------------------------------------------------------------------


def _not_json(error: json.JSONDecodeError) -> ReadError:
    return ReadError(
        _(
            "The answer is not valid JSON (line %(line)s, column %(column)s: %(problem)s).",
            line=error.lineno,
            column=error.colno,
            problem=error.msg,
        )
    )


def decode_json_text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReadError(_("The answer is not JSON: it is not UTF-8 text.")) from None


def json_items(text: str, path: list[str], siblings: dict[str, Any] | None = None) -> Iterator[Any]:
    """The items of the list at *path* (keys from the top object; [] when the document is the list).

    Items are decoded one at a time, so a list of 100,000 people never exists as one Python list;
    the values met beside the path at the top level (BambooHR's "fields") go into *siblings*.
    """
    decoder = json.JSONDecoder()

    def skip(position: int) -> int:
        match = _WHITESPACE.match(text, position)
        return match.end() if match else position

    def expect(position: int, char: str) -> int:
        if text[position : position + 1] != char:
            raise _not_json(json.JSONDecodeError(f"Expecting '{char}'", text, position))
        return position + 1

    position = skip(0)
    if position >= len(text):
        raise ReadError(_("The answer is empty."))
    try:
        for depth, key in enumerate(path):
            if text[position : position + 1] != "{":
                raise ReadError(
                    _("The answer has no “%(key)s” holding the list of people.", key=".".join(path))
                )
            position = skip(position + 1)
            keys_seen: list[str] = []
            while text[position : position + 1] != "}":
                if text[position : position + 1] != '"':
                    raise _not_json(json.JSONDecodeError("Expecting a quoted name", text, position))
                name, position = decoder.raw_decode(text, position)
                position = expect(skip(position), ":")
                position = skip(position)
                if name == key:
                    break
                value, position = decoder.raw_decode(text, position)
                keys_seen.append(str(name))
                if depth == 0 and siblings is not None:
                    siblings[str(name)] = value
                position = skip(position)
                if text[position : position + 1] == ",":
                    position = skip(position + 1)
                elif text[position : position + 1] != "}":
                    raise _not_json(json.JSONDecodeError("Expecting ',' delimiter", text, position))
            else:
                raise ReadError(
                    _(
                        "The answer has no “%(key)s” holding the list of people; it has: %(keys)s.",
                        key=".".join(path),
                        keys=", ".join(keys_seen) or "—",
                    )
                )
        if text[position : position + 1] != "[":
            raise ReadError(
                _("The answer holds no list of people where expected (%(key)s).", key=".".join(path) or "[")
            )
        position = skip(position + 1)
        if text[position : position + 1] == "]":
            return
        while True:
            item, position = decoder.raw_decode(text, position)
            yield item
            position = skip(position)
            if text[position : position + 1] == "]":
                return
            position = skip(expect(position, ","))
    except json.JSONDecodeError as error:
        raise _not_json(error) from None


# --- Flattening ------------------------------------------------------------------------------------


def _reference_id(ids: Any) -> str:
    """Workday's ID list ([{"type": "WID", "value": …}, {"type": "Employee_ID", …}]): the first non-WID."""
    if isinstance(ids, list):
        values = [(str(i.get("type", "")), i.get("value", "")) for i in ids if isinstance(i, dict)]
        for kind, value in values:
            if kind != "WID":
                return str(value)
        return str(values[0][1]) if values else ""
    return "" if ids is None else str(ids)


def _child(key: str, name: str) -> str:
    # Workday names a related object's fields uniquely in the report, inside "<Object>_group".
    return name if key.endswith("_group") else f"{key}.{name}"


def _put(row: dict[str, str], key: str, value: Any) -> None:
    if value is None:
        row[key] = ""
    elif isinstance(value, bool):
        row[key] = "true" if value else "false"
    elif isinstance(value, str):
        row[key] = value.strip()
    elif isinstance(value, int | float):
        row[key] = str(value)
    elif isinstance(value, dict):
        if "Descriptor" in value:
            row[key] = str(value.get("Descriptor") or "").strip()
            if "ID" in value:
                row[f"{key}.ID"] = _reference_id(value["ID"])
        else:
            for sub_key, sub_value in value.items():
                _put(row, _child(key, str(sub_key)), sub_value)
    elif isinstance(value, list):
        if not value:
            row[key] = ""
        elif len(value) == 1:
            _put(row, key, value[0])
        else:
            # Several values (a group of related rows, a multi-valued reference): joined per field.
            joined: dict[str, list[str]] = {}
            for item in value:
                flat: dict[str, str] = {}
                _put(flat, key, item)
                for name, text in flat.items():
                    joined.setdefault(name, []).append(text)
            for name, texts in joined.items():
                row[name] = "; ".join(text for text in texts if text)
    else:
        row[key] = str(value)


def flatten(record: Any, *, number: int) -> Row:
    """One person's record as field name → string; nested objects become "outer.inner" fields."""
    if not isinstance(record, dict):
        raise ReadError(_("Item %(number)s of the list is not an object with fields.", number=number))
    row: dict[str, str] = {}
    for key, value in record.items():
        _put(row, str(key), value)
    return row
