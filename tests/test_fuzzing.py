"""Property-based fuzzing: whatever a person (or an attacker) types into a query or a form, no 5xx.

Each route of a representative set, signed in as the role that uses it, is sent generated values
for its query parameters and form fields: text with control characters and other scripts, numbers
far out of range, digits that are not ASCII, blanks. The answer must be below 500, and the page the
form belongs to must still open afterwards (no stored value breaks a later page). Bounded: a few
dozen examples per route, derandomised so a CI run is repeatable, no example database on disk.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
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
    people: dict[str, Any]


@pytest.fixture
def portal(db, tenant_factory, user_factory) -> Portal:
    from app.accounts.services import create_group
    from app.assessments import services as assessments
    from app.learning.services import courses as authoring

    tenant = tenant_factory(display_name="Fuzzed portal")
    people = {
        role: user_factory(tenant, roles=(role,))
        for role in ("learner", "manager", "author", "auditor", "tenant_admin")
    }
    with as_tenant(tenant):
        course = authoring.create_course({"title": "Knife skills", "self_enroll": True, "listed": True})
        authoring.add_lesson(course, "page", "Lesson 1", True, {"body": "Text."}, {})
        authoring.set_course_status(course, "published")
        quiz = assessments.create_quiz({"title": "Knife quiz"})
        create_group("Night shift")
        db.session.commit()
    return Portal(tenant=tenant, course_id=course.id, quiz_id=quiz.id, people=people)


def _fuzz_get(client: Any, path: str, params: list[str]) -> None:
    @FUZZ
    @given(st.fixed_dictionaries({name: VALUES for name in params}))
    def check(query: dict[str, str]) -> None:
        response = client.get(path, query_string=query)
        assert response.status_code < 500, (path, query)

    check()


def _fuzz_post(
    client: Any, page: str, action: str, fields: list[str], fixed: dict[str, str] | None = None
) -> None:
    token = csrf_token(client, page)

    @FUZZ
    @given(st.fixed_dictionaries({name: VALUES for name in fields}))
    def check(form: dict[str, str]) -> None:
        response = client.post(action, data={**(fixed or {}), **form, "csrf_token": token})
        assert response.status_code < 500, (action, form)
        assert client.get(page).status_code < 500, (page, form)

    check()


ROUTES: dict[str, Callable[[Any, Portal], None]] = {
    "anonymous sign-in": lambda c, p: _fuzz_get(c, "/sign-in", ["next"]),
    "learner catalog": lambda c, p: _fuzz_get(c, "/catalog", ["q", "page", "category", "tag", "sort"]),
    "learner profile": lambda c, p: _fuzz_post(
        c, "/account", "/account", ["full_name", "locale", "time_zone"]
    ),
    "learner language": lambda c, p: _fuzz_post(c, "/account", "/language", ["locale", "next"]),
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
    client = client_for(portal.tenant, portal.people[role] if role else None)
    ROUTES[route](client, portal)


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
