"""A learner copies their certificate's verify link from My certifications, on a phone, by keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest

from app.accounts.services import create_user
from app.tenancy import as_tenant
from tests.browser.test_keyboard import _tab_to
from tests.conftest import PASSWORD


@pytest.fixture
def food_handler_holder(app, db, tenant_factory) -> dict[str, Any]:
    from app.certifications.services import definitions, lifecycle

    tenant = tenant_factory(display_name="Bistro", theme="warm")
    with as_tenant(tenant):
        lee = create_user("lee@holder.example", "Lee Learner", password=PASSWORD)
        cert = definitions.create_certification({"title": "Food Handler", "validity_months": 24})
        record, _new = lifecycle.ensure_record(cert, lee)
        lifecycle.award_manually(record, by=None, note="ServSafe certificate")
        db.session.commit()
        return {"tenant": tenant}


def test_the_learner_copies_the_verify_link_with_the_keyboard_on_a_phone(portal_for, food_handler_holder):
    portal = portal_for(food_handler_holder["tenant"], width=360)
    page = portal.page
    portal.sign_in("lee@holder.example")
    portal.go("/certifications")
    link = page.locator("main input.copy-field").input_value()
    assert "/verify/" in link
    _tab_to(page, lambda f: f["tag"] == "BUTTON" and f["text"] == "Copy the verify link")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.getElementById('announcer').textContent !== ''")
    # Paste what was copied into a scratch box: the clipboard holds the link.
    page.evaluate(
        "() => { const t = document.createElement('textarea'); t.id = 'paste'; document.body.append(t); }"
    )
    page.focus("#paste")
    page.keyboard.press("Control+V")
    assert page.input_value("#paste") == link
    page.evaluate("() => document.getElementById('paste').remove()")
    assert page.inner_text("#announcer") == "The verify link is copied."
    assert portal.axe_violations() == []
    assert portal.sideways_problems() == []
