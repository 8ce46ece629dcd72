"""The migrations produce exactly the models' schema: nothing is pending."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

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
