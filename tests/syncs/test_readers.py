"""HR sources read into flat rows: recorded vendor answers served by a real local HTTP server."""

from __future__ import annotations

import base64
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.syncs.readers import KINDS, ReadError, read_rows, require_fields, sample_fields
from tests.syncs.conftest import RECORDED, Recorded, serve_recorded

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(app) -> Iterator[Recorded]:
    with serve_recorded(app) as recorded, app.test_request_context():
        yield recorded


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def read_error(
    kind: str, config: dict[str, str], secret: str | None = None, upload: bytes | None = None
) -> str:
    with pytest.raises(ReadError) as raised:
        list(read_rows(kind, config, secret, upload))
    return raised.value.message


# --- BambooHR --------------------------------------------------------------------------------------

BAMBOO_API = "/api/gateway.php/acme/v1"


def bamboohr(server: Recorded, **config: str) -> dict[str, str]:
    return {"company_domain": "acme", "base_url": server.url(), **config}


def test_bamboohr_custom_report_gives_everyone_with_employee_number_hire_date_status_and_manager(server):
    server.answer_file(f"{BAMBOO_API}/reports/custom", "bamboohr_custom_report.json")
    rows = list(read_rows("bamboohr", bamboohr(server, extra_fields="4047"), "the-api-key"))

    [asked] = server.requests
    assert asked["method"] == "POST"
    assert asked["path"] == f"{BAMBOO_API}/reports/custom?format=JSON&onlyCurrent=true"
    assert asked["headers"]["Authorization"] == basic("the-api-key", "x")
    assert asked["headers"]["Accept"] == "application/json"
    assert asked["headers"]["Content-Type"] == "application/json"  # exactly: BambooHR reads XML otherwise
    fields = json.loads(asked["body"])["fields"]
    for needed in ("id", "employeeNumber", "workEmail", "hireDate", "status", "supervisorEId", "4047"):
        assert needed in fields

    assert len(rows) == 9
    leaver = next(row for row in rows if row["status"] == "Inactive")
    assert leaver["workEmail"] == "ari.auditor@acme.example"
    assert leaver["terminationDate"] == "2026-11-24"
    hire = next(row for row in rows if row["firstName"] == "Riley")
    assert hire["employeeNumber"] == "E1009"
    assert hire["terminationDate"] == ""  # BambooHR's 0000-00-00
    assert hire["supervisorEId"] == "102" and hire["supervisorEmail"] == "manager@acme.example"
    assert hire["4047"] == "Yes"
    top = next(row for row in rows if row["id"] == "101")
    assert top["supervisorEId"] == "" and top["preferredName"] == ""  # null → empty
    assert all(isinstance(value, str) for row in rows for value in row.values())


def test_bamboohr_directory_lists_current_employees_and_its_field_names(server):
    server.answer_file(f"{BAMBOO_API}/employees/directory", "bamboohr_directory.json")
    config = bamboohr(server, report="directory")
    rows = list(read_rows("bamboohr", config, "the-api-key"))
    assert [request["method"] for request in server.requests] == ["GET"]
    assert server.requests[0]["headers"]["Authorization"] == basic("the-api-key", "x")
    assert len(rows) == 8 and not any(row["workEmail"] == "auditor@acme.example" for row in rows)
    learner = next(row for row in rows if row["workEmail"] == "learner@acme.example")
    assert (learner["department"], learner["location"], learner["supervisor"]) == (
        "Engineering",
        "Boston",
        "Morgan Manager",
    )
    assert learner["photoUploaded"] == "false"
    names = sample_fields("bamboohr", config, "the-api-key")
    assert names[:4] == ["displayName", "firstName", "lastName", "preferredName"]
    assert "id" in names and "workEmail" in names


def test_a_wrong_api_key_is_named_and_bamboohr_s_own_message_kept(server):
    server.answers[f"{BAMBOO_API}/reports/custom"] = (
        401,
        {"X-BambooHR-Error-Message": "Invalid API key"},
        b"",
    )
    message = read_error("bamboohr", bamboohr(server), "wrong")
    assert "HTTP 401" in message and "check the API key" in message and "Invalid API key" in message


