"""What people type: names a reader can trust, ASCII email addresses, strict booleans, real dates.

Each finding is replayed exactly as it was found (issue 6, findings 7 and 8), beside the names and
dates a real trust needs, which must keep working.
"""

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, get_args

import pytest
from httpx import AsyncClient, Response
from pydantic import TypeAdapter, ValidationError

from app.auth.permissions import Role
from app.core.schemas import InputModel
from app.main import create_app

PEOPLE = "/api/v1/people"
INTERESTS = "/api/v1/interests"
PROBLEM_JSON = "application/problem+json"

# Finding 7, as found.
ZERO_WIDTH_ONLY = "\u200b\u200b\u200b"
RIGHT_TO_LEFT_OVERRIDE = "Tom \u202eeetsurT"
STACKED_ACCENTS = "a" + "\u0301" * 199
CYRILLIC_CLERK = "cl\u0435rk@trust.example"  # "е" is U+0435 CYRILLIC SMALL LETTER IE
SPOOFS = {
    "zero-width spaces only": ZERO_WIDTH_ONLY,
    "a right-to-left override": RIGHT_TO_LEFT_OVERRIDE,
    "199 combining accents": STACKED_ACCENTS,
}

# Names a trust has, in the scripts and with the joiners they are written with.
REAL_NAMES = {
    "Irish, with accents": "Zoë Ó Súilleabháin",
    "Vietnamese": "Nguyễn Thị Minh Khai",
    "Greek": "Ελένη Παπαδοπούλου",
    "Hebrew, right to left without controls": "שרה כהן",
    "Arabic, right to left without controls": "محمد الأحمد",
    "Devanagari with a zero-width joiner": "शक्\u200dति सिंह",
    "Devanagari with three marks on a letter": "ज़ेंनब",
    "Tibetan with a stack of four marks": "ཀྵྨྱཱ",
}


def problem_at(response: Response, status: int, loc: list[Any]) -> str:
    """Assert a problem+json with this status and an error at `loc`; its message."""
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == PROBLEM_JSON
    messages = {tuple(e["loc"]): e["msg"] for e in response.json().get("errors", [])}
    assert tuple(loc) in messages, messages
    return messages[tuple(loc)]


