"""Signing in and out, throttling, and password reset by emailed link."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD, csrf_token, sign_in


def test_sign_in_lands_on_home_and_sign_out_ends_the_session(tenant_factory, user_factory, client_for):
    tenant = tenant_factory(display_name="Harbour Academy")
    user = user_factory(tenant, full_name="Dana Dock")
    client = client_for(tenant)
    response = sign_in(client, user.email)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    home = client.get("/").get_data(as_text=True)
    assert "Welcome, <bdi>Dana Dock</bdi>" in home
    token = re.search(r'name="csrf_token" value="([^"]+)"', home).group(1)
    client.post("/sign-out", data={"csrf_token": token})
    assert client.get("/account").status_code == 302


def test_wrong_password_gives_one_message_that_reveals_nothing(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant)
    wrong = sign_in(client, user.email, "not the password")
    unknown = sign_in(client, "nobody@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "That email and password do not match an active account in this portal."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert f'value="{user.email}"' in wrong.get_data(as_text=True)  # the email typed is kept


def test_repeated_failures_lock_the_account_for_a_while(app, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert sign_in(client, user.email, "guess").status_code == 401
    locked = sign_in(client, user.email, PASSWORD)  # even the right password
    assert locked.status_code == 401
    assert "Too many failed attempts" in locked.get_data(as_text=True)


def test_unknown_email_is_locked_out_exactly_like_a_known_one(app, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    answers = {}
    for email in (user.email, "nobody-here@example.com"):
        client = client_for(tenant)
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            assert sign_in(client, email, "guess").status_code == 401
        answers[email] = sign_in(client, email, "guess again")
    known, unknown = answers[user.email], answers["nobody-here@example.com"]
    assert known.status_code == unknown.status_code == 401
    assert "Too many failed attempts" in known.get_data(as_text=True)
    assert "Too many failed attempts" in unknown.get_data(as_text=True)
    page_known = known.get_data(as_text=True).replace(user.email, "EMAIL")
    page_unknown = unknown.get_data(as_text=True).replace("nobody-here@example.com", "EMAIL")
    csrf = re.compile(r'(value|content)="[^"]+"')  # the CSRF tokens differ per client
    assert csrf.sub("", page_known) == csrf.sub("", page_unknown)


def test_failures_for_one_address_do_not_lock_another(app, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    target, bystander = user_factory(tenant), user_factory(tenant)
    client = client_for(tenant)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        sign_in(client, target.email, "guess")
    assert sign_in(client_for(tenant), bystander.email, PASSWORD).status_code == 302


def test_sign_in_posts_are_rate_limited_per_address(app, tenant_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant)
    token = csrf_token(client, "/sign-in")
    statuses = [
        client.post(
            "/sign-in", data={"email": "x@example.com", "password": "y", "csrf_token": token}
        ).status_code
        for _ in range(21)
    ]
    assert statuses[-1] == 429
    assert "Too many attempts" in client.post("/sign-in", data={"csrf_token": token}).get_data(as_text=True)


def test_next_parameter_cannot_redirect_to_another_site(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant)
    token = csrf_token(client, "/sign-in")
    response = client.post(
        "/sign-in?next=https://evil.example/",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_password_reset_by_emailed_link_works_once(worker, mailbox, tenant_factory, user_factory, client_for):
    tenant = tenant_factory(display_name="Harbour Academy")
    user = user_factory(tenant, "forgetful@example.com", full_name="Frankie Forget")
    client = client_for(tenant)
    token = csrf_token(client, "/password/forgot")
    response = client.post("/password/forgot", data={"email": "Forgetful@example.com", "csrf_token": token})
    assert response.status_code == 302
    message = mailbox.wait_for("forgetful@example.com")
    assert message["Subject"] == "Reset your Harbour Academy password"
    body = message.get_content()
    assert "Frankie Forget" in body
    link = re.search(r"http://\S+/password/reset/\S+", body).group(0)
    path = link.split(f"{tenant.slug}.atrium.test", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    token = csrf_token(client, path)
    short = client.post(path, data={"password": "short", "confirm": "short", "csrf_token": token})
    assert short.status_code == 422 and "at least 10 characters" in short.get_data(as_text=True)
    done = client.post(
        path, data={"password": "a brand new secret", "confirm": "a brand new secret", "csrf_token": token}
    )
    assert done.status_code == 302
    assert sign_in(client_for(tenant), user.email, "a brand new secret").status_code == 302
    assert sign_in(client_for(tenant), user.email, PASSWORD).status_code == 401
    # The link was used; it no longer works.
    assert client.get(path).status_code == 410


def _reset_link_sent(client, mailbox, email):
    token = csrf_token(client, "/password/forgot")
    client.post("/password/forgot", data={"email": email, "csrf_token": token})
    return re.search(r"\S+/password/reset/\S+", mailbox.wait_for(email).get_content()).group(0)


def test_reset_link_is_on_the_configured_address_whatever_the_host_header(
    app, worker, mailbox, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    user = user_factory(tenant, f"spoofed-{tenant.slug}@example.com")
    client = client_for(tenant)
    client.host = f"{tenant.slug}.atrium.test:6666"  # a Host header with a port the portal is not on
    link = _reset_link_sent(client, mailbox, user.email)
    assert link.startswith(f"http://{tenant.slug}.atrium.test/password/reset/")


def test_reset_link_uses_the_configured_scheme_and_port(
    app, worker, mailbox, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    user = user_factory(tenant, f"ported-{tenant.slug}@example.com")
    settings = {"PREFERRED_URL_SCHEME": "https", "ATRIUM_PORT": 8443}
    saved = {name: app.config.get(name) for name in settings}
    app.config.update(settings)
    try:
        link = _reset_link_sent(client_for(tenant), mailbox, user.email)
    finally:
        app.config.update(saved)
    assert link.startswith(f"https://{tenant.slug}.atrium.test:8443/password/reset/")


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(mailbox, tenant_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant)
    token = csrf_token(client, "/password/forgot")
    before = len(mailbox.messages)
    page = client.post(
        "/password/forgot", data={"email": "ghost@example.com", "csrf_token": token}, follow_redirects=True
    )
    assert "If that address has an account here" in page.get_data(as_text=True)
    assert len(mailbox.messages) == before


def test_reset_link_from_one_tenant_does_not_work_at_another(
    worker, mailbox, tenant_factory, user_factory, client_for
):
    acme, bistro = tenant_factory(), tenant_factory()
    user_factory(acme, "twin@example.com")
    user_factory(bistro, "twin@example.com")
    client = client_for(acme)
    client.post(
        "/password/forgot",
        data={"email": "twin@example.com", "csrf_token": csrf_token(client, "/password/forgot")},
    )
    message = mailbox.wait_for("twin@example.com")
    path = "/password/reset/" + message.get_content().split("/password/reset/", 1)[1].split()[0]
    assert client_for(bistro).get(path).status_code == 410


@pytest.mark.parametrize("path", ["/sign-out"])
def test_sign_out_needs_a_post(path, tenant_factory, client_for):
    assert client_for(tenant_factory()).get(path).status_code == 405
