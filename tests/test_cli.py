"""Operator commands: tenants create/suspend/resume/list and the demo data."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from app.accounts.models import User
from app.tenancy import as_tenant
from app.tenancy.models import Tenant, TenantDomain
from tests.conftest import finish_two_step, sign_in, unique_slug


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
        from app.tenancy import platform_writes

        with platform_writes("tests: stop the demo package deploying to later tests' tenants"):
            for package in db.session.scalars(select(LibraryPackage)):
                package.auto_deploy = False
        db.session.commit()


def _check_demo(app, db, client_for, runner):
    first = runner.invoke(args=["demo", "--base-url", "http://localhost:5000"])
    assert first.exit_code == 0, first.output
    assert "http://acme.localhost:5000/" in first.output
    assert "operator@atrium.example" in first.output
    _the_readme_lists_the_accounts_the_demo_prints(first.output)
    tenants = {t.slug: t for t in db.session.scalars(select(Tenant))}
    before = _demo_rows(db, tenants)
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert _demo_rows(db, tenants) == before  # running it again changes nothing
    _the_bistro_manager_sees_overdue_and_finished_work(db, client_for, tenants["bistro"])
    verified = runner.invoke(args=["audit", "verify", "--tenant", "bistro"])
    assert verified.exit_code == 0, verified.output
    assert {"acme", "partners", "bistro", "academy"} <= set(tenants)
    assert len({tenants[s].theme for s in ("acme", "partners", "bistro")}) == 3
    with as_tenant(tenants["bistro"]):
        emails = set(db.session.scalars(select(User.email)))
    assert {"admin@bistro.example", "manager@bistro.example", "learner@bistro.example"} <= emails
    assert len([e for e in emails if e and e.startswith("manager")]) == 3  # one per location
    with as_tenant(tenants["acme"]):
        assert len(db.session.scalars(select(User).where(User.email == "admin@acme.example")).all()) == 1

    acme = client_for(tenants["acme"])
    assert sign_in(acme, "admin@acme.example", "atrium-demo").status_code == 302
    page = acme.get("/admin/users").get_data(as_text=True)
    assert "admin@acme.example" in page and "bistro.example" not in page
    platform = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()
    console = client_for(platform)
    response = sign_in(console, "operator@atrium.example", "atrium-demo")
    # Operators always use two-step sign-in: the demo operator sets it up at the first sign-in.
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in/two-step/set-up"
    finish_two_step(console, response, platform, "operator@atrium.example")
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
    _the_demo_certifications_are_held_expiring_expired_and_in_progress(db, tenants)


def _the_demo_certifications_are_held_expiring_expired_and_in_progress(db, tenants):
    from app.certifications.models import Certification, CertificationRecord

    def states(tenant, title):
        with as_tenant(tenant):
            rows = db.session.execute(
                select(User.email, CertificationRecord.state)
                .join(CertificationRecord, CertificationRecord.user_id == User.id)
                .join(Certification, Certification.id == CertificationRecord.certification_id)
                .where(Certification.title == title)
            )
            return {email: state for email, state in rows}

    bistro = states(tenants["bistro"], "Food Handler")
    assert bistro["crew3.downtown@bistro.example"] == "certified"
    assert bistro["crew2.riverside@bistro.example"] == "expiring"  # expires next week
    assert bistro["crew2.airport@bistro.example"] == "expired"
    assert bistro["learner@bistro.example"] == "in_progress"
    partners = states(tenants["partners"], "Certified Widget Seller")
    assert partners["learner@partners.example"] == "certified"
    assert partners["rep@partners.example"] == "in_progress"


def _the_readme_lists_the_accounts_the_demo_prints(output):
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    printed = [line for line in output.splitlines() if line.strip()]
    assert printed[0].startswith("Demo accounts")
    block = "\n".join(printed)
    assert f"```\n{block}\n```" in readme, "README.md's demo accounts differ from what `flask demo` prints"


def _text(html):
    inline = re.sub(r"</?bdi[^>]*>", "", html)  # isolated names read as part of their sentence
    return " ".join(re.sub(r"<[^>]+>", " ", inline).split())


def _demo_rows(db, tenants):
    from app.audit.models import AuditEvent
    from app.learning.models import Enrollment, LessonProgress
    from app.policies.models import Acknowledgement, PolicyVersion

    rows = {}
    for slug, tenant in tenants.items():
        with as_tenant(tenant):
            for model in (AuditEvent, Enrollment, LessonProgress, Acknowledgement, PolicyVersion, User):
                rows[slug, model.__name__] = db.session.scalar(select(func.count()).select_from(model))
            rows[slug, "due dates"] = sorted(
                (str(e.user_id), str(e.due_on)) for e in db.session.scalars(select(Enrollment))
            )
    return rows


def _the_bistro_manager_sees_overdue_and_finished_work(db, client_for, bistro):
    manager = client_for(bistro)
    assert sign_in(manager, "manager@bistro.example", "atrium-demo").status_code == 302
    overdue = manager.get("/team/?show=overdue").get_data(as_text=True)
    assert "Nobody to show" not in overdue
    rows = {
        name: _text(row)
        for row in overdue.split("<tr")[2:]
        for name in ("Downtown Crew 2", "Downtown Crew 3", "Lee Learner")
        if name in row
    }
    # Crew 2 is late on Food Safety, assigned a month ago, and has not accepted the Code of Conduct.
    assert "Overdue : Food Safety Basics (due" in rows["Downtown Crew 2"]
    assert "Overdue : Code of Conduct" in rows["Downtown Crew 2"]
    # Lee has the overdue Code of Conduct to sign (the policy walkthrough) but Food Safety is not late yet.
    assert "Overdue : Code of Conduct" in rows["Lee Learner"]
    assert "Overdue : Food Safety" not in rows["Lee Learner"]
    assert "Downtown Crew 3" not in rows  # finished everything
    everyone = manager.get("/team/").get_data(as_text=True)
    crew3 = next(_text(row) for row in everyone.split("<tr")[2:] if "Downtown Crew 3" in row)
    assert "items done" in crew3 and "Overdue" not in crew3


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


def test_a_domain_under_the_platform_domain_or_not_a_hostname_is_refused_and_a_unicode_one_stored_as_punycode(
    app, db, tenant_factory
):
    tenant = tenant_factory()
    root = app.config["ATRIUM_DOMAIN"]
    runner = app.test_cli_runner()
    for unusable in (root, f"foo.{root}", f"Deep.Foo.{root.upper()}."):
        refused = runner.invoke(args=["tenants", "add-domain", tenant.slug, unusable])
        assert refused.exit_code != 0, unusable
        assert "can never be a portal's custom domain" in refused.output
    for invalid in ("-learn.example.com", "learn..example.com", "xn--zz.example.com", "ex_ample.com"):
        refused = runner.invoke(args=["tenants", "add-domain", "--", tenant.slug, invalid])
        assert refused.exit_code != 0 and "not a valid domain name" in refused.output, invalid
    assert db.session.scalars(select(TenantDomain).where(TenantDomain.tenant_id == tenant.id)).all() == []

    added = runner.invoke(
        args=["tenants", "add-domain", tenant.slug, "Schulung.Bücher.Example", "--verified"]
    )

    assert added.exit_code == 0 and "schulung.xn--bcher-kva.example" in added.output
    page = app.test_client().get("/sign-in", headers={"Host": "schulung.xn--bcher-kva.example"})
    assert page.status_code == 200 and tenant.display_name in page.get_data(as_text=True)


def _flask(*args, tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "FLASK_APP": "wsgi",
        "LOG_JSON": "0",
        "SECRET_KEY": "x" * 32,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    root = Path(__file__).parent.parent
    return subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=root, env=env, capture_output=True, text=True, timeout=120
    )


def test_translate_compile_says_each_catalog_once_and_nothing_when_quiet(tmp_path):
    compiled = _flask("translate", "compile", tmp_path=tmp_path)
    assert compiled.returncode == 0, compiled.stderr
    output = (compiled.stdout + compiled.stderr).splitlines()
    catalogs = [re.search(r"catalog (\S+)", line).group(1) for line in output if "compiling" in line]
    assert catalogs and len(catalogs) == len(set(catalogs)), output  # once each, not again through the log
    quiet = _flask("translate", "compile", "--quiet", tmp_path=tmp_path)
    assert quiet.returncode == 0 and quiet.stdout + quiet.stderr == "", quiet.stderr
