"""Create, change, deactivate and find the people of a tenant."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import selectinload

from app import audit, events, timezones
from app.accounts import org, sessions
from app.accounts.models import OrgUnit, RoleAssignment, User, UserStatus, new_session_token
from app.accounts.people_count import people_count_cache
from app.accounts.services.passwords import clear_sign_in_failures, hash_password, validate_new_password
from app.accounts.services.roles import role_by_key
from app.errors import ValidationError
from app.extensions import db
from app.inputs import like_pattern, search_words
from app.locales import is_known_locale
from app.tenancy import context as tenancy_context
from app.tenancy.models import utcnow


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
    if not email.strip():
        return None
    return db.session.scalars(select(User).where(User.email == email.strip().lower())).one_or_none()


def _clean_fields(
    user: User | None, fields: dict[str, Any], *, require_contact: bool = True
) -> dict[str, Any]:
    """Validate editable user fields; raise ValidationError naming the first bad one."""
    cleaned: dict[str, Any] = {}
    if "email" in fields and not (fields["email"] or "").strip():
        # Crew members may have no email: then their employee ID is how they sign in and are found.
        # People an identity provider provisions (SCIM) are known by its userName instead.
        employee_id = fields.get("employee_id", user.employee_id if user else None)
        if require_contact and not (employee_id or "").strip():
            raise ValidationError(
                _("Enter an email address, or an employee ID for someone without email."), field="email"
            )
        cleaned["email"] = None
    elif "email" in fields:
        email = normalise_email(fields["email"] or "")
        clash = db.session.scalars(select(User.id).where(User.email == email)).first()
        if clash is not None and (user is None or clash != user.id):
            raise ValidationError(
                _("Someone in this portal already uses %(email)s.", email=email), field="email", conflict=True
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
                    conflict=True,
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
            if user is not None and org.reports_to(manager.id, user.id):
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


def create_user(
    email: str | None,
    full_name: str,
    *,
    password: str | None = None,
    role_keys: tuple[str, ...] = ("learner",),
    **fields: Any,
) -> User:
    """Create an active user in the current tenant."""
    return _create_user(email, full_name, password, role_keys, fields, require_contact=True)


def provision_user(email: str | None, full_name: str, **fields: Any) -> User:
    """Create a learner an identity provider provisions (SCIM): they may have neither email nor employee ID,
    since the provider knows them by its own userName and signs them in."""
    return _create_user(email, full_name, None, ("learner",), fields, require_contact=False)


def _create_user(
    email: str | None,
    full_name: str,
    password: str | None,
    role_keys: tuple[str, ...],
    fields: dict[str, Any],
    *,
    require_contact: bool,
) -> User:
    cleaned = _clean_fields(
        None, {"email": email, "full_name": full_name, **fields}, require_contact=require_contact
    )
    roles = [role for role in (role_by_key(key) for key in role_keys) if role is not None]
    # Given with the new person, the assignments are written with them (no read of an empty list).
    user = User(
        status=UserStatus.active.value,
        role_assignments=[RoleAssignment(role=role) for role in roles],
        **{"attributes": {}, **cleaned},
    )
    if password is not None:
        validate_new_password(password, user)
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record(
        "user.created",
        target=user,
        after={**user_snapshot(user), "roles": sorted(r.name for r in user.roles)},
    )
    events.emit("user.created", {"user_id": user.id, "email": user.email})
    return user


def update_user(user: User, *, require_contact: bool = True, **fields: Any) -> User:
    """Change *user*'s profile fields; record what changed (*require_contact*: as for create_user)."""
    cleaned = _clean_fields(user, fields, require_contact=require_contact)
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
    """Return one page of users matching *query* (name, email, employee id or job title) and the total.

    The page's people come with their unit (the list shows its name), not their roles.
    """
    users = db.paginate(
        _matching(select(User), query, status)
        .options(selectinload(User.org_unit))
        .order_by(User.full_name, User.id),
        page=page,
        per_page=per_page,
        error_out=False,
    )
    return list(users.items), users.total or 0


def people_page(
    query: str = "", *, status: str | None = None, page: int = 1, per_page: int = 25
) -> tuple[list[Any], int]:
    """One page of the People list (Admin → People) and the number of people matching, as rows.

    The list shows a person's name, job title, email, status and their unit's name: those columns, the
    unit joined, are read as rows instead of every column of each person and a second statement for
    the units. Without a search the total is kept until a person or a status changes
    (:mod:`app.accounts.people_count`: counting a whole tenant is the costliest part of the page); a
    search's total is counted on the people alone, by the same statement as the rows (its subquery is
    run once), or by one of its own for a page past the last, and ends each row. The statements are
    built once (for a search or not, a status or not), their values bound: the tenancy's scoped copy and
    SQLAlchemy's cache key are then found again rather than made on every request.
    """
    page = max(page, 1)
    words = search_words(query)
    rows_statement, count_statement = _people_statements(len(words), bool(status))
    values: dict[str, Any] = {f"like_{number}": like_pattern(word) for number, word in enumerate(words)}
    if status:
        values["status"] = status
    rows = db.session.execute(
        rows_statement, {**values, "limit": per_page, "offset": (page - 1) * per_page}
    ).all()

    def count() -> int:
        return db.session.scalar(count_statement, values) or 0

    if words:  # a search's total came with its rows, unless the page is past the last
        return list(rows), rows[0].total if rows else count()
    tenant_id = tenancy_context.current_tenant_id()
    total = count() if tenant_id is None else people_count_cache().get(tenant_id, ("people", status), count)
    return list(rows), total


@cache
def _people_statements(words: int, by_status: bool) -> tuple[Any, Any]:
    """The People list's page and count statements for a search of *words* words, each word's pattern
    (``like_0``…), the status and the page bound later."""

    def matching(statement: Any) -> Any:
        # As _matching, with bound values: each word's pattern (app.inputs.like_pattern).
        for number in range(words):
            statement = statement.where(_search(bindparam(f"like_{number}")))
        if by_status:
            statement = statement.where(User.status == bindparam("status"))
        return statement

    count = matching(select(func.count()).select_from(User))
    columns: list[Any] = [
        User.id,
        User.full_name,
        User.job_title,
        User.email,
        User.status,
        OrgUnit.name.label("unit_name"),
    ]
    if words:  # without a search the total is kept (people_page), not counted with every page
        columns.append(count.scalar_subquery().label("total"))
    rows = matching(select(*columns).outerjoin(OrgUnit, User.org_unit_id == OrgUnit.id))
    rows = rows.order_by(User.full_name, User.id).limit(bindparam("limit")).offset(bindparam("offset"))
    return rows, count


def _search(like: Any) -> Any:
    """People whose name, email, employee id or job title is like *like* (a pattern of
    :func:`app.inputs.like_pattern`, or a bound parameter for one). Emails are stored lowercased
    (:func:`normalise_email`): not lowered again for each of a tenant's people."""
    return or_(
        func.lower(User.full_name).like(like, escape="\\"),
        func.coalesce(User.email, "").like(like, escape="\\"),
        func.lower(func.coalesce(User.employee_id, "")).like(like, escape="\\"),
        func.lower(func.coalesce(User.job_title, "")).like(like, escape="\\"),
    )


def _matching(statement: Any, query: str, status: str | None) -> Any:
    """*statement* kept to the people matching every word of *query* (each in their name, email, employee
    id or job title, in any order) and *status*."""
    for word in search_words(query):
        statement = statement.where(_search(like_pattern(word)))
    if status:
        statement = statement.where(User.status == status)
    return statement
