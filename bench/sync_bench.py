"""HR sync: preview and apply a 100,000-row source with 1 % changes on one process, time and memory.

    .venv/bin/python bench/sync_bench.py                    # SQLite, 100,000 people, 1 % changed
    .venv/bin/python bench/sync_bench.py --people 2000      # the smoke run

Builds a tenant with --people people (bulk INSERTs), then a CSV export of all of them in which
--changed-percent have a new job title (half of those also a new department), plus a few hires and
leavers; previews it as a run (read, match, diff, store the changes) and applies it through the
account operations (audited, events, rules), exactly as a sync worker does. Prints the seconds of
each phase and the process's peak memory (the goal: under 60 s in all, under 500 MB).
"""

from __future__ import annotations

import argparse
import csv
import io
import resource
import sys
import time
from pathlib import Path

from bench_app import DATA_DIR, create_bench_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--changed-percent", type=float, default=1.0)
    args = parser.parse_args(argv)

    path = DATA_DIR / "sync.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = create_bench_app(f"sqlite:///{path}")
    with app.app_context():
        from flask_migrate import upgrade
        from sqlalchemy import insert

        from app.accounts.models import User
        from app.console.services import create_tenant, ensure_platform_tenant
        from app.extensions import db
        from app.syncs.models import SyncRun, SyncSource
        from app.syncs.services import apply as applying
        from app.syncs.services import preview as previewing
        from app.syncs.services.fields import default_mapping
        from app.tenancy import as_tenant

        upgrade()
        ensure_platform_tenant()
        tenant = create_tenant("syncbench", display_name="Sync bench")
        db.session.commit()
        with as_tenant(tenant):
            started = time.perf_counter()
            rows = [
                {
                    "tenant_id": tenant.id,
                    "email": f"p{i}@bench.example",
                    "full_name": f"Person {i}",
                    "employee_id": f"E{i}",
                    "job_title": "Associate",
                    "status": "active",
                    "attributes": {},
                    "session_token": f"t{i}",
                }
                for i in range(args.people)
            ]
            for start in range(0, len(rows), 5000):
                db.session.execute(insert(User), rows[start : start + 5000])
            db.session.commit()
            del rows
            print(f"{args.people} people inserted in {time.perf_counter() - started:.1f} s")
            # The readers' own parsing is not what is measured: the rows come from csv.DictReader.
            source = SyncSource(
                name="Bench HR", kind="csv", mapping=default_mapping(), terminated_values=["terminated"]
            )
            db.session.add(source)
            db.session.commit()
            every = max(int(100 / args.changed_percent), 1)
            out = io.StringIO()
            out.write("employee_id,email,full_name,job_title,department,status\n")
            for i in range(args.people):
                title = "Senior associate" if i % every == 0 else "Associate"
                department = "Operations" if i % (every * 2) == 0 else ""
                status = "terminated" if i % (every * 10) == 5 else "active"
                out.write(f"E{i},p{i}@bench.example,Person {i},{title},{department},{status}\n")
            for i in range(args.people // 1000):
                out.write(f"N{i},n{i}@bench.example,New {i},Associate,,active\n")
            upload = out.getvalue().encode()
            del out

            started = time.perf_counter()
            run = SyncRun(source=source)
            db.session.add(run)
            db.session.flush()
            data = list(csv.DictReader(io.StringIO(upload.decode())))
            read = time.perf_counter() - started
            previewing.preview(run, data)
            run.status = "preview_ready"
            db.session.commit()
            del data
            preview = time.perf_counter() - started
            print(
                f"preview: {run.rows_read} rows read in {read:.1f} s, diff stored in {preview:.1f} s:",
                run.counts,
            )
            started = time.perf_counter()
            run = applying.apply_changes(run)
            applied = time.perf_counter() - started
            print(f"apply: {run.rows_applied} changes ({run.rows_errors} errors) in {applied:.1f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {preview + applied:.1f} s; peak memory {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
