"""A manager's reminder names each open item (course, checkpoint, certification, policy) in their language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.accounts.models import User
from app.certifications.models import Certification
from app.compliance import services as compliance
from app.multilingual import services as translations
from app.multilingual.kinds import kind_named
from app.policies.models import Policy
from app.tenancy import as_tenant


def test_a_reminder_names_each_item_in_the_persons_language_and_the_original_for_others(
    db, tenant_factory, user_factory, course_factory, enrol, certify, policy_factory, mailbox, worker
):
    tenant = tenant_factory(enabled_locales=["en", "es"], default_locale="en")
    manager = user_factory(tenant, "mo.remind@translated.example", roles=("manager",), full_name="Mo Manager")
    lucia = user_factory(tenant, "lucia.remind@translated.example", full_name="Lucía Ruiz", locale="es")
    eve = user_factory(tenant, "eve.remind@translated.example", full_name="Eve English", locale="en")
    fryer = course_factory(tenant, "Fryer Safety", checkpoint=True)
    version = policy_factory(tenant, "Code of Conduct")
    for person in (lucia, eve):
        enrol(tenant, person, fryer, due_on=date.today() - timedelta(days=2))
    record = certify(
        tenant, lucia, "Food Handler", "certified", expires_at=datetime.now(UTC) + timedelta(days=5)
    )
    with as_tenant(tenant):
        course = db.session.merge(fryer)
        checkpoint = next(lesson for lesson in course.lessons if lesson.kind == "checkpoint")
        translations.save_translation(
            kind_named("course"), course, "es", {"title": "Seguridad en la freidora"}
        )
        translations.save_translation(kind_named("lesson"), checkpoint, "es", {"title": "Demuéstralo"})
        translations.save_translation(
            kind_named("certification"),
            db.session.get(Certification, record.certification_id),
            "es",
            {"title": "Manipulador de alimentos"},
        )
        translations.save_translation(
            kind_named("policy"),
            db.session.get(Policy, version.policy_id),
            "es",
            {"title": "Código de conducta"},
        )
        db.session.commit()
        by = db.session.get(User, manager.id)
        compliance.remind(db.session.get(User, lucia.id), by=by)
        compliance.remind(db.session.get(User, eve.id), by=by)
        db.session.commit()

    spanish = mailbox.wait_for("lucia.remind@translated.example").get_content()
    for name in (
        "Seguridad en la freidora",
        "Seguridad en la freidora: Demuéstralo",
        "Manipulador de alimentos",
        "Código de conducta",
    ):
        assert f"- {name}" in spanish
    assert "Fryer Safety" not in spanish and "Code of Conduct" not in spanish
    english = mailbox.wait_for("eve.remind@translated.example").get_content()
    assert (
        "- Fryer Safety" in english
        and "- Fryer Safety: Show it" in english
        and "- Code of Conduct" in english
    )
    assert "Seguridad" not in english
