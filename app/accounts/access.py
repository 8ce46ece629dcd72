"""Guards for views: who may open a page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g, redirect, url_for
from flask_login import current_user
from htmx_flask import request

F = TypeVar("F", bound=Callable[..., Any])


def _sign_in_first() -> Any:
    """Send a signed-out person to sign in and back; an htmx request is told its session expired."""
    if request.htmx:
        from app.errors_views import session_expired

        return session_expired(401)
    return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))


def require_any_permission(*permissions: str, platform: bool | None = False) -> Callable[[F], F]:
    """Let only signed-in users holding at least one of *permissions* in.

    Another kind of portal answers 404, a signed-out person is sent to sign in, anyone else without
    the permission gets 403. *platform*: True for platform-console pages, False for tenant pages,
    None for both.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            tenant = g.get("tenant")
            if tenant is None or (platform is not None and tenant.is_platform != platform):
                abort(404)
            if not current_user.is_authenticated:
                return _sign_in_first()
            if not any(current_user.can(permission) for permission in permissions):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def require_permission(permission: str, *, platform: bool | None = False) -> Callable[[F], F]:
    """Let only signed-in users holding *permission* in (see ``require_any_permission``)."""
    return require_any_permission(permission, platform=platform)


def require_sign_in(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return _sign_in_first()
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


def get_or_404(model: type, object_id: int) -> Any:
    """Load *model* by id within the current tenant, or 404 (another tenant's id is simply not found)."""
    from app.extensions import db

    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj
