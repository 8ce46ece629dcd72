"""No page or form answers 5xx, and GET never writes: every demo role crawls its portal, then re-submits
every form with bad input.

The crawl starts at the home page and follows the links, htmx GETs, redirects and forms it finds (same
host only). Ids are normalised so /courses/12 and /courses/13 are one pattern, visited at most twice;
each page is requested twice, as a Back button would. For a learner, a manager and an admin of each
portal, every table is read row by row before and after that walk (outbox and audit log included, so an
update that leaves the row count alone is caught as well as an insert): no table may change. Every form
found is then submitted with empty, over-long, wrong-type values and with a stale CSRF token, and its page
is loaded again afterwards.
"""

from __future__ import annotations

import io
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest

from app.demo import DEMO_PASSWORD, TENANTS
from tests.conftest import TEST_DOMAIN, HostClient, finish_two_step, sign_in

VISITS_PER_PATTERN = 2
# Lessons share one URL shape but each kind (page, video, file, quiz, checkpoint, policy) is its own page.
VISITS_OF = {"/learn/<id>/lessons/<id>": 12}
# Query parameters whose value is a text that names one thing, as an id does: the terminology editor's
# ?msgid=People. One page per message of every locale is the same page; without this it was 80 % of a crawl.
TEXT_KEYS = {"msgid"}
CRAWL_SECONDS = 300  # a safety net against a crawl that never ends; the longest takes under a minute
LONG = "x" * 10_000
# Admin last in each portal: its bad submissions may deactivate or edit the other demo people.
ROLES = ("learner", "manager", "instructor", "author", "auditor", "admin")
# The roles whose walk is checked for writes (reading every table twice costs a second or two a walk).
WATCHED_FOR_WRITES = ("learner", "manager", "admin")
# The one write a GET may make by design (app/accounts/sessions.py): a session's "last seen", at most
# once a minute, so that idle timeouts can be enforced. A walk longer than a minute on a slow machine
# makes it; it is left out of the comparison rather than the walk cut short.
ONCE_A_MINUTE = {("user_sessions", "last_seen_at")}
SKIP_PATHS = ("/static/", "/sign-out")
WRONG_TYPE = {
    "number": "twelve",
    "range": "twelve",
    "date": "yesterday",
    "datetime-local": "tomorrow at noon",
    "time": "noonish",
    "month": "May",
    "week": "week 60",
    "email": "not an address",
    "url": "not a url",
    "color": "reddish",
    "checkbox": "__not_a_choice__",
    "radio": "__not_a_choice__",
    "select": "__not_a_choice__",
    "file": "",
}


@dataclass
class Field:
    name: str
    kind: str  # an input type, "select" or "textarea"
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False


@dataclass
class Form:
    page: str
    action: str
    method: str
    multipart: bool
    fields: list[Field] = field(default_factory=list)
    buttons: list[tuple[str, str, str | None]] = field(default_factory=list)  # name, value, formaction


