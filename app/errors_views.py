"""Friendly error pages; a 404 never says whether a tenant or object exists."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, g, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from htmx_flask import request
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError

from app.redirects import page_the_person_was_on, safe_next

log = logging.getLogger("atrium.errors")
_ELEMENT_ID = re.compile(r"^[A-Za-z][\w-]{0,63}$")
# The last resort when not even the plain page renders (the language is a setting in the database).
_DATABASE_UNREACHABLE_BARE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>The database is not reachable</title>"
    "<h1>The database is not reachable</h1>"
    "<p>The database is not reachable right now; nothing was saved. Try again in a moment.</p>"
)


def session_expired(status: int) -> ResponseReturnValue:
    """Refuse a request whose session or form expired: say so, and lead back to sign-in, then to the page.

    An htmx request gets the status line it targets (same id), saying what was not saved and why.
    """
    page = page_the_person_was_on()
    if request.method == "GET" and not request.htmx:
        page = request.full_path.rstrip("?")
    signed_in = current_user.is_authenticated
    if signed_in:
        link, link_text = safe_next(page), _("Reload the page")
    else:
        link, link_text = url_for("accounts.sign_in", next=safe_next(page)), _("Sign in again")
    if request.htmx:
        target = request.htmx.target or ""
        message = (
            _("Not saved: this page is out of date. Reload it to go on; your saved answers are kept.")
            if signed_in
            else _("Not saved: your session has expired. Sign in again to keep your answers.")
        )
        fragment = render_template(
            "errors/_refused_status.html",
            target_id=target if _ELEMENT_ID.match(target) else None,
            message=message,
            link=link,
            link_text=link_text,
        )
        return fragment, status, {"Vary": "HX-Request"}
    return render_template("errors/csrf.html", signed_in=signed_in, link=link, link_text=link_text), status


def database_unreachable(exc: BaseException) -> bool:
    """Whether *exc* says the database could not be reached or the connection was lost."""
    if isinstance(exc, DisconnectionError):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    # SQLite reports a schema mistake ("no such table") as an OperationalError too: a bug, not an outage.
    return isinstance(exc, OperationalError) and not str(exc.orig).startswith("no such ")


def database_unreachable_page(exc: BaseException) -> ResponseReturnValue:
    """Say that nothing was saved and to try again: 503, in the portal's layout when it can still be drawn.

    The request's transaction is gone with its connection, so nothing of it was committed; the
    pool hands the next request a fresh connection (pre-ping), so trying again works once the
    database answers.
    """
    from app.extensions import db

    request_id = g.get("request_id") or uuid.uuid4().hex
    g.request_id = request_id
    log.error(
        "database.unreachable",
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"request_id": request_id, "path": request.path, "error": repr(exc)},
    )
    previous = page_the_person_was_on()
    back = previous if previous and previous != request.full_path.rstrip("?") else None
    headers = {"Retry-After": "5"}
    for template in ("errors/database_unreachable.html", "errors/database_unreachable_plain.html"):
        try:
            db.session.rollback()  # the layout's menu and the language may need the database again
            return render_template(template, request_id=request_id, back=back), 503, headers
        except Exception:
            log.warning("error_page.failed", extra={"request_id": request_id, "template": template})
    return _DATABASE_UNREACHABLE_BARE, 503, headers


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(OperationalError)
    @app.errorhandler(DisconnectionError)
    def database_lost(exc):
        if not database_unreachable(exc):
            raise exc  # a bug: the server error page, as for any other exception
        return database_unreachable_page(exc)

    @app.errorhandler(404)
    def not_found(exc):
        return render_template("errors/not_found.html"), 404

    @app.errorhandler(403)
    def forbidden(exc):
        return render_template("errors/forbidden.html"), 403

    @app.errorhandler(405)
    def method_not_allowed(exc):
        return render_template("errors/not_found.html"), 405

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return session_expired(400)

    @app.errorhandler(429)
    def too_many(exc):
        return render_template("errors/too_many.html"), 429

    @app.errorhandler(500)
    def server_error(exc):
        from app.extensions import db

        request_id = g.get("request_id") or uuid.uuid4().hex
        g.request_id = request_id  # the reference shown is the one in the log and the X-Request-ID header
        original = getattr(exc, "original_exception", None) or exc
        if database_unreachable(original):
            # Lost while committing, after the view ran. (Should the server have committed just as the
            # connection dropped, trying again finds the work done: the operations are idempotent.)
            return database_unreachable_page(original)
        log.error(
            "request.failed",
            exc_info=(type(original), original, original.__traceback__),
            extra={"request_id": request_id, "path": request.path, "error": repr(original)},
        )
        db.session.rollback()  # the page itself may need the database (the portal's menu)
        previous = page_the_person_was_on()
        back = previous if previous and previous != request.full_path.rstrip("?") else None
        try:
            page = render_template("errors/server_error.html", request_id=request_id, back=back)
        except Exception:
            # The error may be in what every page uses (layout, menu, theme): fall back to a bare page.
            log.exception("error_page.failed", extra={"request_id": request_id})
            db.session.rollback()
            page = render_template("errors/server_error_plain.html", request_id=request_id, back=back)
        return page, 500
