"""The Integrations page: every way people data reaches this portal from another system, one panel each.

Features that feed the portal (SCIM provisioning, HR system syncs) register a panel from their ``init_app``;
the page shows the panels in order, each rendered from its own template with what its loader returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

_EXTENSION = "atrium.integrations"


@dataclass(frozen=True)
class Panel:
    """One section of the Integrations page."""

    key: str  # unique; also the section's id on the page
    order: int  # lowest first
    # A template fragment: it reads what ``load`` returned as ``data``; its h2 has the id ``<key>-heading``.
    template: str
    load: Callable[[], dict[str, Any]]  # runs inside the request, under the tenant


def register_panel(app: Flask, panel: Panel) -> None:
    """Add *panel* to the Integrations page of *app*; a panel registered again under its key replaces it."""
    panels: list[Panel] = app.extensions.setdefault(_EXTENSION, [])
    panels[:] = [p for p in panels if p.key != panel.key]
    panels.append(panel)
    panels.sort(key=lambda p: (p.order, p.key))


def panels(app: Flask) -> list[Panel]:
    """Every panel registered with *app*, in the order the page shows them."""
    return list(app.extensions.get(_EXTENSION, []))


def init_app(app: Flask) -> None:
    """Register the Integrations page (Admin → People and access → Integrations)."""
    from flask_babel import lazy_gettext as _l

    from app import navigation as nav
    from app.accounts import permissions as perms
    from app.integrations import views

    app.register_blueprint(views.bp)
    nav.register(
        app,
        nav.NavEntry(
            _l("Integrations"),
            "integrations.index",
            "/admin/integrations",
            nav.may(perms.INTEGRATIONS_MANAGE),
            nav.ADMIN,
            nav.PEOPLE,
            order=50,
        ),
    )
