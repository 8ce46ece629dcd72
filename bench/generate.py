"""Build a realistic Atrium dataset quickly, for the catalog and My learning benchmarks.

    .venv/bin/python bench/generate.py                     # 3 tenants, 20k users, 1k courses, 100k enrolments
    .venv/bin/python bench/generate.py --size small        # 1 tenant, 2k users: a few seconds
    .venv/bin/python bench/generate.py --size large --postgres-admin-url ...   # 100k users, 1M enrolments
    .venv/bin/python bench/generate.py --tenants 1 --users 30 --courses 8 --enrollments 60   # a smoke run
    .venv/bin/python bench/generate.py --postgres-admin-url postgresql://postgres@127.0.0.1:5432/postgres

Tenants, one learner and one tenant admin per tenant (with a password), a quiz course, two policies
and the refresher quizzes go through the real services, so built-in roles and audit chains exist;
everything else (people, catalog, enrolments, acknowledgements, certifications and their records in
every state, quiz attempts) is written with bulk INSERTs in batches (one location manager gets a
password too). SQLite by
default (a fresh file under bench/.data/); PostgreSQL with --postgres-admin-url (a fresh database
with the owner and application roles) or --database-url/--migration-url (a prepared, empty one).
The manifest the benchmark reads is written to bench/.data/<dialect>.json.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from bench_app import (
    DEFAULT_SQLITE_PATH,
    LEARNER_PASSWORD,
    create_bench_app,
    manifest_path,
    read_manifest,
    sqlalchemy_url,
    write_manifest,
)

BATCH = 5000
SEARCH_TERM = "safety"
# --size presets (totals over all tenants); explicit --tenants/--users/--courses/--enrollments win.
SIZES: dict[str, dict[str, int]] = {
    "small": {"tenants": 1, "users": 2_000, "courses": 100, "enrollments": 10_000},
    "default": {"tenants": 3, "users": 20_000, "courses": 1_000, "enrollments": 100_000},
    "large": {"tenants": 1, "users": 100_000, "courses": 10_000, "enrollments": 1_000_000},
}

TENANT_SHAPES = [
    ("bench-retail", "Bench Retail Group", "employees"),
    ("bench-partners", "Bench Partner Network", "partners"),
    ("bench-franchise", "Bench Franchise Kitchens", "franchise"),
    ("bench-academy", "Bench Customer Academy", "customers"),
]
# fmt: off
FIRST_NAMES = [
    "Ada", "Ben", "Carla", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jamal", "Kira", "Liam",
    "Maya", "Noah", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tariq", "Uma", "Victor", "Wen", "Ximena",
    "Yusuf", "Zoe", "Amir", "Beatriz", "Chen", "Dara", "Emeka", "Fatima", "Goran", "Hana", "Ivan",
    "Jun",
]
LAST_NAMES = [
    "Adams", "Baker", "Costa", "Dubois", "Eze", "Fischer", "Garcia", "Haddad", "Ito", "Jensen",
    "Kowalski", "Lopez", "Mendes", "Nakamura", "Okafor", "Petrov", "Quispe", "Rossi", "Silva", "Tanaka",
    "Umar", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Murphy", "Nguyen", "Schmidt", "Kaur",
]
JOB_TITLES = [
    "Sales associate",
    "Cashier",
    "Line cook",
    "Shift supervisor",
    "Warehouse operative",
    "Customer service agent",
    "Account executive",
    "Field technician",
    "Barista",
    "Delivery driver",
    "HR coordinator",
    "Software engineer",
    "Store manager",
    "Regional manager",
    "Partner sales rep",
    "Channel manager",
    "Accountant",
    "Marketing specialist",
]
DEPARTMENTS = ["Front of house", "Back of house", "Sales floor", "Stockroom"]
REGIONS = ["North", "South", "East", "West", "Central", "Coastal", "Highlands", "Metro", "Valley", "Lakes"]
GROUP_KINDS = ["Cohort", "Team", "Project", "Mentoring circle", "Committee", "Guild", "Partner tier"]
SUBJECTS = [
    ("Food Safety", "Safety"),
    ("Workplace Safety", "Safety"),
    ("Fire Safety", "Safety"),
    ("Forklift Safety", "Safety"),
    ("First Aid", "Safety"),
    ("Manual Handling", "Safety"),
    ("Allergen Awareness", "Safety"),
    ("Data Privacy", "Compliance"),
    ("Anti-Bribery", "Compliance"),
    ("Code of Conduct", "Compliance"),
    ("Harassment Prevention", "Compliance"),
    ("Export Controls", "Compliance"),
    ("Cybersecurity Basics", "Technology"),
    ("Spreadsheets", "Technology"),
    ("Point of Sale", "Operations"),
    ("Inventory Counts", "Operations"),
    ("Opening and Closing", "Operations"),
    ("Customer Service", "Customers"),
    ("Handling Complaints", "Customers"),
    ("Product Knowledge", "Sales"),
    ("Negotiation", "Sales"),
    ("Solution Selling", "Sales"),
    ("Coaching Conversations", "Leadership"),
    ("Leading a Shift", "Leadership"),
    ("Giving Feedback", "Leadership"),
    ("Inclusive Hiring", "People"),
    ("Onboarding New Starters", "People"),
    ("Time Management", "Personal effectiveness"),
    ("Presentation Skills", "Personal effectiveness"),
    ("Conflict Resolution", "Personal effectiveness"),
]
PREFIXES = ["", "Introduction to ", "Advanced ", "Essentials of ", "Refresher: ", "Practical ", "Mastering "]
SUFFIXES = ["", " 101", " for Managers", " for New Starters", " (2025 update)", " in Practice", ": Part 2"]
TAGS = [
    "safety", "compliance", "mandatory", "onboarding", "leadership", "sales", "kitchen", "retail",
    "warehouse", "customer", "privacy", "security", "gdpr", "ethics", "excel", "communication",
    "coaching", "hiring", "inventory", "pos", "food", "allergens", "fire", "first-aid", "forklift",
    "negotiation", "product", "partners", "certification", "refresher", "annual", "managers",
    "new-starters", "video", "quick-win", "soft-skills", "operations", "finance", "marketing",
]
# fmt: on
SENTENCES = [
    "This course covers the everyday habits that make {subject} second nature on every shift.",
    "You will practise with real situations from stores, kitchens and customer calls.",
    "Short pages you can finish on a phone between tasks, with a checklist to keep.",
    "Managers use it to bring new starters up to standard in their first weeks.",
    "Updated for this year's regulations and the questions inspectors ask most often.",
    "Learn what good looks like, what to avoid, and who to ask when you are unsure about {subject}.",
    "Includes the common mistakes we see and how colleagues fixed them.",
]
LESSON_TITLES = [
    "Why it matters",
    "The basics",
    "What good looks like",
    "Common mistakes",
    "A day on the job",
    "When something goes wrong",
    "Checklist",
    "Recap",
]
LESSON_BODY = """\
## {title}

