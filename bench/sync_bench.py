"""HR sync: preview and apply a 100,000-row source with 1 % changes on one process, time and memory.

    .venv/bin/python bench/sync_bench.py                    # SQLite, 100,000 people, 1 % changed
    .venv/bin/python bench/sync_bench.py --postgres-admin-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/sync_bench.py --people 2000      # the smoke run

Builds a tenant with --people people (bulk rows: batched INSERTs, or COPY on a PostgreSQL database
of its own, ``atrium_bench_sync``, made with the owner and the application role, row-level security
on, the app connected as the application role), each in one of 40 locations, then a CSV export of
all of them in which --changed-percent have a new job title (half of those also a new department,
which the sync creates), a tenth of a percent have left and as many are new hires. It runs the sync
queue's two jobs in this process exactly as a worker does (``workers.runner.run_job``: tenant
restored, one commit): the preview (read the uploaded file, match, diff, store the changes) and the
apply (through the account operations: audited, events, rules; a commit per batch). Prints the
seconds, CPU seconds (of this process and, on PostgreSQL, of the database server's processes) and
SQL statements of each phase and the process's peak memory (the goal of issue 15: under 60 s in
all, under 500 MB).
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench_app import create_bench_app, database_cpu, prepare_database, sqlalchemy_url

SLUG = "syncbench"
BATCH = 5000
LOCATIONS = 40


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--changed-percent", type=float, default=1.0)
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url", help="an empty database (default: a fresh SQLite file in bench/.data)"
    )
    where.add_argument("--postgres-admin-url", help="make a fresh PostgreSQL database with it (RLS on)")
    parser.add_argument("--postgres-database", default="atrium_bench_sync")
    return parser.parse_args(argv)


def _location(i: int) -> str:
    return f"Store {i % LOCATIONS:02d}"


def bulk_people(tenant_id: int, people: int) -> None:
    """*people* people in their locations, in batches (never all the rows in memory at once)."""
    import generate

    from app.accounts.models import OrgUnit, User, new_session_token
    from app.tenancy.models import utcnow

    now = utcnow()
    units = [
        {"tenant_id": tenant_id, "name": _location(n), "kind": "location", "code": None, "parent_id": None,
         "created_at": now}
        for n in range(LOCATIONS)
    ]  # fmt: skip
    unit_ids = generate.insert_returning_ids(OrgUnit, units)
    for start in range(0, people, BATCH):
        generate.insert_rows(
            User,
            [
                {
                    "tenant_id": tenant_id,
                    "email": f"p{i}@bench.example",
                    "full_name": f"Person {i}",
                    "employee_id": f"E{i}",
                    "job_title": "Associate",
                    "org_unit_id": unit_ids[i % LOCATIONS],
                    "manager_id": None,
                    "locale": None,
                    "time_zone": None,
                    "hire_date": None,
                    "status": "active",
                    "attributes": {},
                    "password_hash": None,
                    "session_token": new_session_token(),
                    "created_at": now,
                    "updated_at": now,
                    "deactivated_at": None,
                }
                for i in range(start, min(people, start + BATCH))
            ],
        )


def export(people: int, changed_percent: float) -> bytes:
    """The HR system's CSV export: everyone, with the changes of the day."""
    every = max(int(100 / changed_percent), 1)
    out = io.StringIO()
    out.write("employee_id,email,full_name,job_title,location,department,status\n")
    for i in range(people):
        title = "Senior associate" if i % every == 0 else "Associate"
        department = "Operations" if i % (every * 2) == 0 else ""
        status = "terminated" if i % (every * 10) == 5 else "active"
        out.write(f"E{i},p{i}@bench.example,Person {i},{title},{_location(i)},{department},{status}\n")
    for i in range(people // 1000):
        out.write(f"N{i},n{i}@bench.example,New {i},Associate,{_location(i)},,active\n")
    return out.getvalue().encode()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    database_url, migration_url, platform_url = prepare_database(args, "sync.sqlite3")
    app = create_bench_app(database_url, migration_url, platform_url)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with app.app_context():
        from flask_migrate import upgrade
        from sqlalchemy import create_engine, event, text

        from app.actors import Actor, acting_as
        from app.console.services import create_tenant, ensure_platform_tenant
        from app.extensions import db
        from app.syncs.models import RunStatus, SyncRun, SyncSource
        from app.syncs.services.fields import default_mapping
        from app.tenancy import as_tenant
        from workers.runner import run_job

        upgrade()
        dialect = db.engine.dialect.name
        with acting_as(Actor(type="system", label="bench")):
            ensure_platform_tenant()
            tenant = create_tenant(SLUG, display_name="Sync bench")
            db.session.commit()
            tenant_id = tenant.id
            with as_tenant(tenant_id):
                started = time.perf_counter()
                bulk_people(tenant_id, args.people)
                db.session.commit()
                print(f"{args.people:,} people inserted ({dialect}) in {time.perf_counter() - started:.1f} s")
                source = SyncSource(
                    name="Bench HR", kind="csv", mapping=default_mapping(), terminated_values=["terminated"]
                )
                db.session.add(source)
                db.session.flush()
                run = SyncRun(source=source, upload=export(args.people, args.changed_percent))
                db.session.add(run)
                db.session.commit()
                run_id = run.id
        if dialect == "postgresql":
            owner = create_engine(sqlalchemy_url(migration_url), isolation_level="AUTOCOMMIT")
            with owner.connect() as connection:
                connection.execute(text("ANALYZE"))
            owner.dispose()
        engine = db.engine
        db.session.remove()
        statements = [0]

        def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if "set_config('app.tenant_id'" not in statement:
                statements[0] += 1

        event.listen(engine, "before_cursor_execute", count)
        admin_url = None
        if args.postgres_admin_url:
            from sqlalchemy.engine import make_url

            admin_url = make_url(sqlalchemy_url(args.postgres_admin_url)).set(database=args.postgres_database)
            admin_url = admin_url.render_as_string(hide_password=False)
        before = peak_mb()
        print(f"peak memory before the sync: {before:.0f} MB")
        phases: dict[str, tuple[float, float, float, int]] = {}
        for phase, job in (("preview", "preview_run"), ("apply", "apply_run")):
            statements[0] = 0
            server = database_cpu(admin_url)
            started, cpu = time.perf_counter(), time.process_time()
            run_job(tenant_id, f"app.syncs.jobs:{job}", [run_id], {})
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
            phases[phase] = (wall, cpu, database_cpu(admin_url) - server, statements[0])
            db.session.remove()
            with as_tenant(tenant_id):
                run = db.session.get(SyncRun, run_id)
                if phase == "preview":
                    if run.status != RunStatus.preview_ready.value:
                        raise SystemExit(f"the preview ended {run.status}: {run.error}")
                    print(f"preview: {run.rows_read:,} rows read:", dict(sorted(run.counts.items())))
                    run.status = RunStatus.applying.value  # what start_apply does before queueing the job
                    db.session.commit()
                else:
                    if run.status != RunStatus.applied.value:
                        raise SystemExit(f"the apply ended {run.status}: {run.error}")
                    print(f"apply: {run.rows_applied:,} changes applied, {run.rows_errors} errors")
                db.session.remove()
        event.remove(engine, "before_cursor_execute", count)
    print()
    title = f"HR sync, {args.people:,} rows, {args.changed_percent:g} % changed ({dialect})"
    print(f"| {title} | s | CPU s | server CPU s | SQL |")
    print("|---|---:|---:|---:|---:|")
    for phase, (wall, cpu, server, sql) in phases.items():
        shown = f"{server:.1f}" if admin_url else "—"
        print(f"| {phase} | {wall:.1f} | {cpu:.1f} | {shown} | {sql:,} |")
    wall, cpu, server, sql = (sum(p[i] for p in phases.values()) for i in range(4))
    shown = f"{server:.1f}" if admin_url else "—"
    print(f"| **total** | **{wall:.1f}** | {cpu:.1f} | {shown} | {sql:,.0f} |")
    print(f"\npeak memory of the process: {peak_mb():.0f} MB (before the sync: {before:.0f} MB)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
