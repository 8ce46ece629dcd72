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


class _PlainFormatter(logging.Formatter):
    """Plain text lines that still carry the request id, the reference the error page shows."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request_ref = f" request_id={request_id}" if request_id else ""
        return super().format(record)


def configure_logging(level: str, json_lines: bool, stream: object = None) -> None:
    """Send every log record to *stream* (stderr by default), one JSON object per line."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    if json_lines:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"}
            )
        )
    else:
        handler.setFormatter(_PlainFormatter("%(asctime)s %(levelname)s %(name)s %(message)s%(request_ref)s"))
    handler.addFilter(_ContextFilter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_atrium", False)]
    handler._atrium = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # pysaml2's schema library tells at INFO each time a schema it already has is asked for: noise.
    quiet = max(logging.getLevelName(level.upper()) if isinstance(level, str) else level, logging.WARNING)
    logging.getLogger("xmlschema").setLevel(quiet)


def log_requests(app: object) -> None:
    """Log one line per request: method, path, status, duration, request id and tenant."""
    import time

    from flask import Flask, Response, g, request

    assert isinstance(app, Flask)
    request_log = logging.getLogger("atrium.request")

    @app.before_request
    def _start_timer() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        if not request_log.isEnabledFor(logging.INFO):
            return response
        started = g.get("request_started")
        request_log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None,
                "remote_addr": request.remote_addr,
            },
        )
        return response
