"""The top bar stays short; administration lives behind one Admin entry with its own section navigation."""

from __future__ import annotations

import lxml.html  # installed with svglib (certificate PDFs)


def _page(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return lxml.html.fromstring(response.get_data(as_text=True))


def _top_bar(page):
    return [a.text_content().strip() for a in page.xpath("//nav[contains(@class, 'main-nav')]//a")]


def _admin_nav(page):
    lists = page.xpath("//details[@id='admin-nav']//nav//ul")
    if not lists:
        return None
    return {
        page.get_element_by_id(ul.get("aria-labelledby")).text_content().strip(): [
            a.text_content().strip() for a in ul.xpath(".//a")
        ]
        for ul in lists
    }


def _current(page, where):
    return [(a.get("href"), a.get("aria-current")) for a in page.xpath(f"{where}//a[@aria-current]")]


def test_tenant_admin_top_bar_is_short_and_admin_pages_share_a_section_navigation(
    db, tenant_factory, user_factory, client_for
):
    tenant = tenant_factory()
    admin = user_factory(tenant, roles=("tenant_admin", "learner"))
    client = client_for(tenant, admin)

    home = _page(client, "/")
    assert _top_bar(home)[-1] == "Admin" and len(_top_bar(home)) <= 5
    assert "People" not in _top_bar(home) and "Branding" not in _top_bar(home)
    assert _admin_nav(home) is None  # a learner page has no admin side navigation

    for path in ("/admin/users", "/admin/groups", "/admin/courses", "/admin/policies/", "/admin/branding"):
        sections = _admin_nav(_page(client, path))
        assert sections == {
            "People and access": ["People", "Organisation", "Groups", "Roles", "Sign-in", "Integrations"],
            "Learning content": ["Courses", "Paths", "Quizzes", "Certifications", "Rules", "Library"],
            "Compliance": [
                "Policies",
                "Locations",
                "Partner program",
                "Partner tiers",
                "Audit log",
                "Reports",
            ],
            "Portal": ["Branding", "Terminology", "Translations"],
        }, path

    groups = _page(client, "/admin/groups")
    assert _current(groups, "//details[@id='admin-nav']") == [("/admin/groups", "page")]
    assert _current(groups, "//nav[contains(@class, 'main-nav')]") == [("/admin/users", "true")]
    new_person = _page(client, "/admin/users/new")  # a page inside a section marks its section
    assert _current(new_person, "//details[@id='admin-nav']") == [("/admin/users", "true")]


def test_author_reaches_only_content_sections_through_admin(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    author = user_factory(tenant, roles=("author", "learner"))
    client = client_for(tenant, author)
    home = _page(client, "/")
    assert [a.get("href") for a in home.xpath("//nav[contains(@class, 'main-nav')]//a[.='Admin']")] == [
        "/admin/courses"
    ]
    sections = _admin_nav(_page(client, "/admin/courses"))
    assert list(sections) == ["Learning content"] and sections["Learning content"][:3] == [
        "Courses",
        "Paths",
        "Quizzes",
    ]


def test_learner_sees_no_admin_entry(db, tenant_factory, user_factory, client_for):
    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant))
    assert _top_bar(_page(client, "/")) == ["My learning", "Catalog", "My certifications"]


def test_the_top_bar_is_kept_per_language_and_per_what_each_person_may_reach(
    db, tenant_factory, user_factory, client_for
):
    """The top bar's links are built once per process; each person still gets their own, in their language."""
    tenant = tenant_factory(enabled_locales=["en", "fr"])
    learner = client_for(tenant, user_factory(tenant))
    author = client_for(tenant, user_factory(tenant, roles=("author", "learner")))
    french = client_for(tenant, user_factory(tenant, locale="fr"))
    for _ in range(2):  # the second time from what the first built
        assert _top_bar(_page(learner, "/")) == ["My learning", "Catalog", "My certifications"]
        assert _top_bar(_page(author, "/"))[-1] == "Admin"
        top_bar = _top_bar(_page(french, "/"))
        assert "Admin" not in top_bar and "My learning" not in top_bar and len(top_bar) == 3
    catalog = _page(learner, "/catalog")
    assert _current(catalog, "//nav[contains(@class, 'main-nav')]") == [("/catalog", "page")]


def test_the_top_bar_follows_a_change_of_what_a_persons_role_allows(
    db, tenant_factory, user_factory, client_for
):
    """The entries open to a set of permissions are kept: a role that allows more shows more at once."""
    from app.accounts.services import role_by_key
    from app.tenancy import as_tenant

    tenant = tenant_factory()
    client = client_for(tenant, user_factory(tenant))
    assert "Admin" not in _top_bar(_page(client, "/"))
    with as_tenant(tenant):
        learner = role_by_key("learner")
        learner.permissions = [*learner.permissions, "catalog.manage"]
        db.session.commit()
    assert _top_bar(_page(client, "/"))[-1] == "Admin"
    with as_tenant(tenant):
        learner = role_by_key("learner")
        learner.permissions = [p for p in learner.permissions if p != "catalog.manage"]
        db.session.commit()
    assert "Admin" not in _top_bar(_page(client, "/"))
