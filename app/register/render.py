"""The published register as JSON, CSV and an accessible, printable HTML page."""

import base64
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import Any

from app.core import csvfile
from app.register.service import PublishedPerson, Register

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
        ".none{font-style:italic}a{color:#0645ad}",
        "@media print{body{margin:0;max-width:none;font-size:10pt}h2{break-after:avoid}",
        "table,tr{break-inside:avoid}a{color:#000}}",
    )
)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
PAGE_CSP = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Form:
    """One published form, made of one fragment per person, so a change re-renders only that person."""

    name: str
    people: Callable[[Sequence[PublishedPerson]], list[bytes]]  # each person's fragment
    document: Callable[[Register, Sequence[bytes]], bytes]


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def as_json_bytes(register: Register) -> bytes:
    return _json(register.as_json()).encode()


def _json_people(people: Sequence[PublishedPerson]) -> list[bytes]:
    return [_json(person.as_json()).encode() for person in people]


def _json_document(register: Register, people: Sequence[bytes]) -> bytes:
    """The bytes json.dumps gives for register.as_json(), with each item already rendered."""
    head = _json(register.heading())
    return b"".join(
        (head[:-1].encode(), b',"items":[', b",".join(people), b'],"total":', str(len(people)).encode(), b"}")
    )


JSON = Form("json", _json_people, _json_document)


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


CSV = Form("csv", _csv_people, _csv_document)


# Most cells (dates, labels, plain names) hold nothing to escape; looking first is cheaper than
# escaping a quarter of a million cells on a large register.
_NEEDS_ESCAPING = re.compile(r"[&<>\"']")


def _cell(value: Any) -> str:
    if value is None or value == "":
        return ""
    text = str(value)
    return escape(text) if _NEEDS_ESCAPING.search(text) else text


@cache
def _table_start(caption: str, headings: tuple[str, ...]) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in headings)
    return f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>"


def _table(caption: str, headings: tuple[str, ...], rows: list[list[Any]]) -> str:
    """A data table with a caption and column header cells, for screen readers."""
    body = "".join("<tr><td>" + "</td><td>".join(map(_cell, row)) + "</td></tr>" for row in rows)
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


def _page_around(register: Register, trust_name: str) -> tuple[str, str]:
    """The page before the people's sections and after them."""
    title = f"Register of interests: {escape(trust_name)}" if trust_name else "Register of interests"
    period = f"{register.period_from.isoformat()} and {register.as_of.isoformat()}"
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{STYLE}</style></head><body><main><h1>{title}</h1>"
        "<p>Members, trustees, local governors and the accounting officer who held an appointment between "
        f"{period}, with their appointments and the interests they have declared. The register is kept up to "
        "date at all times, as the Academy Trust Handbook requires.</p>"
        '<p><a href="/api/v1/public/register.csv">Download the register as CSV</a></p>',
        "</main></body></html>",
    )


def as_html(register: Register, trust_name: str) -> str:
    """A plain page: a heading per person, captioned tables with header cells, print styles."""
    head, tail = _page_around(register, trust_name)
    body = "".join(_section_start(n) + _person_section(p) for n, p in enumerate(register.people, start=1))
    return f"{head}{body or NOBODY}{tail}"


def _html_document(trust_name: str, register: Register, people: Sequence[bytes]) -> bytes:
    head, tail = _page_around(register, trust_name)
    pieces = [head.encode()]
    for n, section in enumerate(people, start=1):
        pieces += (_section_start(n).encode(), section)
    pieces.append(tail.encode() if people else (NOBODY + tail).encode())
    return b"".join(pieces)


@cache
def html_form(trust_name: str) -> Form:
    """The page for this trust (its name is in the title)."""
    return Form(
        f"html for {trust_name}",  # the name is in the page: one document per name
        lambda people: [_person_section(person).encode() for person in people],
        lambda register, people: _html_document(trust_name, register, people),
    )
