"""Time the compliance pages in process against a generated dataset: the dashboard and the roll-up.

    .venv/bin/python bench/generate.py --size small && .venv/bin/python bench/compliance.py
    .venv/bin/python bench/compliance.py --manifest bench/.data/postgresql.json --repeat 50

Signs in as the bench manager (one location) and admin (the whole tenant) of the biggest tenant, as
bench/run.py does, warms each page up, then requests it --repeat times; prints median and p95 wall
time and SQL statements per request, and the slowest statement of each page. Then records the
tenant's weekly compliance snapshots once (the Monday job) and says how long that took.
The goal (issue 16): p95 under 100 ms for a location manager, under 300 ms for the whole-tenant roll-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench_app import LEARNER_PASSWORD, create_bench_app, manifest_path, read_manifest
from run import Browser, Recorder, measure, report

PAGES = [
    ("dashboard", "Compliance dashboard (manager)", "/team/compliance/", "manager"),
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
    parser.add_argument("--pages", default="", help="comma-separated page keys; all by default")
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
    pages = PAGES
    if args.pages:
        wanted = {key.strip() for key in args.pages.split(",") if key.strip()}
        if unknown := wanted - {key for key, *_ in pages}:
            raise SystemExit(f"unknown --pages: {', '.join(sorted(unknown))}")
        pages = [page for page in pages if page[0] in wanted]
    browsers: dict[str, Browser] = {}
    for who in {who for *_, who in pages}:
        browsers[who] = Browser(app, host)
        browsers[who].sign_in(tenant[f"{who}_email"], LEARNER_PASSWORD)
    load = os.getloadavg()
    results = [
        measure(browsers[who], recorder, name, path, args.warmup, args.repeat)
        for _key, name, path, who in pages
    ]
    print(report(manifest, tenant, results, load, args.show_sql))
    print(f"\nWeekly snapshots of {tenant['slug']}: {snapshot_seconds(app, tenant['slug']) * 1000:.0f} ms")
    with app.app_context():
        db.engine.dispose()
    return 0


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
