"""Every operation that changes people, their organisation, groups and roles."""

from __future__ import annotations

import contextlib
import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app import audit, events, jobs, timezones
from app.accounts import sessions
from app.accounts.models import (
    Group,
    GroupMembership,
    OrgUnit,
    OrgUnitKind,
    Role,
    RoleAssignment,
    SignInFailures,
    User,
    UserSession,
    UserStatus,
    new_session_token,
)
from app.accounts.permissions import BUILTIN_ROLES, PLATFORM_BUILTIN_ROLES, TENANT_PERMISSIONS
from app.errors import ValidationError
from app.extensions import db
from app.locales import is_known_locale
from app.tenancy.models import Tenant, utcnow

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("atrium-timing-equaliser")
MIN_PASSWORD_LENGTH = 10


# ---------------------------------------------------------------- roles


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


# ---------------------------------------------------------------- users


def user_snapshot(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "employee_id": user.employee_id,
        "job_title": user.job_title,
        "org_unit_id": user.org_unit_id,
        "manager_id": user.manager_id,
        "locale": user.locale,
        "time_zone": user.time_zone,
        "hire_date": user.hire_date.isoformat() if user.hire_date else None,
        "status": user.status,
        "attributes": user.attributes,
    }


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationError(
            _("Enter a valid email address, like name@example.com."), field="email"
        ) from None


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def user_by_email(email: str) -> User | None:
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()


def _clean_fields(user: User | None, fields: dict[str, Any]) -> dict[str, Any]:
    """Validate editable user fields; raise ValidationError naming the first bad one."""
    cleaned: dict[str, Any] = {}
    if "email" in fields:
        email = normalise_email(fields["email"] or "")
        clash = db.session.scalars(select(User.id).where(User.email == email)).first()
        if clash is not None and (user is None or clash != user.id):
            raise ValidationError(
                _("Someone in this portal already uses %(email)s.", email=email), field="email"
            )
        cleaned["email"] = email
    if "full_name" in fields:
        name = (fields["full_name"] or "").strip()
        if not name:
            raise ValidationError(_("Enter the person's full name."), field="full_name")
        if len(name) > 200:
            raise ValidationError(_("Keep the name under 200 characters."), field="full_name")
        cleaned["full_name"] = name
    if "employee_id" in fields:
        employee_id = (fields["employee_id"] or "").strip() or None
        if employee_id:
            clash = db.session.scalars(select(User.id).where(User.employee_id == employee_id)).first()
            if clash is not None and (user is None or clash != user.id):
                raise ValidationError(
                    _("Employee ID %(id)s already belongs to someone else.", id=employee_id),
                    field="employee_id",
                )
        cleaned["employee_id"] = employee_id
    if "job_title" in fields:
        cleaned["job_title"] = (fields["job_title"] or "").strip() or None
    if "org_unit_id" in fields:
        org_unit_id = fields["org_unit_id"] or None
        if org_unit_id is not None and db.session.get(OrgUnit, int(org_unit_id)) is None:
            raise ValidationError(_("Choose an organisation unit from the list."), field="org_unit_id")
        cleaned["org_unit_id"] = int(org_unit_id) if org_unit_id else None
    if "manager_id" in fields:
        manager_id = fields["manager_id"] or None
        if manager_id is not None:
            manager = db.session.get(User, int(manager_id))
            if manager is None:
                raise ValidationError(_("Choose a manager from the list."), field="manager_id")
            if user is not None and _reports_to(manager, user):
                raise ValidationError(
                    _("%(name)s cannot manage someone they report to.", name=user.full_name),
                    field="manager_id",
                )
        cleaned["manager_id"] = int(manager_id) if manager_id else None
    if "locale" in fields:
        locale = (fields["locale"] or "").strip() or None
        if locale is not None and not is_known_locale(locale):
            raise ValidationError(_("Choose a language from the list."), field="locale")
        cleaned["locale"] = locale
    if "time_zone" in fields:
        tz = (fields["time_zone"] or "").strip() or None
        # The zone already saved stays allowed (even an older name); a newly chosen one comes from the list.
        kept = tz == (user.time_zone if user else None) and timezones.is_usable_zone(tz)
        if tz and not kept and not timezones.is_current_zone(tz):
            raise ValidationError(_("Choose a time zone from the list."), field="time_zone")
        cleaned["time_zone"] = tz
    if "hire_date" in fields:
        hire = fields["hire_date"]
        if isinstance(hire, str):
            try:
                hire = date.fromisoformat(hire) if hire else None
            except ValueError:
                raise ValidationError(_("Enter the hire date as YYYY-MM-DD."), field="hire_date") from None
        cleaned["hire_date"] = hire
    if "attributes" in fields:
        attributes = fields["attributes"] or {}
        if not isinstance(attributes, dict):
            raise ValidationError(_("Attributes must be name/value pairs."), field="attributes")
        cleaned["attributes"] = {str(k): v for k, v in attributes.items()}
    return cleaned


