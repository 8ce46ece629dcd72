"""The HTTP benchmark's helpers: which checkout it serves, its workers' memory, and the durations it reads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.served_app import (
    MemorySample,
    NotAnAtriumCheckout,
    child_pids,
    imported_app_file,
    memory_change,
    memory_table,
    parse_duration,
    parse_vm_rss,
    rss_kib,
    sample_workers,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("30s", 30), ("5m", 300), ("1h", 3600), ("1m30s", 90)]
)
def test_durations_are_read_as_wrk_writes_them(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "five minutes", "5 m x", "m5", "-5m"])
def test_a_duration_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


def test_resident_memory_is_read_from_proc_status():
    status = "Name:\tgunicorn\nVmPeak:\t  300000 kB\nVmRSS:\t   98304 kB\nRssAnon:\t 60000 kB\n"
    assert parse_vm_rss(status) == 98304
    assert parse_vm_rss("Name:\tkthreadd\nState:\tS (sleeping)\n") is None  # kernel threads have none


def test_the_workers_of_a_master_and_their_memory_are_found():
    # A real parent with two real children, as gunicorn's master and its sync workers.
    program = (
        "import subprocess, time\n"
        "children = [subprocess.Popen(['sleep', '30']) for _ in range(2)]\n"
        "print(' '.join(str(c.pid) for c in children), flush=True)\n"
        "time.sleep(30)\n"
    )
    with subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True) as master:
        try:
            assert master.stdout is not None
            workers = sorted(int(pid) for pid in master.stdout.readline().split())
            assert child_pids(master.pid) == workers
            memory = sample_workers(master.pid)
            assert sorted(memory) == workers
            assert all(kib > 0 for kib in memory.values())
            assert rss_kib(os.getpid()) > 10_000  # this test process, the app imported: over 10 MiB surely
        finally:
            for pid in child_pids(master.pid):
                os.kill(pid, signal.SIGKILL)
            master.kill()
    assert rss_kib(master.pid) is None


def test_the_memory_table_shows_each_worker_and_how_much_it_grew():
    start = MemorySample("0:00 (start)", 0, {101: 102_400, 102: 104_448})
    end = MemorySample("5:00 (end)", 300, {101: 103_424, 103: 90_000})
    assert memory_table([start, end]) == [
        "| when | worker 101 | worker 102 | worker 103 | all workers |",
        "|---|---:|---:|---:|---:|",
        "| 0:00 (start) | 100.0 | 102.0 | — | 202.0 |",
        "| 5:00 (end) | 101.0 | — | 87.9 | 188.9 |",
    ]
    assert memory_change(start, end) == (
        "from 0:00 (start) to 5:00 (end): worker 101 +1.0 MiB (replaced meanwhile: worker 102)"
    )


def test_app_root_serves_this_checkouts_own_app():
    env = {**os.environ, "PYTHONPATH": ""}
    assert imported_app_file(ROOT, env) == ROOT / "app" / "__init__.py"


def test_app_root_serves_another_checkouts_app_not_the_installed_one(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "wsgi.py").write_text("from app import create_app\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout on the path too: the other must still win
    assert imported_app_file(tmp_path, env) == (tmp_path / "app" / "__init__.py").resolve()


def test_app_root_that_is_not_a_checkout_is_refused(tmp_path):
    with pytest.raises(NotAnAtriumCheckout, match="not an Atrium checkout"):
        imported_app_file(tmp_path, dict(os.environ))
    (tmp_path / "wsgi.py").write_text("")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("raise ImportError('a dependency this venv lacks')\n")
    with pytest.raises(NotAnAtriumCheckout, match="a dependency this venv lacks"):
        imported_app_file(tmp_path, dict(os.environ))
