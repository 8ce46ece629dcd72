"""Write, version and publish policies; record signed acknowledgements; find who still has to accept."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import audit, events
from app.accounts.models import GroupMembership, User
from app.audit.models import AuditEvent
from app.errors import ValidationError
from app.extensions import db
from app.learning.lesson_kinds import render_markdown
from app.learning.services.visibility import org_unit_ancestry
from app.policies.models import Acknowledgement, Policy, PolicyAudience, PolicyStatus, PolicyVersion
from app.tenancy.models import utcnow


def create_policy(
    title: str,
    *,
    visibility: str = "everyone",
    audiences: dict[str, list[str]] | None = None,
    due_days: int | None = None,
) -> Policy:
    """Create a draft policy that everyone, or the named groups and org units, must accept."""
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the policy a title."), field="title")
    if db.session.scalars(select(Policy.id).where(Policy.title == title)).first():
        raise ValidationError(_("A policy called “%(name)s” already exists.", name=title), field="title")
    if due_days is not None and not 1 <= due_days <= 3650:
        raise ValidationError(_("Enter between 1 and 3650 days."), field="due_days")
    policy = Policy(title=title, visibility=visibility, due_days=due_days)
    db.session.add(policy)
    wanted = {(kind, str(v)) for kind in ("group", "org_unit") for v in (audiences or {}).get(kind, [])}
    if visibility == "restricted" and not wanted:
        raise ValidationError(
            _("Name at least one group or organisation unit, or ask everyone."), field="visibility"
        )
    for kind, value in sorted(wanted):
        policy.audiences.append(PolicyAudience(kind=kind, value=value))
    db.session.flush()
    audit.record("policy.created", target=policy, after={"title": title, "visibility": visibility})
    return policy


def save_draft(policy: Policy, body_markdown: str, *, material: bool = True) -> PolicyVersion:
    """Write the next version's text; it is a draft until published."""
    body = (body_markdown or "").strip()
    if not body:
        raise ValidationError(_("Write the policy's text."), field="body")
    draft = next((v for v in policy.versions if v.published_at is None), None)
    if draft is None:
        draft = PolicyVersion(number=len(policy.versions) + 1)
        policy.versions.append(draft)
    draft.body_markdown = body
    draft.body_html = render_markdown(body)
    draft.material = material or draft.number == 1
    db.session.flush()
    return draft


def content_hash(version: PolicyVersion) -> str:
    """The SHA-256 of exactly what people read: the rendered document."""
    return hashlib.sha256(version.body_html.encode("utf-8")).hexdigest()


def publish_version(version: PolicyVersion) -> PolicyVersion:
    """Publish *version*: its content is fixed and hashed; a material version asks everyone again."""
    if version.published_at is not None:
        raise ValidationError(_("This version is already published and cannot change."))
    version.sha256 = content_hash(version)
    version.published_at = utcnow()
    version.policy.status = PolicyStatus.published.value
    audit.record(
        "policy.version_published",
        target=version.policy,
        after={"version": version.number, "sha256": version.sha256, "material": version.material},
    )
    events.emit(
        "policy.version_published",
        {"policy_id": version.policy_id, "version": version.number, "material": version.material},
    )
    return version


def applies_to(policy: Policy, user: User, groups: set[int], units: frozenset[int]) -> bool:
    if policy.visibility == "everyone":
        return True
    for audience in policy.audiences:
        if audience.kind == "group" and audience.value.isdigit() and int(audience.value) in groups:
            return True
        if audience.kind == "org_unit" and audience.value.isdigit() and int(audience.value) in units:
            return True
    return False


@dataclass
class PendingPolicy:
    policy: Policy
    version: PolicyVersion
    due_on: date | None

    def overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today


