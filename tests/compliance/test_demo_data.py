"""Bistro's demo shows a mix on the Downtown manager's compliance dashboard."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest


@pytest.fixture(scope="module")
def demo(app: Any) -> None:
    """The demo data, as `flask demo` loads it (idempotent: other modules may load it too)."""
    from app.actors import acting_as
    from app.cli import CLI_ACTOR
    from app.demo import load_demo
    from app.extensions import db

    with app.app_context(), acting_as(CLI_ACTOR):
        load_demo()
        db.session.commit()


def test_the_downtown_manager_sees_someone_overdue_and_someone_expiring(app, demo):
    from app.demo import DEMO_PASSWORD
    from tests.conftest import TEST_DOMAIN, HostClient, sign_in

    app.test_client_class = HostClient
    client = app.test_client()
    client.host = f"bistro.{TEST_DOMAIN}"  # type: ignore[attr-defined]
    assert sign_in(client, "manager@bistro.example", DEMO_PASSWORD).status_code == 302
    page = client.get("/team/compliance/").get_data(as_text=True)
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert re.search(r"Downtown Crew 2.*?Overdue: Food Safety Basics", text, re.S)
    assert re.search(r"Jordan Kitchen.*?Expiring: Food Handler", text, re.S)
    assert "Riverside Crew" not in text and "Airport Crew" not in text
