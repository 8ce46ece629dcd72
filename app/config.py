"""Settings read from the environment, with safe embedded defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path) -> str:
    """Return SECRET_KEY, or a random key kept in the instance folder for the embedded default."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _port(value: str | None) -> int | None:
    if not (value or "").strip():
        return None
    port = int(value or "")
    if not 0 < port < 65536:
        raise ValueError(f"ATRIUM_PORT must be a port number, not {value!r}")
    return port


def _normalise_db_url(url: str) -> str:
    # Hosting providers hand out postgres:// URLs; SQLAlchemy wants a driver name.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load_settings(instance_path: Path) -> dict[str, object]:
    """Build the Flask config from environment variables."""
    database_url = _normalise_db_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'atrium.sqlite3'}"
    )
    migration_url = _normalise_db_url(os.environ.get("MIGRATION_DATABASE_URL") or database_url)
    redis_url = os.environ.get("REDIS_URL") or None
    settings: dict[str, object] = {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MIGRATION_DATABASE_URL": migration_url,
        # The platform role (PostgreSQL): the console's, CLI's and platform jobs' cross-tenant reads
        # and global-table writes run as it (docs/decisions/0009). Unset: one role for everything.
        "PLATFORM_DATABASE_URL": os.environ.get("PLATFORM_DATABASE_URL") or None,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        # The root domain: the platform console lives here, tenants at <slug>.<domain>.
        "ATRIUM_DOMAIN": os.environ.get("ATRIUM_DOMAIN", "localhost").lower().strip("."),
        "PREFERRED_URL_SCHEME": os.environ.get("PREFERRED_URL_SCHEME", "http"),
        # The port in links built outside the browser (emails, receipts); unset for the scheme's default.
        "ATRIUM_PORT": _port(os.environ.get("ATRIUM_PORT")),
        # Host-only cookies: never set a Domain attribute, so a cookie never crosses subdomains.
        "SESSION_COOKIE_DOMAIN": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "REMEMBER_COOKIE_DOMAIN": None,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", False),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAIL_SERVER": os.environ.get("MAIL_SERVER") or None,
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD") or None,
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "Atrium <no-reply@atrium.example>"),
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Redis down must not stop sign-in: count in this process's memory until it is back (the limit
        # then holds per process), warn once per outage, and never turn a counter error into a 500.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        # An unreachable Redis (not just a refused port) must not hold a sign-in for the OS timeout.
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1} if redis_url else {},
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", "5")),
        "LOGIN_LOCKOUT_MINUTES": int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")),
        "PASSWORD_RESET_MAX_AGE": int(os.environ.get("PASSWORD_RESET_MAX_AGE", "3600")),
        "LOG_JSON": _bool("LOG_JSON", True),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).resolve().parent.parent / "translations"),
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "200")) * 1024 * 1024,
        "WORKER_HEARTBEAT_MAX_AGE": int(os.environ.get("WORKER_HEARTBEAT_MAX_AGE", "90")),
        # Compliance by location counts a whole tenant at most this often (seconds; 0: on every view).
        "COMPLIANCE_ROLLUP_CACHE_SECONDS": int(os.environ.get("COMPLIANCE_ROLLUP_CACHE_SECONDS", "60")),
        # Audit log keys, never stored in the database (docs/decisions/0004). Unset: derived from
        # SECRET_KEY, fine for the embedded default, not for production.
        "AUDIT_HMAC_KEYS": os.environ.get("AUDIT_HMAC_KEYS") or None,
        "AUDIT_HMAC_ACTIVE_KID": os.environ.get("AUDIT_HMAC_ACTIVE_KID") or None,
        "AUDIT_SIGNING_KEY": os.environ.get("AUDIT_SIGNING_KEY") or None,
        "AUDIT_CHECKPOINT_PUBLIC_KEYS": os.environ.get("AUDIT_CHECKPOINT_PUBLIC_KEYS") or None,
        "AUDIT_CHECKPOINT_DIR": os.environ.get("AUDIT_CHECKPOINT_DIR")
        or str(instance_path / "audit-checkpoints"),
        # Encrypts the portals' certificate signing keys at rest (base64 of 32 bytes). Unset: derived
        # from SECRET_KEY, fine for the embedded default, not for production.
        "CERTIFICATE_KEYS_SECRET": os.environ.get("CERTIFICATE_KEYS_SECRET") or None,
        # Encrypts secrets at rest (app/sealing.py): base64 32-byte keys, comma-separated, the first seals.
        "SECRETS_KEYS": os.environ.get("SECRETS_KEYS") or None,
        # Outbound requests to addresses tenants type (app/outbound.py): private and local addresses are
        # refused unless allowed here (all of them, or these hosts and networks, comma-separated).
        "OUTBOUND_ALLOW_PRIVATE": _bool("OUTBOUND_ALLOW_PRIVATE"),
        "OUTBOUND_ALLOWED_HOSTS": os.environ.get("OUTBOUND_ALLOWED_HOSTS") or "",
        # LDAP directories (app/identity/ldap): plain ldap:// without StartTLS sends passwords in clear
        # text, so it is refused unless the operator allows it (a directory on a trusted local network).
        "LDAP_ALLOW_PLAIN": _bool("LDAP_ALLOW_PLAIN"),
        # HR system syncs (app/syncs): each portal's drop folder for CSV files is SYNC_IMPORT_ROOT/<slug>/;
        # a source larger than SYNC_MAX_BYTES, or slower than SYNC_TIMEOUT_SECONDS to answer, is refused.
        "SYNC_IMPORT_ROOT": os.environ.get("SYNC_IMPORT_ROOT") or str(instance_path / "imports"),
        "SYNC_MAX_BYTES": int(os.environ.get("SYNC_MAX_MB", "200")) * 1024 * 1024,
        "SYNC_TIMEOUT_SECONDS": float(os.environ.get("SYNC_TIMEOUT_SECONDS", "120")),
        # Where the PDF font (DejaVu Sans, which covers Arabic) is; Debian's fonts-dejavu-core by default.
        "PDF_FONT_DIR": os.environ.get("PDF_FONT_DIR") or "/usr/share/fonts/truetype/dejavu",
    }
    from app.audit.keys import check_settings

    check_settings(settings)
    return settings


def tune_postgresql_engines(config: dict[str, Any]) -> None:
    """Switch PostgreSQL's JIT compiler off for the app's connections.

    JIT starts when a plan's estimated cost passes a threshold, and recursive queries (the
    organisation tree, a manager's reach) are estimated at millions of rows when they find dozens:
    compiling then takes hundreds of milliseconds for a query that runs in one. A page's short
    statements never earn that back.
    """
    if not str(config.get("SQLALCHEMY_DATABASE_URI") or "").startswith("postgresql"):
        return
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    connect_args["options"] = " ".join(filter(None, [connect_args.get("options"), "-c jit=off"]))
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}


def bind_platform_database(config: dict[str, Any]) -> None:
    """Give Flask-SQLAlchemy the platform role's engine (bind ``platform``) when one is configured."""
    url = config.get("PLATFORM_DATABASE_URL")
    if url:
        config["SQLALCHEMY_BINDS"] = {
            **(config.get("SQLALCHEMY_BINDS") or {}),
            "platform": _normalise_db_url(url),
        }
