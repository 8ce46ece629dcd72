"""A portal's own words for interface messages: overrides per language, seen by that portal only."""

from __future__ import annotations

import io
import re
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask_babel import force_locale, gettext, ngettext

from app.audit.models import AuditEvent
from app.tenancy import as_tenant
from app.terminology import catalogs, services
from app.terminology.catalogs import shipped_message, terminology_cache
from app.terminology.models import MessageOverride
from tests.conftest import csrf_token

PLURAL = ("%(num)d person added to %(name)s.", "%(num)d people added to %(name)s.")


def _edit_url(locale: str, msgid: str) -> str:
    from urllib.parse import urlencode

    return f"/admin/terminology/{locale}/message?{urlencode({'msgid': msgid})}"


def _save(client: Any, locale: str, msgid: str, *forms: str, action: str = "save") -> Any:
    url = _edit_url(locale, msgid)
    data = {"csrf_token": csrf_token(client, url), "action": action}
    data.update({f"forms-{i}": text for i, text in enumerate(forms)})
    return client.post(url, data=data)


@pytest.fixture
def portals(tenant_factory: Any, user_factory: Any, client_for: Any) -> dict[str, Any]:
    bistro = tenant_factory(enabled_locales=["en", "es", "ar"], default_locale="en")
    acme = tenant_factory(enabled_locales=["en", "es"], default_locale="en")
    translator = user_factory(bistro, roles=("translator",))
    return {
        "bistro": bistro,
        "acme": acme,
        "translator": client_for(bistro, translator),
        "acme_admin": client_for(acme, user_factory(acme, roles=("tenant_admin", "learner"))),
        "translator_user": translator,
    }


def test_a_translator_rewords_sign_out_and_only_their_portal_says_it(portals):
    translator = portals["translator"]
    assert 'href="/admin/terminology"' in translator.get("/account").get_data(as_text=True)
    response = _save(translator, "en", "Sign out", "Clock out")
    assert response.status_code == 302
    page = translator.get("/account").get_data(as_text=True)
    assert "Clock out" in page and ">Sign out<" not in page
    acme_page = portals["acme_admin"].get("/account").get_data(as_text=True)
    assert "Sign out" in acme_page and "Clock out" not in acme_page
    # The portal's Spanish is untouched by an English override.
    with as_tenant(portals["bistro"]), force_locale("es"):
        catalogs.forget_in_this_context()
        assert gettext("Sign out") != "Clock out"


def test_the_terminology_page_is_for_translators_and_admins_only(portals, user_factory, client_for):
    learner = client_for(portals["bistro"], user_factory(portals["bistro"], roles=("learner",)))
    assert learner.get("/admin/terminology").status_code == 403
    page = portals["acme_admin"].get("/admin/terminology?locale=es&q=Sign+out").get_data(as_text=True)
    assert "Sign out" in page and "Cerrar sesión" in unescape(page)
    nav = portals["translator"].get("/admin/terminology").get_data(as_text=True)
    assert "Terminology" in nav and "messages found" in nav


def test_search_finds_a_message_by_its_current_wording_and_pages_by_fifty(portals):
    translator = portals["translator"]
    _save(translator, "es", "Sign out", "Fichar salida")
    page = unescape(translator.get("/admin/terminology?locale=es&q=fichar").get_data(as_text=True))
    assert "Fichar salida" in page and "1 message found." in page
    with as_tenant(portals["bistro"]):
        rows, total = services.search("en", "", page=2)
    assert len(rows) == services.PER_PAGE and total > 100


def test_a_missing_or_added_placeholder_is_refused_naming_it_and_the_text_is_kept(portals):
    translator = portals["translator"]
    msgid = "Welcome, %(name)s"
    if shipped_message(msgid) is None:
        msgid = next(
            m.msgid for m in catalogs.shipped_messages() if m.msgid_plural is None and "%(name)s" in m.msgid
        )
    response = _save(translator, "en", msgid, "Hello there")
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert "The placeholder %(name)s is missing" in body and "Hello there" in body
    response = _save(translator, "en", msgid, msgid + " %(email)s")
    assert "The placeholder %(email)s is not in the original message" in unescape(
        response.get_data(as_text=True)
    )
    with as_tenant(portals["bistro"]):
        assert services.overrides_for("en") == {}


def test_plural_forms_each_get_a_text_and_arabic_has_six(portals):
    translator = portals["translator"]
    page = translator.get(_edit_url("ar", PLURAL[0])).get_data(as_text=True)
    assert len(re.findall(r'name="forms-\d"', page)) == 6
    response = _save(
        translator,
        "en",
        PLURAL[0],
        "%(num)d crew member added to %(name)s.",
        "%(num)d crew added to %(name)s.",
    )
    assert response.status_code == 302
    with as_tenant(portals["bistro"]), force_locale("en"):
        catalogs.forget_in_this_context()
        assert ngettext(*PLURAL, num=1, name="Downtown") == "1 crew member added to Downtown."
        assert ngettext(*PLURAL, num=4, name="Downtown") == "4 crew added to Downtown."
    # Wrong: the plural form dropped %(name)s.
    response = _save(
        translator, "en", PLURAL[0], "%(num)d crew member added to %(name)s.", "%(num)d crew added."
    )
    assert response.status_code == 422 and "%(name)s is missing" in unescape(response.get_data(as_text=True))


