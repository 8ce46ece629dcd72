"""The shape of the code: no import cycles between packages, no god-modules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 600


def test_no_import_cycle_between_packages_or_modules_under_app() -> None:
    """import-linter's contracts (pyproject.toml): imports inside functions count, TYPE_CHECKING ones not."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_no_module_under_app_is_longer_than_600_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "app").rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these along their sections: {too_long}"
