"""The four kinds of source: a CSV file, BambooHR, Workday report-as-a-service, and any JSON/CSV URL."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from requests.utils import parse_header_links

from app.syncs.readers.base import (
    ConfigField,
    FieldsSeen,
    ReaderKind,
    ReadError,
    Row,
    basic_auth,
    fetch,
    import_root,
    max_bytes,
    too_large,
)
from app.syncs.readers.parsing import csv_rows, decode_json_text, flatten, json_items

SEPARATOR_FIELD = ConfigField(
    "separator",
    _l("Column separator"),
    False,
    "choice",
    (
        ("auto", _l("Detect from the header row")),
        ("comma", _l("Comma")),
        ("semicolon", _l("Semicolon")),
        ("tab", _l("Tab")),
    ),
    default="auto",
)


# --- CSV file --------------------------------------------------------------------------------------


def import_folder() -> Path:
    """This portal's import folder: ``SYNC_IMPORT_ROOT/<tenant slug>/``."""
    from app.extensions import db
    from app.tenancy import current_tenant_id
    from app.tenancy.models import Tenant

    tenant_id = current_tenant_id()
    tenant = db.session.get(Tenant, tenant_id) if tenant_id is not None else None
    if tenant is None:
        raise RuntimeError("the import folder belongs to a portal: no tenant in context")
    return import_root() / tenant.slug


def _import_file(name: str) -> Path:
    outside = ReadError(
        _("Name a file inside the import folder, like people.csv; “%(path)s” points outside it.", path=name)
    )
    relative = PurePosixPath(name)
    if "\\" in name or "\x00" in name or relative.is_absolute() or ".." in relative.parts:
        raise outside
    folder = import_folder().resolve()
    target = (folder / relative).resolve()
    if not target.is_relative_to(folder):
        raise outside  # a link that leads out of the folder
    if not target.is_file():
        raise ReadError(_("There is no file “%(path)s” in the import folder.", path=name))
    return target


def read_csv(
    config: dict[str, str], secret: str | None, upload: bytes | None, seen: FieldsSeen | None
) -> Iterator[Row]:
    separator = config.get("separator") or "auto"
    if upload is not None:
        if len(upload) > max_bytes():
            raise too_large()
        yield from csv_rows(io.BytesIO(upload), separator, seen)
        return
    name = (config.get("path") or "").strip()
    if not name:
        raise ReadError(_("Upload a CSV file, or name a file in the import folder."))
    target = _import_file(name)
    if target.stat().st_size > max_bytes():
        raise too_large()
    with target.open("rb") as binary:
        yield from csv_rows(binary, separator, seen)


CSV = ReaderKind(
    key="csv",
    label=_l("CSV file"),
    description=_l(
        "A CSV file with a header row, uploaded or dropped in the portal's import folder; UTF-8, "
        "separated by commas, semicolons or tabs."
    ),
    fields=[
        ConfigField(
            "path",
            _l("File in the import folder"),
            False,
            "path",
            hint=_l("For example people.csv; leave it empty to upload the file instead."),
        ),
        SEPARATOR_FIELD,
    ],
    read=read_csv,
    takes_upload=True,
)


# --- BambooHR --------------------------------------------------------------------------------------

BAMBOOHR_BASE = "https://api.bamboohr.com"
# The custom report: everyone (Active and Inactive), with what the directory leaves out.
BAMBOOHR_REPORT_FIELDS = [
    "employeeNumber",
    "firstName",
    "lastName",
    "preferredName",
    "displayName",
    "workEmail",
    "jobTitle",
    "department",
    "division",
    "location",
    "hireDate",
    "terminationDate",
    "status",
    "supervisorEId",
    "supervisorId",
    "supervisorEmail",
]
_COMPANY_DOMAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,62}$")
_FIELD_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _bamboohr_value(value: str) -> str:
    return "" if value in {"0000-00-00", "0000-00-00 00:00:00"} else value  # BambooHR's "no date"


