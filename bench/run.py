"""Time the main pages (learner, manager, admin) in process against a generated dataset.

    .venv/bin/python bench/generate.py && .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py --manifest bench/.data/postgresql.json --repeat 50 --pages team,people

Signs in as the bench learner, manager and admin of the biggest tenant with Flask's test client (the
Host header picks the tenant, as in production), starts the learner's quiz attempt, warms each page
up, then requests it --repeat times. Prints a Markdown table of median and p95 wall time per request
and SQL statements per request, then the slowest statement of each page (median time over the
runs) so a query that grows with the data shows itself.
"""

from __future__ import annotations

import argparse
import contextvars
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench_app import LEARNER_PASSWORD, create_bench_app, manifest_path, read_manifest

# Copying the tenant into PostgreSQL's transaction is bookkeeping, not a query a page asks for.
BOOKKEEPING = "set_config('app.tenant_id'"


@dataclass
class Statement:
    sql: str
    seconds: float
    parameters: Any = None


@dataclass
class Recorder:
    """Every SQL statement the engine runs while recording, with how long the cursor took."""

    recording: bool = False
    statements: list[Statement] = field(default_factory=list)
    _started: float = 0.0
    tenant_id: Any = None

    def before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self._started = time.perf_counter()

    def after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if BOOKKEEPING in statement:
            if parameters and parameters.get("tenant"):
                self.tenant_id = parameters
        elif self.recording:
            self.statements.append(Statement(statement, time.perf_counter() - self._started, parameters))


@dataclass
class Result:
    name: str
    path: str
    times: list[float]
    queries: list[int]
    statements: list[list[Statement]]

    def percentile(self, share: float) -> float:
        ordered = sorted(self.times)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    def slowest_statement(self) -> tuple[str, float]:
        """The statement with the highest median time across runs (by position in the request)."""
        runs = [run for run in self.statements if len(run) == len(self.statements[0])]
        best = ("", 0.0)
        for index in range(len(runs[0]) if runs else 0):
            median = statistics.median(run[index].seconds for run in runs)
            if median > best[1]:
                best = (runs[0][index].sql, median)
        return best


class Browser:
    """A test client bound to one tenant's host; each request runs in a fresh context, like a server's."""

    def __init__(self, app: Any, host: str) -> None:
        self.client = app.test_client()
        self.base_url = f"http://{host}"

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        call = getattr(self.client, method)
        return contextvars.Context().run(call, path, base_url=self.base_url, **kwargs)

    def csrf_token(self, path: str) -> str:
        page = self.request("get", path).get_data(as_text=True)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        if match is None:
            raise SystemExit(f"no CSRF token on {path}")
        return match.group(1)

    def sign_in(self, email: str, password: str) -> None:
        token = self.csrf_token("/sign-in")
        response = self.request(
            "post", "/sign-in", data={"email": email, "password": password, "csrf_token": token}
        )
        if response.status_code != 302:
            raise SystemExit(f"sign-in as {email} failed: {response.status_code}")

    def post_and_follow(self, form_page: str, path: str) -> str:
        """POST the form at *path* with the CSRF token of *form_page*; return where it redirects to."""
        response = self.request("post", path, data={"csrf_token": self.csrf_token(form_page)})
        if response.status_code not in (302, 303):
            raise SystemExit(f"POST {path} answered {response.status_code}, not a redirect")
        target = urlsplit(response.headers["Location"])
        return target.path + (f"?{target.query}" if target.query else "")


def pages_of(tenant: dict[str, Any], search_term: str) -> list[tuple[str, str, str, str]]:
    """(key, name, path, who) of every page in http_bench.py's order (the quiz: its lesson, until started)."""
    pages = [
        ("my-learning", "My learning", "/", "learner"),
        ("catalog", "Catalog", "/catalog", "learner"),
        ("search", "Catalog search", f"/catalog?q={search_term}", "learner"),
    ]
    if tenant.get("learner_course_id"):
        pages.append(("course", "Course page", f"/courses/{tenant['learner_course_id']}", "learner"))
    if lesson := tenant.get("learner_lesson"):
        path = f"/learn/{lesson['enrollment_id']}/lessons/{lesson['lesson_id']}"
        pages.append(("lesson", "Lesson page", path, "learner"))
    if quiz := tenant.get("learner_quiz"):
        path = f"/learn/{quiz['enrollment_id']}/lessons/{quiz['lesson_id']}"
        pages.append(("quiz", "Quiz attempt", path, "learner"))
    if tenant.get("manager_email"):
        pages.append(("team", "My team (manager)", "/team/", "manager"))
    if tenant.get("admin_email"):
        pages.append(("people", "People (admin)", "/admin/users", "admin"))
        if policy := tenant.get("policy"):
            path = f"/admin/policies/{policy['policy_id']}/versions/{policy['version_id']}"
            pages.append(("policy-report", "Policies report (admin)", path, "admin"))
    return pages


def measure(browser: Browser, recorder: Recorder, name: str, path: str, warmup: int, repeat: int) -> Result:
    for _ in range(warmup):
        response = browser.request("get", path)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
    result = Result(name, path, [], [], [])
    for _ in range(repeat):
        recorder.statements = []
        recorder.recording = True
        started = time.perf_counter()
        response = browser.request("get", path)
        elapsed = time.perf_counter() - started
        recorder.recording = False
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}")
        result.times.append(elapsed)
        result.queries.append(len(recorder.statements))
        result.statements.append(recorder.statements)
    return result


