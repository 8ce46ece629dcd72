"""SCIM provisioning: how many people one process creates per second, and how fast lists and filters answer.

    .venv/bin/python bench/scim_bench.py                     # SQLite in bench/.data, 10,000 creates
    .venv/bin/python bench/scim_bench.py --users 200 --repeat 5   # the smoke run

Builds a fresh SQLite database with one tenant and a SCIM token, then POSTs --users people to
/scim/v2/Users one by one through Flask's test client (the whole request: token, validation, the
accounts service, audit, events, the operations log, one commit each), and reports creates per second
overall and per tenth of the run (to show whether it stays steady as the table grows). Then it times
--repeat requests of each list and filter an identity provider sends and prints the median and the 95th
percentile. The goal of issue 15 is at least 100 creates a second sustained over 10,000 people.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

from bench_app import DATA_DIR, create_bench_app

SLUG = "scimbench"
LISTS = {
    "userName eq": 'userName eq "person-{n}@bench.example"',
    "externalId eq": 'externalId eq "ext-{n}"',
    "emails[work] co": 'emails[type eq "work" and value co "person-{n}@"]',
    "title sw and active": 'title sw "Role 1" and active eq true',
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=10_000, help="people created over SCIM")
    parser.add_argument("--repeat", type=int, default=20, help="requests timed for each list and filter")
    return parser.parse_args(argv)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    database = DATA_DIR / "scim-bench.sqlite3"
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    app = create_bench_app(f"sqlite:///{database}")
    app.config["SCIM_RATE_LIMIT"] = "1000000 per second"
    with app.app_context():
        from flask_migrate import upgrade

        from app.console.services import create_tenant, ensure_platform_tenant
        from app.extensions import db
        from app.scim import services
        from app.tenancy import as_tenant

        upgrade()
        ensure_platform_tenant()
        tenant = create_tenant(SLUG, display_name="SCIM bench")
        db.session.commit()
        with as_tenant(tenant):
            _token, secret = services.create_token("bench")
            db.session.commit()
        db.session.remove()
    client = app.test_client()
    host = f"{SLUG}.{app.config.get('ATRIUM_DOMAIN', 'localhost')}"
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"}

    def call(method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        response = client.open(
            "/scim/v2" + path,
            method=method,
            base_url=f"http://{host}",
            headers=headers,
            data=None if body is None else json.dumps(body),
            query_string=query,
        )
        if response.status_code >= 400:
            raise SystemExit(
                f"{method} {path} answered {response.status_code}: {response.get_data(as_text=True)}"
            )
        return response

    tenths: list[float] = []
    started = chunk_started = time.perf_counter()
    chunk = max(1, args.users // 10)
    for n in range(args.users):
        call(
            "POST",
            "/Users",
            {
                "userName": f"person-{n}@bench.example",
                "externalId": f"ext-{n}",
                "name": {"givenName": "Person", "familyName": str(n)},
                "emails": [{"value": f"person-{n}@bench.example", "type": "work", "primary": True}],
                "title": f"Role {n % 50}",
            },
        )
        if (n + 1) % chunk == 0:
            now = time.perf_counter()
            tenths.append(chunk / (now - chunk_started))
            chunk_started = now
    elapsed = time.perf_counter() - started
    print(f"created {args.users} people in {elapsed:.1f} s: {args.users / elapsed:.1f} creates/s")
    print("creates/s per tenth of the run: " + ", ".join(f"{rate:.0f}" for rate in tenths))
    print()
    print("| request | median ms | p95 ms |")
    print("|---|---|---|")
    timings: dict[str, list[float]] = {"list 100": [], **{name: [] for name in LISTS}}
    for i in range(args.repeat):
        target = (i * 7919) % args.users
        begin = time.perf_counter()
        call("GET", "/Users", query={"startIndex": 1 + target % max(1, args.users - 100), "count": 100})
        timings["list 100"].append((time.perf_counter() - begin) * 1000)
        for name, expression in LISTS.items():
            begin = time.perf_counter()
            call("GET", "/Users", query={"filter": expression.format(n=target), "count": 100})
            timings[name].append((time.perf_counter() - begin) * 1000)
    for name, values in timings.items():
        print(f"| {name} | {statistics.median(values):.1f} | {_percentile(values, 0.95):.1f} |")
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
