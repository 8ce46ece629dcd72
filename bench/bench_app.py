"""What the generator and the benchmark share: where the data lives, the manifest, and the app they load."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
DEFAULT_SQLITE_PATH = DATA_DIR / "atrium-bench.sqlite3"
# The one account per tenant the benchmark signs in as; bulk users have no password at all.
LEARNER_PASSWORD = "bench-password-123"  # noqa: S105 - a throwaway account in a generated benchmark database

# The scripts run as `python bench/<script>.py`, so the repository root is not on the path by itself.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def manifest_path(dialect: str) -> Path:
    return DATA_DIR / f"{dialect}.json"


def write_manifest(path: Path, manifest: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, default=str) + "\n")


def read_manifest(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise SystemExit(f"{path} does not exist: run bench/generate.py first")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def sqlalchemy_url(url: str) -> str:
    """Name the psycopg driver in a PostgreSQL URL, as the app's own settings do for DATABASE_URL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_bench_app(
    database_url: str, migration_url: str | None = None, platform_url: str | None = None
) -> Any:
    """Create the Atrium app against the benchmark database, quiet and with jobs inline."""
    # Keep the generated secret key and any uploads away from the developer's own instance/ folder.
    os.environ.setdefault("ATRIUM_INSTANCE_PATH", str(DATA_DIR / "instance"))
    import gc

    from app import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": sqlalchemy_url(database_url),
            "MIGRATION_DATABASE_URL": sqlalchemy_url(migration_url or database_url),
            "PLATFORM_DATABASE_URL": sqlalchemy_url(platform_url) if platform_url else None,
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
            # One log line per request would be measured along with the request.
            "LOG_LEVEL": "WARNING",
            "MAIL_SERVER": None,
        }
    )
    gc.freeze()  # as wsgi.py does in production: the loaded app stays out of the collector's full passes
    return app


def prepare_database(args: Any, sqlite_name: str) -> tuple[str, str, str | None]:
    """The application's, the owner's and the platform role's URLs of a fresh database for a benchmark.

    ``--postgres-admin-url`` (with ``--postgres-database``) makes a fresh PostgreSQL database with both
    roles, as generate.py does; ``--database-url`` uses one the caller prepared; otherwise a fresh SQLite
    file *sqlite_name* under .data/.
    """
    if args.postgres_admin_url:
        import generate

        app_url, owner_url, platform_url = generate.prepare_postgres(
            args.postgres_admin_url, args.postgres_database
        )
        # Bulk rows go in with COPY as the superuser (row-level security refuses COPY FROM to the others).
        generate.COPIER = generate.Copier(args.postgres_admin_url, args.postgres_database)
        return app_url, owner_url, platform_url
    if args.database_url:
        url = sqlalchemy_url(args.database_url)
        return url, url, None
    path = DATA_DIR / sqlite_name
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}", f"sqlite:///{path}", None


def database_cpu(url: str | None) -> float:
    """CPU seconds the PostgreSQL server's processes for this database have used (0 when not known).

    *url* is the superuser's URL of the benchmark's database. The server runs on this machine: its
    processes' times are in /proc. With the app's own CPU time, this is all the work a phase of a
    benchmark did, whatever else the machine was doing.
    """
    if not url:
        return 0.0
    from sqlalchemy import create_engine, text

    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            pids = connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            ).scalars()
            ticks = 0
            for pid in pids:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                ticks += int(fields[11]) + int(fields[12])  # utime and stime
    finally:
        engine.dispose()
    return ticks / os.sysconf("SC_CLK_TCK")
