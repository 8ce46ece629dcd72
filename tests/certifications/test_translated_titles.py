"""A certification translated into its holder's language: their pages, certificate, verify page and emails.

The certificate's record and its signed badge keep the title as awarded (the original); only the words
shown are translated.
"""

from __future__ import annotations

import io
import time
import unicodedata
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from app.accounts.models import User
from app.certificates import serials
from app.certifications.jobs import sweep_tenant
from app.certifications.models import Certification
from app.certifications.services import lifecycle
from app.learning.models import Course
from app.multilingual import services as translations
from app.multilingual.kinds import kind_named
from app.storage import storage
from app.tenancy import as_tenant
from tests.certificates.helpers import certificate_of

SPANISH = "Manipulador de alimentos"


def _award(db, tenant, cert_id, user, *, expires_in_days=6):
    with as_tenant(tenant):
        record, _new = lifecycle.ensure_record(
            db.session.get(Certification, cert_id), db.session.get(User, user.id)
        )
        expires = datetime.now(UTC) + timedelta(days=expires_in_days)
        lifecycle.award_manually(
            record, by=None, note="", awarded_at=expires - timedelta(days=730), expires_at=expires
        )
        db.session.commit()
        return record.id


def _mails(mailbox, address, count, timeout=30.0):
    deadline = time.monotonic() + timeout
    while len([m for m in mailbox.messages if address in m["To"]]) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return [m for m in mailbox.messages if address in m["To"]]


def _pdf_text(app, tenant, certificate) -> str:
    with app.app_context():
        data = storage().read(certificate.pdf_key, tenant_id=tenant.id)
    assert data is not None
    return unicodedata.normalize(
        "NFKC", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    )


def test_a_spanish_holder_reads_their_certification_in_spanish_and_the_badge_keeps_the_original(
    app, db, tenant_factory, user_factory, client_for, food_handler, mailbox, worker
):
    tenant = tenant_factory(display_name="Bistro", enabled_locales=["en", "es"], default_locale="en")
    course = food_handler(tenant)
    with as_tenant(tenant):
        cert = db.session.get(Certification, course["cert"])
        translations.save_translation(kind_named("certification"), cert, "es", {"title": SPANISH})
        translations.save_translation(
            kind_named("course"), db.session.get(Course, course["course"]), "es", {"title": "Higiene básica"}
        )
        db.session.commit()
    lucia = user_factory(tenant, "lucia.cert@translated.example", full_name="Lucía Ruiz", locale="es")
    eve = user_factory(tenant, "eve.cert@translated.example", full_name="Eve English", locale="en")
    spanish = certificate_of(db, tenant, _award(db, tenant, course["cert"], lucia))
    english = certificate_of(db, tenant, _award(db, tenant, course["cert"], eve))

    # The certificate PDF is rendered for its holder; what it records and signs stays the original.
    assert SPANISH in _pdf_text(app, tenant, spanish)
    assert "Food Handler" in _pdf_text(app, tenant, english) and SPANISH not in _pdf_text(
        app, tenant, english
    )
    assert spanish.title == english.title == "Food Handler"
    assert spanish.badge and "Food Handler" in str(spanish.badge) and SPANISH not in str(spanish.badge)

    # The public verify page shows the title as the certificate does, and the original beside it.
    anyone = client_for(tenant)
    page = anyone.get(f"/verify/{serials.display(spanish.serial)}", follow_redirects=True).get_data(
        as_text=True
    )
    assert f'lang="es">{SPANISH}</bdi>' in page and "Food Handler" in page
    page = anyone.get(f"/verify/{serials.display(english.serial)}", follow_redirects=True).get_data(
        as_text=True
    )
    assert "Food Handler" in page and SPANISH not in page

    # My certifications and My learning, in each holder's language.
    mine = client_for(tenant, lucia).get("/certifications").get_data(as_text=True)
    assert SPANISH in mine
    mine = client_for(tenant, eve).get("/certifications").get_data(as_text=True)
    assert "Food Handler" in mine and SPANISH not in mine

    # The reminder email names it in the recipient's language.
    with as_tenant(tenant):
        assert sweep_tenant(None)["reminders"] == 2
        db.session.commit()
    assert SPANISH in _mails(mailbox, "lucia.cert@translated.example", 1)[0]["Subject"]
    to_eve = _mails(mailbox, "eve.cert@translated.example", 1)[0]
    assert "Food Handler" in to_eve["Subject"] and SPANISH not in to_eve["Subject"]

    # In the renewal window now: what renewing needs is named in the holder's language too.
    mine = client_for(tenant, lucia).get("/certifications").get_data(as_text=True)
    assert "Higiene básica" in mine and "Food Safety Basics" not in mine
    home = client_for(tenant, lucia).get("/").get_data(as_text=True)
    assert SPANISH in home and "Higiene básica" in home
    mine = client_for(tenant, eve).get("/certifications").get_data(as_text=True)
    assert "Food Safety Basics" in mine and "Higiene básica" not in mine


def test_a_certificate_awarded_under_an_older_title_keeps_the_title_it_records(
    app, db, tenant_factory, user_factory, client_for, food_handler, worker
):
    tenant = tenant_factory(display_name="Bistro", enabled_locales=["en", "es"], default_locale="en")
    course = food_handler(tenant)
    lucia = user_factory(tenant, "lucia.renamed@translated.example", full_name="Lucía Ruiz", locale="es")
    certificate = certificate_of(db, tenant, _award(db, tenant, course["cert"], lucia))
    with as_tenant(tenant):  # renamed after the award, then translated: the translation follows the new name
        cert = db.session.get(Certification, course["cert"])
        cert.title = "Food Handler Level 2"
        translations.save_translation(kind_named("certification"), cert, "es", {"title": "Nivel 2"})
        db.session.commit()
    page = (
        client_for(tenant).get(f"/verify/{certificate.serial}", follow_redirects=True).get_data(as_text=True)
    )
    assert "Food Handler" in page and "Nivel 2" not in page
