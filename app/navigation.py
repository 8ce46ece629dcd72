"""The navigation: what a signed-in person may reach, in order.

Each feature registers its entries from its ``init_app`` with the area they belong to: the short
top bar a learner sees (``main``), or the admin area (``admin``), which the top bar reaches through
one **Admin** entry and which shows its own section navigation on every admin page. This module
keeps the mechanism and the order: the admin sections are declared here, and each entry carries
its place (``order``) within its area or section.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask, current_app, g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.kept import kept
from app.reader_translations import request_translations

MAIN = "main"
ADMIN = "admin"
TENANT = "tenant"
PLATFORM = "platform"


@dataclass(frozen=True)
class Section:
    """A heading of the admin area's navigation; sections show in ``order``."""

    label: Any  # a lazy string: translated when the page renders
    order: int


PEOPLE = Section(_l("People and access"), 100)
LEARNING = Section(_l("Learning content"), 200)
COMPLIANCE = Section(_l("Compliance"), 300)
PORTAL = Section(_l("Portal"), 400)


@dataclass(frozen=True)
class NavEntry:
    """One link a feature offers: where it lives (area, section, order) and who may see it."""

    label: Any  # a lazy string: translated when the page renders
    endpoint: str
    prefix: str  # the URL prefix of every page that belongs to this entry
    allowed: Callable[[Any], bool]  # from the person's permissions only (``may``, ``may_any``): see _visible
    area: str = MAIN
    section: Section | None = None  # admin entries only
    portals: tuple[str, ...] = (TENANT,)
    order: int = 0  # the place within its area (top bar) or its section (admin area), lowest first

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.section.order if self.section else 0, self.order)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool

    @property
    def aria_current(self) -> str | None:
        """ "page" on the link's own page, "true" on the other pages of its part of the site."""
        if not self.current:
            return None
        return "page" if self.url == request.path else "true"


@dataclass(frozen=True)
class NavSection:
    label: str
    items: list[NavItem]


_EXTENSION = "atrium.navigation"
_VISIBLE_EXTENSION = "atrium.navigation.visible"


def register(app: Flask, *entries: NavEntry) -> None:
    """Add a feature's navigation entries to *app*; an endpoint registered again for a portal replaces it."""
    registered: list[NavEntry] = app.extensions.setdefault(_EXTENSION, [])
    for entry in entries:
        registered[:] = [e for e in registered if (e.endpoint, e.portals) != (entry.endpoint, entry.portals)]
        registered.append(entry)
    registered.sort(key=lambda e: e.sort_key)
    app.extensions.pop(_VISIBLE_EXTENSION, None)


def entries(app: Flask) -> list[NavEntry]:
    """Every entry registered with *app*, in the order they show."""
    return list(app.extensions.get(_EXTENSION, []))


def may(permission: str | None) -> Callable[[Any], bool]:
    """Show the entry to everyone signed in (None) or to those holding *permission*."""
    return lambda user: permission is None or user.can(permission)


def may_any(*permissions: str) -> Callable[[Any], bool]:
    """Show the entry to those holding any of *permissions*."""
    return lambda user: any(user.can(p) for p in permissions)


def _visible() -> list[NavEntry]:
    """The entries open to the signed-in person, worked out once per kind of portal and set of permissions.

    The top bar and the admin area's navigation both ask on every page, and each of the seventy entries
    asks the person's roles; an entry's ``allowed`` reads the permissions alone, so the answer is kept
    for the application (a registration starts it again). Never changed by its readers.
    """
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return []
    tenant = g.get("tenant")
    portal = PLATFORM if tenant is not None and tenant.is_platform else TENANT
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return kept(
        app.extensions.setdefault(_VISIBLE_EXTENSION, {}),
        (portal, user.permissions),
        lambda: [e for e in entries(app) if portal in e.portals and e.allowed(user)],
    )


def _matches(path: str, prefix: str) -> bool:
    return path == prefix if prefix == "/" else path.startswith(prefix)


def _current(entries: list[NavEntry]) -> NavEntry | None:
    """The entry this page belongs to: the longest matching prefix ("/console/library" is not "/console")."""
    path = request.path
    matching = [e for e in entries if _matches(path, e.prefix)]
    return max(matching, key=lambda e: len(e.prefix), default=None)


# Links built once and kept, by the catalog chain their labels come from (the language and a tenant's own
# terminology: a rewording builds a new chain, and a chain dropped takes its links with it), then by the
# entries open to the person and where the application is served. Few keys a chain (roles x hosts).
_kept_links: WeakKeyDictionary[Any, dict[Hashable, list[Any]]] = WeakKeyDictionary()


def _links(area: str, visible: list[NavEntry], build: Callable[[], list[Any]]) -> list[Any]:
    """The links of *area* for *visible*, made by *build* the first time for this catalog chain and key."""
    key = (area, tuple((e.endpoint, e.area) for e in visible), request.host, request.script_root)
    return kept(_kept_links.setdefault(request_translations(), {}), key, build)


def _top_bar(visible: list[NavEntry]) -> list[tuple[int | None, str, str]]:
    """(index in *visible*, label, address) of each top bar link, None for the Admin link; built once a key.

    An endpoint's label and address depend on nothing else than the key: the catalogs (the language and
    the tenant's wording), the host and the path the application is served under.
    """

    def build() -> list[Any]:
        made: list[Any] = [
            (index, str(e.label), url_for(e.endpoint)) for index, e in enumerate(visible) if e.area == MAIN
        ]
        admin = [e for e in visible if e.area == ADMIN]
        if admin:
            made.append((None, str(_l("Admin")), url_for(admin[0].endpoint)))
        return made

    return _links(MAIN, visible, build)


def main_navigation() -> list[NavItem]:
    """The top bar: the learner's pages, then one Admin entry when any admin page is open to this person."""
    visible = _visible()
    current = _current(visible)
    in_admin = current is not None and current.area == ADMIN
    return [
        NavItem(label=label, url=url, current=in_admin if index is None else visible[index] is current)
        for index, label, url in _top_bar(visible)
    ]


def _admin_area(visible: list[NavEntry]) -> list[tuple[int, str, str, str]]:
    """(index in *visible*, section label, label, address) of each admin link, built once a key.

    Translating some seventy lazy labels and building their addresses cost a tenth of an admin page.
    """
    return _links(
        ADMIN,
        visible,
        lambda: [
            (index, str(e.section.label if e.section else ""), str(e.label), url_for(e.endpoint))
            for index, e in enumerate(visible)
            if e.area == ADMIN
        ],
    )


def admin_navigation() -> list[NavSection]:
    """The admin area's sections and links, when the current page is part of the admin area; else []."""
    visible = _visible()
    current = _current(visible)
    if current is None or current.area != ADMIN:
        return []
    sections: dict[str, list[NavItem]] = {}
    for index, section, label, url in _admin_area(visible):
        item = NavItem(label=label, url=url, current=visible[index] is current)
        sections.setdefault(section, []).append(item)
    return [NavSection(label=label, items=items) for label, items in sections.items()]