def _reports_to(person: User, boss: User) -> bool:
    """Return True when *person* is *boss* or sits anywhere below *boss* in the manager chain."""
    seen: set[int] = set()
    current: User | None = person
    while current is not None and current.id not in seen:
        if current.id == boss.id:
            return True
        seen.add(current.id)
        current = current.manager
    return False


def create_user(
    email: str,
    full_name: str,
    *,
    password: str | None = None,
    role_keys: tuple[str, ...] = ("learner",),
    **fields: Any,
) -> User:
    """Create an active user in the current tenant."""
    cleaned = _clean_fields(None, {"email": email, "full_name": full_name, **fields})
    user = User(status=UserStatus.active.value, **{"attributes": {}, **cleaned})
    if password is not None:
        _check_password(password, user)
        user.password_hash = _hasher.hash(password)
    db.session.add(user)
    db.session.flush()
    for key in role_keys:
        role = role_by_key(key)
        if role is not None:
            user.role_assignments.append(RoleAssignment(role=role, tenant_id=user.tenant_id))
    audit.record(
        "user.created",
        target=user,
        after={**user_snapshot(user), "roles": sorted(r.name for r in user.roles)},
    )
    events.emit("user.created", {"user_id": user.id, "email": user.email})
    return user


def update_user(user: User, **fields: Any) -> User:
    """Change *user*'s profile fields; record what changed."""
    cleaned = _clean_fields(user, fields)
    before = user_snapshot(user)
    for name, value in cleaned.items():
        setattr(user, name, value)
    after = user_snapshot(user)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit.record(
            "user.updated",
            target=user,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
        events.emit("user.updated", {"user_id": user.id, "changed": sorted(changed)})
    return user


def deactivate_user(user: User) -> User:
    """Deactivate *user*: they can no longer sign in; every record of theirs is kept."""
    if user.status == UserStatus.deactivated.value:
        return user
    user.status = UserStatus.deactivated.value
    user.deactivated_at = utcnow()
    user.session_token = new_session_token()  # a reset link sent before no longer works after reactivation
    sessions.revoke_user_sessions(user, reason="deactivated")
    audit.record("user.deactivated", target=user, before={"status": "active"}, after={"status": user.status})
    events.emit("user.deactivated", {"user_id": user.id})
    return user


def reactivate_user(user: User) -> User:
    """Let a deactivated user sign in again."""
    if user.status == UserStatus.active.value:
        return user
    user.status = UserStatus.active.value
    user.deactivated_at = None
    clear_sign_in_failures(user)
    audit.record(
        "user.reactivated", target=user, before={"status": "deactivated"}, after={"status": "active"}
    )
    events.emit("user.reactivated", {"user_id": user.id})
    return user


def search_users(
    query: str = "", *, status: str | None = None, page: int = 1, per_page: int = 25
) -> tuple[list[User], int]:
    """Return one page of users matching *query* (name, email, employee id or job title) and the total."""
    statement = select(User)
    if query.strip():
        like = f"%{query.strip().lower()}%"
        statement = statement.where(
            or_(
                func.lower(User.full_name).like(like),
                User.email.like(like),
                func.lower(func.coalesce(User.employee_id, "")).like(like),
                func.lower(func.coalesce(User.job_title, "")).like(like),
            )
        )
    if status:
        statement = statement.where(User.status == status)
    users = db.paginate(
        statement.options(selectinload(User.org_unit), selectinload(User.role_assignments)).order_by(
            User.full_name, User.id
        ),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    return list(users.items), users.total or 0


# ---------------------------------------------------------------- passwords and sign-in


def _check_password(password: str, user: User) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _("Use at least %(n)d characters for the password.", n=MIN_PASSWORD_LENGTH), field="password"
        )
    if user.email and password.strip().lower() == user.email.lower():
        raise ValidationError(_("The password cannot be your email address."), field="password")


def set_password(user: User, password: str, *, keep_session: UserSession | None = None) -> None:
    """Set *user*'s password and end all of their sessions but *keep_session* (the one that changed it)."""
    _check_password(password, user)
    user.password_hash = _hasher.hash(password)
    user.session_token = new_session_token()
    sessions.revoke_user_sessions(user, keep=keep_session, reason="password_changed")
    clear_sign_in_failures(user)
    audit.record("user.password_changed", target=user)


class SignInRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def authenticate(email: str, password: str) -> User:
    """Return the active user of *email* whose password is *password*, or raise SignInRefused.

    Repeated failures lock the address for a while, whether or not it has an account here, so
    that the lockout message does not tell which addresses do; the failure counter is
    committed even though the sign-in fails.
    """
    config = current_app.config
    generic = _("That email and password do not match an active account in this portal.")
    try:
        address = normalise_email(email)
    except ValidationError:
        raise SignInRefused(generic) from None
    now = utcnow()
    failures = _sign_in_failures(address)
    locked_until = failures.locked_until if failures is not None else None
    if locked_until is not None and locked_until > now:
        raise SignInRefused(
            _(
                "Too many failed attempts. Try again in %(minutes)d minutes or reset your password.",
                minutes=config["LOGIN_LOCKOUT_MINUTES"],
            )
        )
    user = user_by_email(address)
    if not _password_matches(user, password):
        _count_failure(address, failures, user, now)
        db.session.commit()
        raise SignInRefused(generic)
    assert user is not None and user.password_hash is not None
    if not user.is_active:
        raise SignInRefused(generic)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    if failures is not None:
        db.session.delete(failures)
    user.last_login_at = now
    audit.record("user.signed_in", target=user)
    return user


def _password_matches(user: User | None, password: str) -> bool:
    if user is None or user.password_hash is None:
        # Spend the time a real check takes, so timing does not reveal which emails exist.
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _sign_in_failures(address: str) -> SignInFailures | None:
    return db.session.scalars(select(SignInFailures).where(SignInFailures.email == address)).one_or_none()


def _count_failure(address: str, failures: SignInFailures | None, user: User | None, now: datetime) -> None:
    """Count one failed sign-in for *address*; lock it after LOGIN_MAX_FAILURES in a row."""
    config = current_app.config
    # Counters of addresses nobody has tried for a day are forgotten, so the table stays small.
    db.session.execute(
        delete(SignInFailures).where(
            SignInFailures.updated_at < now - timedelta(days=1),
            or_(SignInFailures.locked_until.is_(None), SignInFailures.locked_until < now),
            SignInFailures.email != address,
        ),
        execution_options={"synchronize_session": False},  # never the row this function holds
    )
    if failures is None:
        failures = SignInFailures(email=address, failures=0)
        try:
            with db.session.begin_nested():
                db.session.add(failures)
        except IntegrityError:  # a parallel failure for the same address created it first
            failures = _sign_in_failures(address)
            assert failures is not None
    failures.failures += 1
    failures.updated_at = now
    if failures.failures >= config["LOGIN_MAX_FAILURES"]:
        failures.locked_until = now + timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
        failures.failures = 0
        if user is not None:
            audit.record("user.locked_out", target=user)


def clear_sign_in_failures(user: User) -> None:
    """Unlock *user*'s address: their failed sign-ins are forgotten."""
    db.session.execute(delete(SignInFailures).where(SignInFailures.email == user.email))


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="atrium.password-reset")