{subject} is part of everyone's job here. This page walks through what to do, step by step, and why each step
matters for you, your colleagues and our customers.

- Check before you start: equipment, signage and the log.
- Ask when you are unsure; nobody is expected to guess.
- Write down what you did, so the next shift knows.

> Tip: keep this page open on your phone the first few times you do it for real.

When you reach the end of the page, the lesson counts as done.
"""

POLICY_BODY = """\
## Our code of conduct

We treat customers and colleagues with respect, we are honest in what we sell and record, and we speak up
when something is wrong.

- Report safety issues at once, to your manager or through the hotline.
- Never accept gifts worth more than a coffee from a supplier.
- Keep customers' and colleagues' personal data to what the job needs.

By accepting you confirm you have read this policy and will follow it.
"""
#: (audience, title, validity in months, grace days, job title or who it is for)
CERTIFICATIONS = [
    ("everyone", "Food Hygiene Level 2", 36, 0, "everyone"),
    ("everyone", "Health and Safety Induction", 12, 30, "everyone"),
    ("job_title", "Allergen Controller", 12, 0, "Line cook"),
    ("job_title", "Forklift Licence", 36, 14, "Warehouse operative"),
    ("job_title", "Cash Handling", 24, 0, "Cashier"),
    ("job_title", "Barista Certified", 24, 0, "Barista"),
    ("job_title", "Fire Marshal", 24, 30, "Shift supervisor"),
    ("job_title", "Certified Product Specialist", 12, 0, "Sales associate"),
]
#: Quizzes whose attempts the generator writes (the bench learner's quiz is apart).
REFRESHER_QUIZZES = 10
USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36",
]
QUIZ_QUESTIONS: list[dict[str, Any]] = [
    {
        "type": "single",
        "prompt": f"Question {n}: which is the safe thing to do when {situation}?",
        "options": [
            {"text": right, "correct": True, "feedback": "Right."},
            {"text": wrong, "feedback": "Look again at the lesson."},
            {"text": "Carry on and tell nobody", "feedback": "Always tell someone."},
        ],
    }
    for n, (situation, right, wrong) in enumerate(
        [
            (
                "a delivery arrives warm",
                "Check its temperature and refuse it if too warm",
                "Put it away fast",
            ),
            ("you cut your finger", "Cover it with a blue plaster and tell your manager", "Wear gloves"),
            ("a customer asks about allergens", "Check the allergen sheet with them", "Guess"),
            ("the fryer smokes", "Switch it off at the isolator", "Add more oil"),
            ("a spill is on the floor", "Put up the sign and clean it at once", "Step around it"),
            ("the fridge reads 9 °C", "Log it and tell your manager", "Ignore it until closing"),
            ("food is past its use-by date", "Throw it away and log it", "Use it today"),
            ("you feel sick before a shift", "Call your manager before you come in", "Come in anyway"),
            ("raw and cooked meat share a shelf", "Store raw meat below cooked food", "Leave it"),
            ("hand soap runs out", "Refill it before handling food", "Rinse with water only"),
        ],
        start=1,
    )
]


@dataclass
class Sizes:
    users: int
    courses: int
    enrollments: int
    attempts: int = 0


@dataclass
class TenantResult:
    slug: str
    tenant_id: int
    users: int
    learner_email: str
    learner_course_id: int | None
    manager_email: str | None = None
    admin_email: str | None = None
    #: The learner's enrolment and lesson of a page lesson, of a quiz lesson; a policy and its version.
    learner_lesson: dict[str, int] | None = None
    learner_quiz: dict[str, int] | None = None
    policy: dict[str, int] | None = None
    counts: dict[str, int] = field(default_factory=dict)


def split(total: int, weights: Sequence[float]) -> list[int]:
    """Share *total* by *weights* with the largest-remainder method, so the parts add up exactly."""
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(r) for r in raw]
    for index in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[index] += 1
    return parts


def batches(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


class Copier:
    """Write bulk rows with PostgreSQL's COPY, many times faster than INSERT for the large dataset.

    Row-level security refuses COPY FROM to every role it binds, the tables' owner included (FORCE),
    so this connects as the superuser of --postgres-admin-url, in autocommit: the session commits what
    it wrote first, so that the copied rows' foreign keys find it, and the session sees them next.
    Ids are drawn from the tables' own sequences beforehand, so callers get them back in order.
    """

    def __init__(self, admin_url: str, database: str) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        url = make_url(sqlalchemy_url(admin_url)).set(database=database)
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")

    def new_ids(self, table: str, count: int) -> list[int]:
        from sqlalchemy import text

        with self.engine.connect() as connection:
            return list(
                connection.execute(
                    text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
                    {"table": table, "n": count},
                ).scalars()
            )

    def copy(self, model: Any, rows: Sequence[dict[str, Any]]) -> None:
        from psycopg.types.json import Jsonb
        from sqlalchemy import JSON

        from app.extensions import db

        if not rows:
            return
        db.session.commit()
        table = model.__table__
        columns = list(rows[0])
        json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
        wrap = [name in json_columns for name in columns]
        with self.engine.connect() as connection:
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(
                        [
                            Jsonb(row[name]) if json and row[name] is not None else row[name]
                            for json, name in zip(wrap, columns, strict=True)
                        ]
                    )
            cursor.close()

    def dispose(self) -> None:
        self.engine.dispose()


#: Set by main() when the database was created with --postgres-admin-url.
COPIER: Copier | None = None


def insert_rows(model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk INSERT *rows* (dicts with the same keys) in batches, or COPY them when a superuser may.

    ``render_nulls`` keeps None values in the parameters: without it the ORM groups rows by which
    columns are None and sends each small group on its own, dozens of times slower.
    """
    from sqlalchemy import insert

    from app.extensions import db

    if COPIER is not None:
        COPIER.copy(model, rows)
        return
    for chunk in batches(rows):
        db.session.execute(insert(model).execution_options(render_nulls=True), chunk)