class PageLinks(HTMLParser):
    """The links, htmx GETs and forms of one page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if a.get("hx-get"):
            self.links.append(a["hx-get"])
        if tag == "form":
            action = a.get("hx-post") or a.get("action") or self.page
            method = "post" if a.get("hx-post") else (a.get("method") or "get").lower()
            self._form = Form(self.page, action, method, "multipart" in a.get("enctype", ""))
            self.forms.append(self._form)
            return
        form = self._form
        if form is not None and a.get("hx-post"):  # htmx posts the enclosing form's values elsewhere
            self.forms.append(Form(self.page, a["hx-post"], "post", form.multipart, form.fields))
        if form is None or (not a.get("name") and tag != "button"):
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "image"):
                form.buttons.append((a["name"], a.get("value", ""), a.get("formaction") or None))
            elif kind not in ("button", "reset"):
                form.fields.append(Field(a["name"], kind, a.get("value", ""), checked="checked" in a))
        elif tag == "button" and a.get("type", "submit") == "submit":
            form.buttons.append((a.get("name", ""), a.get("value", ""), a.get("formaction") or None))
        elif tag == "select":
            self._select = Field(a["name"], "select")
            form.fields.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a or not self._select.value:
                self._select.value = a.get("value", "")
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea")
            form.fields.append(self._textarea)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def pattern(url: str) -> str:
    """The URL with its ids and tokens replaced, so pages of one kind count as one."""
    parts = urlsplit(url)
    path = re.sub(r"/(\d+|[A-Za-z0-9_.-]{24,})(?=/|$)", "/<id>", parts.path)
    query = sorted(
        (k, "<text>" if k in TEXT_KEYS else re.sub(r"^\d+$", "<n>", v))
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    )
    return path + ("?" + urlencode(query) if query else "")


class Crawler:
    """One signed-in person walking their portal with the Flask test client."""

    def __init__(self, app: Any, host: str, email: str) -> None:
        app.test_client_class = HostClient
        self.client = app.test_client()
        self.client.host = host
        self.host = host
        self.client.environ_base["REMOTE_ADDR"] = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"
        self.email = email
        self.failures: list[str] = []
        self.visits: Counter[str] = Counter()
        self.forms: dict[tuple[str, ...], Form] = {}
        self.pages = 0
        self.requests = 0
        self.sign_in()

    def sign_in(self) -> None:
        response = sign_in(self.client, self.email, DEMO_PASSWORD)
        assert response.status_code == 302, f"{self.email} could not sign in"
        if "/sign-in/two-step" in response.headers.get("Location", ""):  # operators use two-step sign-in
            finish_two_step(self.client, response, self._tenant_id(), self.email)

    def _tenant_id(self) -> int:
        from sqlalchemy import select

        from app.extensions import db
        from app.tenancy.models import Tenant

        with self.client.application.app_context():
            if self.host == TEST_DOMAIN:
                return db.session.scalars(select(Tenant.id).where(Tenant.is_platform.is_(True))).one()
            return db.session.scalars(select(Tenant.id).where(Tenant.slug == self.host.split(".")[0])).one()

    def request(self, method: str, url: str, what: str, **kwargs: Any) -> Any:
        """Send one request; record a 5xx (or an exception, which TESTING propagates) with what was sent."""
        self.requests += 1
        try:
            # The whole answer is read inside the request, as a browser reads it: a streamed export runs
            # (and ends) there, not whenever the garbage collector happens to close it.
            response = self.client.open(url, method=method.upper(), buffered=True, **kwargs)
        except Exception as exc:
            self.failures.append(f"{method.upper()} {url} ({what}): {type(exc).__name__}: {exc}"[:600])
            return None
        if response.status_code >= 500:
            self.failures.append(f"{method.upper()} {url} ({what}): {response.status_code}")
        return response

    def local(self, href: str, base: str) -> str | None:
        url = urljoin(f"http://{self.host}{base}", href.split("#")[0])
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname != self.host:
            return None
        path = parts.path + ("?" + parts.query if parts.query else "")
        if not path or any(path.startswith(p) for p in SKIP_PATHS):
            return None
        return path

    def crawl(self, deadline: float, start: str = "/") -> None:
        queue = [start]
        while queue and time.monotonic() < deadline:
            url = queue.pop(0)
            key = pattern(url)
            if self.visits[key] >= VISITS_OF.get(key, VISITS_PER_PATTERN):
                continue
            self.visits[key] += 1
            for found in self.visit(url):
                if self.visits[pattern(found)] < VISITS_OF.get(pattern(found), VISITS_PER_PATTERN):
                    queue.append(found)

    def visit(self, url: str, *, twice: bool = True) -> list[str]:
        """GET a page twice (the second time as Back would); return the same-host URLs it leads to."""
        self.pages += 1
        response = self.request("get", url, "page")
        if (
            response is not None
            and response.status_code in (301, 302, 303)
            and "/sign-in" in response.location
        ):
            self.sign_in()  # a form the crawler submitted signed it out; carry on as that person
            response = self.request("get", url, "page")
        if twice:
            self.request("get", url, "page again")
        if response is None:
            return []
        if response.status_code in (301, 302, 303, 307, 308):
            location = self.local(response.location, url)
            return [location] if location else []
        if "html" not in (response.mimetype or ""):
            return []
        parser = PageLinks(url)
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            for target in self.submissions(form):
                self.forms.setdefault(
                    (target.method, pattern(target.action), *sorted(f.name for f in target.fields)),
                    target,
                )
        return [u for u in (self.local(href, url) for href in parser.links) if u]

    def submissions(self, form: Form) -> list[Form]:
        """The form once per distinct target: a button with its own formaction is another form."""
        action = self.local(form.action, form.page)
        if action is None:
            return []
        targets = [Form(form.page, action, form.method, form.multipart, form.fields, form.buttons[:1])]
        for name, value, formaction in form.buttons[1:]:
            target = self.local(formaction, form.page) if formaction else None
            if target and target != action:
                targets.append(
                    Form(form.page, target, form.method, form.multipart, form.fields, [(name, value, None)])
                )
        return targets

    def resubmit_forms(self, deadline: float, done: set[tuple[str, ...]]) -> None:
        """Submit each form badly, unless *done* says this role already did it in another portal.

        Where a submission leads (an attempt just started, a record just created) is crawled too, and
        the forms found there are submitted in turn.
        """
        while todo := [(key, form) for key, form in self.forms.items() if key not in done]:
            for key, form in todo:
                if time.monotonic() > deadline:
                    return
                done.add(key)
                if not self.destructive_for_crawler(form):
                    self.resubmit(form, deadline)

    def resubmit(self, form: Form, deadline: float) -> None:
        for what, values in variants(form):
            kwargs: dict[str, Any] = {}
            if form.method == "get":
                query = urlencode([(k, v) for k, v in values if isinstance(v, str)])
                url = form.action.split("?")[0] + "?" + query
            else:
                url = form.action
                kwargs["data"] = multidict(values)
                kwargs["headers"] = {"Referer": f"http://{self.host}{form.page}"}
                if form.multipart:
                    kwargs["content_type"] = "multipart/form-data"
            response = self.request(form.method, url, what, **kwargs)
            if response is not None and response.status_code in (302, 303):
                target = self.local(response.location, form.action)
                if target and "/sign-in" not in target:
                    self.crawl(deadline, start=target)
            if form.method == "get":
                break  # a GET form has no CSRF token and is one search; once is enough
        self.visit(form.page, twice=False)  # Back to the form's page after submitting it

    @staticmethod
    def destructive_for_crawler(form: Form) -> bool:
        """Only signing out is skipped: it would end the crawl (the app itself refuses self-deactivation)."""
        return form.action.startswith("/sign-out")


def variants(form: Form) -> list[tuple[str, list[tuple[str, Any]]]]:
    """The bad submissions of a form: empty, over-long, wrong type; the typed values with a stale token."""
    csrf = [(f.name, f.value) for f in form.fields if f.name == "csrf_token"]
    fields = [f for f in form.fields if f.name != "csrf_token"]
    button = [(name, value) for name, value, _ in form.buttons if name]

    def filled(value_of: Any) -> list[tuple[str, Any]]:
        values: list[tuple[str, Any]] = []
        for f in fields:
            value = value_of(f)
            if value is None:
                continue
            if f.kind == "file":
                values.append((f.name, (io.BytesIO(value.encode()), "upload.txt")) if value else (f.name, ""))
            else:
                values.append((f.name, value))
        return [*csrf, *values, *button]

    def original(f: Field) -> str | None:
        if f.kind in ("checkbox", "radio") and not f.checked:
            return None
        return "" if f.kind == "file" else f.value

    def wrong(f: Field) -> str | None:
        if f.kind in WRONG_TYPE:
            return WRONG_TYPE[f.kind]
        if f.kind == "hidden" and f.value.isdigit():
            return "not-an-id"
        return original(f)

    stale = [("csrf_token", "stale-token-from-an-old-page")] if csrf else []
    candidates = [
        ("empty values", filled(lambda f: "")),
        ("over-long values", filled(lambda f: LONG)),
        ("wrong types", filled(wrong)),
        ("stale CSRF token", [*stale, *filled(original)[len(csrf) :]]),
    ]
    # A form of buttons only is the same submission in every variant: send it once (and the stale one).
    distinct: dict[str, tuple[str, list[tuple[str, Any]]]] = {}
    for what, values in candidates:
        distinct.setdefault(
            repr([(k, v if isinstance(v, str) else "<file>") for k, v in values]), (what, values)
        )
    return list(distinct.values())


def multidict(values: list[tuple[str, Any]]) -> Any:
    from werkzeug.datastructures import MultiDict

    return MultiDict(values)


@pytest.fixture(scope="module")
def demo(app: Any) -> None:
    """The demo data, as `flask demo` loads it."""
    from app.actors import acting_as
    from app.cli import CLI_ACTOR
    from app.demo import load_demo
    from app.extensions import db

    with app.app_context(), acting_as(CLI_ACTOR):
        load_demo()
        db.session.commit()


PEOPLE = [
    pytest.param(
        f"{spec['slug']}.{TEST_DOMAIN}", f"{role}@{spec['slug']}.example", id=f"{spec['slug']}-{role}"
    )
    for spec in TENANTS
    for role in ROLES
] + [pytest.param(TEST_DOMAIN, "operator@atrium.example", id="platform-operator")]


# Forms already submitted badly, per role: the same form in the next portal is only crawled, not re-submitted.
SUBMITTED: dict[str, set[tuple[str, ...]]] = {}


def every_row(app: Any) -> dict[str, list[tuple[str, ...]]]:
    """Each table's rows as text, in primary-key order, read past the tenant filter (as the owner)."""
    from sqlalchemy import select

    from app.extensions import db

    snapshot: dict[str, list[tuple[str, ...]]] = {}
    with app.app_context(), db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            columns = [c for c in table.columns if (table.name, c.name) not in ONCE_A_MINUTE]
            rows = connection.execute(select(*columns).order_by(*order))
            snapshot[table.name] = [tuple(str(value) for value in row) for row in rows]
    return snapshot


