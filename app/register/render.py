"""The published register as JSON, CSV and an accessible, printable HTML page."""

import base64
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from html import escape
from typing import Any
from urllib.parse import urlencode

from app.core import csvfile
from app.people.governance import GovernanceRole
from app.register.service import PublishedPerson, Register, SchoolEntry

ROLE_LABELS = {
    "member": "Member",
    "trustee": "Trustee",
    "local_governor": "Local governor",
    "accounting_officer": "Accounting officer",
}
CATEGORY_LABELS = {
    "directorship": "Directorship",
    "shareholding": "Shareholding",
    "employment": "Employment",
    "partnership": "Partnership",
    "trusteeship": "Trusteeship",
    "governance_role": "Governance role in another school or trust",
    "contract": "Contract or supplier relationship",
    "land_property": "Land or property",
    "relationship": "Close personal relationship",
    "other": "Other",
}
HOLDER_LABELS = {
    "self": "Own interest",
    "spouse_partner": "Spouse or partner",
    "family_member": "Family member",
    "close_associate": "Close associate",
}
CSV_COLUMNS = (
    "full_name",
    "appointments",
    "category",
    "holder",
    "organisation_name",
    "company_number",
    "charity_number",
    "description",
    "financial",
    "direct",
    "start_date",
)

STYLE = "".join(
    (
        "body{font-family:system-ui,Arial,sans-serif;line-height:1.5;margin:1.5rem auto;max-width:72rem;",
        "padding:0 1rem;color:#111;background:#fff}",
        "h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-top:1px solid #888;padding-top:1rem}",
        "table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}",
        "caption{text-align:left;font-weight:600;padding:.25rem 0}",
        "th,td{border:1px solid #666;padding:.35rem .5rem;text-align:left;vertical-align:top}",
        "th{background:#eee}",
        ".none{font-style:italic}a{color:#0645ad}a:focus,input:focus,button:focus{outline:3px solid #fd0;",
        "outline-offset:2px}form.as-of{margin:1rem 0}input,button{font:inherit;padding:.25rem .5rem}",
        "@media (max-width:40rem){body{padding:0 .5rem;margin:.75rem auto}",
        "table,caption,thead,tbody,tr,th,td{display:block}thead tr{position:absolute;width:1px;height:1px;",
        "overflow:hidden;clip-path:inset(50%)}tr{border:1px solid #666;margin-bottom:.5rem}",
        "td{border:0;border-bottom:1px solid #ddd;display:grid;grid-template-columns:8rem 1fr;gap:.5rem;",
        "overflow-wrap:anywhere}td:last-child{border-bottom:0}td:empty{display:none}",
        "td::before{content:attr(data-label);font-weight:600}}",
        "@media print{body{margin:0;max-width:none;font-size:10pt}h2{break-after:avoid}",
        "table,tr{break-inside:avoid}a{color:#000}}",
    )
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


Schools = Sequence[SchoolEntry]


@dataclass(frozen=True)
class Form:
    """One published form, made of one fragment per person, so a change re-renders only that person."""

    name: str
    people: Callable[[Sequence[PublishedPerson]], list[bytes]]  # each person's fragment
    document: Callable[[Register, Schools, Sequence[bytes]], bytes]
    media_type: str = "text/html; charset=utf-8"
    # Whom this form lists, and with what (a school's page: its local governors, with their
    # appointments to its governing body); None: everyone, as they are.
    selects: Callable[[PublishedPerson], PublishedPerson | None] | None = None


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def as_json_bytes(register: Register) -> bytes:
    return _json(register.as_json()).encode()


def _json_people(people: Sequence[PublishedPerson]) -> list[bytes]:
    return [_json(person.as_json()).encode() for person in people]


def _json_document(register: Register, people: Sequence[bytes], school: SchoolEntry | None = None) -> bytes:
    """The bytes json.dumps gives for register.as_json(), with each item already rendered."""
    heading = register.heading() if school is None else {**register.heading(), "school": school.as_json()}
    head = _json(heading)
    return b"".join(
        (head[:-1].encode(), b',"items":[', b",".join(people), b'],"total":', str(len(people)).encode(), b"}")
    )


def with_items(document: bytes, items: bytes) -> bytes:
    """A JSON document of this module with other items (a page of them); its total kept. The
    heading's strings are JSON-escaped, so its first ',"items":[' is the items' own."""
    start = document.index(b',"items":[') + len(b',"items":[')
    return document[:start] + items + document[document.rindex(b'],"total":') :]


JSON = Form(
    "json", _json_people, lambda register, _, people: _json_document(register, people), "application/json"
)


def _appointments_text(appointments: list[dict[str, Any]]) -> str:
    """Every published field of each appointment (body, appointed by, dates, term), in one cell."""
    parts = []
    for a in appointments:
        text = f"{ROLE_LABELS.get(a['governance_role'], a['governance_role'])}"
        if a["body"]:
            text += f", {a['body']}"
        if a["appointed_by"]:
            text += f", appointed by {a['appointed_by']}"
        text += f", from {a['appointed_on']}"
        if a["term_ends_on"]:
            text += f", term ends {a['term_ends_on']}"
        if a["stepped_down_on"]:
            text += f", stepped down {a['stepped_down_on']}"
        parts.append(text)
    return "; ".join(parts)


def _csv_rows(person: PublishedPerson) -> list[list[Any]]:
    """One row per published interest; a person with none gets one row with the interest cells empty."""
    appointments = _appointments_text(person.appointments)
    if not person.interests:
        return [[person.full_name, appointments, *[None] * (len(CSV_COLUMNS) - 2)]]
    return [
        [
            person.full_name,
            appointments,
            i["category"],
            i["holder"],
            i["organisation_name"],
            i["company_number"],
            i["charity_number"],
            i["description"],
            i["financial"],
            i["direct"],
            i["start_date"],
        ]
        for i in person.interests
    ]


def as_csv(register: Register) -> str:
    return csvfile.render(CSV_COLUMNS, [row for person in register.people for row in _csv_rows(person)])


def _csv_document(register: Register, people: Sequence[bytes]) -> bytes:
    return csvfile.render(CSV_COLUMNS, ()).encode() + b"".join(people)


def _csv_people(people: Sequence[PublishedPerson]) -> list[bytes]:
    return [text.encode() for text in csvfile.render_groups(_csv_rows(person) for person in people)]


CSV = Form(
    "csv", _csv_people, lambda register, _, people: _csv_document(register, people), "text/csv; charset=utf-8"
)


# Most cells (dates, labels, plain names) hold nothing to escape; looking first is cheaper than
# escaping a quarter of a million cells on a large register.
_NEEDS_ESCAPING = re.compile(r"[&<>\"']")


def _cell(value: Any) -> str:
    if value is None or value == "":
        return ""
    text = str(value)
    return escape(text) if _NEEDS_ESCAPING.search(text) else text


# At a phone's width a table of seven columns does not fit: each row is shown as a card, every cell
# with its heading beside it (data-label). Display changes strip a table's meaning in some screen
# readers (Safari's among them), so the roles are written out: it stays a table to them.
@cache
def _table_start(caption: str, headings: tuple[str, ...]) -> str:
    head = "".join(f'<th role="columnheader" scope="col">{escape(h)}</th>' for h in headings)
    return (
        f'<table role="table"><caption>{escape(caption)}</caption><thead role="rowgroup"><tr role="row">'
        f'{head}</tr></thead><tbody role="rowgroup">'
    )


@cache
def _cell_starts(headings: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f'<td role="cell" data-label="{escape(h)}">' for h in headings)


def _table(caption: str, headings: tuple[str, ...], rows: list[list[Any]]) -> str:
    """A data table with a caption and column header cells, for screen readers."""
    starts = _cell_starts(headings)
    body = "".join(
        '<tr role="row">'
        + "".join(f"{start}{_cell(value)}</td>" for start, value in zip(starts, row, strict=True))
        + "</tr>"
        for row in rows
    )
    return f"{_table_start(caption, headings)}{body}</tbody></table>"


APPOINTMENT_HEADINGS = ("Role", "Body", "Appointed by", "Appointed on", "Term ends", "Stepped down")
INTEREST_HEADINGS = (
    "Kind",
    "Whose",
    "Organisation",
    "Company or charity number",
    "Details",
    "Financial",
    "Since",
)


def _person_section(person: PublishedPerson) -> str:
    """Everything of a person's section after its opening tags."""
    appointments = [
        [
            ROLE_LABELS.get(a["governance_role"], a["governance_role"]),
            a["body"],
            a["appointed_by"],
            a["appointed_on"],
            a["term_ends_on"],
            a["stepped_down_on"],
        ]
        for a in person.appointments
    ]
    interests = [
        [
            CATEGORY_LABELS.get(i["category"], i["category"]),
            HOLDER_LABELS.get(i["holder"], i["holder"]),
            i["organisation_name"],
            i["company_number"] or i["charity_number"],
            i["description"],
            "Yes" if i["financial"] else "No",
            i["start_date"],
        ]
        for i in person.interests
    ]
    declared = (
        _table("Declared interests", INTEREST_HEADINGS, interests)
        if interests
        else '<p class="none">No interests declared.</p>'
    )
    return (
        f"{escape(person.full_name)}</h2>"
        f"{_table('Appointments', APPOINTMENT_HEADINGS, appointments)}{declared}</section>"
    )


def _section_start(index: int) -> str:
    """A person's section opens with their place in the list, which moves as people come and go."""
    return f'<section aria-labelledby="person-{index}"><h2 id="person-{index}">'


NOBODY = '<p class="none">Nobody is listed.</p>'
LOCAL_GOVERNOR = GovernanceRole.LOCAL_GOVERNOR.value


def _with_date(path: str, register: Register, **query: str) -> str:
    """A link to another form of the register, on the same day as this page when it is a past one."""
    if register.past:
        query = {**query, "as_of": register.as_of.isoformat()}
    return escape(f"{path}?{urlencode(query)}" if query else path)


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _date_form(register: Register) -> str:
    """A plain GET form: the register on another day (a date field needs no script)."""
    return (
        '<form method="get" class="as-of">'
        '<label for="as_of">See the register as it stood on an earlier date</label> '
        f'<input type="date" id="as_of" name="as_of" value="{register.as_of.isoformat()}"> '
        '<button type="submit">Show</button></form>'
    )


def _schools_list(register: Register, schools: Schools) -> str:
    if not schools:
        return ""
    links = "".join(
        f'<li><a href="{_with_date(f"/register/schools/{school.slug}", register)}">'
        f"{escape(school.name)}</a></li>"
        for school in schools
    )
    return (
        '<nav aria-labelledby="schools"><h2 id="schools">Local governing bodies</h2>'
        f"<p>Each school's local governors have a page of their own:</p><ul>{links}</ul></nav>"
    )


def _period(register: Register) -> str:
    return f"{_long_date(register.period_from)} and {_long_date(register.as_of)}"


def _stood(register: Register, today: str) -> str:
    if not register.past:
        return "The register is kept up to date at all times, as the Academy Trust Handbook requires."
    return (
        f"This is the register as it stood on {_long_date(register.as_of)}, as the dates recorded since say. "
        f'<a href="{escape(today)}">See it as it stands today</a>.'
    )


def _page(title: str, body: str, tail: str) -> tuple[str, str]:
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head><body><main>{body}",
        f"{tail}</main></body></html>",
    )


