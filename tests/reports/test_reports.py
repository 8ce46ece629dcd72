"""Built-in reports: rows for a small bistro, a manager's scope in pages and exports, bad filters refused."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta

from app.tenancy import as_tenant


def _text(response) -> str:
    return response.get_data(as_text=True)


def _results(response) -> str:
    """The results part of a report's page (not its filter options)."""
    page = _text(response)
    start = page.find('id="results-heading"')
    assert start >= 0, page[:3000]
    return page[start : page.find('id="export-heading"')]


def _download(client, link: str):
    response = client.get(link)
    response.get_data()
    response.close()
    return response


def _export(client, key: str, fmt: str, query: str = ""):
    from tests.conftest import csrf_token

    token = csrf_token(client, f"/reports/{key}{query}")
    # Buffered: the test client reads a streamed body inside the request's own context, as a server does.
    return client.post(
        f"/reports/{key}/export{query}", data={"csrf_token": token, "format": fmt}, buffered=True
    )


def test_the_reports_page_lists_every_built_in_report(bistro, client_for):
    page = _text(client_for(bistro["tenant"], bistro["admin"]).get("/reports/"))
    for title in (
        "Completions",
        "Certification status and expiries",
        "Policy acceptance per version",
        "Overdue items",
        "Assessment attempts",
        "Drop-off per lesson",
    ):
        assert title in page


def test_each_report_shows_its_rows_to_an_admin(bistro, client_for):
    client = client_for(bistro["tenant"], bistro["admin"])
    completions = _results(client.get("/reports/completions"))
    assert "Cara Complete" in completions and "Allergens" in completions and "90.0" in completions
    assert "Ovi Overdue" not in completions  # not completed
    certifications = _results(client.get("/reports/certifications?status=expired"))
    assert "Far Away" in certifications and "Fire safety" in certifications
    assert "Food handler" not in certifications
    policies = _results(client.get("/reports/policies?status=not_accepted"))
    assert "Code of Conduct" in policies and "not accepted" in policies and "Ovi Overdue" in policies
    overdue = _results(client.get("/reports/overdue"))
    assert "Ovi Overdue" in overdue and "Far Away" in overdue and "Cara Complete" not in overdue
    attempts = _results(client.get(f"/reports/attempts?quiz={bistro['quiz_id']}&status=passed"))
    assert "Allergen check" in attempts and "Cara Complete" in attempts
    assert "60.0" not in attempts  # the failed attempt is filtered out
    drop_off = _results(client.get(f"/reports/drop_off?course={bistro['course_id']}"))
    assert "Read first" in drop_off and "1 row" in drop_off


def test_a_report_longer_than_a_page_links_to_its_next_page_with_its_filters(bistro, client_for, db):
    from app.assessments.models import Attempt

    with as_tenant(bistro["tenant"]):
        start = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
        for number in range(3, 63):  # sixty more tries of Cara's: more than the fifty rows of a page
            db.session.add(
                Attempt(
                    quiz_id=bistro["quiz_id"],
                    user_id=bistro["cara"].id,
                    number=number,
                    status="submitted",
                    started_at=start + timedelta(minutes=number),
                    submitted_at=start + timedelta(minutes=number, seconds=30),
                    score_percent=50.0,
                    passed=False,
                )
            )
        db.session.commit()
    client = client_for(bistro["tenant"], bistro["admin"])
    first = client.get(f"/reports/attempts?quiz={bistro['quiz_id']}")
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert "Page 1 of 2" in page
    assert f'href="/reports/attempts?quiz={bistro["quiz_id"]}&amp;page=2" rel="next"' in page
    second = client.get(f"/reports/attempts?quiz={bistro['quiz_id']}&page=2")
    assert second.status_code == 200
    assert "Page 2 of 2" in second.get_data(as_text=True)
    assert 'rel="prev"' in second.get_data(as_text=True)


def test_a_bad_filter_is_refused_next_to_its_field_and_kept(bistro, client_for):
    client = client_for(bistro["tenant"], bistro["admin"])
    response = client.get("/reports/completions?date_from=31/12/2026&course=999999")
    page = _text(response)
    assert response.status_code == 422
    assert "Enter a date as YYYY-MM-DD." in page and 'value="31/12/2026"' in page
    assert "Choose one of the options listed." in page
    # The drop-off report first asks for its course, without an error.
    first = client.get("/reports/drop_off")
    assert first.status_code == 200 and "Choose one to see this report." not in _text(first)


