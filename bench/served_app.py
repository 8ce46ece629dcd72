"""What bench/http_bench.py knows of the Atrium it serves: which checkout it is, its workers, their memory.

Nothing here imports the app or the other bench scripts, so the tests can import it cheaply.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h)?")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


class NotAnAtriumCheckout(Exception):
    """--app-root names a folder that does not serve Atrium from its own code."""


def parse_duration(text: str) -> float:
    """Seconds in a duration written as wrk writes them: ``90``, ``30s``, ``5m``, ``1h``, ``1m30s``."""
    text = text.strip().lower()
    seconds, position = 0.0, 0
    for match in _DURATION_RE.finditer(text):
        if match.start() != position:
            break
        seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
        position = match.end()
    if not text or position != len(text):
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m or 1h")
    return seconds


# -- which Atrium ----------------------------------------------------------------------------------------


def pythonpath_for(root: Path, env: dict[str, str]) -> str:
    """PYTHONPATH that puts *root* first, ahead of any installed (or editable) copy of the app."""
    rest = env.get("PYTHONPATH", "")
    return str(root) + (os.pathsep + rest if rest else "")


def imported_app_file(root: Path, env: dict[str, str], python: str = sys.executable) -> Path:
    """The ``app/__init__.py`` that gunicorn will import when it serves the checkout at *root*.

    Raises NotAnAtriumCheckout unless it is *root*'s own, so a benchmark of an old commit never
    measures the current code by mistake (an editable install of another checkout wins otherwise).
    """
    if not (root / "wsgi.py").is_file() or not (root / "app" / "__init__.py").is_file():
        raise NotAnAtriumCheckout(f"{root} has no wsgi.py and app/ package: not an Atrium checkout")
    completed = subprocess.run(  # noqa: S603 - our own interpreter, a fixed program
        [python, "-c", "import app; print(app.__file__)"],
        cwd=root,
        env={**env, "PYTHONPATH": pythonpath_for(root, env)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if completed.returncode != 0:
        raise NotAnAtriumCheckout(f"importing the app of {root} failed:\n{completed.stderr[-2000:]}")
    imported = Path(completed.stdout.strip().splitlines()[-1]).resolve()
    if not imported.is_relative_to(root.resolve()):
        raise NotAnAtriumCheckout(f"{root} would serve {imported}, not its own app/")
    return imported


def describe_checkout(root: Path) -> str:
    """The commit a checkout is at, as ``abc1234 (2026-12-01) subject``, or "" if it is no git checkout."""
    completed = subprocess.run(  # noqa: S603 - git with fixed arguments
        ["git", "-C", str(root), "log", "-1", "--format=%h (%cs) %s"],  # noqa: S607 - git from PATH
        capture_output=True,
        text=True,
        check=False,
    )
    line = completed.stdout.strip() if completed.returncode == 0 else ""
    return line if len(line) <= 80 else line[:79].rsplit(" ", 1)[0] + " …"


# -- worker memory ---------------------------------------------------------------------------------------


def parse_vm_rss(status: str) -> int | None:
    """The resident set size in KiB from the text of ``/proc/<pid>/status`` (None if it has none)."""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            value, _, unit = line.split(":", 1)[1].strip().partition(" ")
            if unit.strip().lower() != "kb":
                raise ValueError(f"unexpected VmRSS unit in {line!r}")
            return int(value)
    return None


def rss_kib(pid: int) -> int | None:
    """The resident memory of process *pid* in KiB, or None if it is gone."""
    try:
        return parse_vm_rss(Path(f"/proc/{pid}/status").read_text())
    except (OSError, ValueError):
        return None


def child_pids(parent: int) -> list[int]:
    """The processes whose parent is *parent* (gunicorn's workers, for its master), lowest pid first."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended while we looked
        # "pid (command) state ppid ...": the command may hold spaces and parentheses.
        fields = text[text.rfind(")") + 2 :].split()
        if len(fields) > 1 and fields[1] == str(parent):
            children.append(int(text.split(" ", 1)[0]))
    return sorted(children)


def sample_workers(master: int) -> dict[int, int]:
    """The resident memory (KiB) of each worker of the gunicorn whose master is *master*."""
    sample = {pid: rss_kib(pid) for pid in child_pids(master)}
    return {pid: kib for pid, kib in sample.items() if kib is not None}


@dataclass
class MemorySample:
    label: str
    seconds: float
    workers: dict[int, int] = field(default_factory=dict)

    @property
    def total_kib(self) -> int:
        return sum(self.workers.values())


def watch_memory(
    master: int, until_done: subprocess.Popen[str], interval: float, label: str = "{minutes}"
) -> list[MemorySample]:
    """Sample the workers' memory every *interval* seconds while *until_done* runs (not at its start)."""
    started = time.monotonic()
    samples = []
    next_at = started + interval
    while until_done.poll() is None:
        time.sleep(max(0.0, min(0.5, next_at - time.monotonic())))
        now = time.monotonic()
        if now >= next_at and until_done.poll() is None:
            elapsed = now - started
            samples.append(
                MemorySample(label.format(minutes=clock(elapsed)), elapsed, sample_workers(master))
            )
            next_at += interval
    return samples


def clock(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}"


def mib(kib: int | None) -> str:
    return "—" if kib is None else f"{kib / 1024:.1f}"


def memory_table(samples: list[MemorySample]) -> list[str]:
    """One row per sample, one column per worker (by pid: a worker that was replaced gets a new column)."""
    pids = sorted({pid for sample in samples for pid in sample.workers})
    lines = [
        "| when | " + " | ".join(f"worker {pid}" for pid in pids) + " | all workers |",
        "|---|" + "---:|" * (len(pids) + 1),
    ]
    for sample in samples:
        cells = [mib(sample.workers.get(pid)) for pid in pids]
        lines.append(f"| {sample.label} | " + " | ".join(cells) + f" | {mib(sample.total_kib)} |")
    return lines


def memory_change(first: MemorySample, last: MemorySample) -> str:
    """How much each worker present in both samples grew from *first* to *last*."""
    both = sorted(set(first.workers) & set(last.workers))
    if not both:
        return f"from {first.label} to {last.label}: no worker is left (replaced: see the gunicorn log)"
    changes = [f"worker {pid} {(last.workers[pid] - first.workers[pid]) / 1024:+.1f} MiB" for pid in both]
    gone = sorted(set(first.workers) - set(last.workers))
    text = f"from {first.label} to {last.label}: " + ", ".join(changes)
    return text + (f" (replaced meanwhile: worker {', '.join(map(str, gone))})" if gone else "")
