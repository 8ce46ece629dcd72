"""Groups changed over SCIM, through app.accounts.services."""

from __future__ import annotations

from typing import Any

from scim2_models import (
    InvalidValueException,
    NotFoundException,
    UniquenessException,
)
from sqlalchemy import ColumnElement, exists, false, func, select, true
from sqlalchemy.orm import aliased

from app import audit
from app.accounts import services as accounts
from app.accounts.models import Group, GroupMembership, User
from app.extensions import db
from app.scim.filters import Column, attribute_key
from app.scim.models import ScimGroup
from app.scim.services.people import service_call
from app.tenancy.models import utcnow

_scim_group = aliased(ScimGroup)


def group_columns(key: str) -> Column | None:
    columns = {
        "id": Column(Group.id, kind="integer"),
        "displayname": Column(Group.name),
        "externalid": Column(_scim_group.external_id, case_exact=True),
        "meta.created": Column(Group.created_at, kind="datetime"),
    }
    if key in ("members", "members.value"):
        member = aliased(GroupMembership)
        return Column(
            select(member.user_id).where(member.group_id == Group.id).limit(1).scalar_subquery(),
            kind="integer",
        )
    return columns.get(key)


def _visible_groups() -> Any:
    return (
        select(Group, _scim_group)
        .outerjoin(_scim_group, _scim_group.group_id == Group.id)
        .where(_scim_group.deleted_at.is_(None))
    )


def search_groups(
    expression: str | None, *, sort_by: str | None, descending: bool, start_index: int, count: int
) -> tuple[list[tuple[Group, ScimGroup | None]], int]:
    condition = _group_condition(expression)
    statement = _visible_groups().where(condition)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    order: list[Any] = []
    if sort_by:
        column = group_columns(attribute_key(sort_by))
        if column is None:
            raise InvalidValueException(detail=f"{sort_by} cannot be sorted on")
        order.append(column.expression.desc() if descending else column.expression.asc())
    order.append(Group.id)
    if count <= 0:
        return [], total
    rows = db.session.execute(statement.order_by(*order).offset(start_index - 1).limit(count)).all()
    return [(row[0], row[1]) for row in rows], total


def _group_condition(expression: str | None) -> ColumnElement[bool]:
    """A group filter; ``members[value eq "7"]`` and ``members eq "7"`` ask whether 7 is a member."""
    from scim2_models.path import CompareOperator, Comparison

    from app.scim.filters import SqlFilter, parse

    class GroupFilter(SqlFilter):
        def visit_comparison(self, node: Comparison) -> ColumnElement[bool]:
            key = attribute_key(node.attr_path)
            if self.prefix:
                key = f"{self.prefix}.{key}"
            if key in ("members", "members.value") and node.op == CompareOperator.eq:
                value = str(node.value)
                if not value.isdigit() or len(value) > 18:
                    return false()
                return exists().where(
                    GroupMembership.group_id == Group.id, GroupMembership.user_id == int(value)
                )
            return super().visit_comparison(node)

    if not expression or not expression.strip():
        return true()
    return GroupFilter(group_columns).visit(parse(expression))


def find_group(resource_id: str) -> tuple[Group, ScimGroup | None]:
    if not resource_id.isdigit() or len(resource_id) > 18:
        raise NotFoundException(detail=f"no Group {resource_id}")
    row = db.session.execute(_visible_groups().where(Group.id == int(resource_id))).first()
    if row is None:
        raise NotFoundException(detail=f"no Group {resource_id}")
    return row[0], row[1]


def _member_ids(resource: Any) -> list[int]:
    ids: list[int] = []
    for member in resource.members or []:
        value = str(member.value or "")
        if not value.isdigit() or len(value) > 18 or db.session.get(User, int(value)) is None:
            raise InvalidValueException(detail=f"member {value!r} is no User of this portal")
        ids.append(int(value))
    return ids


def _group_name_taken(name: str, group: Group | None) -> bool:
    clash = db.session.scalars(select(Group.id).where(func.lower(Group.name) == name.strip().lower())).first()
    return clash is not None and (group is None or clash != group.id)


def _save_group_state(group: Group, scim: ScimGroup | None, external_id: str | None) -> ScimGroup:
    if scim is None:
        scim = ScimGroup(group_id=group.id, version=0)
        db.session.add(scim)
    scim.external_id = external_id
    scim.version = (scim.version or 0) + 1
    return scim


def create_group(resource: Any) -> tuple[Group, ScimGroup]:
    name = (resource.display_name or "").strip()
    if not name:
        raise InvalidValueException(detail="displayName is required")
    if _group_name_taken(name, None):
        raise UniquenessException(detail=f"a Group called {name!r} already exists")
    member_ids = _member_ids(resource)
    group = service_call(accounts.create_group, name)
    db.session.flush()
    if member_ids:
        accounts.add_group_members(group, member_ids)
    return group, _save_group_state(group, None, resource.external_id)


def replace_group(group: Group, scim: ScimGroup | None, resource: Any) -> tuple[str, ScimGroup]:
    name = (resource.display_name or "").strip()
    if not name:
        raise InvalidValueException(detail="displayName is required")
    if _group_name_taken(name, group):
        raise UniquenessException(detail=f"a Group called {name!r} already exists")
    wanted = set(_member_ids(resource))
    present = {m.user_id for m in group.memberships}
    changed = (
        name != group.name
        or wanted != present
        or (scim.external_id if scim else None) != resource.external_id
    )
    if name != group.name:
        service_call(accounts.update_group, group, name, group.description)
    if wanted - present:
        accounts.add_group_members(group, sorted(wanted - present))
    for user_id in sorted(present - wanted):
        user = db.session.get(User, user_id)
        if user is not None:
            accounts.remove_group_member(group, user)
    if not changed and scim is not None:
        return "unchanged", scim
    return "updated", _save_group_state(group, scim, resource.external_id)


def delete_group(group: Group, scim: ScimGroup | None) -> None:
    """DELETE /Groups/<id>: the members leave it and it is renamed out of the way; its history stays."""
    for membership in list(group.memberships):
        accounts.remove_group_member(group, membership.user)
    scim = scim or _save_group_state(group, None, None)
    scim.deleted_at = utcnow()
    scim.version += 1
    stamp = scim.deleted_at.strftime("%Y-%m-%d %H:%M:%S")
    service_call(accounts.update_group, group, f"{group.name} (removed {stamp})"[:200], group.description)
    audit.record("scim.group_deleted", target=group, after={"name": group.name})
