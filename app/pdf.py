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


def html_to_pdf(html: str) -> bytes:
    """Render *html* (whose CSS names the font family ``AtriumSans``) to PDF bytes.

    The document may read the font folder and nothing else: no other local file, no network.
    """
    from reportlab import rl_config
    from xhtml2pdf import pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    # Streams are Flate-compressed either way; ASCII85 on top only makes them 25 % bigger, and without
    # reportlab's C accelerator (not in its wheels) encoding them was a tenth of a certificate's time.
    rl_config.useA85 = 0
    folder = font_dir()
    _register_fonts(folder)
    policy = ResourceAccessPolicy(allow_remote=False, base_dir=folder)
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8", resource_policy=policy)
    if result.err:
        raise PdfRenderError(f"xhtml2pdf could not render the document: {result.err} errors")
    return out.getvalue()