def changed_tables(
    before: dict[str, list[tuple[str, ...]]], after: dict[str, list[tuple[str, ...]]]
) -> list[str]:
    lines = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name, []), after.get(name, [])
        if old != new:
            added = [row for row in new if row not in old][:3]
            removed = [row for row in old if row not in new][:3]
            lines.append(
                f"{name}: {len(old)} -> {len(new)} rows; new or changed {added}; gone or before {removed}"
            )
    return lines


@pytest.mark.parametrize("host,email", PEOPLE)
def test_no_page_writes_or_fails_and_no_bad_submission_answers_a_server_error(app, demo, host, email):
    deadline = time.monotonic() + CRAWL_SECONDS
    crawler = Crawler(app, host, email)  # signing in is a POST: it may write, before the snapshot
    role = email.split("@")[0]
    watched = role in WATCHED_FOR_WRITES
    before = every_row(app) if watched else {}
    crawler.crawl(deadline)
    written = changed_tables(before, every_row(app)) if watched else []
    assert crawler.pages > 5, f"{email} found almost nothing to crawl"
    assert not crawler.failures, "\n".join(crawler.failures)
    assert not written, "GET requests wrote:\n" + "\n".join(written)

    crawler.resubmit_forms(deadline, SUBMITTED.setdefault(role, set()))
    assert crawler.forms, f"{email} found no form to submit"
    assert not crawler.failures, "\n".join(crawler.failures)
    assert time.monotonic() < deadline, f"{email}'s crawl ran out of time: pages and forms were left out"