def pending_policies(user: User) -> list[PendingPolicy]:
    """The policies *user* must still accept: the latest material version they have not signed."""
    policies = list(
        db.session.scalars(
            select(Policy)
            .where(Policy.status == PolicyStatus.published.value)
            .options(selectinload(Policy.versions), selectinload(Policy.audiences))
        )
    )
    if not policies:
        return []
    groups = set(
        db.session.scalars(select(GroupMembership.group_id).where(GroupMembership.user_id == user.id))
    )
    units = org_unit_ancestry(user.org_unit_id)
    signed = {
        (policy_id, number)
        for policy_id, number in db.session.execute(
            select(Acknowledgement.policy_id, PolicyVersion.number)
            .join(PolicyVersion, PolicyVersion.id == Acknowledgement.version_id)
            .where(Acknowledgement.user_id == user.id)
        )
    }
    pending = []
    for policy in policies:
        binding = policy.binding_version
        if binding is None or not applies_to(policy, user, groups, units):
            continue
        if any(pid == policy.id and number >= binding.number for pid, number in signed):
            continue
        due = None
        if policy.due_days and binding.published_at is not None:
            due = binding.published_at.date() + timedelta(days=policy.due_days)
        current = policy.current_version or binding
        pending.append(PendingPolicy(policy=policy, version=current, due_on=due))
    return sorted(pending, key=lambda p: (p.due_on or date.max, p.policy.title))


def acknowledgement_record(ack: Acknowledgement) -> dict[str, Any]:
    return {
        "user_id": ack.user_id,
        "policy_id": ack.policy_id,
        "version_id": ack.version_id,
        "content_sha256": ack.content_sha256,
        "signature": ack.signature,
        "ip": ack.ip,
        "user_agent": ack.user_agent,
        "acknowledged_at": _utc_naive(ack.acknowledged_at).isoformat(),
    }


def _utc_naive(value: Any) -> Any:
    from datetime import UTC

    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


def acknowledge_policy(
    user: User,
    version: PolicyVersion,
    signature: str,
    *,
    accepted: bool,
    ip: str | None,
    user_agent: str | None,
) -> Acknowledgement:
    """Record that *user* accepted *version*, signed with their typed name."""
    if version.published_at is None or version.sha256 is None:
        raise ValidationError(_("This version is not published."))
    if not accepted:
        raise ValidationError(
            _("Tick the box to confirm you have read and accept the policy."), field="accept"
        )
    if (signature or "").strip().casefold() != user.full_name.strip().casefold():
        raise ValidationError(
            _("Type your full name exactly as shown to sign: %(name)s", name=user.full_name),
            field="signature",
        )
    existing = db.session.scalars(
        select(Acknowledgement).where(
            Acknowledgement.user_id == user.id, Acknowledgement.version_id == version.id
        )
    ).first()
    if existing is not None:
        return existing
    ack = Acknowledgement(
        user_id=user.id,
        policy_id=version.policy_id,
        version_id=version.id,
        content_sha256=version.sha256,
        signature=signature.strip(),
        ip=ip,
        user_agent=(user_agent or "")[:500] or None,
        acknowledged_at=utcnow().replace(microsecond=0),
    )
    db.session.add(ack)
    db.session.flush()
    audit.record("policy.acknowledged", target=ack, after=acknowledgement_record(ack))
    events.emit(
        "policy.acknowledged",
        {
            "acknowledgement_id": ack.id,
            "user_id": user.id,
            "policy_id": version.policy_id,
            "version": version.number,
        },
    )
    return ack


def verify_acknowledgements(tenant_id: int) -> str | None:
    """Compare every acknowledgement with its audit record; name the first one that differs."""
    recorded = {
        event.target_id: event.after
        for event in db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.tenant_id == tenant_id, AuditEvent.action == "policy.acknowledged"
            )
        )
    }
    for ack in db.session.scalars(
        select(Acknowledgement).where(Acknowledgement.tenant_id == tenant_id).order_by(Acknowledgement.id)
    ):
        if recorded.get(str(ack.id)) != acknowledgement_record(ack):
            return f"acknowledgement {ack.id} differs from its audit record"
    return None
