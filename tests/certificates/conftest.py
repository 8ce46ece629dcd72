"""With Redis, certificates are issued by a real worker process: every test here has one running."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def certificates_worker(worker: Any) -> Any:
    return worker
