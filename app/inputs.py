"""Bad input, refused once for the whole app: control characters, out-of-range ids and numbers.

PostgreSQL rejects a NUL byte in text and an integer beyond its column's range with an error the
view never expected (a 500). Rather than each view guarding itself, a request carrying control
characters is refused before any view runs, ids in URLs only match the range an id column holds,
and numbers read from query strings and forms go through the strict parsers below.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from flask import Flask, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response
from wtforms import SelectField

# The largest value of a 32-bit signed integer column (PostgreSQL `integer`): every id fits in it.
MAX_ID = 2_147_483_647
# Tab, line feed and carriage return are text; every other C0 control character is not.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ASCII_DIGITS = re.compile(r"[0-9]+")
_SIGNED_ASCII_DIGITS = re.compile(r"[+-]?[0-9]+")
# Endpoints that answer before (and without) a tenant: static files are safe with any name.
_UNCHECKED_ENDPOINTS = frozenset({"static", "tenancy.theme_static"})


def is_ascii_digits(value: str | None) -> bool:
    """Whether *value* is one or more ASCII digits: "²" and "٣" pass ``str.isdigit()`` but not this."""
    return bool(value) and _ASCII_DIGITS.fullmatch(value or "") is not None


def parse_id(value: Any) -> int | None:
    """The id *value* names (1 to MAX_ID, written in ASCII digits), or None when it names none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not is_ascii_digits(value) or len(value) > len(str(MAX_ID)):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def id_number(value: Any) -> int:
    """An id, for ``request.args.get(..., type=id_number)`` and ``coerce=``: ValueError when it is none."""
    number = parse_id(value)
    if number is None:
        raise ValueError(f"not an id: {value!r}")
    return number


def optional_id(value: Any) -> int | None:
    """An id, or None for an empty choice ("— none —"); ValueError for anything else (" ", "x", -1)."""
    if value is None or value == "":
        return None
    return id_number(value)


def whole_number(value: Any, *, minimum: int = -MAX_ID - 1, maximum: int = MAX_ID) -> int:
    """A whole number in ASCII digits within *minimum*..*maximum* (a 32-bit column); ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _SIGNED_ASCII_DIGITS.fullmatch(text := value.strip()) and len(text) <= 11:
        number = int(text)
    else:
        raise ValueError(f"not a whole number: {value!r}")
    if not minimum <= number <= maximum:
        raise ValueError(f"out of range: {value!r}")
    return number


def page_number(value: Any) -> int:
    """A page of a list: 1 or more; ValueError (so the first page) for anything else."""
    return whole_number(value, minimum=1)


#: A search matches what holds every one of its first words, in any order.
MAX_SEARCH_WORDS = 8
# Quotes and punctuation typed around a word ("safety!", «hygiène»), not part of what is looked for.
_AROUND_WORDS = "!\"#$%&'()*+,./:;<=>?@[\\]^`{|}~“”\u2018\u2019«»¿¡…"


def search_words(query: str) -> list[str]:
    """The words of a search as the lists match them: lowercased, without the punctuation around them, each
    once, the first :data:`MAX_SEARCH_WORDS` (text of punctuation alone is looked for as typed)."""
    words: list[str] = []
    for typed in query.lower().split():
        word = typed.strip(_AROUND_WORDS)
        if word and word not in words:
            words.append(word)
    if not words and query.strip():
        words = [query.strip().lower()]
    return words[:MAX_SEARCH_WORDS]


def escape_like(text: str) -> str:
    """*text* for a LIKE pattern escaped with a backslash: its own ``%``, ``_`` and backslash taken as typed
    rather than as wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def like_pattern(word: str) -> str:
    """A LIKE pattern (escaped with a backslash) of *word* anywhere in a text (:func:`escape_like`)."""
    return f"%{escape_like(word)}%"


def past_last_page(per_page: int, **lists: tuple[int, int]) -> Response | None:
    """A redirect to the same address with each list's page brought back to its last one, when a page asked
    for is past it; None when every page is within its list.

    *lists*: each page argument's name, with the page asked for and the list's total
    (``past_last_page(25, page=(page, total))``). An old link or bookmark, or a list that shrank since
    (people deactivated, a filter narrowed), then shows the list's last rows instead of "nobody matches"
    under a total that says there are some. The first page is written as no argument at all.
    """
    last = {name: max(1, -(-total // per_page)) for name, (page, total) in lists.items()}
    if all(page <= last[name] for name, (page, _total) in lists.items()):
        return None  # every page within its list: nothing more to do on a list's every view
    args = request.args.to_dict(flat=False)
    for name, (page, _total) in lists.items():
        if page > last[name]:
            if last[name] == 1:
                args.pop(name, None)
            else:
                args[name] = [str(last[name])]
    # The query string is written apart from url_for: an argument named like one of its own (_external,
    # _anchor, _scheme) would otherwise change the address it builds.
    query = urlencode(args, doseq=True)
    path = url_for(request.endpoint or "", **(request.view_args or {}))
    return redirect(f"{path}?{query}" if query else path)


def contains_control_characters(value: str) -> bool:
    return _CONTROL_CHARACTERS.search(value) is not None


def _json_strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def _submitted_text() -> Any:
    """Every piece of text the request carries: path, query, form fields, JSON (names and values)."""
    yield request.path
    for key, value in request.args.items(multi=True):
        yield key
        yield value
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        for key, value in request.form.items(multi=True):
            yield key
            yield value
        for key, file in request.files.items(multi=True):
            yield key
            yield file.filename or ""
        if request.is_json:
            yield from _json_strings(request.get_json(silent=True))


def refuse_control_characters() -> ResponseReturnValue | None:
    """Refuse a request whose text holds a control character, before any view or service sees it."""
    if request.endpoint in _UNCHECKED_ENDPOINTS:
        return None
    if any(contains_control_characters(text) for text in _submitted_text()):
        message = _(
            "This request contained invisible control characters (such as a NUL byte) that cannot be "
            "saved. Nothing was changed. Remove them, for example by typing the text again rather "
            "than pasting it, and try again."
        )
        return render_template("errors/bad_request.html", message=message), 400
    return None


class IdConverter(IntegerConverter):
    """``<int:…>`` in a URL: an id an id column can hold (1 to MAX_ID); anything else is a 404."""

    regex = r"[0-9]+"  # ASCII digits only: a regex \d also matches other scripts' digits

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = 1,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    # Before any route is added, so every <int:…> of every blueprint uses it.
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_control_characters)

    @app.errorhandler(400)
    def bad_request(exc: Any) -> ResponseReturnValue:
        return render_template("errors/bad_request.html", message=None), 400


class IdSelectField(SelectField):
    """A choice of one row by id, or none (""): anything else (" ", "x", an id out of range) is refused."""

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators, coerce=optional_id, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            try:
                self.data = optional_id(valuelist[0])
            except ValueError:
                self.data = None
                raise ValueError(_("Choose one of the options in the list.")) from None
