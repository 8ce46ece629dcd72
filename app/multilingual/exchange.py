"""Exchange files for content translations: XLIFF 2.0 and PO, written and read without the database.

A file holds one unit per translatable text. Each unit carries the SHA-256 of its source at export time, so
an import can tell a translation of the current text from one of a text that has since changed.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import xml.etree.ElementTree as ET  # for its types and ParseError; parsing goes through defusedxml
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import defusedxml
import defusedxml.ElementTree
from babel import Locale, UnknownLocaleError
from babel.messages import pofile
from babel.messages.catalog import Catalog
from flask_babel import gettext as _

XLIFF_NS = "urn:oasis:names:tc:xliff:document:2.0"
MDA_NS = "urn:oasis:names:tc:xliff:metadata:2.0"
HASH_META = "source-hash"
_X = f"{{{XLIFF_NS}}}"
_M = f"{{{MDA_NS}}}"
# Characters XML 1.0 cannot hold; XLIFF writes them as <cp hex=".."/> inside <source>/<target>.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_PO_SOURCE_LANGUAGE = re.compile(r"^# Source-Language: (\S+)$", re.MULTILINE)


@dataclass(frozen=True)
class Unit:
    id: str
    group: str
    group_label: str
    source: str
    target: str | None
    source_hash: str
    note: str = ""


@dataclass(frozen=True)
class ExchangeFile:
    source_locale: str
    target_locale: str
    units: list[Unit]


class ExchangeError(Exception):
    """A file that cannot be read; the message, in the person's language, names the problem."""


def source_hash(text: str) -> str:
    """Return the SHA-256 hex digest of *text* in NFC, so visually equal texts hash alike."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def to_locale(tag: str) -> str:
    """Return Atrium's locale code (``pt_BR``) for a BCP 47 tag (``pt-BR``)."""
    try:
        return str(Locale.parse(tag.strip().replace("_", "-"), sep="-"))
    except (ValueError, TypeError, UnknownLocaleError):
        raise ExchangeError(_("%(tag)s is not a language code.", tag=repr(tag))) from None


def to_bcp47(locale: str) -> str:
    """Return the BCP 47 tag (``pt-BR``) for Atrium's locale code (``pt_BR``)."""
    return to_locale(locale).replace("_", "-")


def _translatable(units: Iterable[Unit]) -> Iterator[Unit]:
    # A unit with an empty source has nothing to translate (and would be PO's header entry).
    return (unit for unit in units if unit.source)


def _check_ids(units: list[Unit]) -> None:
    seen: set[str] = set()
    for unit in units:
        if not unit.id:
            raise ExchangeError(_("A unit has no id."))
        if unit.id in seen:
            raise ExchangeError(_("The unit id %(id)s appears more than once.", id=unit.id))
        seen.add(unit.id)


# --- XLIFF 2.0 --------------------------------------------------------------------------------------------


def _xml_text(text: str) -> str:
    r"""Escape *text* for element content: \r kept as a reference (parsers turn a raw one into \n)."""
    if any(0xD800 <= ord(char) <= 0xDFFF for char in text):
        raise ExchangeError(_("The text contains a broken character and cannot be exported."))
    escaped = escape(text, {"\r": "&#13;"})
    return _NOT_XML.sub(lambda m: f'<cp hex="{ord(m.group()):04X}"/>', escaped)


