"""XLIFF 2.0 and PO exchange files: what a translator's tool receives, and what comes back."""

from __future__ import annotations

import defusedxml.ElementTree as ET
import pytest

from app.multilingual.exchange import (
    ExchangeError,
    Unit,
    markup_problems,
    read_exchange_file,
    read_po,
    read_xliff,
    source_hash,
    to_bcp47,
    to_locale,
    write_po,
    write_xliff,
)

X, M = "{urn:oasis:names:tc:xliff:document:2.0}", "{urn:oasis:names:tc:xliff:metadata:2.0}"
TRICKY = "  مرحبا بالعالم — café, naïve 🎓\nline two\r\nA < B && C > D ]]> \"quoted\" 'single'\x0b "


def unit(uid: str, source: str, target: str | None, note: str = "Lesson text (Markdown)") -> Unit:
    return Unit(uid, "course.12", "Course: Food Safety & <Basics>", source, target, source_hash(source), note)


UNITS = [
    unit("course.12.title", TRICKY, "  ¡Hola! 👋\n\tsegunda línea  "),
    unit("course.12.lesson.3.body", "# Wash hands\n\nAlways.", None, note=""),
    Unit("tenant.welcome", "", "", "Welcome", "Bienvenida", source_hash("Welcome")),  # belongs to no item
]


def xliff(body: str, root: str = 'version="2.0" srcLang="en" trgLang="es"') -> bytes:
    return f'<xliff xmlns="{X[1:-1]}" {root}><file id="f">{body}</file></xliff>'.encode()


def test_xliff_round_trip_keeps_every_character_and_the_missing_target() -> None:
    read = read_xliff(write_xliff(UNITS, source_locale="en", target_locale="pt_BR"))

    assert (read.source_locale, read.target_locale) == ("en", "pt-BR")
    assert read.units == UNITS


def test_written_xliff_has_the_elements_in_the_order_the_core_schema_requires() -> None:
    root = ET.fromstring(write_xliff(UNITS, source_locale="en", target_locale="ar"))

    assert (root.tag, root.get("version"), root.get("srcLang"), root.get("trgLang")) == (
        f"{X}xliff",
        "2.0",
        "en",
        "ar",
    )
    [file] = root
    assert (file.tag, file.get("id"), file.get("original")) == (f"{X}file", "atrium", "atrium")
    group, loose = file
    assert (loose.tag, loose.get("id")) == (f"{X}unit", "tenant.welcome")
    assert (group.tag, group.get("id"), group.get("name")) == (
        f"{X}group",
        "course.12",
        "Course: Food Safety & <Basics>",
    )
    translated, untranslated = group
    assert [child.tag for child in translated] == [f"{M}metadata", f"{X}notes", f"{X}segment"]
    assert [child.tag for child in untranslated] == [f"{M}metadata", f"{X}segment"]
    meta = translated.find(f"{M}metadata/{M}metaGroup[@category='atrium']/{M}meta[@type='source-hash']")
    assert meta is not None and meta.text == source_hash(TRICKY)
    assert translated.find(f"{X}notes/{X}note[@category='location']").text == "Lesson text (Markdown)"
    segment, empty = translated.find(f"{X}segment"), untranslated.find(f"{X}segment")
    assert [c.tag for c in segment] == [f"{X}source", f"{X}target"] and segment.get("state") == "translated"
    assert [c.tag for c in empty] == [f"{X}source"] and empty.get("state") == "initial"
    assert segment[0].get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
    assert segment[0].find(f"{X}cp").get("hex") == "000B"  # not XML 1.0, so written as the spec's <cp>


def test_xliff_from_another_tool_reads_as_plain_text_with_segments_joined() -> None:
    body = (
        '<group id="g" name="Quiz"><group id="inner"><unit id="q.1"><notes><note>Question</note></notes>'
        '<segment><source>Press <ph id="1"/><pc id="2">Save</pc>.</source>'
        '<target>Pulse <pc id="2">Guardar</pc>.</target></segment><ignorable><source> </source></ignorable>'
        '<segment state="translated"><source>Done <mrk id="m">now</mrk>.</source><target>Listo.</target>'
        '</segment></unit><unit id="q.2"><segment><source>Untranslated</source><target/></segment></unit>'
        "</group></group>"
    )
    first, second = read_xliff(xliff(body)).units

    assert first == Unit("q.1", "inner", "", "Press Save. Done now.", "Pulse Guardar. Listo.", "", "Question")
    assert (second.target, second.source_hash) == (None, "")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not xml", "not valid XML"),
        (b"<html><body>hi</body></html>", "not an XLIFF file"),
        (
            b'<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" version="1.2"><file/></xliff>',
            "XLIFF 1.2 file; only XLIFF 2.0",
        ),
        (xliff("", root='version="2.0" srcLang="en"'), "source and target languages"),
        (xliff('<unit id="a"><segment><source>x</source></segment></unit>' * 2), "a appears more than once"),
        (xliff('<unit id="a"><segment><target>x</target></segment></unit>'), "without a source"),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
            b'<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0">&b;</xliff>',
            "DTD or entities",
        ),
        (
            b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xliff version="2.0">&e;</xliff>',
            "DTD or entities",
        ),
    ],
)
def test_broken_or_dangerous_xliff_is_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ExchangeError, match=message):
        read_xliff(data)


