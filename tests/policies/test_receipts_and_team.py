"""Signers download a branded PDF receipt; managers see their people's overdue policies."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.policies import services as policies
from app.policies.models import Acknowledgement, PolicyReceipt
from app.tenancy import as_tenant
from tests.conftest import REDIS_URL, csrf_token, tenant_host


def _signed(db, tenant, user, title="Code of Conduct"):
    with as_tenant(tenant):
        policy = policies.create_policy(title, due_days=14)
        version = policies.publish_version(policies.save_draft(policy, "## Respect\n\nBe kind."))
        ack = policies.acknowledge_policy(
            db.session.merge(user), version, user.full_name, accepted=True, ip="10.1.2.3", user_agent="UA/9"
        )
        db.session.commit()
    return policy, version, ack


def _prepare(client, ack_id):
    """Post "Prepare the receipt", as the receipt page does (a GET of it writes nothing)."""
    return client.post(f"/policies/receipts/{ack_id}/prepare", data={"csrf_token": csrf_token(client, "/")})


def _download(client, ack_id, worker, attempts=60):
    """Ask for the receipt; with Redis the worker renders it while the status page polls."""
    import time

    response = _prepare(client, ack_id)
    for _ in range(attempts):
        if response.status_code != 202:
            return response
        assert worker is not None, "the receipt was not ready at once although jobs run inline"
        body = response.get_data(as_text=True)
        assert "Your receipt is being prepared" in body and 'hx-trigger="every 2s"' in body
        assert "Check again" in body
        time.sleep(0.5)
        if "Your receipt is ready" in client.get(f"/policies/receipts/{ack_id}/status").get_data(
            as_text=True
        ):
            response = client.get(f"/policies/receipts/{ack_id}")
    return response


def test_the_signer_downloads_a_branded_pdf_receipt_with_their_name_and_the_hash(
    db, tenant_factory, user_factory, client_for, worker
):
    tenant = tenant_factory(display_name="Bistro Group", branding={"primary": "#7c2d12"})
    learner = user_factory(tenant, full_name="Lee Learner")
    policy, version, ack = _signed(db, tenant, learner)
    client = client_for(tenant, learner)
    page = client.get(f"/policies/{policy.id}").get_data(as_text=True)
    assert f'href="/policies/receipts/{ack.id}"' in page and "Download receipt (PDF)" in page
    response = _download(client, ack.id, worker)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    squashed = " ".join(text.split())
    for expected in ("Bistro Group", "Lee Learner", "Code of Conduct", "10.1.2.3", "UA/9"):
        assert expected in squashed, expected
    assert version.sha256 in "".join(text.split())  # printed in groups of eight
    assert "audit log" in squashed and f"{ack.id}" in squashed
    assert ack.acknowledged_at.strftime("%Y-%m-%dT%H:%M:%SZ") in squashed
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count()).select_from(PolicyReceipt)) == 1
    # Asking again sends the same stored receipt; nothing is rendered twice.
    again = client.get(f"/policies/receipts/{ack.id}")
    assert again.status_code == 200 and again.data == response.data
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count()).select_from(PolicyReceipt)) == 1


def test_the_receipt_shows_the_whole_hash_on_the_page_and_says_where_to_check_it(
    db, tenant_factory, user_factory, client_for, worker
):
    tenant = tenant_factory(display_name="Bistro Group")
    learner = user_factory(tenant, full_name="Lee Learner")
    _policy, version, ack = _signed(db, tenant, learner)
    client = client_for(tenant, learner)
    page = PdfReader(io.BytesIO(_download(client, ack.id, worker).data)).pages[0]
    right_margin = float(page.mediabox.width) - 2 / 2.54 * 72  # the receipt's @page margin is 2 cm
    hash_lines = []

    def measure(text, cm, tm, font, size):
        line = text.strip()
        if line and font and font.get("/BaseFont") == "/Courier":
            right_edge = cm[4] + tm[4] + len(line) * 0.6 * size  # Courier: every glyph is 0.6 em wide
            hash_lines.append((line, right_edge))

    text = page.extract_text(visitor_text=measure)
    assert "".join(line for line, _edge in hash_lines).replace(" ", "") == version.sha256
    assert all(edge <= right_margin for _line, edge in hash_lines), hash_lines
    squashed = " ".join(text.split())
    # Where and how to check it, in the portal: no command for a learner to run.
    assert "How to check this receipt" in squashed and f"http://{tenant_host(tenant)}/" in squashed
    assert "report of “Code of Conduct”, version 1" in squashed
    assert "flask" not in squashed and "audit verify" not in squashed


def test_someone_else_cannot_get_a_receipt_but_a_policy_admin_can(
    db, tenant_factory, user_factory, client_for, worker
):
    tenant = tenant_factory()
    signer = user_factory(tenant, full_name="Sam Signer")
    _policy, _version, ack = _signed(db, tenant, signer)
    other = client_for(tenant, user_factory(tenant, full_name="Nosy Neighbour"))
    assert other.get(f"/policies/receipts/{ack.id}").status_code == 404
    assert other.get(f"/policies/receipts/{ack.id}/status").status_code == 404
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count()).select_from(PolicyReceipt)) == 0
    admin = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    assert _download(admin, ack.id, worker).data.startswith(b"%PDF")


@pytest.mark.skipif(
    REDIS_URL is not None, reason="inline jobs only: with Redis the page waits for the worker"
)
def test_with_inline_jobs_the_receipt_is_ready_at_once(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    signer = user_factory(tenant, full_name="Ivy Inline")
    _policy, _version, ack = _signed(db, tenant, signer)
    client = client_for(tenant, signer)
    assert _prepare(client, ack.id).status_code == 200
    status = client.get(f"/policies/receipts/{ack.id}/status", headers={"HX-Request": "true"})
    body = status.get_data(as_text=True)
    assert "Your receipt is ready" in body and "hx-trigger" not in body and "<html" not in body


@pytest.mark.skipif(bool(REDIS_URL), reason="jobs run inline only without Redis")
def test_try_again_with_inline_jobs_prepares_the_receipt_and_someone_else_cannot(
    db, tenant_factory, user_factory, client_for
):
    from tests.conftest import csrf_token

    tenant = tenant_factory()
    signer = user_factory(tenant, full_name="Tess Tryagain")
    other = user_factory(tenant)
    _policy, _version, ack = _signed(db, tenant, signer)
    stranger = client_for(tenant, other)
    token = csrf_token(stranger, "/account")
    assert stranger.post(f"/policies/receipts/{ack.id}/retry", data={"csrf_token": token}).status_code == 404
    with as_tenant(tenant):
        assert db.session.scalar(select(func.count()).select_from(PolicyReceipt)) == 0
    client = client_for(tenant, signer)
    token = csrf_token(client, "/account")
    response = client.post(f"/policies/receipts/{ack.id}/retry", data={"csrf_token": token})
    assert response.status_code == 303
    assert "Your receipt is ready" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_manager_sees_their_persons_overdue_policy_in_words(
    db, tenant_factory, user_factory, client_for, count_queries
):
    tenant = tenant_factory()
    manager = user_factory(tenant, full_name="Morgan Manager", roles=("manager", "learner"))
    late = user_factory(tenant, full_name="Lou Late", manager_id=manager.id)
    done = user_factory(tenant, full_name="Dee Done", manager_id=manager.id)
    with as_tenant(tenant):
        policy = policies.create_policy("Food Hygiene Policy", due_days=3)
        version = policies.publish_version(policies.save_draft(policy, "Wash hands."))
        version.published_at = version.published_at - timedelta(days=10)
        policies.acknowledge_policy(
            db.session.merge(done), version, "Dee Done", accepted=True, ip=None, user_agent=None
        )
        db.session.commit()
    client = client_for(tenant, manager)
    page = client.get("/team/?show=overdue").get_data(as_text=True)
    assert "Lou Late" in page and "Dee Done" not in page
    assert "<strong>Overdue</strong>: <bdi>Food Hygiene Policy</bdi>" in page
    with as_tenant(tenant):
        overdue = policies.overdue_policies_for(
            [db.session.merge(late), db.session.merge(done)], version.published_at.date() + timedelta(days=30)
        )
    assert [p.policy.title for p in overdue[late.id]] == ["Food Hygiene Policy"] and overdue[done.id] == []
    # No query per person: more people, same number of queries.
    with count_queries() as few:
        client.get("/team/")
    for n in range(4):
        user_factory(tenant, full_name=f"Crew {n}", manager_id=manager.id)
    with count_queries() as many:
        client.get("/team/")
    assert many.count == few.count


def test_acknowledgements_cannot_be_signed_twice_for_the_same_version(db, tenant_factory, user_factory):
    tenant = tenant_factory()
    user = user_factory(tenant, full_name="Pat Person")
    _policy, version, ack = _signed(db, tenant, user)
    with as_tenant(tenant):
        again = policies.acknowledge_policy(
            db.session.merge(user), version, "Pat Person", accepted=True, ip=None, user_agent=None
        )
        assert again.id == ack.id
        assert db.session.scalar(select(func.count()).select_from(Acknowledgement)) == 1