def _xml_attr(text: str) -> str:
    # Labels and notes are context, not content: a control character in them is dropped, not encoded.
    return quoteattr(_NOT_XML.sub("", text), {"\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})


def write_xliff(units: Iterable[Unit], *, source_locale: str, target_locale: str) -> bytes:
    """Return an XLIFF 2.0 document with one group per item and one unit per text.

    Refuses an export with no text: the core schema requires at least one unit in a file.
    """
    groups: dict[str, list[Unit]] = {}
    for unit in _translatable(units):
        groups.setdefault(unit.group, []).append(unit)
    if not groups:
        raise ExchangeError(_("There is no text to translate."))
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<xliff xmlns="{XLIFF_NS}" xmlns:mda="{MDA_NS}" version="2.0" '
        f"srcLang={quoteattr(to_bcp47(source_locale))} trgLang={quoteattr(to_bcp47(target_locale))}>\n",
        '<file id="atrium" original="atrium">\n',
    ]
    for group, members in groups.items():
        if group:  # a group's id is a required NMTOKEN, so units of no item sit directly in the file
            out.append(f"<group id={_xml_attr(group)} name={_xml_attr(members[0].group_label)}>\n")
        for unit in members:
            out.append(
                f'<unit id={_xml_attr(unit.id)}><mda:metadata><mda:metaGroup category="atrium">'
                f'<mda:meta type="{HASH_META}">{_xml_text(unit.source_hash)}</mda:meta>'
                "</mda:metaGroup></mda:metadata>"
            )
            if unit.note:
                note = escape(_NOT_XML.sub("", unit.note), {"\r": "&#13;"})
                out.append(f'<notes><note category="location">{note}</note></notes>')
            state = "initial" if unit.target is None else "translated"
            out.append(
                f'<segment state="{state}"><source xml:space="preserve">{_xml_text(unit.source)}</source>'
            )
            if unit.target is not None:
                out.append(f'<target xml:space="preserve">{_xml_text(unit.target)}</target>')
            out.append("</segment></unit>\n")
        out.append("</group>\n" if group else "")
    out.append("</file>\n</xliff>\n")
    return "".join(out).encode("utf-8")


def _content(element: ET.Element) -> str:
    """Return the text of a <source>/<target>: inline codes dropped, <cp> turned back into its character."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == f"{_X}cp":
            try:
                code = int(child.get("hex", ""), 16)
                parts.append(chr(code) if not 0xD800 <= code <= 0xDFFF else "")
            except (ValueError, OverflowError):
                raise ExchangeError(_("A <cp> element has an invalid hex value.")) from None
        else:
            parts.append(_content(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _read_unit(element: ET.Element, group: ET.Element | None) -> Unit:
    """Return the unit of *element*; several segments (and ignorables between them) are joined in order."""
    unit_id = element.get("id", "")
    sources: list[str] = []
    targets: list[str | None] = []
    for part in element:
        if part.tag not in (f"{_X}segment", f"{_X}ignorable"):
            continue
        source, target = part.find(f"{_X}source"), part.find(f"{_X}target")
        if source is None:
            raise ExchangeError(_("Unit %(id)s has a segment without a source.", id=unit_id))
        if target is not None and target.get("order"):
            raise ExchangeError(_("Unit %(id)s reorders its segments, which Atrium cannot read.", id=unit_id))
        sources.append(_content(source))
        # An ignorable without a target stands for itself in the translation (XLIFF 2.0, 4.2.2.4).
        fallback = sources[-1] if part.tag == f"{_X}ignorable" else None
        targets.append(_content(target) if target is not None else fallback)
    if not sources:
        raise ExchangeError(_("Unit %(id)s has no source text.", id=unit_id))
    joined = None if any(t is None for t in targets) else "".join(t or "" for t in targets)
    hashes = [
        m.text or "" for m in element.iterfind(f"{_M}metadata/{_M}metaGroup/{_M}meta[@type='{HASH_META}']")
    ]
    digest = hashes[0].strip().lower() if hashes else ""
    if digest and not _HEX64.fullmatch(digest):
        raise ExchangeError(_("Unit %(id)s has an invalid source hash.", id=unit_id))
    notes = [note.text or "" for note in element.iterfind(f"{_X}notes/{_X}note")]
    return Unit(
        id=unit_id,
        group=group.get("id", "") if group is not None else "",
        group_label=group.get("name", "") if group is not None else "",
        source="".join(sources),
        # An empty <target/> is how tools leave a text untranslated.
        target=joined or None,
        source_hash=digest,
        note="\n".join(notes),
    )


def _units_under(element: ET.Element, group: ET.Element | None) -> Iterator[Unit]:
    for child in element:
        if child.tag == f"{_X}group":
            yield from _units_under(child, child)
        elif child.tag == f"{_X}unit":
            yield _read_unit(child, group)


def read_xliff(data: bytes) -> ExchangeFile:
    """Read an XLIFF 2.x document; refuse DTDs, other formats and ambiguous files with ExchangeError."""
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException:
        raise ExchangeError(_("The file declares a DTD or entities, which are not allowed.")) from None
    except ET.ParseError as error:
        raise ExchangeError(_("The file is not valid XML (%(error)s).", error=str(error))) from None
    local_name = root.tag.rpartition("}")[2]
    if local_name != "xliff":
        raise ExchangeError(_("The file is not an XLIFF file."))
    version = root.get("version", "")
    if root.tag != f"{_X}xliff" or not version.startswith("2."):
        raise ExchangeError(
            _("This is an XLIFF %(version)s file; only XLIFF 2.0 is read.", version=version or "?")
        )
    source_locale, target_locale = root.get("srcLang", "").strip(), root.get("trgLang", "").strip()
    if not source_locale or not target_locale:
        raise ExchangeError(_("The file does not say its source and target languages (srcLang, trgLang)."))
    units: list[Unit] = []
    for file in root.iterfind(f"{_X}file"):
        units.extend(_units_under(file, None))
    _check_ids(units)
    return ExchangeFile(source_locale=source_locale, target_locale=target_locale, units=units)


# --- PO ---------------------------------------------------------------------------------------------------


def write_po(units: Iterable[Unit], *, source_locale: str, target_locale: str) -> bytes:
    """Return a PO file: msgctxt is the unit id, ``#:`` the item, ``#.`` its label, the note and the hash."""
    catalog = Catalog(
        locale=to_locale(target_locale),
        project="Atrium",
        fuzzy=False,
        header_comment=f"# Atrium content translations.\n# Source-Language: {to_bcp47(source_locale)}",
    )
    for unit in _translatable(units):
        comments = [unit.group_label] if unit.group_label else []
        comments += [line for line in unit.note.splitlines() if line.strip()]
        if unit.source_hash:
            # No space after the colon: PO writers wrap comments at 76 characters, and never inside a word.
            comments.append(f"{HASH_META}:{unit.source_hash}")
        catalog.add(
            unit.source,
            unit.target or "",
            # No line number: babel writes "#: course.12", which its own stubs do not foresee.
            locations=[(unit.group, None)] if unit.group else [],  # type: ignore[list-item]
            auto_comments=comments,
            context=unit.id,
        )
    buffer = io.BytesIO()
    pofile.write_po(buffer, catalog, width=0, omit_header=False)
    return buffer.getvalue()


def read_po(data: bytes) -> ExchangeFile:
    """Read a PO file written by write_po (or edited by a PO tool).

    A fuzzy entry counts as untranslated (target None): a PO tool marks a guess that way. PO tools wrap
    comments, so the item's label and the note come back together, as one line, in ``note``.
    """
    if not data.strip():
        raise ExchangeError(_("The file is empty."))
    try:
        catalog = pofile.read_po(io.BytesIO(data), abort_invalid=True)
    except (pofile.PoFileError, UnicodeDecodeError, LookupError) as error:
        raise ExchangeError(_("The file is not a valid PO file (%(error)s).", error=str(error))) from None
    if not catalog.locale_identifier:
        raise ExchangeError(_("The PO file does not say its language (the Language header)."))
    match = _PO_SOURCE_LANGUAGE.search(catalog.header_comment)
    units: list[Unit] = []
    for message in catalog:
        if not message.id:
            continue
        if not isinstance(message.id, str):
            raise ExchangeError(_("The PO entry %(source)s has plural forms.", source=repr(message.id[0])))
        if not message.context:
            raise ExchangeError(
                _("The PO entry %(source)s has no unit id (msgctxt).", source=repr(message.id))
            )
        hashes = [
            c.partition(":")[2].strip().lower() for c in message.auto_comments if c.startswith(HASH_META)
        ]
        comments = [c for c in message.auto_comments if not c.startswith(HASH_META)]
        if hashes and not _HEX64.fullmatch(hashes[0]):
            raise ExchangeError(_("Unit %(id)s has an invalid source hash.", id=message.context))
        units.append(
            Unit(
                id=message.context,
                group=message.locations[0][0] if message.locations else "",
                group_label="",
                source=message.id,
                target=None if message.fuzzy or not message.string else str(message.string),
                source_hash=hashes[0] if hashes else "",
                note=" ".join(comments),
            )
        )
    _check_ids(units)
    target_locale = to_bcp47(catalog.locale_identifier)
    return ExchangeFile(
        source_locale=match.group(1) if match else "", target_locale=target_locale, units=units
    )


def read_exchange_file(filename: str, data: bytes) -> ExchangeFile:
    """Read an uploaded file as XLIFF or PO, by its extension or else by its first characters."""
    extension = filename.lower().rpartition(".")[2] if "." in filename else ""
    if extension in ("xlf", "xliff"):
        return read_xliff(data)
    if extension in ("po", "pot"):
        return read_po(data)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return read_xliff(data)
    return read_po(data)


# --- Markup checks ----------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{[A-Za-z_][\w.]*\}|%\([A-Za-z_]\w*\)[sdif]|%[sd]")
_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|<((?:https?|mailto):[^>\s]+)>")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(?:\s[^<>]*)?/?>")


