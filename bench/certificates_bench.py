"""Certificates: how many one worker issues per second, and how fast the verify page answers.

    .venv/bin/python bench/certificates_bench.py                      # SQLite, 100,000 awards, 100 issued
    .venv/bin/python bench/certificates_bench.py --postgres-admin-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/certificates_bench.py --awards 200 --issue 5 --repeat 20   # the smoke run

Builds a tenant and --awards certificate rows in a fresh database (bulk INSERTs, not through the job;
all but --issue of them already issued), then (a) runs the certificates queue's job
(``issue_certificate``: render the PDF, sign it with PAdES, sign the Open Badges credential, store
it, one commit) in this process for --issue certificates, exactly as a worker does, and reports
certificates per second split into render / sign / badge / store; (b) requests
``/verify/<serial>`` of random issued certificates --repeat times with Flask's test client and prints
the median and the 95th percentile, and the SQL statements the page sends.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench_app import DATA_DIR, create_bench_app, sqlalchemy_url

SLUG = "certbench"
PHASES = ("render", "sign", "badge", "store")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--awards", type=int, default=100_000, help="certificate rows in the tenant")
    parser.add_argument("--issue", type=int, default=100, help="certificates the job renders and signs")
    parser.add_argument("--warmup", type=int, default=3, help="jobs and verify requests before timing")
    parser.add_argument("--repeat", type=int, default=200, help="verify page requests timed")
    parser.add_argument("--holders", type=int, default=50, help="people the awards are spread over")
    parser.add_argument("--seed", type=int, default=13)
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url", help="an empty database (default: a fresh SQLite file in bench/.data)"
    )
    where.add_argument("--postgres-admin-url", help="make a fresh PostgreSQL database with it (RLS on)")
    parser.add_argument("--postgres-database", default="atrium_bench_certificates")
    parser.add_argument("--explain", action="store_true", help="print the verify lookup's query plan")
    return parser.parse_args(argv)


def prepare_database(args: argparse.Namespace) -> tuple[str, str, str | None]:
    if args.postgres_admin_url:
        from app.tenancy.postgres import drop_database, prepare_database

        drop_database(args.postgres_admin_url, args.postgres_database)
        urls = prepare_database(args.postgres_admin_url, args.postgres_database)
        return urls.app, urls.owner, urls.platform
    if args.database_url:
        url = sqlalchemy_url(args.database_url)
        return url, url, None
    path = DATA_DIR / "certificates.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}", f"sqlite:///{path}", None


def bench_logo(tenant_id: int) -> str:
    """A portal logo, as a tenant admin would upload it: every certificate carries it."""
    import io

    from PIL import Image, ImageDraw

    from app.storage import storage
    from app.tenancy.branding import clean_logo

    image = Image.new("RGB", (360, 120), "#1d4ed8")
    ImageDraw.Draw(image).ellipse((20, 20, 100, 100), fill="#f59e0b")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return storage().save(tenant_id, "branding", *clean_logo(buffer.getvalue()))


def build(args: argparse.Namespace, rng: random.Random) -> tuple[int, list[int], list[str]]:
    """The tenant, the ids of the certificates still to issue, and the serials of issued ones."""
    from sqlalchemy import insert

    from app.accounts.services import create_user
    from app.actors import Actor, acting_as
    from app.certificates import serials
    from app.certificates.models import Certificate
    from app.console.services import create_tenant, ensure_platform_tenant
    from app.extensions import db
    from app.tenancy import as_tenant

    with acting_as(Actor(type="system", label="bench")):
        ensure_platform_tenant()
        tenant = create_tenant(SLUG, "Certificate Bench Co", audience="employees")
        db.session.commit()
        with as_tenant(tenant.id):
            tenant.branding = {**(tenant.branding or {}), "logo": bench_logo(tenant.id)}
            holders = [
                create_user(f"holder{n}@{SLUG}.example", f"Holder Number {n}") for n in range(args.holders)
            ]
            db.session.flush()
            now = datetime.now(UTC).replace(microsecond=0)
            seen: set[str] = set()
            rows = []
            for index in range(args.awards):
                serial = serials.new_serial()
                while serial in seen:
                    serial = serials.new_serial()
                seen.add(serial)
                holder = holders[index % len(holders)]
                awarded = now - timedelta(days=rng.randint(0, 700))
                issued = index >= args.issue
                rows.append(
                    {
                        "tenant_id": tenant.id,
                        "serial": serial,
                        "record_id": index + 1,
                        "cycle": 1,
                        "user_id": holder.id,
                        "certification_id": 1 + index % 5,
                        "holder_name": holder.full_name,
                        "title": f"Food Handler {1 + index % 5}",
                        "awarded_at": awarded,
                        "expires_at": awarded + timedelta(days=730),
                        "expiring_since": None,
                        "revoked_at": now if index % 97 == 0 else None,
                        "revocation_reason": "Bench revocation" if index % 97 == 0 else None,
                        "pdf_sha256": f"{rng.getrandbits(256):064x}" if issued else None,
                        "pdf_key": None,
                        "pdf_kid": None,
                        "badge": None,
                        "status_index": index,
                        "created_at": awarded,
                        "issued_at": awarded if issued else None,
                    }
                )
            for start in range(0, len(rows), 5000):
                db.session.execute(
                    insert(Certificate).execution_options(render_nulls=True), rows[start : start + 5000]
                )
            db.session.commit()
            ids = [
                row[0]
                for row in db.session.execute(
                    Certificate.__table__.select()
                    .with_only_columns(Certificate.__table__.c.id)
                    .where(Certificate.__table__.c.pdf_sha256.is_(None))
                    .order_by(Certificate.__table__.c.id)
                )
            ]
            db.session.commit()
    issued_serials = [row["serial"] for row in rows if row["pdf_sha256"] is not None]
    return tenant.id, ids, issued_serials


def timed(totals: dict[str, float], phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[phase] += time.perf_counter() - started
            totals[f"{phase} cpu"] += time.process_time() - cpu

    return wrapper


def issue(tenant_id: int, ids: list[int], warmup: int) -> tuple[float, dict[str, float], int]:
    """Run the job for each id as the worker does; the timed seconds, per phase, and how many were timed."""
    from app.certificates import badges, documents, jobs
    from workers.runner import run_job

    totals = dict.fromkeys([*PHASES, *(f"{p} cpu" for p in PHASES)], 0.0)
    # Split the job's time by wrapping the functions it calls (the job looks them up on the modules).
    originals = {
        "html": documents.html_to_pdf,
        "cert_html": documents.certificate_html,
        "sign": documents.sign_pdf,
        "badge": badges.issue_badge,
    }
    documents.html_to_pdf = timed(totals, "render", originals["html"])
    documents.certificate_html = timed(totals, "render", originals["cert_html"])
    documents.sign_pdf = timed(totals, "sign", originals["sign"])
    jobs.badges.issue_badge = timed(totals, "badge", originals["badge"])
    try:
        for certificate_id in ids[:warmup]:
            run_job(tenant_id, "app.certificates.jobs:issue_certificate", [certificate_id], {})
        for phase in totals:
            totals[phase] = 0.0
        timed_ids = ids[warmup:]
        started, cpu = time.perf_counter(), time.process_time()
        for certificate_id in timed_ids:
            digest = run_job(tenant_id, "app.certificates.jobs:issue_certificate", [certificate_id], {})
            if not digest:
                raise SystemExit(f"certificate {certificate_id} was not issued")
        elapsed = time.perf_counter() - started
        totals["cpu"] = time.process_time() - cpu
    finally:
        documents.html_to_pdf = originals["html"]
        documents.certificate_html = originals["cert_html"]
        documents.sign_pdf = originals["sign"]
        badges.issue_badge = originals["badge"]
    totals["store"] = elapsed - totals["render"] - totals["sign"] - totals["badge"]
    totals["store cpu"] = totals["cpu"] - sum(totals[f"{p} cpu"] for p in PHASES[:-1])
    return elapsed, totals, len(timed_ids)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def verify_page(app: Any, serials: list[str], args: argparse.Namespace, rng: random.Random) -> None:
    import contextvars

    from sqlalchemy import event

    from app.extensions import db

    host = f"{SLUG}.{app.config['ATRIUM_DOMAIN']}"
    client = app.test_client()
    statements: list[str] = []

    lookup: list[tuple[str, Any]] = []

    def count(conn: Any, cursor: Any, statement: str, parameters: Any, *rest: Any) -> None:
        if "set_config('app.tenant_id'" not in statement:
            statements.append(statement)
            if "FROM certificates" in statement and not lookup:
                lookup.append((statement, parameters))

    def get(path: str) -> Any:
        return contextvars.Context().run(client.get, path, base_url=f"http://{host}")

    for serial in rng.sample(serials, min(args.warmup, len(serials))):
        assert get(f"/verify/{serial}").status_code == 200
    with app.app_context():
        engine = db.engine
    times: list[float] = []
    queries: list[int] = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for serial in rng.choices(serials, k=args.repeat):
            statements.clear()
            started = time.perf_counter()
            response = get(f"/verify/{serial}")
            times.append(time.perf_counter() - started)
            queries.append(len(statements))
            if response.status_code != 200 or b"Holder Number" not in response.data:
                raise SystemExit(f"/verify/{serial} answered {response.status_code} without the holder")
        statements.clear()
        unknown = get("/verify/0000-0000-0000-0000-0")
        if unknown.status_code != 404:
            raise SystemExit(f"an unknown serial answered {unknown.status_code}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    print()
    print(
        f"| verify page (`GET /verify/<serial>`, {args.awards:,} awards) | median ms | p95 ms | SQL queries |"
    )
    print("|---|---:|---:|---:|")
    print(
        f"| in process (test client), {len(times)} requests | {statistics.median(times) * 1000:.1f} | "
        f"{percentile(times, 0.95) * 1000:.1f} | {statistics.median(queries):.0f} |"
    )
    if args.explain and lookup:
        explain(engine, *lookup[0])


def explain(engine: Any, statement: str, parameters: Any) -> None:
    """The plan of the verify page's lookup, exactly as the ORM sent it (the tenant filter included)."""
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN ANALYZE" if postgres else "EXPLAIN QUERY PLAN"
    print()
    print(f"{prefix} of the verify page's lookup:")
    print("   ", " ".join(statement.split()))
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        cursor = raw.cursor()
        if postgres:
            tenant = parameters.get("tenant_id_1") if isinstance(parameters, dict) else None
            cursor.execute("SELECT set_config('app.tenant_id', %s, false)", (str(tenant),))
        cursor.execute(f"{prefix} {statement}", parameters)
        for row in cursor.fetchall():
            print("   ", " ".join(str(cell) for cell in row))
        cursor.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.issue < 1 or args.awards < args.issue + args.warmup + 1:
        raise SystemExit("--awards must exceed --issue + --warmup, and --issue be at least 1")
    rng = random.Random(args.seed)  # noqa: S311 - reproducible bench data, not secrets
    database_url, migration_url, platform_url = prepare_database(args)
    app = create_bench_app(database_url, migration_url, platform_url)
    app.config["RATELIMIT_ENABLED"] = False
    from app.extensions import limiter

    limiter.enabled = False  # the verify page's limit is per client; the bench is one client
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with app.app_context():
        from flask_migrate import upgrade

        from app.extensions import db

        upgrade()
        started = time.perf_counter()
        tenant_id, to_issue, issued = build(args, rng)
        built = time.perf_counter() - started
        print(f"{args.awards:,} awards in tenant {SLUG} ({db.engine.dialect.name}) in {built:.1f}s")
        if db.engine.dialect.name == "postgresql":
            from sqlalchemy import create_engine, text

            owner = create_engine(migration_url, isolation_level="AUTOCOMMIT")
            with owner.connect() as connection:
                connection.execute(text("ANALYZE"))
            owner.dispose()
        warmup = min(args.warmup, len(to_issue) - 1)
        elapsed, phases, count = issue(tenant_id, to_issue, warmup)
        print()
        print(f"| issue job, one process, {count} certificates | ms each | CPU ms each | share |")
        print("|---|---:|---:|---:|")
        for phase in PHASES:
            wall, cpu = phases[phase] / count * 1000, phases[f"{phase} cpu"] / count * 1000
            print(f"| {phase} | {wall:.1f} | {cpu:.1f} | {phases[phase] / elapsed:.0%} |")
        print(
            f"| **total** | {elapsed / count * 1000:.1f} | {phases['cpu'] / count * 1000:.1f} | "
            f"**{count / elapsed:.1f} certificates/s** ({count / phases['cpu']:.1f} per CPU second) |"
        )
        db.session.remove()
    verify_page(app, issued, args, rng)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