def _password_fingerprint(user: User) -> str:
    # Changes when the password does, so a reset link works only once.
    return hashlib.sha256(f"{user.password_hash}:{user.session_token}".encode()).hexdigest()[:16]


def make_password_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "t": user.tenant_id, "f": _password_fingerprint(user)})


def user_for_reset_token(token: str) -> User | None:
    """Return the user a valid, unused, unexpired reset token is for, else None."""
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or user.tenant_id != data.get("t") or not user.is_active:
        return None
    if _password_fingerprint(user) != data.get("f"):
        return None
    return user


def request_password_reset(email: str, *, portal_name: str, reset_url_for: Any) -> None:
    """Email a reset link to *email* if it is an active account here; say nothing either way."""
    try:
        address = normalise_email(email)
    except ValidationError:
        return
    user = user_by_email(address)
    if user is None or not user.is_active:
        return
    from app.mail import send_mail

    url = reset_url_for(make_password_reset_token(user))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    body = _(
        "Hello %(name)s,\n\nSomeone asked to reset your password for %(portal)s. "
        "Open this link within %(minutes)d minutes to choose a new one:\n\n%(url)s\n\n"
        "If it was not you, ignore this message; your password stays as it is.",
        name=user.full_name,
        portal=portal_name,
        minutes=minutes,
        url=url,
    )
    audit.record("user.password_reset_requested", target=user)
    jobs.enqueue(send_mail, user.email, _("Reset your %(portal)s password", portal=portal_name), body)