def test_an_unknown_company_a_server_error_and_an_html_page_are_told_apart(server):
    config = bamboohr(server, report="directory")
    assert "HTTP 404" in read_error("bamboohr", config, "key")
    server.answer(f"{BAMBOO_API}/employees/directory", "oops", status=500, content_type="text/plain")
    assert "HTTP 500" in read_error("bamboohr", config, "key")
    server.answer(f"{BAMBOO_API}/employees/directory", "<html>Sign in</html>", content_type="text/html")
    assert "did not answer with JSON (it sent text/html)" in read_error("bamboohr", config, "key")
    server.answer(f"{BAMBOO_API}/employees/directory", '{"fields": [], "employees": [{"id": "1"}, {"id"')
    assert "not valid JSON (line 1" in read_error("bamboohr", config, "key")
    server.answer(f"{BAMBOO_API}/employees/directory", '{"fields": []}')
    assert "no “employees”" in read_error("bamboohr", config, "key")


def test_a_company_domain_cannot_reach_another_path(server):
    message = read_error("bamboohr", bamboohr(server, company_domain="acme/../other"), "key")
    assert "is not a company domain" in message
    assert not server.requests


def test_a_local_address_is_refused_unless_an_operator_allowed_it(app, server):
    server.answer_file(f"{BAMBOO_API}/employees/directory", "bamboohr_directory.json")
    app.config["OUTBOUND_ALLOWED_HOSTS"] = ""
    message = read_error("bamboohr", bamboohr(server, report="directory"), "key")
    assert "private or local address" in message and "OUTBOUND_ALLOWED_HOSTS" in message
    assert not server.requests


def test_an_answer_over_the_size_limit_is_refused(app, server):
    server.answer_file(f"{BAMBOO_API}/employees/directory", "bamboohr_directory.json")
    app.config["SYNC_MAX_BYTES"] = 1000
    try:
        assert "larger than the limit" in read_error("bamboohr", bamboohr(server, report="directory"), "key")
    finally:
        del app.config["SYNC_MAX_BYTES"]


def test_missing_settings_and_secrets_are_named_before_anything_is_fetched(server):
    assert read_error("bamboohr", {"company_domain": " "}, "key") == "Fill in “Company domain”."
    assert read_error("bamboohr", {"company_domain": "acme"}, "  ") == "Fill in “API key”."
    assert read_error("workday", {"report_url": server.url("/r"), "username": "isu"}) == "Fill in “Password”."
    assert "not a kind of source" in read_error("ldap", {})
    assert "Choose one of the options" in read_error("bamboohr", {"company_domain": "a", "report": "x"}, "k")
    assert not server.requests


def test_every_kind_describes_its_settings_for_the_source_form():
    assert set(KINDS) == {"csv", "bamboohr", "workday", "url"}
    for kind in KINDS.values():
        assert str(kind.label) and str(kind.description)
        for setting in kind.fields:
            assert setting.kind in {"url", "text", "choice", "path"} and str(setting.label)
            assert not setting.choices or setting.default in {value for value, _label in setting.choices}
    assert str(KINDS["bamboohr"].secret_label) == "API key"
    assert str(KINDS["workday"].secret_label) == "Password"
    assert KINDS["csv"].takes_upload and not KINDS["csv"].takes_secret
    assert not KINDS["url"].secret_required({"auth": "none"}) and KINDS["url"].secret_required(
        {"auth": "bearer"}
    )


# --- Workday ---------------------------------------------------------------------------------------


def test_workday_report_entries_are_flattened_with_references_and_groups(server):
    server.answer_file("/ccx/service/customreport2/acme/ISU_Atrium/People", "workday_people.json")
    config = {
        "report_url": server.url("/ccx/service/customreport2/acme/ISU_Atrium/People?format=csv&Effective=x"),
        "username": "ISU_Atrium",
    }
    rows = list(read_rows("workday", config, "s3cret"))
    [asked] = server.requests
    assert asked["path"].endswith("?Effective=x&format=json")
    assert asked["headers"]["Authorization"] == basic("ISU_Atrium", "s3cret")
    assert [row["Employee_ID"] for row in rows] == ["21001", "21082", "21145"]
    first = rows[0]
    assert first["Location"] == "San Francisco" and first["Location.ID"] == "San_Francisco_site"
    assert first["Manager_Employee_ID"] == "21000" and first["Manager"] == "Ashton Burns"
    assert rows[2]["Manager_Employee_ID"] == "21082; 21001"
    assert rows[2]["Active_Status"] == "0" and rows[2]["Termination_Date"] == "2026-11-20"


