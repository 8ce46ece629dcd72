"""The Integrations page: admins see every registered panel in order; nobody else gets in."""

from __future__ import annotations

from app.integrations import Panel, panels, register_panel


def test_admins_see_the_panels_in_order_and_learners_are_refused(
    app, db, tenant_factory, user_factory, client_for, tmp_path
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin",))
    learner = user_factory(tenant)
    before = panels(app)
    (tmp_path / "integrations").mkdir()
    for key in ("zeta", "alpha"):
        (tmp_path / "integrations" / f"_{key}.html").write_text(
            f'<h2 id="{key}-heading">{key.title()} panel</h2><p>{{{{ data.count }}}} {key} things</p>'
        )
    loader = app.jinja_loader
    from jinja2 import ChoiceLoader, FileSystemLoader

    app.jinja_loader = ChoiceLoader([loader, FileSystemLoader(str(tmp_path))])  # type: ignore[assignment]
    app.jinja_env.cache = {}
    try:
        register_panel(app, Panel("zeta", 20, "integrations/_zeta.html", lambda: {"count": 2}))
        register_panel(app, Panel("alpha", 10, "integrations/_alpha.html", lambda: {"count": 1}))
        page = client_for(tenant, admin).get("/admin/integrations")
        body = page.get_data(as_text=True)
        assert page.status_code == 200
        assert body.index("Alpha panel") < body.index("Zeta panel")
        assert "1 alpha things" in body and "2 zeta things" in body
        assert 'aria-labelledby="alpha-heading"' in body
        assert client_for(tenant, learner).get("/admin/integrations").status_code == 403
    finally:
        app.extensions["atrium.integrations"][:] = before
        app.jinja_loader = loader  # type: ignore[assignment]
        app.jinja_env.cache = {}
