"""Built-in and custom roles, and which roles a person holds."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from app import audit
from app.accounts import sessions
from app.accounts.models import Role, RoleAssignment, User, UserSession
from app.accounts.permissions import BUILTIN_ROLES, PLATFORM_BUILTIN_ROLES, TENANT_PERMISSIONS
from app.errors import ValidationError
from app.extensions import db
from app.tenancy.models import Tenant


def ensure_builtin_roles(tenant: Tenant) -> None:
    """Create (or refresh) the built-in roles of *tenant*."""
    definitions = PLATFORM_BUILTIN_ROLES if tenant.is_platform else BUILTIN_ROLES
    existing = {r.key: r for r in db.session.scalars(select(Role).where(Role.key.is_not(None)))}
    for key, (name, permissions) in definitions.items():
        role = existing.get(key)
        if role is None:
            db.session.add(Role(key=key, name=str(name), permissions=list(permissions), builtin=True))
        else:
            role.permissions = list(permissions)
    db.session.flush()


def list_roles() -> list[Role]:
    return list(db.session.scalars(select(Role).order_by(Role.builtin.desc(), Role.name)))


def role_by_key(key: str) -> Role | None:
    return db.session.scalars(select(Role).where(Role.key == key)).one_or_none()


def create_role(name: str, permissions: list[str], description: str | None = None) -> Role:
    """Create a custom role of *permissions*."""
    name = name.strip()
    if not name:
        raise ValidationError(_("Enter a name for the role."), field="name")
    unknown = sorted(set(permissions) - set(TENANT_PERMISSIONS))
    if unknown:
        raise ValidationError(
            _("Unknown permission: %(names)s", names=", ".join(unknown)), field="permissions"
        )
    if db.session.scalars(select(Role).where(func.lower(Role.name) == name.lower())).first():
        raise ValidationError(_("A role called “%(name)s” already exists.", name=name), field="name")
    role = Role(name=name, permissions=sorted(set(permissions)), description=description, builtin=False)
    db.session.add(role)
    audit.record("role.created", target=role, after={"name": name, "permissions": role.permissions})
    return role


def set_user_roles(user: User, role_ids: list[int], *, keep_session: UserSession | None = None) -> None:
    """Make *user* hold exactly the roles *role_ids*.

    A change ends every session of *user* (but *keep_session*, the admin's own when they change
    their own roles), so that new rights are used only after signing in again.
    """
    roles = (
        {r.id: r for r in db.session.scalars(select(Role).where(Role.id.in_(role_ids)))} if role_ids else {}
    )
    if len(roles) != len(set(role_ids)):
        raise ValidationError(_("Choose roles from the list."), field="roles")
    before = sorted(r.name for r in user.roles)
    current = {a.role_id: a for a in user.role_assignments}
    for role_id, assignment in current.items():
        if role_id not in roles:
            user.role_assignments.remove(assignment)
    for role_id, role in roles.items():
        if role_id not in current:
            user.role_assignments.append(RoleAssignment(role=role, tenant_id=user.tenant_id))
    after = sorted(r.name for r in roles.values())
    if before != after:
        audit.record("user.roles_changed", target=user, before={"roles": before}, after={"roles": after})
        sessions.revoke_user_sessions(user, keep=keep_session, reason="roles_changed")