def _trust_title(trust_name: str) -> str:
    return f"Register of interests: {escape(trust_name)}" if trust_name else "Register of interests"


def _page_around(register: Register, trust_name: str, schools: Schools = ()) -> tuple[str, str]:
    """The trust's page before the people's sections and after them."""
    title = _trust_title(trust_name)
    return _page(
        title,
        f"<h1>{title}</h1>"
        "<p>Members, trustees, local governors and the accounting officer who held an appointment between "
        f"{_period(register)}, with their appointments and the interests they have declared. "
        f"{_stood(register, '/register')}</p>"
        f'<p><a href="{_with_date("/api/v1/public/register.csv", register)}">'
        "Download the register as CSV</a></p>"
        f"{_date_form(register)}{_schools_list(register, schools)}",
        "",
    )


def _school_page_around(
    register: Register, trust_name: str, school: SchoolEntry, embed: bool
) -> tuple[str, str]:
    """A school's page before its governors' sections and after them."""
    name = escape(school.name)
    title = f"{name}: local governing body" + (f" ({escape(trust_name)})" if trust_name else "")
    csv = _with_date("/api/v1/public/register.csv", register, school_id=school.id)
    if embed:  # inside the school's own site: the register alone, without this site's page around it
        return _page(
            f"Register of interests: {title}",
            f"<h1>Register of interests: {name} local governing body</h1>"
            f"<p>Local governors who held an appointment between {_period(register)}.</p>",
            f'<p><a href="{csv}">Download as CSV</a></p>',
        )
    trust = _with_date("/register", register)
    return _page(
        f"Register of interests: {title}",
        f"<h1>Register of interests: {name} local governing body</h1>"
        f"<p>The local governors of {name} who held an appointment between {_period(register)}, with their "
        f"appointments to its governing body and the interests they have declared. "
        f"{_stood(register, '/register/schools/' + school.slug)}</p>"
        f'<p><a href="{trust}">The trust board, members and every school: '
        f"{_trust_title(trust_name)}</a></p>"
        f'<p><a href="{csv}">Download this page as CSV</a></p>{_date_form(register)}',
        "",
    )


