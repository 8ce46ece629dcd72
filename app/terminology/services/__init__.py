"""A portal's own terminology: search the shipped messages, reword one, preview it, revert it, and
exchange the portal's wording with translators' tools as PO files."""

from app.terminology.services.placeholders import Placeholders, check_placeholders, placeholders_of, preview
from app.terminology.services.po_files import ImportReport, export_po, import_po
from app.terminology.services.wording import (
    MAX_TEXT,
    PER_PAGE,
    MessageRow,
    form_labels,
    known_locales,
    message_row,
    overrides_for,
    revert_override,
    save_override,
    search,
    shipped_texts,
    validate_texts,
)

__all__ = [
    "MAX_TEXT",
    "PER_PAGE",
    "ImportReport",
    "MessageRow",
    "Placeholders",
    "check_placeholders",
    "export_po",
    "form_labels",
    "import_po",
    "known_locales",
    "message_row",
    "overrides_for",
    "placeholders_of",
    "preview",
    "revert_override",
    "save_override",
    "search",
    "shipped_texts",
    "validate_texts",
]
