"""Property-based fuzzing: whatever a person (or an attacker) types into a query or a form, no 5xx.

Each route of a representative set, signed in as the role that uses it, is sent generated values
for its query parameters and form fields: text with control characters and other scripts, numbers
far out of range, digits that are not ASCII, blanks. The answer must be below 500, and the page the
form belongs to must still open afterwards. After a form's fuzzing, every page that shows what was
stored (the person's profile and the admin's view of them, team and admin lists, the catalog) is
opened as each role, and the jobs that read it (the policy receipt in the person's language, the
rule and attempt-expiry runs) run inline: no stored value breaks a later page or job. Bounded: a
few dozen examples per route, derandomised so a CI run is repeatable, no example database on disk.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.tenancy import as_tenant
from tests.conftest import TEST_DOMAIN, csrf_token

EXAMPLES = 25
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
NASTY = [
    "",
    " ",
    "\t",
    "\x00",
    "a\x00b",
    "\x1b[31m",
    "²",
    "٣",
    "-1",
    "0",
    "2147483648",
    "-999999999999",
    "99999999999999999999",
    "1e999999999",
    "NaN",
    "9" * 5000,
    "x" * 5000,
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "%00",
    "../../etc/passwd",
    "\u202e",
    "\ufeff",
    "😀",
]
# A value for any field: a nasty one, a number of any size, or any short text (every Unicode plane).
VALUES = st.one_of(
    st.sampled_from(NASTY),
    st.integers().map(str),
    st.text(max_size=40),
)


@dataclass
class Portal:
    tenant: Any
    course_id: int
    quiz_id: int
    policy_id: int
    people: dict[str, Any]
    ids: dict[str, int]
    signed_in: Callable[[str], Any]
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str) -> Any:
        """A client signed in as the portal's person of *role*, made once."""
        if role not in self.clients:
            self.clients[role] = self.signed_in(role)
        return self.clients[role]


@pytest.fixture
def portal(db, tenant_factory, user_factory, client_for) -> Portal:
    from app.accounts.services import create_group
    from app.assessments import services as assessments
    from app.learning.services import courses as authoring
    from app.policies import services as policies

    tenant = tenant_factory(display_name="Fuzzed portal")
    manager = user_factory(tenant, roles=("manager",))
    people = {
        "manager": manager,
        "learner": user_factory(tenant, roles=("learner",), manager_id=manager.id),
        **{role: user_factory(tenant, roles=(role,)) for role in ("author", "auditor", "tenant_admin")},
    }
    with as_tenant(tenant):
        course = authoring.create_course({"title": "Knife skills", "self_enroll": True, "listed": True})
        authoring.add_lesson(course, "page", "Lesson 1", True, {"body": "Text."}, {})
        authoring.set_course_status(course, "published")
        quiz = assessments.create_quiz({"title": "Knife quiz"})
        create_group("Night shift")
        policy = policies.create_policy("Code of Conduct", due_days=14)
        policies.publish_version(policies.save_draft(policy, "Be kind."))
        db.session.commit()
    return Portal(
        tenant=tenant,
        course_id=course.id,
        quiz_id=quiz.id,
        policy_id=policy.id,
        people=people,
        ids={role: person.id for role, person in people.items()},
        signed_in=lambda role: client_for(tenant, people[role]),
    )


def _fuzz_get(client: Any, path: str, params: list[str]) -> None:
    @FUZZ
    @given(st.fixed_dictionaries({name: VALUES for name in params}))
    def check(query: dict[str, str]) -> None:
        response = client.get(path, query_string=query)
        assert response.status_code < 500, (path, query)

    check()


def _fuzz_post(
    client: Any,
    page: str,
    action: str,
    fields: list[str],
    fixed: dict[str, str] | None = None,
    *,
    then: Callable[[], None] | None = None,
) -> None:
    """Post generated values to *action*; *page* (and whatever *then* checks) must open after each."""
    token = csrf_token(client, page)

    @FUZZ
    @given(st.fixed_dictionaries({name: VALUES for name in fields}))
    def check(form: dict[str, str]) -> None:
        response = client.post(action, data={**(fixed or {}), **form, "csrf_token": token})
        assert response.status_code < 500, (action, form)
        assert client.get(page).status_code < 500, (page, form)
        if then is not None:
            then()

    check()


