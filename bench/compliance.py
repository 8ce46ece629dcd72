"""Time the compliance pages and a report's CSV export in process against a generated dataset.

    .venv/bin/python bench/generate.py --size small && .venv/bin/python bench/compliance.py
    .venv/bin/python bench/compliance.py --manifest bench/.data/postgresql.json --repeat 50
    .venv/bin/python bench/compliance.py --manifest bench/.data/postgresql.json --pages none --csv-memory

Signs in as the bench manager (one location) and admin (the whole tenant) of the biggest tenant, as
bench/run.py does, warms each page up, then requests it --repeat times; prints median and p95 wall
time and SQL statements per request, and the slowest statement of each page. Then records the
tenant's weekly compliance snapshots once (the Monday job) and says how long that took, and exports
a report as CSV as the admin (``--csv-report``, the assessment attempts by default: the biggest one
the generator makes), reading the streamed response to its end: rows, seconds, rows per second and
how much the process's peak memory grew (``--csv-memory`` adds a second export under tracemalloc,
which counts the Python memory it held at its peak; slower, so not timed).
The goals (issue 16): p95 under 100 ms for a location manager, under 300 ms for the whole-tenant
roll-up, a 1,000,000-row CSV in under 20 s in constant memory.
"""

from __future__ import annotations

import argparse
import contextvars
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

from bench_app import LEARNER_PASSWORD, create_bench_app, manifest_path, read_manifest
from run import Browser, Recorder, explain, measure, one_line, report

PAGES = [
    ("dashboard", "My team: compliance dashboard (manager)", "/team/", "manager"),
    ("dashboard-overdue", "My team, overdue only (manager)", "/team/?status=overdue", "manager"),
    # The roll-up's drill-down: an admin opens the manager's location, then the region above it.
    ("dashboard-location", "My team, one location (admin)", "/team/?location={location}", "admin"),
    ("dashboard-region", "My team, one region (admin)", "/team/?location={region}", "admin"),
    ("rollup-manager", "Compliance by location (manager)", "/team/compliance/locations", "manager"),
    ("rollup-admin", "Compliance by location (admin, whole tenant)", "/team/compliance/locations", "admin"),
    (
        "rollup-tree",
        "Compliance by location as a tree (admin)",
        "/team/compliance/locations?view=tree",
        "admin",
    ),
]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--manifest", type=Path, default=manifest_path("sqlite"))
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--show-sql", action="store_true", help="list every statement of each page")
    parser.add_argument(
        "--explain",
        type=float,
        default=None,
        metavar="MS",
        help="on PostgreSQL, print EXPLAIN ANALYZE of every statement of the last run slower than MS",
    )
    parser.add_argument(
        "--pages", default="", help="comma-separated page keys; all by default; none: only the CSV"
    )
    parser.add_argument(
        "--csv-report", default="attempts", help="the report exported as CSV (a key); none: no export"
    )
    parser.add_argument("--csv-memory", action="store_true", help="export again under tracemalloc")
    parser.add_argument(
        "--csv-python",
        action="store_true",
        help="on PostgreSQL too, write the CSV's rows in Python (not with COPY), to compare the two",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    manifest = read_manifest(args.manifest)
    tenant = max(manifest["tenants"], key=lambda t: t["users"])
    if not tenant.get("manager_email") or not tenant.get("admin_email"):
        raise SystemExit("the dataset has no bench manager or admin: generate it again")
    app = create_bench_app(manifest["database_url"], manifest["migration_url"], manifest.get("platform_url"))
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    recorder = Recorder()
    event.listen(engine, "before_cursor_execute", recorder.before)
    event.listen(engine, "after_cursor_execute", recorder.after)
    host = f"{tenant['slug']}.{app.config['ATRIUM_DOMAIN']}"
    pages = [(key, name, path.format(**manager_units(app, tenant)), who) for key, name, path, who in PAGES]
    if args.pages == "none":
        pages = []
    elif args.pages:
        wanted = {key.strip() for key in args.pages.split(",") if key.strip()}
        if unknown := wanted - {key for key, *_ in pages}:
            raise SystemExit(f"unknown --pages: {', '.join(sorted(unknown))}")
        pages = [page for page in pages if page[0] in wanted]
    browsers: dict[str, Browser] = {}
    csv_report = "" if args.csv_report == "none" else args.csv_report
    for who in {who for *_, who in pages} | ({"admin"} if csv_report else set()):
        browsers[who] = Browser(app, host)
        browsers[who].sign_in(tenant[f"{who}_email"], LEARNER_PASSWORD)
    load = os.getloadavg()
    results = [
        measure(browsers[who], recorder, name, path, args.warmup, args.repeat)
        for _key, name, path, who in pages
    ]
    if results:
        print(report(manifest, tenant, results, load, args.show_sql))
    if args.explain is not None and manifest["dialect"] == "postgresql":
        for result in results:
            for statement in result.statements[-1]:
                if statement.seconds * 1000 >= args.explain:
                    print(f"\n### {result.name}: {statement.seconds * 1000:.1f} ms\n")
                    print(one_line(statement.sql, 3000), "\n")
                    print(explain(engine, recorder.tenant_id, statement))
    if results:
        print(
            f"\nWeekly snapshots of {tenant['slug']}: {snapshot_seconds(app, tenant['slug']) * 1000:.0f} ms"
        )
    if csv_report and args.csv_python:
        from app.reports import csv_copy

        csv_copy.copied_rows = lambda *args: None  # type: ignore[assignment]  # the Python path only
    if csv_report:
        load_now = os.getloadavg()[0]
        writer = "Python" if args.csv_python or manifest["dialect"] != "postgresql" else "PostgreSQL's COPY"
        print(
            f"\nCSV export of the {csv_report!r} report as {tenant['admin_email']}, rows written by {writer} "
            f"(load {load_now:.2f}):"
        )
        timed = export_csv(browsers["admin"], csv_report)
        print(timed.line())
        if args.csv_memory:
            tracemalloc.start()
            traced = export_csv(browsers["admin"], csv_report)
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"under tracemalloc: {traced.rows:,} rows, peak Python memory {peak / 2**20:.1f} MiB")
    with app.app_context():
        db.engine.dispose()
    return 0