def test_workday_wrong_password_names_the_integration_user(server):
    server.answer("/r", "", status=401)
    message = read_error("workday", {"report_url": server.url("/r"), "username": "isu"}, "bad")
    assert "HTTP 401" in message and "integration user" in message


# --- Any JSON or CSV address -----------------------------------------------------------------------


def test_a_json_address_with_a_bearer_token_and_the_list_under_a_key(server):
    server.answer_file("/people", "generic_users.json")
    config = {"url": server.url("/people"), "auth": "bearer", "list_key": "data"}
    rows = list(read_rows("url", config, "tok-123"))
    assert server.requests[0]["headers"]["Authorization"] == "Bearer tok-123"
    assert rows[0] == {
        "id": "1",
        "email": "pat@example.com",
        "name.given": "Pat",
        "name.family": "Kim",
        "active": "true",
        "tags": "sales; emea",
        "manager": "",
    }
    assert rows[1]["manager.id"] == "1" and rows[1]["active"] == "false" and rows[1]["tags"] == ""
    assert "name the key" in read_error("url", {"url": server.url("/people")})
    message = read_error("url", {**config, "list_key": "users"}, "tok-123")
    assert "no “users”" in message and "data, meta" in message


def test_a_csv_address_with_basic_auth_is_read_by_its_content_type(server):
    server.answer("/export", "id,mail\n7,a@example.com\n", content_type="text/csv; charset=utf-8")
    config = {"url": server.url("/export"), "auth": "basic", "username": "reader"}
    assert list(read_rows("url", config, "pw")) == [{"id": "7", "mail": "a@example.com"}]
    assert server.requests[0]["headers"]["Authorization"] == basic("reader", "pw")
    assert read_error("url", {**config, "username": ""}, "pw") == "Fill in “User name”."
    server.answer("/export", "", status=401)
    assert "check the user name and password" in read_error("url", config, "pw")


def test_a_json_list_at_the_top_with_a_bom_is_read_and_bad_items_are_named(server):
    server.answer("/list", b'\xef\xbb\xbf [ {"id": 1, "email": "a@example.com"} , {"id": 2} ]\n')
    rows = list(read_rows("url", {"url": server.url("/list"), "format": "json"}, None))
    assert rows == [{"id": "1", "email": "a@example.com"}, {"id": "2"}]
    server.answer("/list", '[{"id": 1}, 7]')
    assert "Item 2 of the list is not an object" in read_error("url", {"url": server.url("/list")})
    server.answer("/list", '{"meta": {"n": 1}, "result": {"page": 1, "people": [{"id": "p1"}]}}')
    config = {"url": server.url("/list"), "list_key": "result.people"}
    assert list(read_rows("url", config, None)) == [{"id": "p1"}]
    server.answer("/list", '{"meta": 1 "result": []}')
    assert "not valid JSON (line 1, column 12" in read_error("url", config)
    server.answer("/list", "   ")
    assert "The answer is empty" in read_error("url", {"url": server.url("/list"), "format": "json"})


