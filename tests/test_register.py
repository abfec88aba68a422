"""The published register: who is listed, what of theirs is published, and never anything else."""

import csv
import io
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from app.auth.permissions import Role
from app.core import clock
from app.register import cache as register_cache
from app.register import render
from app.register import service as register_service
from app.register.schemas import PublishedRegisterRead

REGISTER = "/api/v1/public/register"
REGISTER_CSV = "/api/v1/public/register.csv"
PAGE = "/register"


# ---------------------------------------------------------------- helpers


def days_ago(days: int) -> str:
    return (clock.today() - timedelta(days=days)).isoformat()


def days_ahead(days: int) -> str:
    return (clock.today() + timedelta(days=days)).isoformat()


async def add_school(client: AsyncClient, admin: Any, name: str | None = None) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/schools", json={"name": name or f"School {uuid.uuid4().hex[:8]}"}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def add_person(
    client: AsyncClient,
    admin: Any,
    full_name: str,
    governance_roles: tuple[str, ...] = (),
    school_id: str | None = None,
) -> str:
    """A person created over the API; governance roles open appointments from today (a local
    governor's at their school: a new one unless given)."""
    slug = re.sub(r"[^a-z0-9]+", ".", full_name.lower()).strip(".") or "person"
    if school_id is None and "local_governor" in governance_roles:
        school_id = (await add_school(client, admin))["id"]
    body = {
        "email": f"{slug}.{len(full_name)}@trust.test",
        "full_name": full_name,
        "governance_roles": list(governance_roles),
        "school_id": school_id,
    }
    response = await client.post("/api/v1/people", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def appoint(client: AsyncClient, admin: Any, person_id: str, **fields: Any) -> dict[str, Any]:
    """An appointment (a local governor's at a new school unless one is given)."""
    if fields.get("governance_role") == "local_governor" and "school_id" not in fields:
        fields["school_id"] = (await add_school(client, admin))["id"]
    response = await client.post(
        f"/api/v1/people/{person_id}/appointments", json=fields, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def declare(client: AsyncClient, admin: Any, person_id: str, **fields: Any) -> dict[str, Any]:
    """An interest declared by the clerk for the person."""
    response = await client.post(
        "/api/v1/interests", json={"person_id": person_id, **fields}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def trustee(client: AsyncClient, admin: Any, full_name: str) -> str:
    return await add_person(client, admin, full_name, ("trustee",))


async def published(client: AsyncClient) -> dict[str, Any]:
    response = await client.get(REGISTER)
    assert response.status_code == 200, response.text
    return dict(response.json())


def names(register: dict[str, Any]) -> set[str]:
    return {item["full_name"] for item in register["items"]}


def entry(register: dict[str, Any], full_name: str) -> dict[str, Any]:
    found = [item for item in register["items"] if item["full_name"] == full_name]
    assert len(found) == 1, f"{full_name} is listed {len(found)} times"
    return dict(found[0])


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def all_renderings(client: AsyncClient) -> dict[str, str]:
    """The register as published in every form, as text."""
    responses = {
        "json": await client.get(REGISTER),
        "csv": await client.get(REGISTER_CSV),
        "html": await client.get(PAGE),
    }
    for kind, response in responses.items():
        assert response.status_code == 200, (kind, response.text)
    return {kind: response.text for kind, response in responses.items()}


# ---------------------------------------------------------------- who is listed


class TestWhoIsListed:
    @pytest.mark.parametrize("role", ["member", "trustee", "local_governor", "accounting_officer"])
    async def test_each_published_governance_role_is_listed(
        self, client: AsyncClient, caller, role: str
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await add_person(client, admin, f"Holder Of {role}", (role,))
        register = await published(client)
        assert f"Holder Of {role}" in names(register)
        assert [a["governance_role"] for a in entry(register, f"Holder Of {role}")["appointments"]] == [role]

    async def test_staff_only_and_people_without_an_appointment_are_not_listed(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await add_person(client, admin, "Stella Staff", ("staff",))
        declarant = await add_person(client, admin, "Dora Declarant")
        await declare(client, admin, declarant, category="directorship", organisation_name="Dora Ltd")
        await trustee(client, admin, "Terry Trustee")
        listed = names(await published(client))
        assert "Terry Trustee" in listed
        assert "Stella Staff" not in listed and "Dora Declarant" not in listed
        assert admin.person.full_name not in listed

    async def test_someone_who_stepped_down_11_months_ago_is_still_listed(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await add_person(client, admin, "Recent Leaver")
        await appoint(
            client, admin, person, governance_role="trustee", appointed_on="2019-09-01",
            stepped_down_on=days_ago(335),
        )  # fmt: skip
        register = await published(client)
        appointment = entry(register, "Recent Leaver")["appointments"][0]
        assert appointment["stepped_down_on"] == days_ago(335)

    async def test_someone_who_stepped_down_13_months_ago_is_not_listed(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await add_person(client, admin, "Long Gone")
        await appoint(
            client, admin, person, governance_role="trustee", appointed_on="2019-09-01",
            stepped_down_on=days_ago(395),
        )  # fmt: skip
        assert "Long Gone" not in names(await published(client))

    async def test_a_term_that_ran_out_within_12_months_is_listed_and_one_before_is_not(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        recent = await add_person(client, admin, "Term Ended Recently")
        old = await add_person(client, admin, "Term Ended Long Ago")
        await appoint(
            client, admin, recent, governance_role="member", appointed_on="2018-01-01",
            term_ends_on=days_ago(300),
        )  # fmt: skip
        await appoint(
            client, admin, old, governance_role="member", appointed_on="2018-01-01",
            term_ends_on=days_ago(400),
        )  # fmt: skip
        listed = names(await published(client))
        assert "Term Ended Recently" in listed and "Term Ended Long Ago" not in listed

    async def test_someone_appointed_in_the_future_is_not_yet_listed(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await add_person(client, admin, "Future Governor")
        await appoint(client, admin, person, governance_role="local_governor", appointed_on=days_ahead(30))
        assert "Future Governor" not in names(await published(client))

    async def test_an_inactive_person_with_a_recent_appointment_is_still_listed(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await add_person(client, admin, "Departed Trustee")
        await appoint(
            client, admin, person, governance_role="trustee", appointed_on="2020-01-01",
            stepped_down_on=days_ago(30),
        )  # fmt: skip
        response = await client.patch(
            f"/api/v1/people/{person}", json={"active": False}, headers=admin.headers
        )
        assert response.status_code == 200
        assert "Departed Trustee" in names(await published(client))

    async def test_no_login_is_needed(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await trustee(client, admin, "Open Book")
        for url, params in ((REGISTER, {}), (REGISTER_CSV, {}), (REGISTER, {"format": "csv"}), (PAGE, {})):
            response = await client.get(url, params=params)
            assert "authorization" not in response.request.headers
            assert response.status_code == 200, (url, params, response.text)
            assert "Open Book" in response.text

    async def test_an_unknown_format_is_a_422(self, client: AsyncClient) -> None:
        response = await client.get(REGISTER, params={"format": "xml"})
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


# ---------------------------------------------------------------- what is published


class TestAppointmentsShown:
    async def test_body_appointed_by_dates_and_term_are_shown(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await add_person(client, admin, "Petra Chair")
        await appoint(
            client, admin, person, governance_role="trustee", body="Trust board",
            appointed_by="Members", appointed_on="2023-09-01", term_ends_on="2027-08-31",
        )  # fmt: skip
        hillside = await add_school(client, admin, "Hillside Primary")
        await appoint(
            client, admin, person, governance_role="local_governor", body="Hillside LGB",
            appointed_by="Trust board", appointed_on="2021-09-01", stepped_down_on=days_ago(60),
            school_id=hillside["id"],
        )  # fmt: skip
        register = await published(client)
        assert entry(register, "Petra Chair")["appointments"] == [
            {
                "governance_role": "local_governor",
                "school_id": hillside["id"],
                "body": "Hillside LGB",
                "appointed_by": "Trust board",
                "appointed_on": "2021-09-01",
                "term_ends_on": None,
                "stepped_down_on": days_ago(60),
            },
            {
                "governance_role": "trustee",
                "school_id": None,
                "body": "Trust board",
                "appointed_by": "Members",
                "appointed_on": "2023-09-01",
                "term_ends_on": "2027-08-31",
                "stepped_down_on": None,
            },
        ]
        rendered = await all_renderings(client)
        for kind in ("csv", "html"):
            for text in ("Hillside LGB", "Trust board", "Members", "2023-09-01", "2027-08-31", days_ago(60)):
                assert text in rendered[kind], (kind, text)

    async def test_a_staff_appointment_of_a_listed_person_is_not_shown(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await add_person(client, admin, "Dual Role", ("staff", "trustee"))
        appointments = entry(await published(client), "Dual Role")["appointments"]
        assert [a["governance_role"] for a in appointments] == ["trustee"]

    async def test_the_period_is_the_last_12_months(self, client: AsyncClient) -> None:
        register = await published(client)
        today = clock.today()
        assert register["as_of"] == today.isoformat()
        period_from = date.fromisoformat(register["period_from"])
        assert today - timedelta(days=366) <= period_from <= today - timedelta(days=365)
        assert register["total"] == len(register["items"])

    async def test_12_months_are_calendar_months_and_the_first_day_counts(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        on_the_day = await add_person(client, admin, "Left On The First Day")
        day_before = await add_person(client, admin, "Left The Day Before")
        for person, left in ((on_the_day, "2027-02-28"), (day_before, "2027-02-27")):
            await appoint(
                client, admin, person, governance_role="trustee", appointed_on="2020-01-01",
                stepped_down_on=left,
            )  # fmt: skip
        fixed_clock(datetime(2028, 2, 29, 9, 0, tzinfo=UTC))  # a leap day: a year back is 28 February
        register = await published(client)
        assert (register["as_of"], register["period_from"]) == ("2028-02-29", "2027-02-28")
        assert "Left On The First Day" in names(register)
        assert "Left The Day Before" not in names(register)


class TestInterestsShown:
    async def test_open_interests_are_shown_with_their_details(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await trustee(client, admin, "Ivy Interests")
        await declare(
            client, admin, person, category="directorship", organisation_name="Oakwood Supplies Ltd",
            company_number="1234567", description="Non-executive director", start_date="2022-04-01",
        )  # fmt: skip
        interests = entry(await published(client), "Ivy Interests")["interests"]
        assert interests == [
            {
                "category": "directorship",
                "holder": "self",
                "organisation_name": "Oakwood Supplies Ltd",
                "company_number": "01234567",
                "charity_number": None,
                "description": "Non-executive director",
                "financial": True,
                "direct": True,
                "start_date": "2022-04-01",
            }
        ]

    async def test_an_ended_interest_is_not_shown(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await trustee(client, admin, "Ended Ernie")
        kept = await declare(client, admin, person, category="trusteeship", organisation_name="Kept Charity")
        gone = await declare(client, admin, person, category="employment", organisation_name="Old Employer")
        ended = await client.post(f"/api/v1/interests/{gone['id']}/end", json={}, headers=admin.headers)
        assert ended.status_code == 200, ended.text
        interests = entry(await published(client), "Ended Ernie")["interests"]
        assert [i["organisation_name"] for i in interests] == [kept["organisation_name"]]
        rendered = await all_renderings(client)
        assert all("Old Employer" not in text for text in rendered.values())

    async def test_an_interest_starting_in_the_future_is_not_yet_shown(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await trustee(client, admin, "Future Interest")
        await declare(
            client, admin, person, category="contract", organisation_name="Next Year Contracts",
            start_date=days_ahead(10),
        )  # fmt: skip
        assert entry(await published(client), "Future Interest")["interests"] == []

    async def test_a_listed_person_without_interests_is_listed_with_none(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await trustee(client, admin, "Nil Return")
        rendered = await all_renderings(client)
        assert entry(await published(client), "Nil Return")["interests"] == []
        (row,) = [r for r in csv_rows(rendered["csv"]) if r["full_name"] == "Nil Return"]
        assert row["category"] == "" and row["organisation_name"] == ""
        assert "No interests declared." in rendered["html"]


class TestPublicationExclusions:
    async def test_a_membership_interest_is_never_published(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await trustee(client, admin, "Union Member")
        await declare(
            client, admin, person, category="membership", organisation_name="Teachers Union Branch 42",
            description="Branch secretary",
        )  # fmt: skip
        assert entry(await published(client), "Union Member")["interests"] == []
        for kind, text in (await all_renderings(client)).items():
            assert "Teachers Union Branch 42" not in text, kind
            assert "Branch secretary" not in text, kind
            assert "membership" not in text.lower(), kind

    @pytest.mark.parametrize("holder", ["spouse_partner", "family_member", "close_associate"])
    async def test_the_name_and_relationship_of_someone_else_are_never_published(
        self, client: AsyncClient, caller, holder: str
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await trustee(client, admin, "Married Trustee")
        await declare(
            client, admin, person, category="directorship", holder=holder,
            holder_name="Quentin Zyxwardson", relationship="husband of twenty years",
            organisation_name="Spouse Holdings Ltd",
        )  # fmt: skip
        interest = entry(await published(client), "Married Trustee")["interests"][0]
        assert interest["holder"] == holder and interest["organisation_name"] == "Spouse Holdings Ltd"
        assert "holder_name" not in interest and "relationship" not in interest
        for kind, text in (await all_renderings(client)).items():
            assert "Spouse Holdings Ltd" in text, kind
            assert "Zyxwardson" not in text, kind
            assert "husband of twenty years" not in text, kind

    async def test_a_private_description_is_never_published_but_the_organisation_is(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await trustee(client, admin, "Private Pat")
        await declare(
            client, admin, person, category="shareholding", organisation_name="Acme Widgets PLC",
            description="Holds 12% through a family trust (confidential)", private=True,
        )  # fmt: skip
        interest = entry(await published(client), "Private Pat")["interests"][0]
        assert interest["organisation_name"] == "Acme Widgets PLC" and interest["description"] is None
        assert "private" not in interest
        for kind, text in (await all_renderings(client)).items():
            assert "Acme Widgets PLC" in text, kind
            assert "family trust" not in text, kind

    async def test_nobody_outside_the_published_roles_appears_in_any_form(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        staff = await add_person(client, admin, "Hidden Staffer", ("staff",))
        await declare(client, admin, staff, category="employment", organisation_name="Staffer Side Job")
        old = await add_person(client, admin, "Hidden Former Trustee")
        await appoint(
            client, admin, old, governance_role="trustee", appointed_on="2015-01-01",
            stepped_down_on=days_ago(500),
        )  # fmt: skip
        await declare(client, admin, old, category="contract", organisation_name="Former Contract Co")
        await trustee(client, admin, "Visible Trustee")
        for kind, text in (await all_renderings(client)).items():
            assert "Visible Trustee" in text, kind
            for hidden in ("Hidden Staffer", "Staffer Side Job", "Hidden Former Trustee", "Former Contract"):
                assert hidden not in text, (kind, hidden)
            assert "@trust.test" not in text, kind  # no email address is ever published


# ---------------------------------------------------------------- the forms


class TestCsv:
    async def test_csv_has_a_header_and_one_row_per_interest(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await trustee(client, admin, "Csv Carol")
        await declare(
            client, admin, person, category="trusteeship", organisation_name="Carol Charity",
            charity_number="1012345", start_date="2021-01-01",
        )  # fmt: skip
        await declare(
            client, admin, person, category="land_property", description="Owns a field by the school",
            start_date="2022-01-01",
        )  # fmt: skip
        response = await client.get(REGISTER_CSV)
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["content-disposition"]
        header = next(csv.reader(io.StringIO(response.text)))
        assert tuple(header) == render.CSV_COLUMNS
        rows = [r for r in csv_rows(response.text) if r["full_name"] == "Csv Carol"]
        assert [
            (r["category"], r["organisation_name"], r["charity_number"], r["start_date"]) for r in rows
        ] == [
            ("trusteeship", "Carol Charity", "1012345", "2021-01-01"),
            ("land_property", "", "", "2022-01-01"),
        ]
        assert rows[1]["description"] == "Owns a field by the school" and rows[1]["financial"] == "true"
        assert all("Trustee" in r["appointments"] for r in rows)

    async def test_a_cell_that_looks_like_a_formula_is_defused(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await trustee(client, admin, "=HYPERLINK(evil)")
        response = await client.get(REGISTER_CSV)
        names_in_csv = [r["full_name"] for r in csv_rows(response.text)]
        assert "'=HYPERLINK(evil)" in names_in_csv and "=HYPERLINK(evil)" not in names_in_csv

    async def test_the_older_format_parameter_gives_the_same_download(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await trustee(client, admin, "Legacy Lee")
        download = await client.get(REGISTER_CSV)
        legacy = await client.get(REGISTER, params={"format": "csv"})
        assert legacy.status_code == download.status_code == 200
        assert "Legacy Lee" in download.text and legacy.content == download.content
        assert legacy.headers["content-type"] == download.headers["content-type"]
        assert legacy.headers["content-disposition"] == download.headers["content-disposition"]


class TestJsonSchema:
    @pytest.mark.parametrize("params", [{}, {"limit": "1", "offset": "1"}], ids=["cached", "paged"])
    async def test_the_json_is_exactly_what_the_spec_says(
        self, client: AsyncClient, caller, params: dict[str, str]
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        for name in ("Schema Sam", "Schema Sue"):
            person = await trustee(client, admin, name)
            await declare(client, admin, person, category="directorship", organisation_name=f"{name} Ltd")
        response = await client.get(REGISTER, params=params)
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        # extra="forbid" all the way down: a field the spec does not name fails here, not in a client.
        document = PublishedRegisterRead.model_validate_json(response.content, extra="forbid")
        assert document.items and all(person.appointments for person in document.items)
        assert any(person.interests for person in document.items)
        assert document.total >= 2 and response.json()["total"] == document.total


class TestHtmlPage:
    async def test_the_page_is_an_accessible_html_document(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await trustee(client, admin, "Page Person")
        await declare(client, admin, person, category="employment", organisation_name="Page Employer")
        response = await client.get(PAGE)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "attachment" not in response.headers.get("content-disposition", "")
        page = response.text
        assert page.startswith("<!doctype html>")
        assert re.search(r'<html lang="[a-zA-Z-]+"', page)
        assert re.search(r"<title>[^<]*Register of interests[^<]*</title>", page)
        assert page.count("<h1>") == 1
        assert "<h2" in page and "Page Person" in page and "Page Employer" in page
        tables = page.count("<table")
        assert tables >= 2 and page.count("<caption>") == tables
        header_cells = re.findall(r"<th\b[^>]*>", page)
        assert header_cells and all(cell == '<th role="columnheader" scope="col">' for cell in header_cells)
        # At a phone's width rows are shown as cards: each cell names its column, and the roles keep
        # the table a table to screen readers that drop it when its display changes.
        cells = re.findall(r"<td\b[^>]*>", page)
        assert cells and all(re.fullmatch(r'<td role="cell" data-label="[^"]+">', cell) for cell in cells)
        assert page.count('<tr role="row">') == page.count("<tr")
        # Print styles and the phone's cards are in the web interface's one stylesheet.
        assert '<link rel="stylesheet" href="/static/probity.css">' in page

    async def test_names_are_html_escaped(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await trustee(client, admin, "<script>alert(1)</script> Smith")
        await declare(client, admin, person, category="other", organisation_name='Bad "Org" <b>bold</b>')
        page = (await client.get(PAGE)).text
        assert "<script>" not in page and "<b>bold</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Smith" in page
        assert "&lt;b&gt;bold&lt;/b&gt;" in page

    async def test_the_page_has_a_strict_content_security_policy(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await trustee(client, admin, "Policy Person")
        response = await client.get(PAGE)
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "script-src" not in policy
        # The page's only style is this site's stylesheet: nothing inline is allowed.
        assert "style-src 'self'" in policy and "sha256-" not in policy
        assert "<style" not in response.text
        assert response.headers["x-content-type-options"] == "nosniff"

    async def test_the_page_links_to_the_csv(self, client: AsyncClient) -> None:
        page = (await client.get(PAGE)).text
        assert 'href="/api/v1/public/register.csv"' in page


# ---------------------------------------------------------------- freshness of the cached renderings


class TestFreshness:
    async def test_a_new_interest_appears_at_once_and_disappears_when_ended(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await trustee(client, admin, "Fresh Fred")
        before = await all_renderings(client)
        assert all("Brand New Ventures" not in text for text in before.values())
        interest = await declare(
            client, admin, person, category="directorship", organisation_name="Brand New Ventures"
        )
        shown = await all_renderings(client)
        assert all("Brand New Ventures" in text for text in shown.values()), shown
        ended = await client.post(f"/api/v1/interests/{interest['id']}/end", json={}, headers=admin.headers)
        assert ended.status_code == 200
        after = await all_renderings(client)
        assert all("Brand New Ventures" not in text for text in after.values()), after

    async def test_a_change_of_name_and_an_appointment_show_at_once(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await add_person(client, admin, "Not Yet Listed")
        assert "Not Yet Listed" not in (await all_renderings(client))["html"]
        await appoint(client, admin, person, governance_role="member", body="Members")
        assert "Not Yet Listed" in (await all_renderings(client))["html"]
        renamed = await client.patch(
            f"/api/v1/people/{person}", json={"full_name": "Renamed Member"}, headers=admin.headers
        )
        assert renamed.status_code == 200
        for kind, text in (await all_renderings(client)).items():
            assert "Renamed Member" in text and "Not Yet Listed" not in text, kind

    async def test_the_register_follows_the_date(self, client: AsyncClient, caller, fixed_clock) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        leaver = await add_person(client, admin, "Almost A Year Gone")
        await appoint(
            client, admin, leaver, governance_role="trustee", appointed_on="2018-01-01",
            stepped_down_on=days_ago(360),
        )  # fmt: skip
        stayer = await trustee(client, admin, "Still Serving")
        interest = await declare(
            client, admin, stayer, category="employment", organisation_name="Short Contract Employer"
        )
        ends = days_ahead(5)
        ended = await client.post(
            f"/api/v1/interests/{interest['id']}/end", json={"end_date": ends}, headers=admin.headers
        )
        assert ended.status_code == 200
        today = await all_renderings(client)
        for kind, text in today.items():
            assert "Almost A Year Gone" in text and "Short Contract Employer" in text, kind
        # Ten days on, with nothing written in between: the cached renderings must not be served.
        fixed_clock(datetime.combine(clock.today() + timedelta(days=10), time(12), tzinfo=UTC))
        later = await all_renderings(client)
        for kind, text in later.items():
            assert "Still Serving" in text, kind
            assert "Almost A Year Gone" not in text and "Short Contract Employer" not in text, kind
        assert (await published(client))["as_of"] == clock.today().isoformat()


class TestPagingThePublishedRegister:
    async def test_limit_and_offset_page_the_people_and_total_counts_them_all(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        for name in ("Paging Alpha", "Paging Beta", "Paging Gamma"):
            await trustee(client, admin, name)
        everyone = await published(client)
        page = await client.get(REGISTER, params={"limit": 1, "offset": 1})
        assert page.status_code == 200
        assert page.json()["total"] == everyone["total"]
        assert page.json()["items"] == everyone["items"][1:2]

    @pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1}])
    async def test_out_of_range_paging_is_a_422(self, client: AsyncClient, params: dict[str, int]) -> None:
        response = await client.get(REGISTER, params=params)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


class TestTheCacheFollowsOnlyRegisterChanges:
    async def test_a_failed_login_keeps_the_built_register_and_a_new_trustee_does_not(
        self, client: AsyncClient, caller, session
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await trustee(client, admin, "Cache Keeper")
        built = await register_cache.current(session)
        refused = await client.post(
            "/api/v1/auth/token", data={"username": "nobody@trust.test", "password": "x" * 12}
        )
        assert refused.status_code == 401
        assert await register_cache.current(session) is built
        await trustee(client, admin, "Cache Breaker")
        rebuilt = await register_cache.current(session)
        assert rebuilt is not built
        assert "Cache Breaker" in [p.full_name for p in rebuilt.people]


# ---------------------------------------------------------------- updated person by person


class TestUpdatedPersonByPerson:
    """After a change only the people it names are read again; the result is what a rebuild gives."""

    @pytest.fixture(autouse=True)
    def pinned(self, fixed_clock) -> None:
        """A fixed 'now', so a whole rebuild stamps the same generated_at as the update it checks."""
        fixed_clock(datetime(2027, 3, 10, 9, 30, tzinfo=UTC))

    @pytest.fixture
    def reads(self, monkeypatch: pytest.MonkeyPatch) -> list[set[str] | None]:
        """Whom each read of the register's people asked for (None: everyone, a whole rebuild)."""
        calls: list[set[str] | None] = []
        fetch = register_service.fetch_people

        async def spy(connection: Any, today: date, only: Any = None) -> Any:
            calls.append(None if only is None else {str(person) for person in only})
            return await fetch(connection, today, only)

        monkeypatch.setattr(register_service, "fetch_people", spy)
        return calls

    async def served(
        self, client: AsyncClient, session: Any, reads: list[set[str] | None]
    ) -> tuple[dict[str, str], list[set[str] | None]]:
        """Every form as served, checked equal, byte for byte, to that form of a register built whole;
        and whom the serving read again."""
        before = len(reads)
        responses = {
            "json": await client.get(REGISTER),
            "csv": await client.get(REGISTER, params={"format": "csv"}),
            "html": await client.get(PAGE),
        }
        assert all(response.status_code == 200 for response in responses.values())
        served_reads = reads[before:]
        whole = await register_service.build(session)
        site = await register_service.fetch_site(await session.connection())
        assert responses["json"].content == render.as_json_bytes(whole)
        assert responses["csv"].content == render.as_csv(whole).encode()
        assert responses["html"].content == render.as_html(whole, site.trust_name, site.schools).encode()
        return {kind: response.text for kind, response in responses.items()}, served_reads

    async def test_a_series_of_changes_gives_what_a_whole_rebuild_gives(
        self, client: AsyncClient, caller, session, reads: list[set[str] | None]
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        ivy = await trustee(client, admin, "Ivy Incremental")
        kept = await declare(client, admin, ivy, category="directorship", organisation_name="Ivy Holdings")
        await declare(client, admin, ivy, category="other", organisation_name="Ivy Book Club")
        bob = await add_person(client, admin, "Bob Bystander", ("local_governor",))
        await declare(client, admin, bob, category="employment", organisation_name="Bob Employer")
        leaver = await add_person(client, admin, "Lena Leaver")
        post = await appoint(client, admin, leaver, governance_role="member", appointed_on="2019-01-01")
        assert (await self.served(client, session, reads))[1] == [None]  # the first read: whole

        async def after_changing(*people: str) -> dict[str, str]:
            forms, served_reads = await self.served(client, session, reads)
            assert served_reads == [set(people)], "only the people changed are read again, once"
            return forms

        newcomer = await trustee(client, admin, "Nina Newcomer")
        assert "Nina Newcomer" in (await after_changing(newcomer))["html"]
        renamed = await client.patch(
            f"/api/v1/people/{ivy}", json={"full_name": "Aaron Ahead"}, headers=admin.headers
        )
        assert renamed.status_code == 200, renamed.text
        forms = await after_changing(ivy)  # first now: every later person's place on the page moves
        assert forms["html"].index("Aaron Ahead") < forms["html"].index("Bob Bystander")
        appointment = f"/api/v1/appointments/{post['id']}"
        stepped = await client.patch(
            appointment, json={"stepped_down_on": "2027-01-31"}, headers=admin.headers
        )
        assert stepped.status_code == 200, stepped.text
        assert "2027-01-31" in (await after_changing(leaver))["csv"]
        await declare(client, admin, bob, category="contract", organisation_name="Bob Catering Contract")
        assert "Bob Catering Contract" in (await after_changing(bob))["json"]
        ended = await client.post(f"/api/v1/interests/{kept['id']}/end", json={}, headers=admin.headers)
        assert ended.status_code == 200, ended.text
        assert "Ivy Holdings" not in (await after_changing(ivy))["html"]
        await declare(
            client, admin, bob, category="shareholding", organisation_name="Bob Shares PLC",
            description="A confidential family holding", private=True,
        )  # fmt: skip
        forms = await after_changing(bob)
        assert "Bob Shares PLC" in forms["json"] and "confidential family holding" not in forms["json"]
        await declare(client, admin, newcomer, category="membership", organisation_name="Nina Union Branch")
        assert "Nina Union Branch" not in (await after_changing(newcomer))["csv"]
        gone = await client.patch(appointment, json={"stepped_down_on": "2026-01-31"}, headers=admin.headers)
        assert gone.status_code == 200, gone.text
        assert "Lena Leaver" not in (await after_changing(leaver))["html"]  # out of the 12 months

    async def test_a_new_day_rebuilds_the_whole_register(
        self, client: AsyncClient, caller, session, fixed_clock, reads: list[set[str] | None]
    ) -> None:
        fixed_clock(datetime(2027, 3, 10, 23, 59, tzinfo=UTC))
        admin = await caller(Role.GOVERNANCE_ADMIN)
        leaver = await add_person(client, admin, "Midnight Leaver")
        await appoint(
            client, admin, leaver, governance_role="trustee", appointed_on="2019-01-01",
            stepped_down_on="2026-03-10",
        )  # fmt: skip
        assert "Midnight Leaver" in (await self.served(client, session, reads))[0]["html"]
        fixed_clock(datetime(2027, 3, 11, 0, 1, tzinfo=UTC))  # nothing written, a day later
        forms, served_reads = await self.served(client, session, reads)
        assert "Midnight Leaver" not in forms["html"] and served_reads == [None]

    async def test_a_register_built_on_a_trail_no_longer_there_is_rebuilt_whole(
        self, client: AsyncClient, caller, session, reads: list[set[str] | None]
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await trustee(client, admin, "Trail Keeper")
        await self.served(client, session, reads)
        follower = await trustee(client, admin, "Trail Follower")
        assert (await self.served(client, session, reads))[1] == [{follower}]
        published = register_cache._cache.published
        assert published is not None
        # As a rolled-back transaction leaves it: the cached version's event now holds something else.
        seq, _, today = published.version
        published.version = (seq, "f" * 64, today)
        await trustee(client, admin, "Trail Breaker")
        assert (await self.served(client, session, reads))[1] == [None]

    async def test_many_changes_at_once_rebuild_the_whole_register(
        self,
        client: AsyncClient,
        caller,
        session,
        monkeypatch: pytest.MonkeyPatch,
        reads: list[set[str] | None],
    ) -> None:
        monkeypatch.setattr(register_cache, "MOST_EVENTS_APPLIED", 2)
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await trustee(client, admin, "Many First")
        await self.served(client, session, reads)
        two = {await trustee(client, admin, name) for name in ("Many Second", "Many Third")}
        assert (await self.served(client, session, reads))[1] == [two]
        for name in ("Many Fourth", "Many Fifth", "Many Sixth"):
            await trustee(client, admin, name)
        assert (await self.served(client, session, reads))[1] == [None]

    async def test_each_trust_name_has_its_own_page(self, client: AsyncClient, caller, session) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await trustee(client, admin, "Named Trustee")
        oak = (await register_cache.rendered(session, render.html_form("Oak Trust"))).body
        elm = (await register_cache.rendered(session, render.html_form("Elm Trust"))).body
        assert b"Register of interests: Oak Trust" in oak and b"Named Trustee" in oak
        assert b"Register of interests: Elm Trust" in elm and b"Oak Trust" not in elm
