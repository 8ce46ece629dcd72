"""One JSON object per log line, carrying the request id and tenant."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        from flask import g, has_request_context

        from app.tenancy.context import current_tenant_id

        if has_request_context():
            record.request_id = getattr(g, "request_id", None)
        record.tenant_id = current_tenant_id()
        return True


def configure_logging(level: str, json_lines: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"})
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_atrium", False)]
    handler._atrium = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
