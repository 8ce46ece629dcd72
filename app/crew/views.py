"""The shared device's sign-in page (/crew), choosing a PIN, and the managers' badge pages."""

from __future__ import annotations

from typing import Any

import segno
from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from app.accounts import org
from app.accounts import permissions as perms
from app.accounts.access import require_permission, require_sign_in
from app.accounts.models import User
from app.accounts.services import SignInRefused
from app.accounts.sessions import end_session
from app.accounts.views import complete_sign_in
from app.crew import services
from app.crew.forms import ChoosePinForm, CrewMemberForm, CrewSignInForm, SetPinForm
from app.errors import ValidationError
from app.extensions import db, limiter
from app.forms import form_status
from app.identity.ways import settings as sign_in_settings
from app.tenancy.models import utcnow
from app.tenancy.services import portal_url

bp = Blueprint("crew", __name__)

# Where a shared device's sign-out goes (accounts' sign-out reads it from the session).
SIGNED_OUT_TO = "signed_out_to"


def _rate_key() -> str:
    return f"{g.tenant.id if g.get('tenant') else '-'}:{request.remote_addr}"


def _badge_sign_in_on() -> None:
    if g.tenant.is_platform or not sign_in_settings().badge_sign_in:
        abort(404)


# ---------------------------------------------------------------- the shared device