def as_html(register: Register, trust_name: str, schools: Schools = ()) -> str:
    """A plain page: a heading per person, captioned tables with header cells, print styles."""
    head, tail = _page_around(register, trust_name, schools)
    body = "".join(_section_start(n) + _person_section(p) for n, p in enumerate(register.people, start=1))
    return f"{head}{body or NOBODY}{tail}"


def _sections(head: str, tail: str, people: Sequence[bytes]) -> bytes:
    pieces = [head.encode()]
    for n, section in enumerate(people, start=1):
        pieces += (_section_start(n).encode(), section)
    pieces.append(tail.encode() if people else (NOBODY + tail).encode())
    return b"".join(pieces)


def _html_people(people: Sequence[PublishedPerson]) -> list[bytes]:
    return [_person_section(person).encode() for person in people]


@cache
def html_form(trust_name: str, embed: bool = False) -> Form:
    """The trust's page (its name is in the title); embedded: the register alone."""
    around = _embedded_around if embed else _page_around
    return Form(
        f"html for {trust_name!r}{' embedded' if embed else ''}",  # the name is in the page
        _html_people,
        lambda register, schools, people: _sections(*around(register, trust_name, schools), people),
    )


def _embedded_around(register: Register, trust_name: str, schools: Schools = ()) -> tuple[str, str]:
    """The trust's register inside another site: without this site's page around it."""
    title = _trust_title(trust_name)
    return _page(
        title,
        f"<h1>{title}</h1><p>Members, trustees, local governors and the accounting officer who held an "
        f"appointment between {_period(register)}.</p>",
        f'<p><a href="{_with_date("/api/v1/public/register.csv", register)}">Download as CSV</a></p>',
    )


