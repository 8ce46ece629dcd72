"""People, their organisation, groups and roles — all tenant-scoped."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime
from typing import Any, cast

from flask_login import UserMixin
from sqlalchemy import JSON, Date, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db_types import UtcDateTime
from app.extensions import Model
from app.tenancy.models import TenantScoped, tenant_unique, utcnow


class UserStatus(enum.StrEnum):
    active = "active"
    deactivated = "deactivated"


class OrgUnitKind(enum.StrEnum):
    region = "region"
    location = "location"
    department = "department"
    company = "company"  # a partner company (the partner program gives it a tier)
    other = "other"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class OrgUnit(TenantScoped, Model):
    """A node of the tenant's organisation tree: a region, location or department."""

    __tablename__ = "org_units"
    __table_args__ = (tenant_unique("parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default=OrgUnitKind.location.value)
    code: Mapped[str | None] = mapped_column(String(64))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[OrgUnit]] = relationship(back_populates="parent", order_by="OrgUnit.name")

    def __repr__(self) -> str:
        return f"<OrgUnit {self.name}>"


class User(TenantScoped, UserMixin, Model):
    """A person in one tenant. Never deleted: deactivation keeps every record."""

    __tablename__ = "users"
    __table_args__ = (
        tenant_unique("email"),
        tenant_unique("employee_id"),
        tenant_unique("session_token"),
        Index("ix_users_tenant_name", "tenant_id", "full_name"),
        # A manager's reach walks the manager chain and the units below theirs, person by person.
        Index("ix_users_tenant_manager", "tenant_id", "manager_id"),
        Index("ix_users_tenant_org_unit", "tenant_id", "org_unit_id"),
        # Active people by name (the Policies report's pages), read from the index alone when counted.
        Index("ix_users_tenant_status_name", "tenant_id", "status", "full_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for crew members who have no email address: they sign in with an employee ID and a PIN
    # on a shared device, and what others are emailed reaches them in their inbox on My learning.
    email: Mapped[str | None] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200))
    employee_id: Mapped[str | None] = mapped_column(String(64))
    job_title: Mapped[str | None] = mapped_column(String(200))
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    locale: Mapped[str | None] = mapped_column(String(10))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    hire_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=UserStatus.active.value)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Rotated when the password changes, so that a password reset link works only once.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    org_unit: Mapped[OrgUnit | None] = relationship()
    manager: Mapped[User | None] = relationship(remote_side=[id])
    role_assignments: Mapped[list[RoleAssignment]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated user cannot sign in.
        return self.status == UserStatus.active.value

    # The sign-in session this request came with (set by the session loader or at sign-in).
    # Not columns: set per request by the session loader, or at sign-in.
    current_session = cast("UserSession | None", None)
    session_cookie = cast("str | None", None)

    def get_id(self) -> str | None:  # Flask-Login keeps this in the signed cookie.
        return self.session_cookie

    @property
    def roles(self) -> list[Role]:
        return [a.role for a in self.role_assignments]

    @property
    def permissions(self) -> frozenset[str]:
        """What this person's roles allow, worked out once until a role or assignment changes.

        Pages ask ``can()`` dozens of times (the navigation alone asks for each entry).
        """
        memo = self.__dict__.get(_PERMISSIONS_MEMO)
        if memo is not None and memo[0] == _roles_generation:
            return memo[1]
        permissions = frozenset(p for a in self.role_assignments for p in a.role.permissions)
        self.__dict__[_PERMISSIONS_MEMO] = (_roles_generation, permissions)
        return permissions

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def contact(self) -> str:
        """How lists tell this person apart: their email, else their employee ID."""
        return self.email or (f"#{self.employee_id}" if self.employee_id else "")

    def __repr__(self) -> str:
        return f"<User {self.email or self.employee_id}>"


class UserSession(TenantScoped, Model):
    """One sign-in on one device; the signed cookie names it, and revoking it signs that device out.

    The cookie carries the id and a random secret; only the secret's SHA-256 is stored.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A sign-in on a shared device (crew badge or PIN) ends after this many idle minutes; None otherwise.
    shared_idle_minutes: Mapped[int | None] = mapped_column()

    user: Mapped[User] = relationship()


class SignInFailures(TenantScoped, Model):
    """Failed sign-ins for one email address, whether or not it has an account: a lockout reveals nothing."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (tenant_unique("email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, onupdate=utcnow)


class Role(TenantScoped, Model):
    """A named set of permission strings; built-in roles carry a key."""

    __tablename__ = "roles"
    __table_args__ = (tenant_unique("name"), tenant_unique("key"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(500))
    permissions: Mapped[list[str]] = mapped_column(JSON, default=list)
    builtin: Mapped[bool] = mapped_column(default=False)

    @property
    def display_name(self) -> str:
        """The name in the reader's language for built-in roles; as typed for custom ones."""
        from app.accounts.permissions import BUILTIN_ROLES, PLATFORM_BUILTIN_ROLES

        definition = BUILTIN_ROLES.get(self.key or "") or PLATFORM_BUILTIN_ROLES.get(self.key or "")
        return str(definition[0]) if self.builtin and definition else self.name


class RoleAssignment(TenantScoped, Model):
    __tablename__ = "role_assignments"
    __table_args__ = (tenant_unique("user_id", "role_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="role_assignments")
    role: Mapped[Role] = relationship(lazy="joined")


class Group(TenantScoped, Model):
    __tablename__ = "groups"
    __table_args__ = (tenant_unique("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    memberships: Mapped[list[GroupMembership]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )

    @property
    def member_count(self) -> int:
        return len(self.memberships)


class GroupMembership(TenantScoped, Model):
    __tablename__ = "group_memberships"
    __table_args__ = (tenant_unique("group_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)

    group: Mapped[Group] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


# Any change to a role, an assignment or a loaded person's roles (or their reload after a rollback)
# moves this on, and every memo of User.permissions is worked out again at its next use.
_roles_generation = 0
_PERMISSIONS_MEMO = "_atrium_permissions"


def _roles_changed(*args: Any, **kwargs: Any) -> None:
    global _roles_generation
    _roles_generation += 1


for _attribute in (User.role_assignments, RoleAssignment.role, RoleAssignment.role_id, Role.permissions):
    for _change in ("set", "append", "remove"):
        if _change == "set" or _attribute is User.role_assignments:
            event.listen(_attribute, _change, _roles_changed)
for _model in (User, Role, RoleAssignment):
    event.listen(_model, "expire", _roles_changed)
    event.listen(_model, "refresh", _roles_changed)


def lower_email(email: str) -> str:
    return email.strip().lower()
