"""CPU time per request of the main pages, in process, and where it goes: steady on a busy machine.

    .venv/bin/python bench/profile_pages.py --manifest bench/.data/postgresql.json
    .venv/bin/python bench/profile_pages.py --manifest ... --pages catalog,my-learning --profile 25

Signs in as run.py does (the bench learner, manager and admin of the biggest tenant, Flask's test
client, the Host header picks the tenant) and requests each page --repeat times after --warmup,
measuring the process's CPU time (time.process_time) of each request: the Python work of the page,
without the database server's time or waiting for a core another program holds. A busy machine
still slows that down (shared caches, clock speed), so the last column counts the Python function
calls of a request (cProfile, 20 requests): a number that does not move with the load, for
comparing two versions of a page. The first line is
a bare Flask hello-world through the same test client, the floor of what a request costs here; the
second a signed-in page of this script's own with only the layout and a heading, the floor of every
signed-in page (session, person and roles, tenant, CSRF, locale, navigation, layout template).
--profile N runs each page's requests once more under cProfile and prints its N most expensive
functions (cumulative and own time), for finding what to make faster.
"""

from __future__ import annotations

import argparse
import contextvars
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench_app import LEARNER_PASSWORD, create_bench_app, manifest_path, read_manifest
from run import Browser, pages_of


def cpu_times(request: Callable[[], Any], warmup: int, repeat: int) -> list[float]:
    """CPU seconds of each of *repeat* calls of *request*, after *warmup* calls; every answer must be 200."""
    for _ in range(warmup):
        if (status := request().status_code) != 200:
            raise SystemExit(f"answered {status}")
    times = []
    for _ in range(repeat):
        started = time.process_time()
        response = request()
        times.append(time.process_time() - started)
        if response.status_code != 200:
            raise SystemExit(f"answered {response.status_code}")
    return times


def calls_per_request(request: Callable[[], Any], repeat: int = 20) -> float:
    """Python function calls per request (cProfile's count): the same on a busy machine as on a quiet one."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        request()
    profiler.disable()
    return sum(entry[1] for entry in pstats.Stats(profiler).stats.values()) / repeat  # type: ignore[attr-defined]


def profile(request: Callable[[], Any], repeat: int, top: int) -> str:
    profiler = cProfile.Profile(time.process_time)  # CPU time, as the table: not waiting for the database
    profiler.enable()
    for _ in range(repeat):
        request()
    profiler.disable()
    if dump := os.environ.get("PROFILE_DUMP"):
        profiler.dump_stats(dump)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("cumulative").print_stats(r"/app/(?!.*site-packages)", top)  # this project's own code
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def hello_world_request() -> Callable[[], Any]:
    from flask import Flask

    hello = Flask("hello")
    hello.add_url_rule("/", "index", lambda: "Hello, World!")
    client = hello.test_client()
    return lambda: contextvars.Context().run(client.get, "/")


FLOOR_PAGE = ("floor", "Signed-in floor (the layout, a heading)", "/bench/floor", "learner")


def add_floor_page(app: Any) -> None:
    """A page of this process only: what every signed-in page costs before its own work."""
    from flask import render_template

    from app.accounts.access import require_sign_in

    template = app.jinja_env.from_string(  # compiled once, as a template file is
        '{% extends "layout.html" %}{% block title %}Floor{% endblock %}'
        "{% block content %}<h1>Floor</h1>{% endblock %}"
    )

    def floor() -> str:
        return render_template(template)

    app.add_url_rule("/bench/floor", "bench_floor", require_sign_in(floor))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--manifest", type=Path, default=manifest_path("sqlite"))
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument(
        "--pages", default="", help="comma-separated page keys (my-learning,catalog,…); all by default"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="print each page's N costliest functions"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    manifest = read_manifest(args.manifest)
    tenant = max(manifest["tenants"], key=lambda t: t["users"])
    app = create_bench_app(manifest["database_url"], manifest["migration_url"], manifest.get("platform_url"))
    add_floor_page(app)
    host = f"{tenant['slug']}.{app.config['ATRIUM_DOMAIN']}"
    pages = [FLOOR_PAGE, *pages_of(tenant, manifest["search_term"])]
    if args.pages:
        wanted = {key.strip() for key in args.pages.split(",") if key.strip()}
        if unknown := wanted - {key for key, *_ in pages}:
            raise SystemExit(f"unknown --pages: {', '.join(sorted(unknown))}")
        pages = [page for page in pages if page[0] in wanted]
    emails = {"learner": tenant["learner_email"]}
    emails.update({who: tenant[f"{who}_email"] for who in ("manager", "admin") if tenant.get(f"{who}_email")})
    browsers: dict[str, Browser] = {}
    for who in sorted({who for *_, who in pages}):
        browsers[who] = Browser(app, host)
        browsers[who].sign_in(emails[who], LEARNER_PASSWORD)
    for index, (key, name, path, who) in enumerate(pages):
        if key == "quiz":
            pages[index] = (key, name, browsers[who].post_and_follow(path, path + "/attempts"), who)

    load = os.getloadavg()
    hello = hello_world_request()
    rows = [
        (
            "bare Flask hello-world",
            "GET /",
            cpu_times(hello, args.warmup, args.repeat),
            calls_per_request(hello),
        )
    ]
    profiles = []
    for _key, name, path, who in pages:
        browser = browsers[who]

        def request(browser: Browser = browser, path: str = path) -> Any:
            return browser.request("get", path)

        rows.append(
            (name, f"GET {path}", cpu_times(request, args.warmup, args.repeat), calls_per_request(request))
        )
        if args.profile:
            profiles.append((name, profile(request, args.repeat, args.profile)))

    print(
        f"{manifest['dialect']}, {tenant['slug']} ({tenant['counts']['users']:,} users, "
        f"{tenant['counts']['courses']:,} courses); {args.repeat} requests a page after {args.warmup}; "
        f"load average {load[0]:.2f} before, {os.getloadavg()[0]:.2f} after.\n"
    )
    print("| page | request | CPU ms median | CPU ms mean | CPU ms p90 | Python calls |")
    print("|---|---|---:|---:|---:|---:|")
    for name, request_line, times, calls in rows:
        ordered = sorted(times)
        p90 = ordered[int(0.9 * (len(ordered) - 1))]
        print(
            f"| {name} | `{request_line}` | {statistics.median(times) * 1000:.2f} "
            f"| {statistics.fmean(times) * 1000:.2f} | {p90 * 1000:.2f} | {calls:,.0f} |"
        )
    for name, text in profiles:
        print(f"\n### {name}\n\n```\n{text}```")
    return 0


if __name__ == "__main__":
    sys.exit(main())
