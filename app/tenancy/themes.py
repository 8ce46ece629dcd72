"""Themes: folders of CSS variables, static files and template overrides, chosen per tenant.

``themes/<name>/theme.toml`` holds the name, a description and CSS variables;
``themes/<name>/static/`` is served at ``/themes/<name>/…``; and
``themes/<name>/templates/`` overrides app templates of the same name. An
override can extend the original as ``core/<name>`` and replace one block.
"""

from __future__ import annotations

import contextlib
import tomllib
from collections import ChainMap
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import g, has_request_context
from jinja2 import BaseLoader, Environment, FileSystemBytecodeCache, TemplateNotFound
from jinja2.bccache import Bucket
from jinja2.loaders import split_template_path

from app.tenancy.colours import normalise, readable_text_on

THEMES_ROOT = Path(__file__).resolve().parent.parent.parent / "themes"
DEFAULT_THEME = "default"
CORE_PREFIX = "core/"


@dataclass(frozen=True)
class Theme:
    key: str
    name: str
    description: str
    variables: dict[str, str] = field(default_factory=dict)
    has_stylesheet: bool = False

    @property
    def background(self) -> str:
        return self.variables.get("color-bg", "#ffffff")

    @property
    def surface(self) -> str:
        return self.variables.get("color-surface", self.background)


@lru_cache(maxsize=1)
def _load_themes(root: Path = THEMES_ROOT) -> dict[str, Theme]:
    themes: dict[str, Theme] = {}
    for folder in sorted(p for p in root.iterdir() if (p / "theme.toml").is_file()):
        data: dict[str, Any] = tomllib.loads((folder / "theme.toml").read_text(encoding="utf-8"))
        themes[folder.name] = Theme(
            key=folder.name,
            name=str(data.get("name", folder.name)),
            description=str(data.get("description", "")),
            variables={str(k): str(v) for k, v in data.get("variables", {}).items()},
            has_stylesheet=(folder / "static" / "theme.css").is_file(),
        )
    return themes


def available_themes() -> dict[str, Theme]:
    return _load_themes()


def get_theme(key: str | None) -> Theme:
    themes = available_themes()
    return themes.get(key or DEFAULT_THEME) or themes[DEFAULT_THEME]


def current_theme_key() -> str:
    tenant = g.get("tenant") if has_request_context() else None
    key = getattr(tenant, "theme", None) or DEFAULT_THEME
    return key if key in available_themes() else DEFAULT_THEME


def brand_variables(theme: Theme, branding: dict[str, Any]) -> dict[str, str]:
    """The CSS variables of *theme* with a tenant's brand colours laid over them."""
    variables = dict(theme.variables)
    primary = normalise(str(branding.get("primary") or "")) or variables.get("color-primary", "#1d4ed8")
    accent = normalise(str(branding.get("accent") or "")) or variables.get("color-accent", primary)
    variables["color-primary"] = primary
    variables["color-primary-text"] = readable_text_on(primary)
    variables["color-accent"] = accent
    return variables


def stylesheet(variables: dict[str, str], selector: str = ":root") -> str:
    lines = [f"  --{name}: {value};" for name, value in sorted(variables.items()) if _safe_css_value(value)]
    return selector + " {\n" + "\n".join(lines) + "\n}\n"


def _safe_css_value(value: str) -> bool:
    return not any(ch in value for ch in "{};<>\\")


class ThemeLoader(BaseLoader):
    """Look a template up in the theme first, then in the app; ``core/`` names skip the theme."""

    def __init__(self, app_loader: BaseLoader, root: Path = THEMES_ROOT) -> None:
        self.app_loader = app_loader
        self.root = root

    def get_source(self, environment: Environment, template: str) -> tuple[str, str | None, Any]:
        if template.startswith(CORE_PREFIX):
            return self.app_loader.get_source(environment, template[len(CORE_PREFIX) :])
        if template.startswith("@"):
            theme, _, name = template[1:].partition("/")
            if theme in available_themes():
                path = self.root.joinpath(theme, "templates", *split_template_path(name))
                if path.is_file():
                    mtime = path.stat().st_mtime
                    return (
                        path.read_text(encoding="utf-8"),
                        str(path),
                        lambda: path.is_file() and path.stat().st_mtime == mtime,
                    )
            return self.app_loader.get_source(environment, name)
        return self.app_loader.get_source(environment, template)

    def list_templates(self) -> list[str]:
        return self.app_loader.list_templates()


class TemplateBytecodeCache(FileSystemBytecodeCache):
    """Compiled templates kept on disk, so that a new worker (or a theme's first page) loads them instead
    of compiling them again; Jinja checks each against its source. A folder it cannot write to only means
    no cache."""

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def bytecode_cache(instance_path: str) -> TemplateBytecodeCache | None:
    """The bytecode cache in the instance folder (``jinja-bytecode/``), or None if it cannot be made."""
    folder = Path(instance_path) / "jinja-bytecode"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return TemplateBytecodeCache(str(folder))


class TemplateGlobals(ChainMap[str, Any]):
    """A template's globals (its own, then the environment's), their names kept while no map changes size.

    Jinja compares the importing page's global names with the imported template's on every
    ``{% import %}`` and ``{% from … import %}`` (``Template._get_default_module``); a ChainMap's
    ``keys()`` answered that name by name, about 220 Python calls per import on every page. Globals are
    only ever added (``add_template_global`` at start-up), so a map of the same size has the same names.
    """

    _names: tuple[tuple[int, ...], frozenset[str]] | None = None

    def keys(self) -> frozenset[str]:  # type: ignore[override]
        sizes = tuple(len(mapping) for mapping in self.maps)
        if self._names is None or self._names[0] != sizes:
            self._names = (sizes, frozenset(super().keys()))
        return self._names[1]


def themed_environment_class(base: type[Environment]) -> type[Environment]:
    """Return a Jinja environment class whose template cache is keyed by theme, with a bytecode cache."""

    class ThemedEnvironment(base):  # type: ignore[valid-type, misc]
        def __init__(self, app: Any, **options: Any) -> None:
            # Each theme compiles its own copy of every template it renders (the cache is keyed by theme).
            options.setdefault("bytecode_cache", bytecode_cache(app.instance_path))
            super().__init__(app, **options)

        def _load_template(self, name: str, globals: Any) -> Any:
            if not name.startswith((CORE_PREFIX, "@")):
                name = f"@{current_theme_key()}/{name}"
            return super()._load_template(name, globals)

        def make_globals(self, d: Any) -> Any:
            return TemplateGlobals(d or {}, self.globals)

    return ThemedEnvironment


__all__ = ["TemplateNotFound", "Theme", "ThemeLoader", "available_themes", "get_theme"]