def _tags(text: str) -> Counter[str]:
    return Counter(f"<{slash}{name.lower()}>" for slash, name in _TAG.findall(text))


def markup_problems(source: str, target: str) -> list[str]:
    """Return, in the person's language, what the translation lost or added: placeholders, links, tags."""
    if source.strip() and not target.strip():
        return [_("The translation is empty.")]
    placeholders = Counter(_PLACEHOLDER.findall(source)), Counter(_PLACEHOLDER.findall(target))
    links = (
        Counter({a or b for a, b in _LINK.findall(source)}),
        Counter({a or b for a, b in _LINK.findall(target)}),
    )
    tags = _tags(source), _tags(target)
    return (
        [_("The placeholder %(name)s is missing.", name=p) for p in sorted(placeholders[0] - placeholders[1])]
        + [
            _("The placeholder %(name)s is not in the source.", name=p)
            for p in sorted(placeholders[1] - placeholders[0])
        ]
        + [_("The link %(name)s is missing.", name=url) for url in sorted(links[0] - links[1])]
        + [_("The link %(name)s is not in the source.", name=url) for url in sorted(links[1] - links[0])]
        + [_("The tag %(name)s is missing.", name=tag) for tag in sorted(tags[0] - tags[1])]
        + [_("The tag %(name)s is not in the source.", name=tag) for tag in sorted(tags[1] - tags[0])]
    )