@bp.route("/crew", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"], key_func=_rate_key)
def device() -> Any:
    """Sign in on a shared device: scan a badge (or type an employee ID), then the PIN."""
    _badge_sign_in_on()
    if current_user.is_authenticated and request.method == "GET" and not request.args.get("badge"):
        return redirect(url_for("accounts.home"))
    form = CrewSignInForm()
    if request.method == "GET" and request.args.get("badge"):
        form.badge.data = request.args["badge"][:500]
    error, holder, status = None, None, 200
    scanned = form.badge.data or ""
    try:
        # A scanned badge (typed by a scanner, or in the address a phone camera opened) is recognised
        # first, so the page can greet its holder and ask for the PIN.
        holder = services.holder_of_badge(scanned) if scanned.strip() else None
        if form.validate_on_submit():
            employee_id, pin = (form.employee_id.data or "").strip(), form.pin.data or ""
            if holder is None and not employee_id:
                form.badge.errors = [_("Scan your badge or type your employee ID.")]
            elif not pin and (holder is None or request.form.get("step") == "pin"):
                form.pin.errors = [_("Enter your PIN.")]
            elif pin:
                person = services.sign_in_with_pin(
                    holder or services.person_with_employee_id(employee_id), pin
                )
                return _start_shared_session(person)
            status = form_status() if form.errors else 200
        elif form.errors:
            status = form_status()
    except SignInRefused as refused:
        error, status = refused.message, (401 if request.method == "POST" else 200)
    form.pin.data = ""
    return render_template("crew/device.html", form=form, error=error, holder=holder), status


def _start_shared_session(person: User) -> Any:
    if current_user.is_authenticated:
        # The next person on the device: whoever was still signed in here is signed out for good.
        end_session(current_user.current_session)
    response = complete_sign_in(person, method="crew", next_url=None)
    assert person.current_session is not None  # started by complete_sign_in
    idle_minutes = sign_in_settings().shared_device_idle_minutes or 3
    person.current_session.shared_idle_minutes = max(1, int(idle_minutes))
    session["shared_device"] = True
    session[SIGNED_OUT_TO] = url_for("crew.device")
    if services.must_choose_pin(person):
        session[CHOOSE_PIN] = True  # every page leads to choosing one until it is chosen
        return redirect(url_for("crew.choose_pin"))
    return response


#: In the session of someone signed in with a PIN a manager set: they must choose their own first.
CHOOSE_PIN = "crew_choose_pin"
#: What they may still reach before choosing: the page to choose, signing out, Atrium's own files.
_BEFORE_CHOOSING = frozenset({"crew.choose_pin", "accounts.sign_out", "static"})


def ask_for_a_pin_first() -> Any:
    """Send someone who must choose their PIN to that page from any other (a request hook, no query)."""
    if session.get(CHOOSE_PIN) and request.endpoint not in _BEFORE_CHOOSING:
        if not current_user.is_authenticated:
            session.pop(CHOOSE_PIN, None)
            return None
        return redirect(url_for("crew.choose_pin"))
    return None


@bp.route("/crew/pin", methods=["GET", "POST"])
@require_sign_in
def choose_pin() -> Any:
    """The person chooses their own PIN (asked right after signing in with one a manager set)."""
    form = ChoosePinForm()
    if form.validate_on_submit():
        try:
            services.choose_pin(current_user, form.pin.data or "")
        except ValidationError as exc:
            form.pin.errors = [exc.message]
        else:
            session.pop(CHOOSE_PIN, None)
            flash(_("Your new PIN is saved. Use it next time you sign in."), "success")
            return redirect(url_for("accounts.home"))
    return render_template("crew/choose_pin.html", form=form), form_status()


# ---------------------------------------------------------------- managers' badge pages


def _person_in_reach(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or not org.reaches(current_user, person.id):
        abort(404)
    return person


@bp.route("/team/crew")
@require_permission(perms.TEAM_VIEW)
def team() -> Any:
    """The crew a manager reaches: employee IDs, badges and PINs, with print, revoke and PIN actions."""
    people = org.reach_of(current_user)
    ids = [p.id for p in people]
    return render_template(
        "crew/team.html",
        people=people,
        badges=services.active_badges(ids),
        pins=services.pins_of(ids),
        badge_sign_in=sign_in_settings().badge_sign_in,
        now=utcnow(),
    )


@bp.route("/team/crew/badges", methods=["POST"])
@require_permission(perms.TEAM_ASSIGN)
def print_badges() -> Any:
    """Issue a new badge to each chosen person (their old one stops working) and show the cards to print."""
    chosen = {int(v) for v in request.form.getlist("people") if v.isdigit() and len(v) < 19}
    reach = org.reach_ids(current_user)
    people = [p for p in org.reach_of(current_user) if p.id in chosen and p.id in reach]
    if not people:
        flash(_("Choose the people whose badges to print."), "error")
        return redirect(url_for("crew.team"))
    cards = []
    skipped = []
    for person in people:
        if not person.employee_id:
            skipped.append(person.full_name)
            continue
        token = services.issue_badge(person, by=current_user)
        url = portal_url(g.tenant, url_for("crew.device", badge=token))
        svg = segno.make(url, error="m").svg_inline(
            scale=3, title=_("Badge of %(name)s", name=person.full_name)
        )
        cards.append({"person": person, "qr": Markup(svg), "url": url})  # noqa: S704 (segno's own SVG)
    return render_template("crew/badges_print.html", cards=cards, skipped=skipped)


@bp.route("/team/crew/<int:user_id>/badge/revoke", methods=["POST"])
@require_permission(perms.TEAM_ASSIGN)
def revoke_badge(user_id: int) -> Any:
    person = _person_in_reach(user_id)
    if services.revoke_badges(person, by=current_user):
        flash(_("The badge of %(name)s no longer works.", name=person.full_name), "success")
    else:
        flash(_("%(name)s has no working badge.", name=person.full_name), "info")
    return redirect(url_for("crew.team"))


@bp.route("/team/crew/<int:user_id>/pin", methods=["GET", "POST"])
@require_permission(perms.TEAM_ASSIGN)
def set_pin(user_id: int) -> Any:
    person = _person_in_reach(user_id)
    form = SetPinForm()
    if form.validate_on_submit():
        try:
            services.set_pin(
                person, form.pin.data or "", by=current_user, must_choose=bool(form.must_choose.data)
            )
        except ValidationError as exc:
            form.pin.errors = [exc.message]
        else:
            flash(_("The PIN of %(name)s is set.", name=person.full_name), "success")
            return redirect(url_for("crew.team"))
    return render_template("crew/set_pin.html", form=form, person=person), form_status()


@bp.route("/team/crew/new", methods=["GET", "POST"])
@require_permission(perms.TEAM_ASSIGN)
def new_member() -> Any:
    """Add a crew member to the manager's location, with an employee ID and a PIN; email optional."""
    form = CrewMemberForm()
    if form.validate_on_submit():
        try:
            person = services.add_crew_member(
                current_user,
                full_name=form.full_name.data or "",
                employee_id=form.employee_id.data or "",
                email=form.email.data or None,
                pin=form.pin.data or "",
            )
        except ValidationError as exc:
            target = getattr(form, exc.field or "", None) or form.full_name
            target.errors = [exc.message]
        else:
            flash(_("%(name)s is added. Print their badge from this list.", name=person.full_name), "success")
            return redirect(url_for("crew.team"))
    return render_template("crew/new_member.html", form=form), form_status()
