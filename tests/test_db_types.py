"""Times go into the database as UTC and come back aware, in UTC, on SQLite as on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, select

from app.accounts.models import User
from app.db_types import UtcDateTime
from app.extensions import db as _db
from app.tenancy import as_tenant


def test_every_datetime_column_is_a_utc_datetime_stored_with_its_time_zone(app):
    columns = [
        f"{table.name}.{column.name}"
        for table in _db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, DateTime | UtcDateTime)
    ]
    assert len(columns) > 40
    for table in _db.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, DateTime | UtcDateTime):
                assert isinstance(column.type, UtcDateTime), f"{table.name}.{column.name} is a bare DateTime"
                assert column.type.impl.timezone is True  # the DDL stays DateTime(timezone=True)


def test_a_stored_time_reads_back_as_the_same_moment_in_utc(db, tenant_factory, user_factory):
    tenant = tenant_factory()
    user = user_factory(tenant)
    new_york = datetime(2026, 3, 8, 1, 30, 15, 123456, tzinfo=ZoneInfo("America/New_York"))
    with as_tenant(tenant):
        user.deactivated_at = new_york
        user.last_login_at = datetime(2026, 3, 8, 6, 30)  # naive: taken as UTC
        db.session.commit()
        db.session.expire_all()
        stored = db.session.scalars(select(User).where(User.id == user.id)).one()
        assert stored.deactivated_at == new_york
        assert stored.deactivated_at.tzinfo is UTC
        assert stored.deactivated_at.hour == 6
        assert stored.last_login_at == datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
        assert stored.created_at.tzinfo is UTC
        # Comparisons in SQL compare moments, whatever zone the bound value is in.
        later = new_york + timedelta(seconds=1)
        found = db.session.scalars(select(User.id).where(User.deactivated_at < later.astimezone(UTC))).all()
        assert user.id in found
        assert user.id not in db.session.scalars(select(User.id).where(User.deactivated_at > later)).all()
