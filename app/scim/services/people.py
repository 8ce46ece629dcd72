"""People changed over SCIM, through app.accounts.services: audited, evented, enrolment rules run."""

from __future__ import annotations

from typing import Any

from scim2_models import (
    InvalidValueException,
    NotFoundException,
    ScimPolicy,
    UniquenessException,
)
from sqlalchemy import ColumnElement, String, cast, func, literal, or_, select, true
from sqlalchemy.orm import aliased

from app import audit, timezones
from app.accounts import services as accounts
from app.accounts.models import OrgUnit, User, UserStatus
from app.errors import ValidationError
from app.extensions import db
from app.locales import is_known_locale
from app.scim.filters import Column, attribute_key, to_sql
from app.scim.models import ScimUser
from app.tenancy.models import utcnow

# What Entra ID and Okta send, read as they mean it (RFC 7644 leaves room; the providers use it).
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


_scim_user = aliased(ScimUser)
_unit = aliased(OrgUnit)


def _user_name_expression() -> Any:
    return func.coalesce(_scim_user.user_name, User.email, User.employee_id, cast(User.id, String))


def _people_named(value: str) -> ColumnElement[bool]:
    """People whose userName may be *value*, found on indexes by plain equality (lower() would use none
    under row-level security): their SCIM userName, or their email (stored in lower case), employee ID
    (as sent, in lower or upper case) or id. The exact, case-insensitive comparison is made on these."""
    key = value.strip().lower()
    candidates = (
        select(ScimUser.user_id.label("id"))
        .where(ScimUser.user_name_key == key)
        .union(
            select(User.id).where(User.email == key),
            select(User.id).where(User.employee_id.in_(sorted({value, key, value.upper()}))),
        )
    )
    if key.isdigit() and len(key) < 18:
        return or_(User.id.in_(candidates), User.id == int(key))
    return User.id.in_(candidates)


def user_columns(key: str) -> Column | None:
    """The SQL of a User attribute a filter or sortBy names (``emails.value``, ``meta.created`` …)."""
    has_email = User.email.is_not(None)
    columns: dict[str, Column] = {
        "id": Column(User.id, kind="integer"),
        "username": Column(_user_name_expression(), narrow=_people_named),
        "externalid": Column(_scim_user.external_id, case_exact=True),
        "displayname": Column(User.full_name),
        "name.formatted": Column(User.full_name),
        "name.givenname": Column(_scim_user.given_name),
        "name.familyname": Column(_scim_user.family_name),
        "title": Column(User.job_title),
        "jobtitle": Column(User.job_title),
        "active": Column(User.status == UserStatus.active.value, kind="boolean"),
        "emails": Column(User.email),
        "emails.value": Column(User.email),
        "emails.type": Column(literal("work"), present=has_email),
        "emails.primary": Column(literal(True), kind="boolean", present=has_email),
        "preferredlanguage": Column(User.locale),
        "locale": Column(User.locale),
        "timezone": Column(User.time_zone),
        "employeenumber": Column(User.employee_id),
        "department": Column(User.attributes["department"].as_string()),
        "organization": Column(User.attributes["organization"].as_string()),
        "manager": Column(User.manager_id, kind="integer"),
        "manager.value": Column(User.manager_id, kind="integer"),
        "orgunit": Column(_unit.name),
        "meta.created": Column(User.created_at, kind="datetime"),
        "meta.lastmodified": Column(User.updated_at, kind="datetime"),
    }
    return columns.get(key)


def _visible_users() -> Any:
    return (
        select(User, _scim_user)
        .outerjoin(_scim_user, _scim_user.user_id == User.id)
        .outerjoin(_unit, _unit.id == User.org_unit_id)
        .where(_scim_user.deleted_at.is_(None))
    )


def search_users(
    expression: str | None, *, sort_by: str | None, descending: bool, start_index: int, count: int
) -> tuple[list[tuple[User, ScimUser | None]], int]:
    """One page of the people a SCIM filter selects, in SQL, and how many it selects in all."""
    condition: ColumnElement[bool] = to_sql(expression, user_columns)
    statement = _visible_users().where(condition)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    order: list[Any] = []
    if sort_by:
        column = user_columns(attribute_key(sort_by))
        if column is None:
            raise InvalidValueException(detail=f"{sort_by} cannot be sorted on")
        order.append(column.expression.desc() if descending else column.expression.asc())
    order.append(User.id.desc() if descending and not sort_by else User.id)
    if count <= 0:
        return [], total
    rows = db.session.execute(statement.order_by(*order).offset(start_index - 1).limit(count)).all()
    return [(row[0], row[1]) for row in rows], total


def find_user(resource_id: str) -> tuple[User, ScimUser | None]:
    """The person with SCIM id *resource_id*; 404 when unknown or deleted over SCIM."""
    if not resource_id.isdigit() or len(resource_id) > 18:
        raise NotFoundException(detail=f"no User {resource_id}")
    row = db.session.execute(_visible_users().where(User.id == int(resource_id))).first()
    if row is None:
        raise NotFoundException(detail=f"no User {resource_id}")
    return row[0], row[1]


