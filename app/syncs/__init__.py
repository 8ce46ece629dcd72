"""HR system syncs: people arrive, move and leave as a source (a CSV file, BambooHR, Workday, a JSON
or CSV address) says, previewed as a diff first, applied on the sync queue, and rolled back if need be.

The readers of each kind of source live in ``app.syncs.readers``; this package matches, diffs,
applies and shows runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.syncs import models

if TYPE_CHECKING:
    from flask import Flask


def _panel_data() -> dict[str, Any]:
    from app.syncs.services import runs, sources

    return {"sources": [runs.summary(source) for source in sources.list_sources()]}


def init_app(app: Flask) -> None:
    """Register the HR syncs pages, their Integrations panel, the sealed secret and the audit sentences."""
    from app import sealing
    from app.integrations import Panel, register_panel
    from app.syncs import audit_sentences, views  # noqa: F401 - the sentences register themselves

    app.register_blueprint(views.bp)
    sealing.register(models.SyncSource, "secret_sealed", lambda row: row.secret_purpose)
    register_panel(app, Panel("syncs", 20, "syncs/_panel.html", _panel_data))
