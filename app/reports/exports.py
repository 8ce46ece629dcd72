"""Report files: CSV streamed line by line, XLSX in xlsxwriter's constant-memory mode, a branded PDF summary.

Each file states the report, the filters it used and when it was generated, above the rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from flask import render_template
from flask_babel import format_decimal
from flask_babel import gettext as _
from markupsafe import Markup

from app.csvcells import FORMULA_START, csv_safe
from app.reports.registry import Filters, Report, Scope

#: A PDF summary lists at most this many rows and says how many more there are.
PDF_MAX_ROWS = 500
#: An Excel sheet holds 1,048,576 rows; an XLSX export writes at most this many data rows (the limit less
#: the column headings), fewer still if its heading lines and the note that it stopped would not fit.
XLSX_SHEET_ROWS = 1_048_576
XLSX_MAX_ROWS = XLSX_SHEET_ROWS - 1
BOM = "\ufeff"
#: Rows sent to the server at a time: a chunk per row costs the server's per-chunk work a million times.
LINES_PER_CHUNK = 200


@dataclass(frozen=True)
class Heading:
    """What an export says about itself: the report, its filters in words, when it was generated."""

    report: Report
    filters: list[tuple[str, str]]
    generated: str  # the moment, in the portal's time zone
    portal: str

    def lines(self) -> list[list[str]]:
        filters = "; ".join(f"{name}: {value}" for name, value in self.filters) or _("none")
        return [
            [str(self.report.title)],
            [_("Filters used: %(filters)s", filters=filters)],
            [_("Generated: %(moment)s", moment=self.generated)],
            [],
        ]


def csv_lines(heading: Heading | None, rows: Iterable[list[Any]], *, bom: bool = False) -> Iterator[str]:
    """The export as CSV text, a few lines at a time, every cell formula-safe: constant memory at any size.

    Without *heading*, the rows alone.
    """
    for text, _count in _counted_lines(heading, rows, bom=bom):
        yield text


def _counted_lines(
    heading: Heading | None, rows: Iterable[list[Any]], *, bom: bool = False
) -> Iterator[tuple[str, int]]:
    """:func:`csv_lines`, each chunk with how many of *rows* it holds."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write(BOM)
    if heading is not None:
        writer.writerows([csv_safe(value) for value in line] for line in heading.lines())
        writer.writerow([csv_safe(str(column.label)) for column in heading.report.columns()])
        yield buffer.getvalue(), 0
        buffer.seek(0)
        buffer.truncate()
    rows = iter(rows)
    while batch := list(islice(rows, LINES_PER_CHUNK)):
        writer.writerows([_safe(value) for value in row] for row in batch)
        yield buffer.getvalue(), len(batch)
        buffer.seek(0)
        buffer.truncate()


def _safe(value: Any) -> str:
    """:func:`csv_safe`, quicker for the cells most rows are made of (no formula to defuse)."""
    text = value if type(value) is str else "" if value is None else str(value)
    return "'" + text if text[:1] in _FORMULA_FIRST else text


_FORMULA_FIRST = frozenset(FORMULA_START)


def csv_export(
    heading: Heading, filters: Filters, scope: Scope, zone: Any, *, bom: bool = False
) -> Iterator[bytes]:
    """The report's export as UTF-8 CSV, in chunks: the same bytes whichever of PostgreSQL or Python
    writes the rows (see :func:`csv_chunks`)."""
    for chunk, _count in csv_chunks(heading, filters, scope, zone, bom=bom):
        yield chunk


def csv_chunks(
    heading: Heading, filters: Filters, scope: Scope, zone: Any, *, bom: bool = False
) -> Iterator[tuple[bytes, int]]:
    """The export in chunks of UTF-8 CSV, each with how many of the report's rows it holds.

    On PostgreSQL the report's cells are formatted and quoted by the database as it reads the rows
    (:mod:`app.reports.csv_copy`); elsewhere, and for a report shaped in Python only, by
    :meth:`Report.rows` and Python's ``csv`` writer.
    """
    from app.reports.csv_copy import copied_rows

    report = heading.report
    yield "".join(csv_lines(heading, [], bom=bom)).encode(), 0
    copied = copied_rows(report, filters, scope, zone)
    if copied is not None:
        yield from copied
        return
    for text, count in _counted_lines(None, report.rows(filters, scope, zone)):
        yield text.encode(), count