def user_name_of(user: User, scim: ScimUser | None) -> str:
    return scim.user_name if scim else (user.email or user.employee_id or str(user.id))


def _user_name_taken(user_name: str, user: User | None) -> bool:
    key = user_name.strip().lower()
    clash = db.session.scalars(select(ScimUser.user_id).where(ScimUser.user_name_key == key)).first()
    if clash is None:
        # Someone never touched by SCIM answers to their email (or employee ID) as userName. Under
        # row-level security PostgreSQL uses no index for lower(...) (lower is not leakproof), so the
        # people are found by plain equality first, on the unique indexes: emails are stored in lower
        # case, employee IDs as written (as sent, in lower and in upper case); the exact rule then decides.
        stripped = user_name.strip()
        candidates = or_(User.email == key, User.employee_id.in_(sorted({stripped, key, stripped.upper()})))
        clash = db.session.scalars(
            select(User.id)
            .outerjoin(ScimUser, ScimUser.user_id == User.id)
            .where(
                candidates,
                ScimUser.id.is_(None),
                func.lower(func.coalesce(User.email, User.employee_id)) == key,
            )
        ).first()
    return clash is not None and (user is None or clash != user.id)


def _org_unit_id(reference: str) -> int | None:
    reference = reference.strip()
    if not reference:
        return None
    if reference.isdigit() and (unit := db.session.get(OrgUnit, int(reference))) is not None:
        return unit.id
    parent_id: int | None = None
    for part in [p.strip() for p in reference.split("/") if p.strip()]:
        found = db.session.scalars(
            select(OrgUnit.id).where(
                func.lower(OrgUnit.name) == part.lower(),
                OrgUnit.parent_id == parent_id if parent_id else true(),
            )
        ).first()
        if found is None:
            raise InvalidValueException(
                detail=f"orgUnit {reference!r} names no organisation unit of this portal"
            )
        parent_id = found
    return parent_id


def _primary_email(resource: Any) -> str | None:
    emails = [e for e in resource.emails or [] if e.value]
    chosen = next((e for e in emails if e.primary), None) or next(
        (e for e in emails if str(e.type or "") == "work"), None
    )
    chosen = chosen or (emails[0] if emails else None)
    return str(chosen.value) if chosen else None


def _pick(new: Any, new_specific: Any, old: Any, old_specific: Any, previous: bool) -> Any:
    """One Atrium field fed by two SCIM attributes (title and jobTitle …): the one that changed wins."""
    if previous:
        if new != old:
            return new
        if new_specific != old_specific:
            return new_specific
    return new_specific or new


