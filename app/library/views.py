"""Library screens: the platform console's packages and versions, and a tenant's deployed library courses."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.accounts import permissions as perms
from app.accounts.access import get_or_404, require_permission
from app.errors import ValidationError
from app.extensions import db
from app.forms import ConfirmForm, apply_error, as_choices, form_status
from app.library import services
from app.library.forms import DeployForm, NewPackageForm, PackageForm, PublishForm, TargetingForm
from app.library.models import LibraryDeployment, LibraryPackage, LibraryVersion
from app.locales import LOCALE_NAMES
from app.tenancy import unscoped
from app.tenancy.models import Tenant, TenantStatus

bp = Blueprint("library", __name__)

LESSON_FIELDS = ("kind", "title", "required", "markdown", "url", "captions_language", "transcript", "quiz_id")


# -- helpers ------------------------------------------------------------------------------------------------


def _load_package(package_id: int) -> LibraryPackage:
    package = services.get_package(package_id)
    if package is None:
        abort(404)
    return package


def _certification_data(definition: dict[str, Any] | None) -> dict[str, Any]:
    definition = definition or {}
    text = {key: "" if definition.get(key) is None else str(definition[key]) for key in CERTIFICATION_FIELDS}
    text["reminder_days"] = ", ".join(str(d) for d in definition.get("reminder_days") or [])
    data: dict[str, Any] = {f"certification_{key}": value for key, value in text.items()}
    data["certification_everyone"] = bool(definition.get("everyone"))
    return data


CERTIFICATION_FIELDS = (
    "title",
    "validity_months",
    "renewal_window_days",
    "grace_days",
    "reminder_days",
    "min_score",
)


def _package_form(version: LibraryVersion | None) -> PackageForm:
    if request.method == "POST" and request.form.get("action") in ("save", "publish", "add_lesson"):
        form = PackageForm()
    elif version is not None:
        form = PackageForm(
            formdata=None,
            data={
                "title": version.title,
                "description": version.description,
                "language": version.language,
                "duration_minutes": version.duration_minutes,
                "category": version.category or "",
                "tags": ", ".join(version.tags or []),
                **_certification_data(version.certification),
                "lessons": [
                    {
                        "kind": lesson.get("kind", "page"),
                        "title": lesson.get("title", ""),
                        "required": lesson.get("required", True),
                        "markdown": lesson.get("markdown", ""),
                        "url": lesson.get("url", ""),
                        "captions_language": lesson.get("captions_language", "en"),
                        "transcript": lesson.get("transcript", ""),
                        "quiz_id": str(lesson.get("quiz_id") or ""),
                    }
                    for lesson in version.lessons or []
                ],
            },
        )
    else:
        form = PackageForm(formdata=None)
    languages = dict(LOCALE_NAMES)
    current = form.language.data or (version.language if version else "en")
    if current and current not in languages:
        languages[current] = current
    form.language.choices = as_choices(languages.items())
    from app.assessments.models import Quiz

    quizzes = [("", _("— no quiz —"))] + [
        (str(q.id), q.title) for q in db.session.scalars(select(Quiz).order_by(Quiz.title))
    ]
    for entry in form.lessons.entries:
        entry.form.quiz_id.choices = as_choices(quizzes)
    return form


def _targeting_form(package: LibraryPackage) -> TargetingForm:
    if request.method == "POST" and request.form.get("action") == "targeting":
        return TargetingForm()
    return TargetingForm(
        formdata=None,
        data={
            "audiences": list(package.audiences or []),
            "partner_tiers": ", ".join(package.partner_tiers or []),
            "auto_deploy": package.auto_deploy,
        },
    )


def _deploy_form(package: LibraryPackage) -> DeployForm:
    form = DeployForm() if request.endpoint == "library.console_deploy" else DeployForm(formdata=None)
    have = services.deployed_tenant_ids(package)
    tenants = db.session.scalars(
        select(Tenant)
        .where(Tenant.is_platform.is_(False), Tenant.status == TenantStatus.active.value)
        .order_by(Tenant.display_name)
    ).all()
    form.tenant_id.choices = as_choices(
        [(t.id, f"{t.display_name} ({t.slug})") for t in tenants if t.id not in have]
    )
    return form


def _deployed_to(package: LibraryPackage) -> list[tuple[Tenant, LibraryDeployment]]:
    with unscoped("platform console: which tenants have a library package"):
        deployments = db.session.scalars(
            select(LibraryDeployment).where(LibraryDeployment.package_id == package.id)
        ).all()
        tenants = {
            t.id: t
            for t in db.session.scalars(
                select(Tenant).where(Tenant.id.in_([d.tenant_id for d in deployments]))
            )
        }
        rows = [(tenants[d.tenant_id], d) for d in deployments if d.version is not None]
    rows.sort(key=lambda row: row[0].display_name.casefold())
    return rows


def _render_package(
    package: LibraryPackage,
    *,
    form: PackageForm | None = None,
    targeting: TargetingForm | None = None,
    deploy_form: DeployForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    draft = package.draft
    context: dict[str, Any] = {
        "package": package,
        "draft": draft,
        "published": package.latest_published,
        "form": form or _package_form(draft),
        "targeting": targeting or _targeting_form(package),
        "deploy_form": deploy_form or _deploy_form(package),
        "deployed_to": _deployed_to(package),
        "new_lesson_anchor": None,
    }
    if form is not None and request.form.get("action") == "add_lesson":
        context["new_lesson_anchor"] = f"lesson-{len(form.lessons.entries)}"
    return render_template("library/console_package.html", **context), status


def _submitted_lessons(form: PackageForm) -> list[dict[str, Any]]:
    """The lessons as typed, without those marked for removal or left entirely blank."""
    kept = []
    for entry in form.lessons.entries:
        data = entry.form.data
        blank = not any(
            (data.get(k) or "").strip() for k in ("title", "markdown", "url", "transcript", "quiz_id")
        )
        if data.get("remove") or blank:
            continue
        kept.append(entry)
    # Keep the form in step with what is saved, so "Lesson N" in a message matches the page.
    form.lessons.entries = kept
    return [{key: entry.form.data.get(key) for key in LESSON_FIELDS} for entry in kept]


def _save_draft(package: LibraryPackage, form: PackageForm) -> LibraryVersion:
    draft = package.draft
    assert draft is not None  # _edit_draft checked
    definition = {key: getattr(form, f"certification_{key}").data for key in CERTIFICATION_FIELDS}
    definition["everyone"] = bool(form.certification_everyone.data)
    definition["description"] = (draft.certification or {}).get("description", "")
    if services.clean_certification(definition) != draft.certification:
        services.set_certification(draft, definition)
    return services.update_draft(
        draft,
        title=form.title.data or "",
        description=form.description.data or "",
        language=form.language.data or "en",
        duration_minutes=form.duration_minutes.data or 0,
        category=form.category.data,
        tags=form.tags.data or "",
        lessons=_submitted_lessons(form),
    )


# -- the platform console -----------------------------------------------------------------------------------


@bp.route("/console/library")
@require_permission(perms.PLATFORM_LIBRARY, platform=True)
def console_packages():
    return _render_packages(NewPackageForm(formdata=None))


def _render_packages(form: NewPackageForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "library/console_packages.html",
        packages=services.list_packages(),
        counts=services.deployment_counts(),
        form=form,
    ), status


@bp.route("/console/library", methods=["POST"])
@require_permission(perms.PLATFORM_LIBRARY, platform=True)
def console_create_package():
    form = NewPackageForm()
    if form.validate_on_submit():
        try:
            package = services.create_package(form.slug.data or "", form.title.data or "")
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("“%(title)s” was created as a draft.", title=package.title), "success")
            return redirect(url_for("library.console_package", package_id=package.id))
    return _render_packages(form, 422)


@bp.route("/console/library/<int:package_id>", methods=["GET", "POST"])
@require_permission(perms.PLATFORM_LIBRARY, platform=True)
def console_package(package_id: int):
    package = _load_package(package_id)
    if request.method == "GET":
        return _render_package(package)
    action = request.form.get("action")
    if action in ("save", "publish", "add_lesson"):
        return _edit_draft(package, action)
    if action == "targeting":
        return _change_targeting(package)
    try:
        if action == "new_version":
            version = services.start_new_draft(package)
            flash(
                _("Version %(number)d is a draft: edit it, then publish it.", number=version.number),
                "success",
            )
        else:
            abort(400)
    except ValidationError as exc:
        flash(exc.message, "error")
    return redirect(url_for("library.console_package", package_id=package.id))


def _edit_draft(package: LibraryPackage, action: str) -> Any:
    if package.draft is None:
        # Published meanwhile (another tab, another operator): nothing to edit until a new version starts.
        flash(_("There is no draft to save. Start a new version to make changes."), "error")
        return redirect(url_for("library.console_package", package_id=package.id))
    form = _package_form(package.draft)
    if action == "add_lesson":
        form.lessons.append_entry()
        return _render_package(package, form=form)
    if form.validate_on_submit():
        try:
            version = _save_draft(package, form)
            if action == "publish":
                services.check_publishable(version)
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            if action == "publish":
                # Saved; publishing cannot be undone, so it is asked on a page of its own.
                return redirect(url_for("library.console_publish", package_id=package.id))
            flash(_("The draft was saved."), "success")
            return redirect(url_for("library.console_package", package_id=package.id))
    return _render_package(package, form=form, status=422)


def _confirm_form(form_class: type[ConfirmForm] = ConfirmForm) -> ConfirmForm:
    if request.method == "GET":
        return form_class(formdata=None, data={"confirm": "yes"})
    return form_class()


@bp.route("/console/library/<int:package_id>/publish", methods=["GET", "POST"])
@require_permission(perms.PLATFORM_LIBRARY, platform=True)
def console_publish(package_id: int):
    package = _load_package(package_id)
    draft = package.draft
    if draft is None:
        flash(_("There is no draft to publish. Start a new version to make changes."), "error")
        return redirect(url_for("library.console_package", package_id=package.id))
    form = _confirm_form(PublishForm)
    if form.validate_on_submit():
        try:
            services.publish(draft, form.release_notes.data or "")
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("Version %(number)d is published.", number=draft.number), "success")
            return redirect(url_for("library.console_package", package_id=package.id))
    have = len(services.deployed_tenant_ids(package))
    paragraphs = [
        _("Once published, version %(number)d can never change.", number=draft.number),
        ngettext(
            "The %(num)d tenant that has “%(title)s” is offered the upgrade; it keeps its version until "
            "its admins choose to upgrade.",
            "The %(num)d tenants that have “%(title)s” are offered the upgrade; each keeps its version until "
            "its admins choose to upgrade.",
            have,
            title=package.title,
        )
        if package.latest_published
        else _("Then you can deploy it to tenants."),
    ]
    return render_template(
        "console/confirm.html",
        form=form,
        heading=_("Publish version %(number)d of “%(title)s”?", number=draft.number, title=draft.title),
        crumbs=[
            (_("Content library"), url_for("library.console_packages")),
            (package.title, url_for("library.console_package", package_id=package.id)),
            (_("Publish"), None),
        ],
        paragraphs=paragraphs,
        action=url_for("library.console_publish", package_id=package.id),
        hints={
            "release_notes": _(
                "What changed since the previous version, in a few lines. Tenant admins read this "
                "before they choose to upgrade; it cannot be changed after publishing."
            )
        },
        confirm_label=_("Publish version %(number)d", number=draft.number),
        cancel=url_for("library.console_package", package_id=package.id),
        kind="primary",
    ), form_status()


@bp.route("/console/library/<int:package_id>/deploy-matching", methods=["GET", "POST"])
@require_permission(perms.PLATFORM_LIBRARY, platform=True)
def console_deploy_matching(package_id: int):
    package = _load_package(package_id)
    form = _confirm_form()
    try:
        tenants = services.tenants_to_deploy(package)
        if form.validate_on_submit():
            reached = services.deploy_to_matching_tenants(package)
            flash(
                ngettext("Deployed to %(num)d tenant.", "Deployed to %(num)d tenants.", len(reached))
                if reached
                else _("Every matching tenant already has it."),
                "success",
            )
            return redirect(url_for("library.console_package", package_id=package.id))
    except ValidationError as exc:
        flash(exc.message, "error")
        return redirect(url_for("library.console_package", package_id=package.id))
    version = package.latest_published
    assert version is not None  # tenants_to_deploy refused otherwise
    return render_template(
        "console/confirm.html",
        form=form,
        heading=_("Deploy “%(title)s” to every matching tenant?", title=package.title),
        crumbs=[
            (_("Content library"), url_for("library.console_packages")),
            (package.title, url_for("library.console_package", package_id=package.id)),
            (_("Deploy"), None),
        ],
        paragraphs=[
            ngettext(
                "Version %(number)d becomes a course in %(num)d tenant's catalog at once:",
                "Version %(number)d becomes a course in the catalogs of these %(num)d tenants at once:",
                len(tenants),
                number=version.number,
            )
            if tenants
            else _("Every matching tenant already has it: nothing will change."),
        ],
        items=[f"{t.display_name} ({t.slug})" for t in tenants],
        action=url_for("library.console_deploy_matching", package_id=package.id),
        confirm_label=ngettext("Deploy to %(num)d tenant", "Deploy to %(num)d tenants", len(tenants)),
        cancel=url_for("library.console_package", package_id=package.id),
        kind="primary",
    ), form_status()


def _change_targeting(package: LibraryPackage) -> Any:
    form = _targeting_form(package)
    if form.validate_on_submit():
        try:
            services.set_targeting(
                package,
                list(form.audiences.data or []),
                (form.partner_tiers.data or "").split(","),
                bool(form.auto_deploy.data),
            )
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(_("Who receives “%(title)s” was saved.", title=package.title), "success")
            return redirect(url_for("library.console_package", package_id=package.id))
    return _render_package(package, targeting=form, status=422)


@bp.route("/console/library/<int:package_id>/deploy", methods=["POST"])
@require_permission(perms.PLATFORM_LIBRARY, platform=True)
def console_deploy(package_id: int):
    package = _load_package(package_id)
    form = _deploy_form(package)
    if form.validate_on_submit():
        tenant = db.session.get(Tenant, form.tenant_id.data)
        try:
            if tenant is None:
                raise ValidationError(_("Choose a tenant from the list."), field="tenant_id")
            services.deploy(package, tenant)
        except ValidationError as exc:
            apply_error(form, exc)
        else:
            flash(
                _("“%(title)s” was deployed to %(tenant)s.", title=package.title, tenant=tenant.display_name),
                "success",
            )
            return redirect(url_for("library.console_package", package_id=package.id))
    return _render_package(package, deploy_form=form, status=422)


# -- a tenant's library courses -----------------------------------------------------------------------------


@bp.route("/admin/library")
@require_permission(perms.CATALOG_MANAGE)
def tenant_deployments():
    deployments = services.list_deployments()
    rows = [
        {
            "deployment": d,
            "course": services.course_for(d),
            "upgrade": services.available_upgrade(d),
            "changes": services.versions_since(d),
        }
        for d in deployments
    ]
    return render_template("library/tenant_deployments.html", rows=rows)


@bp.route("/admin/library/<int:deployment_id>/upgrade", methods=["POST"])
@require_permission(perms.CATALOG_MANAGE)
def upgrade_deployment(deployment_id: int):
    deployment = get_or_404(LibraryDeployment, deployment_id)
    try:
        services.upgrade(deployment)
    except ValidationError as exc:
        flash(exc.message, "error")
    else:
        flash(
            _(
                "“%(title)s” now uses version %(number)d. "
                "People already taking it keep the version they started.",
                title=deployment.package.title,
                number=deployment.version.number,
            ),
            "success",
        )
    return redirect(url_for("library.tenant_deployments"))


@bp.route("/admin/library/<int:deployment_id>/visibility", methods=["POST"])
@require_permission(perms.CATALOG_MANAGE)
def deployment_visibility(deployment_id: int):
    deployment = get_or_404(LibraryDeployment, deployment_id)
    hidden = request.form.get("hidden") == "1"
    services.set_hidden(deployment, hidden)
    if hidden:
        flash(_("“%(title)s” is hidden from your catalog.", title=deployment.package.title), "success")
    else:
        flash(_("“%(title)s” is listed in your catalog again.", title=deployment.package.title), "success")
    return redirect(url_for("library.tenant_deployments"))
