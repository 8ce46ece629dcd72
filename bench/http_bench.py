"""Measure Atrium's pages over HTTP, served by gunicorn, beside a bare Flask hello-world served the same way.

    .venv/bin/python bench/generate.py --postgres-admin-url postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/http_bench.py                      # the manifest bench/.data/postgresql.json
    .venv/bin/python bench/http_bench.py --manifest bench/.data/sqlite.json --duration 3s --pages catalog,team
    .venv/bin/python bench/http_bench.py --output results.md --json results.json
    .venv/bin/python bench/http_bench.py --soak 5m                  # worker memory under a mix of pages
    .venv/bin/python bench/http_bench.py --app-root ../before --manifest ../before/bench/.data/postgresql.json

Starts gunicorn twice with the same settings (sync workers): Atrium (wsgi:app) against the database of
the manifest, and bench/hello_world.py. Signs in over HTTP (GET /sign-in, POST it with its CSRF token)
as the bench learner, the location manager and the tenant admin of the biggest tenant, starts a quiz
attempt with a POST, fetches every page once (each must answer 200), then drives each page with wrk
(--warmup, then --duration; the Host and Cookie headers come from bench/wrk_report.lua). Prints one
Markdown table: requests per second, latency percentiles, responses that were not 2xx, and the share
of the hello-world's requests per second; then the resident memory of each Atrium worker before the first
page and after the last. Both servers are stopped at the end, on Ctrl-C too.

--soak DURATION drives a mix of the signed-in pages for DURATION instead, and reports the memory of each
worker at the start, every --soak-interval (a minute) and at the end. --app-root PATH serves the Atrium of
another checkout (an older commit in a git worktree, say) with the same settings, for before/after tables.

Named http_bench.py, not http.py: Python puts bench/ first on the path of `python bench/<script>.py`,
and a bench/http.py would then shadow the standard library's http package for every script here.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench_app import BENCH_DIR, DATA_DIR, LEARNER_PASSWORD, ROOT, manifest_path, read_manifest
from served_app import (
    MemorySample,
    NotAnAtriumCheckout,
    clock,
    describe_checkout,
    imported_app_file,
    memory_change,
    memory_table,
    parse_duration,
    pythonpath_for,
    sample_workers,
    watch_memory,
)

LUA_SCRIPT = BENCH_DIR / "wrk_report.lua"
SOCKET_ERRORS = ("connect_errors", "read_errors", "write_errors", "timeouts")
CSRF_PATTERNS = (
    re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"'),
    re.compile(r'name="csrf_token" value="([^"]+)"'),
)


class BenchmarkFailed(SystemExit):
    """Stop the run with a message (servers are still stopped on the way out)."""


# -- gunicorn ---------------------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_gunicorn(
    name: str, app_spec: str, args: argparse.Namespace, env: dict[str, str], root: Path = ROOT
) -> Server:
    """Start gunicorn serving *app_spec* of the checkout at *root* on a free local port, in its own
    process group."""
    port = free_port()
    log = DATA_DIR / f"gunicorn-{name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(args.workers),
        "--worker-class",
        "sync",
        # gunicorn kills a sync worker busy for longer (30 s by default): slow pages on a busy machine.
        "--timeout",
        str(args.worker_timeout),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(root),
        "--log-level",
        "warning",
        app_spec,
    ]
    with log.open("wb") as output:
        # A session of its own: Ctrl-C reaches this script, which then stops gunicorn in order.
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, cwd=root, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Server(name, process, port, log)


def wait_until_serving(server: Server, path: str, host: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchmarkFailed(f"gunicorn ({server.name}) exited at start:\n{server.log_tail()}")
        try:
            status, _headers, _body = request(server.port, host, "GET", path)
        except OSError:
            time.sleep(0.2)
            continue
        if status == 200:
            return
        raise BenchmarkFailed(f"gunicorn ({server.name}): GET {path} answered {status}\n{server.log_tail()}")
    raise BenchmarkFailed(
        f"gunicorn ({server.name}) did not answer within {seconds:.0f}s\n{server.log_tail()}"
    )


def stop(server: Server) -> None:
    """Stop gunicorn gracefully (SIGTERM to the master), then kill its process group if it lingers."""
    process = server.process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # workers left behind by a master that died
    if process.poll() is None:
        process.wait(timeout=5)


@contextmanager
def serving(servers: list[Server]) -> Iterator[None]:
    """Stop every server on the way out: normal end, failure, Ctrl-C or SIGTERM."""

    def terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        for server in servers:
            stop(server)
        signal.signal(signal.SIGTERM, previous)


# -- HTTP as a browser does it ----------------------------------------------------------------------------


def request(
    port: int,
    host: str,
    method: str,
    path: str,
    *,
    cookie: str = "",
    form: dict[str, str] | None = None,
    timeout: float = 120,
) -> tuple[int, http.client.HTTPMessage, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {"Host": host}
        if cookie:
            headers["Cookie"] = cookie
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()


class Browser:
    """One signed-in person at one tenant's host: keeps the cookies the server sets."""

    def __init__(self, server: Server, host: str) -> None:
        self.server = server
        self.host = host
        self.cookies: dict[str, str] = {}

    @property
    def cookie(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def send(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, Any, str]:
        status, headers, body = request(
            self.server.port, self.host, method, path, cookie=self.cookie, form=form
        )
        for header in headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            expired = "max-age=0" in header.lower().replace(" ", "") or not value
            if expired:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value
        return status, headers, body

    def csrf_token(self, path: str) -> str:
        status, _headers, page = self.send("GET", path)
        if status != 200:
            raise BenchmarkFailed(f"GET {path} answered {status} (looking for a CSRF token)")
        for pattern in CSRF_PATTERNS:
            if match := pattern.search(page):
                return match.group(1)
        raise BenchmarkFailed(f"no CSRF token on {path}")

    def sign_in(self, email: str, password: str) -> None:
        token = self.csrf_token("/sign-in")
        status, headers, _body = self.send(
            "POST", "/sign-in", {"email": email, "password": password, "csrf_token": token}
        )
        if status not in (302, 303) or "/sign-in" in (headers.get("Location") or ""):
            raise BenchmarkFailed(f"sign-in as {email} failed: {status}\n{self.server.log_tail()}")

    def post_and_follow(self, form_page: str, path: str) -> str:
        """POST the form at *path* with the CSRF token of *form_page*; return where it redirects to."""
        status, headers, _body = self.send("POST", path, {"csrf_token": self.csrf_token(form_page)})
        location = headers.get("Location") or ""
        if status not in (302, 303) or not location:
            raise BenchmarkFailed(f"POST {path} answered {status}, not a redirect\n{self.server.log_tail()}")
        target = urlsplit(location)
        return target.path + (f"?{target.query}" if target.query else "")


# -- wrk --------------------------------------------------------------------------------------------------


@dataclass
class Page:
    key: str
    name: str
    path: str
    who: str  # "anonymous", "learner", "manager" or "admin"
    server: str = "atrium"


@dataclass
class Result:
    key: str
    name: str
    path: str
    who: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    non_2xx: int
    first_non_2xx: int
    socket_errors: dict[str, int] = field(default_factory=dict)
    share_of_hello: float | None = None
    # Resident memory (KiB) of each Atrium worker, by pid, once the page's run is over.
    worker_rss_kib: dict[int, int] = field(default_factory=dict)


def wrk_command(args: argparse.Namespace, port: int, path: str, duration: str) -> list[str]:
    return [
        "wrk",
        "--threads",
        str(args.threads),
        "--connections",
        str(args.connections),
        "--duration",
        duration,
        "--timeout",
        args.timeout,
        "--script",
        str(LUA_SCRIPT),
        f"http://127.0.0.1:{port}{path}",
    ]


def wrk_result(path: str, stdout: str, stderr: str) -> dict[str, Any]:
    for line in stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            data: dict[str, Any] = json.loads(line.removeprefix("BENCH-JSON "))
            return data
    raise BenchmarkFailed(f"wrk printed no result for {path}:\n{stdout}\n{stderr}")


def run_wrk(args: argparse.Namespace, port: int, host: str, cookie: str, path: str, duration: str) -> dict:
    env = {**os.environ, "BENCH_HOST": host, "BENCH_COOKIE": cookie}
    completed = subprocess.run(  # noqa: S603 - wrk with our own arguments
        wrk_command(args, port, path, duration), env=env, capture_output=True, text=True, check=False
    )
    return wrk_result(path, completed.stdout, completed.stderr)


def settle(server: Server, host: str, path: str, workers: int) -> None:
    """Wait until the workers have finished what wrk left queued (sync workers still serve requests
    whose connection wrk closed at the end of its run), so the next page is not measured behind them.

    One request per worker at once: the listen queue is first in, first out, so when all of them
    have answered, every worker is past the leftovers.
    """
    # Leftovers of a slow page can take minutes: connections × seconds per request ÷ workers. Daemon
    # threads, joined in short steps, so that Ctrl-C or SIGTERM still stops the run at once.
    threads = [
        threading.Thread(target=request, args=(server.port, host, "GET", path), kwargs={"timeout": 1800})
        for _n in range(workers)
    ]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)


