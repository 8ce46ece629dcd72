"""The policy lesson kind: a course step that is complete once the learner has signed the policy.

It does not gate (``gates = False``): accepting a policy is evidence of consent,
not of understanding, so nothing later in the course depends on it; and a
learner who is asked to sign a material new version mid-course should not find
the rest of their course locked until they do.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.errors import ValidationError
from app.extensions import db
from app.inputs import parse_id
from app.learning.lesson_kinds import LessonKind, Upload, register
from app.policies.models import Acknowledgement, Policy, PolicyStatus


@register
class PolicyLesson(LessonKind):
    key = "policy"
    label = _l("Policy to accept")
    short_label = _l("Policy")
    gates = False
    form_fields = ("policy_id",)

    def clean(
        self,
        fields: dict[str, str],
        uploads: dict[str, Upload | None],
        current: dict[str, Any],
        tenant_id: int,
    ) -> dict[str, Any]:
        raw = (fields.get("policy_id") or "").strip()
        policy_id = parse_id(raw)
        policy = db.session.get(Policy, policy_id) if policy_id else None
        if policy is None or policy.current_version is None:
            raise ValidationError(_("Choose a published policy for people to accept."), field="policy_id")
        return {"policy_id": policy.id}

    def published_policies(self) -> list[Policy]:
        """The policies an author may pick (for the lesson form)."""
        return list(
            db.session.scalars(
                select(Policy).where(Policy.status == PolicyStatus.published.value).order_by(Policy.title)
            )
        )

    def done_elsewhere(self, enrollment: Any, lesson: Any) -> bool:
        """Signed already (perhaps outside this course), or the policy does not apply to this person:
        nothing is left to do here, and the course must not get stuck on it."""
        from app.policies.services import pending_policies

        policy = db.session.get(Policy, (lesson.content or {}).get("policy_id") or 0)
        if policy is None or policy.current_version is None:
            return False
        return not any(p.policy.id == policy.id for p in pending_policies(enrollment.user))

    def page_context(self, enrollment: Any, lesson: Any) -> dict[str, Any]:
        from datetime import datetime

        from flask_babel import get_timezone
        from flask_login import current_user

        from app.policies import services as policies
        from app.policies.forms import AcceptForm

        policy = db.session.get(Policy, (lesson.content or {}).get("policy_id") or 0)
        if policy is None or policy.current_version is None:
            return {"policy": None}
        pending = next((p for p in policies.pending_policies(current_user) if p.policy.id == policy.id), None)
        signed = list(
            db.session.scalars(
                select(Acknowledgement)
                .where(Acknowledgement.user_id == current_user.id, Acknowledgement.policy_id == policy.id)
                .order_by(Acknowledgement.id)
            )
        )
        return {
            "policy": policy,
            "version": policy.current_version,
            "policy_pending": pending,
            "signed": signed,
            "form": AcceptForm(),
            "next_path": request.path,
            "today": datetime.now(get_timezone()).date(),
        }