def test_a_location_manager_never_sees_someone_outside_their_reach(bistro, client_for):
    client = client_for(bistro["tenant"], bistro["manager"])
    for key in ("overdue", "certifications", "policies", "attempts"):
        page = _results(client.get(f"/reports/{key}"))
        assert "Far Away" not in page, key
    overdue = _results(client.get("/reports/overdue"))
    assert "Ovi Overdue" in overdue
    csv_text = _export(client, "overdue", "csv").get_data(as_text=True)
    assert "Ovi Overdue" in csv_text and "Far Away" not in csv_text
    xlsx = _export(client, "certifications", "xlsx")
    export_page = client.get(xlsx.headers["Location"])
    link = re.search(r'href="(/reports/exports/\d+/download)"', _text(export_page)).group(1)
    data = _download(client, link).data
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        strings = (
            book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
        )
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
    assert "Far Away" not in strings + sheet


def test_csv_export_streams_with_its_filters_and_is_audited(bistro, client_for, db):
    from sqlalchemy import select

    from app.audit.models import AuditEvent

    client = client_for(bistro["tenant"], bistro["admin"])
    response = _export(client, "overdue", "csv", "?job_title=Cook")
    assert response.status_code == 200 and "Content-Length" not in response.headers  # streamed
    assert response.headers["Content-Type"].startswith("text/csv")
    text = response.get_data(as_text=True)
    lines = text.splitlines()
    assert lines[0] == "Overdue items"
    assert lines[1] == "Filters used: Job title: Cook" and lines[2].startswith("Generated: ")
    assert "Ovi Overdue" in text and "Far Away" in text
    with as_tenant(bistro["tenant"]):
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.exported")).one()
        assert event.after["format"] == "csv" and event.after["filters"] == {"job_title": "Cook"}
    log = _text(client.get("/admin/audit"))
    assert "exported the report" in log and "Overdue items" in log


def test_a_csv_cell_never_runs_as_a_formula(bistro, client_for, db):
    from app.accounts.models import User

    with as_tenant(bistro["tenant"]):
        db.session.get(User, bistro["ovi"].id).full_name = "=HYPERLINK(1)"
        db.session.commit()
    text = _export(client_for(bistro["tenant"], bistro["admin"]), "overdue", "csv").get_data(as_text=True)
    assert "'=HYPERLINK(1)" in text


def test_xlsx_export_is_a_workbook_with_every_row(bistro, client_for):
    client = client_for(bistro["tenant"], bistro["admin"])
    response = _export(client, "overdue", "xlsx")
    assert response.status_code == 302
    page = _text(client.get(response.headers["Location"]))
    assert "Ready" in page
    link = re.search(r'href="(/reports/exports/\d+/download)"', page).group(1)
    download = _download(client, link)
    assert download.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(download.data)) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()  # constant memory: inline strings
    assert "Ovi Overdue" in xml and "Far Away" in xml and "Filters used: none" in xml


def test_an_xlsx_export_stops_at_excels_row_limit_and_says_so_in_the_file_and_its_status(
    bistro, client_for, monkeypatch
):
    from app.reports import exports

    # Excel's limit is 1,048,575 data rows; one here, so that the small bistro goes over it.
    assert exports.XLSX_MAX_ROWS == 1_048_575
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 1)
    client = client_for(bistro["tenant"], bistro["admin"])
    page = _text(client.get(_export(client, "overdue", "xlsx").headers["Location"]))
    said = re.search(r"this file stops after 1 of the report&#39;s (\d+) rows, (\d+) left out", page)
    assert said is not None, page
    total = int(said.group(1))
    assert total >= 2 and int(said.group(2)) == total - 1 and "Export as CSV for every row" in page
    assert f"1 / {total}" in page  # rows written, of the report's
    link = re.search(r'href="(/reports/exports/\d+/download)"', page).group(1)
    with zipfile.ZipFile(io.BytesIO(_download(client, link).data)) as book:
        xml = book.read("xl/worksheets/sheet1.xml").decode()
    # Three heading lines, the column headings, one data row, and the note as the last row.
    assert xml.count("<row ") == 6
    assert "this file stops after 1 of the report" in xml and "left out" in xml
    # CSV has no such limit: every row.
    assert len(_export(client, "overdue", "csv").get_data(as_text=True).splitlines()) == 5 + total


