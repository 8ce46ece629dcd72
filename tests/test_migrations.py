"""The migrations produce exactly the models' schema: nothing is pending."""

from __future__ import annotations

import ast
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from app.extensions import db as _db


def test_migrations_match_the_models(app):
    engine = create_engine(app.config["MIGRATION_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            with app.app_context():
                diff = compare_metadata(context, _db.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"


MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def test_no_migration_imports_the_application():
    """A migration writes out the SQL it runs: changing app code later cannot rewrite history."""
    for path in sorted(MIGRATIONS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not [n for n in names if n == "app" or n.startswith("app.")], (
                f"{path.name} imports {names}"
            )


def _policies(engine) -> dict[tuple[str, str], str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT tablename, policyname, coalesce(qual, with_check) FROM pg_policies"
                " WHERE schemaname = 'public'"
            )
        ).all()
    return {(table, policy): expression for table, policy, expression in rows}


@pytest.mark.postgres
def test_the_whole_chain_migrates_down_to_nothing_and_up_again(app):
    """Every migration's upgrade and downgrade, on a database of its own (PostgreSQL, three roles)."""
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.tenancy.postgres import drop_database, prepare_database
    from tests.conftest import POSTGRES_ADMIN_URL

    assert POSTGRES_ADMIN_URL
    name = f"atrium_chain_{uuid.uuid4().hex[:12]}"
    urls = prepare_database(POSTGRES_ADMIN_URL, name)
    chain = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": urls.app,
            "MIGRATION_DATABASE_URL": urls.owner,
            "PLATFORM_DATABASE_URL": urls.platform,
            "REDIS_URL": None,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    owner = create_engine(chain.config["MIGRATION_DATABASE_URL"])
    try:
        with chain.app_context():
            upgrade()
            head = _policies(owner)
            assert ("job_outbox", "tenant_isolation") in head
            assert not [
                p
                for p, expression in head.items()
                if "unscoped" in expression or "platform_writes" in expression
            ]
            downgrade(revision="0011")
            before = _policies(owner)
            assert ("job_outbox", "tenant_isolation") not in before
            assert "app.unscoped" in before[("users", "tenant_isolation")]
            assert ("tenants", "platform_insert") in before
            downgrade(revision="base")
            with owner.connect() as conn:
                left = (
                    conn.execute(
                        text(
                            "SELECT tablename FROM pg_tables"
                            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                        )
                    )
                    .scalars()
                    .all()
                )
            assert left == []
            upgrade()
            assert _policies(owner) == head
    finally:
        owner.dispose()
        with chain.app_context():
            from app.extensions import db

            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()
        drop_database(POSTGRES_ADMIN_URL, name)
