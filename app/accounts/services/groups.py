"""Groups of people: create, rename, add and remove members."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import audit, events
from app.accounts.models import Group, GroupMembership, User
from app.errors import ValidationError
from app.extensions import db


def list_groups() -> list[Group]:
    return list(
        db.session.scalars(select(Group).options(selectinload(Group.memberships)).order_by(Group.name))
    )


def create_group(name: str, description: str | None = None) -> Group:
    """Create a group of people."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Enter a name for the group."), field="name")
    if db.session.scalars(select(Group.id).where(func.lower(Group.name) == name.lower())).first():
        raise ValidationError(_("A group called “%(name)s” already exists.", name=name), field="name")
    group = Group(name=name, description=(description or "").strip() or None)
    db.session.add(group)
    audit.record("group.created", target=group, after={"name": name})
    return group


def update_group(group: Group, name: str, description: str | None) -> Group:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Enter a name for the group."), field="name")
    clash = db.session.scalars(select(Group.id).where(func.lower(Group.name) == name.lower())).first()
    if clash is not None and clash != group.id:
        raise ValidationError(_("A group called “%(name)s” already exists.", name=name), field="name")
    before = {"name": group.name, "description": group.description}
    group.name, group.description = name, (description or "").strip() or None
    after = {"name": group.name, "description": group.description}
    if before != after:
        audit.record("group.updated", target=group, before=before, after=after)
    return group


def add_group_members(group: Group, user_ids: list[int]) -> int:
    """Add the users *user_ids* to *group*, skipping those already in it; return how many were added."""
    present = {m.user_id for m in group.memberships}
    users = (
        list(db.session.scalars(select(User).where(User.id.in_(set(user_ids) - present)))) if user_ids else []
    )
    for user in users:
        group.memberships.append(GroupMembership(user=user, tenant_id=group.tenant_id))
    if users:
        db.session.flush()
        audit.record("group.members_added", target=group, after={"user_ids": sorted(u.id for u in users)})
        events.emit("group.members_added", {"group_id": group.id, "user_ids": sorted(u.id for u in users)})
    return len(users)


def remove_group_member(group: Group, user: User) -> None:
    for membership in list(group.memberships):
        if membership.user_id == user.id:
            group.memberships.remove(membership)
            audit.record("group.member_removed", target=group, before={"user_id": user.id})
