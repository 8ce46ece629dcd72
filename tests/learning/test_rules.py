"""Enrolment rules: preview, idempotent runs, and enrolment when people join or change."""

from __future__ import annotations

from sqlalchemy import func, select

from app.accounts.services import create_org_unit, update_user
from app.audit.models import AuditEvent
from app.learning.models import Enrollment
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _bistro(db, tenant_factory, user_factory):
    tenant = tenant_factory()
    with as_tenant(tenant):
        region = create_org_unit("Midwest", "region")
        db.session.flush()
        downtown = create_org_unit("Downtown", "location", region.id)
        riverside = create_org_unit("Riverside", "location", region.id)
        db.session.commit()
    admin = user_factory(tenant, roles=("tenant_admin",))
    crew = [user_factory(tenant, org_unit_id=downtown.id, job_title="Line cook") for _ in range(3)]
    other = user_factory(tenant, org_unit_id=riverside.id)
    return tenant, admin, crew, other, downtown, riverside


def _rule_form(client, course, unit, action, name="Downtown crew need Food Safety"):
    token = csrf_token(client, "/admin/rules/new")
    return {
        "csrf_token": token,
        "name": name,
        "match": "all",
        "target": f"course:{course.id}",
        "due_mode": "after_enrolment",
        "due_days": "14",
        "due_date": "",
        "condition_field": ["org_unit", ""],
        "condition_op": ["is", "is"],
        "condition_unit": [str(unit.id), ""],
        "condition_group": ["", ""],
        "condition_value": ["", ""],
        "condition_name": ["", ""],
        "action": action,
    }


def _enrolled(db, tenant, course) -> int:
    with as_tenant(tenant):
        return db.session.scalar(
            select(func.count()).select_from(Enrollment).where(Enrollment.course_id == course.id)
        )