def _fields_from(
    resource: Any, locales: list[str], previous: Any = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split a User resource into the person's fields and the SCIM state (userName, externalId, name parts).

    *previous* is the resource before a PATCH: where two attributes feed one field, the one the patch changed
    decides it.
    """
    from scim2_models import EnterpriseUser

    from app.scim.schemas import AtriumUser

    if not resource.user_name or not str(resource.user_name).strip():
        raise InvalidValueException(detail="userName is required")
    enterprise = resource[EnterpriseUser] or EnterpriseUser()
    atrium = resource[AtriumUser] or AtriumUser()
    old = previous if previous is not None else resource
    old_atrium = (old[AtriumUser] or AtriumUser()) if previous is not None else atrium
    has_previous = previous is not None
    name = resource.name
    given = (name.given_name or "").strip() if name else ""
    family = (name.family_name or "").strip() if name else ""
    formatted = ((name.formatted or "").strip() if name else "") or None
    old_formatted = ((old.name.formatted or "").strip() or None) if old.name else None
    display = (resource.display_name or "").strip() or None
    full_name = (
        _pick(display, formatted, (old.display_name or "").strip() or None, old_formatted, has_previous)
        or display
        or formatted
        or " ".join(p for p in (given, family) if p)
        or str(resource.user_name).strip()
    )
    email = _primary_email(resource)
    user_name = str(resource.user_name).strip()
    if email is None and not enterprise.employee_number and "@" in user_name and not has_previous:
        email = user_name  # Okta and Entra name people by their address; it is how they are found
    chosen_locale = _pick(
        resource.preferred_language, resource.locale, old.preferred_language, old.locale, has_previous
    )
    locale = (chosen_locale or "").replace("-", "_").strip() or None
    if locale is not None and (locale not in locales or not is_known_locale(locale)):
        base = locale.split("_")[0]
        locale = base if base in locales and is_known_locale(base) else None
    zone = (resource.timezone or "").strip() or None
    if zone is not None and not timezones.is_current_zone(zone):
        raise InvalidValueException(detail=f"timezone {zone!r} is not an IANA time zone")
    manager_id: int | None = None
    if enterprise.manager and enterprise.manager.value:
        value = str(enterprise.manager.value)
        manager = db.session.get(User, int(value)) if value.isdigit() and len(value) < 18 else None
        if manager is None:
            raise InvalidValueException(detail=f"manager {value!r} is no User of this portal")
        manager_id = manager.id
    attributes = {}
    if enterprise.department:
        attributes["department"] = enterprise.department
    if enterprise.organization:
        attributes["organization"] = enterprise.organization
    job_title = _pick(resource.title, atrium.job_title, old.title, old_atrium.job_title, has_previous)
    fields = {
        "email": email,
        "full_name": full_name[:200],
        "employee_id": (enterprise.employee_number or "").strip() or None,
        "job_title": (job_title or "").strip() or None,
        "org_unit_id": _org_unit_id(atrium.org_unit or ""),
        "manager_id": manager_id,
        "locale": locale,
        "time_zone": zone,
        "attributes": attributes,
    }
    chosen_email = next((e for e in resource.emails or [] if e.value and str(e.value) == email), None)
    # Removed by a PATCH: Atrium still needs the value (a name, a status) but no longer shows it over SCIM.
    absent = [
        n for n, v in (("displayName", display), ("active", resource.active)) if v is None and has_previous
    ]
    state = {
        "user_name": user_name,
        "external_id": resource.external_id or None,
        "given_name": given or None,
        "family_name": family or None,
        "details": {
            **({"formatted": formatted} if has_previous or name is not None else {}),
            "email_type": str(chosen_email.type) if chosen_email and chosen_email.type else None,
            "email_primary": chosen_email.primary if chosen_email else None,
            "absent": absent,
        },
    }
    return fields, state


def _check_unique(state: dict[str, Any], user: User | None) -> None:
    """The userName is SCIM's own; the email and employee ID are checked by the accounts service, whose
    refusal of a value someone else holds becomes a uniqueness error (service_call)."""
    if _user_name_taken(state["user_name"], user):
        raise UniquenessException(detail=f"userName {state['user_name']!r} is already in use")


# The SCIM attribute a refused Atrium field came from, for the error's detail.
_SCIM_NAMES = {"email": "emails", "employee_id": "employeeNumber"}


def service_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except ValidationError as exc:
        if exc.conflict:
            raise UniquenessException(
                detail=f"{_SCIM_NAMES.get(exc.field or '', exc.field)}: {exc.message}"
            ) from None
        raise InvalidValueException(detail=f"{exc.field or 'value'}: {exc.message}") from None


def _save_state(user: User, scim: ScimUser | None, state: dict[str, Any]) -> ScimUser:
    if scim is None:
        scim = ScimUser(user_id=user.id, version=0)
        db.session.add(scim)
    scim.user_name = state["user_name"]
    scim.user_name_key = state["user_name"].lower()
    scim.external_id = state["external_id"]
    scim.given_name = state["given_name"]
    scim.family_name = state["family_name"]
    scim.details = state["details"]
    scim.version = (scim.version or 0) + 1
    return scim


def create_user(resource: Any, locales: list[str]) -> tuple[User, ScimUser]:
    """Create the person *resource* describes (POST /Users)."""
    fields, state = _fields_from(resource, locales)
    _check_unique(state, None)
    email = fields.pop("email")
    full_name = fields.pop("full_name")
    user = service_call(accounts.provision_user, email, full_name, **fields)
    if resource.active is False:
        accounts.deactivate_user(user)
    return user, _save_state(user, None, state)


def replace_user(
    user: User, scim: ScimUser | None, resource: Any, locales: list[str], previous: Any = None
) -> tuple[str, ScimUser]:
    """Make *user* what *resource* says (PUT, and PATCH once applied to *previous*); return what happened."""
    fields, state = _fields_from(resource, locales, previous)
    _check_unique(state, user)
    before = accounts.user_snapshot(user)
    attributes = {k: v for k, v in (user.attributes or {}).items() if k not in ("department", "organization")}
    fields["attributes"] = {**attributes, **fields["attributes"]}
    service_call(accounts.update_user, user, require_contact=False, **fields)
    outcome = "updated" if accounts.user_snapshot(user) != before else "unchanged"
    if resource.active is False and user.status == UserStatus.active.value:
        accounts.deactivate_user(user)
        outcome = "deactivated"
    elif resource.active is True and user.status != UserStatus.active.value:
        accounts.reactivate_user(user)
        outcome = "reactivated"
    old = (
        (scim.user_name, scim.external_id, scim.given_name, scim.family_name, scim.details) if scim else None
    )
    new = (
        state["user_name"],
        state["external_id"],
        state["given_name"],
        state["family_name"],
        state["details"],
    )
    if outcome == "unchanged" and old == new:
        return outcome, scim or _save_state(user, None, state)
    if outcome == "unchanged":
        outcome = "updated"
    return outcome, _save_state(user, scim, state)


def delete_user(user: User, scim: ScimUser | None) -> None:
    """DELETE /Users/<id>: deactivate with every record kept; the resource answers 404 from now on."""
    accounts.deactivate_user(user)
    if scim is None:
        state: dict[str, Any] = {"user_name": user_name_of(user, None), "external_id": None}
        state.update(given_name=None, family_name=None, details={})
        scim = _save_state(user, None, state)
    scim.deleted_at = utcnow()
    scim.version += 1
    audit.record("scim.user_deleted", target=user, after={"user_name": scim.user_name})
