"""Every shipped locale is complete: no missing, empty or fuzzy message, and placeholders match the source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app.tenancy.services import SUPPORTED_LOCALES

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]|%[sdif]")
SHIPPED = [loc for loc in SUPPORTED_LOCALES if loc != "en"]  # English is the source language


@pytest.fixture(scope="module")
def source_catalog(tmp_path_factory):
    """Extract the messages from the code as it is now, not from a possibly stale messages.pot."""
    import os

    from babel.messages.frontend import CommandLineInterface

    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    previous = Path.cwd()
    os.chdir(ROOT)
    try:
        CommandLineInterface().run(
            [
                "pybabel",
                "-q",
                "extract",
                "-F",
                "babel.cfg",
                "-k",
                "_l",
                "-k",
                "lazy_gettext",
                "-o",
                str(pot),
                ".",
            ]
        )
    finally:
        os.chdir(previous)
    with pot.open("rb") as handle:
        return read_po(handle)


def _placeholders(text: str) -> list[str]:
    return sorted(m.group(0) for m in PLACEHOLDER.finditer(text))


def _catalog(locale: str):
    with (ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


@pytest.mark.parametrize("locale", SHIPPED)
def test_locale_has_every_message_translated_and_none_fuzzy(locale, source_catalog):
    catalog = _catalog(locale)
    problems = []
    for message in source_catalog:
        if not message.id:
            continue
        translated = catalog.get(message.id, context=message.context)
        key = message.id if isinstance(message.id, str) else message.id[0]
        if message.context:
            key = f"{key} (context: {message.context})"
        if translated is None:
            problems.append(f"missing: {key!r}")
        elif translated.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        elif isinstance(translated.string, tuple | list):
            if not all(translated.string):
                problems.append(f"empty plural form: {key!r}")
        elif not translated.string:
            problems.append(f"empty: {key!r}")
    assert not problems, (
        f"{locale}: {len(problems)} problems; run `make translations` and translate:\n"
        + "\n".join(problems[:40])
    )


@pytest.mark.parametrize("locale", SHIPPED)
def test_translations_keep_the_placeholders_of_the_source(locale):
    problems = []
    for message in _catalog(locale):
        strings = message.string if isinstance(message.string, tuple | list) else [message.string]
        if not message.id or not any(strings):
            continue  # untranslated: the completeness test reports it
        if isinstance(message.id, tuple | list):
            allowed = set(_placeholders(message.id[1])) | set(_placeholders(message.id[0]))
            forms = list(message.string)
            for form in forms:
                extra = set(_placeholders(form)) - allowed
                if extra:
                    problems.append(f"{message.id[0]!r}: unknown placeholders {sorted(extra)}")
            if forms and _placeholders(forms[-1]) != _placeholders(message.id[1]):
                problems.append(
                    f"{message.id[0]!r}: the 'other' plural form must keep {_placeholders(message.id[1])}"
                )
        elif _placeholders(message.string) != _placeholders(message.id):
            problems.append(f"{message.id!r}: {_placeholders(message.string)} != {_placeholders(message.id)}")
    assert not problems, f"{locale}:\n" + "\n".join(problems)


def test_pages_are_served_in_the_browsers_language_among_the_tenants(tenant_factory, client_for):
    tenant = tenant_factory(default_locale="en", enabled_locales=["en", "es", "ar"])
    client = client_for(tenant)
    spanish = client.get("/sign-in", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    page = spanish.get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in page
    assert "Iniciar sesión" in page  # the Spanish catalog is used
    german = client.get("/sign-in", headers={"Accept-Language": "de"})  # not enabled here: tenant default
    assert '<html lang="en"' in german.get_data(as_text=True)
    arabic = client.get("/sign-in", headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in arabic.get_data(as_text=True)


def test_language_switcher_sets_the_language_and_remembers_it_for_a_signed_in_user(
    db, tenant_factory, user_factory, client_for
):
    from tests.conftest import csrf_token

    tenant = tenant_factory(enabled_locales=["en", "fr"])
    user = user_factory(tenant)
    client = client_for(tenant, user)
    token = csrf_token(client, "/account")
    response = client.post("/language", data={"csrf_token": token, "locale": "fr", "next": "/account"})
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert '<html lang="fr"' in client.get("/account").get_data(as_text=True)
    from app.tenancy import as_tenant

    with as_tenant(tenant):
        db.session.refresh(user)
    assert user.locale == "fr"
    refused = client.post("/language", data={"csrf_token": token, "locale": "de"}, follow_redirects=True)
    assert '<html lang="fr"' in refused.get_data(as_text=True)


def test_dates_are_shown_in_the_users_time_zone_and_language(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory(time_zone="America/Chicago", enabled_locales=["en", "de"])
    user = user_factory(tenant, time_zone="Asia/Tokyo", locale="de")
    page = client_for(tenant, user).get("/account").get_data(as_text=True)
    assert "Japanische Normalzeit" in page  # the sign-in time, in German, in Tokyo time
    assert re.search(r">vor \d+ (Sekunde|Sekunden|Minute|Minuten)<", page)  # and how long ago, in German


def test_tenant_time_zone_applies_when_the_user_has_none(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory(time_zone="America/Chicago")
    user = user_factory(tenant)
    page = client_for(tenant, user).get("/account").get_data(as_text=True)
    assert "Central Standard Time" in page or "Central Daylight Time" in page
