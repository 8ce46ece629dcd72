"""A learner on a phone reads the new Code of Conduct, signs it and downloads the receipt."""

from __future__ import annotations

from pathlib import Path

from app.policies.demo import code_of_conduct
from app.tenancy import as_tenant
from tests.conftest import REDIS_URL


def test_learner_accepts_a_policy_on_a_360px_screen_and_downloads_the_receipt(
    db, tenant_factory, user_factory, portal_for, tmp_path, worker
):
    tenant = tenant_factory(display_name="Bistro Group")
    learner = user_factory(tenant, "lee@bistro.example", full_name="Lee Learner")
    with as_tenant(tenant):
        code_of_conduct()
        db.session.commit()
    portal = portal_for(tenant, width=360, height=780)
    portal.sign_in(learner.email)
    portal.go("/")
    page = portal.page
    with page.expect_navigation():
        page.get_by_role("link", name="Read and accept Code of Conduct").click()
    assert page.get_by_role("heading", name="Code of Conduct", level=1).is_visible()
    assert page.get_by_text("Gifts and hospitality (new)").is_visible()
    assert portal.axe_violations() == []
    assert not portal.scrolls_sideways()
    # Keyboard: tick the box with Space, type the name, submit with Enter.
    page.get_by_label("I have read and accept this policy").focus()
    page.keyboard.press("Space")
    page.get_by_label("Your full name, as your signature").fill("Lee Learner")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_text("Your acceptance of “Code of Conduct” is recorded").is_visible()
    assert page.get_by_text("You accepted version 2").is_visible()
    assert portal.axe_violations() == []
    assert not portal.scrolls_sideways()
    link = page.get_by_role("link", name="Download receipt (PDF) for version 2")
    # The receipt page asks for the receipt with a POST of its own (opening it writes nothing).
    with page.expect_navigation():
        link.click()
    if REDIS_URL:
        # A worker renders the receipt: the page says so and checks again until it is ready.
        page.get_by_text("Your receipt is being prepared.").wait_for()
        assert portal.axe_violations() == []
    page.get_by_text("Your receipt is ready.").wait_for(timeout=60_000)
    assert portal.axe_violations() == []
    link = page.get_by_role("link", name="Download receipt (PDF)")
    with page.expect_download() as download_info:
        link.click()
    target = tmp_path / "receipt.pdf"
    download_info.value.save_as(target)
    assert Path(target).read_bytes().startswith(b"%PDF")
