"""Error pages a person can act on: branded, with a way back, and a reference support can find in the log."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from app.logging import configure_logging
from tests.conftest import PASSWORD, csrf_token


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging("INFO", json_lines=True, stream=stream)
    yield stream
    configure_logging("INFO", json_lines=True)


@pytest.fixture
def home_fails(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Opening My learning raises, as a bug would, and the app answers like production (no propagation)."""
    from app.accounts import views as accounts_views

    def broken() -> Any:
        raise RuntimeError("my learning is broken")

    monkeypatch.setattr(accounts_views, "_home_page", [broken])  # what / serves
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


def _reference(html: str) -> str:
    match = re.search(r'<code class="reference">([^<]+)</code>', html)
    assert match, html
    return match.group(1)


def test_a_server_error_shows_a_branded_page_whose_reference_is_in_the_log(
    tenant_factory, user_factory, client_for, home_fails, log_lines
):
    tenant = tenant_factory(display_name="Bistro Group")
    client = client_for(tenant, user_factory(tenant))
    response = client.get("/", headers={"Referer": f"http://{client.host}/catalog"})  # type: ignore[attr-defined]
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "Bistro Group" in html and 'class="site-header"' in html, "the portal's own layout"
    assert 'href="/catalog"' in html and "Back to the previous page" in html
    assert "Go to the home page" in html
    reference = _reference(html)
    assert response.headers["X-Request-ID"] == reference
    records = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    failed = [r for r in records if r.get("request_id") == reference and r["level"] == "ERROR"]
    assert failed, "the reference shown is not in the server log"
    assert any("my learning is broken" in (r.get("exc_info") or "") for r in failed)


def test_the_reference_is_in_plain_text_logs_too(tenant_factory, user_factory, client_for, home_fails):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant))
    stream = io.StringIO()
    configure_logging("INFO", json_lines=False, stream=stream)  # as `make run` logs
    try:
        response = client.get("/", headers={"X-Request-ID": "support-ref-1234"})
    finally:
        configure_logging("INFO", json_lines=True)
    assert _reference(response.get_data(as_text=True)) == "support-ref-1234"
    errors = [line for line in stream.getvalue().splitlines() if " ERROR " in line]
    assert any("request_id=support-ref-1234" in line for line in errors), stream.getvalue()


def test_a_server_error_in_the_layout_itself_still_shows_a_page_with_the_reference(
    app, tenant_factory, user_factory, client_for, home_fails, log_lines, monkeypatch
):
    def menu_broken() -> Any:
        raise RuntimeError("the menu is broken too")

    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant))
    monkeypatch.setitem(app.jinja_env.globals, "main_navigation", menu_broken)
    response = client.get("/")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html and 'class="site-header"' not in html
    assert "Go to the home page" in html
    reference = _reference(html)
    assert any(json.loads(line).get("request_id") == reference for line in log_lines.getvalue().splitlines())


def test_an_expired_session_leads_to_sign_in_and_back_to_the_page(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory(display_name="Bistro Group")
    user = user_factory(tenant)
    client = client_for(tenant, user)
    token = csrf_token(client, "/account")
    client.delete_cookie("session", domain=client.host)  # type: ignore[attr-defined]
    response = client.post(
        "/sign-out",
        data={"csrf_token": token},
        headers={"Referer": f"http://{client.host}/catalog?q=fryer"},  # type: ignore[attr-defined]
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "The form expired" not in html
    assert "Your session has expired" in html and "Bistro Group" in html
    link = re.search(r'href="(/sign-in\?next=[^"]+)"', html)
    assert link, html
    sign_in_page = link.group(1).replace("&amp;", "&")
    token = csrf_token(client, sign_in_page)
    with_user = client.post(
        sign_in_page, data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert with_user.status_code == 302
    assert with_user.headers["Location"] == "/catalog?q=fryer"


def test_a_sign_in_link_never_leads_to_another_site(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant)
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        token = csrf_token(client, "/sign-in")
        response = client.post(
            f"/sign-in?next={target}", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302 and response.headers["Location"] == "/", target
        client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
