"""Sign in, sign out, password reset, and the portal's home page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from app import audit
from app.accounts import services, sessions
from app.accounts.access import require_sign_in
from app.accounts.forms import ForgotPasswordForm, ResetPasswordForm, SignInForm
from app.accounts.models import User
from app.errors import ValidationError
from app.extensions import limiter, login_manager
from app.forms import as_choices, form_status
from app.redirects import safe_next
from app.tenancy.services import portal_url

bp = Blueprint("accounts", __name__)

_home_page: list[Callable[[], Any]] = []


def home_page(view: Callable[[], Any]) -> Callable[[], Any]:
    """Make *view* the signed-in person's home page, served at / (learning registers My learning)."""
    _home_page[:] = [view]
    return view


def init_login(app: Flask) -> None:
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    app.add_template_global(person_panels)

    @login_manager.user_loader
    def load_user(cookie: str) -> User | None:
        tenant = g.get("tenant")
        # The session must have been issued by this tenant; the query is tenant-scoped besides.
        if tenant is None or session.get("tenant_id") != tenant.id:
            return None
        return sessions.user_for_cookie(cookie, tenant)


def _sign_in_rate_key() -> str:
    return f"{g.tenant.id if g.get('tenant') else '-'}:{request.remote_addr}"


@bp.route("/")
def home():
    if g.tenant.is_platform:
        return redirect(url_for("console.tenants"))
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in"))
    if not _home_page:
        abort(404)
    return _home_page[0]()


class SignInWay(Protocol):
    """A way into the portal besides a local password, registered by the identity feature."""

    def email_first(self) -> bool:
        """Whether the sign-in page should ask for the email alone first (the portal has providers)."""

    def offered(self) -> list[tuple[str, str]]:
        """The buttons the sign-in page shows: (label, URL), e.g. ("Sign in with Acme SSO", "/sso/…")."""

    def straight_to(self, next_url: str | None) -> str | None:
        """Where to send everyone who opens the sign-in page, when the portal has one way in."""

    def route_email(self, email: str, *, password_given: bool, next_url: str | None) -> str | None:
        """Where to send the person with *email* (home-realm discovery), or None to use a password."""

    def password_sign_in(self, email: str, password: str) -> User | None:
        """The person a directory signs in with this email and password, None if no directory serves
        the email; raises SignInRefused when one does and refuses them."""


_sign_in_ways: list[SignInWay] = []


def register_sign_in_way(way: SignInWay) -> None:
    # Once per kind of way, however many apps the process creates (each would offer its buttons again).
    if not any(type(known) is type(way) for known in _sign_in_ways):
        _sign_in_ways.append(way)


# A gate sees a person who just proved who they are (user, method, next URL) before their session
# starts, and may answer instead: two-step sign-in asks for a code after a password.
SignInGate = Callable[[User, str, "str | None"], Any]
_sign_in_gates: list[SignInGate] = []


def register_sign_in_gate(gate: SignInGate) -> None:
    if gate not in _sign_in_gates:  # once, however many apps the process creates
        _sign_in_gates.append(gate)


# Sections other features add to the Account page (the signed-in person) and to the Access part of
# a person's admin page: each renders the HTML for one person.
_account_panels: list[Callable[[User], Any]] = []
_person_panels: list[Callable[[User], Any]] = []


def register_account_panel(render: Callable[[User], Any]) -> None:
    if render not in _account_panels:
        _account_panels.append(render)


def register_person_panel(render: Callable[[User], Any]) -> None:
    if render not in _person_panels:
        _person_panels.append(render)


def person_panels(person: User) -> list[Any]:
    """The HTML other features add about *person* to their admin page (a template global)."""
    return [render(person) for render in _person_panels]


def complete_sign_in(
    user: User, *, method: str, next_url: str | None = None, detail: dict[str, Any] | None = None
) -> Any:
    """Start a session for *user*, who proved who they are by *method*, and go where they were going.

    A gate (two-step sign-in) may answer instead, asking for more before the session starts; it finds
    what the audit log will say of this sign-in in ``g.sign_in_detail`` and passes it on. The log's
    "signed in" is written here, when the session really starts, with *detail* (the provider, the
    second step) beside the method.
    """
    facts = {"method": method, **(detail or {})}
    g.sign_in_detail = facts
    for gate in _sign_in_gates:
        if (answer := gate(user, method, next_url)) is not None:
            return answer
    session.clear()
    sessions.start_session(user, ip=request.remote_addr, user_agent=request.user_agent.string)
    audit.record("user.signed_in", target=user, after=facts)
    login_user(user)
    session["tenant_id"] = g.tenant.id
    session["signed_in_by"] = method
    return redirect(safe_next(next_url))


