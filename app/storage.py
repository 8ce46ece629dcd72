"""File storage behind one interface: local files under the instance folder by default."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from flask import current_app

_KEY_RE = re.compile(r"^tenants/\d+/[a-z0-9_-]+/[0-9a-f]{32}\.[a-z0-9]{1,8}$")


class LocalStorage:
    """Store bytes under ``<root>/tenants/<tenant id>/<category>/<random>.<ext>``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, tenant_id: int, category: str, data: bytes, extension: str) -> str:
        """Write *data* and return its key."""
        key = f"tenants/{int(tenant_id)}/{category}/{uuid.uuid4().hex}.{extension.lower()}"
        if not _KEY_RE.match(key):
            raise ValueError(f"unsafe storage key {key!r}")
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return key

    def read(self, key: str, *, tenant_id: int) -> bytes | None:
        """Return the bytes under *key* if it belongs to *tenant_id*, else None."""
        if not _KEY_RE.match(key) or not key.startswith(f"tenants/{int(tenant_id)}/"):
            return None
        path = self.root / key
        return path.read_bytes() if path.is_file() else None


def storage() -> LocalStorage:
    root = Path(current_app.config.get("UPLOAD_ROOT") or Path(current_app.instance_path) / "uploads")
    return LocalStorage(root)
