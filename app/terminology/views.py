"""Admin → Terminology: search the interface's messages in a language, reword, preview, revert, PO files."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import permissions as perms
from app.accounts.access import require_permission
from app.errors import ValidationError
from app.forms import form_status
from app.inputs import past_last_page
from app.locales import LOCALE_NAMES
from app.terminology import services
from app.terminology.catalogs import shipped_message
from app.terminology.forms import ImportForm, OverrideForm

bp = Blueprint("terminology", __name__, url_prefix="/admin/terminology")

# A PO file of overrides is small; anything far larger is not one.
MAX_IMPORT_BYTES = 2 * 1024 * 1024


def _portal_locales() -> list[str]:
    return services.known_locales(g.tenant.enabled_locales)


def _locale_or_404(locale: str) -> str:
    if locale not in _portal_locales():
        abort(404)
    return locale


def _page_number() -> int:
    raw = request.args.get("page", "1")
    return min(int(raw), 10_000) if raw.isdigit() and len(raw) < 6 and int(raw) > 0 else 1


@bp.route("")
@require_permission(perms.TRANSLATIONS_MANAGE)
def index() -> Any:
    """Choose a language and search the shipped messages by English text or current wording."""
    locales = _portal_locales()
    locale = request.args.get("locale") or g.tenant.default_locale
    if locale not in locales:
        locale = locales[0] if locales else "en"
    query = (request.args.get("q") or "")[:200]
    mine = request.args.get("mine") == "1"
    page = _page_number()
    rows, total = services.search(locale, query, page=page, only_overridden=mine)
    if (back := past_last_page(services.PER_PAGE, page=(page, total))) is not None:
        return back
    return render_template(
        "terminology/index.html",
        locale=locale,
        locales=[(code, LOCALE_NAMES[code]) for code in locales],
        query=query,
        mine=mine,
        rows=rows,
        total=total,
        page=page,
        per_page=services.PER_PAGE,
    )


def _message_or_404() -> Any:
    message = shipped_message(
        (request.args.get("msgid") or "")[:2000], (request.args.get("context") or "")[:200]
    )
    if message is None:
        abort(404)
    return message


@bp.route("/<locale>/message", methods=["GET", "POST"])
@require_permission(perms.TRANSLATIONS_MANAGE)
def edit(locale: str) -> Any:
    """Reword one message (each plural form of the language), preview it with sample values, or revert it."""
    locale = _locale_or_404(locale)
    message = _message_or_404()
    row = services.message_row(locale, message.msgid, message.context)
    labels = services.form_labels(locale) if message.msgid_plural is not None else [_("Text")]
    form = OverrideForm()
    if request.method == "GET":
        while len(form.forms.entries) < len(labels):
            form.forms.append_entry()
        for entry, text in zip(form.forms.entries, row.current if row else (), strict=False):
            entry.data = text
    else:
        while len(form.forms.entries) < len(labels):
            form.forms.append_entry()
    for entry, label in zip(form.forms.entries, labels, strict=False):
        entry.label.text = label
    texts = [entry.data or "" for entry in form.forms.entries][: len(labels)]
    shown = None
    ok = False
    if form.validate_on_submit():
        try:
            checked = services.validate_texts(message, locale, texts)
            if request.form.get("action") == "preview":
                shown = services.preview(message, locale, checked)
                ok = True
            else:
                services.save_override(locale, message, checked, by=current_user)
                flash(_("The new wording shows on every page of the portal in this language."), "success")
                return redirect(url_for(".index", locale=locale, q=message.msgid))
        except ValidationError as exc:
            suffix = (exc.field or "").removeprefix("form_")
            index = int(suffix) if suffix.isdigit() else 0
            target = form.forms.entries[min(index, len(form.forms.entries) - 1)]
            target.errors = [exc.message]
    return (
        render_template(
            "terminology/edit.html",
            form=form,
            locale=locale,
            locale_name=LOCALE_NAMES[locale],
            message=message,
            row=row,
            shown=shown,
            examples=services.preview(message, locale, list(row.shipped)) if row else [],
        ),
        form_status(ok=ok),
    )


@bp.route("/<locale>/message/revert", methods=["POST"])
@require_permission(perms.TRANSLATIONS_MANAGE)
def revert(locale: str) -> Any:
    """Go back to the shipped wording of one message."""
    locale = _locale_or_404(locale)
    message = _message_or_404()
    if services.revert_override(locale, message):
        flash(_("The message is back to its shipped wording."), "success")
    else:
        flash(_("This message already has its shipped wording."), "info")
    return redirect(url_for(".index", locale=locale, q=message.msgid))


@bp.route("/<locale>/export.po")
@require_permission(perms.TRANSLATIONS_MANAGE)
def export(locale: str) -> Any:
    """Download the portal's overrides in one language as a PO file."""
    locale = _locale_or_404(locale)
    body = services.export_po(g.tenant, locale)
    filename = f"{g.tenant.slug}-terminology-{locale}.po"
    return Response(
        body,
        mimetype="text/x-gettext-translation",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/<locale>/import", methods=["GET", "POST"])
@require_permission(perms.TRANSLATIONS_MANAGE)
def import_file(locale: str) -> Any:
    """Upload a PO file: every entry is checked and, unless one is refused, all are applied."""
    locale = _locale_or_404(locale)
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        upload = form.po_file.data
        data = upload.read(MAX_IMPORT_BYTES + 1) if upload else b""
        if not data:
            form.po_file.errors = [_("Choose a PO file to import.")]
        elif len(data) > MAX_IMPORT_BYTES:
            form.po_file.errors = [_("This file is too large for a PO file of terminology.")]
        else:
            report = services.import_po(locale, data, by=current_user)
    failed = bool(form.po_file.errors) or (report is not None and not report.applied)
    return (
        render_template(
            "terminology/import.html",
            form=form,
            locale=locale,
            locale_name=LOCALE_NAMES[locale],
            report=report,
        ),
        form_status(ok=not failed),
    )
