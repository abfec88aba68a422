"""The published register as JSON, CSV and an accessible, printable HTML page."""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup

from app.core import csvfile
from app.people.governance import GovernanceRole
from app.register.service import PublishedPerson, Register, SchoolEntry
from app.web.pages import environment

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


# The pages are Jinja templates in the web interface's one set (app/web/templates/register/), in its
# look and with its stylesheet; every value from the database is autoescaped there. A person's part
# is rendered once per version of the register by a macro and kept as bytes (app/register/cache.py);
# a page is its template rendered around the parts kept.
LOCAL_GOVERNOR = GovernanceRole.LOCAL_GOVERNOR.value


class _Words(dict[str, str]):
    """Labels for the page: a value without one is shown as it is (a subscript, not a call of .get:
    the template runs it for every cell of 5,000 people)."""

    def __missing__(self, key: str) -> str:
        return key


@cache
def _person() -> Callable[[PublishedPerson], str]:
    """The macro of a person's part, compiled once: 5,000 people are 5,000 calls of it."""
    labels = {
        "roles": _Words(ROLE_LABELS),
        "categories": _Words(CATEGORY_LABELS),
        "holders": _Words(HOLDER_LABELS),
    }
    module = environment().get_template("register/_person.html").make_module(labels)
    person: Callable[[PublishedPerson], str] = module.person  # type: ignore[attr-defined]
    return person


def _html_people(people: Sequence[PublishedPerson]) -> list[bytes]:
    person = _person()
    return [person(p).encode() for p in people]


def _dated(register: Register) -> Callable[..., str]:
    """Links to other forms of the register, on the same day as this page when it is a past one."""

    def dated(path: str, **query: str) -> str:
        if register.past:
            query = {**query, "as_of": register.as_of.isoformat()}
        return f"{path}?{urlencode(query)}" if query else path

    return dated


def _trust_title(trust_name: str) -> str:
    return f"Register of interests: {trust_name}" if trust_name else "Register of interests"


# Where the page's template puts its people. The parts are joined into the rendered page there as
# the bytes kept: passed through the template as one Markup string instead, the trust's page of
# 5,000 people (17 MB) took 48 ms to join rather than 2.5. Nothing else in a page can read the same:
# the templates write no HTML comment, and every value in them is escaped ("<" as "&lt;").
_PEOPLE = Markup("<!--people-->")


def _section_start(place: int) -> bytes:
    """A person's section opens with their place in the list, which moves as people come and go."""
    return b'<section aria-labelledby="person-%d"><h2 id="person-%d">' % (place, place)


def _page(template: str, register: Register, people: Sequence[bytes], **context: Any) -> bytes:
    """A page of the register, its template rendered around its people's kept parts."""
    page = (
        environment()
        .get_template(template)
        .render(register=register, dated=_dated(register), people=_PEOPLE, listed=len(people), **context)
    )
    head, found, tail = page.encode().partition(_PEOPLE.encode())  # none when nobody is listed
    if people and not found:
        raise RuntimeError(f"{template} has no place for the people it lists")
    pieces = [head]
    for place, part in enumerate(people, start=1):
        pieces += (_section_start(place), part)
    pieces.append(tail)
    return b"".join(pieces)


def _trust_page(
    register: Register, trust_name: str, schools: Schools, people: Sequence[bytes], embed: bool
) -> bytes:
    """The trust's page: everyone listed, with the schools' pages; embedded: the register alone."""
    title = _trust_title(trust_name)
    return _page(
        "register/trust.html",
        register,
        people,
        title=title,
        trust_name=trust_name,
        schools=schools,
        embed=embed,
    )


def _school_page(
    register: Register, trust_name: str, school: SchoolEntry, people: Sequence[bytes], embed: bool
) -> bytes:
    """A school's page: its local governors, linking to the trust's page."""
    title = f"Register of interests: {school.name}: local governing body" + (
        f" ({trust_name})" if trust_name else ""
    )
    csv = _dated(register)("/api/v1/public/register.csv", school_id=school.id)
    return _page(
        "register/school.html", register, people, title=title, trust_name=trust_name,
        trust_title=_trust_title(trust_name), school=school, csv=csv, embed=embed,
    )  # fmt: skip


def as_html(register: Register, trust_name: str, schools: Schools = ()) -> str:
    """The trust's page whole, as the cache joins it from each person's part."""
    return _trust_page(register, trust_name, schools, _html_people(register.people), False).decode()


@cache
def html_form(trust_name: str, embed: bool = False) -> Form:
    """The trust's page (its name is in the title); embedded: the register alone."""
    return Form(
        f"html for {trust_name!r}{' embedded' if embed else ''}",  # the name is in the page
        _html_people,
        lambda register, schools, people: _trust_page(register, trust_name, schools, people, embed),
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
        lambda register, _, people: _school_page(register, trust_name, school, people, embed),
        selects=selects,
    )


def page_csp(frame_ancestors: Sequence[str] = (), *, embed: bool = False) -> str:
    """The page's policy: this site's stylesheet and nothing else (no script, nothing inline), a GET
    form to itself, framed only by the sites named (the embedded form) or by none."""
    ancestors = " ".join(frame_ancestors) if embed and frame_ancestors else "'none'"
    return (
        f"default-src 'none'; style-src 'self'; frame-ancestors {ancestors}; "
        "base-uri 'none'; form-action 'self'"
    )
