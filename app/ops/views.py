"""Health and readiness endpoints for load balancers and orchestrators."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.extensions import db, limiter

bp = Blueprint("ops", __name__)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Answer 200 while the process is alive.

    Requests do not reach this view: ``app/ops/liveness.py`` answers them where they enter the
    application. It stays for ``url_for`` and for the tests that walk the URL map.
    """
    return jsonify(status="ok")


def _check_database() -> dict[str, object]:
    try:
        db.session.execute(text("SELECT 1"))
        return {"ok": True}
    except Exception as exc:  # any failure means not ready; report it
        return {"ok": False, "error": type(exc).__name__}


def _check_redis_and_workers() -> tuple[dict[str, object], dict[str, object]]:
    if not current_app.config.get("REDIS_URL"):
        return {"ok": True, "mode": "not configured"}, {"ok": True, "mode": "inline"}
    from rq import Worker

    from app.jobs import redis_connection

    try:
        connection = redis_connection()
        connection.ping()
    except Exception as exc:  # any failure means not ready; report it
        return {"ok": False, "error": type(exc).__name__}, {"ok": False, "error": "redis unavailable"}
    max_age = current_app.config["WORKER_HEARTBEAT_MAX_AGE"]
    now = datetime.now(UTC)
    alive = []
    for worker in Worker.all(connection=connection):
        beat = worker.last_heartbeat
        if beat is None:
            continue
        if beat.tzinfo is None:
            beat = beat.replace(tzinfo=UTC)
        if (now - beat).total_seconds() <= max_age:
            alive.append(worker.name)
    workers: dict[str, object] = {"ok": bool(alive), "alive": len(alive)}
    if not alive:
        workers["error"] = f"no worker heartbeat in the last {max_age} seconds"
    return {"ok": True}, workers


@bp.route("/readyz")
@limiter.exempt
def readyz():
    """Report database, Redis and worker health as JSON; 503 when any check fails."""
    database = _check_database()
    redis, workers = _check_redis_and_workers()
    checks = {"database": database, "redis": redis, "workers": workers}
    ready = all(c["ok"] for c in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