def manager_units(app: object, tenant: dict) -> dict[str, int]:
    """The bench manager's location and the region above it (the roll-up's drill-down targets)."""
    from sqlalchemy import select

    from app.accounts.models import OrgUnit, User
    from app.extensions import db
    from app.tenancy import as_tenant

    with app.app_context():  # type: ignore[attr-defined]
        with as_tenant(tenant["tenant_id"]):
            location = db.session.scalar(
                select(User.org_unit_id).where(User.email == tenant["manager_email"])
            )
            region = db.session.scalar(select(OrgUnit.parent_id).where(OrgUnit.id == location))
        db.session.remove()
    return {"location": location or 0, "region": region or location or 0}


class Export:
    """What one CSV export took: rows, bytes, wall seconds, and the growth of the process's peak RSS."""

    def __init__(self, rows: int, size: int, seconds: float, cpu: float, rss_growth_kib: int) -> None:
        self.rows, self.size, self.seconds, self.cpu = rows, size, seconds, cpu
        self.rss_growth_kib = rss_growth_kib

    def line(self) -> str:
        rate = self.rows / self.seconds if self.seconds else 0.0
        return (
            f"{self.rows:,} rows, {self.size / 2**20:.1f} MiB in {self.seconds:.1f} s "
            f"({rate:,.0f} rows/s; {self.cpu:.1f} s of this process's CPU); "
            f"peak RSS grew by {self.rss_growth_kib / 1024:.1f} MiB "
            f"(to {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB)"
        )


def export_csv(browser: Browser, key: str) -> Export:
    """POST the report's CSV export as the export button does and read the streamed answer to its end."""
    token = browser.csrf_token(f"/reports/{key}")

    def read() -> Export:
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started, cpu_started = time.perf_counter(), time.process_time()
        response = browser.client.post(
            f"/reports/{key}/export",
            base_url=browser.base_url,
            data={"csrf_token": token, "format": "csv"},
            buffered=False,
        )
        if response.status_code != 200:
            raise SystemExit(f"the {key} export answered {response.status_code}")
        lines = size = 0
        for chunk in response.iter_encoded():
            lines += chunk.count(b"\n")
            size += len(chunk)
        response.close()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before
        # Four lines of heading and the column names, then a line per row (no cell here has a newline).
        return Export(max(0, lines - 5), size, elapsed, cpu, growth)

    return contextvars.Context().run(read)


def snapshot_seconds(app: object, slug: str) -> float:
    """How long the Monday job takes for the tenant *slug* (written, then rolled back)."""
    from sqlalchemy import select

    from app.compliance.rollup import record_snapshots
    from app.extensions import db
    from app.tenancy import as_tenant
    from app.tenancy.models import Tenant

    with app.app_context():  # type: ignore[attr-defined]
        found = db.session.scalars(select(Tenant).where(Tenant.slug == slug)).one()
        with as_tenant(found):
            started = time.perf_counter()
            record_snapshots(tenant=found)
            elapsed = time.perf_counter() - started
        db.session.rollback()
    return elapsed


if __name__ == "__main__":
    sys.exit(main())