def insert_returning_ids(model: Any, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Bulk INSERT *rows* and return their new ids in the same order."""
    from sqlalchemy import insert

    from app.extensions import db

    if COPIER is not None:
        new_ids = COPIER.new_ids(model.__table__.name, len(rows)) if rows else []
        COPIER.copy(model, [{"id": i, **row} for i, row in zip(new_ids, rows, strict=True)])
        return new_ids
    ids: list[int] = []
    for chunk in batches(rows):
        statement = (
            insert(model)
            .returning(model.id, sort_by_parameter_order=True)
            .execution_options(render_nulls=True)
        )
        ids.extend(db.session.scalars(statement, chunk))
    return ids


class TenantBuilder:
    """Fill one tenant: organisation, people, groups, catalog, enrolments and progress."""

    def __init__(self, rng: random.Random, tenant: Any, sizes: Sizes, now: datetime) -> None:
        self.rng = rng
        self.tenant = tenant
        self.tid: int = tenant.id
        self.sizes = sizes
        self.now = now
        self.today = now.date()
        self.counts: dict[str, int] = {}

    def ago(self, max_days: int, min_days: int = 0) -> datetime:
        seconds = self.rng.randint(min_days * 86400, max(min_days, max_days) * 86400)
        return self.now - timedelta(seconds=seconds)

    def build(self) -> TenantResult:
        from sqlalchemy import select

        from app.accounts.models import Role
        from app.extensions import db

        self.roles = dict(db.session.execute(select(Role.key, Role.id)).all())
        self.build_organisation()
        self.build_groups()
        self.build_people()
        self.build_catalog()
        learner_course_id = self.build_enrollments()
        learner_quiz = self.build_quiz()
        policy = self.build_policy()
        self.build_older_policy()
        self.build_certifications()
        self.build_attempts()
        return TenantResult(
            slug=self.tenant.slug,
            tenant_id=self.tid,
            users=self.sizes.users,
            learner_email=self.learner_email,
            learner_course_id=learner_course_id,
            manager_email=self.manager_email,
            admin_email=self.admin_email,
            learner_lesson=self.learner_lesson(learner_course_id),
            learner_quiz=learner_quiz,
            policy=policy,
            counts=self.counts,
        )

    # -- organisation -------------------------------------------------------------------------------

    def build_organisation(self) -> None:
        from app.accounts.models import OrgUnit

        users = self.sizes.users
        n_regions = min(len(REGIONS), max(1, users // 2000))
        n_locations = max(1, min(400, users // 60))
        created = self.now - timedelta(days=900)
        regions = [
            {
                "tenant_id": self.tid,
                "name": f"{name} region",
                "kind": "region",
                "code": f"R{i:02d}",
                "parent_id": None,
                "created_at": created,
            }
            for i, name in enumerate(REGIONS[:n_regions], start=1)
        ]
        self.region_ids = insert_returning_ids(OrgUnit, regions)
        locations = [
            {
                "tenant_id": self.tid,
                "name": f"Location {i:04d}",
                "kind": "location",
                "code": f"L{i:04d}",
                "parent_id": self.region_ids[i % n_regions],
                "created_at": created,
            }
            for i in range(1, n_locations + 1)
        ]
        self.location_ids = insert_returning_ids(OrgUnit, locations)
        departments = [
            {
                "tenant_id": self.tid,
                "name": name,
                "kind": "department",
                "code": None,
                "parent_id": location_id,
                "created_at": created,
            }
            for location_id in self.location_ids
            for name in DEPARTMENTS
        ]
        self.department_ids = insert_returning_ids(OrgUnit, departments)
        self.department_location = {
            dep: self.location_ids[i // len(DEPARTMENTS)] for i, dep in enumerate(self.department_ids)
        }
        self.counts["org_units"] = len(regions) + len(locations) + len(departments)

    def build_groups(self) -> None:
        from app.accounts.models import Group

        n_groups = max(2, min(300, self.sizes.users // 150))
        rows = [
            {
                "tenant_id": self.tid,
                "name": f"{GROUP_KINDS[i % len(GROUP_KINDS)]} {i:03d}",
                "description": "Generated for the benchmark.",
                "created_at": self.ago(700, 30),
            }
            for i in range(1, n_groups + 1)
        ]
        self.group_ids = insert_returning_ids(Group, rows)
        self.counts["groups"] = n_groups

    # -- people -------------------------------------------------------------------------------------

    def user_row(self, n: int, org_unit_id: int, job_title: str, manager_id: int | None) -> dict[str, Any]:
        from app.accounts.models import new_session_token

        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = self.ago(900, 1)
        deactivated = rng.random() < 0.03
        return {
            "tenant_id": self.tid,
            "email": f"{first.lower()}.{last.lower()}.{n}@{self.tenant.slug}.example",
            "full_name": f"{first} {last}",
            "employee_id": f"E{n:06d}",
            "job_title": job_title,
            "org_unit_id": org_unit_id,
            "manager_id": manager_id,
            "locale": rng.choice([None, None, None, "en", "es", "fr", "de"]),
            "time_zone": None,
            "hire_date": (created - timedelta(days=rng.randint(0, 3000))).date(),
            "status": "deactivated" if deactivated else "active",
            "attributes": {"employment": rng.choice(["full-time", "part-time", "contractor"])},
            "password_hash": None,
            "session_token": new_session_token(),
            "created_at": created,
            "updated_at": created,
            "deactivated_at": self.ago(200) if deactivated else None,
        }

    def build_people(self) -> None:
        from argon2 import PasswordHasher

        from app.accounts.models import GroupMembership, RoleAssignment, User
        from app.accounts.services import create_user

        rng = self.rng
        bulk = max(0, self.sizes.users - 2)  # the signed-in learner and the tenant admin come last
        n_managers = min(len(self.location_ids), max(1, bulk // 10), bulk)
        managers = [self.user_row(n, self.location_ids[n], "Store manager", None) for n in range(n_managers)]
        # The first location's manager signs in too (My team): the learner works at that location.
        self.manager_email = None
        if managers:
            self.manager_email = f"manager@{self.tenant.slug}.example"
            managers[0].update(
                email=self.manager_email,
                full_name="Bench Manager",
                status="active",
                deactivated_at=None,
                password_hash=PasswordHasher().hash(LEARNER_PASSWORD),
            )
        manager_ids = insert_returning_ids(User, managers)
        manager_of = dict(zip(self.location_ids, manager_ids, strict=False))
        staff = []
        for n in range(n_managers, bulk):
            department = rng.choice(self.department_ids)
            title = rng.choice(JOB_TITLES[:12])
            staff.append(
                self.user_row(n, department, title, manager_of.get(self.department_location[department]))
            )
        staff_ids = insert_returning_ids(User, staff)
        self.user_ids = manager_ids + staff_ids
        self.job_title_of = {
            uid: row["job_title"] for uid, row in zip(self.user_ids, managers + staff, strict=True)
        }
        self.people = [
            (uid, row["full_name"], row["created_at"])
            for uid, row in zip(self.user_ids, managers + staff, strict=True)
            if row["status"] == "active"
        ]

        # The account the benchmark signs in as: an ordinary learner in a department, in two groups.
        department = self.department_ids[0]
        self.learner_email = f"learner@{self.tenant.slug}.example"
        learner = create_user(
            self.learner_email,
            "Bench Learner",
            password=LEARNER_PASSWORD,
            job_title=JOB_TITLES[0],
            org_unit_id=department,
            manager_id=manager_of.get(self.department_location[department]),
        )
        self.learner_id = learner.id
        # A tenant admin: the People list and the Policies report are theirs.
        self.admin_email = f"admin@{self.tenant.slug}.example"
        create_user(
            self.admin_email, "Bench Admin", password=LEARNER_PASSWORD, role_keys=("learner", "tenant_admin")
        )

        assignments = [
            {"tenant_id": self.tid, "user_id": uid, "role_id": self.roles["learner"], "created_at": self.now}
            for uid in self.user_ids
        ]
        assignments += [
            {"tenant_id": self.tid, "user_id": uid, "role_id": self.roles["manager"], "created_at": self.now}
            for uid in manager_ids
        ]
        insert_rows(RoleAssignment, assignments)

        memberships = []
        for uid in self.user_ids:
            for gid in rng.sample(self.group_ids, k=min(len(self.group_ids), rng.choice([0, 1, 1, 2, 3]))):
                memberships.append(
                    {"tenant_id": self.tid, "group_id": gid, "user_id": uid, "created_at": self.ago(400)}
                )
        self.learner_groups = self.group_ids[:2]
        memberships += [
            {"tenant_id": self.tid, "group_id": gid, "user_id": self.learner_id, "created_at": self.now}
            for gid in self.learner_groups
        ]
        insert_rows(GroupMembership, memberships)
        self.counts["users"] = len(self.user_ids) + 2
        self.counts["role_assignments"] = len(assignments) + 3
        self.counts["group_memberships"] = len(memberships)

    # -- catalog ------------------------------------------------------------------------------------

    def build_catalog(self) -> None:
        from app.learning.lesson_kinds import render_markdown
        from app.learning.models import Audience, Course, LearningPath, Lesson, PathStep

        rng = self.rng
        n_courses = self.sizes.courses
        rows, seen = [], set()
        for i in range(n_courses):
            subject, category = SUBJECTS[i % len(SUBJECTS)]
            title = f"{rng.choice(PREFIXES)}{subject}{rng.choice(SUFFIXES)}"
            if title in seen:
                title = f"{title} — module {i}"
            seen.add(title)
            roll = rng.random()
            status = "published" if roll < 0.9 else ("draft" if roll < 0.95 else "archived")
            created = self.ago(1000, 20)
            description = " ".join(s.format(subject=subject.lower()) for s in rng.sample(SENTENCES, 3))
            rows.append(
                {
                    "tenant_id": self.tid,
                    "title": title,
                    "description": description,
                    "category": category,
                    "tags": sorted(set(rng.sample(TAGS, rng.randint(1, 4)))),
                    "language": "en",
                    "duration_minutes": rng.choice([5, 10, 15, 20, 30, 45, 60, 90]),
                    "status": status,
                    "visibility": "restricted" if rng.random() < 0.2 else "everyone",
                    "self_enroll": rng.random() < 0.8,
                    "listed": rng.random() < 0.95,
                    "deployment_id": None,
                    "library_version_id": None,
                    "created_at": created,
                    "updated_at": created + timedelta(days=rng.randint(0, 15)),
                }
            )
        course_ids = insert_returning_ids(Course, rows)
        self.published = [
            cid for cid, row in zip(course_ids, rows, strict=True) if row["status"] == "published"
        ]
        self.course_created = {cid: row["created_at"] for cid, row in zip(course_ids, rows, strict=True)}

        pages = {
            (subject, title): {"markdown": body, "html": render_markdown(body)}
            for subject, _category in SUBJECTS
            for title in LESSON_TITLES
            for body in [LESSON_BODY.format(title=title, subject=subject)]
        }
        lesson_rows = []
        for index, cid in enumerate(course_ids):
            subject = SUBJECTS[index % len(SUBJECTS)][0]
            titles = [
                *LESSON_TITLES[:2],
                *rng.sample(LESSON_TITLES[2:-1], rng.randint(0, 3)),
                LESSON_TITLES[-1],
            ]
            for position, title in enumerate(titles, start=1):
                lesson_rows.append(
                    {
                        "tenant_id": self.tid,
                        "course_id": cid,
                        "library_version_id": None,
                        "position": position,
                        "kind": "page",
                        "title": title,
                        "required": True,
                        "content": pages[(subject, title)],
                    }
                )
        lesson_ids = insert_returning_ids(Lesson, lesson_rows)
        self.lessons: dict[int, list[int]] = {}
        for lesson_id, row in zip(lesson_ids, lesson_rows, strict=True):
            self.lessons.setdefault(row["course_id"], []).append(lesson_id)

        # Restricted courses: to a group, a region or location (with its subtree), or a job title.
        audience_rows = []
        for cid, row in zip(course_ids, rows, strict=True):
            if row["visibility"] != "restricted":
                continue
            for _n in range(rng.randint(1, 3)):
                kind = rng.choice(["group", "group", "org_unit", "job_title"])
                if kind == "group":
                    value = str(rng.choice(self.group_ids))
                elif kind == "org_unit":
                    value = str(rng.choice(self.region_ids + self.location_ids))
                else:
                    value = rng.choice(JOB_TITLES).casefold()
                audience_rows.append(
                    {"tenant_id": self.tid, "course_id": cid, "path_id": None, "kind": kind, "value": value}
                )
        unique_audiences = list({(r["course_id"], r["kind"], r["value"]): r for r in audience_rows}.values())
        insert_rows(Audience, unique_audiences)

        # A few learning paths of published courses, as the catalog's first page shows them.
        n_paths = max(1, n_courses // 100) if len(self.published) >= 3 else 0
        path_rows = [
            {
                "tenant_id": self.tid,
                "title": f"{SUBJECTS[i % len(SUBJECTS)][0]} path {i + 1}",
                "description": "A sequence of related courses.",
                "category": SUBJECTS[i % len(SUBJECTS)][1],
                "status": "published",
                "visibility": "everyone",
                "self_enroll": True,
                "created_at": self.ago(500),
            }
            for i in range(n_paths)
        ]
        path_ids = insert_returning_ids(LearningPath, path_rows)
        step_rows = [
            {"tenant_id": self.tid, "path_id": pid, "course_id": cid, "position": position}
            for pid in path_ids
            for position, cid in enumerate(rng.sample(self.published, min(len(self.published), 4)), start=1)
        ]
        insert_rows(PathStep, step_rows)
        self.counts.update(
            courses=len(course_ids),
            lessons=len(lesson_ids),
            course_audiences=len(unique_audiences),
            learning_paths=len(path_ids),
        )

    # -- enrolments and progress --------------------------------------------------------------------

    def enrollment(self, user_id: int, course_id: int, kind: str) -> tuple[dict[str, Any], list[dict]]:
        """One enrolment of *kind* (completed, started, assigned) and its lesson progress rows."""
        rng = self.rng
        lessons = self.lessons[course_id]
        source = rng.choices(["rule", "manual", "self", "manager"], weights=[40, 20, 35, 5])[0]
        if kind == "assigned" and source == "self":
            source = "rule"
        earliest = max(1, (self.now - self.course_created[course_id]).days)
        row: dict[str, Any] = {
            "tenant_id": self.tid,
            "user_id": user_id,
            "course_id": course_id,
            "path_enrollment_id": None,
            "library_version_id": None,
            "status": "active",
            "source": source,
            "rule_id": None,
            "assigned_by_id": None,
            "due_on": None,
            "enrolled_at": None,
            "started_at": None,
            "completed_at": None,
            "withdrawn_at": None,
            "last_lesson_id": None,
            "progress_percent": 0,
        }
        progress: list[dict[str, Any]] = []
        has_due = source != "self" or rng.random() < 0.1
        if kind == "completed":
            enrolled = self.ago(min(earliest, 720), 2)
            completed = min(self.now, enrolled + timedelta(days=rng.randint(0, 45), hours=rng.randint(1, 20)))
            row.update(status="completed", enrolled_at=enrolled, completed_at=completed, progress_percent=100)
            row["started_at"] = enrolled + (completed - enrolled) / 4
            row["last_lesson_id"] = lessons[-1]
            done = len(lessons)
            if has_due:
                row["due_on"] = completed.date() + timedelta(days=rng.randint(-5, 30))
        else:
            enrolled = self.ago(min(earliest, 150), 1)
            row["enrolled_at"] = enrolled
            done = 0
            if kind == "started":
                done = rng.randint(0, len(lessons) - 1)
                row["started_at"] = min(self.now, enrolled + timedelta(days=rng.randint(0, 10)))
                row["last_lesson_id"] = lessons[done]
                row["progress_percent"] = round(100 * done / len(lessons))
            if has_due:
                overdue = rng.random() < 0.25
                offset = -rng.randint(1, 60) if overdue else rng.randint(0, 90)
                row["due_on"] = self.today + timedelta(days=offset)
        if row["started_at"] is not None:
            step = ((row["completed_at"] or self.now) - row["started_at"]) / (len(lessons) + 1)
            for index, lesson_id in enumerate(lessons[: done + 1] if kind == "started" else lessons):
                started = row["started_at"] + step * index
                finished = index < done
                progress.append(
                    {
                        "tenant_id": self.tid,
                        "lesson_id": lesson_id,
                        "percent": 100 if finished else 0,
                        "started_at": started,
                        "completed_at": started + step / 2 if finished else None,
                    }
                )
        return row, progress

    def build_enrollments(self) -> int | None:
        from app.learning.models import Enrollment, LessonProgress

        rng = self.rng
        if not self.published:
            self.counts.update(enrollments=0, lesson_progress=0)
            return None
        # Popular courses get most enrolments (a Zipf-like tail), as in any real catalog.
        popularity = self.published[:]
        rng.shuffle(popularity)
        cumulative = list(accumulate(1 / (rank + 1) ** 0.8 for rank in range(len(popularity))))

        learner_total = min(
            len(self.published), 20, max(4, self.sizes.enrollments // 10), self.sizes.enrollments
        )
        target = max(0, self.sizes.enrollments - learner_total)
        people = self.user_ids or []
        per_person = [0] * len(people)
        if people:
            mean = target / len(people)
            cap = min(len(self.published), 60)
            per_person = [min(cap, int(rng.expovariate(1 / mean)) if mean else 0) for _ in people]
            # Nudge random people up or down until the total is exactly what was asked for.
            missing = min(target, cap * len(people)) - sum(per_person)
            while missing:
                index = rng.randrange(len(people))
                if missing > 0 and per_person[index] < cap:
                    per_person[index] += 1
                    missing -= 1
                elif missing < 0 and per_person[index] > 0:
                    per_person[index] -= 1
                    missing += 1

        plan: list[tuple[int, int, str]] = []
        for user_id, count in zip(people, per_person, strict=True):
            chosen: set[int] = set()
            while len(chosen) < count:
                chosen.update(rng.choices(popularity, cum_weights=cumulative, k=count - len(chosen)))
            for course_id in chosen:
                kind = rng.choices(["completed", "started", "assigned"], weights=[45, 33, 22])[0]
                plan.append((user_id, course_id, kind))
        # The benchmark learner: a full page of each section, some of it overdue.
        learner_courses = rng.sample(self.published, learner_total)
        kinds = ["started", "assigned", "completed"]
        plan += [(self.learner_id, cid, kinds[i % 3]) for i, cid in enumerate(learner_courses)]

        enrollments = progress_total = 0
        for start in range(0, len(plan), BATCH):
            built = [self.enrollment(*item) for item in plan[start : start + BATCH]]
            ids = insert_returning_ids(Enrollment, [row for row, _progress in built])
            progress_rows = [
                {**p, "enrollment_id": eid}
                for eid, (_row, rows) in zip(ids, built, strict=True)
                for p in rows
            ]
            insert_rows(LessonProgress, progress_rows)
            enrollments += len(ids)
            progress_total += len(progress_rows)
        self.counts.update(enrollments=enrollments, lesson_progress=progress_total)
        # The course page is timed on one the learner takes (any published one if they take none).
        return (learner_courses or self.published)[0]

    def learner_lesson(self, course_id: int | None) -> dict[str, int] | None:
        """The learner's enrolment in *course_id* and its first lesson: the lesson page that is measured."""
        from sqlalchemy import select

        from app.extensions import db
        from app.learning.models import Enrollment

        if course_id is None:
            return None
        enrollment_id = db.session.scalar(
            select(Enrollment.id).where(
                Enrollment.user_id == self.learner_id, Enrollment.course_id == course_id
            )
        )
        if enrollment_id is None:
            return None
        return {"enrollment_id": enrollment_id, "lesson_id": self.lessons[course_id][0]}

    # -- a quiz and a policy, through the services as an author and an admin would -----------------------

    def build_quiz(self) -> dict[str, int]:
        """A published course ending in a graded quiz, with the learner enrolled: the attempt page's data."""
        from app.accounts.models import User
        from app.assessments import services as assessments
        from app.extensions import db
        from app.learning.services import courses as authoring
        from app.learning.services import enrollments as enrolling

        bank = assessments.create_bank("Bench knowledge check", "Questions for the benchmark's quiz.")
        for question in QUIZ_QUESTIONS:
            assessments.add_question(bank, question)
        quiz = assessments.create_quiz(
            {
                "title": "Bench knowledge check",
                "description": "Ten questions on the course. You need 80% to pass.",
                "layout": "one_page",
                "shuffle_options": True,
                "pass_percent": 80,
                "show_answers": "after_pass",
            }
        )
        for question in bank.questions:
            assessments.add_fixed_question(quiz, question)
        course = authoring.create_course(
            {
                "title": "Food Safety: knowledge check",
                "description": "Read one page, then show what you know in a short quiz.",
                "category": "Safety",
                "tags": ["safety", "food"],
                "language": "en",
                "duration_minutes": 20,
                "self_enroll": True,
                "listed": True,
            }
        )
        body = LESSON_BODY.format(title="Before the quiz", subject="Food Safety")
        authoring.add_lesson(course, "page", "Before the quiz", True, {"body": body}, {})
        lesson = authoring.add_lesson(
            course, "assessment", "Knowledge check", True, {"quiz_id": str(quiz.id)}, {}
        )
        authoring.set_course_status(course, "published")
        learner = db.session.get(User, self.learner_id)
        assert learner is not None
        enrollment, _new = enrolling.enrol(learner, course, source="manual")
        for key, added in (("courses", 1), ("lessons", 2), ("enrollments", 1)):
            self.counts[key] = self.counts.get(key, 0) + added
        return {"enrollment_id": enrollment.id, "lesson_id": lesson.id, "quiz_id": quiz.id}

    def build_policy(self) -> dict[str, int]:
        """A published policy everyone must accept, accepted by about 60 % of the people so far."""
        from app.policies import services as policies
        from app.policies.models import Acknowledgement

        policy = policies.create_policy("Code of conduct", visibility="everyone", due_days=30)
        draft = policies.save_draft(policy, POLICY_BODY)
        version = policies.publish_version(draft)
        rng = self.rng
        published = version.published_at or self.now
        rows = [
            {
                "tenant_id": self.tid,
                "user_id": uid,
                "policy_id": policy.id,
                "version_id": version.id,
                "content_sha256": version.sha256,
                "signature": full_name,
                "ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                "user_agent": rng.choice(USER_AGENTS),
                "acknowledged_at": published - timedelta(seconds=rng.randint(0, 3600)),
            }
            for uid, full_name, _created in self.people
            if rng.random() < 0.6
        ]
        insert_rows(Acknowledgement, rows)
        self.counts["policy_acknowledgements"] = len(rows)
        return {"policy_id": policy.id, "version_id": version.id}

    def build_older_policy(self) -> None:
        """A policy published four months ago, due within 30 days: about 15 % of people are overdue on it."""
        from sqlalchemy import update

        from app.extensions import db
        from app.policies import services as policies
        from app.policies.models import Acknowledgement, PolicyVersion

        policy = policies.create_policy("Food safety policy", visibility="everyone", due_days=30)
        version = policies.publish_version(policies.save_draft(policy, POLICY_BODY))
        published = self.now - timedelta(days=120)
        db.session.execute(
            update(PolicyVersion).where(PolicyVersion.id == version.id).values(published_at=published)
        )
        rng = self.rng
        rows = [
            {
                "tenant_id": self.tid,
                "user_id": uid,
                "policy_id": policy.id,
                "version_id": version.id,
                "content_sha256": version.sha256,
                "signature": full_name,
                "ip": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                "user_agent": rng.choice(USER_AGENTS),
                "acknowledged_at": published + timedelta(seconds=rng.randint(60, 45 * 86400)),
            }
            for uid, full_name, _created in self.people
            if rng.random() < 0.85
        ]
        insert_rows(Acknowledgement, rows)
        self.counts["policy_acknowledgements"] = self.counts.get("policy_acknowledgements", 0) + len(rows)

    # -- certifications and quiz attempts, bulk-inserted -------------------------------------------------

    def build_certifications(self) -> None:
        """Published certifications with records in every state, as a tenant a few years in has them.

        Two apply to everyone, the others to job titles. Of the people one applies to, about 8 % have
        not started it, 12 % are working towards it, and the rest hold or held it: mostly certified,
        some inside the renewal window (expiring), some expired, a few revoked. Dates agree with the
        states, so the compliance pages and the nightly sweep read them alike.
        """
        from app.certifications.models import (
            Certification,
            CertificationAudience,
            CertificationRecord,
            Requirement,
        )

        if not self.published or not self.people:
            self.counts["certification_records"] = 0
            return
        rng = self.rng
        created = self.now - timedelta(days=1100)
        shapes = [c for c in CERTIFICATIONS if c[0] != "job_title" or c[4] in self.job_title_of.values()]
        rows = [
            {
                "tenant_id": self.tid,
                "title": title,
                "description": f"Required for {who}: renew before it expires.",
                "validity": "months",
                "validity_months": months,
                "valid_until": None,
                "renewal_window_days": 60,
                "grace_days": grace,
                "reminder_days": [60, 30, 7],
                "status": "published",
                "visibility": "everyone" if audience == "everyone" else "restricted",
                "library_version_id": None,
                "created_at": created,
            }
            for audience, title, months, grace, who in shapes
        ]
        cert_ids = insert_returning_ids(Certification, rows)
        insert_rows(
            CertificationAudience,
            [
                {"tenant_id": self.tid, "certification_id": cid, "kind": "job_title", "value": who}
                for cid, (audience, _t, _m, _g, who) in zip(cert_ids, shapes, strict=True)
                if audience == "job_title"
            ],
        )
        insert_rows(
            Requirement,
            [
                {
                    "tenant_id": self.tid,
                    "certification_id": cid,
                    "phase": "initial",
                    "kind": "course",
                    "item_id": course_id,
                    "min_score": None,
                    "title": f"{title} course",
                    "position": 0,
                }
                for cid, (_a, title, _m, _g, _w), course_id in zip(
                    cert_ids, shapes, rng.sample(self.published, len(shapes)) * 2, strict=False
                )
            ],
        )
        records = []
        for uid, _name, joined in self.people:
            title_of = self.job_title_of.get(uid)
            for cid, (audience, _title, months, grace, who) in zip(cert_ids, shapes, strict=True):
                if audience == "job_title" and title_of != who:
                    continue
                record = self.certification_record(cid, uid, months, grace, joined)
                if record is not None:
                    records.append(record)
                if len(records) >= BATCH * 10:
                    insert_rows(CertificationRecord, records)
                    self.counts["certification_records"] = self.counts.get("certification_records", 0) + len(
                        records
                    )
                    records = []
        insert_rows(CertificationRecord, records)
        self.counts["certifications"] = len(cert_ids)
        self.counts["certification_records"] = self.counts.get("certification_records", 0) + len(records)

    def certification_record(
        self, cert_id: int, user_id: int, months: int, grace: int, joined: datetime
    ) -> dict[str, Any] | None:
        """One person's record of one certification, in a state drawn with its dates (None: not started)."""
        rng = self.rng
        window = 60
        roll = rng.random()
        row: dict[str, Any] = {
            "tenant_id": self.tid,
            "certification_id": cert_id,
            "user_id": user_id,
            "state": "in_progress",
            "cycle": 0,
            "awarded_at": None,
            "expires_at": None,
            "grace_until": None,
            "renewal_opened_at": None,
            "evidence": {},
            "revoked_reason": None,
            "state_before_revocation": None,
        }
        validity = timedelta(days=round(months * 30.44))
        if roll < 0.08:
            return None
        if roll < 0.20:
            started = self.ago(120, 1)
            row.update(created_at=started, updated_at=started)
            return row
        if roll < 0.62:  # certified, expiring after the renewal window opens
            expires = self.now + timedelta(days=rng.randint(window + 1, max(window + 2, validity.days - 1)))
            state = "certified"
        elif roll < 0.80:  # inside the renewal window
            expires = self.now + timedelta(days=rng.randint(1, window), hours=rng.randint(0, 23))
            state = "expiring"
        elif roll < 0.99:  # lapsed: past expiry and any grace period
            expires = self.now - timedelta(days=rng.randint(grace + 1, grace + 240))
            state = "expired"
        else:
            expires = self.now + timedelta(days=rng.randint(1, validity.days))
            state = "revoked"
        awarded = expires - validity
        cycle = 1
        while awarded < joined - timedelta(days=365) and cycle < 5:
            awarded += validity  # renewed since: the current cycle's award
            expires += validity
            cycle += 1
        if awarded > self.now:
            awarded = self.now - timedelta(days=rng.randint(1, 30))
        row.update(
            state=state,
            cycle=cycle,
            awarded_at=awarded,
            expires_at=expires,
            grace_until=expires + timedelta(days=grace) if grace else None,
            evidence={"how": "requirements"},
            created_at=awarded - timedelta(days=rng.randint(1, 60)),
            updated_at=self.now if state in ("expiring", "expired") else awarded,
        )
        if state == "expiring" or (state == "expired" and rng.random() < 0.5):
            row["renewal_opened_at"] = expires - timedelta(days=window)
        if state == "revoked":
            row.update(
                revoked_reason="Withdrawn after an audit finding.", state_before_revocation="certified"
            )
        return row

    def build_attempts(self) -> None:
        """Refresher quizzes and everyone's attempts at them (``--attempts`` in all): tries, scores, passes.

        Each person takes some of the quizzes, one to three tries each until they pass; about 3 % of
        attempts are still in progress. The bench learner has none, so their quiz page stays the first try.
        """
        from app.assessments.models import Attempt

        target = self.sizes.attempts
        people = [uid for uid, _name, _created in self.people]
        if not target or not people:
            self.counts["quiz_attempts"] = 0
            return
        # Quizzes per person average out to the attempts per person (1.45 tries per quiz taken).
        per_person = target / len(people) / 1.45
        most = max(1, round(2 * per_person - 1))
        quiz_ids = self.refresher_quizzes(max(REFRESHER_QUIZZES, most))
        rng = self.rng
        rows: list[dict[str, Any]] = []
        total = 0
        while total < target:
            for uid in people:
                if total >= target:
                    break
                wanted = min(len(quiz_ids), rng.randint(1, most))
                for quiz_id in rng.sample(quiz_ids, wanted):
                    tries = rng.choices([1, 2, 3], weights=[65, 25, 10])[0]
                    started = self.ago(700, 1)
                    for number in range(1, tries + 1):
                        if total >= target:
                            break
                        last = number == tries
                        in_progress = last and rng.random() < 0.03
                        score = rng.randint(80, 100) if last and rng.random() < 0.9 else rng.randint(30, 79)
                        submitted = None if in_progress else started + timedelta(minutes=rng.randint(3, 25))
                        rows.append(
                            {
                                "tenant_id": self.tid,
                                "quiz_id": quiz_id,
                                "user_id": uid,
                                "enrollment_id": None,
                                "lesson_id": None,
                                "number": number,
                                "status": "in_progress" if in_progress else "submitted",
                                "started_at": started,
                                "deadline_at": None,
                                "submitted_at": submitted,
                                "score_points": None if in_progress else score / 10,
                                "max_points": None if in_progress else 10.0,
                                "score_percent": None if in_progress else float(score),
                                "pass_percent": 80,
                                "passed": None if in_progress else score >= 80,
                                "ended_by": None if in_progress else "submitted",
                            }
                        )
                        total += 1
                        started += timedelta(hours=rng.randint(1, 72))
                if len(rows) >= BATCH * 10:
                    insert_rows(Attempt, rows)
                    rows = []
            if total < target:
                # Rounding left some to write: another round, at new quizzes (attempt numbers stay unique).
                quiz_ids = self.refresher_quizzes(REFRESHER_QUIZZES)
        insert_rows(Attempt, rows)
        self.counts["quiz_attempts"] = total

    def refresher_quizzes(self, count: int) -> list[int]:
        """Create *count* more refresher quizzes with the service (no questions: only attempts are read)."""
        from app.assessments import services as assessments

        made = self.counts.get("quizzes", 0)
        ids = []
        for n in range(made, made + count):
            subject = SUBJECTS[n][0] if n < len(SUBJECTS) else f"Module {n + 1}"
            quiz = assessments.create_quiz(
                {
                    "title": f"{subject} refresher check",
                    "description": "A yearly check of what the course taught. You need 80% to pass.",
                    "layout": "one_page",
                    "pass_percent": 80,
                    "show_answers": "after_pass",
                }
            )
            ids.append(quiz.id)
        self.counts["quizzes"] = made + count
        return ids


def prepare_postgres(admin_url: str, database: str) -> tuple[str, str, str]:
    """Drop and re-create *database* with the owner, application and platform roles; return their URLs."""
    from app.tenancy.postgres import drop_database, prepare_database

    drop_database(admin_url, database)
    urls = prepare_database(admin_url, database)
    return urls.app, urls.owner, urls.platform


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size",
        choices=sorted(SIZES),
        default="default",
        help="a preset of the four counts below: "
        + "; ".join(
            f"{name}: {p['tenants']} tenant(s), {p['users']:,} users, {p['courses']:,} courses, "
            f"{p['enrollments']:,} enrolments"
            for name, p in SIZES.items()
        ),
    )
    parser.add_argument("--tenants", type=int, help="tenants (the first is the biggest); overrides --size")
    parser.add_argument("--users", type=int, help="users in all tenants; overrides --size")
    parser.add_argument("--courses", type=int, help="courses in all tenants; overrides --size")
    parser.add_argument("--enrollments", type=int, help="enrolments in all tenants; overrides --size")
    parser.add_argument(
        "--attempts", type=int, help="quiz attempts in all tenants; default: as many as enrolments"
    )
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--database-url", help="application role URL of an empty, migrated-or-not database")
    parser.add_argument("--migration-url", help="schema owner URL (PostgreSQL); default: --database-url")
    parser.add_argument("--platform-url", help="platform role URL (PostgreSQL); creates the tenants")
    parser.add_argument("--postgres-admin-url", help="create a fresh PostgreSQL database with both roles")
    parser.add_argument("--postgres-database", default="atrium_bench", help="with --postgres-admin-url")
    parser.add_argument("--manifest", type=Path, help="where to write the manifest (default bench/.data/)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="do nothing if the manifest already describes a dataset of these sizes and seed",
    )
    args = parser.parse_args(argv)
    for name, value in SIZES[args.size].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.attempts is None:
        args.attempts = args.enrollments
    if args.tenants < 1 or args.tenants > len(TENANT_SHAPES):
        parser.error(f"--tenants must be between 1 and {len(TENANT_SHAPES)}")
    if (
        args.users < 3 * args.tenants
        or args.courses < args.tenants
        or min(args.enrollments, args.attempts) < 0
    ):
        parser.error("need at least three users (a manager, the learner, an admin) and one course per tenant")
    return args