def write_csv(
    path: Path,
    heading: Heading,
    filters: Filters,
    scope: Scope,
    zone: Any,
    progress: Callable[[int], None],
) -> int:
    """Write the export to *path* (with a byte order mark, for spreadsheets); return how many rows."""
    count = 0
    with path.open("wb") as out:
        for chunk, rows in csv_chunks(heading, filters, scope, zone, bom=True):
            out.write(chunk)
            if (count + rows) // 1000 > count // 1000:
                progress(count + rows)
            count += rows
    return count


@dataclass(frozen=True)
class Written:
    """How many rows a file holds, of how many the report had (fewer when the format has a limit)."""

    rows: int
    total: int

    @property
    def capped(self) -> bool:
        return self.rows < self.total


def xlsx_cap_note(written: int, total: int) -> str:
    """What a capped XLSX file and its export's status say: where it stopped, how many were left out."""
    return _(
        "Excel holds at most %(limit)s rows in a sheet: this file stops after %(rows)s of the report's "
        "%(total)s rows, %(left)s left out. Export as CSV for every row.",
        limit=format_decimal(XLSX_SHEET_ROWS),
        rows=format_decimal(written),
        total=format_decimal(total),
        left=format_decimal(total - written),
    )


def write_xlsx(
    path: Path, heading: Heading, rows: Iterable[list[Any]], progress: Callable[[int], None]
) -> Written:
    """Write the export as an XLSX workbook row by row (xlsxwriter's constant_memory mode).

    Past what a sheet holds it stops writing, still counts the rest, and says so in the sheet's last row.
    """
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    try:
        sheet = workbook.add_worksheet(_safe_sheet_name(str(heading.report.title)))
        bold = workbook.add_format({"bold": True})
        line = 0
        for text in heading.lines():
            if text:
                sheet.write_string(line, 0, text[0], bold if line == 0 else None)
            line += 1
        for index, column in enumerate(heading.report.columns()):
            sheet.write_string(line, index, str(column.label), bold)
        line += 1
        # The rows above and the note row below take room in the sheet too.
        cap = max(0, min(XLSX_MAX_ROWS, XLSX_SHEET_ROWS - line - 1))
        count = 0
        for row in rows:
            count += 1
            if count <= cap:
                for index, value in enumerate(row):
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        sheet.write_number(line, index, value)
                    else:
                        sheet.write_string(line, index, "" if value is None else str(value))
                line += 1
            if count % 1000 == 0:
                progress(count)
        written = min(count, cap)
        if written < count:
            sheet.write_string(line, 0, xlsx_cap_note(written, count), bold)
    finally:
        workbook.close()
    return Written(written, count)


def _safe_sheet_name(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Report")[:31]


def render_pdf(
    heading: Heading, rows: Iterable[list[Any]], tenant: Any, progress: Callable[[int], None]
) -> tuple[bytes, int]:
    """The inspector's summary: branding, filters, time generated, page X of Y; at most PDF_MAX_ROWS rows."""
    from app.certificates.documents import _logo  # the portal's logo as a data URI, as on certificates
    from app.locales import RTL_LOCALES, person_locale
    from app.pdf import html_to_pdf
    from app.tenancy.themes import brand_variables, get_theme

    shown: list[list[Any]] = []
    count = 0
    for row in rows:
        count += 1
        if len(shown) < PDF_MAX_ROWS:
            shown.append(row)
        if count % 1000 == 0:
            progress(count)
    colours = brand_variables(get_theme(tenant.theme), tenant.branding or {})
    locale = person_locale(None, tenant)
    html = render_template(
        "reports/summary_pdf.html",
        heading=heading,
        columns=heading.report.columns(),
        rows=shown,
        total=count,
        more=max(0, count - len(shown)),
        tenant=tenant,
        logo=_logo(tenant),
        primary=colours["color-primary"],
        primary_text=colours["color-primary-text"],
        rtl=locale in RTL_LOCALES,
        page_number=Markup("<pdf:pagenumber>"),
        page_count=Markup("<pdf:pagecount>"),
    )
    return html_to_pdf(html), count


def generated_at(moment: datetime, zone: Any) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