def governors_of(school: SchoolEntry) -> Callable[[PublishedPerson], PublishedPerson | None]:
    """A school's local governors, each with their appointments to its governing body only."""

    def selects(person: PublishedPerson) -> PublishedPerson | None:
        appointments = [
            a
            for a in person.appointments
            if a["governance_role"] == LOCAL_GOVERNOR and a["school_id"] == school.id
        ]
        return PublishedPerson(person.full_name, appointments, person.interests) if appointments else None

    return selects


@lru_cache(maxsize=1024)
def school_form(kind: str, school: SchoolEntry, trust_name: str = "", embed: bool = False) -> Form:
    """A school's page (kind "html") or its register as JSON or CSV (kind "json", "csv")."""
    selects = governors_of(school)
    name = f"{kind} of {school!r} for {trust_name!r}{' embedded' if embed else ''}"
    if kind == "json":
        return Form(
            name, _json_people, lambda register, _, people: _json_document(register, people, school),
            JSON.media_type, selects,
        )  # fmt: skip
    if kind == "csv":
        return Form(name, _csv_people, CSV.document, CSV.media_type, selects)
    return Form(
        name,
        _html_people,
        lambda register, _, people: _sections(
            *_school_page_around(register, trust_name, school, embed), people
        ),
        selects=selects,
    )


def page_csp(frame_ancestors: Sequence[str] = (), *, embed: bool = False) -> str:
    """The page's policy: its own style only, a GET form to itself, framed only by the sites named
    (the embedded form) or by none."""
    ancestors = " ".join(frame_ancestors) if embed and frame_ancestors else "'none'"
    return (
        f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; frame-ancestors {ancestors}; "
        "base-uri 'none'; form-action 'self'"
    )
