"""An enrolment rule can assign a certification: "everyone at a Midwest location must hold Food Handler"."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.services import create_org_unit, create_user
from app.certifications.models import CertificationRecord
from app.learning.models import Enrollment
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _form(client, cert_id: int, unit_id: int, action: str) -> dict[str, object]:
    return {
        "csrf_token": csrf_token(client, "/admin/rules/new"),
        "name": "Midwest must hold Food Handler",
        "match": "all",
        "target": f"certification:{cert_id}",
        "due_mode": "after_enrolment",
        "due_days": "30",
        "due_date": "",
        "condition_field": ["org_unit"],
        "condition_op": ["is"],
        "condition_unit": [str(unit_id)],
        "condition_group": [""],
        "condition_value": [""],
        "condition_name": [""],
        "action": action,
    }


def test_a_rule_assigns_a_certification_to_everyone_it_matches_and_to_people_who_join_later(
    db, tenant_factory, user_factory, client_for, food_handler
):
    tenant = tenant_factory()
    made = food_handler(tenant, visibility="nobody")  # only the rule decides who must hold it
    with as_tenant(tenant):
        midwest = create_org_unit("Midwest", "region")
        db.session.flush()
        downtown = create_org_unit("Downtown", "location", midwest.id)
        coast = create_org_unit("Coast", "region")
        db.session.commit()
    crew = [user_factory(tenant, org_unit_id=downtown.id) for _ in range(2)]
    outsider = user_factory(tenant, org_unit_id=coast.id)
    admin = user_factory(tenant, roles=("tenant_admin",))
    client = client_for(tenant, admin)

    form_page = client.get("/admin/rules/new").get_data(as_text=True)
    assert f'value="certification:{made["cert"]}">Certification: Food Handler</option>' in form_page
    preview = client.post(
        "/admin/rules/new",
        data=_form(client, made["cert"], midwest.id, "preview"),
        headers={"HX-Request": "true"},
    )
    assert "This rule would enrol 2 people now." in preview.get_data(as_text=True)
    with as_tenant(tenant):
        assert db.session.scalars(select(CertificationRecord)).all() == []

    assert (
        client.post("/admin/rules/new", data=_form(client, made["cert"], midwest.id, "save")).status_code
        == 302
    )
    assert "Food Handler" in client.get("/admin/rules").get_data(as_text=True)
    with as_tenant(tenant):
        records = db.session.scalars(select(CertificationRecord)).all()
        assert sorted(r.user_id for r in records) == sorted(u.id for u in crew)
        assert {r.state for r in records} == {"in_progress"}
        # They are enrolled in what it needs, due when the rule says.
        enrolments = db.session.scalars(
            select(Enrollment).where(
                Enrollment.course_id == made["course"], Enrollment.withdrawn_at.is_(None)
            )
        ).all()
        assert sorted(e.user_id for e in enrolments) == sorted(u.id for u in crew)
        assert all(e.due_on is not None and (e.due_on - e.enrolled_at.date()).days == 30 for e in enrolments)
        assert outsider.id not in {r.user_id for r in records}

        # A new hire at a Midwest location gets it too; running the rule again assigns nobody twice.
        newcomer = create_user("new@bistro.example", "New Hire", org_unit_id=downtown.id)
        db.session.commit()
    with as_tenant(tenant):
        from app.learning.services import rules

        rules.run_all_rules()
        db.session.commit()
        records = db.session.scalars(select(CertificationRecord)).all()
        assert sorted(r.user_id for r in records) == sorted([*(u.id for u in crew), newcomer.id])
