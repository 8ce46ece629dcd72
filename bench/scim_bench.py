"""SCIM provisioning: how many people one process creates per second, and how fast lists and filters answer.

    .venv/bin/python bench/scim_bench.py          # SQLite in bench/.data: 10,000 creates, lists at 100,000
    .venv/bin/python bench/scim_bench.py --postgres-admin-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/scim_bench.py --users 200 --list-people 1000 --repeat 5   # the smoke run

Builds a fresh database with one tenant and a SCIM token (on PostgreSQL its own database,
``atrium_bench_scim``, with the owner and the application role, row-level security on, the app
connected as the application role), bulk-inserts people (as if an identity provider had provisioned
them before: each with its SCIM userName and externalId) so that the tenant holds --list-people
people once the creates are done, then POSTs --users people to /scim/v2/Users one by one through
Flask's test client (the whole request: token, validation, the accounts service, audit, events, the
operations log, one commit each). It reports creates per second overall and per tenth of the run (to
show whether it stays steady as the table grows), with the CPU time and the SQL statements per
create. Then it times --repeat requests of each list and filter an identity provider sends, at
--list-people people, and prints the median, the 95th percentile and the SQL statements per request.
The goals of issue 15: at least 100 creates a second sustained over 10,000 people, lists and filters
at 100,000 people.
"""

from __future__ import annotations

import argparse
import contextvars
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench_app import create_bench_app, database_cpu, prepare_database, sqlalchemy_url

SLUG = "scimbench"
BATCH = 5000
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
    parser.add_argument("--users", type=int, default=10_000, help="people created over SCIM (timed)")
    parser.add_argument(
        "--list-people",
        type=int,
        default=100_000,
        help="people in the tenant when lists are timed: the difference to --users is bulk-inserted first",
    )
    parser.add_argument("--repeat", type=int, default=20, help="requests timed for each list and filter")
    parser.add_argument(
        "--http",
        type=int,
        default=0,
        metavar="CLIENTS",
        help="create over HTTP instead: gunicorn (--workers sync workers, as production serves it) and "
        "CLIENTS connections sending at once, as a provisioning service does",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for --http")
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="profile 200 more creates; print N functions"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url", help="an empty database (default: a fresh SQLite file in bench/.data)"
    )
    where.add_argument("--postgres-admin-url", help="make a fresh PostgreSQL database with it (RLS on)")
    parser.add_argument("--postgres-database", default="atrium_bench_scim")
    return parser.parse_args(argv)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def new_person(n: int) -> dict[str, Any]:
    """The body of the n-th create, as Entra ID sends one."""
    return {
        "userName": f"person-{n}@bench.example",
        "externalId": f"ext-{n}",
        "name": {"givenName": "Person", "familyName": str(n)},
        "emails": [{"value": f"person-{n}@bench.example", "type": "work", "primary": True}],
        "title": f"Role {n % 50}",
    }


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def bulk_people(tenant_id: int, first: int, count: int) -> None:
    """*count* people numbered from *first*, each with the SCIM state a provider's create leaves."""
    import generate

    from app.accounts.models import User, new_session_token
    from app.scim.models import ScimUser
    from app.tenancy.models import utcnow

    now = utcnow()
    for start in range(first, first + count, BATCH):
        numbers = range(start, min(first + count, start + BATCH))
        people = [
            {
                "tenant_id": tenant_id,
                "email": f"person-{n}@bench.example",
                "full_name": f"Person {n}",
                "employee_id": None,
                "job_title": f"Role {n % 50}",
                "org_unit_id": None,
                "manager_id": None,
                "locale": None,
                "time_zone": None,
                "hire_date": None,
                "status": "deactivated" if n % 33 == 0 else "active",
                "attributes": {},
                "password_hash": None,
                "session_token": new_session_token(),
                "created_at": now,
                "updated_at": now,
                "deactivated_at": now if n % 33 == 0 else None,
            }
            for n in numbers
        ]
        ids = generate.insert_returning_ids(User, people)
        generate.insert_rows(
            ScimUser,
            [
                {
                    "tenant_id": tenant_id,
                    "user_id": user_id,
                    "user_name": f"person-{n}@bench.example",
                    "user_name_key": f"person-{n}@bench.example",
                    "external_id": f"ext-{n}",
                    "given_name": "Person",
                    "family_name": str(n),
                    "details": {"email_type": "work", "email_primary": True, "absent": []},
                    "version": 1,
                    "deleted_at": None,
                }
                for user_id, n in zip(ids, numbers, strict=True)
            ],
        )


