"""Demo certifications: bistro's Food Handler (some crew certified, one expiring next week, one expired)
and the partners' Certified Widget Seller, carried by a library package."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.accounts.models import OrgUnit, User
from app.certifications.models import Certification, RecordState
from app.certifications.services import definitions, lifecycle
from app.extensions import db
from app.learning.models import Course, LearningPath
from app.tenancy import as_tenant
from app.tenancy.models import Tenant, utcnow

WIDGET_SELLER_SLUG = "certified-widget-seller"
WIDGET_SELLER_PAGE = """Certified Widget Sellers have completed the **Selling Atrium Widgets** path and passed
the certification-prep exam. The certification lasts **twelve months**; renew it by taking the path's courses
and the exam again in the month before it expires.

While certified you may:

- use the *Certified Widget Seller* mark on your proposals and email signature;
- quote Widget Care Plus on your own;
- register deals in the partner portal at your tier's discount.
"""


def _by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email)).first()


def _award_ago(cert: Certification, user: User | None, *, months: int, days: int = 0, note: str) -> None:
    """Award *cert* to *user* as if *months* months (and *days* days) ago; the clock then moves it on."""
    if user is None:
        return
    record, _new = lifecycle.ensure_record(cert, user)
    if record.cycle:
        return
    awarded_at = lifecycle.add_months(utcnow(), -months) - timedelta(days=days)
    lifecycle.award_manually(record, by=None, note=note, awarded_at=awarded_at, how="import")


def expiring_soon(cert: Certification, user: User | None) -> None:
    """Award *cert* to *user* as if long ago, so that it expires in ten days (idempotent)."""
    note = "Certified on paper before Atrium."
    _award_ago(cert, user, months=cert.validity_months or 24, days=-10, note=note)


def food_handler(food: Course) -> Certification:
    """Food Handler: Food Safety Basics, its quiz and the Fryer checkpoint; every Midwest location."""
    existing = db.session.scalars(select(Certification).where(Certification.title == "Food Handler")).first()
    if existing is not None:
        return existing
    midwest = db.session.scalars(select(OrgUnit).where(OrgUnit.name == "Midwest")).first()
    cert = definitions.create_certification(
        {
            "title": "Food Handler",
            "description": "Everyone who handles food at a Midwest location holds a current Food Handler "
            "certification: the Food Safety Basics course, its quiz and the fryer sign-off.",
            "validity": "months",
            "validity_months": 24,
            "renewal_window_days": 60,
            "grace_days": 0,
            "reminder_days": "60, 30, 7, 1, 0",
        },
        visibility="restricted" if midwest else "everyone",
        audiences={"org_unit": [str(midwest.id)]} if midwest else {},
    )
    quiz = next((lesson for lesson in food.lessons if lesson.kind == "assessment"), None)
    fryer = next((lesson for lesson in food.lessons if lesson.kind == "checkpoint"), None)
    items: list[dict[str, object]] = [{"kind": "course", "item_id": food.id}]
    if quiz is not None:
        items.append({"kind": "quiz", "item_id": int(quiz.content["quiz_id"]), "min_score": 80})
    if fryer is not None:
        items.append({"kind": "checkpoint", "item_id": fryer.id})
    definitions.set_requirements(cert, "initial", items)
    # Renewing: the course again (its quiz and the sign-off are part of it).
    definitions.set_requirements(cert, "renewal", [{"kind": "course", "item_id": food.id}])
    definitions.publish(cert)  # everyone at a Midwest location is now in progress
    note = "Certified at the franchise's previous training provider."
    for email, months in (
        ("crew3.downtown@bistro.example", 5),
        ("crew1.riverside@bistro.example", 11),
        ("crew1.airport@bistro.example", 2),
    ):
        _award_ago(cert, _by_email(email), months=months, note=note)
    # Expires next week: in the renewal window, enrolled again in the course, due the day it expires.
    _award_ago(cert, _by_email("crew2.riverside@bistro.example"), months=24, days=-7, note=note)
    # Expired a month ago.
    _award_ago(cert, _by_email("crew2.airport@bistro.example"), months=25, note=note)
    return cert


def _widget_seller_package() -> object:
    from app.library import services as library
    from app.library.models import LibraryPackage

    package = db.session.scalars(
        select(LibraryPackage).where(LibraryPackage.slug == WIDGET_SELLER_SLUG)
    ).first()
    if package is None:
        package = library.create_package(
            WIDGET_SELLER_SLUG,
            "Certified Widget Seller",
            "What the Certified Widget Seller certification means and what it lets you do.",
            language="en",
            duration_minutes=5,
            category="Sales",
            tags=("sales", "certification"),
        )
    if package.latest_published is None:
        draft = library.start_new_draft(package)
        library.update_draft(
            draft,
            title="Certified Widget Seller",
            description="What the Certified Widget Seller certification means and what it lets you do.",
            language="en",
            duration_minutes=5,
            category="Sales",
            tags=("sales", "certification"),
            lessons=[
                {"kind": "page", "title": "Being certified", "required": True, "markdown": WIDGET_SELLER_PAGE}
            ],
        )
        library.set_certification(
            draft,
            {
                "title": "Certified Widget Seller",
                "description": "Partner reps who may sell Atrium Widgets on their own.",
                "validity_months": 12,
                "renewal_window_days": 30,
                "grace_days": 14,
                "reminder_days": "30, 7, 0",
                "min_score": 70,
            },
        )
        library.publish(draft)
        library.set_targeting(package, ["partners"], [], auto_deploy=False)
    return package


def widget_seller() -> None:
    """Publish the Certified Widget Seller package, deploy it to partners and add the path and the exam."""
    from app.library import services as library

    partners = db.session.scalars(select(Tenant).where(Tenant.slug == "partners")).first()
    if partners is None:
        return
    package = _widget_seller_package()
    library.deploy(package, partners)  # type: ignore[arg-type]
    with as_tenant(partners):
        cert = db.session.scalars(
            select(Certification).where(Certification.library_version_id.is_not(None))
        ).first()
        if cert is None:
            return
        path = db.session.scalars(
            select(LearningPath).where(LearningPath.title == "Selling Atrium Widgets")
        ).first()
        exam_course = db.session.scalars(
            select(Course).where(Course.title == "Selling Atrium Widgets: certification-prep exam")
        ).first()
        exam = (
            next((lesson for lesson in exam_course.lessons if lesson.kind == "assessment"), None)
            if exam_course
            else None
        )
        wanted = {(r.kind, r.item_id) for r in cert.requirements}
        items = [{"kind": r.kind, "item_id": r.item_id, "min_score": r.min_score} for r in cert.requirements]
        if path is not None and ("path", path.id) not in wanted:
            items.append({"kind": "path", "item_id": path.id})
        if exam is not None and ("quiz", int(exam.content["quiz_id"])) not in wanted:
            items.append({"kind": "quiz", "item_id": int(exam.content["quiz_id"]), "min_score": 70})
        if len(items) > len(wanted):
            definitions.set_requirements(cert, "initial", items)
        learner = _by_email("learner@partners.example")
        _award_ago(
            cert, learner, months=3, note="Completed the path and passed the exam at the partner summit."
        )
        rep = _by_email("rep@partners.example")
        if rep is not None:
            record, _new = lifecycle.ensure_record(cert, rep)
            if record.state == RecordState.not_started.value:
                lifecycle.start(cert, rep)