def read_bamboohr(
    config: dict[str, str], secret: str | None, upload: bytes | None, seen: FieldsSeen | None
) -> Iterator[Row]:
    domain = config["company_domain"]
    if not _COMPANY_DOMAIN.match(domain):
        raise ReadError(
            _(
                "“%(domain)s” is not a company domain: use the name before .bamboohr.com, like acme.",
                domain=domain,
            )
        )
    base = (config.get("base_url") or BAMBOOHR_BASE).rstrip("/")
    api = f"{base}/api/gateway.php/{domain}/v1"
    headers = {"Accept": "application/json", "Authorization": basic_auth(secret or "", "x")}
    source, hint = "BambooHR", _("check the API key.")
    if config.get("report") == "directory":
        answer = fetch(f"{api}/employees/directory", source=source, credentials_hint=hint, headers=headers)
    else:
        extra = [name.strip() for name in (config.get("extra_fields") or "").split(",") if name.strip()]
        for name in extra:
            if not _FIELD_NAME.match(name):
                raise ReadError(_("“%(name)s” is not a BambooHR field name.", name=name))
        fields = list(dict.fromkeys(["id", *BAMBOOHR_REPORT_FIELDS, *extra]))
        # BambooHR reads the body as JSON only when the Content-Type is exactly application/json.
        answer = fetch(
            f"{api}/reports/custom?format=JSON&onlyCurrent=true",
            method="POST",
            source=source,
            credentials_hint=hint,
            headers={**headers, "Content-Type": "application/json"},
            data=json.dumps({"title": "Atrium people sync", "fields": fields}).encode(),
        )
    text = _json_text(answer.headers, answer.body, source)
    siblings: dict[str, Any] = {}
    told = False
    for number, item in enumerate(json_items(text, ["employees"], siblings), start=1):
        if not told and seen is not None:
            seen([str(f.get("id")) for f in siblings.get("fields") or [] if isinstance(f, dict)])
            told = True
        yield {key: _bamboohr_value(value) for key, value in flatten(item, number=number).items()}


def _json_text(headers: dict[str, str], body: bytes, source: str) -> str:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    start = body[:64].lstrip()
    if "json" not in content_type.lower() and not start.startswith((b"{", b"[", b"\xef\xbb\xbf")):
        raise ReadError(
            _(
                "%(source)s did not answer with JSON (it sent %(type)s); check the address.",
                source=source,
                type=content_type.split(";")[0] or _("no content type"),
            )
        )
    return decode_json_text(body)


BAMBOOHR = ReaderKind(
    key="bamboohr",
    label=_l("BambooHR"),
    description=_l(
        "BambooHR's API with an API key. The custom report (recommended) lists everyone, active and "
        "inactive, with employee number, hire date, status and supervisor; the employee directory lists "
        "only current employees, without them, so a leaver there simply disappears."
    ),
    fields=[
        ConfigField(
            "company_domain",
            _l("Company domain"),
            True,
            "text",
            hint=_l("The name before .bamboohr.com: acme for acme.bamboohr.com."),
        ),
        ConfigField(
            "report",
            _l("What to read"),
            False,
            "choice",
            (
                (
                    "custom",
                    _l("Custom report: everyone, with employee number, hire date, status and manager"),
                ),
                ("directory", _l("Employee directory: current employees only")),
            ),
            default="custom",
        ),
        ConfigField(
            "extra_fields",
            _l("More fields"),
            False,
            "text",
            hint=_l(
                "Custom report only: more BambooHR field names or ids, comma-separated, e.g. 4047,division."
            ),
        ),
        ConfigField(
            "base_url",
            _l("API address"),
            False,
            "url",
            hint=_l("Leave as it is unless BambooHR told you otherwise."),
            default=BAMBOOHR_BASE,
        ),
    ],
    read=read_bamboohr,
    secret_label=_l("API key"),
)


# --- Workday ---------------------------------------------------------------------------------------


def _with_json_format(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "format"]
    return parts._replace(query=urlencode([*query, ("format", "json")])).geturl()


def read_workday(
    config: dict[str, str], secret: str | None, upload: bytes | None, seen: FieldsSeen | None
) -> Iterator[Row]:
    url = _with_json_format(config["report_url"])
    answer = fetch(
        url,
        source="Workday",
        credentials_hint=_("check the integration user's name and password."),
        headers={"Accept": "application/json", "Authorization": basic_auth(config["username"], secret or "")},
    )
    text = _json_text(answer.headers, answer.body, "Workday")
    for number, item in enumerate(json_items(text, ["Report_Entry"]), start=1):
        yield flatten(item, number=number)


WORKDAY = ReaderKind(
    key="workday",
    label=_l("Workday report"),
    description=_l(
        "A Workday custom report enabled as a web service (report-as-a-service), read as JSON with an "
        "integration system user. Its columns are the report's own field names."
    ),
    fields=[
        ConfigField(
            "report_url",
            _l("Report address"),
            True,
            "url",
            hint=_l(
                "Like https://wd2-impl-services1.workday.com/ccx/service/customreport2/acme/ISU_Atrium/People"
            ),
        ),
        ConfigField("username", _l("Integration user"), True, "text"),
    ],
    read=read_workday,
    secret_label=_l("Password"),
)


# --- Any JSON or CSV address -----------------------------------------------------------------------