# ---------------------------------------------------------------- organisation units


def list_org_units() -> list[OrgUnit]:
    return list(db.session.scalars(select(OrgUnit).order_by(OrgUnit.name)))


def org_unit_tree() -> list[tuple[OrgUnit, int]]:
    """Return every org unit with its depth, parents before children."""
    units = list_org_units()
    children: dict[int | None, list[OrgUnit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[OrgUnit, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in children.get(parent_id, []):
            ordered.append((unit, depth))
            walk(unit.id, depth + 1)

    walk(None, 0)
    return ordered


def subtree_ids(unit: OrgUnit) -> set[int]:
    """Return the ids of *unit* and every unit below it."""
    ids = {unit.id}
    frontier = {unit.id}
    while frontier:
        frontier = set(db.session.scalars(select(OrgUnit.id).where(OrgUnit.parent_id.in_(frontier)))) - ids
        ids |= frontier
    return ids


def _clean_org_unit(
    unit: OrgUnit | None, name: str, kind: str, parent_id: int | None
) -> tuple[str, str, int | None]:
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Enter a name for the unit."), field="name")
    if kind not in {k.value for k in OrgUnitKind}:
        raise ValidationError(_("Choose a kind from the list."), field="kind")
    parent = None
    if parent_id:
        parent = db.session.get(OrgUnit, int(parent_id))
        if parent is None:
            raise ValidationError(_("Choose a parent unit from the list."), field="parent_id")
        if unit is not None and parent.id in subtree_ids(unit):
            raise ValidationError(
                _("A unit cannot sit inside itself or one of its own units."), field="parent_id"
            )
    clash = db.session.scalars(
        select(OrgUnit.id).where(
            func.lower(OrgUnit.name) == name.lower(),
            OrgUnit.parent_id == parent.id if parent else OrgUnit.parent_id.is_(None),
        )
    ).first()
    if clash is not None and (unit is None or clash != unit.id):
        raise ValidationError(_("There is already a unit called “%(name)s” here.", name=name), field="name")
    return name, kind, parent.id if parent else None


def create_org_unit(
    name: str, kind: str = "location", parent_id: int | None = None, code: str | None = None
) -> OrgUnit:
    """Create an organisation unit under *parent_id* (or at the top)."""
    name, kind, parent_id = _clean_org_unit(None, name, kind, parent_id)
    unit = OrgUnit(name=name, kind=kind, parent_id=parent_id, code=(code or "").strip() or None)
    db.session.add(unit)
    audit.record("org_unit.created", target=unit, after={"name": name, "kind": kind, "parent_id": parent_id})
    return unit


def update_org_unit(
    unit: OrgUnit, name: str, kind: str, parent_id: int | None, code: str | None = None
) -> OrgUnit:
    """Rename or move *unit*."""
    before = {"name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id, "code": unit.code}
    unit.name, unit.kind, unit.parent_id = _clean_org_unit(unit, name, kind, parent_id)
    unit.code = (code or "").strip() or None
    after = {"name": unit.name, "kind": unit.kind, "parent_id": unit.parent_id, "code": unit.code}
    if before != after:
        audit.record("org_unit.updated", target=unit, before=before, after=after)
    return unit


# ---------------------------------------------------------------- groups


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
