"""GET never writes: a learner, a manager and an admin walk their whole portal and no table changes.

The walk is the crawl of ``test_no_server_errors`` (links, htmx GETs and redirects, each page twice,
forms found but not submitted). Every table is read row by row before and after, outbox and audit
log included, so an update that leaves the row count alone is caught as well as an insert.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from app.demo import TENANTS
from tests.conftest import TEST_DOMAIN
from tests.test_no_server_errors import CRAWL_SECONDS, Crawler, demo  # noqa: F401 - the demo fixture

ROLES = ("learner", "manager", "admin")


# The one write a GET may make by design (app/accounts/sessions.py): a session's "last seen", at most
# once a minute, so that idle timeouts can be enforced. A walk longer than a minute on a slow machine
# makes it; it is left out of the comparison rather than the walk cut short.
ONCE_A_MINUTE = {("user_sessions", "last_seen_at")}


def every_row(app: Any) -> dict[str, list[tuple[str, ...]]]:
    """Each table's rows as text, in primary-key order, read past the tenant filter (as the owner)."""
    from app.extensions import db

    snapshot: dict[str, list[tuple[str, ...]]] = {}
    with app.app_context(), db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            columns = [c for c in table.columns if (table.name, c.name) not in ONCE_A_MINUTE]
            rows = connection.execute(select(*columns).order_by(*order))
            snapshot[table.name] = [tuple(str(value) for value in row) for row in rows]
    return snapshot


def changed_tables(
    before: dict[str, list[tuple[str, ...]]], after: dict[str, list[tuple[str, ...]]]
) -> list[str]:
    lines = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name, []), after.get(name, [])
        if old != new:
            added = [row for row in new if row not in old][:3]
            removed = [row for row in old if row not in new][:3]
            lines.append(
                f"{name}: {len(old)} -> {len(new)} rows; new or changed {added}; gone or before {removed}"
            )
    return lines


PEOPLE = [
    pytest.param(
        f"{spec['slug']}.{TEST_DOMAIN}", f"{role}@{spec['slug']}.example", id=f"{spec['slug']}-{role}"
    )
    for spec in TENANTS
    for role in ROLES
]


@pytest.mark.parametrize("host,email", PEOPLE)
def test_walking_every_page_writes_nothing(app, demo, host, email):  # noqa: F811 - the demo fixture
    crawler = Crawler(app, host, email)  # signing in is a POST: it may write, before the snapshot
    before = every_row(app)
    crawler.crawl(time.monotonic() + CRAWL_SECONDS)
    after = every_row(app)
    assert crawler.pages > 5, f"{email} found almost nothing to crawl"
    assert not crawler.failures, "\n".join(crawler.failures)
    assert not changed_tables(before, after), "GET requests wrote:\n" + "\n".join(
        changed_tables(before, after)
    )
