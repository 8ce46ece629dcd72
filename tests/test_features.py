"""Features register themselves: every blueprint, command and navigation entry of today is still there.

The lists below are what ``create_app`` registered before the features' ``init_app`` took over;
a feature may add to them, never lose one silently.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import click

from app import navigation

BLUEPRINTS = {
    "ops",
    "accounts",
    "admin",
    "console",
    "branding",
    "tenancy",
    "learning",
    "authoring",
    "assessment_admin",
    "team",
    "library",
    "policies",
    "assessments",
    "checkpoints",
    "policy_admin",
    "certifications",
    "certification_admin",
    "identity",
    "integrations",
    "certificates",
    "partners",
    "partner_admin",
}

COMMANDS = {
    "assessments close-expired",
    "audit checkpoint",
    "audit public-key",
    "audit verify",
    "certifications digest",
    "certifications sweep",
    "certificates rotate-key",
    "db upgrade",
    "demo",
    "jobs drain",
    "jobs sweep",
    "postgres prepare",
    "secrets reseal",
    "rules run-all",
    "tenants add-domain",
    "tenants create",
    "tenants list",
    "tenants resume",
    "tenants suspend",
    "translate compile",
    "translate extract",
    "translate init",
    "translate update",
}

# (label, endpoint, URL prefix), in the order they show.
TENANT_TOP_BAR = [
    ("My learning", "accounts.home", "/"),
    ("Catalog", "learning.catalog", "/catalog"),
    ("My certifications", "certifications.mine", "/certifications"),
    ("My team", "team.index", "/team"),
]
PLATFORM_TOP_BAR = [
    ("Tenants", "console.tenants", "/console"),
    ("Library", "library.console_packages", "/console/library"),
    ("Usage", "console.usage", "/console/usage"),
    ("Quizzes", "assessment_admin.quizzes", "/admin/quizzes"),
    ("People", "admin.users", "/admin/users"),
    ("Roles", "admin.roles", "/admin/roles"),
    ("Audit log", "admin.audit_log", "/admin/audit"),
]
ADMIN_AREA = {
    "People and access": [
        ("People", "admin.users", "/admin/users"),
        ("Organisation", "admin.org_units", "/admin/org-units"),
        ("Groups", "admin.groups", "/admin/groups"),
        ("Roles", "admin.roles", "/admin/roles"),
        ("Sign-in", "identity.admin", "/admin/sign-in"),
        ("Integrations", "integrations.index", "/admin/integrations"),
    ],
    "Learning content": [
        ("Courses", "authoring.courses", "/admin/courses"),
        ("Paths", "authoring.paths", "/admin/paths"),
        ("Quizzes", "assessment_admin.quizzes", "/admin/quizzes"),
        ("Certifications", "certification_admin.index", "/admin/certifications"),
        ("Rules", "authoring.rules", "/admin/rules"),
        ("Library", "library.tenant_deployments", "/admin/library"),
    ],
    "Compliance": [
        ("Policies", "policy_admin.index", "/admin/policies"),
        ("Locations", "compliance_rollup.locations", "/team/compliance/locations"),
        ("Partner program", "partners.program", "/partners"),
        ("Partner tiers", "partner_admin.index", "/admin/partners"),
        ("Audit log", "admin.audit_log", "/admin/audit"),
        ("Reports", "reports.index", "/reports"),
    ],
    "Portal": [
        ("Branding", "branding.edit", "/admin/branding"),
        ("Terminology", "terminology.index", "/admin/terminology"),
        ("Translations", "translations.index", "/admin/translations"),
    ],
}


def _commands(group: click.Group, prefix: str = "") -> set[str]:
    names = set()
    for name, command in group.commands.items():
        names.add(f"{prefix}{name}")
        if isinstance(command, click.Group):
            names |= _commands(command, f"{prefix}{name} ")
    return names


def test_every_blueprint_of_today_is_registered(app):
    assert BLUEPRINTS - set(app.blueprints) == set()
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    for entries in [TENANT_TOP_BAR, PLATFORM_TOP_BAR, *ADMIN_AREA.values()]:
        assert {endpoint for _, endpoint, _ in entries} <= endpoints


def test_every_command_of_today_is_registered(app):
    assert COMMANDS - _commands(app.cli) == set()


def test_every_navigation_entry_of_today_shows_in_its_place(app):
    def top_bar(portal: str) -> list[tuple[str, str, str]]:
        return [
            (str(e.label), e.endpoint, e.prefix)
            for e in navigation.entries(app)
            if e.area == navigation.MAIN and portal in e.portals
        ]

    sections: dict[str, list[tuple[str, str, str]]] = {}
    with app.test_request_context():
        for e in navigation.entries(app):
            if e.area == navigation.ADMIN and navigation.TENANT in e.portals:
                assert e.section is not None
                sections.setdefault(str(e.section.label), []).append((str(e.label), e.endpoint, e.prefix))
        assert top_bar(navigation.TENANT) == TENANT_TOP_BAR
        assert top_bar(navigation.PLATFORM) == PLATFORM_TOP_BAR
    assert sections == ADMIN_AREA
    assert list(sections) == list(ADMIN_AREA)


def test_a_second_app_has_its_own_navigation_and_the_first_keeps_its_own(app):
    from app import create_app
    from app.extensions import db, limiter

    def shown(flask_app: Any) -> list[tuple[Any, ...]]:
        return [(str(e.label), e.endpoint, e.area, e.portals, e.order) for e in navigation.entries(flask_app)]

    with app.test_request_context():
        before = shown(app)
    saved = {name: getattr(limiter, name, None) for name in vars(limiter)}  # one limiter for every app
    other = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "RATELIMIT_STORAGE_URI": "memory://",
            "LOG_JSON": app.config["LOG_JSON"],
            "LOG_LEVEL": app.config["LOG_LEVEL"],
        }
    )
    try:
        with app.test_request_context():
            assert shown(other) == before
            assert shown(app) == before  # the second app's registrations neither duplicate nor reorder ours
    finally:
        vars(limiter).update(saved)
        with other.app_context():
            db.engine.dispose()


def _imported_modules(path: Path) -> set[str]:
    """Every module *path* imports, at the top or inside functions."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return modules


def test_create_app_imports_only_the_features_packages_and_app_wide_modules(root_path):
    app_dir = root_path / "app"
    packages = {p.name for p in app_dir.iterdir() if (p / "__init__.py").is_file()}
    reached: list[Any] = []
    for module in sorted(_imported_modules(app_dir / "__init__.py")):
        parts = module.split(".")
        if parts[0] != "app":
            continue
        # app.<feature> is the package itself; app.<feature>.<anything> reaches inside a feature.
        if len(parts) > 2 and parts[1] in packages:
            reached.append(module)
    assert reached == [], "create_app must call the features' init_app, not reach into their modules"
