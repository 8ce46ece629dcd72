"""The signed session cookie, read from memory once verified: still refused when old, forged or re-keyed."""

from __future__ import annotations

import time
from typing import Any

import flask
import pytest
from flask import Flask


def _open(app: Flask, cookie: str) -> dict[str, Any]:
    """The session a request carrying *cookie* opens with."""
    name = app.config["SESSION_COOKIE_NAME"]
    with app.test_request_context(headers={"Cookie": f"{name}={cookie}"}):
        session = app.session_interface.open_session(app, flask.request)
        assert session is not None
        return session  # type: ignore[return-value]


def _signed(app: Flask, values: dict[str, Any]) -> str:
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return str(serializer.dumps(values))


def test_a_cookie_read_before_still_expires_after_the_session_lifetime(app, monkeypatch):
    cookie = _signed(app, {"locale": "fr", "_fresh": True})
    assert dict(_open(app, cookie)) == {"locale": "fr", "_fresh": True}
    assert dict(_open(app, cookie)) == {"locale": "fr", "_fresh": True}  # now from memory

    later = time.time() + app.permanent_session_lifetime.total_seconds() + 5
    monkeypatch.setattr(time, "time", lambda: later)

    assert dict(_open(app, cookie)) == {}


def test_a_cookie_read_before_is_refused_once_the_secret_key_changes(app, monkeypatch):
    cookie = _signed(app, {"locale": "de"})
    assert dict(_open(app, cookie)) == {"locale": "de"}

    monkeypatch.setitem(app.config, "SECRET_KEY", "a key the cookie was never signed with")

    assert dict(_open(app, cookie)) == {}


def test_a_forged_copy_of_a_cookie_read_before_is_refused(app):
    cookie = _signed(app, {"locale": "es"})
    assert dict(_open(app, cookie)) == {"locale": "es"}

    # A character inside the signature: its last one may carry only base64 padding bits (decoded the same).
    value, signature = cookie.rsplit(".", 1)
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "Q"
    forged = f"{value}.{signature[:middle]}{swapped}{signature[middle + 1 :]}"

    assert dict(_open(app, forged)) == {}


def test_one_request_changing_its_session_changes_nobody_elses(app):
    cookie = _signed(app, {"locale": "it"})
    first = _open(app, cookie)
    first["locale"] = "en"
    first["_flashes"] = [("message", "Saved")]

    assert dict(_open(app, cookie)) == {"locale": "it"}


@pytest.mark.parametrize("values", [{"_flashes": [["message", "Saved"]]}, {"nested": {"a": 1}}])
def test_a_session_with_lists_or_dicts_opens_with_its_values_every_time(app, values):
    cookie = _signed(app, values)
    first = _open(app, cookie)
    assert dict(first) == values
    first.clear()

    assert dict(_open(app, cookie)) == values
