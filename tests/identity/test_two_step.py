"""Two-step sign-in with an authenticator app: set up, sign in with a code, no code twice, lockout,
recovery codes, required for admins and operators, an admin's reset, and none of it after SSO."""

from __future__ import annotations

import html
import re
from typing import Any

import pyotp
from sqlalchemy import select

from app.tenancy import as_tenant
from tests.conftest import csrf_token, sign_in, two_step_code

RECOVERY = re.compile(r"<code dir=\"ltr\">([a-z0-9]{5}-[a-z0-9]{5})</code>")


def _set_up(client: Any) -> tuple[str, list[str]]:
    """Turn two-step on from the Account page, as a person with an authenticator app; (secret, codes)."""
    token = csrf_token(client, "/account")
    assert client.post("/account/two-step/start", data={"csrf_token": token}).status_code == 302
    page = client.get("/account/two-step/set-up").get_data(as_text=True)
    secret = re.search(r'id="two-step-secret"[^>]*>([^<]+)<', page).group(1).replace(" ", "")
    token = csrf_token(client, "/account/two-step/set-up")
    done = client.post(
        "/account/two-step/set-up", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token}
    )
    assert done.status_code == 200
    return secret, RECOVERY.findall(done.get_data(as_text=True))


def _code_step(client: Any, code: str) -> Any:
    token = csrf_token(client, "/sign-in/two-step")
    return client.post("/sign-in/two-step", data={"code": code, "csrf_token": token})


def _signed_in(client: Any) -> bool:
    return client.get("/account").status_code == 200


def _audit_actions(tenant: Any) -> list[str]:
    from app.audit.models import AuditEvent
    from app.extensions import db

    with as_tenant(tenant):
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_person_sets_up_two_step_with_a_qr_code_and_a_confirming_code(
    tenant_factory, user_factory, client_for
):
    tenant = tenant_factory(display_name="Harbour Academy")
    user = user_factory(tenant)
    client = client_for(tenant, user)
    account = client.get("/account").get_data(as_text=True)
    assert "Two-step sign-in" in account and "Set up two-step sign-in" in account
    token = csrf_token(client, "/account")
    client.post("/account/two-step/start", data={"csrf_token": token})
    page = client.get("/account/two-step/set-up").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    assert 'alt="QR code to add Harbour Academy to your authenticator app"' in page
    secret = re.search(r'id="two-step-secret"[^>]*>([^<]+)<', page).group(1).replace(" ", "")
    assert len(secret) == 32

    token = csrf_token(client, "/account/two-step/set-up")
    wrong = client.post("/account/two-step/set-up", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 422
    assert "That code does not match" in wrong.get_data(as_text=True)
    assert 'value="000000"' in wrong.get_data(as_text=True)  # what was typed is kept
    assert "Set up two-step sign-in" in client.get("/account").get_data(as_text=True)  # still off

    done = client.post(
        "/account/two-step/set-up", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token}
    )
    codes = RECOVERY.findall(done.get_data(as_text=True))
    assert done.status_code == 200 and len(set(codes)) == 10
    account = client.get("/account").get_data(as_text=True)
    assert "On since" in account and "You have 10 unused recovery codes." in account
    # Shown once: nowhere on the account page, and stored only as hashes.
    assert not any(code in account for code in codes)
    from app.extensions import db
    from app.identity.two_step.models import RecoveryCode, TwoStepSecret

    with as_tenant(tenant):
        stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
        sealed = db.session.scalars(select(TwoStepSecret.secret_sealed)).one()
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert secret.encode() not in bytes(sealed)
    assert "two_step.enrolled" in _audit_actions(tenant)


