"""Dynamic enrolment rules: conditions on people, an action, a preview, and idempotent runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import audit
from app.accounts import org
from app.accounts.models import GroupMembership, User, UserStatus
from app.errors import ValidationError, ValidationErrors
from app.extensions import db
from app.inputs import parse_id
from app.learning.models import Course, CourseStatus, EnrollmentRule, LearningPath
from app.learning.services import enrollments as enrolling
from app.tenancy.models import utcnow

FIELDS = {
    "org_unit": _l("Organisation unit (and the units inside it)"),
    "group": _l("Group"),
    "job_title": _l("Job title"),
    "email_domain": _l("Email domain"),
    "attribute": _l("Attribute"),
}
OPERATORS = {"is": _l("is"), "is_not": _l("is not"), "contains": _l("contains")}
DUE_MODES = {
    "none": _l("No due date"),
    "fixed": _l("On a fixed date"),
    "after_enrolment": _l("N days after enrolment"),
    "after_hire": _l("N days after the hire date"),
}


@dataclass
class Population:
    """Everything conditions look at, loaded once for a whole run (no query per person)."""

    users: list[User]
    groups_by_user: dict[int, set[int]]
    ancestries: dict[int | None, frozenset[int]]  # each unit of the people, with every unit above it

    def ancestry(self, org_unit_id: int | None) -> frozenset[int]:
        return self.ancestries.get(org_unit_id, frozenset())


def load_population(user_ids: list[int] | None = None) -> Population:
    statement = select(User).where(User.status == UserStatus.active.value)
    memberships = select(GroupMembership.user_id, GroupMembership.group_id)
    if user_ids is not None:
        statement = statement.where(User.id.in_(user_ids))
        memberships = memberships.where(GroupMembership.user_id.in_(user_ids))
    groups: dict[int, set[int]] = {}
    for user_id, group_id in db.session.execute(memberships):
        groups.setdefault(user_id, set()).add(group_id)
    users = list(db.session.scalars(statement))
    ancestries = org.ancestries({u.org_unit_id for u in users})
    return Population(users=users, groups_by_user=groups, ancestries=ancestries)


def clean_conditions(raw: list[dict[str, Any]]) -> list[dict[str, str]]:
    conditions = []
    for item in raw:
        field, op = str(item.get("field") or ""), str(item.get("op") or "is")
        value, name = str(item.get("value") or "").strip(), str(item.get("name") or "").strip()
        if not field and not value:
            continue  # an empty row of the form
        if field not in FIELDS:
            raise ValidationError(_("Choose what each condition looks at."), field="conditions")
        if op not in OPERATORS:
            raise ValidationError(_("Choose how each condition compares."), field="conditions")
        if not value:
            raise ValidationError(_("Give each condition a value."), field="conditions")
        if field == "attribute" and not name:
            raise ValidationError(_("Name the attribute the condition looks at."), field="conditions")
        if field in ("org_unit", "group") and parse_id(value) is None:
            raise ValidationError(_("Choose the unit or group from the list."), field="conditions")
        condition = {"field": field, "op": op, "value": value}
        if field == "attribute":
            condition["name"] = name
        conditions.append(condition)
    if not conditions:
        raise ValidationError(_("Add at least one condition."), field="conditions")
    return conditions


def _compare(op: str, actual: str | None, expected: str) -> bool:
    actual_folded = (actual or "").strip().casefold()
    expected_folded = expected.strip().casefold()
    if op == "is":
        return actual_folded == expected_folded
    if op == "is_not":
        return actual_folded != expected_folded
    return expected_folded in actual_folded


def condition_holds(condition: dict[str, str], user: User, population: Population) -> bool:
    field, op, value = condition["field"], condition["op"], condition["value"]
    if field == "org_unit":
        inside = int(value) in population.ancestry(user.org_unit_id)
        return inside if op != "is_not" else not inside
    if field == "group":
        member = int(value) in population.groups_by_user.get(user.id, set())
        return member if op != "is_not" else not member
    if field == "job_title":
        return _compare(op, user.job_title, value)
    if field == "email_domain":
        return _compare(op, (user.email or "").rsplit("@", 1)[-1], value.lstrip("@"))
    if field == "attribute":
        attribute = (user.attributes or {}).get(condition.get("name", ""))
        return _compare(op, None if attribute is None else str(attribute), value)
    return False


def matches(rule_match: str, conditions: list[dict[str, str]], user: User, population: Population) -> bool:
    results = (condition_holds(c, user, population) for c in conditions)
    return any(results) if rule_match == "any" else all(results)


@dataclass
class RuleDraft:
    name: str
    match: str
    conditions: list[dict[str, str]]
    course: Course | None
    path: LearningPath | None
    due_mode: str
    due_days: int | None
    due_date: date | None
    target_kind: str | None = None
    target: Any = None


@dataclass(frozen=True)
class RuleTarget:
    """Something other than a course or path a rule can assign, registered by its feature.

    Certifications register one, so that "everyone at a Midwest location must hold Food Handler" is a
    rule like any other, without learning importing certifications.
    """

    kind: str
    label: Any  # lazy text shown before the title: "Certification: %(title)s"
    options: Callable[[], list[tuple[int, str]]]  # (id, title) of what can be chosen now
    get: Callable[[int], Any]  # the object with that id in the current tenant, or None
    title: Callable[[Any], str]
    is_live: Callable[[Any], bool]  # published: a rule assigns it only then
    assign: Callable[[User, Any, date | None, EnrollmentRule], bool]  # True when newly assigned now
    holders: Callable[[Any], set[int]]  # who has it already (for the preview)


_targets: dict[str, RuleTarget] = {}


def register_target(target: RuleTarget) -> None:
    _targets[target.kind] = target


def extra_targets() -> list[RuleTarget]:
    return list(_targets.values())


def target_title(rule: EnrollmentRule) -> str:
    """What the rule enrols people in, for lists."""
    if rule.course is not None:
        return rule.course.title
    if rule.path is not None:
        return rule.path.title
    target = _targets.get(rule.target_kind or "")
    obj = target.get(rule.target_id) if target and rule.target_id else None
    return target.title(obj) if target and obj is not None else "—"


def clean_rule(
    fields: dict[str, Any], raw_conditions: list[dict[str, Any]], *, require_name: bool = True
) -> RuleDraft:
    """Check a rule as typed; refuse with every problem at once (a preview needs no name yet)."""
    errors: list[ValidationError] = []

    def check(step: Any) -> Any:
        try:
            return step()
        except ValidationError as exc:
            errors.append(exc)
            return None

    name = (fields.get("name") or "").strip()
    if not name and require_name:
        errors.append(ValidationError(_("Give the rule a name."), field="name"))
    match = fields.get("match") or "all"
    if match not in ("all", "any"):
        errors.append(ValidationError(_("Choose whether all or any conditions must hold."), field="match"))
    conditions = check(lambda: clean_conditions(raw_conditions)) or []
    target = str(fields.get("target") or "")
    course = path = extra = None
    kind, _sep, raw_id = target.partition(":")
    item_id = parse_id(raw_id)
    if kind == "course" and item_id:
        course = db.session.get(Course, item_id)
    elif kind == "path" and item_id:
        path = db.session.get(LearningPath, item_id)
    elif kind in _targets and item_id:
        extra = _targets[kind].get(item_id)
    if course is None and path is None and extra is None:
        errors.append(ValidationError(_("Choose the course or path people are enrolled in."), field="target"))
    due = check(
        lambda: enrolling.clean_due(fields.get("due_mode"), fields.get("due_days"), fields.get("due_date"))
    )
    if errors:
        raise ValidationErrors(errors)
    due_mode, due_days, due_date = due
    return RuleDraft(
        name=name,
        match=match,
        conditions=conditions,
        course=course,
        path=path,
        due_mode=due_mode,
        due_days=due_days,
        due_date=due_date,
        target_kind=kind if extra is not None else None,
        target=extra,
    )


@dataclass
class Preview:
    matching: int
    new: int
    already: int
    sample: list[str]


def preview(draft: RuleDraft) -> Preview:
    """How many people the rule would enrol now, without enrolling anyone."""
    population = load_population()
    matching = [u for u in population.users if matches(draft.match, draft.conditions, u, population)]
    if draft.target is not None and draft.target_kind is not None:
        enrolled = _targets[draft.target_kind].holders(draft.target)
    elif draft.course is not None:
        from app.learning.models import Enrollment

        enrolled = set(
            db.session.scalars(
                select(Enrollment.user_id).where(
                    Enrollment.course_id == draft.course.id, Enrollment.withdrawn_at.is_(None)
                )
            )
        )
    else:
        from app.learning.models import PathEnrollment

        assert draft.path is not None
        enrolled = set(
            db.session.scalars(
                select(PathEnrollment.user_id).where(
                    PathEnrollment.path_id == draft.path.id, PathEnrollment.withdrawn_at.is_(None)
                )
            )
        )
    already = sum(1 for u in matching if u.id in enrolled)
    return Preview(
        matching=len(matching),
        new=len(matching) - already,
        already=already,
        sample=sorted(u.full_name for u in matching)[:10],
    )


def save_rule(rule: EnrollmentRule | None, draft: RuleDraft) -> EnrollmentRule:
    """Create or update a rule from a checked draft."""
    clash = db.session.scalars(select(EnrollmentRule.id).where(EnrollmentRule.name == draft.name)).first()
    if clash is not None and (rule is None or clash != rule.id):
        raise ValidationError(_("A rule called “%(name)s” already exists.", name=draft.name), field="name")
    creating = rule is None
    if rule is None:
        rule = EnrollmentRule()
        db.session.add(rule)
    before = None if creating else rule_snapshot(rule)
    rule.name, rule.match, rule.conditions = draft.name, draft.match, draft.conditions
    rule.course_id = draft.course.id if draft.course else None
    rule.path_id = draft.path.id if draft.path else None
    rule.target_kind = draft.target_kind
    rule.target_id = draft.target.id if draft.target is not None else None
    rule.due_mode, rule.due_days, rule.due_date = draft.due_mode, draft.due_days, draft.due_date
    db.session.flush()
    audit.record(
        "rule.created" if creating else "rule.updated", target=rule, before=before, after=rule_snapshot(rule)
    )
    return rule


def rule_snapshot(rule: EnrollmentRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "match": rule.match,
        "conditions": rule.conditions,
        "course_id": rule.course_id,
        "path_id": rule.path_id,
        "target_kind": rule.target_kind,
        "target_id": rule.target_id,
        "due_mode": rule.due_mode,
        "due_days": rule.due_days,
        "due_date": rule.due_date.isoformat() if rule.due_date else None,
        "active": rule.active,
    }


def _apply(rule: EnrollmentRule, users: list[User], population: Population) -> int:
    created = 0
    extra_target = _targets.get(rule.target_kind or "")
    extra = extra_target.get(rule.target_id) if extra_target and rule.target_id else None
    for user in users:
        if not matches(rule.match, rule.conditions, user, population):
            continue
        due = enrolling.due_date_for(user, rule.due_mode, days=rule.due_days, fixed=rule.due_date)
        if rule.course is not None:
            if rule.course.status != CourseStatus.published.value:
                continue
            _e, new = enrolling.enrol(user, rule.course, due_on=due, source="rule", rule_id=rule.id)
        elif rule.path is not None:
            if rule.path.status != CourseStatus.published.value:
                continue
            _p, new = enrolling.enrol_in_path(user, rule.path, due_on=due, source="rule", rule_id=rule.id)
        elif extra_target is not None and extra is not None:
            if not extra_target.is_live(extra):
                continue
            new = extra_target.assign(user, extra, due, rule)
        else:
            continue
        created += int(new)
    return created


def run_rule(rule: EnrollmentRule) -> int:
    """Enrol everyone the rule matches who is not enrolled yet; return how many were enrolled now."""
    population = load_population()
    created = _apply(rule, population.users, population)
    rule.last_run_at = utcnow()
    audit.record("rule.ran", target=rule, after={"enrolled": created})
    return created


def run_rules_for_user(user: User) -> int:
    """Apply every active rule to one person (after they were created or changed)."""
    rules = list(db.session.scalars(select(EnrollmentRule).where(EnrollmentRule.active.is_(True))))
    if not rules or user.status != UserStatus.active.value:
        return 0
    population = load_population([user.id])
    return sum(_apply(rule, population.users, population) for rule in rules)


def run_all_rules() -> int:
    """The nightly run of every active rule in the current tenant (a job)."""
    total = 0
    for rule in db.session.scalars(select(EnrollmentRule).where(EnrollmentRule.active.is_(True))):
        total += run_rule(rule)
    return total


def set_rule_active(rule: EnrollmentRule, active: bool) -> None:
    if rule.active != active:
        rule.active = active
        audit.record("rule.activated" if active else "rule.paused", target=rule)
