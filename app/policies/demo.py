"""The demo Code of Conduct: version 1, then a material version 2 that asks everyone again."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.policies import services as policies
from app.policies.models import Policy
from app.tenancy.models import utcnow

# Version 1 went out half a year ago; version 2 three weeks ago, due after two weeks: whoever has not
# accepted it yet is overdue, so managers and policy reports have something to show on the first run.
VERSION_1_DAYS_AGO = 180
VERSION_2_DAYS_AGO = 21
DUE_DAYS = 14

VERSION_1 = """\
## Our commitment

We treat colleagues, partners and customers with respect. We do not tolerate harassment, discrimination or
bullying, in person or online.

## Honesty

We record hours, expenses and results truthfully. We never offer or accept bribes.

## Speaking up

If you see something that breaks this code, tell your manager or use the confidential hotline. Nobody will be
punished for raising a concern in good faith."""

VERSION_2 = (
    VERSION_1
    + """

## Gifts and hospitality (new)

You may accept gifts or hospitality worth up to 50 € a year from any one business contact. Anything above that
must be declined or registered with your manager before you accept it."""
)


def code_of_conduct() -> Policy:
    """Create the two-version Code of Conduct in the current tenant, once."""
    policy = db.session.scalars(select(Policy).where(Policy.title == "Code of Conduct")).first()
    if policy is not None:
        return policy
    policy = policies.create_policy("Code of Conduct", due_days=DUE_DAYS)
    first = policies.publish_version(policies.save_draft(policy, VERSION_1))
    second = policies.publish_version(policies.save_draft(policy, VERSION_2, material=True))
    first.published_at = utcnow() - timedelta(days=VERSION_1_DAYS_AGO)
    second.published_at = utcnow() - timedelta(days=VERSION_2_DAYS_AGO)
    return policy


def code_of_conduct_lesson(policy: Policy) -> None:
    """End each onboarding course ("Welcome to …") with the Code of Conduct to accept, once."""
    from app.learning.models import Course, Lesson
    from app.learning.services import courses as authoring

    for course in db.session.scalars(select(Course).where(Course.title.startswith("Welcome to "))):
        if course.from_library or any(lesson.kind == "policy" for lesson in course.lessons):
            continue
        if db.session.scalars(select(Lesson.id).where(Lesson.course_id == course.id)).first() is None:
            continue
        authoring.add_lesson(
            course, "policy", "Accept our Code of Conduct", True, {"policy_id": str(policy.id)}, {}
        )
