"""One list of time zones everywhere: current IANA zones by region; an older saved name is kept."""

from __future__ import annotations

import re

from app.tenancy import as_tenant
from app.timezones import current_zones, time_zone_choices
from tests.conftest import csrf_token


def _options(page: str, select_id: str) -> list[str]:
    select = page.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option(?: selected)? value="([^"]*)"', select)


def test_the_list_holds_current_zones_only_sorted_and_grouped_by_region():
    zones = current_zones()
    assert "Europe/Paris" in zones and "Africa/Asmara" in zones and "UTC" in zones
    for retired in ("Africa/Asmera", "US/Eastern", "localtime", "posixrules", "Factory", "GB", "Etc/GMT+5"):
        assert retired not in zones
    assert list(zones) == sorted(zones)
    choices = time_zone_choices()
    paris = next(c for c in choices if c.value == "Europe/Paris")
    assert paris.optgroup == "Europe" and re.fullmatch(r"Paris \(UTC\+0[12]:00\)", paris.label)
    buenos_aires = next(c for c in choices if c.value == "America/Argentina/Buenos_Aires")
    assert buenos_aires.label.startswith("Argentina / Buenos Aires (UTC-03:00)")


def test_every_time_zone_control_offers_the_same_grouped_list(db, tenant_factory, user_factory, client_for):
    from sqlalchemy import select

    from app.tenancy.models import Tenant

    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin", "learner"))
    client = client_for(tenant, admin)
    platform = db.session.scalars(select(Tenant).where(Tenant.is_platform.is_(True))).one()
    operator = client_for(platform, user_factory(platform, roles=("operator",)))
    pages = {
        "account": (client.get("/account").get_data(as_text=True), "time_zone"),
        "user form": (client.get("/admin/users/new").get_data(as_text=True), "time_zone"),
        "tenant settings": (client.get("/admin/branding").get_data(as_text=True), "locale-time_zone"),
        "console": (operator.get("/console/").get_data(as_text=True), "time_zone"),
    }
    for name, (page, select_id) in pages.items():
        offered = [value for value in _options(page, select_id) if value]
        assert set(offered) == set(current_zones()), name
        assert '<optgroup label="Europe">' in page, name
        assert "Africa/Asmera" not in page and "localtime" not in page, name


def test_an_older_saved_name_is_shown_and_kept_but_cannot_be_newly_chosen(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin", "learner"))
    with as_tenant(tenant):
        admin.time_zone = "Africa/Asmera"  # saved before the list was current-only
        db.session.commit()
    client = client_for(tenant, admin)
    page = client.get("/account").get_data(as_text=True)
    assert '<option selected value="Africa/Asmera">Africa/Asmera (UTC+03:00)</option>' in page

    kept = client.post(
        "/account",
        data={"csrf_token": csrf_token(client, "/account"), "locale": "", "time_zone": "Africa/Asmera"},
    )
    assert kept.status_code == 302
    with as_tenant(tenant):
        db.session.refresh(admin)
        assert admin.time_zone == "Africa/Asmera"

    other = user_factory(tenant)
    url = f"/admin/users/{other.id}"
    refused = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "email": other.email,
            "full_name": other.full_name,
            "time_zone": "US/Eastern",
        },
    )
    assert refused.status_code == 422
    assert "Choose a time zone from the list." in refused.get_data(as_text=True)
    with as_tenant(tenant):
        db.session.refresh(other)
        assert other.time_zone is None


def test_tenant_settings_refuse_a_zone_outside_the_list(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant, roles=("tenant_admin",)))
    token = csrf_token(client, "/admin/branding")
    refused = client.post(
        "/admin/branding/languages",
        data={
            "locale-csrf_token": token,
            "locale-enabled_locales": ["en"],
            "locale-default_locale": "en",
            "locale-time_zone": "localtime",
        },
    )
    assert refused.status_code == 422 and "Choose a time zone from the list." in refused.get_data(
        as_text=True
    )
    db.session.refresh(tenant)
    assert tenant.time_zone == "UTC"