def test_sign_in_asks_for_the_code_and_refuses_a_code_used_before(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    _set_up(client_for(tenant, user))

    client = client_for(tenant)
    signed_in_before = _audit_actions(tenant).count("user.signed_in")
    response = sign_in(client, user.email)
    assert response.headers["Location"] == "/sign-in/two-step"
    assert not _signed_in(client)  # the password alone starts no session
    assert _audit_actions(tenant).count("user.signed_in") == signed_in_before  # nor says it did
    page = client.get("/sign-in/two-step").get_data(as_text=True)
    assert "Enter your sign-in code" in page
    code = two_step_code(tenant, user.email)
    accepted = _code_step(client, code)
    assert accepted.status_code == 302 and accepted.headers["Location"] == "/"
    assert _signed_in(client)
    from app.audit.models import AuditEvent
    from app.extensions import db

    with as_tenant(tenant):
        last = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "user.signed_in").order_by(AuditEvent.seq.desc())
        ).first()
        assert last is not None and last.after == {"method": "password", "second_step": "code"}

    thief = client_for(tenant)
    sign_in(thief, user.email)
    replayed = _code_step(thief, code)
    assert replayed.status_code == 422
    assert "was used already" in html.unescape(replayed.get_data(as_text=True))
    assert not _signed_in(thief)


