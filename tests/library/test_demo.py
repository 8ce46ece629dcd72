"""The demo library package: published once, aimed at every audience, deployed to the demo's portals."""

from __future__ import annotations

from sqlalchemy import select

from app.library import services
from app.library.demo import SLUG, load_library_demo
from app.library.models import LibraryPackage
from app.tenancy import as_tenant


def test_demo_package_is_published_targeted_and_deployed_once(db, tenant_factory):
    tenant = tenant_factory(audience="franchise")
    bystander = tenant_factory(audience="franchise")
    load_library_demo((tenant.slug,))
    load_library_demo((tenant.slug,))  # safe to run again
    package = db.session.scalars(select(LibraryPackage).where(LibraryPackage.slug == SLUG)).one()
    assert package.title == "Security Awareness Essentials"
    assert [(v.number, v.status) for v in package.versions] == [(1, "published")]
    assert sorted(package.audiences) == ["customers", "employees", "franchise", "partners"]
    assert package.auto_deploy and package.partner_tiers == []
    lessons = package.latest_published.lessons
    pages = [lesson for lesson in lessons if lesson["kind"] == "page"]
    videos = [lesson for lesson in lessons if lesson["kind"] == "video"]
    assert {p["title"] for p in pages} == {
        "Recognising phishing",
        "Passwords and passphrases",
        "Reporting a security incident",
    }
    assert all(p["markdown"].count("\n\n") >= 3 for p in pages)  # several paragraphs each
    (video,) = videos
    assert video["url"].startswith("https://") and video["captions_language"] == "en" and video["transcript"]
    with as_tenant(tenant):
        deployment = services.find_deployment(package)
        assert deployment is not None and deployment.version.number == 1
        course = services.course_for(deployment)
        assert course.title == "Security Awareness Essentials" and len(course.lessons) == 5
        # The closing quiz arrived as the tenant's own, with its three questions.
        from app.assessments.models import Quiz
        from app.assessments.services import question_count

        quiz = db.session.get(Quiz, course.lessons[4].content["quiz_id"])
        assert quiz is not None and quiz.tenant_id == tenant.id and question_count(quiz) == 3
        assert "<strong>" in course.lessons[0].content["html"]
    with as_tenant(bystander):  # a portal that is not one of the demo's keeps its catalogue as it was
        assert services.find_deployment(package) is None