def explain(engine: Any, tenant_id: Any, statement: Statement) -> str:
    """PostgreSQL's plan of *statement* as it ran (EXPLAIN ANALYZE), as the app role under the tenant."""
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT set_config('app.tenant_id', %(tenant)s, true)", tenant_id)
        rows = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.parameters)
        plan = "\n".join(row[0] for row in rows)
        connection.rollback()
    return plan


def one_line(sql: str, limit: int) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def report(
    manifest: dict[str, Any],
    tenant: dict[str, Any],
    results: list[Result],
    load: tuple[float, ...],
    show_sql: bool,
) -> str:
    totals = manifest["totals"]
    lines = [
        f"Database: {manifest['dialect']}; dataset generated {manifest['generated_at'][:10]} "
        f"({manifest['arguments']['tenants']} tenants, {totals['users']:,} users, {totals['courses']:,} "
        f"courses, {totals['lessons']:,} lessons, {totals['enrollments']:,} enrolments, "
        f"{totals['lesson_progress']:,} lesson progress rows).",
        f"Signed in as {tenant['learner_email']} in {tenant['slug']} "
        f"({tenant['counts']['users']:,} users, {tenant['counts']['courses']:,} courses, "
        f"{tenant['counts']['enrollments']:,} enrolments).",
        f"{os.cpu_count()} CPUs; load average {load[0]:.2f} before the runs, {os.getloadavg()[0]:.2f} after.",
        "",
        "| page | request | median ms | p95 ms | SQL queries |",
        "|---|---|---:|---:|---:|",
    ]
    for result in results:
        low, high = min(result.queries), max(result.queries)
        queries = str(low) if low == high else f"{low}–{high}"
        lines.append(
            f"| {result.name} | `GET {result.path}` | {statistics.median(result.times) * 1000:.1f} "
            f"| {result.percentile(0.95) * 1000:.1f} | {queries} |"
        )
    lines += ["", "Slowest statement per page (median over the runs):", ""]
    for result in results:
        sql, seconds = result.slowest_statement()
        lines.append(f"- {result.name}: {seconds * 1000:.1f} ms — `{one_line(sql, 160)}`")
    if show_sql:
        for result in results:
            lines += ["", f"### {result.name}: every statement of the last run", ""]
            lines += [f"- {s.seconds * 1000:.2f} ms `{one_line(s.sql, 400)}`" for s in result.statements[-1]]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--manifest", type=Path, default=manifest_path("sqlite"))
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--show-sql", action="store_true", help="list every statement of each page")
    parser.add_argument(
        "--explain",
        type=float,
        default=None,
        metavar="MS",
        help="on PostgreSQL, print EXPLAIN ANALYZE of every statement of the last run slower than MS",
    )
    parser.add_argument(
        "--pages", default="", help="comma-separated page keys (my-learning,catalog,…); all by default"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    manifest = read_manifest(args.manifest)
    tenant = max(manifest["tenants"], key=lambda t: t["users"])
    app = create_bench_app(manifest["database_url"], manifest["migration_url"], manifest.get("platform_url"))
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    recorder = Recorder()
    event.listen(engine, "before_cursor_execute", recorder.before)
    event.listen(engine, "after_cursor_execute", recorder.after)

    host = f"{tenant['slug']}.{app.config['ATRIUM_DOMAIN']}"
    pages = pages_of(tenant, manifest["search_term"])
    if args.pages:
        wanted = {key.strip() for key in args.pages.split(",") if key.strip()}
        if unknown := wanted - {key for key, *_ in pages}:
            raise SystemExit(f"unknown --pages: {', '.join(sorted(unknown))}")
        pages = [page for page in pages if page[0] in wanted]
    emails = {"learner": tenant["learner_email"]}
    emails.update({who: tenant[f"{who}_email"] for who in ("manager", "admin") if tenant.get(f"{who}_email")})
    browsers: dict[str, Browser] = {}
    for who in {who for *_, who in pages}:
        browsers[who] = Browser(app, host)
        browsers[who].sign_in(emails[who], LEARNER_PASSWORD)
    for index, (key, name, path, who) in enumerate(pages):
        if key == "quiz":
            # Start (or go back to) the learner's attempt, as the quiz lesson's button does.
            pages[index] = (key, name, browsers[who].post_and_follow(path, path + "/attempts"), who)
    load = os.getloadavg()
    results = [
        measure(browsers[who], recorder, name, path, args.warmup, args.repeat)
        for _key, name, path, who in pages
    ]
    print(report(manifest, tenant, results, load, args.show_sql))
    if args.explain is not None and manifest["dialect"] == "postgresql":
        for result in results:
            for statement in result.statements[-1]:
                if statement.seconds * 1000 >= args.explain:
                    print(f"\n### {result.name}: {statement.seconds * 1000:.1f} ms\n")
                    print(one_line(statement.sql, 2000), "\n")
                    print(explain(engine, recorder.tenant_id, statement))
    with app.app_context():
        db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
