"""Each tenant's portal renders in its own theme; template lookup is tenant-aware and cached per theme."""

from __future__ import annotations

import pytest

from app.tenancy.themes import available_themes


def test_at_least_three_visibly_different_themes_ship():
    themes = available_themes()
    assert {"default", "corporate", "warm", "midnight"} <= set(themes)
    backgrounds = {t.variables["color-bg"] for t in themes.values()}
    fonts = {t.variables.get("heading-font") for t in themes.values()}
    assert len(backgrounds) >= 3 and len(fonts) >= 2


def test_two_tenants_render_the_same_template_in_their_own_theme(tenant_factory, client_for):
    # Interleave the requests so a per-process template cache keyed only by name would leak.
    warm = tenant_factory(display_name="Warm Bistro", theme="warm")
    plain = tenant_factory(display_name="Plain Co", theme="default")
    dark = tenant_factory(display_name="Dark Partners", theme="midnight")
    for _ in range(2):
        warm_page = client_for(warm).get("/sign-in").get_data(as_text=True)
        plain_page = client_for(plain).get("/sign-in").get_data(as_text=True)
        dark_page = client_for(dark).get("/sign-in").get_data(as_text=True)
        # The warm theme overrides one block of the sign-in page ...
        assert "Every shift starts with a good welcome." in warm_page
        assert "Every shift starts with a good welcome." not in plain_page
        # ... the midnight theme overrides the layout's footer ...
        assert "Partner portal" in dark_page and "Partner portal" not in plain_page
        # ... and everything else comes from the app's own template.
        for page in (warm_page, plain_page, dark_page):
            assert 'name="password"' in page
        assert "theme-warm" in warm_page and "themes/warm/theme.css" in warm_page
        assert "theme-default" in plain_page and "themes/default/theme.css" not in plain_page


def test_brand_stylesheet_carries_the_tenants_colours_over_its_theme(tenant_factory, client_for):
    tenant = tenant_factory(theme="warm", branding={"primary": "#9a3412", "accent": "#7c2d12"})
    css = client_for(tenant).get("/brand.css")
    assert css.mimetype == "text/css"
    body = css.get_data(as_text=True)
    assert "--color-primary: #9a3412;" in body
    assert "--color-bg: #fffaf2;" in body  # from the warm theme
    assert "--color-primary-text: #ffffff;" in body  # readable text on the brand colour


def test_theme_static_files_are_served_and_paths_cannot_escape(app):
    client = app.test_client()
    with client.get("/themes/warm/theme.css") as response:
        assert response.status_code == 200 and response.mimetype == "text/css"
    assert client.get("/themes/warm/../theme.toml").status_code == 404
    assert client.get("/themes/nope/theme.css").status_code == 404


@pytest.mark.parametrize("slug,theme", [("acme", "corporate"), ("partners", "midnight"), ("bistro", "warm")])
def test_demo_tenants_brand_colours_pass_contrast_on_their_theme(slug, theme):
    from app.demo import TENANTS
    from app.tenancy.branding import check_colour
    from app.tenancy.themes import get_theme

    spec = next(t for t in TENANTS if t["slug"] == slug)
    assert spec["theme"] == theme
    for field in ("primary", "accent"):
        assert check_colour(get_theme(theme), field, spec["branding"][field]).ok


def test_compiled_templates_are_kept_in_the_instance_folder_for_the_next_worker(
    app, tenant_factory, client_for
):
    from pathlib import Path

    from app.tenancy.themes import TemplateBytecodeCache

    cache = app.jinja_env.bytecode_cache
    assert isinstance(cache, TemplateBytecodeCache)
    assert Path(cache.directory) == Path(app.instance_path) / "jinja-bytecode"
    assert client_for(tenant_factory(theme="warm")).get("/sign-in").status_code == 200
    # A new worker finds the sign-in page's code compiled for this theme, checked against its source.
    name = "@warm/accounts/sign_in.html"
    source, filename, _uptodate = app.jinja_env.loader.get_source(app.jinja_env, name)
    bucket = cache.get_bucket(app.jinja_env, name, filename, source)
    assert bucket.code is not None
    changed = cache.get_bucket(app.jinja_env, name, filename, source + "<!-- edited -->")
    assert changed.code is None


def test_a_bytecode_folder_that_cannot_be_written_only_means_no_cache(tmp_path):
    from jinja2 import DictLoader, Environment

    from app.tenancy.themes import bytecode_cache

    blocker = tmp_path / "instance"
    blocker.write_text("a file where the instance folder should be")
    assert bytecode_cache(str(blocker)) is None
    cache = bytecode_cache(str(tmp_path / "gone"))
    assert cache is not None
    loader = DictLoader({"page.html": "{{ 1 + 1 }}"})
    environment = Environment(autoescape=True, loader=loader, bytecode_cache=cache)
    (tmp_path / "gone" / "jinja-bytecode").rmdir()  # removed under a running worker
    assert environment.get_template("page.html").render() == "2"
