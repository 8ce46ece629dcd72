"""Operator commands: tenants create/suspend/resume/list and the demo data."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import User
from app.tenancy import as_tenant
from app.tenancy.models import Tenant
from tests.conftest import sign_in, unique_slug


def test_tenants_create_suspend_resume_and_list(app, db, client_for):
    runner = app.test_cli_runner()
    slug = unique_slug("cli")
    created = runner.invoke(
        args=[
            "tenants",
            "create",
            slug,
            "--name",
            "Northwind Partners",
            "--audience",
            "partners",
            "--tier",
            "gold",
            "--admin-email",
            "owner@northwind.example",
            "--admin-password",
            "a long enough password",
        ]
    )
    assert created.exit_code == 0, created.output
    tenant = db.session.scalars(select(Tenant).where(Tenant.slug == slug)).one()
    assert (tenant.audience, tenant.partner_tier) == ("partners", "gold")
    assert sign_in(client_for(tenant), "owner@northwind.example", "a long enough password").status_code == 302

    listed = runner.invoke(args=["tenants", "list"])
    assert slug in listed.output and "Northwind Partners" in listed.output

    assert runner.invoke(args=["tenants", "suspend", slug]).exit_code == 0
    assert client_for(tenant).get("/sign-in").status_code == 403
    assert runner.invoke(args=["tenants", "resume", slug]).exit_code == 0
    assert client_for(tenant).get("/sign-in").status_code == 200

    verified = runner.invoke(args=["audit", "verify", "--tenant", slug])
    assert verified.exit_code == 0 and "ok" in verified.output


def test_tenants_create_explains_a_bad_or_taken_slug(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["tenants", "create", "Not_A_Slug", "--name", "X"])
    assert bad.exit_code != 0 and "lower-case letters" in bad.output
    reserved = runner.invoke(args=["tenants", "create", "www", "--name", "X"])
    assert reserved.exit_code != 0 and "reserved" in reserved.output
    slug = unique_slug("dup")
    assert runner.invoke(args=["tenants", "create", slug, "--name", "First"]).exit_code == 0
    taken = runner.invoke(args=["tenants", "create", slug, "--name", "Second"])
    assert taken.exit_code != 0 and "already exists" in taken.output


def test_demo_loads_four_tenants_once_and_prints_where_to_sign_in(app, db, client_for):
    runner = app.test_cli_runner()
    try:
        _check_demo(app, db, client_for, runner)
    finally:
        # The demo's library package deploys itself to every new tenant; other tests make their own.
        from app.library.models import LibraryPackage

        for package in db.session.scalars(select(LibraryPackage)):
            package.auto_deploy = False
        db.session.commit()


def _check_demo(app, db, client_for, runner):
    first = runner.invoke(args=["demo", "--base-url", "http://localhost:5000"])
    assert first.exit_code == 0, first.output
    assert "http://acme.localhost:5000/" in first.output
    assert "operator@atrium.example" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    tenants = {t.slug: t for t in db.session.scalars(select(Tenant))}
    assert {"acme", "partners", "bistro", "academy"} <= set(tenants)
    assert len({tenants[s].theme for s in ("acme", "partners", "bistro")}) == 3
    with as_tenant(tenants["bistro"]):
        emails = set(db.session.scalars(select(User.email)))
    assert {"admin@bistro.example", "manager@bistro.example", "learner@bistro.example"} <= emails
    assert len([e for e in emails if e.startswith("manager")]) == 3  # one per location
    with as_tenant(tenants["acme"]):
        assert len(db.session.scalars(select(User).where(User.email == "admin@acme.example")).all()) == 1

    acme = client_for(tenants["acme"])
    assert sign_in(acme, "admin@acme.example", "atrium-demo").status_code == 302
    page = acme.get("/admin/users").get_data(as_text=True)
    assert "admin@acme.example" in page and "bistro.example" not in page
    platform = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()
    console = client_for(platform)
    assert sign_in(console, "operator@atrium.example", "atrium-demo").status_code == 302
    listing = console.get("/console/").get_data(as_text=True)
    assert "Bistro Bello Crew Training" in listing
    # Demo learning content: bistro's rules enrolled crew; the library course reached every tenant.
    from app.learning.models import Course, Enrollment

    with as_tenant(tenants["bistro"]):
        titles = set(db.session.scalars(select(Course.title)))
        assert {
            "Food Safety Basics",
            "Opening and Closing Procedures",
            "Security Awareness Essentials",
        } <= titles
        assert db.session.scalars(select(Enrollment).where(Enrollment.source == "rule")).first() is not None
    with as_tenant(tenants["partners"]):
        assert "Security Awareness Essentials" in set(db.session.scalars(select(Course.title)))


def test_custom_domain_serves_the_tenant_once_verified(app, tenant_factory):
    tenant = tenant_factory(display_name="Fabrikam Learning")
    runner = app.test_cli_runner()
    domain = f"learn.{tenant.slug}.example"
    added = runner.invoke(args=["tenants", "add-domain", tenant.slug, domain])
    assert added.exit_code == 0 and "not verified" in added.output
    client = app.test_client()
    assert client.get("/sign-in", headers={"Host": domain}).status_code == 404
    assert runner.invoke(args=["tenants", "add-domain", tenant.slug, domain, "--verified"]).exit_code == 0
    page = client.get("/sign-in", headers={"Host": domain})
    assert page.status_code == 200 and "Fabrikam Learning" in page.get_data(as_text=True)
    bad = runner.invoke(args=["tenants", "add-domain", tenant.slug, "not a domain"])
    assert bad.exit_code != 0 and "not a valid domain" in bad.output
    other = tenant_factory()
    taken = runner.invoke(args=["tenants", "add-domain", other.slug, domain])
    assert taken.exit_code != 0 and "another portal" in taken.output
