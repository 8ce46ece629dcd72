"""Rules run whenever a person is created or changes, by any means (admin screen, SSO, SCIM, import)."""

from __future__ import annotations

from app.events import OutboxEvent, subscribe
from app.extensions import db


@subscribe("user.created")
@subscribe("user.updated")
@subscribe("user.reactivated")
def _apply_rules_to_person(event: OutboxEvent) -> None:
    from app.accounts.models import User
    from app.learning.services.rules import run_rules_for_user

    user = db.session.get(User, event.payload["user_id"])
    if user is not None:
        run_rules_for_user(user)


@subscribe("group.members_added")
def _apply_rules_to_new_members(event: OutboxEvent) -> None:
    from app.accounts.models import User
    from app.learning.services.rules import run_rules_for_user

    for user_id in event.payload.get("user_ids", []):
        user = db.session.get(User, user_id)
        if user is not None:
            run_rules_for_user(user)