def read_url(
    config: dict[str, str], secret: str | None, upload: bytes | None, seen: FieldsSeen | None
) -> Iterator[Row]:
    auth = config.get("auth") or "none"
    headers = {"Accept": "application/json, text/csv;q=0.9, */*;q=0.1"}
    if auth == "basic":
        if not config.get("username"):
            raise ReadError(_("Fill in “%(field)s”.", field=_("User name")))
        headers["Authorization"] = basic_auth(config.get("username") or "", secret or "")
        hint = _("check the user name and password.")
    elif auth == "bearer":
        headers["Authorization"] = f"Bearer {secret or ''}"
        hint = _("check the bearer token.")
    else:
        hint = _("the address may need authentication.")
    source = urlsplit(config["url"]).hostname or config["url"]
    url: str | None = config["url"]
    next_key = [part for part in (config.get("next_key") or "").strip().split(".") if part]
    asked: set[str] = set()
    number = 0
    while url is not None:
        if len(asked) >= URL_MAX_PAGES:
            raise ReadError(_("The address gave more than %(n)s pages; stopped there.", n=URL_MAX_PAGES))
        asked.add(url)
        answer = fetch(
            url, source=source, credentials_hint=hint, headers=headers, with_credentials=auth != "none"
        )
        wanted = config.get("format") or "auto"
        if wanted == "auto":
            content_type = next(
                (v for k, v in answer.headers.items() if k.lower() == "content-type"), ""
            ).lower()
            start = answer.body[:64].lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()
            wanted = "json" if "json" in content_type or start.startswith((b"{", b"[")) else "csv"
        if wanted == "csv":
            yield from csv_rows(io.BytesIO(answer.body), config.get("separator") or "auto", seen)
            return
        text = decode_json_text(answer.body)
        key = (config.get("list_key") or "").strip()
        path = [part for part in key.split(".") if part] if key else []
        if not path and text.lstrip()[:1] == "{":
            raise ReadError(
                _(
                    "The JSON is an object, not a list: name the key that holds the people, "
                    "like data or users."
                )
            )
        for item in json_items(text, path):
            number += 1
            yield flatten(item, number=number)
        url = _next_page(answer, text, next_key, config["url"], asked)


#: Pages followed at most for one read (a feed that keeps pointing onwards is stopped, not followed forever).
URL_MAX_PAGES = 1000


def _next_page(answer: Any, text: str, next_key: list[str], first: str, asked: set[str]) -> str | None:
    """The next page's address: the answer's ``Link: <…>; rel="next"`` (RFC 8288) or the JSON value at
    *next_key*; None at the last page. The next page must be on the same server as the first."""
    found: str | None = None
    link = next((v for k, v in answer.headers.items() if k.lower() == "link"), "")
    for entry in parse_header_links(link) if link else []:
        if "next" in (entry.get("rel") or "").split():
            found = entry.get("url")
            break
    if found is None and next_key:
        try:
            value: Any = json.loads(text)
        except ValueError:
            value = None
        for part in next_key:
            value = value.get(part) if isinstance(value, dict) else None
        found = value if isinstance(value, str) and value.strip() else None
    if not found:
        return None
    found = urljoin(answer.url, found.strip())
    origin = urlsplit(first)
    if (urlsplit(found).scheme, urlsplit(found).netloc) != (origin.scheme, origin.netloc):
        raise ReadError(
            _(
                "The next page is on another server (%(url)s); pages must stay on the first page's server.",
                url=found,
            )
        )
    if found in asked:
        raise ReadError(_("The next page points back to a page already read (%(url)s).", url=found))
    return found


URL = ReaderKind(
    key="url",
    label=_l("JSON or CSV address"),
    description=_l(
        "Any address that answers with a JSON list of people (or an object holding one) or a CSV file, "
        "with no authentication, a user name and password, or a bearer token."
    ),
    fields=[
        ConfigField("url", _l("Address"), True, "url"),
        ConfigField(
            "format",
            _l("Format"),
            False,
            "choice",
            (("auto", _l("Detect from the answer")), ("json", _l("JSON")), ("csv", _l("CSV"))),
            default="auto",
        ),
        ConfigField(
            "list_key",
            _l("Key holding the list"),
            False,
            "text",
            hint=_l("JSON only, when the answer is an object: data, users, or a path like result.people."),
        ),
        ConfigField(
            "next_key",
            _l("Key holding the next page"),
            False,
            "text",
            hint=_l(
                "JSON only, for a list given a page at a time: next, or a path like links.next. A Link "
                'header with rel="next" is followed without it.'
            ),
        ),
        ConfigField(
            "auth",
            _l("Authentication"),
            False,
            "choice",
            (
                ("none", _l("None")),
                ("basic", _l("User name and password")),
                ("bearer", _l("Bearer token")),
            ),
            default="none",
        ),
        ConfigField(
            "username", _l("User name"), False, "text", hint=_l("For a user name and password only.")
        ),
        SEPARATOR_FIELD,
    ],
    read=read_url,
    secret_label=_l("Password or bearer token"),
    secret_required=lambda config: (config.get("auth") or "none") != "none",
)