def test_an_xlsx_export_under_the_limit_says_nothing_of_it(bistro, client_for):
    client = client_for(bistro["tenant"], bistro["admin"])
    page = _text(client.get(_export(client, "overdue", "xlsx").headers["Location"]))
    assert "left out" not in page and "Ready" in page


def test_pdf_summary_is_branded_with_filters_and_page_numbers(bistro, client_for):
    from pypdf import PdfReader

    client = client_for(bistro["tenant"], bistro["admin"])
    response = _export(client, "certifications", "pdf", "?status=expired")
    page = _text(client.get(response.headers["Location"]))
    link = re.search(r'href="(/reports/exports/\d+/download)"', page).group(1)
    data = _download(client, link).data
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Bistro" in text and "Far Away" in text and "Status: Expired" in text
    assert "Page 1 of 1" in text and "Generated" in text


def test_an_export_is_only_for_whoever_asked_or_an_admin(bistro, client_for, user_factory, app):
    client = client_for(bistro["tenant"], bistro["manager"])
    status_page = _export(client, "overdue", "xlsx").headers["Location"]
    download = status_page + "/download"
    assert _download(client, download).status_code == 200
    other = user_factory(bistro["tenant"], roles=("manager",))
    assert client_for(bistro["tenant"], other).get(download).status_code == 404
    assert client_for(bistro["tenant"], other).get(status_page).status_code == 404
    assert _download(client_for(bistro["tenant"], bistro["admin"]), download).status_code == 200
    signed_out = client_for(bistro["tenant"]).get(download)
    assert signed_out.status_code == 302 and "/sign-in" in signed_out.headers["Location"]
    progress = client.get(status_page + "/progress", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' not in _text(progress)  # done: the polling stops


def test_the_report_page_takes_the_same_number_of_queries_for_3_or_12_people(
    db, tenant_factory, user_factory, client_for, count_queries, course_factory, enrol
):
    counts = []
    for n in (3, 12):
        tenant = tenant_factory()
        admin = user_factory(tenant, roles=("tenant_admin",))
        course = course_factory(tenant, "Knife skills")
        for number in range(n):
            enrol(tenant, user_factory(tenant, full_name=f"Person {number:02d}"), course)
        client = client_for(tenant, admin)
        for key in ("certifications", "attempts", "completions"):
            client.get(f"/reports/{key}")
        with count_queries() as counter:
            page = _results(client.get("/reports/overdue?status=not_started"))
        assert page.count("Knife skills") >= n
        counts.append(counter.count)
    assert counts[0] == counts[1], counts


def test_csv_lines_stream_a_large_report_in_constant_memory():
    import tracemalloc
    import types

    from app.reports.exports import LINES_PER_CHUNK, Heading, csv_lines
    from app.reports.registry import REPORTS

    def rows(n):
        for number in range(n):
            yield [
                f"Person {number}",
                f"p{number}@example.com",
                "Downtown",
                "Allergens",
                "Course",
                "2026-12-01",
                "Overdue",
            ]

    heading = Heading(
        report=REPORTS["overdue"], filters=[], generated="2026-12-05 10:00 UTC", portal="Bistro"
    )
    peaks = []
    for n in (10_000, 100_000):
        lines = csv_lines(heading, rows(n))
        assert isinstance(lines, types.GeneratorType)
        tracemalloc.start()
        chunks = [text.count("\n") for text in lines]
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        # Four lines of heading, the column names, then every row, a few hundred lines at a time at most.
        assert sum(chunks) == n + 5
        assert max(chunks) <= LINES_PER_CHUNK and len(chunks) >= n // LINES_PER_CHUNK
    assert peaks[1] < peaks[0] * 2 + 64_000, peaks  # ten times the rows, not ten times the memory


def test_an_export_still_being_written_shows_its_progress_and_polls(bistro, client_for, db):
    from app.reports.models import ReportExport

    with as_tenant(bistro["tenant"]):
        export = ReportExport(
            requested_by_id=bistro["admin"].id,
            report_key="overdue",
            format="xlsx",
            filters={},
            progress_rows=4000,
        )
        db.session.add(export)
        db.session.commit()
        export_id = export.id
    client = client_for(bistro["tenant"], bistro["admin"])
    page = _text(client.get(f"/reports/exports/{export_id}"))
    assert 'hx-trigger="every 2s"' in page and "4000" in page and "Waiting to start" in page
    assert "/download" not in page
    assert client.get(f"/reports/exports/{export_id}/download").status_code == 404