def continue_to(target: str, heading: str | None = None) -> Any:
    """A page that moves on to *target* by itself (and has a Continue link), for a form whose answer
    leads to another site (an identity provider): a redirect from the form's POST would be stopped by
    the page's Content-Security-Policy (form-action 'self' also covers the redirects that follow)."""
    return render_template("accounts/continue_sign_in.html", target=target, heading=heading)


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"], key_func=_sign_in_rate_key)
def sign_in():
    next_url = request.args.get("next")
    if current_user.is_authenticated:
        return redirect(safe_next(next_url))
    local = request.args.get("local") == "1"
    if request.method == "GET" and not local:
        for way in _sign_in_ways:
            if target := way.straight_to(next_url):
                return redirect(target)
    # ?local=1: a password for a local account in a domain a provider serves (unless it is the only way in).
    email_first = not local and any(way.email_first() for way in _sign_in_ways)
    form = SignInForm()
    error = None
    step = "email" if email_first else "password"
    if form.validate_on_submit():
        email, password = form.email.data or "", form.password.data or ""
        try:
            for way in _sign_in_ways:
                if target := way.route_email(
                    email, password_given=bool(password) or local, next_url=next_url
                ):
                    return continue_to(target)
            step = "password"
            if not password:
                if request.form.get("step") == "password" or not email_first:
                    form.password.errors = [_("Enter your password.")]
                return render_template(
                    "accounts/sign_in.html", form=form, error=None, step=step, ways=_offered()
                ), (422 if form.password.errors else 200)
            user = None
            for way in _sign_in_ways:
                if (user := way.password_sign_in(email, password)) is not None:
                    break
            if user is None:
                user = services.authenticate(email, password)
        except services.SignInRefused as refused:
            error = refused.message
        else:
            # A directory (LDAP) that checked the password says so in g.sign_in_detail.
            return complete_sign_in(
                user, method="password", next_url=next_url, detail=g.pop("sign_in_detail", None)
            )
    status = 401 if error else form_status()
    return render_template(
        "accounts/sign_in.html", form=form, error=error, step=step, ways=_offered()
    ), status


def _offered() -> list[tuple[str, str]]:
    return [button for way in _sign_in_ways for button in way.offered()]


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    if current_user.is_authenticated:
        sessions.end_session(current_user.current_session)
    return _signed_out()


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"], key_func=_sign_in_rate_key)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(
            form.email.data or "",
            portal_name=g.tenant.display_name,
            # From configuration, never from the Host header the request came with.
            reset_url_for=lambda token: portal_url(g.tenant, url_for("accounts.reset_password", token=token)),
        )
        flash(_("If that address has an account here, a reset link is on its way. Check your inbox."), "info")
        return redirect(url_for("accounts.sign_in"))
    status = form_status()
    return render_template("accounts/forgot_password.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = services.user_for_reset_token(token)
    if user is None:
        return render_template("accounts/reset_invalid.html"), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.set_password(user, form.password.data or "")
        except ValidationError as exc:
            form.password.errors = [exc.message]
        else:
            flash(_("Your password is changed. Sign in with the new one."), "success")
            return redirect(url_for("accounts.sign_in"))
    status = form_status()
    return render_template("accounts/reset_password.html", form=form, user=user), status


@bp.route("/account", methods=["GET", "POST"])
@require_sign_in
def account():
    from datetime import UTC, datetime

    from app.accounts.forms import PreferencesForm
    from app.locales import switchable_locales

    form = PreferencesForm()
    form.locale.choices = as_choices([("", _("Portal default")), *switchable_locales()])
    form.time_zone.blank = _("Portal time zone (%(tz)s)", tz=g.tenant.time_zone)
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
        form.time_zone.data = current_user.time_zone or ""
    if form.validate_on_submit():
        try:
            services.update_user(
                current_user, locale=form.locale.data or None, time_zone=form.time_zone.data or None
            )
        except ValidationError as exc:
            form.time_zone.errors = [exc.message]
        else:
            session.pop("locale", None)
            from flask_babel import refresh

            refresh()
            flash(_("Your preferences are saved."), "success")
            return redirect(url_for("accounts.account"))
    status = form_status()
    return render_template(
        "accounts/account.html",
        form=form,
        now=datetime.now(UTC),
        live_sessions=sessions.live_sessions(current_user, g.tenant),
        panels=[render(current_user) for render in _account_panels],
    ), status


@bp.route("/account/sessions/<int:session_id>/sign-out", methods=["POST"])
@require_sign_in
def sign_out_session(session_id: int):
    """Sign out one device from the account page (this one included)."""
    ended = sessions.revoke_session(current_user, session_id)
    if ended is None:
        abort(404)
    if ended.id == current_user.current_session.id:
        return _signed_out()
    flash(_("That device is signed out."), "success")
    return redirect(url_for("accounts.account") + "#sessions-heading")


@bp.route("/account/sessions/sign-out-everywhere", methods=["POST"])
@require_sign_in
def sign_out_everywhere():
    """End every session of the signed-in person, on every device, this one included."""
    sessions.revoke_user_sessions(current_user, reason="signed_out_everywhere")
    return _signed_out(_("You are signed out on every device."))


def _signed_out(message: str | None = None):
    # A shared device (crew sign-in) goes back to its own sign-in page for the next person.
    back_to = session.get("signed_out_to")
    logout_user()
    session.clear()
    flash(message or _("You are signed out."), "info")
    return redirect(safe_next(back_to) if back_to else url_for("accounts.sign_in"))


@bp.route("/language", methods=["POST"])
def choose_language():
    """Switch the interface language: for this visit, and in the profile of a signed-in person."""
    locale = request.form.get("locale", "")
    if locale not in g.tenant.enabled_locales:
        flash(_("That language is not offered in this portal."), "error")
        return redirect(safe_next(request.form.get("next")))
    session["locale"] = locale
    if current_user.is_authenticated and current_user.locale != locale:
        services.update_user(current_user, locale=locale)
    from flask_babel import refresh

    refresh()
    flash(_("The language is changed."), "success")
    return redirect(safe_next(request.form.get("next")))


bp.add_app_template_filter(sessions.describe_device, "describe_device")