def test_an_export_with_nothing_to_translate_is_refused() -> None:
    with pytest.raises(ExchangeError, match="no text to translate"):
        write_xliff([unit("empty", "", None)], source_locale="en", target_locale="es")


def test_text_xml_cannot_hold_is_refused_instead_of_writing_a_broken_file() -> None:
    with pytest.raises(ExchangeError, match="broken character"):
        write_xliff([Unit("u", "g", "", "bad \ud800 half", None, "")], source_locale="en", target_locale="es")


def test_po_round_trip_keeps_ids_texts_hashes_and_the_source_language() -> None:
    read = read_po(write_po(UNITS, source_locale="en", target_locale="pt-BR"))

    assert (read.source_locale, read.target_locale) == ("en", "pt-BR")
    assert [(u.id, u.group, u.source, u.target, u.source_hash) for u in read.units] == [
        (u.id, u.group, u.source, u.target, u.source_hash) for u in UNITS
    ]
    assert read.units[0].note == "Course: Food Safety & <Basics> Lesson text (Markdown)"


def test_po_fuzzy_entry_counts_as_untranslated() -> None:
    data = write_po(UNITS[:1], source_locale="en", target_locale="es").replace(
        b"#: course.12", b"#: course.12\n#, fuzzy"
    )

    [fuzzy] = read_po(data).units
    assert fuzzy.target is None and fuzzy.source == TRICKY


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"hello world", "not a valid PO file"),
        (b'msgctxt "a"\nmsgid "x"\nmsgstr "y"\n', "does not say its language"),
        (b'msgid ""\nmsgstr "Language: es\\n"\n\nmsgid "x"\nmsgstr "y"\n', "no unit id"),
        (
            b'msgid ""\nmsgstr "Language: es\\n"\n\n'
            + b'msgctxt "a"\nmsgid "x"\nmsgstr ""\n\nmsgctxt "a"\nmsgid "z"\nmsgstr ""\n',
            "more than once",
        ),
        (
            b'msgid ""\nmsgstr "Language: es\\n"\n\n#. source-hash:xyz\nmsgctxt "a"\nmsgid "x"\nmsgstr ""\n',
            "invalid source hash",
        ),
    ],
)
def test_broken_po_is_refused_with_a_reason(data: bytes, message: str) -> None:
    with pytest.raises(ExchangeError, match=message):
        read_po(data)


def test_uploaded_file_is_read_by_its_extension_or_by_its_content() -> None:
    as_xliff = write_xliff(UNITS, source_locale="en", target_locale="es")
    as_po = write_po(UNITS, source_locale="en", target_locale="es")

    for name, data in [
        ("es.xlf", as_xliff),
        ("ES.XLIFF", as_xliff),
        ("upload", as_xliff),
        ("es.po", as_po),
        ("x.txt", as_po),
    ]:
        assert [u.id for u in read_exchange_file(name, data).units] == [u.id for u in UNITS]
    with pytest.raises(ExchangeError):
        read_exchange_file("es.po", as_xliff)


def test_locale_codes_convert_both_ways_and_nonsense_is_refused() -> None:
    assert (to_bcp47("pt_BR"), to_locale("pt-BR"), to_locale("PT-br"), to_bcp47("es")) == (
        "pt-BR",
        "pt_BR",
        "pt_BR",
        "es",
    )
    with pytest.raises(ExchangeError, match="not a language code"):
        to_locale("not a language")


def test_source_hash_is_the_same_for_composed_and_decomposed_accents() -> None:
    assert source_hash("caf\u00e9") == source_hash("cafe\u0301") != source_hash("cafe")


@pytest.mark.parametrize(
    ("source", "target", "problem"),
    [
        ("Hello {name}", "Hola", "The placeholder {name} is missing."),
        ("Hello", "Hola {name}", "The placeholder {name} is not in the source."),
        ("%(count)s left, %s and %d", "quedan %(count)s y %s", "The placeholder %d is missing."),
        ("{a} and {a}", "{a}", "The placeholder {a} is missing."),
        (
            "See [the guide](https://x.test/guide) ![](/img/a.png)",
            "Ver [la guía](https://x.test/guide)",
            "The link /img/a.png is missing.",
        ),
        (
            "See the guide",
            "Ver [la guía](https://evil.test)",
            "The link https://evil.test is not in the source.",
        ),
        ("Write to <mailto:help@x.test>", "Escriba", "The link mailto:help@x.test is missing."),
        ("Mail <https://x.test>", "Correo <https://y.test>", "The link https://y.test is not in the source."),
        ("<strong>Wash</strong> hands", "<strong>Lávese las manos", "The tag </strong> is missing."),
        ("Wash hands", 'Lávese <a href="x">las manos</a>', "The tag <a> is not in the source."),
        ("Wash hands", "  \n ", "The translation is empty."),
    ],
)
def test_markup_problems_name_what_the_translation_lost_or_added(
    source: str, target: str, problem: str
) -> None:
    assert problem in markup_problems(source, target)


def test_a_faithful_translation_has_no_markup_problems() -> None:
    source = 'Hi {name}, %(n)s left: [guide](https://x.test "Guide") <https://x.test/a> <em>now</em>'
    target = 'Hola {name}, quedan %(n)s: <em>ya</em> [guía](https://x.test "Guía") <https://x.test/a>'
    assert markup_problems(source, target) == []
    assert markup_problems("", "") == []
