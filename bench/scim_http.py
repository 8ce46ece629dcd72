"""SCIM creates over HTTP, as an identity provider sends them: ``scim_bench.py --http CLIENTS``.

gunicorn serves Atrium (wsgi:app, --workers sync workers, the settings of bench/http_bench.py) against
the benchmark's database; CLIENTS threads each keep one connection open and POST the next person to
/scim/v2/Users as soon as the previous answer arrived, as Entra ID's and Okta's provisioning services
send several requests at once. Every create must answer 201. Reported: creates per second overall and
per tenth of the run, the latency of a create (median, 95th and 99th percentile), and the CPU time of
the gunicorn workers and of the PostgreSQL server per create (from /proc: the machine's own work).
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_app import database_cpu
from http_bench import BenchmarkFailed, atrium_environment, serving, start_gunicorn, wait_until_serving


@dataclass(frozen=True)
class Urls:
    database: str
    migration: str
    platform: str | None
    admin: str | None


def _children_cpu(master_pid: int) -> float:
    """CPU seconds used so far by the processes whose parent is *master_pid* (gunicorn's workers)."""
    total = 0.0
    ticks = 100.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:  # fields[1] is the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def create_over_http(
    args: argparse.Namespace,
    urls: Urls,
    host: str,
    secret: str,
    new_person: Callable[[int], dict[str, Any]],
    load: Callable[[], str],
) -> None:
    env = atrium_environment({"database_url": urls.database, "migration_url": urls.migration})
    env["PLATFORM_DATABASE_URL"] = urls.platform or ""
    env["SCIM_RATE_LIMIT"] = "1000000 per second"  # the benchmark measures the work, not the limit
    args.worker_timeout = 120
    server = start_gunicorn("scim", "wsgi:app", args, env)
    with serving([server]):
        wait_until_serving(server, "/healthz", host)
        headers = {
            "Host": host,
            "Authorization": f"Bearer {secret}",
            "Content-Type": "application/scim+json",
            "Accept": "application/scim+json",
        }
        lock = threading.Lock()
        state = {"next": 0}
        finished: list[float] = []
        latencies: list[float] = []
        failures: list[str] = []

        def client() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            while not failures:
                with lock:
                    n = state["next"]
                    if n >= args.users:
                        break
                    state["next"] = n + 1
                body = json.dumps(new_person(n))
                begin = time.perf_counter()
                connection.request("POST", "/scim/v2/Users", body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
                end = time.perf_counter()
                if response.status != 201:
                    failures.append(f"POST /scim/v2/Users answered {response.status}: {answer[:500]!r}")
                    break
                with lock:
                    finished.append(end)
                    latencies.append((end - begin) * 1000)
            connection.close()

        # A first request per worker opens its database connection before the clock starts.
        wait_until_serving(server, "/healthz", host)
        workers_cpu = _children_cpu(server.process.pid)
        server_cpu = database_cpu(urls.admin)
        threads = [threading.Thread(target=client) for _ in range(args.http)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        workers_cpu = _children_cpu(server.process.pid) - workers_cpu
        server_cpu = database_cpu(urls.admin) - server_cpu
    if failures:
        raise BenchmarkFailed(failures[0])
    done = len(finished)
    chunk = max(1, done // 10)
    marks = [started, *sorted(finished)[chunk - 1 :: chunk]][:11]
    tenths = [chunk / (b - a) for a, b in itertools.pairwise(marks) if b > a]
    print(
        f"created {done:,} people over HTTP in {elapsed:.1f} s with {args.http} connections and "
        f"{args.workers} gunicorn workers: **{done / elapsed:.1f} creates/s**"
    )
    print(
        f"latency of a create: median {statistics.median(latencies):.1f} ms, "
        f"p95 {_percentile(latencies, 0.95):.1f} ms, p99 {_percentile(latencies, 0.99):.1f} ms"
    )
    both = workers_cpu + server_cpu
    print(
        f"CPU per create: gunicorn workers {workers_cpu / done * 1000:.1f} ms"
        + (
            f", PostgreSQL server {server_cpu / done * 1000:.1f} ms; {done / both:.0f} creates per CPU second"
            if urls.admin
            else ""
        )
    )
    print("creates/s per tenth of the run: " + ", ".join(f"{rate:.0f}" for rate in tenths))
    print(f"load average after the creates: {load()}")