def test_credentials_never_follow_a_redirect_to_another_host(app, server):
    server.answer_file("/people", "generic_users.json")
    server.answers["/moved"] = (302, {"Location": f"http://localhost:{server.port}/people"}, b"")
    app.config["OUTBOUND_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    config = {"url": server.url("/moved"), "auth": "bearer", "list_key": "data"}
    assert len(list(read_rows("url", config, "tok-123"))) == 2
    first, second = server.requests
    assert first["headers"]["Authorization"] == "Bearer tok-123"
    assert second["path"] == "/people" and "Authorization" not in second["headers"]


def test_credentials_are_never_sent_unencrypted_to_a_public_address(server):
    report = "http://93.184.216.34/ccx/service/customreport2/acme/isu/People"
    config = {"report_url": report, "username": "isu"}
    message = read_error("workday", config, "pw")
    assert "unencrypted" in message and "https://" in message


# --- CSV -------------------------------------------------------------------------------------------


def test_a_spreadsheet_export_with_bom_semicolons_and_quotes_is_read(app):
    upload = (RECORDED / "people_semicolon_bom.csv").read_bytes()
    with app.test_request_context():
        rows = list(read_rows("csv", {}, None, upload))
        assert [row["employee_id"] for row in rows] == [
            "E1001",
            "E1003",
            "E1009",
            "E1010",
        ]  # blank line skipped
        assert rows[1]["email"] == "LEARNER@acme.example"
        assert rows[2]["job_title"] == "Warehouse associate; nights"
        assert rows[3]["first_name"] == "Zoë" and rows[3]["status"] == "active"
        assert sample_fields("csv", {}, None, upload)[:3] == ["employee_id", "email", "first_name"]
        assert sample_fields("csv", {}, None, b"id,email\r\n") == ["id", "email"]  # header only


@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        (b"", "no header row"),
        (b"id,email,id\n1,a,1\n", "names the column “id” twice"),
        (b"id,,email\n", "Column 2 of the header row has no name"),
        (b"id,email\n1,a@example.com\n2,b@example.com,extra\n", "Line 3 has 3 values but the header names 2"),
        (b"id,name\n1,Ren\xe9\n", "not UTF-8"),
    ],
)
def test_a_broken_csv_is_refused_with_what_to_fix(app, upload, expected):
    with app.test_request_context():
        assert expected in read_error("csv", {}, None, upload)


def test_short_lines_and_trailing_empty_columns_are_forgiven(app):
    with app.test_request_context():
        rows = list(read_rows("csv", {"separator": "comma"}, None, b"id,email,,\n1,a@example.com,,\n2\n"))
    assert rows == [{"id": "1", "email": "a@example.com"}, {"id": "2", "email": ""}]


def test_a_file_in_the_import_folder_is_read_and_nothing_outside_it(app, db, tenant_factory, tmp_path):
    from app.tenancy import as_tenant

    tenant = tenant_factory()
    folder = tmp_path / tenant.slug
    folder.mkdir()
    (folder / "people.csv").write_text("id,email\n1,a@example.com\n", encoding="utf-8")
    (tmp_path / "secret.csv").write_text("id,email\n9,leak@example.com\n", encoding="utf-8")
    (folder / "link.csv").symlink_to(tmp_path / "secret.csv")
    app.config["SYNC_IMPORT_ROOT"] = str(tmp_path)
    try:
        with app.test_request_context(), as_tenant(tenant):
            assert list(read_rows("csv", {"path": "people.csv"}, None)) == [
                {"id": "1", "email": "a@example.com"}
            ]
            for outside in ("../secret.csv", "/etc/passwd", "..\\secret.csv", "link.csv"):
                assert "points outside it" in read_error("csv", {"path": outside})
            assert "no file “nobody.csv”" in read_error("csv", {"path": "nobody.csv"})
            assert "Upload a CSV file" in read_error("csv", {})
    finally:
        del app.config["SYNC_IMPORT_ROOT"]


def test_require_fields_names_the_missing_column(app):
    with app.test_request_context():
        require_fields(["id", "email"], ["email"])
        with pytest.raises(ReadError, match="no field “employee_id”; it has: id, email"):
            require_fields(["id", "email"], ["employee_id"])


# --- The demo HR API -------------------------------------------------------------------------------


