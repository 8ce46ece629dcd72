"""Previewing, applying and rolling back HR sync runs: people matched, never duplicated, never guessed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import OrgUnit, User
from app.syncs.models import SyncChange, SyncLink, SyncRun
from app.syncs.services import apply as applying
from app.syncs.services import runs
from app.tenancy import as_tenant
from tests.syncs.conftest import apply, csv_of, preview


def _changes(db: Any, tenant: Any, run: Any) -> dict[str, list[SyncChange]]:
    with as_tenant(tenant):
        grouped: dict[str, list[SyncChange]] = {}
        for change in db.session.scalars(
            select(SyncChange).where(SyncChange.run_id == run.id).order_by(SyncChange.seq)
        ):
            grouped.setdefault(change.action, []).append(change)
        return grouped


def _person(db: Any, tenant: Any, **where: Any) -> User:
    with as_tenant(tenant):
        db.session.expire_all()
        query = select(User)
        for name, value in where.items():
            query = query.where(getattr(User, name) == value)
        person = db.session.scalars(query).one()
        db.session.expunge(person)  # read after the tenant block, as it was now
        return person


def _count(db: Any, tenant: Any) -> int:
    with as_tenant(tenant):
        return db.session.scalar(select(func.count(User.id)))


def test_someone_created_by_sign_in_is_matched_by_email_not_duplicated(
    db, tenant_factory, user_factory, make_source
):
    tenant = tenant_factory()
    user_factory(
        tenant, "dana@example.com", full_name="Dana Driver"
    )  # as SSO would create them: no employee id
    source = make_source(tenant)
    before = _count(db, tenant)
    run = preview(
        db,
        tenant,
        source,
        csv_of(
            "E1, Dana@Example.com ,Dana,Driver,Driver,2024-03-01,Leeds,Transport,,active",
            "E2,noor@example.com,Noor,New,Packer,2025-01-06,Leeds,Warehouse,E1,active",
        ),
    )
    assert run.status == "preview_ready" and run.rows_read == 2
    grouped = _changes(db, tenant, run)
    assert [c.label for c in grouped["create"]] == ["Noor New"]
    [dana] = grouped["move"]
    assert dana.before["employee_id"] is None and dana.after["employee_id"] == "E1"
    assert dana.after["job_title"] == "Driver" and dana.after["org_unit"] == "Leeds / Transport"
    # Nothing about people changed yet: a preview only reads.
    assert _count(db, tenant) == before
    run = apply(db, tenant, run)
    assert run.status == "applied" and run.rows_applied == 2 and run.rows_errors == 0
    assert _count(db, tenant) == before + 1
    noor = _person(db, tenant, email="noor@example.com")
    dana_now = _person(db, tenant, email="dana@example.com")
    assert dana_now.employee_id == "E1" and noor.manager_id == dana_now.id
    with as_tenant(tenant):
        leeds = db.session.scalars(select(OrgUnit).where(OrgUnit.name == "Leeds")).one()
        assert leeds.kind == "location" and leeds.parent_id is None
        warehouse = db.session.get(OrgUnit, noor.org_unit_id)
        assert (
            warehouse.name == "Warehouse"
            and warehouse.parent_id == leeds.id
            and warehouse.kind == "department"
        )
        assert str(noor.hire_date) == "2025-01-06"
        links = {k: v for k, v in db.session.execute(select(SyncLink.source_key, SyncLink.user_id))}
        assert links == {"E1": dana_now.id, "E2": noor.id}
    # The same file again changes nothing and creates nobody.
    again = preview(
        db,
        tenant,
        source,
        csv_of(
            "E1,dana@example.com,Dana,Driver,Driver,2024-03-01,Leeds,Transport,,active",
            "E2,noor@example.com,Noor,New,Packer,2025-01-06,Leeds,Warehouse,E1,active",
        ),
    )
    assert _changes(db, tenant, again) == {} and again.counts["unchanged"] == 2


def test_conflicts_are_reported_never_guessed(db, tenant_factory, user_factory, make_source):
    tenant = tenant_factory()
    user_factory(tenant, "ann@example.com", full_name="Ann One", employee_id="A1")
    user_factory(tenant, "bea@example.com", full_name="Bea Two", employee_id="B2")
    source = make_source(tenant)
    run = preview(
        db,
        tenant,
        source,
        csv_of(
            "A1,bea@example.com,Ann,One,,,,,,active",  # Ann's id, Bea's email: two people
            "B2,bea@example.com,Bea,Two,Lead,,,,,active",
            "B2,bea.two@example.com,Bea,Two,,,,,,active",  # a second row for Bea
            "N1,new@example.com,New,Person,,,,,,active",
            "N2,NEW@example.com,Other,Person,,,,,,active",  # two new rows, one email
            ",,Nobody,Known,,,,,,active",
            "Z9,zed@example.com,Zed,Bad,,yesterday,,,,active",
        ),
    )
    grouped = _changes(db, tenant, run)
    reasons = {c.row_number: c.reason for c in grouped["conflict"]}
    assert set(reasons) == {1, 2, 3, 4, 5}
    assert (
        "matches more than one person" in reasons[1] and "Ann One" in reasons[1] and "Bea Two" in reasons[1]
    )
    assert "Rows 2, 3 all claim Bea Two" in reasons[2]
    assert "Rows 4, 5 would all be a new person" in reasons[4]
    rejected = {c.row_number: c.reason for c in grouped["rejected"]}
    assert "no employee ID and no email" in rejected[6] and "is not a date" in rejected[7]
    before = _count(db, tenant)
    run = apply(db, tenant, run)
    assert run.rows_applied == 0 and _count(db, tenant) == before


def test_leavers_are_deactivated_and_returners_reactivated(db, tenant_factory, user_factory, make_source):
    tenant = tenant_factory()
    leaver = user_factory(tenant, "lee@example.com", full_name="Lee Leaver", employee_id="L1")
    returner = user_factory(tenant, "rae@example.com", full_name="Rae Return", employee_id="R1")
    leaver_id, returner_id = leaver.id, returner.id
    with as_tenant(tenant):
        from app.accounts.services import deactivate_user

        deactivate_user(db.session.merge(returner))
        db.session.commit()
    source = make_source(tenant, terminated_values="Terminated, gone")
    run = preview(
        db,
        tenant,
        source,
        csv_of(
            "L1,lee@example.com,Lee,Leaver,,,,,,TERMINATED",
            "R1,rae@example.com,Rae,Return,Chef,,,,,active",
            "X1,x@example.com,Ex,Old,,,,,,gone",  # left before the portal knew them
        ),
    )
    grouped = _changes(db, tenant, run)
    assert [c.user_id for c in grouped["deactivate"]] == [leaver_id]
    [back] = grouped["reactivate"]
    assert back.before == {"status": "deactivated", "job_title": None} and back.after["status"] == "active"
    apply(db, tenant, run)
    assert _person(db, tenant, id=leaver_id).status == "deactivated"
    returned = _person(db, tenant, id=returner_id)
    assert returned.status == "active" and returned.job_title == "Chef"


def test_a_full_feed_deactivates_people_it_no_longer_lists(db, tenant_factory, make_source):
    tenant = tenant_factory()
    source = make_source(tenant, full_feed=True)
    apply(
        db,
        tenant,
        preview(
            db,
            tenant,
            source,
            csv_of("F1,f1@example.com,Fay,One,,,,,,active", "F2,f2@example.com,Fay,Two,,,,,,active"),
        ),
    )
    run = preview(db, tenant, source, csv_of("F1,f1@example.com,Fay,One,,,,,,active"))
    [gone] = _changes(db, tenant, run)["deactivate"]
    assert gone.label == "Fay Two" and "No longer in the source" in gone.reason


def test_a_new_hire_is_enrolled_by_a_rule_and_events_are_emitted(db, tenant_factory, make_source):
    from app.events import OutboxEvent
    from app.learning.models import Enrollment
    from app.learning.services import courses as authoring
    from app.learning.services import rules

    tenant = tenant_factory()
    with as_tenant(tenant):
        course = authoring.create_course({"title": "Forklift safety"})
        authoring.add_lesson(course, "page", "Intro", True, {"body": "Look both ways."}, {})
        authoring.set_course_status(course, "published")
        rules.save_rule(
            None,
            rules.RuleDraft(
                name="Drivers",
                match="all",
                course=course,
                path=None,
                due_mode="none",
                due_days=None,
                due_date=None,
                conditions=[{"field": "job_title", "op": "is", "value": "Forklift driver"}],
            ),
        )
        db.session.commit()
        course_id = course.id
    source = make_source(tenant)
    run = apply(
        db,
        tenant,
        preview(db, tenant, source, csv_of("H1,hana@example.com,Hana,Hire,Forklift driver,,,,,active")),
    )
    assert run.status == "applied"
    hana = _person(db, tenant, email="hana@example.com")
    with as_tenant(tenant):
        enrolled = db.session.scalars(select(Enrollment).where(Enrollment.user_id == hana.id)).all()
        assert [e.course_id for e in enrolled] == [course_id]
        types = set(
            db.session.scalars(
                select(OutboxEvent.type).where(OutboxEvent.payload["user_id"].as_integer() == hana.id)
            )
        )
        assert "user.created" in types


def test_roll_back_restores_people_and_deactivates_those_it_created(
    db, tenant_factory, user_factory, make_source
):
    tenant = tenant_factory()
    mover = user_factory(tenant, "mo@example.com", full_name="Mo Mover", employee_id="M1", job_title="Clerk")
    leaver = user_factory(tenant, "lu@example.com", full_name="Lu Leaver", employee_id="L1")
    mover_id, leaver_id = mover.id, leaver.id
    source = make_source(tenant)
    run = apply(
        db,
        tenant,
        preview(
            db,
            tenant,
            source,
            csv_of(
                "M1,mo@example.com,Mo,Mover,Supervisor,,York,,,active",
                "L1,lu@example.com,Lu,Leaver,,,,,,terminated",
                "N1,nia@example.com,Nia,New,,,,,,active",
            ),
        ),
    )
    assert run.rows_applied == 3
    assert _person(db, tenant, id=mover_id).job_title == "Supervisor"
    with as_tenant(tenant):
        run = runs.roll_back(db.session.merge(run))
        db.session.commit()
        assert run.status == "rolled_back"
    moved_back = _person(db, tenant, id=mover_id)
    assert moved_back.job_title == "Clerk" and moved_back.org_unit_id is None
    assert _person(db, tenant, id=leaver_id).status == "active"
    assert _person(db, tenant, email="nia@example.com").status == "deactivated"
    with as_tenant(tenant), pytest.raises(Exception, match="rolled back, once"):
        runs.roll_back(db.session.merge(run))


def test_a_cancelled_apply_stops_between_batches_and_keeps_what_it_did(
    db, tenant_factory, make_source, monkeypatch
):
    tenant = tenant_factory()
    source = make_source(tenant)
    run = preview(
        db, tenant, source, csv_of(*(f"C{i},c{i}@example.com,Cal,No{i},,,,,,active" for i in range(5)))
    )
    monkeypatch.setattr(applying, "BATCH", 2)

    def cancel(run: Any, batch: int) -> None:
        run.cancel_requested = True
        db.session.commit()

    monkeypatch.setattr(applying, "after_batch", cancel)
    run = apply(db, tenant, run)
    assert run.status == "cancelled" and run.rows_applied == 2
    assert len([c for c in _changes(db, tenant, run)["create"] if c.applied_at]) == 2


def test_a_worker_killed_mid_apply_leaves_a_run_that_resumes_without_duplicates(
    db, tenant_factory, make_source, monkeypatch
):
    tenant = tenant_factory()
    source = make_source(tenant)
    run = preview(
        db, tenant, source, csv_of(*(f"K{i},k{i}@example.com,Kit,No{i},,,,,,active" for i in range(5)))
    )
    before = _count(db, tenant)
    monkeypatch.setattr(applying, "BATCH", 2)

    def killed(run: Any, batch: int) -> None:
        raise RuntimeError("worker lost")

    monkeypatch.setattr(applying, "after_batch", killed)
    run = apply(db, tenant, run)
    assert run.status == "failed" and run.rows_applied == 2 and "continues where it stopped" in run.error
    assert _count(db, tenant) == before + 2
    monkeypatch.setattr(applying, "after_batch", lambda run, batch: None)
    run = apply(db, tenant, run)
    assert run.status == "applied" and run.rows_applied == 5
    assert _count(db, tenant) == before + 5


def test_a_person_changed_after_the_preview_is_not_overwritten(db, tenant_factory, user_factory, make_source):
    tenant = tenant_factory()
    person = user_factory(tenant, "sam@example.com", full_name="Sam Same", employee_id="S1", job_title="Cook")
    person_id = person.id
    source = make_source(tenant)
    run = preview(db, tenant, source, csv_of("S1,sam@example.com,Sam,Same,Chef,,,,,active"))
    with as_tenant(tenant):
        from app.accounts.services import update_user

        update_user(db.session.merge(person), job_title="Head cook")
        db.session.commit()
    run = apply(db, tenant, run)
    assert run.rows_errors == 1 and run.rows_applied == 0
    [change] = _changes(db, tenant, run)["update"]
    assert "changed in the portal after the preview" in change.error
    assert _person(db, tenant, id=person_id).job_title == "Head cook"


def test_a_scheduled_run_over_the_limits_waits_for_approval_and_emails_the_admins(
    db, tenant_factory, user_factory, make_source, mailbox
):
    tenant = tenant_factory()
    admin = user_factory(tenant, "boss@example.com", roles=("tenant_admin",), full_name="Bo Boss")
    for i in range(3):
        user_factory(tenant, f"p{i}@example.com", employee_id=f"P{i}")
    source = make_source(tenant)
    run = preview(
        db, tenant, source, csv_of("P0,p0@example.com,Pat,Zero,,,,,,terminated"), trigger="scheduled"
    )
    assert run.status == "awaiting_approval"
    message = mailbox.wait_for(admin.email)
    assert "waiting for your approval" in message["Subject"]
    assert f"/admin/integrations/syncs/runs/{run.id}" in message.get_content()
    assert _person(db, tenant, employee_id="P0").status == "active"
    run = apply(db, tenant, run)
    assert run.status == "applied" and _person(db, tenant, employee_id="P0").status == "deactivated"


def test_a_scheduled_run_within_the_limits_applies_itself(db, tenant_factory, user_factory, make_source):
    tenant = tenant_factory()
    for i in range(10):
        user_factory(tenant, f"q{i}@example.com", employee_id=f"Q{i}", full_name=f"Quinn {i}")
    source = make_source(tenant)
    rows = [f"Q{i},q{i}@example.com,Quinn,{i},,,,,,active" for i in range(10)]
    rows[0] = "Q0,q0@example.com,Quinn,0,Baker,,,,,active"
    run = preview(db, tenant, source, csv_of(*rows), trigger="scheduled")
    assert run.status == "applied" and run.rows_applied == 1


def test_a_file_that_cannot_be_read_fails_the_run_with_the_reason(db, tenant_factory, make_source):
    tenant = tenant_factory()
    run = preview(db, tenant, make_source(tenant), b"\xff\xfe\x00bad")
    assert run.status == "failed" and "UTF-8" in run.error


def test_rows_read_moves_while_a_large_source_is_read(db, tenant_factory, make_source):
    tenant = tenant_factory()
    source = make_source(tenant)
    with as_tenant(tenant):
        source = db.session.merge(source)
        run = SyncRun(source=source, trigger="manual")
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        seen: list[int] = []
        lines = [f"E{n},p{n}@example.com,P,{n},,,,,,active" for n in range(5)]
        rows = runs.read_source(source, csv_of(*lines), run_id=run_id, report_every=2)
        assert len(rows) == 5
        # Stored in transactions of their own: another session sees the count as it moved.
        with Session(db.engine) as other, as_tenant(tenant):
            seen.append(other.scalars(select(SyncRun.rows_read).where(SyncRun.id == run_id)).one())
        assert seen == [4]


def test_an_unknown_manager_leaves_the_manager_alone_and_the_rest_of_the_row_applies(
    db, tenant_factory, user_factory, make_source
):
    tenant = tenant_factory()
    boss_id = user_factory(tenant, "boss@example.com", full_name="Bo Boss", employee_id="M1").id
    user_factory(tenant, "kim@example.com", full_name="Kim Cook", employee_id="K1", manager_id=boss_id)
    source = make_source(tenant)
    run = preview(
        db,
        tenant,
        source,
        csv_of(
            "K1,kim@example.com,Kim,Cook,Head chef,,,,M404,active",  # a typo in the manager's id
            "N1,nia@example.com,Nia,New,Cook,,,,M404,active",
        ),
    )
    grouped = _changes(db, tenant, run)
    assert "rejected" not in grouped
    [moved] = grouped["update"]
    assert "M404" in moved.reason and "left as it is" in moved.reason
    assert "manager" not in moved.after and moved.after["job_title"] == "Head chef"
    [created] = grouped["create"]
    assert "M404" in created.reason
    apply(db, tenant, run)
    kim = _person(db, tenant, employee_id="K1")
    assert kim.job_title == "Head chef" and kim.manager_id == boss_id
    nia = _person(db, tenant, employee_id="N1")
    assert nia.manager_id is None and nia.job_title == "Cook"