# ---------------------------------------------------------------- what was stored, shown and used later


def _pages_of(portal: Portal) -> dict[str, list[str]]:
    """The pages that show stored values, for the role that opens each."""
    from sqlalchemy import select

    from app.accounts.models import Group, User
    from app.extensions import db
    from app.policies.models import Policy

    with as_tenant(portal.tenant):
        db.session.expire_all()
        user_ids = list(db.session.scalars(select(User.id)))
        group_ids = list(db.session.scalars(select(Group.id)))
        policy = db.session.get(Policy, portal.policy_id)
        assert policy is not None and policy.current_version is not None
        version_id = policy.current_version.id
    learner_id = portal.ids["learner"]
    return {
        "learner": [
            "/",
            "/account",
            "/catalog",
            f"/courses/{portal.course_id}",
            f"/policies/{portal.policy_id}",
        ],
        "manager": ["/", "/team/", f"/team/people/{learner_id}", "/team/checkpoints/"],
        "author": [
            "/admin/courses",
            f"/admin/courses/{portal.course_id}",
            f"/admin/quizzes/{portal.quiz_id}",
        ],
        "auditor": ["/admin/audit"],
        "tenant_admin": [
            "/admin/users",
            *(f"/admin/users/{user_id}" for user_id in user_ids),
            "/admin/groups",
            *(f"/admin/groups/{group_id}" for group_id in group_ids),
            f"/admin/courses/{portal.course_id}/enrollments",
            "/admin/org-units",
            "/admin/rules",
            f"/admin/quizzes/{portal.quiz_id}/results",
            f"/admin/policies/{portal.policy_id}",
            f"/admin/policies/{portal.policy_id}/versions/{version_id}",
            f"/admin/policies/{portal.policy_id}/versions/{version_id}/export.csv",
            "/admin/audit",
        ],
    }


def _render_receipt_of(portal: Portal, role: str, *, unless_seen: set[tuple[Any, ...]] | None = None) -> None:
    """Accept the portal's policy as the person of *role* (once) and render their receipt inline.

    With *unless_seen*, a person whose stored language and time zone were already rendered is skipped:
    fuzzed forms store few distinct values (most are refused), and a PDF is slow to make.
    """
    from sqlalchemy import select

    from app.accounts.models import User
    from app.extensions import db
    from app.policies import services as policies
    from app.policies.jobs import portal_address, receipt_pdf
    from app.policies.models import Acknowledgement, Policy

    with as_tenant(portal.tenant):
        db.session.expire_all()
        person = db.session.get(User, portal.ids[role])
        policy = db.session.get(Policy, portal.policy_id)
        assert person is not None and policy is not None and policy.current_version is not None
        stored = (person.locale, person.time_zone, person.full_name)
        if unless_seen is not None:
            if stored in unless_seen:
                db.session.rollback()
                return
            unless_seen.add(stored)
        ack = db.session.scalars(select(Acknowledgement).where(Acknowledgement.user_id == person.id)).first()
        if ack is None:
            ack = policies.acknowledge_policy(
                person, policy.current_version, person.full_name, accepted=True, ip=None, user_agent=None
            )
            db.session.commit()
        pdf = receipt_pdf(portal.tenant, person, ack, portal_address(portal.tenant))
        assert pdf.startswith(b"%PDF"), (role, stored)
        db.session.rollback()


def _stored_values_break_nothing(portal: Portal, role: str) -> None:
    """Open every page that shows what was stored, as the role that reads it, and run the jobs that use it."""
    from app.assessments.services import close_expired_attempts
    from app.extensions import db
    from app.learning.services.rules import run_all_rules

    for reader, pages in _pages_of(portal).items():
        client = portal.client(reader)
        for page in pages:
            assert client.get(page).status_code < 500, (reader, page)
    _render_receipt_of(portal, role)
    with as_tenant(portal.tenant):
        run_all_rules()
        close_expired_attempts()
        db.session.rollback()