def test_the_demo_hr_api_serves_acme_with_a_hire_a_mover_and_a_leaver(app):
    from werkzeug.serving import make_server

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import demo_hr_api
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    httpd = make_server("127.0.0.1", 0, demo_hr_api.create_app())
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    saved = app.config.get("OUTBOUND_ALLOWED_HOSTS")
    app.config["OUTBOUND_ALLOWED_HOSTS"] = "127.0.0.1"
    try:
        with app.test_request_context():
            config = {"company_domain": "acme", "base_url": f"http://127.0.0.1:{httpd.server_port}"}
            rows = {row["workEmail"]: row for row in read_rows("bamboohr", config, demo_hr_api.API_KEY)}
            assert rows["riley.chen@acme.example"]["status"] == "Active"
            assert rows["learner@acme.example"]["location"] == "Boston"
            assert rows["auditor@acme.example"]["status"] == "Inactive"
            assert rows["jo.doe@acme.example"]["supervisorId"] == "E1002"
            directory = list(read_rows("bamboohr", {**config, "report": "directory"}, demo_hr_api.API_KEY))
            assert len(directory) == len(rows) - 1
            assert "check the API key" in read_error("bamboohr", config, "wrong-key")
            assert "HTTP 404" in read_error("bamboohr", {**config, "company_domain": "globex"}, "demo-hr-key")
    finally:
        app.config["OUTBOUND_ALLOWED_HOSTS"] = saved
        httpd.shutdown()


# --- The bench's generated company -----------------------------------------------------------------


def test_the_bench_company_reads_the_same_from_csv_and_from_bamboohr(server, tmp_path):
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import hr_rows
    finally:
        sys.path.remove(str(ROOT / "bench"))
    before = hr_rows.people(2000)
    after = hr_rows.changed(before, 0.05)
    hr_rows.write_csv(after, tmp_path / "after.csv")
    hr_rows.write_bamboohr(after, tmp_path / "after.json")
    server.answer_file(f"{BAMBOO_API}/reports/custom", str(tmp_path / "after.json"))

    from_csv = list(read_rows("csv", {}, None, (tmp_path / "after.csv").read_bytes()))
    from_api = list(read_rows("bamboohr", bamboohr(server), "key"))
    assert len(from_csv) == len(from_api) == 2000 + 20  # 100 changes: 20 of them new hires
    assert [row["employee_id"] for row in from_csv] == [row["employeeNumber"] for row in from_api]
    assert [row["manager_id"] for row in from_csv] == [row["supervisorId"] for row in from_api]
    emails = [row["email"] for row in from_csv]
    assert len(set(emails)) == len(emails)
    left_today = [row for row in from_api if row["terminationDate"] == "2026-12-01"]
    assert len(left_today) == 20
    numbers = {row["employeeNumber"] for row in from_api}
    assert all(row["supervisorId"] in numbers for row in from_api if row["supervisorId"])


def test_a_json_address_given_a_page_at_a_time_is_read_to_the_last_page(server):
    # Pages by the Link header (RFC 8288), relative or absolute, with the bearer token on every page.
    server.answer("/p1", '[{"id": "1"}, {"id": "2"}]', headers={"Link": '</p2?cursor=x>; rel="next"'})
    server.answer("/p2", '[{"id": "3"}]', headers={"Link": f'<{server.url("/p3")}>; rel="next"'})
    server.answer("/p3", "[]")
    config = {"url": server.url("/p1"), "auth": "bearer"}
    assert [r["id"] for r in read_rows("url", config, "tok")] == ["1", "2", "3"]
    assert [r["path"] for r in server.requests] == ["/p1", "/p2?cursor=x", "/p3"]
    assert all(r["headers"]["Authorization"] == "Bearer tok" for r in server.requests)
    # Pages by a key in the answer, and the list under another key.
    server.answer("/q1", '{"data": [{"id": "a"}], "links": {"next": "/q2"}}')
    server.answer("/q2", '{"data": [{"id": "b"}], "links": {"next": null}}')
    paged = {"url": server.url("/q1"), "list_key": "data", "next_key": "links.next"}
    assert [r["id"] for r in read_rows("url", paged, None)] == ["a", "b"]


def test_pages_that_leave_the_server_or_go_round_in_a_circle_are_refused(server):
    server.answer("/away", "[]", headers={"Link": '<http://elsewhere.example/p2>; rel="next"'})
    assert "another server" in read_error("url", {"url": server.url("/away")})
    server.answer("/loop1", "[]", headers={"Link": '</loop2>; rel="next"'})
    server.answer("/loop2", "[]", headers={"Link": '</loop1>; rel="next"'})
    assert "already read" in read_error("url", {"url": server.url("/loop1")})