def test_wrong_codes_end_the_sign_in_and_lock_the_codes_for_a_while(
    app, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    user = user_factory(tenant)
    _set_up(client_for(tenant, user))
    client = client_for(tenant)
    sign_in(client, user.email)
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        assert _code_step(client, "123456").status_code == 422
    last = _code_step(client, "123456")
    assert last.status_code == 302 and last.headers["Location"] == "/sign-in"
    assert "Too many wrong codes" in html.unescape(client.get("/sign-in").get_data(as_text=True))
    assert client.get("/sign-in/two-step").headers["Location"] == "/sign-in"  # the pending sign-in is gone

    sign_in(client, user.email)  # the password is still right, but codes wait out the lockout
    locked = _code_step(client, two_step_code(tenant, user.email))
    assert locked.status_code == 302 and locked.headers["Location"] == "/sign-in"
    assert not _signed_in(client)
    actions = _audit_actions(tenant)
    assert actions.count("two_step.code_refused") == app.config["LOGIN_MAX_FAILURES"]
    assert "two_step.locked_out" in actions


def test_a_recovery_code_signs_in_once(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    _secret, codes = _set_up(client_for(tenant, user))
    client = client_for(tenant)
    sign_in(client, user.email)
    used = _code_step(client, codes[3].upper())
    assert used.status_code == 302 and _signed_in(client)
    assert "You have 9 unused recovery codes." in client.get("/account").get_data(as_text=True)

    again = client_for(tenant)
    sign_in(again, user.email)
    assert _code_step(again, codes[3]).status_code == 422
    assert not _signed_in(again)
    assert "two_step.recovery_code_used" in _audit_actions(tenant)


def test_new_recovery_codes_replace_the_old_ones(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant, user)
    _secret, old = _set_up(client)
    token = csrf_token(client, "/account")
    renewed = client.post("/account/two-step/recovery-codes", data={"csrf_token": token})
    new = RECOVERY.findall(renewed.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    other = client_for(tenant)
    sign_in(other, user.email)
    assert _code_step(other, old[0]).status_code == 422
    assert _code_step(other, new[0]).status_code == 302


def test_turning_two_step_off_needs_a_current_code(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    client = client_for(tenant, user)
    _set_up(client)
    token = csrf_token(client, "/account/two-step/turn-off")
    refused = client.post("/account/two-step/turn-off", data={"code": "111111", "csrf_token": token})
    assert refused.status_code == 422 and "That code is wrong" in refused.get_data(as_text=True)
    ok = client.post(
        "/account/two-step/turn-off",
        data={"code": two_step_code(tenant, user.email), "csrf_token": token},
    )
    assert ok.status_code == 302
    fresh = client_for(tenant)
    assert sign_in(fresh, user.email).headers["Location"] == "/"  # the password alone again
    assert "two_step.disabled" in _audit_actions(tenant)


def test_portal_that_requires_two_step_for_admins_makes_them_set_it_up_first(
    db, tenant_factory, user_factory, client_for
):
    from app.identity import services as identity

    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    learner = user_factory(tenant)
    assert sign_in(client_for(tenant), admin.email).headers["Location"] == "/"  # not required yet
    with as_tenant(tenant):
        identity.save_settings(
            default_provider_id=None,
            break_glass_emails=[],
            require_two_step_for_admins=True,
            badge_sign_in=False,
            shared_device_idle_minutes=3,
        )
        db.session.commit()

    assert sign_in(client_for(tenant), learner.email).headers["Location"] == "/"  # learners are not asked
    client = client_for(tenant)
    response = sign_in(client, admin.email)
    assert response.headers["Location"] == "/sign-in/two-step/set-up"
    page = client.get("/sign-in/two-step/set-up").get_data(as_text=True)
    assert "requires a code from an authenticator app" in page
    assert not _signed_in(client)
    assert client.get("/admin/users").status_code == 302  # nothing else until it is set up
    secret = re.search(r'id="two-step-secret"[^>]*>([^<]+)<', page).group(1).replace(" ", "")
    token = csrf_token(client, "/sign-in/two-step/set-up")
    done = client.post(
        "/sign-in/two-step/set-up", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token}
    )
    assert done.status_code == 200 and len(RECOVERY.findall(done.get_data(as_text=True))) == 10
    assert client.get("/admin/users").status_code == 200
    # Required: it cannot be turned off.
    assert "Turn off two-step sign-in" not in client.get("/account").get_data(as_text=True)


def test_operators_must_set_up_two_step_before_the_console_opens(db, user_factory, client_for):
    from app.tenancy.models import Tenant

    platform = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()
    operator = user_factory(platform, roles=("operator",))
    client = client_for(platform)
    response = sign_in(client, operator.email)
    assert response.headers["Location"] == "/sign-in/two-step/set-up"
    assert client.get("/console/").status_code == 302
    page = client.get("/sign-in/two-step/set-up").get_data(as_text=True)
    secret = re.search(r'id="two-step-secret"[^>]*>([^<]+)<', page).group(1).replace(" ", "")
    token = csrf_token(client, "/sign-in/two-step/set-up")
    client.post("/sign-in/two-step/set-up", data={"code": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert client.get("/console/").status_code == 200

    later = client_for(platform)
    assert sign_in(later, operator.email).headers["Location"] == "/sign-in/two-step"
    assert _code_step(later, two_step_code(platform, operator.email)).status_code == 302
    assert later.get("/console/").status_code == 200


def test_admin_resets_a_persons_two_step_and_they_set_it_up_again(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    person = user_factory(tenant, full_name="Lou Lost-Phone")
    _set_up(client_for(tenant, person))
    admin_client = client_for(tenant, admin)
    page = admin_client.get(f"/team/people/{person.id}").get_data(as_text=True)
    assert "Reset two-step sign-in" in page
    token = csrf_token(admin_client, f"/team/people/{person.id}")
    reset = admin_client.post(f"/admin/users/{person.id}/two-step/reset", data={"csrf_token": token})
    assert reset.status_code == 302
    assert "Two-step sign-in of Lou Lost-Phone is reset" in html.unescape(
        admin_client.get(reset.headers["Location"]).get_data(as_text=True)
    )
    assert sign_in(client_for(tenant), person.email).headers["Location"] == "/"  # no code asked now
    assert "two_step.reset" in _audit_actions(tenant)
    # A learner cannot reset anyone's.
    learner_client = client_for(tenant, user_factory(tenant))
    token = csrf_token(learner_client, "/account")
    assert (
        learner_client.post(f"/admin/users/{admin.id}/two-step/reset", data={"csrf_token": token}).status_code
        == 403
    )


def test_single_sign_on_does_not_ask_for_a_code(app, db, tenant_factory, user_factory):
    from flask import session

    from app.identity import provisioning
    from app.identity import services as identity
    from app.identity.views import finish
    from tests.conftest import tenant_host

    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    with as_tenant(tenant):
        provider = identity.create_provider("oidc", "Harbour SSO", domains=["example.com"])
        identity.save_settings(
            default_provider_id=None,
            break_glass_emails=[],
            require_two_step_for_admins=True,
            badge_sign_in=False,
            shared_device_idle_minutes=3,
        )
        db.session.commit()
        provider_id = provider.id
    with app.test_request_context("/sso/harbour-sso", base_url=f"http://{tenant_host(tenant)}"):
        app.preprocess_request()
        from app.identity.models import IdentityProvider

        provider = db.session.get(IdentityProvider, provider_id)
        received = provisioning.Received.of("subject-1", {"email": admin.email, "sub": "subject-1"})
        response = finish(provider, received, None, False)
        assert response.status_code == 302 and response.location == "/"
        assert session.get("_user_id") and "two_step_pending" not in session


def test_the_code_must_follow_the_password_within_five_minutes(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    user = user_factory(tenant)
    _set_up(client_for(tenant, user))
    client = client_for(tenant)
    sign_in(client, user.email)
    token = csrf_token(client, "/sign-in/two-step")
    with client.session_transaction(base_url=f"http://{client.host}") as session:
        marker = session["two_step_pending"]
        session["two_step_pending"] = {**marker, "issued": marker["issued"] - 5 * 60 - 1}
    code = two_step_code(tenant, user.email)
    late = client.post("/sign-in/two-step", data={"code": code, "csrf_token": token})
    assert late.status_code == 302 and late.headers["Location"] == "/sign-in"
    assert "took too long" in client.get("/sign-in").get_data(as_text=True)
    assert not _signed_in(client)


def test_a_directory_password_is_followed_by_the_code_too(db, monkeypatch, tenant_factory, client_for):
    """LDAP passwords end where local ones do: a person with two-step on enters their code after it."""
    from app.accounts.services import user_by_email
    from app.identity import kinds, provisioning
    from app.identity import services as identity
    from app.identity.two_step import services as two_step

    def directory_says(provider: Any, email: str, password: str) -> provisioning.Received:
        if password != "directory password":
            raise provisioning.IdentityRefused("wrong_password", "That email and password do not match.")
        return provisioning.Received.of("uid=dana", {"mail": email, "cn": "Dana Directory"})

    # A directory kind whose answer is fixed here: what LDAP's check_password hands to identity.
    monkeypatch.setitem(
        kinds._kinds,
        "ldap",
        kinds.Kind("ldap", "LDAP", "identity.admin", "identity.provider", check_password=directory_says),
    )
    tenant = tenant_factory()
    with as_tenant(tenant):
        identity.create_provider("ldap", "Head office directory", domains=["dir.example"])
        db.session.commit()
    first = client_for(tenant)
    assert sign_in(first, "dana@dir.example", "directory password").headers["Location"] == "/"
    with as_tenant(tenant):
        dana = user_by_email("dana@dir.example")
        row = two_step.start_enrolment(dana)
        two_step.confirm_enrolment(dana, pyotp.TOTP(two_step.secret_of(row)).now())
        db.session.commit()

    client = client_for(tenant)
    response = sign_in(client, "dana@dir.example", "directory password")
    assert response.headers["Location"] == "/sign-in/two-step"
    assert not _signed_in(client)
    assert _code_step(client, two_step_code(tenant, "dana@dir.example")).status_code == 302
    assert _signed_in(client)


def test_a_second_app_in_the_process_shows_the_section_and_offers_the_ways_once(
    tenant_factory, user_factory, client_for
):
    """A process with two apps (tests, a second worker) registers the same hooks again: no doubles."""
    from app.accounts import views as accounts
    from app.identity import ways
    from app.identity.two_step import views

    known_ways = len(accounts._sign_in_ways)
    accounts.register_sign_in_gate(views.gate)
    accounts.register_account_panel(views.account_panel)
    accounts.register_person_panel(views.person_panel)
    accounts.register_sign_in_way(ways.ProviderWays())
    assert len(accounts._sign_in_ways) == known_ways
    tenant = tenant_factory()
    account = client_for(tenant, user_factory(tenant)).get("/account").get_data(as_text=True)
    assert account.count('id="two-step-heading"') == 1
