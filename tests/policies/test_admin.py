"""Admins write, version and publish policies, and see (and export) who accepted each version."""

from __future__ import annotations

import csv
import hashlib
import io

from PIL import Image
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.policies import reports
from app.policies import services as policies
from app.policies.models import Acknowledgement, Policy, PolicyVersion
from app.tenancy import as_tenant
from tests.conftest import csrf_token


def _pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40)).save(buffer, format="PDF")
    return buffer.getvalue()


def _admin_client(tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    admin = user_factory(tenant, full_name="Alex Admin", roles=("tenant_admin", "learner"))
    return tenant, admin, client_for(tenant, admin)


def _count(db, tenant, model) -> int:
    with as_tenant(tenant):
        return db.session.scalar(select(func.count()).select_from(model))


def test_admin_creates_writes_and_publishes_a_policy_that_learners_then_see(
    db, tenant_factory, user_factory, client_for
):
    tenant, _admin, client = _admin_client(tenant_factory, user_factory, client_for)
    learner = user_factory(tenant, full_name="Lee Learner")
    created = client.post(
        "/admin/policies/new",
        data={
            "csrf_token": csrf_token(client, "/admin/policies/new"),
            "title": "Data Protection",
            "visibility": "everyone",
            "due_days": "7",
        },
    )
    assert created.status_code == 302
    with as_tenant(tenant):
        policy = db.session.scalars(select(Policy)).one()
    assert created.headers["Location"].endswith(f"/admin/policies/{policy.id}/draft")
    draft_url = f"/admin/policies/{policy.id}/draft"
    saved = client.post(
        draft_url,
        data={"csrf_token": csrf_token(client, draft_url), "content": "text", "body": "## Data\n\nLock it."},
    )
    assert saved.status_code == 302
    detail = client.get(f"/admin/policies/{policy.id}").get_data(as_text=True)
    assert "Version 1 is a draft" in detail and "Publish version 1" in detail
    assert "Policies to accept" not in client_for(tenant, learner).get("/").get_data(as_text=True)
    published = client.post(
        f"/admin/policies/{policy.id}/publish",
        data={"csrf_token": csrf_token(client, f"/admin/policies/{policy.id}")},
    )
    assert published.status_code == 302
    with as_tenant(tenant):
        version = db.session.scalars(select(PolicyVersion)).one()
        assert version.sha256 == hashlib.sha256(version.body_html.encode()).hexdigest() and version.material
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"policy.created", "policy.draft_saved", "policy.version_published"} <= actions
    home = client_for(tenant, learner).get("/").get_data(as_text=True)
    assert "Policies to accept" in home and "Data Protection" in home
    listing = client.get("/admin/policies/").get_data(as_text=True)
    assert "Data Protection" in listing and "Version 1" in listing


def test_bad_input_is_refused_with_422_the_typed_values_kept_and_nothing_written(
    db, tenant_factory, user_factory, client_for
):
    tenant, _admin, client = _admin_client(tenant_factory, user_factory, client_for)
    with as_tenant(tenant):
        policies.create_policy("Taken title")
        db.session.commit()
    token = csrf_token(client, "/admin/policies/new")
    duplicate = client.post(
        "/admin/policies/new", data={"csrf_token": token, "title": "Taken title", "due_days": "30"}
    )
    body = duplicate.get_data(as_text=True)
    assert duplicate.status_code == 422 and "already exists" in body and 'value="30"' in body
    nobody = client.post(
        "/admin/policies/new",
        data={"csrf_token": token, "title": "Drivers only", "visibility": "restricted"},
    )
    assert nobody.status_code == 422 and "Name at least one group" in nobody.get_data(as_text=True)
    assert 'value="Drivers only"' in nobody.get_data(as_text=True)
    too_long = client.post(
        "/admin/policies/new", data={"csrf_token": token, "title": "Later", "due_days": "9999"}
    )
    assert too_long.status_code == 422 and "between 1 and 3650" in too_long.get_data(as_text=True)
    assert _count(db, tenant, Policy) == 1
    with as_tenant(tenant):
        policy = db.session.scalars(select(Policy)).one()
    url = f"/admin/policies/{policy.id}/draft"
    empty = client.post(url, data={"csrf_token": csrf_token(client, url), "content": "text", "body": "  "})
    assert empty.status_code == 422 and "Write the policy" in empty.get_data(as_text=True)
    assert _count(db, tenant, PolicyVersion) == 0
    publish = client.post(
        f"/admin/policies/{policy.id}/publish", data={"csrf_token": csrf_token(client, url)}
    )
    assert publish.status_code == 302
    assert "There is no draft to publish" in client.get(f"/admin/policies/{policy.id}").get_data(as_text=True)


