"""Write an HR system's people as a CSV export and as a BambooHR custom report, for the sync benchmark.

    .venv/bin/python bench/hr_rows.py                          # 100,000 people, and the same with 1 % changes
    .venv/bin/python bench/hr_rows.py --rows 2000 --changes 0.05 --out /tmp/hr
    .venv/bin/python bench/hr_rows.py --format csv --changes 0

Files (in bench/.data/hr/ by default, git-ignored): people-<N>.csv and people-<N>.bamboohr.json, and
with changes people-<N>-changed.csv and .bamboohr.json: the same company a day later, where the
changed share is split into movers (new job, department, location or manager), leavers (Inactive,
with a termination date), new hires and renames (a new last name). No database is touched; the same
seed gives the same files. The CSV uses the column names of a typical HR export (employee_id, email,
manager_id …); the JSON is what ``app/syncs/readers`` asks BambooHR's custom report for.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any


def _words(paragraph: str) -> list[str]:
    return paragraph.split()


FIRST_NAMES = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra "
    "Mark Ashley Sofía Mateo Valentina Santiago Camila Lucía João Ana Chloé Léa Zoë Jürgen Anaïs Søren Åsa "
    "Aoife Siobhán Wei Mei Hiroshi Yuki Priya Arjun Aisha Omar Fatima Chinedu Ngozi Kwame Amara Dmitri Olga"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "O'Brien O'Connor Müller Schröder Dubois Lefèvre Rossi Bianchi Kowalski Nowak Novák Ivanova Tanaka "
    "Sato Kim Park Chen Wang Singh Patel Okafor Mensah Haddad Cohen Van-der-Berg De-la-Cruz"
)
DEPARTMENTS = {
    "Sales": ("Account executive", "Sales development rep", "Sales engineer"),
    "Operations": ("Warehouse associate", "Forklift operator", "Shift lead", "Logistics planner"),
    "Engineering": ("Software engineer", "Support engineer", "QA analyst", "Site reliability engineer"),
    "Finance": ("Accountant", "Payroll specialist", "Financial analyst"),
    "People": ("HR partner", "Recruiter", "Trainer"),
    "Customer care": ("Customer care agent", "Team coach", "Quality analyst"),
}
LOCATIONS = (
    "New York", "Newark", "Boston", "Chicago", "Austin", "Denver", "Toronto", "London", "Dublin",
    "Lisbon", "Berlin", "Paris", "Madrid", "São Paulo", "Mexico City", "Singapore", "Sydney", "Tokyo",
)  # fmt: skip
TEAM_SIZE = 8
DOMAIN = "example.com"
TODAY = date(2026, 12, 1)

CSV_COLUMNS = {
    "employee_id": "employeeNumber",
    "email": "workEmail",
    "first_name": "firstName",
    "last_name": "lastName",
    "job_title": "jobTitle",
    "department": "department",
    "location": "location",
    "manager_id": "supervisorId",
    "hire_date": "hireDate",
    "termination_date": "terminationDate",
    "status": "status",
}
REPORT_FIELDS = [
    "employeeNumber", "firstName", "lastName", "preferredName", "displayName", "workEmail", "jobTitle",
    "department", "division", "location", "hireDate", "terminationDate", "status", "supervisorEId",
    "supervisorId", "supervisorEmail",
]  # fmt: skip


def _person(number: int, rng: random.Random, boss: dict[str, Any] | None) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    department = boss["department"] if boss and rng.random() < 0.9 else rng.choice(list(DEPARTMENTS))
    leaver = rng.random() < 0.03
    hired = TODAY - timedelta(days=rng.randint(30, 15 * 365))
    person = {
        "id": str(1000 + number),
        "employeeNumber": f"E{number:06d}",
        "firstName": first,
        "lastName": last,
        "preferredName": None,
        "displayName": f"{first} {last}",
        "workEmail": f"{first}.{last}.{number}@{DOMAIN}".lower().replace("'", ""),
        "jobTitle": rng.choice(DEPARTMENTS[department]),
        "department": department,
        "division": "Worldwide",
        "location": boss["location"] if boss and rng.random() < 0.8 else rng.choice(LOCATIONS),
        "hireDate": hired.isoformat(),
        "terminationDate": (hired + timedelta(days=rng.randint(1, (TODAY - hired).days))).isoformat()
        if leaver
        else "0000-00-00",
        "status": "Inactive" if leaver else "Active",
    }
    _report_to(person, boss)
    return person


def _report_to(person: dict[str, Any], boss: dict[str, Any] | None) -> None:
    person["supervisorEId"] = boss["id"] if boss else None
    person["supervisorId"] = boss["employeeNumber"] if boss else None
    person["supervisorEmail"] = boss["workEmail"] if boss else None


def people(rows: int, seed: int = 15) -> list[dict[str, Any]]:
    """*rows* people in a tree: everyone but the first reports to someone listed before them."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fake people, not secrets
    company: list[dict[str, Any]] = []
    for number in range(1, rows + 1):
        boss = company[(number - 2) // TEAM_SIZE] if number > 1 else None
        company.append(_person(number, rng, boss))
    return company


def changed(company: list[dict[str, Any]], share: float, seed: int = 16) -> list[dict[str, Any]]:
    """The company a day later: *share* of it moved, left, renamed, or newly hired."""
    rng = random.Random(seed)  # noqa: S311 - reproducible fake people, not secrets
    after = [dict(person) for person in company]
    count = round(len(company) * share)
    active = [i for i, person in enumerate(after) if person["status"] == "Active" and i > 0]
    picked = rng.sample(active, min(count, len(active)))
    four, six, eight = count * 4 // 10, count * 6 // 10, count * 8 // 10
    movers, leavers, renames = picked[:four], picked[four:six], picked[six:eight]
    for i in movers:
        person = after[i]
        person["department"] = rng.choice(list(DEPARTMENTS))
        person["jobTitle"] = rng.choice(DEPARTMENTS[person["department"]])
        person["location"] = rng.choice(LOCATIONS)
        _report_to(person, after[rng.randrange(0, i)])
    for i in leavers:
        after[i].update(status="Inactive", terminationDate=TODAY.isoformat())
    for i in renames:
        person = after[i]
        person["lastName"] = rng.choice(LAST_NAMES)
        person["displayName"] = f"{person['firstName']} {person['lastName']}"
    for offset in range(count - len(movers) - len(leavers) - len(renames)):
        number = len(company) + offset + 1
        hire = _person(number, rng, after[rng.randrange(0, len(after))])
        hire.update(hireDate=TODAY.isoformat(), status="Active", terminationDate="0000-00-00")
        after.append(hire)
    return after


def write_csv(company: Iterable[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for person in company:
            row = [person.get(field) or "" for field in CSV_COLUMNS.values()]
            row[list(CSV_COLUMNS).index("termination_date")] = (
                "" if person["terminationDate"] == "0000-00-00" else person["terminationDate"]
            )
            writer.writerow(row)


def bamboohr_chunks(company: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The custom report's JSON, piece by piece (a 100,000-person report never sits in one string)."""
    fields = [{"id": name, "type": "text", "name": name} for name in REPORT_FIELDS]
    yield '{"title": "Atrium people sync", "fields": ' + json.dumps(fields) + ', "employees": ['
    for number, person in enumerate(company):
        record = {"id": person["id"], **{name: person.get(name) for name in REPORT_FIELDS}}
        yield ("," if number else "") + "\n" + json.dumps(record, ensure_ascii=False)
    yield "\n]}\n"


def write_bamboohr(company: Iterable[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.writelines(bamboohr_chunks(company))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--changes", type=float, default=0.01, help="share changed in the second file (0: none)"
    )
    parser.add_argument("--format", choices=("csv", "bamboohr", "both"), default="both")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / ".data" / "hr")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    versions = {f"people-{args.rows}": people(args.rows, args.seed)}
    if args.changes > 0:
        versions[f"people-{args.rows}-changed"] = changed(versions[f"people-{args.rows}"], args.changes)
    for name, company in versions.items():
        if args.format in ("csv", "both"):
            write_csv(company, args.out / f"{name}.csv")
            print(args.out / f"{name}.csv")
        if args.format in ("bamboohr", "both"):
            write_bamboohr(company, args.out / f"{name}.bamboohr.json")
            print(args.out / f"{name}.bamboohr.json")
    print(f"{args.rows} people in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
