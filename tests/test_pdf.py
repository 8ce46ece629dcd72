"""HTML to PDF (certificates, receipts, report summaries): a document owes nothing to the one before it."""

from __future__ import annotations

import io

from pypdf import PdfReader

from app.pdf import html_to_pdf

_PLAIN = """<html><head><style>@page { size: a5 landscape; } body { font-family: AtriumSans; }</style></head>
<body><h1>Food Handler</h1><p>Awarded to <strong>Lee Learner</strong></p>
<ul><li>Fryer</li></ul></body></html>"""
_STYLED = """<html><head><style>
  body { font-family: AtriumSans; } h1 { font-size: 40pt; color: #15803d; margin: 30pt; }
  p, li { font-size: 18pt; color: #b91c1c; } strong { font-weight: normal; }
</style></head>
<body><h1>Food Handler</h1><p>Awarded to <strong>Lee Learner</strong></p>
<ul><li>Fryer</li></ul></body></html>"""


def _drawing(pdf: bytes) -> tuple[list[float], bytes]:
    """The page's size and what it draws (text, positions, sizes and colours), without the file's dates."""
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    content = page.get_contents()
    assert content is not None
    return [float(x) for x in page.mediabox], content.get_data()


def test_a_document_is_drawn_the_same_whatever_was_rendered_before_it(app):
    with app.app_context():
        first = _drawing(html_to_pdf(_PLAIN))
        styled = _drawing(html_to_pdf(_STYLED))
        again = _drawing(html_to_pdf(_PLAIN))
        once_more = _drawing(html_to_pdf(_PLAIN))
    assert styled != first, "the styled document should look different"
    assert again == first, "the plain document took styles from the one rendered before it"
    assert once_more == first, "the plain document lost styles when rendered twice in a row"
    assert first[0][2] > first[0][3], "A5 landscape is wider than tall"
    assert b"40 Tf" not in again[1] and b"18 Tf" not in again[1]
