"""What an admin reads when a server Atrium calls cannot be reached."""

from __future__ import annotations

import socket

import pytest

from app import outbound


def test_an_unreachable_server_is_described_in_words_not_by_an_exception_name(app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    saved = app.config["OUTBOUND_ALLOWED_HOSTS"]
    app.config["OUTBOUND_ALLOWED_HOSTS"] = "127.0.0.1"
    try:
        with app.app_context(), pytest.raises(outbound.OutboundRefused) as refused:
            outbound.fetch(f"http://127.0.0.1:{closed_port}/people.json", timeout=2)
    finally:
        app.config["OUTBOUND_ALLOWED_HOSTS"] = saved
    assert str(refused.value) == "127.0.0.1 could not be reached: the connection was refused or dropped"