def created(response: Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text[:500]
    return dict(response.json())


async def audit_total(client: AsyncClient, admin: Any) -> int:
    """Every write is audited: an unchanged total means nothing was written."""
    response = await client.get("/api/v1/audit-events", params={"limit": 1}, headers=admin.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


async def new_person(client: AsyncClient, admin: Any, **fields: Any) -> dict[str, Any]:
    body = {"email": f"p-{uuid.uuid4().hex[:8]}@trust.example", "full_name": "Pat Person", **fields}
    return created(await client.post(PEOPLE, json=body, headers=admin.headers))


async def new_interest(client: AsyncClient, who: Any, **fields: Any) -> dict[str, Any]:
    body = {"category": "directorship", "organisation_name": "Acme Supplies Ltd", **fields}
    return created(await client.post(INTERESTS, json=body, headers=who.headers))


def name_writes(person_id: str) -> dict[str, tuple[str, str, dict[str, Any], str]]:
    """Every place a name comes in: method, path, a valid body with {} for the name, the field."""
    unique = uuid.uuid4().hex[:8]
    other_holder = {"category": "other", "holder": "spouse_partner", "description": "shares"}
    return {
        "full_name (new person)": (
            "POST", PEOPLE, {"email": f"n-{unique}@trust.example", "full_name": "{}"}, "full_name"
        ),
        "full_name (change)": ("PATCH", f"{PEOPLE}/{person_id}", {"full_name": "{}"}, "full_name"),
        "job_title": (
            "POST", PEOPLE, {"email": f"j-{unique}@trust.example", "full_name": "J", "job_title": "{}"},
            "job_title",
        ),
        "school name": ("POST", "/api/v1/schools", {"name": "{}"}, "name"),
        "appointment body": (
            "POST", f"{PEOPLE}/{person_id}/appointments", {"governance_role": "trustee", "body": "{}"}, "body"
        ),
        "appointed_by": (
            "POST", f"{PEOPLE}/{person_id}/appointments",
            {"governance_role": "trustee", "appointed_by": "{}"}, "appointed_by",
        ),
        "organisation_name": (
            "POST", INTERESTS, {"category": "directorship", "organisation_name": "{}"}, "organisation_name"
        ),
        "holder_name": (
            "POST", INTERESTS, {**other_holder, "holder_name": "{}", "relationship": "wife"}, "holder_name"
        ),
        "relationship": (
            "POST", INTERESTS, {**other_holder, "holder_name": "Sam", "relationship": "{}"}, "relationship"
        ),
        "charity_number": (
            "POST", INTERESTS,
            {"category": "trusteeship", "organisation_name": "Aid", "charity_number": "{}"}, "charity_number",
        ),
        "cycle name": (
            "POST", "/api/v1/declaration-cycles",
            {"name": "{}", "due_on": "2030-01-31", "governance_roles": ["trustee"]}, "name",
        ),
    }  # fmt: skip


NAME_FIELDS = list(name_writes("x"))


def with_name(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: name if value == "{}" else value for key, value in body.items()}


class TestSpoofedNames:
    async def test_a_full_name_of_zero_width_spaces_only_is_a_422(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"email": "blank@trust.example", "full_name": ZERO_WIDTH_ONLY}
        response = await client.post(PEOPLE, json=body, headers=admin.headers)
        assert "U+200B ZERO WIDTH SPACE" in problem_at(response, 422, ["body", "full_name"])

    async def test_a_right_to_left_override_is_a_422(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"email": "tom@trust.example", "full_name": RIGHT_TO_LEFT_OVERRIDE}
        response = await client.post(PEOPLE, json=body, headers=admin.headers)
        assert "RIGHT-TO-LEFT OVERRIDE" in problem_at(response, 422, ["body", "full_name"])

    async def test_199_combining_accents_are_a_422(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"email": "zalgo@trust.example", "full_name": STACKED_ACCENTS}
        response = await client.post(PEOPLE, json=body, headers=admin.headers)
        assert "combining marks" in problem_at(response, 422, ["body", "full_name"])

    @pytest.mark.parametrize("spoof", list(SPOOFS))
    @pytest.mark.parametrize("field", NAME_FIELDS)
    async def test_no_name_anywhere_takes_a_spoof(
        self, client: AsyncClient, caller, field: str, spoof: str
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await new_person(client, admin)
        before = await audit_total(client, admin)
        method, path, body, name = name_writes(person["id"])[field]
        response = await client.request(
            method, path, json=with_name(body, SPOOFS[spoof]), headers=admin.headers
        )
        problem_at(response, 422, ["body", name])
        assert await audit_total(client, admin) == before

    @pytest.mark.parametrize(
        "name",
        [
            "Ann\tAble",
            "Ann\nAble",
            "Ann\x07",
            "Ann\u0085Able",
            "Ann\u2028Able",
            "\ufeffAnn",
            "A\u2066nn\u2069",
        ],
    )
    async def test_control_and_invisible_characters_inside_a_name_are_a_422(
        self, client: AsyncClient, caller, name: str
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.post("/api/v1/schools", json={"name": name}, headers=admin.headers)
        problem_at(response, 422, ["body", "name"])

    @pytest.mark.parametrize("name", ["\u0301", " \u200d ", "\u3164", "\u2800\u2800", "\u00a0"])
    async def test_a_name_with_nothing_visible_is_a_422(self, client: AsyncClient, caller, name: str) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.post("/api/v1/schools", json={"name": name}, headers=admin.headers)
        problem_at(response, 422, ["body", "name"])

    async def test_five_nonspacing_marks_in_a_row_are_a_422_even_split_by_a_joiner(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        # After "1" nothing composes: NFC leaves all five marks in place.
        name = "Ann 1" + "\u0301\u0300\u200d\u0302\u0303\u0304"
        response = await client.post("/api/v1/schools", json={"name": name}, headers=admin.headers)
        problem_at(response, 422, ["body", "name"])


class TestRealNames:
    @pytest.mark.parametrize("script", list(REAL_NAMES))
    async def test_a_real_name_is_kept_as_written(self, client: AsyncClient, caller, script: str) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        name = REAL_NAMES[script]
        person = await new_person(client, admin, full_name=name, job_title=name)
        assert (person["full_name"], person["job_title"]) == (name, name)
        fetched = await client.get(f"{PEOPLE}/{person['id']}", headers=admin.headers)
        assert fetched.status_code == 200
        assert fetched.json()["full_name"] == name

    @pytest.mark.parametrize("field", NAME_FIELDS)
    async def test_every_name_field_takes_an_accented_name(
        self, client: AsyncClient, caller, field: str
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await new_person(client, admin)
        method, path, body, name = name_writes(person["id"])[field]
        response = await client.request(method, path, json=with_name(body, "Zoë 1"), headers=admin.headers)
        assert response.status_code == (200 if method == "PATCH" else 201), response.text
        assert response.json()[name] == "Zoë 1"

    async def test_a_decomposed_name_is_stored_composed(self, client: AsyncClient, caller) -> None:
        # The same name typed on another keyboard arrives decomposed (NFD); it must compare equal.
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await new_person(client, admin, full_name="Nguye\u0302\u0303n Thi\u0323")
        assert person["full_name"] == "Nguyễn Thị"
        assert len(person["full_name"]) == 10

    async def test_surrounding_spaces_are_trimmed(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        assert (await new_person(client, admin, full_name="  Ann Able  "))["full_name"] == "Ann Able"


class TestFreeText:
    async def test_a_description_keeps_its_lines_and_tabs(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        text = "Director since 2019.\r\n\tUnpaid; e\u0301"
        interest = await new_interest(client, declarant, description=text)
        assert interest["description"] == "Director since 2019.\r\n\tUnpaid; é"

    @pytest.mark.parametrize(
        "text", ["Paid by \u202eTSURT", "bell\x07", "nul-adjacent \x1b[31m", "mark\u200f"]
    )
    async def test_a_description_with_a_control_or_bidi_character_is_a_422(
        self, client: AsyncClient, caller, text: str
    ) -> None:
        declarant = await caller()
        body = {"category": "other", "description": text}
        response = await client.post(INTERESTS, json=body, headers=declarant.headers)
        problem_at(response, 422, ["body", "description"])


class TestEmails:
    async def test_a_cyrillic_letter_beside_the_real_clerk_is_a_422(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await new_person(client, admin, email="clerk@trust.example", full_name="The Clerk")
        body = {"email": CYRILLIC_CLERK, "full_name": "The Clerk"}
        response = await client.post(PEOPLE, json=body, headers=admin.headers)
        assert "ASCII" in problem_at(response, 422, ["body", "email"])

    async def test_changing_an_address_to_a_lookalike_is_a_422(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await new_person(client, admin)
        response = await client.patch(
            f"{PEOPLE}/{person['id']}", json={"email": CYRILLIC_CLERK}, headers=admin.headers
        )
        problem_at(response, 422, ["body", "email"])

    async def test_an_internationalised_domain_is_stored_as_punycode(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await new_person(client, admin, email="zoe@bücher.example")
        assert person["email"] == "zoe@xn--bcher-kva.example"
        for typed in ("zoe@xn--bcher-kva.example", "Zoe@Bücher.example"):
            found = await client.get(PEOPLE, params={"email": typed}, headers=admin.headers)
            assert found.status_code == 200
            assert [p["id"] for p in found.json()["items"]] == [person["id"]], typed

    async def test_the_unicode_and_the_punycode_domain_are_one_address(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await new_person(client, admin, email="zoe@xn--bcher-kva.example")
        response = await client.post(
            PEOPLE, json={"email": "Zoe@Bücher.Example", "full_name": "Zoë"}, headers=admin.headers
        )
        assert response.status_code == 409, response.text

    @pytest.mark.parametrize(
        "email",
        ["zoe@bü_cher.example", "zoe@-bücher.example", "zoe@bü\u200dcher.example", "zoe@bücher..example"],
    )
    async def test_a_domain_that_is_not_a_valid_idna_name_is_a_422(
        self, client: AsyncClient, caller, email: str
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.post(PEOPLE, json={"email": email, "full_name": "Zoë"}, headers=admin.headers)
        problem_at(response, 422, ["body", "email"])

    @pytest.mark.parametrize(
        "email", ["a b@trust.example", "ann@trust", "ann@trust..example", "@trust.example"]
    )
    async def test_an_address_without_its_parts_is_a_422(
        self, client: AsyncClient, caller, email: str
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.post(PEOPLE, json={"email": email, "full_name": "Ann"}, headers=admin.headers)
        problem_at(response, 422, ["body", "email"])


class TestStrictBooleans:
    async def test_financial_1_is_a_422(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        body = {"category": "directorship", "organisation_name": "Acme Supplies Ltd", "financial": 1}
        response = await client.post(INTERESTS, json=body, headers=declarant.headers)
        problem_at(response, 422, ["body", "financial"])

    async def test_active_0_is_a_422(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"email": "zero@trust.example", "full_name": "Zero", "active": 0}
        response = await client.post(PEOPLE, json=body, headers=admin.headers)
        problem_at(response, 422, ["body", "active"])

    async def test_active_0_in_a_change_is_a_422_and_the_person_stays_active(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await new_person(client, admin)
        response = await client.patch(f"{PEOPLE}/{person['id']}", json={"active": 0}, headers=admin.headers)
        problem_at(response, 422, ["body", "active"])
        fetched = await client.get(f"{PEOPLE}/{person['id']}", headers=admin.headers)
        assert fetched.status_code == 200
        assert fetched.json()["active"] is True

    @pytest.mark.parametrize("value", [1, 0, "true", "false", 1.0, "yes"])
    @pytest.mark.parametrize("field", ["financial", "direct", "private"])
    async def test_an_interest_flag_is_a_json_boolean(
        self, client: AsyncClient, caller, field: str, value: Any
    ) -> None:
        declarant = await caller()
        body = {"category": "directorship", "organisation_name": "Acme Supplies Ltd", field: value}
        response = await client.post(INTERESTS, json=body, headers=declarant.headers)
        problem_at(response, 422, ["body", field])

    @pytest.mark.parametrize("field", ["nil_return", "code_of_conduct_accepted"])
    async def test_a_declaration_flag_is_a_json_boolean(
        self, client: AsyncClient, caller, field: str
    ) -> None:
        declarant = await caller()
        body = {
            "cycle_id": str(uuid.uuid4()),
            "nil_return": False,
            "code_of_conduct_accepted": True,
            field: 1,
        }
        response = await client.post("/api/v1/declarations", json=body, headers=declarant.headers)
        problem_at(response, 422, ["body", field])

    async def test_json_true_and_false_are_taken(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        interest = await new_interest(client, declarant, financial=False, direct=True, private=True)
        assert (interest["financial"], interest["direct"], interest["private"]) == (False, True, True)


class TestQueryBooleans:
    @pytest.mark.parametrize(
        ("word", "ended"), [("true", True), ("false", False), ("1", True), ("no", False)]
    )
    async def test_the_documented_words_are_read(
        self, client: AsyncClient, caller, word: str, ended: bool
    ) -> None:
        declarant = await caller()
        interest = await new_interest(client, declarant)
        response = await client.get(INTERESTS, params={"ended": word}, headers=declarant.headers)
        assert response.status_code == 200, response.text
        assert [i["id"] for i in response.json()["items"]] == ([] if ended else [interest["id"]])

    @pytest.mark.parametrize("word", ["maybe", "2", ""])
    async def test_another_word_is_a_422(self, client: AsyncClient, caller, word: str) -> None:
        declarant = await caller()
        response = await client.get(INTERESTS, params={"ended": word}, headers=declarant.headers)
        problem_at(response, 422, ["query", "ended"])

    def test_every_boolean_in_every_request_body_is_strict(self) -> None:
        # A new body with a plain bool would quietly take 1 and "yes" again.
        create_app()
        lax = []
        for model in all_subclasses(InputModel):
            for name, field in model.model_fields.items():
                if bool not in (field.annotation, *get_args(field.annotation)):
                    continue
                adapter = TypeAdapter(Annotated[field.annotation, *field.metadata])  # type: ignore[name-defined]
                for value in (1, "true"):
                    try:
                        adapter.validate_python(value)
                        lax.append(f"{model.__name__}.{name}")
                    except ValidationError:
                        pass
        assert lax == []


def all_subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found.union(*(all_subclasses(sub) for sub in found)) if found else found


BAD_DAYS = {"year 1": "0001-01-01", "year 9999": "9999-12-31", "1899": "1899-12-31", "2101": "2101-01-01"}
NOT_ISO_DAYS = {
    "a number": 0,
    "a number of digits": 20261122,
    "digits only": "20261122",
    "a datetime": "2026-11-22T00:00:00",
    "day first": "22/11/2026",
    "an ISO week": "2026-W47-7",
    "a timestamp": "1795305600",
}


def date_writes(person_id: str, interest_id: str) -> dict[str, tuple[str, str, dict[str, Any], list[Any]]]:
    """Every place a date comes in, with {} for the date: method, path, body or query, error location."""
    appointment = {"governance_role": "trustee", "appointed_on": "2020-01-01"}
    cycle = {
        "name": "2026/27",
        "opens_on": "2026-09-01",
        "due_on": "2026-10-31",
        "governance_roles": ["trustee"],
    }
    declaration = {"cycle_id": str(uuid.uuid4()), "nil_return": False, "code_of_conduct_accepted": True}
    return {
        "interest start_date": (
            "POST", INTERESTS, {"category": "other", "description": "x", "start_date": "{}"},
            ["body", "start_date"],
        ),
        "interest end_date": (
            "POST", f"{INTERESTS}/{interest_id}/end", {"end_date": "{}"}, ["body", "end_date"]
        ),
        "appointed_on": (
            "POST", f"{PEOPLE}/{person_id}/appointments", {**appointment, "appointed_on": "{}"},
            ["body", "appointed_on"],
        ),
        "term_ends_on": (
            "POST", f"{PEOPLE}/{person_id}/appointments", {**appointment, "term_ends_on": "{}"},
            ["body", "term_ends_on"],
        ),
        "stepped_down_on": (
            "POST", f"{PEOPLE}/{person_id}/appointments", {**appointment, "stepped_down_on": "{}"},
            ["body", "stepped_down_on"],
        ),
        "cycle opens_on": (
            "POST", "/api/v1/declaration-cycles", {**cycle, "opens_on": "{}"}, ["body", "opens_on"]
        ),
        "cycle due_on": ("POST", "/api/v1/declaration-cycles", {**cycle, "due_on": "{}"}, ["body", "due_on"]),
        "declaration ended_interests": (
            "POST", "/api/v1/declarations",
            {**declaration, "ended_interests": [{"interest_id": interest_id, "end_date": "{}"}]},
            ["body", "ended_interests", 0, "end_date"],
        ),
        "open_on filter": ("GET", INTERESTS, {"open_on": "{}"}, ["query", "open_on"]),
    }  # fmt: skip


DATE_FIELDS = list(date_writes("x", "y"))


async def send_with_date(client: AsyncClient, admin: Any, field: str, day: Any) -> tuple[Response, list[Any]]:
    person = await new_person(client, admin)
    interest = await new_interest(client, admin, start_date="2020-01-01")
    method, path, fields, loc = date_writes(person["id"], interest["id"])[field]
    filled = {key: day if value == "{}" else value for key, value in fields.items()}
    if "ended_interests" in filled:
        filled["ended_interests"] = [{"interest_id": interest["id"], "end_date": day}]
    if method == "GET":
        return await client.get(path, params=filled, headers=admin.headers), loc
    return await client.request(method, path, json=filled, headers=admin.headers), loc


class TestDates:
    async def test_open_on_0_is_a_422(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        response = await client.get(INTERESTS, params={"open_on": "0"}, headers=declarant.headers)
        assert "YYYY-MM-DD" in problem_at(response, 422, ["query", "open_on"])

    @pytest.mark.parametrize("day", list(BAD_DAYS))
    @pytest.mark.parametrize("field", DATE_FIELDS)
    async def test_a_date_outside_1900_to_2100_is_a_422(
        self, client: AsyncClient, caller, field: str, day: str
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response, loc = await send_with_date(client, admin, field, BAD_DAYS[day])
        assert "1900-01-01 and 2100-12-31" in problem_at(response, 422, loc)

    @pytest.mark.parametrize("value", list(NOT_ISO_DAYS))
    @pytest.mark.parametrize("field", DATE_FIELDS)
    async def test_a_date_not_written_yyyy_mm_dd_is_a_422(
        self, client: AsyncClient, caller, field: str, value: str
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response, loc = await send_with_date(client, admin, field, NOT_ISO_DAYS[value])
        problem_at(response, 422, loc)

    async def test_an_appointment_may_run_from_1900_01_01_to_2100_12_31(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await new_person(client, admin)
        body = {"governance_role": "trustee", "appointed_on": "1900-01-01", "term_ends_on": "2100-12-31"}
        appointment = created(
            await client.post(f"{PEOPLE}/{person['id']}/appointments", json=body, headers=admin.headers)
        )
        assert (appointment["appointed_on"], appointment["term_ends_on"]) == ("1900-01-01", "2100-12-31")

    async def test_an_interest_may_run_from_1900_01_01_to_2100_12_31(
        self, client: AsyncClient, caller
    ) -> None:
        declarant = await caller()
        interest = await new_interest(client, declarant, start_date="1900-01-01")
        ended = await client.post(
            f"{INTERESTS}/{interest['id']}/end", json={"end_date": "2100-12-31"}, headers=declarant.headers
        )
        assert ended.status_code == 200, ended.text
        assert ended.json()["end_date"] == "2100-12-31"
        found = await client.get(INTERESTS, params={"open_on": "1900-01-01"}, headers=declarant.headers)
        assert found.status_code == 200, found.text
        assert [i["id"] for i in found.json()["items"]] == [interest["id"]]

    async def test_a_cycle_may_open_on_1900_01_01_and_be_due_on_2100_12_31(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {
            "name": "Long",
            "opens_on": "1900-01-01",
            "due_on": "2100-12-31",
            "governance_roles": ["trustee"],
        }
        cycle = created(await client.post("/api/v1/declaration-cycles", json=body, headers=admin.headers))
        assert (cycle["opens_on"], cycle["due_on"]) == ("1900-01-01", "2100-12-31")


IMPORT_HEADER = "email,full_name,school,job_title,governance_roles,roles\n"


async def upload(client: AsyncClient, admin: Any, content: str, *, dry_run: bool = False) -> Response:
    return await client.post(
        "/api/v1/people/import",
        files={"file": ("people.csv", content.encode(), "text/csv")},
        params={"dry_run": "true"} if dry_run else {},
        headers=admin.headers,
    )


SPOOFED_ROWS = (
    IMPORT_HEADER
    + "ann.able@trust.example,Ann Able,,,,\n"  # line 2: valid
    + f"blank@trust.example,{ZERO_WIDTH_ONLY},,,,\n"  # line 3
    + f"tom@trust.example,{RIGHT_TO_LEFT_OVERRIDE},,,,\n"  # line 4
    + f"zalgo@trust.example,{STACKED_ACCENTS},,,,\n"  # line 5
    + f"{CYRILLIC_CLERK},The Clerk,,,,\n"  # line 6
    + "sam@trust.example,Sam Smith,Hill\u202eside,,,\n"  # line 7
    + "kim@trust.example,Kim Lee,,Head of\u200b,,\n"  # line 8
)


class TestTheCsvImport:
    async def test_each_spoofed_row_is_an_error_and_nothing_is_imported(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        before = await audit_total(client, admin)
        response = await upload(client, admin, SPOOFED_ROWS)
        assert response.status_code == 422, response.text
        errors = {e["loc"][-1]: e["msg"] for e in response.json()["errors"]}
        assert {line: msg.split(":")[0] for line, msg in errors.items()} == {
            3: "full_name",
            4: "full_name",
            5: "full_name",
            6: "email",
            7: "school",
            8: "job_title",
        }
        assert await audit_total(client, admin) == before

    async def test_a_dry_run_reports_the_spoofed_rows_as_errors(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await upload(client, admin, SPOOFED_ROWS, dry_run=True)
        assert response.status_code == 200, response.text
        actions = {row["row"]: row["action"] for row in response.json()["rows"]}
        assert actions == {2: "create", **dict.fromkeys(range(3, 9), "error")}

    async def test_real_names_and_an_internationalised_domain_are_imported(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        rows = [f"person{n}@trust.example,{name},,,," for n, name in enumerate(REAL_NAMES.values())]
        rows.append("zoe@bücher.example,Zoë Ó Súilleabháin,Scoil Bhríde,Múinteoir,,")
        response = await upload(client, admin, IMPORT_HEADER + "\n".join(rows) + "\n")
        assert response.status_code == 200, response.text
        assert response.json()["created"] == len(REAL_NAMES) + 1
        found = await client.get(PEOPLE, params={"email": "zoe@xn--bcher-kva.example"}, headers=admin.headers)
        assert found.status_code == 200
        [zoe] = found.json()["items"]
        assert (zoe["email"], zoe["full_name"], zoe["job_title"]) == (
            "zoe@xn--bcher-kva.example",
            "Zoë Ó Súilleabháin",
            "Múinteoir",
        )


SPEC = json.loads((Path(__file__).resolve().parent.parent / "openapi" / "openapi.json").read_text())


def resolved(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return dict(SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
    return schema


def strings_in(schema: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every string schema inside a request schema, with where it is."""
    schema = resolved(schema)
    if schema.get("type") == "string":
        yield where, schema
    for branch in schema.get("anyOf", []) + schema.get("allOf", []):
        yield from strings_in(branch, where)
    for name, child in schema.get("properties", {}).items():
        yield from strings_in(child, f"{where}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from strings_in(schema["items"], f"{where}[]")


def request_strings() -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                yield from strings_in(parameter["schema"], f"{where} {parameter['name']}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from strings_in(content["schema"], f"{where} body")


# Strings whose format or list of values rules NUL out, and uploaded files (any bytes).
def needs_a_pattern(schema: dict[str, Any]) -> bool:
    fixed = {"enum", "const", "contentMediaType"} & schema.keys()
    return not fixed and schema.get("format") not in ("uuid", "binary")


class TestTheSpecSaysWhatIsRefused:
    def test_every_string_a_request_carries_has_a_pattern_that_refuses_nul(self) -> None:
        without = [
            where
            for where, schema in request_strings()
            if needs_a_pattern(schema) and re.search(schema.get("pattern", ""), "a\x00b") is not None
        ]
        assert without == []

    def test_every_date_a_request_carries_is_bounded_by_its_pattern(self) -> None:
        dates = [(where, schema) for where, schema in request_strings() if schema.get("format") == "date"]
        assert len(dates) >= 10
        for where, schema in dates:
            pattern = re.compile(schema["pattern"])
            assert pattern.fullmatch("1900-01-01") and pattern.fullmatch("2100-12-31"), where
            assert not any(pattern.fullmatch(day) for day in (*BAD_DAYS.values(), "0", "2026-11-22T00:00")), (
                where
            )

    def test_the_name_pattern_refuses_the_spoofs_it_can_see_and_takes_real_names(self) -> None:
        full_name = resolved(SPEC["components"]["schemas"]["PersonCreate"])["properties"]["full_name"]
        pattern = re.compile(full_name["pattern"])
        assert not pattern.fullmatch(ZERO_WIDTH_ONLY)
        assert not pattern.fullmatch(RIGHT_TO_LEFT_OVERRIDE)
        assert not pattern.fullmatch("   ")
        assert all(pattern.fullmatch(name) for name in REAL_NAMES.values())
        # A run of marks is beyond a portable pattern: the description says it.
        assert "more than 4 combining marks in a row" in full_name["description"]

    def test_the_email_pattern_is_ascii(self) -> None:
        email = resolved(SPEC["components"]["schemas"]["PersonCreate"])["properties"]["email"]
        assert not re.fullmatch(email["pattern"], CYRILLIC_CLERK)
        assert re.fullmatch(email["pattern"], "zoe@xn--bcher-kva.example")
        assert "punycode" in email["description"]

    def test_the_checkpoint_parameters_say_they_go_together(self) -> None:
        parameters = {p["name"]: p for p in SPEC["paths"]["/api/v1/audit-events/verify"]["get"]["parameters"]}
        assert "checkpoint_hash" in parameters["checkpoint_seq"]["description"]
        assert "checkpoint_seq" in parameters["checkpoint_hash"]["description"]

    def test_every_boolean_query_parameter_names_the_words_it_takes(self) -> None:
        flags = [
            (path, p)
            for path, item in SPEC["paths"].items()
            for operation in item.values()
            for p in operation.get("parameters", [])
            if "boolean" in [s.get("type") for s in (p["schema"], *p["schema"].get("anyOf", []))]
        ]
        assert len(flags) >= 3
        assert all("yes/no" in p["description"] for _, p in flags), flags


class TestCompanyNumbers:
    @pytest.mark.parametrize("number", ["ı2345678", "SC１２３４５６", "123456789", "0000000000000000000"])
    async def test_a_company_number_beyond_eight_ascii_letters_and_digits_is_a_422(
        self, client: AsyncClient, caller, number: str
    ) -> None:
        # "ı" upper-cases to "I" and the full-width digits count as digits: neither is ASCII.
        declarant = await caller()
        body = {"category": "directorship", "organisation_name": "Acme", "company_number": number}
        response = await client.post(INTERESTS, json=body, headers=declarant.headers)
        problem_at(response, 422, ["body", "company_number"])

    def test_the_spec_states_the_shape_of_a_company_number(self) -> None:
        schema = SPEC["components"]["schemas"]["InterestCreate"]["properties"]["company_number"]["anyOf"][0]
        pattern = re.compile(schema["pattern"])
        assert all(pattern.fullmatch(n) for n in ("SC 123456", "1234567", " sc123456 ", "12\u00a034"))
        assert not any(pattern.fullmatch(n) for n in ("ı2345678", "123456789", "SC\t123456", "12-34"))
