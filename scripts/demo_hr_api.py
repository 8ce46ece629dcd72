"""A small BambooHR-shaped HR API for the demo: acme's people, with a new hire, a mover and a leaver.

It answers BambooHR's employee directory and custom report for the company domain ``acme`` with the
API key ``demo-hr-key`` (HTTP basic auth: the key as the user name, any password, as BambooHR does):

    python scripts/demo_hr_api.py --port 8091
    curl -u demo-hr-key:x -H 'Accept: application/json' \\
        http://127.0.0.1:8091/api/gateway.php/acme/v1/employees/directory

Compared with the people ``flask demo`` creates in acme:
- new hire: Riley Chen (riley.chen@acme.example), a warehouse associate who started this week;
- mover: Lee Learner (learner@acme.example) moves from Sales in New York to Engineering in Boston,
  Associate → Support engineer;
- leaver: Ari Auditor (auditor@acme.example) is Inactive, terminated last week (the custom report lists
  them; the directory, like BambooHR's, lists current employees only).
jo.doe and sam.lee are there as they are at the demo identity provider.
"""

from __future__ import annotations

import argparse
import base64
import secrets
from datetime import date, timedelta
from typing import Any

from flask import Flask, Response, jsonify, request

DEFAULT_PORT = 8091
COMPANY_DOMAIN = "acme"
API_KEY = "demo-hr-key"  # the documented demo key

DIRECTORY_FIELDS = [
    ("displayName", "text", "Display name"),
    ("firstName", "text", "First name"),
    ("lastName", "text", "Last name"),
    ("preferredName", "text", "Preferred name"),
    ("jobTitle", "list", "Job title"),
    ("workPhone", "text", "Work Phone"),
    ("workEmail", "email", "Work Email"),
    ("department", "list", "Department"),
    ("location", "list", "Location"),
    ("division", "list", "Division"),
    ("supervisor", "text", "Manager"),
    ("photoUploaded", "bool", "Employee photo exists"),
    ("photoUrl", "url", "Employee photo url"),
    ("canUploadPhoto", "bool", "Can upload photo"),
]
REPORT_FIELDS = {
    "employeeNumber": ("text", "Employee #"),
    "firstName": ("text", "First Name"),
    "lastName": ("text", "Last Name"),
    "preferredName": ("text", "Preferred Name"),
    "displayName": ("text", "Display name"),
    "workEmail": ("email", "Work Email"),
    "jobTitle": ("list", "Job Title"),
    "department": ("list", "Department"),
    "division": ("list", "Division"),
    "location": ("list", "Location"),
    "hireDate": ("date", "Hire Date"),
    "terminationDate": ("date", "Termination Date"),
    "status": ("status", "Status"),
    "supervisorEId": ("int", "Supervisor EID"),
    "supervisorId": ("text", "Supervisor ID"),
    "supervisorEmail": ("email", "Supervisor email"),
}


def acme_people(today: date | None = None) -> list[dict[str, Any]]:
    """Acme's people as its HR system has them today (BambooHR field names)."""
    today = today or date.today()
    # id | employee number | first | last | mailbox | job | department | location | hired | supervisor id
    # (a hire date like -3 is that many days ago)
    table = """
        101|E1001|Alex|Admin|admin|IT administrator|Sales|New York|2016-02-01|
        102|E1002|Morgan|Manager|manager|Team manager|Sales|New York|2018-05-14|101
        103|E1003|Lee|Learner|learner|Support engineer|Engineering|Boston|2022-09-06|102
        104|E1004|Indra|Instructor|instructor|Trainer|People|New York|2019-01-07|101
        105|E1005|Avery|Author|author|Learning designer|People|New York|2020-03-02|101
        106|E1006|Ari|Auditor|auditor|Compliance auditor|Finance|New York|2017-10-16|101
        107|E1007|Jo|Doe|jo.doe|Warehouse associate|Operations|Newark|-40|102
        108|E1008|Sam|Lee|sam.lee|Account executive|Sales|New York|2021-11-15|102
        109|E1009|Riley|Chen|riley.chen|Warehouse associate|Operations|Newark|-3|102
    """
    rows = []
    for line in table.strip().splitlines():
        row = [cell.strip() for cell in line.split("|")]
        if row[8].startswith("-"):
            row[8] = (today + timedelta(days=int(row[8]))).isoformat()
        rows.append(row)
    by_id = {row[0]: row for row in rows}
    people = []
    for eid, number, first, last, user, job, department, location, hired, boss in rows:
        leaver = user == "auditor"
        people.append(
            {
                "id": eid,
                "employeeNumber": number,
                "firstName": first,
                "lastName": last,
                "preferredName": None,
                "displayName": f"{first} {last}",
                "workEmail": f"{user}@acme.example",
                "workPhone": f"212-555-0{eid}",
                "jobTitle": job,
                "department": department,
                "division": "North America",
                "location": location,
                "hireDate": hired,
                "terminationDate": (today - timedelta(days=7)).isoformat() if leaver else "0000-00-00",
                "status": "Inactive" if leaver else "Active",
                "supervisorEId": boss or None,
                "supervisorId": by_id[boss][1] if boss else None,
                "supervisorEmail": f"{by_id[boss][4]}@acme.example" if boss else None,
                "supervisor": f"{by_id[boss][2]} {by_id[boss][3]}" if boss else None,
                "photoUploaded": False,
                "photoUrl": "https://resources.bamboohr.com/images/photo_person_150x150.png",
                "canUploadPhoto": 1,
            }
        )
    return people