def test_a_pdf_version_is_shown_inline_and_hashed_by_its_bytes_and_a_fake_pdf_is_refused(
    db, tenant_factory, user_factory, client_for
):
    tenant, _admin, client = _admin_client(tenant_factory, user_factory, client_for)
    with as_tenant(tenant):
        policy = policies.create_policy("Safety Manual")
        db.session.commit()
    url = f"/admin/policies/{policy.id}/draft"
    fake = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "content": "pdf",
            "body": "kept text",
            "document": (io.BytesIO(b"just text pretending"), "manual.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422 and "not an allowed type (PDF)" in fake.get_data(as_text=True)
    assert "kept text" in fake.get_data(as_text=True)
    assert _count(db, tenant, PolicyVersion) == 0
    missing = client.post(url, data={"csrf_token": csrf_token(client, url), "content": "pdf"})
    assert missing.status_code == 422 and "Choose the policy" in missing.get_data(as_text=True)
    pdf = _pdf_bytes()
    saved = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "content": "pdf",
            "document": (io.BytesIO(pdf), "m.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    client.post(f"/admin/policies/{policy.id}/publish", data={"csrf_token": csrf_token(client, url)})
    with as_tenant(tenant):
        version = db.session.scalars(select(PolicyVersion)).one()
    assert version.is_pdf and version.sha256 == hashlib.sha256(pdf).hexdigest()
    learner = user_factory(tenant, full_name="Lee Learner")
    reader = client_for(tenant, learner)
    page = reader.get(f"/policies/{policy.id}").get_data(as_text=True)
    assert f'<iframe src="/policies/versions/{version.id}/document"' in page and "Sign and accept" in page
    document = reader.get(f"/policies/versions/{version.id}/document")
    assert document.status_code == 200 and document.data == pdf
    assert document.mimetype == "application/pdf" and "inline" in document.headers["Content-Disposition"]
    assert document.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in document.headers["Content-Security-Policy"]
    assert (
        "attachment"
        in reader.get(f"/policies/versions/{version.id}/document?download=1").headers["Content-Disposition"]
    )
    # Pages elsewhere still refuse to be framed.
    assert client.get("/").headers["X-Frame-Options"] == "DENY"


def test_a_minor_version_published_by_the_admin_asks_nobody_again_and_a_material_one_does(
    db, tenant_factory, user_factory, client_for
):
    tenant, _admin, client = _admin_client(tenant_factory, user_factory, client_for)
    learner = user_factory(tenant, full_name="Lee Learner")
    with as_tenant(tenant):
        policy = policies.create_policy("Code")
        version = policies.publish_version(policies.save_draft(policy, "Be kind."))
        policies.acknowledge_policy(
            db.session.merge(learner), version, "Lee Learner", accepted=True, ip=None, user_agent=None
        )
        db.session.commit()
    url = f"/admin/policies/{policy.id}/draft"
    form = client.get(url).get_data(as_text=True)
    assert "Material change: ask everyone to accept again" in form and "A minor change" in form
    client.post(url, data={"csrf_token": csrf_token(client, url), "content": "text", "body": "Be kind!"})
    minor = client.post(f"/admin/policies/{policy.id}/publish", data={"csrf_token": csrf_token(client, url)})
    assert minor.status_code == 302
    assert "nobody is asked again" in client.get(f"/admin/policies/{policy.id}").get_data(as_text=True)
    assert "Policies to accept" not in client_for(tenant, learner).get("/").get_data(as_text=True)
    client.post(
        url, data={"csrf_token": csrf_token(client, url), "content": "text", "body": "New.", "material": "y"}
    )
    client.post(f"/admin/policies/{policy.id}/publish", data={"csrf_token": csrf_token(client, url)})
    home = client_for(tenant, learner).get("/").get_data(as_text=True)
    assert "Policies to accept" in home and "Version 3" in home


def test_report_shows_who_accepted_and_who_has_not_and_the_csv_says_the_same_safely(
    db, tenant_factory, user_factory, client_for, count_queries
):
    tenant, _admin, client = _admin_client(tenant_factory, user_factory, client_for)
    signer = user_factory(tenant, "ada@example.com", full_name="Ada Lovelace")
    sneaky = user_factory(tenant, "eve@example.com", full_name="=HYPERLINK(1)")
    user_factory(tenant, "grace@example.com", full_name="Grace Hopper")
    with as_tenant(tenant):
        policy = policies.create_policy("Code of Ethics", due_days=10)
        version = policies.publish_version(policies.save_draft(policy, "Be honest."))
        for person, name in ((signer, "Ada Lovelace"), (sneaky, "=HYPERLINK(1)")):
            policies.acknowledge_policy(
                db.session.merge(person), version, name, accepted=True, ip="10.9.8.7", user_agent="UA/1"
            )
        db.session.commit()
        ack = db.session.scalars(select(Acknowledgement).where(Acknowledgement.user_id == signer.id)).one()
    page = client.get(f"/admin/policies/{policy.id}/versions/{version.id}").get_data(as_text=True)
    assert "Accepted (2)" in page and "Ada Lovelace" in page and "10.9.8.7" in page
    assert "Not yet accepted (2)" in page and "Grace Hopper" in page and "Alex Admin" in page
    # Exporting is audited, so the button posts (GET never writes).
    token = csrf_token(client, f"/admin/policies/{policy.id}/versions/{version.id}")
    response = client.post(
        f"/admin/policies/{policy.id}/versions/{version.id}/export.csv", data={"csrf_token": token}
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert 'filename="Code_of_Ethics-version-1-acknowledgements.csv"' in disposition
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    by_email = {row["email"]: row for row in rows}
    ada = by_email["ada@example.com"]
    assert ada["status"] == "accepted" and ada["signed_name"] == "Ada Lovelace"
    assert ada["accepted_at_utc"] == ack.acknowledged_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ada["content_sha256"] == version.sha256 and ada["ip"] == "10.9.8.7" and ada["version"] == "1"
    assert by_email["eve@example.com"]["name"] == "'=HYPERLINK(1)"
    assert by_email["eve@example.com"]["signed_name"] == "'=HYPERLINK(1)"
    assert by_email["grace@example.com"]["status"] == "pending"
    assert by_email["grace@example.com"]["due_on"]
    with as_tenant(tenant):
        assert "policy.report_exported" in set(db.session.scalars(select(AuditEvent.action)))
    # The list counts accepted and pending with a fixed number of queries, however many people.
    with count_queries() as few:
        client.get("/admin/policies/")
    for n in range(5):
        user_factory(tenant, full_name=f"Extra {n}")
    with count_queries() as many:
        listing = client.get("/admin/policies/").get_data(as_text=True)
    assert many.count == few.count
    assert '<td data-label="Not yet accepted">7</td>' in listing


def test_an_auditor_sees_reports_read_only_and_a_learner_sees_nothing(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    with as_tenant(tenant):
        policy = policies.create_policy("Code")
        version = policies.publish_version(policies.save_draft(policy, "Be kind."))
        db.session.commit()
    auditor = client_for(tenant, user_factory(tenant, roles=("auditor",)))
    assert auditor.get("/admin/policies/").status_code == 200
    report = f"/admin/policies/{policy.id}/versions/{version.id}"
    token = csrf_token(auditor, report)
    assert auditor.post(f"{report}/export.csv", data={"csrf_token": token}).status_code == 200
    assert auditor.get("/admin/policies/new").status_code == 403
    assert auditor.get(f"/admin/policies/{policy.id}/draft").status_code == 403
    learner = client_for(tenant, user_factory(tenant))
    assert learner.get("/admin/policies/").status_code == 403
    assert "/admin/policies" not in learner.get("/").get_data(as_text=True)


def test_the_migration_gives_existing_tenants_admins_the_new_permissions(app):
    """Roles are rows per tenant: tenants created before this feature get policies.manage too."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "m0005",
        Path(__file__).resolve().parents[2]
        / "migrations/versions/20261201_0005_policy_documents_and_receipts.py",
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.revision == "0005" and module.down_revision == "0004"
    assert "policies.manage" in module.NEW_PERMISSIONS["tenant_admin"]
    assert "policies.report" in module.NEW_PERMISSIONS["auditor"]


def test_a_refused_policy_upload_names_only_pdf_as_the_allowed_type(
    db, tenant_factory, user_factory, client_for
):
    tenant, _admin, client = _admin_client(tenant_factory, user_factory, client_for)
    with as_tenant(tenant):
        policy = policies.create_policy("Handbook")
        db.session.commit()
    url = f"/admin/policies/{policy.id}/draft"
    binary = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "content": "pdf",
            "document": (io.BytesIO(b"MZ\x90\x00\x03\x00\x00\x00binary"), "handbook.exe"),
        },
        content_type="multipart/form-data",
    )
    page = binary.get_data(as_text=True)
    assert binary.status_code == 422
    assert "not an allowed type (PDF)" in page
    assert not any(other in page for other in ("docx", "xlsx", "pptx", "csv, ", "DOCX"))


def test_a_policy_file_that_only_starts_like_a_pdf_is_refused_and_a_real_one_gets_a_pdf_name(
    db, tenant_factory, user_factory, client_for
):
    tenant, _admin, client = _admin_client(tenant_factory, user_factory, client_for)
    with as_tenant(tenant):
        policy = policies.create_policy("Handbook")
        db.session.commit()
    url = f"/admin/policies/{policy.id}/draft"
    smuggled = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "content": "pdf",
            "document": (io.BytesIO(b"%PDF-1.7\n<html><script>alert(1)</script></html>"), "handbook.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert smuggled.status_code == 422
    assert "starts like a PDF but is not a PDF with pages that can be read" in smuggled.get_data(as_text=True)
    assert _count(db, tenant, PolicyVersion) == 0

    saved = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "content": "pdf",
            "document": (io.BytesIO(_pdf_bytes()), "handbook.html"),
        },
        content_type="multipart/form-data",
    )
    assert saved.status_code == 302
    with as_tenant(tenant):
        version = db.session.scalars(select(PolicyVersion)).one()
    assert version.document_filename == "handbook.pdf"


def test_report_pages_its_lists_counts_in_sql_in_fixed_statements_and_exports_everyone(
    db, tenant_factory, user_factory, client_for, count_queries, monkeypatch
):
    """A restricted policy: its group and everyone at or below its unit must accept; nobody else is listed."""
    from app.accounts.services import add_group_members, create_group, create_org_unit

    monkeypatch.setattr(reports, "REPORT_PAGE_SIZE", 2)
    tenant, _admin, client = _admin_client(tenant_factory, user_factory, client_for)
    with as_tenant(tenant):
        region = create_org_unit("North", kind="region")
        store = create_org_unit("Leeds", parent_id=region.id)
        drivers = create_group("Drivers")
        db.session.commit()
        region_id, store_id, drivers_id = region.id, store.id, drivers.id
        policy = policies.create_policy(
            "Driving Code",
            visibility="restricted",
            audiences={"group": [str(drivers_id)], "org_unit": [str(region_id)]},
            due_days=5,
        )
        version = policies.publish_version(policies.save_draft(policy, "Drive safely."))
        db.session.commit()
    report = f"/admin/policies/{policy.id}/versions/{version.id}"

    def add_people(tag: str, signed: int, pending: int) -> None:
        people = [
            user_factory(tenant, full_name=f"{tag} Signer {n}", org_unit_id=store_id) for n in range(signed)
        ]
        people += [
            user_factory(tenant, full_name=f"{tag} Waiting {n}", org_unit_id=store_id) for n in range(pending)
        ]
        driver = user_factory(tenant, full_name=f"{tag} Driver")
        user_factory(tenant, full_name=f"{tag} Outsider")
        with as_tenant(tenant):
            add_group_members(db.session.merge(drivers), [driver.id])
            for person in people[:signed]:
                policies.acknowledge_policy(
                    db.session.merge(person),
                    version,
                    person.full_name,
                    accepted=True,
                    ip=None,
                    user_agent=None,
                )
            db.session.commit()

    add_people("Few", signed=1, pending=1)
    with count_queries() as few:
        page = client.get(report).get_data(as_text=True)
    assert "Accepted (1)" in page and "Not yet accepted (2)" in page
    assert "Few Driver" in page and "Few Waiting 0" in page and "Outsider" not in page
    add_people("Many", signed=4, pending=5)
    with count_queries() as many:
        page = client.get(report).get_data(as_text=True)
    assert many.count == few.count
    # Totals count everyone; only the first page of each list is shown, by time and by name.
    assert "Accepted (5)" in page and "Not yet accepted (8)" in page
    assert "Few Signer 0" in page and "Many Signer 0" in page and "Many Signer 1" not in page
    assert "Few Driver" in page and "Few Waiting 0" in page and "Many Driver" not in page
    assert "Page 1 of 3" in page and "Page 1 of 4" in page
    second = client.get(f"{report}?accepted_page=2&pending_page=3").get_data(as_text=True)
    assert "Many Signer 1" in second and "Many Signer 2" in second and "Few Signer 0" not in second
    assert "Many Waiting 1" in second and "Many Waiting 2" in second and "Few Driver" not in second
    # The export is not paged: everyone, accepted by time then pending by name.
    response = client.post(f"{report}/export.csv", data={"csrf_token": csrf_token(client, report)})
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(row["status"], row["name"]) for row in rows] == [
        ("accepted", "Few Signer 0"),
        *(("accepted", f"Many Signer {n}") for n in range(4)),
        ("pending", "Few Driver"),
        ("pending", "Few Waiting 0"),
        ("pending", "Many Driver"),
        *(("pending", f"Many Waiting {n}") for n in range(5)),
    ]
    assert all(row["due_on"] for row in rows if row["status"] == "pending")
    listing = client.get("/admin/policies/").get_data(as_text=True)
    assert (
        '<td data-label="Accepted">5</td>' in listing
        and '<td data-label="Not yet accepted">8</td>' in listing
    )


def test_policies_list_counts_every_policy_in_one_statement_whatever_the_number_of_policies(
    db, tenant_factory, user_factory, client_for, count_queries
):
    """Each row shows its own audience's accepted and pending people; more policies, no more statements."""
    from app.accounts.services import create_group, create_org_unit, deactivate_user

    tenant, _admin, client = _admin_client(tenant_factory, user_factory, client_for)
    with as_tenant(tenant):
        store = create_org_unit("Leeds", kind="location")
        drivers = create_group("Drivers")
        db.session.commit()
        store_id, drivers_id = store.id, drivers.id
    staff = [user_factory(tenant, full_name=f"Staff {n}", org_unit_id=store_id) for n in range(3)]
    user_factory(tenant, full_name="Head Office")
    gone = user_factory(tenant, full_name="Gone", org_unit_id=store_id)
    with as_tenant(tenant):
        deactivate_user(db.session.merge(gone))
        db.session.commit()

    def publish(title: str, **kwargs) -> PolicyVersion:
        with as_tenant(tenant):
            version = policies.publish_version(
                policies.save_draft(policies.create_policy(title, **kwargs), "Text.")
            )
            db.session.commit()
            return version

    conduct = publish("Code of Conduct")
    with as_tenant(tenant):
        policies.acknowledge_policy(
            db.session.merge(staff[0]), conduct, "Staff 0", accepted=True, ip=None, user_agent=None
        )
        db.session.commit()
    with count_queries() as one:
        page = client.get("/admin/policies/").get_data(as_text=True)
    # Everyone active (the admin, three staff and head office, not the deactivated): one accepted.
    assert '<td data-label="Accepted">1</td>' in page and '<td data-label="Not yet accepted">4</td>' in page
    store_rules = publish("Store Rules", visibility="restricted", audiences={"org_unit": [str(store_id)]})
    with as_tenant(tenant):
        for person in staff[:2]:
            policies.acknowledge_policy(
                db.session.merge(person),
                store_rules,
                person.full_name,
                accepted=True,
                ip=None,
                user_agent=None,
            )
        db.session.commit()
    publish("Drivers", visibility="restricted", audiences={"group": [str(drivers_id)]})
    with count_queries() as three:
        page = client.get("/admin/policies/").get_data(as_text=True)
    assert three.count == one.count
    rows = {
        title: page[page.index(title) :].split("</tr>", 1)[0]
        for title in ("Code of Conduct", "Store Rules", "Drivers")
    }
    assert (
        '"Accepted">1</td>' in rows["Code of Conduct"]
        and '"Not yet accepted">4</td>' in rows["Code of Conduct"]
    )
    assert '"Accepted">2</td>' in rows["Store Rules"] and '"Not yet accepted">1</td>' in rows["Store Rules"]
    assert '"Accepted">0</td>' in rows["Drivers"] and '"Not yet accepted">0</td>' in rows["Drivers"]


def test_an_older_versions_report_sends_readers_to_the_newest_and_the_newest_says_who_is_overdue(
    db, tenant_factory, user_factory, client_for
):
    from datetime import timedelta

    tenant, _admin, client = _admin_client(tenant_factory, user_factory, client_for)
    signer = user_factory(tenant, full_name="Ada Lovelace")
    user_factory(tenant, full_name="Grace Hopper")
    with as_tenant(tenant):
        policy = policies.create_policy("Code of Ethics", due_days=10)
        first = policies.publish_version(policies.save_draft(policy, "Be honest."))
        policies.acknowledge_policy(
            db.session.merge(signer), first, "Ada Lovelace", accepted=True, ip=None, user_agent=None
        )
        second = policies.publish_version(policies.save_draft(policy, "Be honest, always.", material=True))
        second.published_at -= timedelta(days=30)  # asked a month ago: due 20 days ago
        db.session.commit()
    older = client.get(f"/admin/policies/{policy.id}/versions/{first.id}").get_data(as_text=True)
    assert "Accepted (1)" in older and "Ada Lovelace" in older and "Not yet accepted (0)" in older
    assert "A later version asks people again" in older and "Grace Hopper" not in older
    newest = client.get(f"/admin/policies/{policy.id}/versions/{second.id}").get_data(as_text=True)
    assert "Accepted (0)" in newest and "Not yet accepted (3)" in newest
    rows = newest.split('<h2 id="pending">')[1].split("<tr>")[2:]
    assert len(rows) == 3 and all("Ada Lovelace" in newest and "Overdue" in row for row in rows)
    assert all('<td data-label="Due"><strong class="text-danger">Overdue</strong> · ' in row for row in rows)
    # A version of another policy, or a draft, is not found under this one.
    assert client.get(f"/admin/policies/{policy.id + 1}/versions/{second.id}").status_code == 404


def test_policies_list_counts_a_person_who_signed_two_counted_versions_once_and_not_once_they_leave(
    db, tenant_factory, user_factory, client_for
):
    """Who signed is a set of people: two signed versions are one person, a deactivated signer is nobody."""
    from app.accounts.services import deactivate_user

    tenant, _admin, client = _admin_client(tenant_factory, user_factory, client_for)
    twice = user_factory(tenant, full_name="Twice Signed")
    leaver = user_factory(tenant, full_name="Left Since")
    user_factory(tenant, full_name="Not Yet")
    with as_tenant(tenant):
        policy = policies.create_policy("Code of Conduct")
        first = policies.publish_version(policies.save_draft(policy, "Be kind."))
        for person in (twice, leaver):
            policies.acknowledge_policy(
                db.session.merge(person), first, person.full_name, accepted=True, ip=None, user_agent=None
            )
        minor = policies.publish_version(policies.save_draft(policy, "Be kind, always.", material=False))
        policies.acknowledge_policy(
            db.session.merge(twice), minor, "Twice Signed", accepted=True, ip=None, user_agent=None
        )
        db.session.commit()
    page = client.get("/admin/policies/").get_data(as_text=True)
    # Active: the admin, Twice Signed, Left Since and Not Yet; two signed, Twice Signed once.
    assert '<td data-label="Accepted">2</td>' in page and '<td data-label="Not yet accepted">2</td>' in page
    with as_tenant(tenant):
        deactivate_user(db.session.merge(leaver))
        db.session.commit()
    page = client.get("/admin/policies/").get_data(as_text=True)
    assert '<td data-label="Accepted">1</td>' in page and '<td data-label="Not yet accepted">2</td>' in page
    report = client.get(f"/admin/policies/{policy.id}/versions/{minor.id}").get_data(as_text=True)
    assert "Accepted (1)" in report and "Not yet accepted (2)" in report and "Not Yet" in report


def test_report_says_when_nobody_has_accepted_yet_and_when_everyone_has(
    db, tenant_factory, user_factory, client_for
):
    """Each list of the report has its own empty message, in place of an empty table."""
    tenant, admin, client = _admin_client(tenant_factory, user_factory, client_for)
    with as_tenant(tenant):
        policy = policies.create_policy("Code of Conduct")
        version = policies.publish_version(policies.save_draft(policy, "Be kind."))
        db.session.commit()
    report = f"/admin/policies/{policy.id}/versions/{version.id}"
    page = client.get(report).get_data(as_text=True)
    assert "Accepted (0)" in page and "Not yet accepted (1)" in page
    assert '<p class="empty-state">Nobody has accepted this version yet.</p>' in page
    assert "Everyone it applies to has accepted." not in page and "Alex Admin" in page
    with as_tenant(tenant):
        policies.acknowledge_policy(
            db.session.merge(admin), version, "Alex Admin", accepted=True, ip=None, user_agent=None
        )
        db.session.commit()
    page = client.get(report).get_data(as_text=True)
    assert "Accepted (1)" in page and "Not yet accepted (0)" in page
    assert '<p class="empty-state">Everyone it applies to has accepted.</p>' in page
    assert "Nobody has accepted this version yet." not in page
    assert page.count("<table") == 1
