"""The compliance statements kept between requests never show a stale policy or another tenant's items."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.compliance import statements
from app.compliance.audiences import load_requirements
from app.compliance.ranking import rank_people
from app.compliance.status import Kind, Status, for_people
from app.db_types import id_array
from app.tenancy import as_tenant


def _titles(standing) -> set[str]:
    return {item.title for item in standing.items}


def test_a_policy_published_after_the_statements_were_kept_is_read_at_once(
    db, tenant_factory, user_factory, course_factory, enrol, policy_factory
):
    tenant = tenant_factory()
    today = date.today()
    dana = user_factory(tenant, full_name="Dana Cook")
    enrol(tenant, dana, course_factory(tenant, "Allergens"), due_on=today - timedelta(days=1))
    policy_factory(tenant, "Code of Conduct", due_days=None)
    statements.clear()
    with as_tenant(tenant):
        assert _titles(for_people([dana.id], today)[dana.id]) == {"Allergens", "Code of Conduct"}
        assert rank_people([dana.id], today)[dana.id].by_status[Status.not_started.rank] == 1
        kept = statements.kept_count()
        first = load_requirements().key
    assert kept > 0

    policy_factory(
        tenant, "Food safety", due_days=None
    )  # published since: other requirements, other statements
    with as_tenant(tenant):
        assert load_requirements().key != first
        assert _titles(for_people([dana.id], today)[dana.id]) == {
            "Allergens",
            "Code of Conduct",
            "Food safety",
        }
        assert rank_people([dana.id], today)[dana.id].by_status[Status.not_started.rank] == 2
    assert statements.kept_count() > kept


def test_each_tenant_keeps_its_own_statements_and_reads_only_its_own_items(
    db, tenant_factory, user_factory, course_factory, enrol, policy_factory
):
    today = date.today()
    first, second = tenant_factory(), tenant_factory()
    ana = user_factory(first, full_name="Ana First")
    bo = user_factory(second, full_name="Bo Second")
    enrol(first, ana, course_factory(first, "Allergens"), due_on=today + timedelta(days=3))
    enrol(second, bo, course_factory(second, "Forklift"), due_on=today + timedelta(days=3))
    for tenant in (first, second):
        policy_factory(tenant, "Code of Conduct", due_days=None)  # the same requirements in both
    statements.clear()
    with as_tenant(first):
        mine = for_people([ana.id, bo.id], today)
        kept = statements.kept_count()
    with as_tenant(second):
        theirs = for_people([ana.id, bo.id], today)
    assert statements.kept_count() > kept  # not the first tenant's statements
    assert _titles(mine[ana.id]) == {"Allergens", "Code of Conduct"} and not mine[bo.id].items
    assert _titles(theirs[bo.id]) == {"Forklift", "Code of Conduct"} and not theirs[ana.id].items
    assert {item.kind for item in theirs[bo.id].items} == {Kind.course, Kind.policy}


def test_a_kept_statement_run_for_another_tenants_ids_reads_none_of_their_rows(
    db, tenant_factory, user_factory, course_factory, enrol
):
    """The kept statements' own SQL (PostgreSQL) is scoped to the tenant as the session's runs are."""
    from app.compliance import services
    from app.compliance.board import _people
    from app.compliance.models import Reminder

    today = date.today()
    first, second = tenant_factory(), tenant_factory()
    ana = user_factory(first, full_name="Ana First")
    bo = user_factory(second, full_name="Bo Second")
    enrol(second, bo, course_factory(second, "Forklift"), due_on=today - timedelta(days=3))
    with as_tenant(second):
        db.session.add(Reminder(user_id=bo.id, sent_by_id=None, channel="inbox"))
        db.session.commit()
    statements.clear()
    for _run in range(2):  # built, then kept
        with as_tenant(first):
            assert not for_people([ana.id, bo.id], today)[bo.id].items
            assert not for_people([ana.id, bo.id], today, open_only=True)[bo.id].items  # a page's items
            assert [person.id for person in _people({ana.id, bo.id})] == [ana.id]
            assert services.last_reminders([ana.id, bo.id]) == {}
        with as_tenant(second):
            assert _titles(for_people([bo.id], today)[bo.id]) == {"Forklift"}
            assert _titles(for_people([ana.id, bo.id], today, open_only=True)[bo.id]) == {"Forklift"}
            assert [person.full_name for person in _people({ana.id, bo.id})] == ["Bo Second"]
            assert list(services.last_reminders([ana.id, bo.id])) == [bo.id]


def test_titles_with_quotes_percent_signs_and_backslashes_read_back_as_typed(
    db, tenant_factory, user_factory, course_factory, enrol, policy_factory
):
    """What the kept statements write into their SQL (policy titles among it) is quoted as typed."""
    today = date.today()
    tenant = tenant_factory()
    dana = user_factory(tenant, full_name="Dana Cook")
    course = "O'Brien's 50% course %(tenant_id_1)s"
    policy = "Code \\' of ''Conduct'' %% %s); SELECT 1; --"
    enrol(tenant, dana, course_factory(tenant, course), due_on=today - timedelta(days=1))
    policy_factory(tenant, policy, due_days=None)
    statements.clear()
    for _run in range(2):  # built, then kept
        with as_tenant(tenant):
            assert _titles(for_people([dana.id], today)[dana.id]) == {course, policy}


def test_the_people_bound_as_an_arrays_text_are_whole_numbers_only():
    assert id_array([3, 12, 7]) == "{3,12,7}"
    assert id_array([]) == "{}"
    with pytest.raises(ValueError):
        id_array(["1,2}"])