def directory(people: list[dict[str, Any]]) -> dict[str, Any]:
    """GET /v1/employees/directory: current employees, the directory's fields."""
    return {
        "fields": [{"id": f, "type": t, "name": n} for f, t, n in DIRECTORY_FIELDS],
        "employees": [
            {"id": p["id"], **{f: p.get(f) for f, _t, _n in DIRECTORY_FIELDS}}
            for p in people
            if p["status"] == "Active"
        ],
    }


def custom_report(people: list[dict[str, Any]], fields: list[str], title: str) -> dict[str, Any]:
    """POST /v1/reports/custom: everyone, the asked-for fields; unknown fields are left out silently."""
    known = [f for f in dict.fromkeys(fields) if f in REPORT_FIELDS]
    return {
        "title": title,
        "fields": [{"id": f, "type": REPORT_FIELDS[f][0], "name": REPORT_FIELDS[f][1]} for f in known],
        "employees": [{"id": p["id"], **{f: p.get(f) for f in known}} for p in people],
    }


def create_app(people: list[dict[str, Any]] | None = None) -> Flask:
    app = Flask("demo_hr_api")
    app.json.sort_keys = False  # type: ignore[attr-defined]  # BambooHR sends "fields" before "employees"
    app.config["PEOPLE"] = people

    def refused() -> Response | None:
        scheme, _, value = (request.headers.get("Authorization") or "").partition(" ")
        try:
            user = base64.b64decode(value).decode().partition(":")[0] if scheme.lower() == "basic" else ""
        except ValueError:
            user = ""
        if not secrets.compare_digest(user.encode(), API_KEY.encode()):
            answer = Response("", 401, {"WWW-Authenticate": 'Basic realm="BambooHR"'})
            answer.headers["X-BambooHR-Error-Message"] = "Invalid API key"
            return answer
        if "application/json" not in (request.headers.get("Accept") or "") and not request.args.get("format"):
            return Response("this demo answers JSON only (Accept: application/json)", 406)
        return None

    def company(domain: str) -> Response | None:
        return None if domain == COMPANY_DOMAIN else Response("", 404)

    def current_people() -> list[dict[str, Any]]:
        return app.config["PEOPLE"] or acme_people()

    @app.get("/api/gateway.php/<domain>/v1/employees/directory")
    def employee_directory(domain: str) -> Any:
        return company(domain) or refused() or jsonify(directory(current_people()))

    @app.post("/api/gateway.php/<domain>/v1/reports/custom")
    def report(domain: str) -> Any:
        problem = company(domain) or refused()
        if problem is not None:
            return problem
        if request.mimetype != "application/json":
            return Response("Malformed XML", 400)
        body = request.get_json(silent=True) or {}
        fields = [str(f) for f in body.get("fields") or []]
        return jsonify(custom_report(current_people(), fields, str(body.get("title") or "Report")))

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    args = parser.parse_args()
    print(
        f"Demo HR API (BambooHR-shaped) on http://{args.host}:{args.port}: company domain {COMPANY_DOMAIN}, "
        f"API key {API_KEY}; new hire Riley Chen, mover Lee Learner, leaver Ari Auditor"
    )
    from werkzeug.serving import run_simple

    run_simple(args.host, args.port, create_app(), use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