def _the_person_still_shows(portal: Portal, role: str) -> Callable[[], None]:
    """After each example: the admin's view of the person, and their receipt in the language now stored."""
    rendered: set[tuple[Any, ...]] = set()

    def check() -> None:
        person_page = f"/admin/users/{portal.ids[role]}"
        assert portal.client("tenant_admin").get(person_page).status_code < 500, person_page
        _render_receipt_of(portal, role, unless_seen=rendered)

    return check


ROUTES: dict[str, Callable[[Any, Portal], None]] = {
    "anonymous sign-in": lambda c, p: _fuzz_get(c, "/sign-in", ["next"]),
    "learner catalog": lambda c, p: _fuzz_get(c, "/catalog", ["q", "page", "category", "tag", "sort"]),
    "learner profile": lambda c, p: _fuzz_post(
        c,
        "/account",
        "/account",
        ["full_name", "locale", "time_zone"],
        then=_the_person_still_shows(p, "learner"),
    ),
    "learner language": lambda c, p: _fuzz_post(
        c, "/account", "/language", ["locale", "next"], then=_the_person_still_shows(p, "learner")
    ),
    "manager team": lambda c, p: _fuzz_get(c, "/team/", ["show", "q"]),
    "manager assigns": lambda c, p: _fuzz_post(
        c, "/team/", "/team/assign", ["people", "course_id", "due_mode", "due_days", "due_date"]
    ),
    "author courses": lambda c, p: _fuzz_get(c, "/admin/courses", ["status", "q"]),
    "author quiz pool": lambda c, p: _fuzz_post(
        c, f"/admin/quizzes/{p.quiz_id}", f"/admin/quizzes/{p.quiz_id}/pools", ["bank_id", "draw_count"]
    ),
    "auditor audit log": lambda c, p: _fuzz_get(c, "/admin/audit", ["page", "action"]),
    "admin people": lambda c, p: _fuzz_get(c, "/admin/users", ["q", "status", "page"]),
    "admin groups": lambda c, p: _fuzz_post(c, "/admin/groups", "/admin/groups", ["name", "description"]),
    "admin enrols": lambda c, p: _fuzz_post(
        c,
        f"/admin/courses/{p.course_id}/enrollments",
        f"/admin/courses/{p.course_id}/enrollments",
        ["people", "group_id", "org_unit_id", "due_mode", "due_days", "due_date"],
    ),
}
ROLE_OF = {
    "anonymous": None,
    "learner": "learner",
    "manager": "manager",
    "author": "author",
    "auditor": "auditor",
    "admin": "tenant_admin",
}


@pytest.mark.parametrize("route", list(ROUTES))
def test_fuzzed_queries_and_forms_never_answer_a_server_error(portal, client_for, route):
    role = ROLE_OF[route.split()[0]]
    client = portal.client(role) if role else client_for(portal.tenant)
    ROUTES[route](client, portal)
    if route in STORING:
        _stored_values_break_nothing(portal, role)


# The routes whose forms store what they are sent: afterwards, whatever shows or uses it is checked.
STORING = {
    "learner profile",
    "learner language",
    "manager assigns",
    "author quiz pool",
    "admin groups",
    "admin enrols",
}


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(
    st.one_of(
        st.text(alphabet=st.sampled_from("abz09.-:[]_ \x00ä"), max_size=30),
        st.builds(
            lambda label, port: f"{label}.{TEST_DOMAIN}{port}",
            st.text(max_size=70),
            st.sampled_from(["", ":", ":0", ":99999", ":80"]),
        ),
    )
)
def test_fuzzed_host_headers_never_answer_a_server_error(app, host):
    statuses: list[str] = []
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/sign-in",
        "SERVER_NAME": "server",
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
    }
    b"".join(app(environ, lambda status, headers, exc_info=None: statuses.append(status)))
    assert int(statuses[0].split()[0]) < 500, host
