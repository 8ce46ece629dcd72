"""One transaction rule for every request: it commits once, at the end, only when it succeeded.

A response below 400 commits what the view's services wrote; an error status or an exception
rolls everything back (jobs enqueued meanwhile are dropped with it). Views therefore never commit,
and roll back by hand only where this rule cannot see a refusal: a refused operation answered with
a redirect (a success status), or one that wrote part of its work before it refused and is shown
again on the same page.
"""

from __future__ import annotations

from flask import Flask, Response

from app.extensions import db


def init_app(app: Flask) -> None:
    """Commit or roll back the request's transaction when it ends."""

    @app.after_request
    def _commit_or_roll_back(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def _roll_back_after_exception(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()