class Statements:
    """Counts the SQL statements sent, without the two set_config calls row-level security adds."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.count = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        if "set_config('app.tenant_id'" not in statement:
            self.count += 1

    def close(self) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._seen)


def serial_report(
    args: argparse.Namespace,
    elapsed: float,
    cpu: float,
    server_cpu: float,
    per_create: float,
    admin_url: str | None,
    tenths: list[float],
) -> None:
    print(
        f"created {args.users:,} people in {elapsed:.1f} s: **{args.users / elapsed:.1f} creates/s** "
        f"({cpu / args.users * 1000:.1f} ms CPU each, {args.users / cpu:.0f} per CPU second; "
        f"{per_create:.1f} SQL statements each)"
    )
    if admin_url:
        both = cpu + server_cpu
        print(
            f"PostgreSQL server: {server_cpu / args.users * 1000:.1f} ms CPU per create; app and server "
            f"together {both / args.users * 1000:.1f} ms: {args.users / both:.0f} creates per CPU second"
        )
    print("creates/s per tenth of the run: " + ", ".join(f"{rate:.0f}" for rate in tenths))
    print(f"load average after the creates: {_load()}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    database_url, migration_url, platform_url = prepare_database(args, "scim-bench.sqlite3")
    app = create_bench_app(database_url, migration_url, platform_url)
    app.config["SCIM_RATE_LIMIT"] = "1000000 per second"
    bulk = max(0, args.list_people - args.users)
    print(f"load average before: {_load()}")
    with app.app_context():
        from flask_migrate import upgrade
        from sqlalchemy import create_engine, text

        from app.actors import Actor, acting_as
        from app.console.services import create_tenant, ensure_platform_tenant
        from app.extensions import db
        from app.scim import services
        from app.tenancy import as_tenant

        upgrade()
        dialect = db.engine.dialect.name
        with acting_as(Actor(type="system", label="bench")):
            ensure_platform_tenant()
            tenant = create_tenant(SLUG, display_name="SCIM bench")
            db.session.commit()
            with as_tenant(tenant):
                _token, secret = services.create_token("bench")
                db.session.commit()
                started = time.perf_counter()
                bulk_people(tenant.id, args.users, bulk)
                db.session.commit()
        print(f"{bulk:,} people bulk-inserted ({dialect}) in {time.perf_counter() - started:.1f} s")
        if dialect == "postgresql":
            owner = create_engine(sqlalchemy_url(migration_url), isolation_level="AUTOCOMMIT")
            with owner.connect() as connection:
                connection.execute(text("ANALYZE"))
            owner.dispose()
        engine = db.engine
        db.session.remove()
    client = app.test_client()
    host = f"{SLUG}.{app.config.get('ATRIUM_DOMAIN', 'localhost')}"
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/scim+json"}

    def call(method: str, path: str, body: Any = None, query: dict[str, Any] | None = None) -> Any:
        response = contextvars.Context().run(
            client.open,
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

    def create(n: int) -> None:
        call("POST", "/Users", new_person(n))

    call("GET", "/ServiceProviderConfig")  # the app's connection is open: its server process is counted
    statements = Statements(engine)
    admin_url = None
    if args.postgres_admin_url:
        from sqlalchemy.engine import make_url

        admin_url = make_url(sqlalchemy_url(args.postgres_admin_url)).set(database=args.postgres_database)
        admin_url = admin_url.render_as_string(hide_password=False)
    server_cpu = database_cpu(admin_url)
    if args.http:
        import scim_http

        urls = scim_http.Urls(database_url, migration_url, platform_url, admin_url)
        scim_http.create_over_http(args, urls, host, secret, new_person, _load)
    tenths: list[float] = []
    users = 0 if args.http else args.users
    started = chunk_started = time.perf_counter()
    cpu_started = time.process_time()
    chunk = max(1, args.users // 10)
    for n in range(users):
        create(n)
        if (n + 1) % chunk == 0:
            now = time.perf_counter()
            tenths.append(chunk / (now - chunk_started))
            chunk_started = now
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    server_cpu = database_cpu(admin_url) - server_cpu
    per_create = statements.count / max(1, args.users)
    if not args.http:
        serial_report(args, elapsed, cpu, server_cpu, per_create, admin_url, tenths)
    if args.profile:
        profile = cProfile.Profile(time.process_time)  # CPU time: steady on a busy machine
        profile.enable()
        for n in range(args.list_people + 1, args.list_people + 201):
            create(n)
        profile.disable()
        stats = pstats.Stats(profile).sort_stats("cumulative")
        stats.print_stats(args.profile)
        stats.print_stats(str(Path(__file__).resolve().parent.parent / "app"), args.profile)
        stats.sort_stats("tottime").print_stats(args.profile)
        if os.environ.get("PROFILE_DUMP"):
            stats.dump_stats(os.environ["PROFILE_DUMP"])
    total = args.list_people
    print()
    print(f"| request ({total:,} people) | median ms | p95 ms | SQL queries |")
    print("|---|---:|---:|---:|")
    timings: dict[str, list[float]] = {"list 100": [], **{name: [] for name in LISTS}}
    counts: dict[str, list[int]] = {name: [] for name in timings}

    def timed(name: str, query: dict[str, Any]) -> None:
        statements.count = 0
        begin = time.perf_counter()
        call("GET", "/Users", query=query)
        timings[name].append((time.perf_counter() - begin) * 1000)
        counts[name].append(statements.count)

    for i in range(args.repeat + 2):
        target = (i * 7919) % total
        timed("list 100", {"startIndex": 1 + target % max(1, total - 100), "count": 100})
        for name, expression in LISTS.items():
            timed(name, {"filter": expression.format(n=target), "count": 100})
        if i < 2:  # the first two rounds warm the caches
            for values in (*timings.values(), *counts.values()):
                values.clear()
    statements.close()
    for name, values in timings.items():
        print(
            f"| {name} | {statistics.median(values):.1f} | {_percentile(values, 0.95):.1f} | "
            f"{statistics.median(counts[name]):.0f} |"
        )
    print(f"\nload average after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