def test_preview_fills_in_sample_values_and_saves_nothing(portals):
    translator = portals["translator"]
    response = _save(
        translator,
        "en",
        PLURAL[0],
        "%(num)d hire for %(name)s.",
        "%(num)d hires for %(name)s.",
        action="preview",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 hire for Lee Learner." in body and "0 hires for Lee Learner." in body
    with as_tenant(portals["bistro"]):
        assert services.overrides_for("en") == {}


def test_revert_brings_back_the_shipped_wording_and_both_are_audited(portals, db, user_factory, client_for):
    translator = portals["translator"]
    admin = client_for(portals["bistro"], user_factory(portals["bistro"], roles=("tenant_admin",)))
    _save(translator, "en", "Sign out", "Clock out")
    url = "/admin/terminology/en/message/revert?msgid=Sign+out"
    response = translator.post(url, data={"csrf_token": csrf_token(translator, _edit_url("en", "Sign out"))})
    assert response.status_code == 302
    assert ">Sign out<" in translator.get("/account").get_data(as_text=True)
    audit_page = unescape(portals["acme_admin"].get("/admin/audit").get_data(as_text=True))
    assert "Clock out" not in audit_page  # the other portal's log says nothing of it
    with as_tenant(portals["bistro"]):
        actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.seq)]
    assert actions[-2:] == ["terminology.changed", "terminology.reverted"]
    log = re.sub(r"<[^>]+>", "", unescape(admin.get("/admin/audit").get_data(as_text=True)))
    assert "reworded “Sign out” in en: Sign out → Clock out" in log
    assert "put back the shipped wording of “Sign out” in en: Clock out → Sign out" in log


def test_theme_overrides_sit_between_the_shipped_catalog_and_the_portals_own(
    app, portals, tenant_factory, user_factory, client_for, tmp_path
):
    theme_po = tmp_path / "warm" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
    theme_po.parent.mkdir(parents=True)
    theme_po.write_text(
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        'msgid "Sign out"\nmsgstr "Leave the kitchen"\n\nmsgid "Account"\nmsgstr "My locker"\n'
    )
    cache = terminology_cache(app)
    previous, cache.themes_root = cache.themes_root, Path(tmp_path)
    cache.advance()
    try:
        warm = tenant_factory(theme="warm")
        client = client_for(warm, user_factory(warm, roles=("translator",)))
        page = client.get("/account").get_data(as_text=True)
        assert "Leave the kitchen" in page
        assert _save(client, "en", "Sign out", "Clock out").status_code == 302
        page = client.get("/account").get_data(as_text=True)
        assert "Clock out" in page and "Leave the kitchen" not in page
        # A portal of another theme keeps the shipped words.
        plain = portals["acme_admin"].get("/account").get_data(as_text=True)
        assert "Leave the kitchen" not in plain and "Sign out" in plain
    finally:
        cache.themes_root = previous
        cache.advance()


def test_the_warm_theme_ships_crew_member_for_learner():
    translations = catalogs.theme_translations("warm", "en")
    assert translations is not None and translations.gettext("Learner") == "Crew member"


def test_a_po_file_round_trips_through_export_and_import(portals):
    translator = portals["translator"]
    _save(translator, "es", "Sign out", "Fichar salida")
    _save(translator, "es", PLURAL[0], "%(num)d persona en %(name)s.", "%(num)d personas en %(name)s.")
    exported = translator.get("/admin/terminology/es/export.po")
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    text = exported.get_data(as_text=True)
    assert 'msgstr "Fichar salida"' in text and "Language: es" in text and portals["bistro"].slug in text
    edited = text.replace("Fichar salida", "Salir del turno")
    response = _import(translator, "es", edited)
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "0 added, 1 changed, 1 unchanged." in body
    with as_tenant(portals["bistro"]):
        assert services.overrides_for("es")[("Sign out", "")].translations == ["Salir del turno"]
    # The same file in acme adds, and changes nothing at bistro.
    assert "2 added" in unescape(_import(portals["acme_admin"], "es", edited).get_data(as_text=True))


def _import(client: Any, locale: str, text: str) -> Any:
    url = f"/admin/terminology/{locale}/import"
    data = {"csrf_token": csrf_token(client, url), "po_file": (io.BytesIO(text.encode()), "terms.po")}
    return client.post(url, data=data, content_type="multipart/form-data")


