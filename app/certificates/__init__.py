"""Certificates: the signed PDF of each certification award, its Open Badge, and the public verify page."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def init_app(app: Flask) -> None:
    """Register certificates: the verify page, the holder's downloads, key rotation, the award subscribers."""
    from app import sealing
    from app.certificates import (
        cli,
        keys,
        models,
        subscribers,  # noqa: F401 - awards issue certificates, revocations revoke them
        views,
    )

    sealing.register(
        models.SigningKey,
        "private_key_encrypted",
        lambda row: keys.sealing_purpose(row.tenant_id, row.purpose, row.kid),
        keys.open_row,
    )
    app.register_blueprint(views.bp)
    app.cli.add_command(cli.group)
