"""Every cross-tenant read (``tenancy.unscoped``) is reviewed here and audited when it runs."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from app.actors import Actor, acting_as
from app.tenancy import unscoped

APP = Path(__file__).resolve().parents[2] / "app"

# Each reason, and why crossing tenants is right there. A new use fails the test below until it is
# added here: the reviewer decides whether it belongs on the platform path at all.
REVIEWED = {
    # The console (root domain, platform operators only): counts for the tenant list and the
    # suspend confirmation; which tenants have a library package, and how many.
    "platform console: active user count per tenant",
    "platform console: active people of the tenant about to be suspended",
    "platform console: deployments per library package",
    "platform console: which tenants have a library package",
    # Usage per tenant per month for chargeback: counts only, grouped by tenant, operators only.
    "platform console: usage per tenant for chargeback",
    # Publishing and deploying library content from the console: who already has the package.
    "library: which tenants already have a package",
}


def _unscoped_reasons() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name != "unscoped" or path.name == "context.py":
                continue
            where = f"{path.relative_to(APP.parent)}:{node.lineno}"
            assert node.args and isinstance(node.args[0], ast.Constant), f"{where}: give a literal reason"
            found[str(node.args[0].value)] = where
    return found


def test_every_cross_tenant_read_in_the_app_is_reviewed():
    found = _unscoped_reasons()
    unreviewed = {reason: where for reason, where in found.items() if reason not in REVIEWED}
    assert not unreviewed, f"review these cross-tenant reads and list them in REVIEWED: {unreviewed}"
    assert set(found) == REVIEWED, f"no longer used, remove from REVIEWED: {REVIEWED - set(found)}"


def test_a_cross_tenant_read_is_logged_as_a_warning_with_who_why_and_where(db, caplog):
    operator = Actor(type="user", id=7, label="ops@example.com", request_id="req-1")
    with (
        caplog.at_level(logging.WARNING, logger="atrium.tenancy"),
        acting_as(operator),
        unscoped("tests: count people everywhere"),
    ):
        pass
    (record,) = [r for r in caplog.records if getattr(r, "event", None) == "tenancy.cross_tenant"]
    assert record.levelno == logging.WARNING
    assert record.reason == "tests: count people everywhere"
    assert (record.actor, record.actor_id, record.request_id) == ("ops@example.com", 7, "req-1")
    assert record.caller.startswith(__file__)


def test_a_cross_tenant_read_needs_a_reason(db):
    with pytest.raises(ValueError), unscoped("  "):
        pass
