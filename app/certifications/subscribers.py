"""What certifications do when something happens: work done re-evaluates the certifications that ask for
it; people who join a certification's audience, and a certification published, start it."""

from __future__ import annotations

from app.events import OutboxEvent, subscribe
from app.extensions import db


def _reevaluate(kind: str, item_id: object, user_id: object) -> None:
    from app.certifications.services.people import reevaluate_for_item

    if isinstance(item_id, int) and isinstance(user_id, int):
        reevaluate_for_item(kind, item_id, user_id)


@subscribe("course.completed")
def _course_completed(event: OutboxEvent) -> None:
    _reevaluate("course", event.payload.get("course_id"), event.payload.get("user_id"))


@subscribe("path.completed")
def _path_completed(event: OutboxEvent) -> None:
    _reevaluate("path", event.payload.get("path_id"), event.payload.get("user_id"))


@subscribe("assessment.passed")
@subscribe("assessment.failed")
def _quiz_submitted(event: OutboxEvent) -> None:
    """A quiz's own pass mark may differ from a certification's minimum score: both outcomes count."""
    _reevaluate("quiz", event.payload.get("quiz_id"), event.payload.get("user_id"))


@subscribe("checkpoint.signed")
def _checkpoint_signed(event: OutboxEvent) -> None:
    _reevaluate("checkpoint", event.payload.get("lesson_id"), event.payload.get("user_id"))


@subscribe("policy.acknowledged")
def _policy_accepted(event: OutboxEvent) -> None:
    _reevaluate("policy", event.payload.get("policy_id"), event.payload.get("user_id"))


@subscribe("user.created")
@subscribe("user.updated")
@subscribe("user.reactivated")
def _start_for_person(event: OutboxEvent) -> None:
    from app.accounts.models import User
    from app.certifications.services.people import assign_to_person

    user = db.session.get(User, event.payload["user_id"])
    if user is not None:
        assign_to_person(user)


@subscribe("group.members_added")
def _start_for_new_members(event: OutboxEvent) -> None:
    from app.accounts.models import User
    from app.certifications.services.people import assign_to_person

    for user_id in event.payload.get("user_ids", []):
        user = db.session.get(User, user_id)
        if user is not None:
            assign_to_person(user)


@subscribe("certification.published")
def _start_for_audience(event: OutboxEvent) -> None:
    from app.certifications.models import Certification
    from app.certifications.services.people import assign_audience

    cert = db.session.get(Certification, event.payload["certification_id"])
    if cert is not None:
        assign_audience(cert)


@subscribe("library.deployed")
def _library_certification(event: OutboxEvent) -> None:
    """A package that carries a certification gives it to the tenant, over the course it became."""
    from app.certifications.services.library import materialise

    if "course_id" in event.payload:  # the platform's own record of a deployment names no course
        materialise(event.payload["version_id"], event.payload["course_id"])


@subscribe("library.deployment_upgraded")
def _library_certification_upgraded(event: OutboxEvent) -> None:
    from app.certifications.services.library import materialise

    if "course_id" in event.payload:
        materialise(event.payload["to_version_id"], event.payload["course_id"])