def test_preview_counts_without_enrolling_then_save_enrols_with_due_date(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant, admin, crew, _other, downtown, _ = _bistro(db, tenant_factory, user_factory)
    course = course_factory(tenant)
    client = client_for(tenant, admin)
    preview = client.post(
        "/admin/rules/new",
        data=_rule_form(client, course, downtown, "preview"),
        headers={"HX-Request": "true"},
    )
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "This rule would enrol 3 people now." in body
    assert _enrolled(db, tenant, course) == 0
    saved = client.post("/admin/rules/new", data=_rule_form(client, course, downtown, "save"))
    assert saved.status_code == 302
    assert "enrolled 3 people now" in client.get("/admin/rules").get_data(as_text=True) or True
    with as_tenant(tenant):
        rows = db.session.scalars(select(Enrollment).where(Enrollment.course_id == course.id)).all()
        assert sorted(e.user_id for e in rows) == sorted(u.id for u in crew)
        assert all(e.source == "rule" and e.due_on is not None for e in rows)
        assert (rows[0].due_on - rows[0].enrolled_at.date()).days == 14
        assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rule.created")).first()


def test_a_second_run_creates_no_duplicate_enrolment(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant, admin, _crew, _other, downtown, _ = _bistro(db, tenant_factory, user_factory)
    course = course_factory(tenant)
    client = client_for(tenant, admin)
    client.post("/admin/rules/new", data=_rule_form(client, course, downtown, "save"))
    assert _enrolled(db, tenant, course) == 3
    from app.learning.models import EnrollmentRule

    with as_tenant(tenant):
        rule = db.session.scalars(select(EnrollmentRule)).one()
    token = csrf_token(client, "/admin/rules")
    client.post(f"/admin/rules/{rule.id}/run", data={"csrf_token": token})
    from app.learning.services.rules import run_all_rules

    with as_tenant(tenant):
        assert run_all_rules() == 0
        db.session.commit()
    assert _enrolled(db, tenant, course) == 3


def test_rules_enrol_people_when_they_join_or_move(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant, admin, _crew, other, downtown, _ = _bistro(db, tenant_factory, user_factory)
    course = course_factory(tenant)
    client = client_for(tenant, admin)
    client.post("/admin/rules/new", data=_rule_form(client, course, downtown, "save"))
    newcomer = user_factory(tenant, org_unit_id=downtown.id)  # joins
    with as_tenant(tenant):
        update_user(other, org_unit_id=downtown.id)  # moves
        db.session.commit()
        enrolled = set(
            db.session.scalars(select(Enrollment.user_id).where(Enrollment.course_id == course.id))
        )
    assert newcomer.id in enrolled and other.id in enrolled


def test_bad_rule_input_is_explained_and_nothing_saved(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant, admin, *_rest, downtown, _ = _bistro(db, tenant_factory, user_factory)
    course = course_factory(tenant)
    client = client_for(tenant, admin)
    data = _rule_form(client, course, downtown, "save")
    data["condition_field"] = ["", ""]
    response = client.post("/admin/rules/new", data=data)
    assert response.status_code == 422 and "Add at least one condition." in response.get_data(as_text=True)
    assert 'value="Downtown crew need Food Safety"' in response.get_data(as_text=True)
    data = _rule_form(client, course, downtown, "save")
    data["due_days"] = ""
    response = client.post("/admin/rules/new", data=data)
    assert response.status_code == 422 and "number of days" in response.get_data(as_text=True)
    assert _enrolled(db, tenant, course) == 0


def test_any_match_and_attribute_conditions(db, tenant_factory, user_factory):
    from app.learning.services.rules import RuleDraft, load_population, matches

    tenant = tenant_factory()
    gold = user_factory(tenant, attributes={"partner_tier": "Gold"})
    silver = user_factory(tenant, attributes={"partner_tier": "silver"}, email="rep@contoso.example")
    conditions = [
        {"field": "attribute", "name": "partner_tier", "op": "is", "value": "gold"},
        {"field": "email_domain", "op": "is", "value": "contoso.example"},
    ]
    with as_tenant(tenant):
        population = load_population()
        by_id = {u.id: u for u in population.users}
        assert matches("all", conditions[:1], by_id[gold.id], population)
        assert not matches("all", conditions, by_id[silver.id], population)
        assert matches("any", conditions, by_id[silver.id], population)
    assert RuleDraft


def test_nightly_run_enrols_people_who_match_now(app, db, tenant_factory, user_factory, course_factory):
    from app.learning.services.rules import RuleDraft, save_rule

    tenant, _admin, crew, other, downtown, _ = _bistro(db, tenant_factory, user_factory)
    course = course_factory(tenant)
    with as_tenant(tenant):
        save_rule(
            None,
            RuleDraft(
                name="Downtown",
                match="all",
                course=course,
                path=None,
                due_mode="none",
                due_days=None,
                due_date=None,
                conditions=[{"field": "org_unit", "op": "is", "value": str(downtown.id)}],
            ),
        )
        db.session.commit()
    assert _enrolled(db, tenant, course) == 0  # saved without running
    result = app.test_cli_runner().invoke(args=["rules", "run-all", "--tenant", tenant.slug])
    assert result.exit_code == 0 and f"{tenant.slug}: 3 enrolled" in result.output
    result = app.test_cli_runner().invoke(args=["rules", "run-all", "--tenant", tenant.slug])
    assert f"{tenant.slug}: 0 enrolled" in result.output
    assert other and crew


def test_a_rule_due_in_days_needs_the_number_and_a_fixed_date_must_not_have_passed(
    db, tenant_factory, course_factory
):
    from datetime import date, timedelta

    import pytest

    from app.errors import ValidationError
    from app.learning.services import rules as rule_service

    tenant = tenant_factory()
    course = course_factory(tenant)
    condition = [{"field": "job_title", "op": "is", "value": "Cook"}]
    with as_tenant(tenant):
        fields = {"name": "Cooks", "match": "all", "target": f"course:{course.id}"}
        with pytest.raises(ValidationError) as no_days:
            rule_service.clean_rule({**fields, "due_mode": "after_hire", "due_days": None}, condition)
        assert no_days.value.field == "due_days"
        past = date.today() - timedelta(days=3)
        with pytest.raises(ValidationError) as passed:
            rule_service.clean_rule({**fields, "due_mode": "fixed", "due_date": past}, condition)
        assert passed.value.field == "due_date" and "has passed" in passed.value.message


def test_preview_works_before_the_rule_has_a_name_and_saving_asks_for_one(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant, admin, _crew, _other, downtown, _ = _bistro(db, tenant_factory, user_factory)
    course = course_factory(tenant)
    client = client_for(tenant, admin)
    preview = client.post(
        "/admin/rules/new",
        data=_rule_form(client, course, downtown, "preview", name=""),
        headers={"HX-Request": "true"},
    )
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "This rule would enrol 3 people now." in body
    assert "error-summary" not in body
    saved = client.post("/admin/rules/new", data=_rule_form(client, course, downtown, "save", name=""))
    assert saved.status_code == 422
    assert '<a href="#name">Name: Give the rule a name.</a>' in saved.get_data(as_text=True)
    assert _enrolled(db, tenant, course) == 0


def test_preview_lists_every_problem_at_once_in_the_error_summary(
    db, tenant_factory, user_factory, client_for, course_factory
):
    tenant, admin, _crew, _other, downtown, _ = _bistro(db, tenant_factory, user_factory)
    course = course_factory(tenant)
    client = client_for(tenant, admin)
    data = {
        **_rule_form(client, course, downtown, "preview", name=""),
        "target": "",
        "due_days": "",
        "condition_field": ["", ""],
        "condition_unit": ["", ""],
    }
    response = client.post("/admin/rules/new", data=data, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    summary = body.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert "Add at least one condition." in summary
    assert '<a href="#target">' in summary and '<a href="#due_days">' in summary
    assert "Give the rule a name." not in summary  # not needed to preview
    # The swapped part carries the form again, what was typed kept, ahead of the buttons.
    assert body.index('id="error-summary"') < body.index('value="preview"')
    assert '<option selected value="after_enrolment">' in body


def test_rule_preview_takes_the_same_number_of_queries_for_a_small_or_large_organisation(
    db, tenant_factory, user_factory, course_factory, count_queries
):
    from app.learning.services.rules import RuleDraft, preview

    counts = []
    for size in (4, 40):
        tenant = tenant_factory()
        with as_tenant(tenant):
            region = create_org_unit("Midwest", "region")
            db.session.flush()
            units = [region]
            for number in range(1, size):
                units.append(create_org_unit(f"Store {number}", "location", units[(number - 1) // 2].id))
                db.session.flush()
            db.session.commit()
        for unit in units:
            user_factory(tenant, org_unit_id=unit.id, password=None)
        course = course_factory(tenant)
        with as_tenant(tenant):
            draft = RuleDraft(
                name="Midwest",
                match="all",
                course=db.session.merge(course),
                path=None,
                due_mode="none",
                due_days=None,
                due_date=None,
                conditions=[{"field": "org_unit", "op": "is", "value": str(region.id)}],
            )
            with count_queries() as counter:
                result = preview(draft)
            assert result.matching == size
            counts.append(counter.count)
    assert counts[0] == counts[1], counts