def reusable(args: argparse.Namespace) -> Path | None:
    """The manifest of an existing dataset built with the same counts and seed, where --reuse may keep it."""
    postgres = args.postgres_admin_url or (args.database_url or "").startswith("postgres")
    path: Path = args.manifest or manifest_path("postgresql" if postgres else "sqlite")
    if not path.exists():
        return None
    manifest = read_manifest(path)
    keys = ("tenants", "users", "courses", "enrollments", "attempts", "seed")
    if any(manifest["arguments"].get(k) != getattr(args, k) for k in keys):
        return None
    if args.postgres_admin_url and not manifest["database_url"].endswith(f"/{args.postgres_database}"):
        return None
    if args.database_url and sqlalchemy_url(args.database_url) != manifest["database_url"]:
        return None
    # Manifests from before the manager, admin, quiz and policy existed cannot drive bench/http_bench.py.
    if not all(t.get("policy") for t in manifest["tenants"]):
        return None
    return path


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.reuse and (existing := reusable(args)):
        print(f"reusing the dataset of {existing} (generated with the same sizes and seed)")
        return 0
    started = time.perf_counter()
    platform_url = None
    if args.postgres_admin_url:
        database_url, migration_url, platform_url = prepare_postgres(
            args.postgres_admin_url, args.postgres_database
        )
        global COPIER
        COPIER = Copier(args.postgres_admin_url, args.postgres_database)
    elif args.database_url:
        database_url = sqlalchemy_url(args.database_url)
        migration_url = sqlalchemy_url(args.migration_url or args.database_url)
        platform_url = sqlalchemy_url(args.platform_url) if args.platform_url else None
    else:
        DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{DEFAULT_SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        database_url = migration_url = f"sqlite:///{DEFAULT_SQLITE_PATH}"

    app = create_bench_app(database_url, migration_url, platform_url)
    rng = random.Random(args.seed)  # noqa: S311 - reproducible fake data, not secrets
    now = datetime.now(UTC).replace(microsecond=0)
    weights = [1 / (i + 1) for i in range(args.tenants)]
    sizes = [
        Sizes(users=u, courses=c, enrollments=e, attempts=a)
        for u, c, e, a in zip(
            split(args.users, weights),
            split(args.courses, weights),
            split(args.enrollments, weights),
            split(args.attempts, weights),
            strict=True,
        )
    ]
    with app.app_context():
        from flask_migrate import upgrade
        from sqlalchemy import func, select

        from app.actors import Actor, acting_as
        from app.console.services import create_tenant, ensure_platform_tenant
        from app.extensions import db
        from app.tenancy import as_tenant, unscoped
        from app.tenancy.models import Tenant

        upgrade()
        with unscoped("bench data generation"):
            existing = db.session.scalar(select(func.count()).select_from(Tenant).where(~Tenant.is_platform))
        if existing:
            raise SystemExit("the database already has tenants: give an empty one (or --postgres-admin-url)")
        results = []
        with acting_as(Actor(type="system", label="bench")):
            ensure_platform_tenant()
            db.session.commit()
            for (slug, name, audience), tenant_sizes in zip(TENANT_SHAPES, sizes, strict=False):
                tenant_started = time.perf_counter()
                tenant = create_tenant(slug, name, audience=audience)
                db.session.commit()
                with as_tenant(tenant.id):
                    result = TenantBuilder(rng, tenant, tenant_sizes, now).build()
                db.session.commit()
                results.append(result)
                print(
                    f"{slug}: {result.counts['users']:,} users, {result.counts['courses']:,} courses, "
                    f"{result.counts['enrollments']:,} enrolments "
                    f"in {time.perf_counter() - tenant_started:.1f}s",
                    flush=True,
                )
        if db.engine.dialect.name == "postgresql":
            # Fresh bulk-loaded tables have no statistics and no visibility map until autovacuum comes by,
            # as it does in production within minutes: without the map no count can be an index-only scan.
            from sqlalchemy import create_engine, text

            owner = create_engine(migration_url, isolation_level="AUTOCOMMIT")
            with owner.connect() as connection:
                connection.execute(text("VACUUM (ANALYZE)"))
            owner.dispose()
        dialect = db.engine.dialect.name
        db.session.remove()
        db.engine.dispose()
        if COPIER is not None:
            COPIER.dispose()

    totals: dict[str, int] = {}
    for result in results:
        for key, value in result.counts.items():
            totals[key] = totals.get(key, 0) + value
    elapsed = time.perf_counter() - started
    manifest = {
        "generated_at": now.isoformat(),
        "seconds": round(elapsed, 1),
        "dialect": dialect,
        "database_url": database_url,
        "migration_url": migration_url,
        "platform_url": platform_url,
        "arguments": {
            k: getattr(args, k)
            for k in ("size", "tenants", "users", "courses", "enrollments", "attempts", "seed")
        },
        "search_term": SEARCH_TERM,
        "totals": totals,
        "tenants": [result.__dict__ for result in results],
    }
    path = args.manifest or manifest_path(dialect)
    write_manifest(path, manifest)
    print(f"done in {elapsed:.1f}s: " + ", ".join(f"{v:,} {k}" for k, v in totals.items()))
    print(f"manifest: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
