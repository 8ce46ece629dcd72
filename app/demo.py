"""Demo data: the platform tenant and four tenants, each a different kind of audience."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.accounts import services as accounts
from app.accounts.models import Group, OrgUnit, User
from app.assessments import demo as assessments_demo
from app.certifications import demo as certifications_demo
from app.compliance import demo as compliance_demo
from app.console import services as tenants
from app.crew import demo as crew_demo
from app.extensions import db
from app.identity.saml import demo as saml_demo
from app.learning import demo as learning_demo
from app.learning.models import Course, EnrollmentStatus
from app.learning.services.enrollments import enrol
from app.learning.services.progress import complete_lesson, lessons_of
from app.partners import demo as partners_demo
from app.policies.demo import code_of_conduct, code_of_conduct_lesson
from app.policies.services import acknowledge_policy
from app.syncs import demo as syncs_demo
from app.tenancy import as_tenant
from app.tenancy.context import current_tenant_id
from app.tenancy.models import Tenant, utcnow

DEMO_PASSWORD = "atrium-demo"  # noqa: S105 - the documented demo password

TENANTS: list[dict[str, Any]] = [
    {
        "slug": "acme",
        "display_name": "Acme Corporation Academy",
        "audience": "employees",
        "default_locale": "en",
        "enabled_locales": ["en", "de", "fr", "es", "pt_BR", "ar"],
        "time_zone": "America/New_York",
        "theme": "corporate",
        "branding": {"primary": "#1d4ed8", "accent": "#0f766e"},
    },
    {
        "slug": "partners",
        "display_name": "Widget Partner Network",
        "audience": "partners",
        "partner_tier": None,
        "default_locale": "en",
        "enabled_locales": ["en", "es", "pt_BR", "fr", "de", "ar"],
        "time_zone": "Europe/London",
        "theme": "midnight",
        "branding": {"primary": "#a78bfa", "accent": "#fbbf24"},
    },
    {
        "slug": "bistro",
        "display_name": "Bistro Bello Crew Training",
        "audience": "franchise",
        "default_locale": "en",
        "enabled_locales": ["en", "es", "fr", "de", "pt_BR", "ar"],
        "time_zone": "America/Chicago",
        "theme": "warm",
        "branding": {"primary": "#b91c1c", "accent": "#92400e"},
    },
    {
        "slug": "academy",
        "display_name": "Atrium Customer Academy",
        "audience": "customers",
        "default_locale": "en",
        "enabled_locales": ["en", "fr", "es", "de", "pt_BR", "ar"],
        "time_zone": "Europe/Paris",
        "theme": "default",
        "branding": {"primary": "#0f766e", "accent": "#1d4ed8"},
    },
]


def _user(email: str, name: str, roles: tuple[str, ...], **fields: object) -> User:
    existing = accounts.user_by_email(email)
    if existing is not None:
        return existing
    return accounts.create_user(email, name, password=DEMO_PASSWORD, role_keys=roles, **fields)


def _unit(name: str, kind: str, parent: OrgUnit | None = None) -> OrgUnit:
    where_parent = OrgUnit.parent_id == parent.id if parent else OrgUnit.parent_id.is_(None)
    unit = db.session.scalars(select(OrgUnit).where(OrgUnit.name == name, where_parent)).first()
    if unit is None:
        unit = accounts.create_org_unit(name, kind, parent.id if parent else None)
        db.session.flush()
    return unit


def _group(name: str, description: str) -> Group:
    group = db.session.scalars(select(Group).where(Group.name == name)).first()
    if group is None:
        group = accounts.create_group(name, description)
        db.session.flush()
    return group


def _standard_people(slug: str, unit: OrgUnit | None = None) -> dict[str, User]:
    domain = f"{slug}.example"
    admin = _user(
        f"admin@{domain}", "Alex Admin", ("tenant_admin", "learner"), org_unit_id=unit.id if unit else None
    )
    manager = _user(
        f"manager@{domain}",
        "Morgan Manager",
        ("manager", "learner"),
        org_unit_id=unit.id if unit else None,
        job_title="Team manager",
    )
    learner = _user(
        f"learner@{domain}",
        "Lee Learner",
        ("learner",),
        org_unit_id=unit.id if unit else None,
        manager_id=manager.id,
        job_title="Associate",
    )
    instructor = _user(f"instructor@{domain}", "Indra Instructor", ("instructor", "learner"))
    author = _user(f"author@{domain}", "Avery Author", ("author", "learner"))
    auditor = _user(f"auditor@{domain}", "Ari Auditor", ("auditor",))
    return {
        "admin": admin,
        "manager": manager,
        "learner": learner,
        "instructor": instructor,
        "author": author,
        "auditor": auditor,
    }


def _acme() -> None:
    hq = _unit("Headquarters", "region")
    sales = _unit("Sales", "department", hq)
    _unit("Engineering", "department", hq)
    _standard_people("acme", sales)
    new_hires = _group("New hires 2026", "Everyone who joined this year")
    learning_demo.onboarding("Acme")
    learning_demo.new_hire_rule("Acme", new_hires)
    saml_demo.acme_sso(new_hires)
    syncs_demo.acme_hr_sync()
    _acme_scim_token()


#: The demo's SCIM bearer token for acme, published in the README (a real token is random, shown once).
SCIM_DEMO_TOKEN = "acme-demo-scim-token"  # noqa: S105 - the demo's, printed for anyone to use


def _acme_scim_token() -> None:
    from app.scim import services as scim
    from app.scim.models import ScimToken

    name = "Demo identity provider"
    if db.session.scalars(select(ScimToken).where(ScimToken.name == name)).first() is None:
        scim.create_token(name, secret=SCIM_DEMO_TOKEN)


def _partners() -> None:
    people = _standard_people("partners")
    gold = _group("Gold partners", "Partner reps at gold-tier resellers")
    silver = _group("Silver partners", "Partner reps at silver-tier resellers")
    learner = people["learner"]
    accounts.update_user(learner, attributes={"partner_tier": "gold", "company": "Northwind Resellers"})
    accounts.add_group_members(gold, [learner.id])
    rep = _user("rep@partners.example", "Sam Silver", ("learner",), job_title="Sales rep")
    accounts.update_user(rep, attributes={"partner_tier": "silver", "company": "Contoso Distribution"})
    accounts.add_group_members(silver, [rep.id])
    path = learning_demo.partners_path()
    assessments_demo.partners_exam(path)
    learning_demo.partners_rules(path)
    from app.identity.oidc.demo import partner_sso

    partner_sso()


def _bistro() -> None:
    region = _unit("Midwest", "region")
    locations = [_unit(name, "location", region) for name in ("Downtown", "Riverside", "Airport")]
    downtown = locations[0]
    people = _standard_people("bistro", downtown)
    accounts.update_user(people["manager"], job_title="Location manager")
    accounts.update_user(people["learner"], job_title="Line cook")
    # Portals made before the translator role existed get it first (built-in roles are rows per tenant).
    bistro = db.session.get(Tenant, current_tenant_id())
    assert bistro is not None  # the demo builds bistro inside its tenant context
    accounts.ensure_builtin_roles(bistro)
    _user("translator@bistro.example", "Tomás Translator", ("translator", "learner"), job_title="Translator")
    for location in locations[1:]:
        key = location.name.lower()
        manager = _user(
            f"manager.{key}@bistro.example",
            f"{location.name} Manager",
            ("manager", "learner"),
            org_unit_id=location.id,
            job_title="Location manager",
        )
        for n, title in enumerate(("Line cook", "Server"), start=1):
            _user(
                f"crew{n}.{key}@bistro.example",
                f"{location.name} Crew {n}",
                ("learner",),
                org_unit_id=location.id,
                manager_id=manager.id,
                job_title=title,
            )
    crew = [
        _user(
            f"crew{n}.downtown@bistro.example",
            f"Downtown Crew {n}",
            ("learner",),
            org_unit_id=downtown.id,
            manager_id=people["manager"].id,
            job_title=title,
        )
        for n, title in ((2, "Server"), (3, "Host"))
    ]
    food, opening = learning_demo.bistro_courses()
    assessments_demo.food_safety(food)
    learning_demo.assign_food_safety_to_the_demo_learner(food)
    learning_demo.bistro_rules(food, opening)
    _downtown_team(people["manager"], *crew)
    _riverside_and_airport_signed_the_code_of_conduct(locations[1:])
    food_handler = certifications_demo.food_handler(food)
    crew_demo.bistro_crew(people["manager"], downtown.id, *crew)
    # At Downtown, besides Downtown Crew 2's overdue training: a Food Handler that expires in ten days.
    jordan = db.session.scalars(select(User).where(User.employee_id == "B1004")).first()
    certifications_demo.expiring_soon(food_handler, jordan)
    compliance_demo.bistro_history()


def _downtown_team(manager: User, late: User, done: User) -> None:
    """Give the Downtown manager's team a history: one person late on training, one who finished everything.

    With the Code of Conduct's version 2 overdue for whoever has not accepted it, **My team** shows overdue
    training, overdue policies and completed work on the first run. Dates are relative to today.
    """
    courses = {c.title: c for c in db.session.scalars(select(Course))}
    now = utcnow()
    food, opening = courses["Food Safety Basics"], courses["Opening and Closing Procedures"]
    # Assigned a month ago, due nine days ago, abandoned after the first two lessons.
    enrollment, created = enrol(
        late, food, due_on=(now - timedelta(days=9)).date(), source="manager", assigned_by=manager
    )
    if created:
        for lesson in lessons_of(enrollment)[:2]:
            complete_lesson(enrollment, lesson)
        enrollment.enrolled_at = now - timedelta(days=30)
        enrollment.started_at = now - timedelta(days=28)
        for progress in enrollment.progress:
            progress.started_at = progress.completed_at = now - timedelta(days=28)
    # Enrolled by the opening-and-closing rule forty days ago (due in 30), finished well in time.
    enrollment, _created = enrol(done, opening, source="manager", assigned_by=manager)
    if enrollment.status != EnrollmentStatus.completed.value:
        for lesson in lessons_of(enrollment):
            complete_lesson(enrollment, lesson)
        enrollment.enrolled_at = now - timedelta(days=40)
        enrollment.due_on = (enrollment.enrolled_at + timedelta(days=30)).date()
        enrollment.started_at = now - timedelta(days=16)
        enrollment.completed_at = now - timedelta(days=15)
        for progress in enrollment.progress:
            progress.started_at = progress.completed_at = now - timedelta(days=15)
    # ... and accepted the Code of Conduct.
    policy = code_of_conduct()
    version = policy.current_version
    assert version is not None
    acknowledge_policy(
        done, version, done.full_name, accepted=True, ip="127.0.0.1", user_agent="Atrium demo data"
    )


def _riverside_and_airport_signed_the_code_of_conduct(locations: list[OrgUnit]) -> None:
    """Everyone at Riverside and Airport has accepted the Code of Conduct, so those locations are (mostly)
    compliant today and Compliance by location compares something: Downtown, the demo's story of late
    work, stays the worst."""
    policy = code_of_conduct()
    version = policy.current_version
    assert version is not None
    unit_ids = [location.id for location in locations]
    for person in db.session.scalars(select(User).where(User.org_unit_id.in_(unit_ids)).order_by(User.id)):
        acknowledge_policy(
            person, version, person.full_name, accepted=True, ip="127.0.0.1", user_agent="Atrium demo data"
        )


def _academy() -> None:
    _standard_people("academy")
    _group("Enterprise customers", "Admins at customers on the Enterprise plan")
    learning_demo.onboarding("the Atrium Customer Academy")


BUILDERS = {"acme": _acme, "partners": _partners, "bistro": _bistro, "academy": _academy}


def load_demo(base_url: str | None = None) -> list[str]:
    """Create the demo data if missing; return lines describing where to sign in."""
    platform = tenants.ensure_platform_tenant()
    with as_tenant(platform):
        _user("operator@atrium.example", "Olivia Operator", ("operator",))
    for spec in TENANTS:
        tenant = db.session.scalars(select(Tenant).where(Tenant.slug == spec["slug"])).one_or_none()
        if tenant is None:
            tenant = tenants.create_tenant(**spec)
        with as_tenant(tenant):
            BUILDERS[tenant.slug]()
            code_of_conduct_lesson(code_of_conduct())
            compliance_demo.record_this_week()
        db.session.flush()
    from app.library.demo import load_library_demo

    load_library_demo(tuple(spec["slug"] for spec in TENANTS))
    certifications_demo.widget_seller()
    partners_demo.partner_program(DEMO_PASSWORD)
    return sign_in_lines(base_url or "http://localhost:5000")


# Who to sign in as, per portal; README.md ("Try it") shows exactly these lines for http://localhost:5000.
ACCOUNTS = {
    "acme": (
        "employees",
        [
            "admin@acme.example (break-glass: signs in with its password);",
            "manager@acme.example, learner@acme.example and new employees jo.doe, sam.lee",
            "sign in through Acme SSO (the demo IdP on port 8089, password demo);",
            f"SCIM at /scim/v2 with the bearer token {SCIM_DEMO_TOKEN}",
        ],
    ),
    "partners": (
        "channel partners",
        [
            "admin@partners.example, manager@partners.example,",
            "learner@partners.example (gold partner), rep@partners.example (silver partner),",
            "channel@partners.example (partner manager: the partner program at /partners/program);",
            "or Sign in with Partner SSO as jordan or casey (password partner-demo, provider on port 8090)",
        ],
    ),
    "bistro": (
        "franchise: Downtown, Riverside, Airport",
        [
            "admin@bistro.example, manager@bistro.example (Downtown), learner@bistro.example (Downtown),",
            "manager.riverside@bistro.example, manager.airport@bistro.example",
            "crew at /crew: employee IDs B1002, B1003, B1004 (no email) with PINs 2580, 1470, 3691",
            "translator@bistro.example rewords the interface at Admin → Terminology",
        ],
    ),
    "academy": ("customers", ["admin@academy.example, manager@academy.example, learner@academy.example"]),
}


def sign_in_lines(root: str) -> list[str]:
    """The demo portals and accounts, for a server at *root* (e.g. http://localhost:5000)."""
    scheme, _, host = root.rstrip("/").partition("://")
    lines = [
        f"Demo accounts (every password is {DEMO_PASSWORD}):",
        f"  Platform console: {scheme}://{host}/",
        "    operator@atrium.example (sets up two-step sign-in with an authenticator app at first sign-in)",
    ]
    for spec in TENANTS:
        audience, accounts_lines = ACCOUNTS[spec["slug"]]
        lines.append(f"  {spec['display_name']} ({audience}): {scheme}://{spec['slug']}.{host}/")
        lines.extend(f"    {line}" for line in accounts_lines)
    lines.append(
        "  Every portal also has instructor@, author@ and auditor@ accounts, e.g. author@bistro.example."
    )
    return lines