def measure(
    args: argparse.Namespace, page: Page, server: Server, host: str, cookie: str, idle_path: str
) -> Result:
    if args.warmup and args.warmup not in ("0", "0s"):
        run_wrk(args, server.port, host, cookie, page.path, args.warmup)
        settle(server, host, idle_path, args.workers)
    data = run_wrk(args, server.port, host, cookie, page.path, args.duration)
    settle(server, host, idle_path, args.workers)
    seconds = data["duration_us"] / 1e6
    return Result(
        key=page.key,
        name=page.name,
        path=page.path,
        who=page.who,
        requests=data["requests"],
        seconds=seconds,
        rps=data["requests"] / seconds if seconds else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        mean_ms=data["mean_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        non_2xx=data["non_2xx"],
        first_non_2xx=data["first_non_2xx"],
        socket_errors={k: data[k] for k in SOCKET_ERRORS if data[k]},
    )


# -- the run ----------------------------------------------------------------------------------------------


def pages_of(tenant: dict[str, Any], search_term: str) -> list[Page]:
    """Every page measured, in table order; the quiz attempt's path is known only once it is started."""
    missing = [
        key
        for key in ("manager_email", "admin_email", "learner_lesson", "learner_quiz", "policy")
        if not tenant.get(key)
    ]
    if missing or not tenant.get("learner_course_id"):
        raise BenchmarkFailed(
            f"the manifest lacks {', '.join(missing) or 'learner_course_id'}: "
            "generate the dataset again with this version of bench/generate.py"
        )
    lesson, quiz, policy = tenant["learner_lesson"], tenant["learner_quiz"], tenant["policy"]
    return [
        Page("hello", "bare Flask hello-world", "/", "anonymous", server="hello"),
        Page("healthz", "`/healthz`", "/healthz", "anonymous"),
        Page("my-learning", "My learning", "/", "learner"),
        Page("catalog", "Catalog", "/catalog", "learner"),
        Page("search", "Catalog search", f"/catalog?q={search_term}", "learner"),
        Page("course", "Course page", f"/courses/{tenant['learner_course_id']}", "learner"),
        Page(
            "lesson",
            "Lesson page",
            f"/learn/{lesson['enrollment_id']}/lessons/{lesson['lesson_id']}",
            "learner",
        ),
        Page(
            "quiz", "Quiz attempt", f"/learn/{quiz['enrollment_id']}/lessons/{quiz['lesson_id']}", "learner"
        ),
        Page("team", "My team (manager)", "/team/", "manager"),
        Page("people", "People (admin)", "/admin/users", "admin"),
        Page(
            "policy-report",
            "Policies report (admin)",
            f"/admin/policies/{policy['policy_id']}/versions/{policy['version_id']}",
            "admin",
        ),
    ]


def atrium_environment(manifest: dict[str, Any], root: Path = ROOT) -> dict[str, str]:
    """The environment production would give gunicorn, pointed at the bench database; no Redis.

    Another checkout (--app-root) gets an instance folder of its own (its compiled templates apart) and
    comes first on the path, ahead of the editable install of this one.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "MIGRATION_DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ATRIUM_DOMAIN")
    }
    instance = DATA_DIR / "instance"
    if root != ROOT:
        instance = DATA_DIR / f"instance-{hashlib.sha256(str(root).encode()).hexdigest()[:10]}"
        env["PYTHONPATH"] = pythonpath_for(root, env)
    key_file = instance / "secret_key"
    if not key_file.exists():
        # Every worker must read the same key (a session signed by one is read by the other).
        instance.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    env.update(
        DATABASE_URL=manifest["database_url"],
        MIGRATION_DATABASE_URL=manifest["migration_url"],
        ATRIUM_INSTANCE_PATH=str(instance),
        ATRIUM_DOMAIN="localhost",
        # One log line per request would be measured along with the request (as in bench/run.py).
        LOG_LEVEL="WARNING",
    )
    return env


def describe(
    manifest: dict[str, Any], tenant: dict[str, Any], args: argparse.Namespace, checkout: str
) -> list[str]:
    totals = manifest["totals"]
    arguments = manifest["arguments"]
    counts = tenant["counts"]
    if args.soak:
        load = f"a mix of {args.soak_pages} signed-in pages for {args.soak}"
    else:
        load = f"{args.duration} per page after a {args.warmup} warm-up"
    return [
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {socket.gethostname()}: {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}, {manifest['dialect']}"
        + (" (application role, row-level security on)" if manifest["dialect"] == "postgresql" else "")
        + ".",
        f"Atrium served from `{args.app_root}`" + (f", commit {checkout}." if checkout else "."),
        f"Dataset `--size {arguments.get('size', 'default')}` generated {manifest['generated_at'][:10]}: "
        f"{arguments['tenants']} tenant(s), {totals['users']:,} users, {totals['courses']:,} courses, "
        f"{totals['enrollments']:,} enrolments; measured in {tenant['slug']} "
        f"({counts['users']:,} users, {counts['courses']:,} courses, {counts['enrollments']:,} enrolments).",
        f"gunicorn: {args.workers} sync workers; wrk: {args.threads} threads, "
        f"{args.connections} connections, {load}.",
    ]


def table(results: list[Result]) -> list[str]:
    lines = [
        "| page | request | req/s | p50 ms | p95 ms | p99 ms | non-2xx | share of hello-world |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        share = "" if r.share_of_hello is None else f"{r.share_of_hello * 100:.1f} %"
        who = "" if r.who == "anonymous" else f" as {r.who}"
        if not r.requests:
            lines.append(f"| {r.name} | `GET {r.path}`{who} | 0 | — | — | — | {r.non_2xx:,} | {share} |")
            continue
        lines.append(
            f"| {r.name} | `GET {r.path}`{who} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p95_ms:.1f} "
            f"| {r.p99_ms:.1f} | {r.non_2xx:,} | {share} |"
        )
    return lines


def memory_report(samples: list[MemorySample], each_page: bool) -> list[str]:
    """The Markdown under the table: each Atrium worker's memory, first and last (or every) sample."""
    shown = samples if each_page else [samples[0], samples[-1]]
    return [
        "",
        "Resident memory (RSS, MiB) of each Atrium worker:",
        "",
        *memory_table(shown),
        "",
        f"Growth {memory_change(samples[0], samples[-1])}.",
    ]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--manifest", type=Path, default=manifest_path("postgresql"))
    parser.add_argument(
        "--app-root",
        type=Path,
        default=ROOT,
        help="serve the Atrium of this checkout (e.g. a git worktree of an older commit), same settings",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (both apps)")
    parser.add_argument(
        "--worker-timeout",
        type=int,
        default=300,
        help="gunicorn --timeout: seconds before a busy worker is killed",
    )
    parser.add_argument("--connections", type=int, default=20, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", default="10s", help="wrk duration per page (wrk syntax: 10s, 1m)")
    parser.add_argument("--warmup", default="2s", help="wrk run before each page's, not counted; 0 for none")
    parser.add_argument("--timeout", default="30s", help="wrk: a response slower than this is an error")
    parser.add_argument(
        "--pages",
        help="comma-separated keys to measure (default all): "
        "healthz, my-learning, catalog, search, course, lesson, quiz, team, people, policy-report",
    )
    parser.add_argument(
        "--memory-each-page",
        action="store_true",
        help="print the workers' memory after every page, not only before the first and after the last",
    )
    parser.add_argument(
        "--soak",
        metavar="DURATION",
        help="instead of the table: drive a mix of the signed-in pages for DURATION (5m, 1h) and report "
        "each worker's memory at the start, every --soak-interval and at the end",
    )
    parser.add_argument("--soak-interval", default="1m", help="how often --soak samples memory (default 1m)")
    parser.add_argument("--output", type=Path, help="also write the Markdown to this file")
    parser.add_argument("--json", type=Path, help="also write every number as JSON to this file")
    args = parser.parse_args(argv)
    if args.connections < args.threads:
        parser.error("wrk needs at least as many connections as threads")
    for option in ("soak", "soak_interval"):
        value = getattr(args, option)
        try:
            if value is not None and parse_duration(value) <= 0:
                raise ValueError(f"{value!r} is not a positive duration")
        except ValueError as error:
            parser.error(f"--{option.replace('_', '-')}: {error}")
    args.app_root = args.app_root.resolve()
    return args


def soak(
    args: argparse.Namespace, atrium: Server, host: str, pages: list[Page], browsers: dict[str, Browser]
) -> tuple[dict[str, Any], list[MemorySample]]:
    """Drive the signed-in *pages* in turn for --soak, sampling the workers' memory as it goes."""
    mix = "\n".join(f"{page.path}\t{browsers[page.who].cookie}" for page in pages)
    env = {**os.environ, "BENCH_HOST": host, "BENCH_COOKIE": "", "BENCH_MIX": mix}
    samples = [MemorySample("0:00 (start)", 0.0, sample_workers(atrium.process.pid))]
    started = time.monotonic()
    with subprocess.Popen(  # noqa: S603 - wrk with our own arguments
        # In whole seconds: wrk reads "90s" but not every way of writing a duration ("1m30s").
        wrk_command(args, atrium.port, pages[0].path, f"{parse_duration(args.soak):.0f}s"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as wrk:
        # wrk writes little until it ends, so its pipes cannot fill up while memory is sampled.
        samples += watch_memory(atrium.process.pid, wrk, parse_duration(args.soak_interval))
        stdout, stderr = wrk.communicate()
    settle(atrium, host, "/healthz", args.workers)
    ended = time.monotonic() - started
    samples.append(MemorySample(f"{clock(ended)} (end)", ended, sample_workers(atrium.process.pid)))
    return wrk_result("the soak", stdout, stderr), samples


def soak_report(data: dict[str, Any], samples: list[MemorySample]) -> list[str]:
    seconds = data["duration_us"] / 1e6
    rps = data["requests"] / seconds if seconds else 0.0
    lines = [
        "",
        f"{data['requests']:,} requests in {seconds:.0f} s ({rps:,.1f} req/s); "
        f"p50 {data['p50_us'] / 1000:.1f} ms, p95 {data['p95_us'] / 1000:.1f} ms, "
        f"p99 {data['p99_us'] / 1000:.1f} ms; {data['non_2xx']:,} non-2xx.",
        "",
        "Resident memory (RSS, MiB) of each Atrium worker (m:ss since the start of the mix):",
        "",
        *memory_table(samples),
        "",
        f"Growth {memory_change(samples[0], samples[-1])}.",
    ]
    if len(samples) > 2:
        # The first minute fills the caches (templates, the SQL statement cache): flat means flat after it.
        lines.append(f"Growth {memory_change(samples[1], samples[-1])}.")
    return lines


def write_json(
    path: Path, args: argparse.Namespace, manifest: dict[str, Any], tenant: dict[str, Any], **more: Any
) -> None:
    settings = (
        "workers",
        "worker_timeout",
        "connections",
        "threads",
        "duration",
        "warmup",
        "timeout",
        "soak",
    )
    document = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "app_root": str(args.app_root),
        "app_commit": describe_checkout(args.app_root),
        "settings": {k: getattr(args, k) for k in settings},
        "dialect": manifest["dialect"],
        "dataset": {"arguments": manifest["arguments"], "totals": manifest["totals"]},
        "tenant": {"slug": tenant["slug"], "counts": tenant["counts"]},
        **more,
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        raise BenchmarkFailed("wrk is not installed: run scripts/ensure-system-packages (Debian package wrk)")
    manifest = read_manifest(args.manifest)
    tenant = max(manifest["tenants"], key=lambda t: t["users"])
    host = f"{tenant['slug']}.localhost"
    pages = pages_of(tenant, manifest["search_term"])
    if args.pages:
        wanted = {key.strip() for key in args.pages.split(",") if key.strip()}
        unknown = wanted - {p.key for p in pages}
        if unknown:
            raise BenchmarkFailed(f"unknown --pages: {', '.join(sorted(unknown))}")
        pages = [p for p in pages if p.key in wanted or p.key == "hello"]
    if args.soak:
        pages = [p for p in pages if p.who != "anonymous"]
        if not pages:
            raise BenchmarkFailed("--soak needs at least one signed-in page in --pages")
        args.soak_pages = len(pages)
    atrium_env = atrium_environment(manifest, args.app_root)
    try:
        imported_app_file(args.app_root, atrium_env)
    except NotAnAtriumCheckout as error:
        raise BenchmarkFailed(str(error)) from None
    checkout = describe_checkout(args.app_root)

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    servers: list[Server] = []
    with serving(servers):
        started = time.perf_counter()
        servers.append(start_gunicorn("atrium", "wsgi:app", args, atrium_env, root=args.app_root))
        atrium = servers[0]
        if not args.soak:
            servers.append(start_gunicorn("hello", "bench.hello_world:app", args, env))
        wait_until_serving(atrium, "/healthz", host)
        for hello in servers[1:]:
            wait_until_serving(hello, "/", "localhost")
        print(
            f"gunicorn up in {time.perf_counter() - started:.1f}s (logs: "
            + ", ".join(str(server.log) for server in servers)
            + ")",
            flush=True,
        )

        browsers = {"anonymous": Browser(atrium, host)}
        for who in ("learner", "manager", "admin"):
            browsers[who] = Browser(atrium, host)
            browsers[who].sign_in(tenant[f"{who}_email"], LEARNER_PASSWORD)
        for page in pages:
            if page.key == "quiz":
                # Start (or go back to) the learner's attempt, as the quiz lesson's button does.
                page.path = browsers["learner"].post_and_follow(page.path, page.path + "/attempts")
                if not page.path.startswith("/attempts/"):
                    raise BenchmarkFailed(f"starting the quiz attempt led to {page.path}, not an attempt")
        for page in pages:
            server, page_host = (servers[-1], "localhost") if page.server == "hello" else (atrium, host)
            browser = browsers[page.who]
            status, _headers, body = request(server.port, page_host, "GET", page.path, cookie=browser.cookie)
            if status != 200:
                raise BenchmarkFailed(
                    f"GET {page.path} as {page.who} answered {status}, not 200:\n{body[:500]}\n"
                    f"{server.log_tail()}"
                )

        load_before = os.getloadavg()
        if args.soak:
            print(f"Soaking for {args.soak} with {len(pages)} pages…", file=sys.stderr, flush=True)
            soak_data, samples = soak(args, atrium, host, pages, browsers)
        else:
            measuring_since = time.monotonic()
            samples = [MemorySample("before the first page", 0.0, sample_workers(atrium.process.pid))]
            results = []
            for page in pages:
                server, page_host = (servers[-1], "localhost") if page.server == "hello" else (atrium, host)
                cookie = "" if page.who == "anonymous" else browsers[page.who].cookie
                idle_path = "/" if page.server == "hello" else "/healthz"
                result = measure(args, page, server, page_host, cookie, idle_path)
                result.worker_rss_kib = sample_workers(atrium.process.pid)
                elapsed = time.monotonic() - measuring_since
                samples.append(MemorySample(f"after {page.name}", elapsed, result.worker_rss_kib))
                results.append(result)
                print(
                    f"{page.name}: {result.rps:,.0f} req/s, p95 {result.p95_ms:.1f} ms"
                    + (
                        f", {result.non_2xx} non-2xx (first: {result.first_non_2xx})"
                        if result.non_2xx
                        else ""
                    )
                    + (f", socket errors {result.socket_errors}" if result.socket_errors else ""),
                    file=sys.stderr,
                    flush=True,
                )
            if not args.memory_each_page:
                samples[-1].label = "after the last page"
        load_after = os.getloadavg()

    lines = describe(manifest, tenant, args, checkout)
    lines.append(f"Load average {load_before[0]:.2f} before the runs, {load_after[0]:.2f} after.")
    load = {"before": load_before, "after": load_after}
    memory = [asdict(sample) for sample in samples]
    if args.soak:
        lines += soak_report(soak_data, samples)
        failed = bool(soak_data["non_2xx"] or any(soak_data[k] for k in SOCKET_ERRORS))
        json_fields: dict[str, Any] = {"soak": soak_data, "pages": [asdict(p) for p in pages]}
    else:
        hello_rps = next((r.rps for r in results if r.key == "hello"), 0.0)
        for result in results:
            result.share_of_hello = result.rps / hello_rps if hello_rps else None
        lines += ["", *table(results)]
        errors = [r for r in results if r.socket_errors]
        if errors:
            lines += [
                "",
                "Socket errors and timeouts: " + "; ".join(f"{r.name} {r.socket_errors}" for r in errors),
            ]
        if silent := [r.name for r in results if not r.requests]:
            lines += ["", f"No response within the run (try a longer --duration): {', '.join(silent)}."]
        lines += memory_report(samples, args.memory_each_page)
        # A page with no response in a short run on a busy machine is slow, not broken: the table says so.
        failed = any(r.non_2xx or r.socket_errors for r in results)
        json_fields = {"results": [asdict(r) for r in results]}
    markdown = "\n".join(lines)
    print(markdown)
    if args.output:
        args.output.write_text(markdown + "\n")
    if args.json:
        write_json(args.json, args, manifest, tenant, load_average=load, memory=memory, **json_fields)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