def test_a_broken_po_file_changes_nothing_and_lists_every_problem_with_its_line(portals):
    translator = portals["translator"]
    po = (
        'msgid ""\nmsgstr ""\n"Language: es\\n"\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        'msgid "Sign out"\nmsgstr "Fichar salida"\n\n'
        'msgid "No such message anywhere"\nmsgstr "Nada"\n\n'
        f'#, python-format\nmsgid "{PLURAL[0]}"\nmsgid_plural "{PLURAL[1]}"\n'
        'msgstr[0] "%(num)d persona en %(name)s."\nmsgstr[1] "%(num)d personas en %(name)s %(oops)s."\n\n'
        '#, fuzzy\nmsgid "Account"\nmsgstr "Cuenta quizá"\n'
    )
    response = _import(translator, "es", po)
    body = unescape(response.get_data(as_text=True))
    assert response.status_code == 422 and "Nothing was imported" in body
    assert "not a message of this application" in body and "No such message anywhere" in body
    assert "%(oops)s is not in the original message" in body
    assert "marked fuzzy" in body
    assert re.search(r">\s*9\s*<", body), "the unknown message's line is shown"
    with as_tenant(portals["bistro"]):
        assert services.overrides_for("es") == {}
    garbage = _import(translator, "es", 'msgid "unterminated\n')
    assert garbage.status_code == 422 and "Nothing was imported" in garbage.get_data(as_text=True)


def test_a_page_costs_the_same_queries_with_1_or_100_overrides(portals, count_queries, db):
    translator = portals["translator"]
    messages = [m for m in catalogs.shipped_messages() if m.msgid_plural is None and not m.python_format][
        :100
    ]

    def add(batch: list[Any]) -> None:
        with as_tenant(portals["bistro"]):
            for m in batch:
                db.session.add(
                    MessageOverride(
                        locale="en", msgid=m.msgid, context=m.context, translations=[m.msgid + "!"]
                    )
                )
            db.session.commit()

    def queries() -> int:
        translator.get("/account")  # the first request after a change builds the portal's catalog
        with count_queries() as counter:
            assert translator.get("/account").status_code == 200
        return counter.count

    add(messages[:1])
    one = queries()
    add(messages[1:])
    hundred = queries()
    assert one == hundred
    # Building the catalog after a change is one query, whatever the number of overrides.
    add_one_more = [m for m in catalogs.shipped_messages() if m.msgid_plural is None and not m.python_format][
        100:101
    ]
    add(add_one_more)
    with count_queries() as first:
        translator.get("/account")
    assert first.count <= hundred + 2


def test_a_rewording_saved_through_one_worker_shows_at_the_others_next_request(
    workers, tenant_factory, user_factory
):
    tenant = tenant_factory()
    translator = user_factory(tenant, roles=("translator",))
    a, b = workers(tenant, translator.email, warm="/account")
    assert ">Sign out<" in b.get("/account").get_data(as_text=True)
    assert _save(a, "en", "Sign out", "Clock out").status_code == 302
    assert "Clock out" in b.get("/account").get_data(as_text=True)


def test_the_admin_sections_are_built_once_yet_show_a_rewording_at_once_and_in_its_portal_only(
    portals, user_factory, client_for
):
    """The admin area's links are kept per process by the catalogs they were translated with."""
    import lxml.html  # installed with svglib (certificate PDFs)

    def admin_links(client: Any) -> list[str]:
        page = lxml.html.fromstring(client.get("/admin/users").get_data(as_text=True))
        return [a.text_content().strip() for a in page.xpath("//details[@id='admin-nav']//nav//a")]

    bistro = portals["bistro"]
    bistro_admin = client_for(bistro, user_factory(bistro, roles=("tenant_admin", "learner")))
    for _ in range(2):  # the second time from what the first built
        assert "Audit log" in admin_links(bistro_admin) and "Audit log" in admin_links(portals["acme_admin"])
    assert _save(portals["translator"], "en", "Audit log", "Activity record").status_code == 302
    reworded = admin_links(bistro_admin)
    assert "Activity record" in reworded and "Audit log" not in reworded
    assert "Audit log" in admin_links(portals["acme_admin"]) and "Activity record" not in admin_links(
        portals["acme_admin"]
    )


def test_the_top_bar_is_built_once_yet_shows_a_rewording_at_once_and_in_its_portal_only(
    portals, user_factory, client_for
):
    """The top bar's links are kept per process by the catalogs they were translated with, as the admin's."""
    import lxml.html  # installed with svglib (certificate PDFs)

    def top_bar(client: Any) -> list[str]:
        page = lxml.html.fromstring(client.get("/account").get_data(as_text=True))
        return [a.text_content().strip() for a in page.xpath("//nav[contains(@class, 'main-nav')]//a")]

    bistro = portals["bistro"]
    bistro_learner = client_for(bistro, user_factory(bistro))
    for _ in range(2):  # the second time from what the first built
        assert "Catalog" in top_bar(bistro_learner) and "Catalog" in top_bar(portals["acme_admin"])
    assert _save(portals["translator"], "en", "Catalog", "Course shop").status_code == 302
    reworded = top_bar(bistro_learner)
    assert "Course shop" in reworded and "Catalog" not in reworded
    assert "Catalog" in top_bar(portals["acme_admin"]) and "Course shop" not in top_bar(portals["acme_admin"])
