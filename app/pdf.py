"""HTML to PDF with xhtml2pdf, in a font that covers Latin, Greek, Cyrillic and Arabic.

The PDF base fonts (Helvetica…) have no Arabic glyphs: an Arabic name came out as boxes. Every
PDF Atrium makes embeds DejaVu Sans instead (Debian's fonts-dejavu-core, installed by
scripts/ensure-system-packages; ``PDF_FONT_DIR`` points elsewhere). xhtml2pdf shapes Arabic and
lays right-to-left text out in visual order itself, so the text is written in logical order in
the HTML and a PDF reader (or pypdf) extracts it in logical order too.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import current_app

FONT_FAMILY = "AtriumSans"
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
_FONT_FILES = {"normal": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}


class PdfRenderError(RuntimeError):
    """xhtml2pdf could not make the PDF."""


def font_dir() -> Path:
    return Path(current_app.config.get("PDF_FONT_DIR") or DEFAULT_FONT_DIR)


# The folder whose fonts this process has registered with ReportLab as the family AtriumSans.
_REGISTERED: list[str] = []


def _register_fonts(folder: Path) -> None:
    """Register the fonts of *folder* with ReportLab as the family AtriumSans, once per process.

    Declaring them with ``@font-face`` in every document made xhtml2pdf read and hash both font files and
    parse the rule again for each PDF, a tenth of a certificate's time; registered once, documents name
    the family and xhtml2pdf finds it among its known fonts.
    """
    if [folder.as_posix()] == _REGISTERED:
        return
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from xhtml2pdf import default

    paths = {weight: folder / filename for weight, filename in _FONT_FILES.items()}
    for path in paths.values():
        if not path.is_file():
            raise PdfRenderError(
                f"the PDF font {path} is missing: run scripts/ensure-system-packages "
                "(fonts-dejavu-core) or set PDF_FONT_DIR"
            )
    # Another folder (another app's PDF_FONT_DIR in the same process) replaces the faces.
    family = FONT_FAMILY
    faces = {"normal": family, "bold": f"{family}-Bold"}
    for weight, path in paths.items():
        pdfmetrics.registerFont(TTFont(faces[weight], path.as_posix()))
    for italic in (0, 1):  # no italic faces: italic text is drawn upright
        addMapping(family, 0, italic, faces["normal"])
        addMapping(family, 1, italic, faces["bold"])
    default.DEFAULT_FONT[family.lower()] = family
    _REGISTERED[:] = [folder.as_posix()]


def _keep_default_css_parsed() -> None:
    """Parse xhtml2pdf's own default stylesheet once per process instead of once per document.

    xhtml2pdf parses its default stylesheet (3 KB, every element's initial style) again for every
    document it renders, 1.4 ms of CPU each time. The parse reads nothing but that text: it has no
    at-rules (no page, font or import to apply to the document), and what it returns is a pair of rule
    tables that the cascade only reads, so one parse serves every document with the same default text.
    The documents' own stylesheets are parsed as before.
    """
    from xhtml2pdf import parser
    from xhtml2pdf.context import pisaContext

    parse = pisaContext._parseCSSSource
    if getattr(parse, "keeps_default_css", False):
        return
    parsed: dict[str, Any] = {}

    def parse_css_source(self: pisaContext, text: str, sourceName: str) -> Any:
        if sourceName != parser.DEFAULT_CSS_SOURCE:
            return parse(self, text, sourceName)
        if text not in parsed:
            parsed.clear()
            parsed[text] = parse(self, text, sourceName)
        return parsed[text]

    parse_css_source.keeps_default_css = True  # type: ignore[attr-defined]
    pisaContext._parseCSSSource = parse_css_source


def html_to_pdf(html: str) -> bytes:
    """Render *html* (whose CSS names the font family ``AtriumSans``) to PDF bytes.

    The document may read the font folder and nothing else: no other local file, no network.
    """
    from reportlab import rl_config
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    # Streams are Flate-compressed either way; ASCII85 on top only makes them 25 % bigger (and before
    # reportlab's C accelerator, rl-accel, was installed, encoding them was a tenth of a certificate's time).
    rl_config.useA85 = 0
    folder = font_dir()
    _register_fonts(folder)
    _keep_default_css_parsed()
    policy = ResourceAccessPolicy(allow_remote=False, base_dir=folder)
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=policy)
    if result.err:
        raise PdfRenderError(f"xhtml2pdf could not render the document: {result.err} errors")
    return out.getvalue()
