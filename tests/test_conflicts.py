"""Conflict checks (the contract's "Conflict checks"): before a contract award a screener asks who has
an interest in a counterparty, by company number, exact name or similar name, among the interests open
on the day; the check is kept as evidence and resolved once. Meeting checks say, for each agenda item,
which attendees must declare and withdraw."""

import csv
import io
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from httpx import AsyncClient, Response

from app.auth.permissions import Role
from app.core import clock
from tests.factories import Caller, assert_problem, days_from_today

CHECKS = "/api/v1/conflict-checks"
MEETINGS = "/api/v1/meeting-conflict-checks"
SETTINGS = "/api/v1/settings"
INTERESTS = "/api/v1/interests"
CHECKERS = (Role.FINANCE_DIRECTOR, Role.CEO, Role.COO, Role.CHAIR, Role.GOVERNANCE_ADMIN)
# A teacher with no role, and roles that decide other things but do not screen.
OUTSIDERS = (None, Role.VICE_CHAIR, Role.HR_DIRECTOR, Role.HEADTEACHER)
OTHER_HOLDERS = (
    ("spouse_partner", "Sam Example", "husband"),
    ("family_member", "Jo Example", "daughter"),
    ("close_associate", "Chris Example", "business partner"),
)


async def someone(caller: Any, role: Role | None) -> Caller:
    """A person with `role`, or a plain declarant (a teacher) for None."""
    return await caller(role) if role else await caller()


async def declared(client: AsyncClient, who: Caller, **fields: Any) -> dict[str, Any]:
    body = {"category": "directorship", **fields}
    response = await client.post(INTERESTS, json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def ended(client: AsyncClient, who: Caller, interest: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = await client.post(f"{INTERESTS}/{interest['id']}/end", json=body, headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def check(client: AsyncClient, who: Caller, **fields: Any) -> Response:
    body = {"counterparty_name": "Oakfield Building Services", "context": "contract_award", **fields}
    return await client.post(CHECKS, json=body, headers=who.headers)


async def checked(client: AsyncClient, who: Caller, **fields: Any) -> dict[str, Any]:
    response = await check(client, who, **fields)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def resolve(client: AsyncClient, who: Caller, found: dict[str, Any], **body: Any) -> Response:
    return await client.post(f"{CHECKS}/{found['id']}/resolution", json=body, headers=who.headers)


async def settings(client: AsyncClient, who: Caller) -> dict[str, Any]:
    response = await client.get(SETTINGS, headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def set_threshold(client: AsyncClient, caller: Any, value: float) -> None:
    admin = await caller(Role.GOVERNANCE_ADMIN)
    response = await client.patch(
        SETTINGS, json={"conflict_similarity_threshold": value}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["conflict_similarity_threshold"] == value


def reasons(found: dict[str, Any]) -> list[tuple[str, str]]:
    return [(m["interest_id"], m["reason"]) for m in found["matches"]]


class TestACheck:
    async def test_a_check_is_kept_with_every_field(self, client: AsyncClient, caller) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        threshold = (await settings(client, finance))["conflict_similarity_threshold"]
        found = await checked(
            client, finance, counterparty_name="Nobody Matches This Firm", company_number="1234567",
            reference="Tender 2026/14", value_gbp=12500.5,
        )  # fmt: skip
        assert found["counterparty_name"] == "Nobody Matches This Firm"
        assert found["company_number"] == "01234567"
        assert found["context"] == "contract_award" and found["reference"] == "Tender 2026/14"
        assert found["value_gbp"] == "12500.50" and found["as_of"] == clock.today().isoformat()
        assert found["similarity_threshold"] == threshold
        assert found["checked_by"] == str(finance.id) and found["checked_at"] and found["created_at"]
        assert found["matches"] == [] and found["outcome"] == "open"
        for field in ("resolution_note", "resolved_by", "resolved_at", "resolution_person_id",
                      "resolution_interest_id", "related_party_transaction_id"):  # fmt: skip
            assert found[field] is None, field
        again = await client.get(f"{CHECKS}/{found['id']}", headers=finance.headers)
        assert again.status_code == 200 and again.json() == found

    async def test_only_the_name_and_context_are_required(self, client: AsyncClient, caller) -> None:
        found = await checked(client, await caller(Role.CEO), context="recruitment")
        assert found["company_number"] is None and found["reference"] is None and found["value_gbp"] is None

    @pytest.mark.parametrize(
        "change",
        [{"context": "tender"}, {"counterparty_name": "  "}, {"counterparty_name": None},
         {"counterparty_name": "x" * 201}, {"value_gbp": -1}, {"value_gbp": "1.001"},
         {"company_number": "123456789"}, {"as_of": "2026-02-30"}, {"outcome": "no_conflict"},
         {"matches": []}, {"checked_by": str(uuid.uuid4())}, {"counterparty_name": "!!!"}],
    )  # fmt: skip
    async def test_bad_input_is_a_422(self, client: AsyncClient, caller, change: dict[str, Any]) -> None:
        assert_problem(await check(client, await caller(Role.FINANCE_DIRECTOR), **change), 422)

    async def test_a_name_that_is_only_words_set_aside_needs_a_company_number(
        self, client: AsyncClient, caller
    ) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        response = await check(client, finance, counterparty_name="The")
        assert_problem(response, 422)
        assert response.json()["errors"][0]["loc"] == ["body", "counterparty_name"]
        interest = await declared(
            client, await caller(), organisation_name="Forty Two Ltd", company_number="42"
        )
        found = await checked(client, finance, counterparty_name="The", company_number="42")
        assert reasons(found) == [(interest["id"], "company_number")]

    async def test_the_context_is_required(self, client: AsyncClient, caller) -> None:
        body = {"counterparty_name": "Oakfield Building Services"}
        response = await client.post(CHECKS, json=body, headers=(await caller(Role.COO)).headers)
        assert_problem(response, 422)

    async def test_an_unknown_check_is_a_404(self, client: AsyncClient, caller) -> None:
        response = await client.get(f"{CHECKS}/{uuid.uuid4()}", headers=(await caller(Role.AUDITOR)).headers)
        assert_problem(response, 404)


class TestMatching:
    async def test_a_company_number_matches_however_it_was_written(self, client: AsyncClient, caller) -> None:
        director = await caller(full_name="Dana Director")
        interest = await declared(
            client, director, organisation_name="Northgate Facilities Ltd", company_number="01234567"
        )
        found = await checked(
            client, await caller(Role.FINANCE_DIRECTOR), counterparty_name="NG Property Group",
            company_number=" 1234567 ",
        )  # fmt: skip
        assert found["company_number"] == "01234567"
        assert found["matches"] == [
            {"person_id": str(director.id), "person_name": "Dana Director", "interest_id": interest["id"],
             "organisation_name": "Northgate Facilities Ltd", "company_number": "01234567",
             "category": "directorship", "holder": "self", "score": 1, "reason": "company_number"}
        ]  # fmt: skip

    async def test_a_scottish_company_number_is_compared_in_its_normal_form(
        self, client: AsyncClient, caller
    ) -> None:
        interest = await declared(
            client, await caller(), organisation_name="Glen Supplies", company_number="SC 123456"
        )
        found = await checked(
            client, await caller(Role.COO), counterparty_name="Other", company_number="sc123456"
        )
        assert reasons(found) == [(interest["id"], "company_number")]

    async def test_a_different_company_number_alone_does_not_match(self, client: AsyncClient, caller) -> None:
        await declared(
            client, await caller(), organisation_name="Northgate Facilities", company_number="01234567"
        )
        found = await checked(
            client, await caller(Role.COO), counterparty_name="Unrelated Ventures", company_number="01234568"
        )
        assert found["matches"] == []

    @pytest.mark.parametrize(
        ("declared_as", "asked_as"),
        [("The Smith & Sons Co. Ltd", "smith and sons"), ("Café Élan Limited", "CAFE ELAN"),
         ("Oakfield   Building Services PLC", "Oakfield Building Services"),
         ("Brightwater Cleaning LLP", "brightwater cleaning"), ("Greenway Youth CIC", "The Greenway Youth"),
         ("St. John's Tutors Ltd", "St Johns Tutors"), ("Acme-Supplies Ltd", "Acme Supplies"),
         ("Parker Stationery Co", "Parker Stationery Company")],
    )  # fmt: skip
    async def test_names_that_are_the_same_once_normalised_match_exactly(
        self, client: AsyncClient, caller, declared_as: str, asked_as: str
    ) -> None:
        interest = await declared(client, await caller(), organisation_name=declared_as)
        found = await checked(client, await caller(Role.FINANCE_DIRECTOR), counterparty_name=asked_as)
        (match,) = found["matches"]
        assert match["interest_id"] == interest["id"] and match["organisation_name"] == declared_as
        assert match["reason"] == "exact_name" and match["score"] == 1

    async def test_a_one_letter_typo_matches_at_the_trusts_threshold(
        self, client: AsyncClient, caller
    ) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        threshold = (await settings(client, finance))["conflict_similarity_threshold"]
        interest = await declared(client, await caller(), organisation_name="Oakfield Building Services Ltd")
        found = await checked(client, finance, counterparty_name="Oakfeild Building Services")
        (match,) = found["matches"]
        assert match["interest_id"] == interest["id"] and match["reason"] == "similar_name"
        assert threshold <= match["score"] < 1
        assert found["similarity_threshold"] == threshold

    @pytest.mark.parametrize(
        "typo",
        ["Pakfield Building Services", "Oakfield Building Servicez", "Oakfield Buidling Services",
         "Oakfield Bulding Services", "Oakfield Building Servicess", "akfield Building Services",
         "Oakfield-Building Sevrices"],
    )  # fmt: skip
    async def test_a_typo_anywhere_in_the_name_is_found(self, client: AsyncClient, caller, typo: str) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        threshold = (await settings(client, finance))["conflict_similarity_threshold"]
        interest = await declared(client, await caller(), organisation_name="Oakfield Building Services Ltd")
        (match,) = (await checked(client, finance, counterparty_name=typo))["matches"]
        assert match["interest_id"] == interest["id"] and match["reason"] == "similar_name"
        assert threshold <= match["score"] < 1

    @pytest.mark.parametrize(
        ("declared_as", "asked_as"),
        [("Riverside Catering", "Riverside Plumbing"), ("Hilltop Catering Ltd", "Hilltop Cleaning")],
    )
    async def test_an_unrelated_firm_sharing_a_word_does_not_match(
        self, client: AsyncClient, caller, declared_as: str, asked_as: str
    ) -> None:
        await declared(client, await caller(), organisation_name=declared_as)
        found = await checked(client, await caller(Role.FINANCE_DIRECTOR), counterparty_name=asked_as)
        assert found["matches"] == []

    async def test_a_higher_threshold_stops_a_typo_but_not_an_exact_name(
        self, client: AsyncClient, caller
    ) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        exact = await declared(client, await caller(), organisation_name="Oakfield Building Services Ltd")
        await declared(client, await caller(), organisation_name="Brightwater Cleaning")
        before = await checked(client, finance, counterparty_name="Brightwatr Cleaning")
        assert [m["reason"] for m in before["matches"]] == ["similar_name"]
        await set_threshold(client, caller, 0.99)
        typo = await checked(client, finance, counterparty_name="Brightwatr Cleaning")
        assert typo["matches"] == [] and typo["similarity_threshold"] == 0.99
        same = await checked(client, finance, counterparty_name="oakfield building services")
        assert reasons(same) == [(exact["id"], "exact_name")]
        # The evidence keeps what "similar" meant when the first check was made.
        kept = await client.get(f"{CHECKS}/{before['id']}", headers=finance.headers)
        assert kept.status_code == 200 and kept.json() == before

    @pytest.mark.parametrize(("holder", "holder_name", "relationship"), OTHER_HOLDERS)
    async def test_interests_held_by_a_spouse_family_or_associate_are_found(
        self, client: AsyncClient, caller, holder: str, holder_name: str, relationship: str
    ) -> None:
        trustee = await caller(full_name="Terry Trustee")
        interest = await declared(
            client, trustee, category="employment", organisation_name="Oakfield Building Services Ltd",
            holder=holder, holder_name=holder_name, relationship=relationship,
        )  # fmt: skip
        found = await checked(
            client, await caller(Role.CHAIR), counterparty_name="Oakfield Building Services"
        )
        (match,) = found["matches"]
        assert match["person_id"] == str(trustee.id) and match["person_name"] == "Terry Trustee"
        assert match["interest_id"] == interest["id"]
        assert match["holder"] == holder and match["category"] == "employment"

    async def test_an_interest_declared_by_the_clerk_for_someone_is_theirs(
        self, client: AsyncClient, caller
    ) -> None:
        governor, clerk = await caller(), await caller(Role.GOVERNANCE_ADMIN)
        interest = await declared(
            client, clerk, person_id=str(governor.id), organisation_name="Oakfield Building Services"
        )
        found = await checked(client, clerk)
        assert [(m["person_id"], m["interest_id"]) for m in found["matches"]] == [
            (str(governor.id), interest["id"])
        ]

    async def test_everyone_with_an_interest_is_found_strongest_first(
        self, client: AsyncClient, caller
    ) -> None:
        similar = await caller(full_name="Ann Able")
        exact, by_number = await caller(full_name="Zed Zulu"), await caller(full_name="Max Middle")
        typo = await declared(client, similar, organisation_name="Oakfeild Building Services")
        same = await declared(client, exact, organisation_name="The Oakfield Building Services Ltd")
        number = await declared(
            client, by_number, organisation_name="OBS Holdings", company_number="07654321"
        )
        await declared(client, await caller(), organisation_name="Riverside Plumbing")
        found = await checked(
            client, await caller(Role.FINANCE_DIRECTOR), company_number="7654321",
            counterparty_name="Oakfield Building Services Limited",
        )  # fmt: skip
        # Company numbers and exact names first (whatever the person's name), then similar names.
        assert reasons(found) == [
            (number["id"], "company_number"), (same["id"], "exact_name"), (typo["id"], "similar_name")
        ]  # fmt: skip
        assert [m["person_id"] for m in found["matches"]] == [
            str(by_number.id),
            str(exact.id),
            str(similar.id),
        ]
        assert (
            found["matches"][0]["score"] == found["matches"][1]["score"] == 1 > found["matches"][2]["score"]
        )

    async def test_a_name_and_number_on_one_interest_is_one_match(self, client: AsyncClient, caller) -> None:
        interest = await declared(
            client, await caller(), organisation_name="Oakfield Building Services", company_number="01234567"
        )
        found = await checked(client, await caller(Role.CEO), company_number="01234567")
        assert reasons(found) == [(interest["id"], "company_number")]

    async def test_an_interest_without_an_organisation_is_not_matched(
        self, client: AsyncClient, caller
    ) -> None:
        await declared(client, await caller(), category="other", description="Oakfield Building Services")
        found = await checked(client, await caller(Role.CEO))
        assert found["matches"] == []


class TestTheDay:
    async def test_an_ended_interest_does_not_match(self, client: AsyncClient, caller) -> None:
        governor = await caller()
        interest = await declared(
            client, governor, organisation_name="Oakfield Building Services", start_date=days_from_today(-30)
        )
        finance = await caller(Role.FINANCE_DIRECTOR)
        assert reasons(await checked(client, finance)) == [(interest["id"], "exact_name")]
        await ended(client, governor, interest)  # ends today: no longer open today
        assert (await checked(client, finance))["matches"] == []
        yesterday = await checked(client, finance, as_of=days_from_today(-1))
        assert reasons(yesterday) == [(interest["id"], "exact_name")]

    @pytest.mark.parametrize(
        ("as_of", "matches"),
        [("2025-12-31", False), ("2026-01-01", True), ("2026-06-29", True), ("2026-06-30", False),
         ("2026-07-01", False)],
    )  # fmt: skip
    async def test_only_interests_open_on_the_day_asked_about_match(
        self, client: AsyncClient, caller, as_of: str, matches: bool
    ) -> None:
        governor = await caller()
        interest = await declared(
            client, governor, organisation_name="Oakfield Building Services", start_date="2026-01-01"
        )
        await ended(client, governor, interest, end_date="2026-06-30")
        found = await checked(client, await caller(Role.FINANCE_DIRECTOR), as_of=as_of)
        assert found["as_of"] == as_of
        assert reasons(found) == ([(interest["id"], "exact_name")] if matches else [])

    async def test_an_interest_starting_after_the_day_does_not_match(
        self, client: AsyncClient, caller
    ) -> None:
        interest = await declared(
            client,
            await caller(),
            organisation_name="Oakfield Building Services",
            start_date=days_from_today(1),
        )
        finance = await caller(Role.FINANCE_DIRECTOR)
        assert (await checked(client, finance))["matches"] == []
        tomorrow = await checked(client, finance, as_of=days_from_today(1))
        assert reasons(tomorrow) == [(interest["id"], "exact_name")]

    async def test_today_is_the_trusts(self, client: AsyncClient, caller, fixed_clock) -> None:
        fixed_clock(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))  # 00:30 on 1 July in London
        found = await checked(client, await caller(Role.FINANCE_DIRECTOR))
        assert found["as_of"] == "2026-07-01"


class TestWhoMayCheck:
    @pytest.mark.parametrize("role", CHECKERS)
    async def test_the_screeners_check_and_read(self, client: AsyncClient, caller, role: Role) -> None:
        screener = await caller(role)
        found = await checked(client, screener)
        assert found["checked_by"] == str(screener.id)
        for path in (CHECKS, f"{CHECKS}/{found['id']}", f"{CHECKS}.csv"):
            response = await client.get(path, headers=screener.headers)
            assert response.status_code == 200, (path, response.text)

    async def test_an_auditor_reads_but_does_not_check(self, client: AsyncClient, caller) -> None:
        found = await checked(client, await caller(Role.FINANCE_DIRECTOR))
        auditor = await caller(Role.AUDITOR)
        for path in (CHECKS, f"{CHECKS}/{found['id']}", f"{CHECKS}.csv"):
            response = await client.get(path, headers=auditor.headers)
            assert response.status_code == 200, (path, response.text)
        assert_problem(await check(client, auditor), 403)
        assert_problem(await resolve(client, auditor, found, outcome="no_conflict"), 403)
        again = await client.get(f"{CHECKS}/{found['id']}", headers=auditor.headers)
        assert again.json()["outcome"] == "open"

    @pytest.mark.parametrize("role", OUTSIDERS)
    async def test_anyone_else_gets_403_everywhere(
        self, client: AsyncClient, caller, role: Role | None
    ) -> None:
        found = await checked(client, await caller(Role.FINANCE_DIRECTOR))
        outsider = await someone(caller, role)
        assert_problem(await check(client, outsider), 403)
        for path in (CHECKS, f"{CHECKS}/{found['id']}", f"{CHECKS}.csv", MEETINGS):
            assert_problem(await client.get(path, headers=outsider.headers), 403)
        assert_problem(await resolve(client, outsider, found, outcome="no_conflict"), 403)
        meeting = meeting_of([outsider], [("Catering", ["Riverside Catering"])])
        assert_problem(await client.post(MEETINGS, json=meeting, headers=outsider.headers), 403)

    async def test_a_teacher_is_refused_before_the_body_is_read(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        response = await client.post(CHECKS, json={"bogus": True}, headers=teacher.headers)
        assert_problem(response, 403)
        found = await checked(client, await caller(Role.FINANCE_DIRECTOR))
        assert_problem(await resolve(client, teacher, found, outcome="maybe"), 403)

    async def test_anonymous_is_a_401(self, client: AsyncClient, caller) -> None:
        found = await checked(client, await caller(Role.FINANCE_DIRECTOR))
        requests = [
            client.post(CHECKS, json={"counterparty_name": "Oakfield", "context": "other"}),
            client.get(CHECKS),
            client.get(f"{CHECKS}/{found['id']}"),
            client.get(f"{CHECKS}.csv"),
            client.post(f"{CHECKS}/{found['id']}/resolution", json={"outcome": "no_conflict"}),
        ]
        for request in requests:
            response = await request
            assert_problem(response, 401)
            assert response.headers["www-authenticate"].startswith("Bearer")


class TestListing:
    async def test_filters_find_the_checks_asked_for(self, client: AsyncClient, caller, fixed_clock) -> None:
        finance, ceo = await caller(Role.FINANCE_DIRECTOR), await caller(Role.CEO)
        governor = await caller()
        await declared(client, governor, organisation_name="Riverside Plumbing Ltd", start_date="2026-01-01")
        fixed_clock(datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
        march = await checked(client, finance, counterparty_name="Oakfield Building Services")
        fixed_clock(datetime(2026, 3, 15, 10, 0, tzinfo=UTC))
        later = await checked(client, ceo, counterparty_name="Riverside Plumbing", context="recruitment")
        assert (await resolve(client, ceo, march, outcome="no_conflict")).status_code == 200
        mine = {march["id"], later["id"]}

        async def ids(**params: str) -> list[str]:
            response = await client.get(CHECKS, params=params, headers=finance.headers)
            assert response.status_code == 200, response.text
            return [c["id"] for c in response.json()["items"] if c["id"] in mine]

        assert await ids() == [later["id"], march["id"]]  # newest first
        assert await ids(context="recruitment") == [later["id"]]
        assert await ids(outcome="no_conflict") == [march["id"]]
        assert await ids(outcome="open") == [later["id"]]
        assert await ids(checked_by=str(ceo.id)) == [later["id"]]
        assert await ids(person_id=str(governor.id)) == [later["id"]]
        assert await ids(counterparty="RIVERSIDE") == [later["id"]]
        assert await ids(counterparty="side plum") == [later["id"]]
        assert await ids(counterparty="oakfield building") == [march["id"]]
        assert await ids(date_from="2026-03-10") == [later["id"]]
        assert await ids(date_to="2026-03-01") == [march["id"]]
        assert await ids(date_from="2026-03-02", date_to="2026-03-14") == []

    @pytest.mark.parametrize(
        ("term", "wanted"),
        [("100%", "Firm 100% Ltd"), ("a_b", "a_b Supplies"), ("Élan", "Élan Catering"),
         ("élan", "Élan Catering"), ("ÉLAN", "Élan Catering"), ("Straße", "Straße Bau")],
        ids=["percent", "underscore", "accent", "accent-lower-case", "accent-upper-case", "sharp-s"],
    )  # fmt: skip
    async def test_the_counterparty_filter_finds_the_text_typed(
        self, client: AsyncClient, caller, term: str, wanted: str
    ) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        names = (
            "Firm 100% Ltd",
            "Firm 1000 Ltd",
            "a_b Supplies",
            "axb Supplies",
            "Élan Catering",
            "Straße Bau",
        )
        made = {(await checked(client, finance, counterparty_name=name))["id"]: name for name in names}
        response = await client.get(
            CHECKS, params={"counterparty": term, "checked_by": str(finance.id)}, headers=finance.headers
        )
        assert response.status_code == 200, response.text
        assert [made[c["id"]] for c in response.json()["items"]] == [wanted]

    async def test_a_list_is_paged(self, client: AsyncClient, caller) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        made = [
            (await checked(client, finance, counterparty_name=f"Firm number {n}"))["id"] for n in range(3)
        ]
        whole = await client.get(CHECKS, params={"checked_by": str(finance.id)}, headers=finance.headers)
        assert whole.status_code == 200 and whole.json()["total"] == 3
        assert sorted(c["id"] for c in whole.json()["items"]) == sorted(made)
        page = await client.get(
            CHECKS, params={"checked_by": str(finance.id), "limit": 1, "offset": 1}, headers=finance.headers
        )
        assert page.status_code == 200 and page.json()["total"] == 3
        assert [c["id"] for c in page.json()["items"]] == [whole.json()["items"][1]["id"]]

    @pytest.mark.parametrize(
        "params",
        [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"context": "tender"}, {"outcome": "closed"},
         {"person_id": "nobody"}, {"date_from": "2026-13-01"}],
    )  # fmt: skip
    async def test_bad_filters_are_a_422(self, client: AsyncClient, caller, params: dict[str, Any]) -> None:
        response = await client.get(CHECKS, params=params, headers=(await caller(Role.AUDITOR)).headers)
        assert_problem(response, 422)


class TestResolving:
    async def test_a_check_that_found_nobody_needs_no_note(self, client: AsyncClient, caller) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        found = await checked(client, finance, counterparty_name="Nobody Matches This Firm")
        response = await resolve(client, finance, found)
        assert_problem(response, 422)  # the outcome is required
        response = await resolve(client, finance, found, outcome="no_conflict")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["id"] == found["id"] and body["outcome"] == "no_conflict"
        assert body["resolved_by"] == str(finance.id) and body["resolved_at"]
        assert body["resolution_note"] is None and body["related_party_transaction_id"] is None
        again = await client.get(f"{CHECKS}/{found['id']}", headers=finance.headers)
        assert again.status_code == 200 and again.json() == body

    @pytest.mark.parametrize("note", [None, "", "   "])
    async def test_no_conflict_despite_matches_needs_a_note(
        self, client: AsyncClient, caller, note: str | None
    ) -> None:
        await declared(client, await caller(), organisation_name="Oakfield Building Services")
        finance = await caller(Role.FINANCE_DIRECTOR)
        found = await checked(client, finance)
        assert_problem(await resolve(client, finance, found, outcome="no_conflict", note=note), 422)
        stored = await client.get(f"{CHECKS}/{found['id']}", headers=finance.headers)
        assert stored.json()["outcome"] == "open"
        why = "A different Oakfield: the declared one is a charity in Devon"
        response = await resolve(client, finance, found, outcome="no_conflict", note=why)
        assert response.status_code == 200, response.text
        assert response.json()["outcome"] == "no_conflict" and response.json()["resolution_note"] == why

    @pytest.mark.parametrize("note", [None, "", "  "])
    async def test_conflict_managed_needs_a_note(self, client: AsyncClient, caller, note: str | None) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        found = await checked(client, finance, counterparty_name="Nobody Matches This Firm")
        assert_problem(await resolve(client, finance, found, outcome="conflict_managed", note=note), 422)

    async def test_conflict_managed_names_the_match(self, client: AsyncClient, caller) -> None:
        first, second = await caller(full_name="Ann Able"), await caller(full_name="Bob Baker")
        await declared(client, first, organisation_name="Oakfield Building Services")
        theirs = await declared(client, second, organisation_name="Oakfield Building Services")
        coo = await caller(Role.COO)
        found = await checked(client, coo)
        assert [m["person_id"] for m in found["matches"]] == [str(first.id), str(second.id)]
        note = "Bob withdraws from the tender panel"
        response = await resolve(client, coo, found, outcome="conflict_managed", note=note,
                                 person_id=str(second.id))  # fmt: skip
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["outcome"] == "conflict_managed" and body["resolution_note"] == note
        assert body["resolution_person_id"] == str(second.id)
        assert body["resolution_interest_id"] == theirs["id"]

    async def test_without_naming_a_match_the_first_is_recorded(self, client: AsyncClient, caller) -> None:
        governor = await caller()
        interest = await declared(client, governor, organisation_name="Oakfield Building Services")
        finance = await caller(Role.FINANCE_DIRECTOR)
        found = await checked(client, finance)
        response = await resolve(client, finance, found, outcome="conflict_managed", note="Declared at board")
        assert response.status_code == 200, response.text
        assert response.json()["resolution_person_id"] == str(governor.id)
        assert response.json()["resolution_interest_id"] == interest["id"]

    async def test_a_check_is_resolved_once(self, client: AsyncClient, caller) -> None:
        finance, ceo = await caller(Role.FINANCE_DIRECTOR), await caller(Role.CEO)
        found = await checked(client, finance, counterparty_name="Nobody Matches This Firm")
        assert (await resolve(client, finance, found, outcome="no_conflict")).status_code == 200
        second = await resolve(client, ceo, found, outcome="conflict_managed", note="Changed my mind")
        assert_problem(second, 409)
        stored = await client.get(f"{CHECKS}/{found['id']}", headers=ceo.headers)
        assert stored.json()["outcome"] == "no_conflict" and stored.json()["resolved_by"] == str(finance.id)

    @pytest.mark.parametrize("named", ["person_id", "interest_id", "both"])
    async def test_naming_no_match_of_the_check_is_a_422(
        self, client: AsyncClient, caller, named: str
    ) -> None:
        governor, bystander = await caller(), await caller()
        interest = await declared(client, governor, organisation_name="Oakfield Building Services")
        elsewhere = await declared(client, bystander, organisation_name="Riverside Plumbing")
        finance = await caller(Role.FINANCE_DIRECTOR)
        found = await checked(client, finance)
        body: dict[str, Any] = {"outcome": "conflict_managed", "note": "Withdrawn from the panel"}
        if named == "person_id":
            body["person_id"] = str(bystander.id)
        elif named == "interest_id":
            body["interest_id"] = elsewhere["id"]
        else:  # each names a match, but not the same one
            body.update(person_id=str(governor.id), interest_id=elsewhere["id"])
        assert_problem(await resolve(client, finance, found, **body), 422)
        body.update(person_id=str(governor.id), interest_id=interest["id"])
        assert (await resolve(client, finance, found, **body)).status_code == 200

    async def test_a_related_party_transaction_needs_a_match(self, client: AsyncClient, caller) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        found = await checked(client, finance, counterparty_name="Nobody Matches This Firm", value_gbp=100)
        response = await resolve(client, finance, found, outcome="related_party_transaction", note="Supplies")
        assert_problem(response, 422)
        stored = await client.get(f"{CHECKS}/{found['id']}", headers=finance.headers)
        assert stored.json()["outcome"] == "open" and stored.json()["related_party_transaction_id"] is None

    @pytest.mark.parametrize(
        "body",
        [{"outcome": "open"}, {"outcome": "maybe"}, {"outcome": "no_conflict", "resolved_by": None},
         {"outcome": "no_conflict", "person_id": "nobody"}, {"outcome": "no_conflict", "note": "x" * 5001}],
    )  # fmt: skip
    async def test_a_bad_resolution_is_a_422(self, client: AsyncClient, caller, body: dict[str, Any]) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        found = await checked(client, finance, counterparty_name="Nobody Matches This Firm")
        assert_problem(await resolve(client, finance, found, **body), 422)

    @pytest.mark.parametrize("holder", ["self", "spouse_partner"])
    async def test_nobody_resolves_a_check_that_found_their_own_interest(
        self, client: AsyncClient, caller, holder: str
    ) -> None:
        finance, ceo = await caller(Role.FINANCE_DIRECTOR), await caller(Role.CEO)
        extra = {"holder_name": "Sam Finance", "relationship": "wife"} if holder == "spouse_partner" else {}
        await declared(
            client, finance, organisation_name="Oakfield Building Services", holder=holder, **extra
        )
        found = await checked(client, finance)
        assert [m["person_id"] for m in found["matches"]] == [str(finance.id)]
        response = await resolve(client, finance, found, outcome="conflict_managed", note="It is fine")
        assert_problem(response, 403)
        assert "your own interest" in response.json()["detail"]
        stored = await client.get(f"{CHECKS}/{found['id']}", headers=finance.headers)
        assert stored.json()["outcome"] == "open"
        by_ceo = await resolve(client, ceo, found, outcome="conflict_managed", note="FD withdraws")
        assert by_ceo.status_code == 200, by_ceo.text

    async def test_an_unknown_check_is_a_404(self, client: AsyncClient, caller) -> None:
        response = await resolve(client, await caller(Role.CEO), {"id": uuid.uuid4()}, outcome="no_conflict")
        assert_problem(response, 404)


class TestTheCsv:
    async def test_one_row_per_match_and_one_for_a_check_without(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        first, second = await caller(full_name="Ann Able"), await caller(full_name="Bob Baker")
        since = "2026-01-01"
        await declared(
            client, first, organisation_name="Oakfield Building Services Ltd", company_number="123",
            start_date=since,
        )  # fmt: skip
        await declared(
            client, second, organisation_name="Oakfeild Building Services", category="employment",
            holder="spouse_partner", holder_name="Cal Baker", relationship="husband", start_date=since,
        )  # fmt: skip
        finance = await caller(Role.FINANCE_DIRECTOR, full_name="Fay Finance")
        ceo = await caller(Role.CEO, full_name="Cy Chief")
        fixed_clock(datetime(2026, 3, 1, 10, 0, tzinfo=UTC))
        found = await checked(client, finance, counterparty_name="Oakfield Building Services", value_gbp=900,
                              reference="T-1")  # fmt: skip
        fixed_clock(datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
        nobody = await checked(client, finance, counterparty_name="=HYPERLINK(evil)", context="other")
        assert (await resolve(client, ceo, nobody, outcome="no_conflict")).status_code == 200
        response = await client.get(
            f"{CHECKS}.csv",
            params={"checked_by": str(finance.id)},
            headers=(await caller(Role.AUDITOR)).headers,
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "conflict-checks.csv" in response.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(response.text)))
        assert [(r["check_id"], r["match_person"]) for r in rows] == [
            (found["id"], "Ann Able"), (found["id"], "Bob Baker"), (nobody["id"], "")
        ]  # fmt: skip
        ann, bob, empty = rows
        assert ann["checked_by"] == "Fay Finance" and ann["context"] == "contract_award"
        assert ann["reference"] == "T-1" and ann["value_gbp"] == "900.00" and ann["outcome"] == "open"
        assert ann["as_of"] == "2026-03-01" and ann["counterparty_name"] == "Oakfield Building Services"
        assert ann["match_organisation"] == "Oakfield Building Services Ltd"
        assert ann["match_company_number"] == "00000123" and ann["match_reason"] == "exact_name"
        assert float(ann["match_score"]) == 1 and ann["match_category"] == "directorship"
        assert bob["match_holder"] == "spouse_partner" and bob["match_reason"] == "similar_name"
        assert float(bob["match_score"]) == found["matches"][1]["score"]
        assert empty["counterparty_name"] == "'=HYPERLINK(evil)" and empty["outcome"] == "no_conflict"
        assert empty["resolved_by"] == "Cy Chief" and empty["resolved_at"]
        assert all(empty[column] == "" for column in rows[0] if column.startswith("match_"))

    async def test_the_csv_takes_the_lists_filters(self, client: AsyncClient, caller) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        await checked(client, finance, counterparty_name="Riverside Plumbing", context="recruitment")
        wanted = await checked(client, finance, counterparty_name="Oakfield Building Services")
        response = await client.get(
            f"{CHECKS}.csv", params={"checked_by": str(finance.id), "context": "contract_award"},
            headers=finance.headers,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        assert [r["check_id"] for r in csv.DictReader(io.StringIO(response.text))] == [wanted["id"]]


class TestTheAuditTrail:
    async def test_a_check_and_its_resolution_are_audited(self, client: AsyncClient, caller) -> None:
        governor = await caller()
        interest = await declared(client, governor, organisation_name="Oakfield Building Services")
        finance, coo = await caller(Role.FINANCE_DIRECTOR), await caller(Role.COO)
        found = await checked(client, finance, value_gbp="250.00")
        response = await resolve(client, coo, found, outcome="conflict_managed", note="Withdraws from panel")
        assert response.status_code == 200, response.text
        admin = await caller(Role.GOVERNANCE_ADMIN)
        events = await client.get(
            "/api/v1/audit-events", params={"entity_type": "conflict_check", "entity_id": found["id"]},
            headers=admin.headers,
        )  # fmt: skip
        assert events.status_code == 200, events.text
        created, resolved = events.json()["items"]
        assert (created["action"], created["actor_id"]) == ("conflict_check.created", str(finance.id))
        assert created["entity_type"] == "conflict_check" and created["entity_id"] == found["id"]
        assert created["after"]["counterparty_name"] == "Oakfield Building Services"
        assert created["after"]["value_pence"] == 25000 and created["after"]["outcome"] == "open"
        (match,) = created["after"]["matches"]
        assert match["person_id"] == str(governor.id) and match["interest_id"] == interest["id"]
        assert match["reason"] == "exact_name"
        assert (resolved["action"], resolved["actor_id"]) == ("conflict_check.resolved", str(coo.id))
        assert resolved["before"]["outcome"] == "open" and resolved["after"]["outcome"] == "conflict_managed"
        assert resolved["after"]["resolution_note"] == "Withdraws from panel"
        assert resolved["after"]["resolved_by"] == str(coo.id)

    async def test_a_refused_resolution_leaves_no_event(self, client: AsyncClient, caller) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        found = await checked(client, finance, counterparty_name="Nobody Matches This Firm")
        assert_problem(await resolve(client, finance, found, outcome="conflict_managed"), 422)
        events = await client.get(
            "/api/v1/audit-events",
            params={"entity_id": found["id"]},
            headers=(await caller(Role.AUDITOR)).headers,
        )
        assert events.status_code == 200, events.text
        assert [e["action"] for e in events.json()["items"]] == ["conflict_check.created"]


def meeting_of(attendees: list[Caller], items: list[tuple[str, list[str]]], **fields: Any) -> dict[str, Any]:
    return {"meeting_title": "Trust board, December", "meeting_date": days_from_today(14),
            "attendee_ids": [str(a.id) for a in attendees],
            "agenda_items": [{"title": title, "counterparties": names} for title, names in items],
            **fields}  # fmt: skip


async def meeting_checked(client: AsyncClient, who: Caller, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(MEETINGS, json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def withdrawing(item: dict[str, Any]) -> list[str]:
    return [w["person_id"] for w in item["must_withdraw"]]


class TestMeetingChecks:
    async def test_each_item_in_order_says_which_attendees_withdraw(
        self, client: AsyncClient, caller
    ) -> None:
        ann, bob = await caller(full_name="Ann Able"), await caller(full_name="Bob Baker")
        clear, absent = await caller(full_name="Cat Clear"), await caller(full_name="Dan Absent")
        oakfield = await declared(client, ann, organisation_name="Oakfield Building Services Ltd")
        riverside = await declared(
            client, bob, organisation_name="Riverside Catering", category="employment",
            holder="spouse_partner", holder_name="Bea Baker", relationship="wife",
        )  # fmt: skip
        await declared(client, absent, organisation_name="Oakfield Building Services Ltd")
        chair = await caller(Role.CHAIR)
        body = meeting_of(
            [ann, bob, clear],
            [("Grounds maintenance contract", ["Oakfeild Building Services"]),
             ("Catering tender", ["Hilltop Foods", "Riverside Catering Ltd"]), ("Minutes", [])],
        )  # fmt: skip
        found = await meeting_checked(client, chair, body)
        assert found["meeting_title"] == "Trust board, December"
        assert found["meeting_date"] == body["meeting_date"]
        assert found["attendee_ids"] == body["attendee_ids"] and found["checked_by"] == str(chair.id)
        assert found["checked_at"] and found["created_at"] and found["id"]
        grounds, catering, minutes = found["items"]
        assert [i["title"] for i in found["items"]] == ["Grounds maintenance contract", "Catering tender",
                                                        "Minutes"]  # fmt: skip
        assert catering["counterparties"] == ["Hilltop Foods", "Riverside Catering Ltd"]
        (ann_withdraws,) = grounds["must_withdraw"]
        assert ann_withdraws["person_id"] == str(ann.id) and ann_withdraws["person_name"] == "Ann Able"
        assert ann_withdraws["interest_id"] == oakfield["id"] and ann_withdraws["reason"] == "similar_name"
        assert ann_withdraws["counterparty"] == "Oakfeild Building Services"
        assert ann_withdraws["organisation_name"] == "Oakfield Building Services Ltd"
        assert found["similarity_threshold"] <= ann_withdraws["score"] < 1
        assert catering["must_withdraw"] == [
            {"person_id": str(bob.id), "person_name": "Bob Baker", "interest_id": riverside["id"],
             "organisation_name": "Riverside Catering", "counterparty": "Riverside Catering Ltd", "score": 1,
             "reason": "exact_name"}
        ]  # fmt: skip
        assert minutes["must_withdraw"] == [] and minutes["counterparties"] == []

    async def test_one_entry_per_attendee_their_strongest_match(self, client: AsyncClient, caller) -> None:
        ann, bob = await caller(full_name="Ann Able"), await caller(full_name="Bob Baker")
        await declared(client, bob, organisation_name="Oakfeild Building Services")
        exact = await declared(
            client, bob, category="shareholding", organisation_name="Oakfield Building Services"
        )
        await declared(client, ann, organisation_name="Oakfield Building Services")
        body = meeting_of(
            [bob, ann, bob], [("Grounds", ["Oakfield Building Services Ltd", "Oakfeild Building Services"])]
        )
        (item,) = (await meeting_checked(client, await caller(Role.FINANCE_DIRECTOR), body))["items"]
        assert withdrawing(item) == [str(ann.id), str(bob.id)]  # by name
        bobs = item["must_withdraw"][1]
        assert bobs["interest_id"] == exact["id"] and bobs["reason"] == "exact_name" and bobs["score"] == 1

    async def test_only_interests_open_on_the_meeting_day_count(self, client: AsyncClient, caller) -> None:
        ended_before, starts_after, open_then = await caller(), await caller(), await caller()
        gone = await declared(client, ended_before, organisation_name="Riverside Catering")
        await ended(client, ended_before, gone, end_date=days_from_today(10))
        await declared(
            client, starts_after, organisation_name="Riverside Catering", start_date=days_from_today(20)
        )
        await declared(
            client, open_then, organisation_name="Riverside Catering", start_date=days_from_today(5)
        )
        body = meeting_of([ended_before, starts_after, open_then], [("Catering", ["Riverside Catering"])])
        (item,) = (await meeting_checked(client, await caller(Role.COO), body))["items"]
        assert withdrawing(item) == [str(open_then.id)]

    async def test_an_unknown_attendee_is_a_422(self, client: AsyncClient, caller) -> None:
        body = meeting_of([await caller()], [("Catering", ["Riverside Catering"])])
        body["attendee_ids"].append(str(uuid.uuid4()))
        response = await client.post(MEETINGS, json=body, headers=(await caller(Role.CEO)).headers)
        assert_problem(response, 422)
        assert response.json()["errors"][0]["loc"] == ["body", "attendee_ids", 1]

    @pytest.mark.parametrize(
        "change",
        [{"attendee_ids": []}, {"agenda_items": []}, {"meeting_date": "2026-02-30"}, {"meeting_title": " "},
         {"items": []}, {"agenda_items": [{"title": "A", "counterparties": "Riverside"}]},
         {"agenda_items": [{"title": "A", "counterparties": [], "must_withdraw": []}]}],
    )  # fmt: skip
    async def test_a_bad_meeting_is_a_422(self, client: AsyncClient, caller, change: dict[str, Any]) -> None:
        body = {**meeting_of([await caller()], [("Catering", ["Riverside Catering"])]), **change}
        response = await client.post(MEETINGS, json=body, headers=(await caller(Role.CEO)).headers)
        assert_problem(response, 422)

    async def test_a_meeting_check_is_kept_and_read_back(self, client: AsyncClient, caller) -> None:
        governor = await caller()
        await declared(client, governor, organisation_name="Riverside Catering")
        found = await meeting_checked(
            client, await caller(Role.GOVERNANCE_ADMIN),
            meeting_of([governor], [("Catering", ["Riverside Catering"])], meeting_date="2031-05-20"),
        )  # fmt: skip
        auditor = await caller(Role.AUDITOR)
        again = await client.get(f"{MEETINGS}/{found['id']}", headers=auditor.headers)
        assert again.status_code == 200 and again.json() == found
        listed = await client.get(
            MEETINGS, params={"date_from": "2031-05-20", "date_to": "2031-05-20"}, headers=auditor.headers
        )
        assert listed.status_code == 200, listed.text
        assert listed.json() == {"items": [found], "total": 1}
        assert_problem(await client.post(MEETINGS, json=meeting_of([governor], [("A", [])]),
                                         headers=auditor.headers), 403)  # fmt: skip
        assert_problem(await client.get(f"{MEETINGS}/{uuid.uuid4()}", headers=auditor.headers), 404)

    async def test_a_meeting_check_is_audited(self, client: AsyncClient, caller) -> None:
        governor = await caller()
        await declared(client, governor, organisation_name="Riverside Catering")
        chair = await caller(Role.CHAIR)
        found = await meeting_checked(
            client, chair, meeting_of([governor], [("Catering", ["Riverside Catering"])])
        )
        events = await client.get(
            "/api/v1/audit-events",
            params={"entity_type": "meeting_conflict_check", "entity_id": found["id"]},
            headers=(await caller(Role.GOVERNANCE_ADMIN)).headers,
        )
        assert events.status_code == 200, events.text
        (event,) = events.json()["items"]
        assert event["action"] == "meeting_conflict_check.created" and event["actor_id"] == str(chair.id)
        assert event["after"]["meeting_title"] == "Trust board, December"
        assert event["after"]["items"][0]["must_withdraw"][0]["person_id"] == str(governor.id)


class TestMeetingCheckLimits:
    async def test_at_most_500_counterparties_in_one_check(self, client: AsyncClient, caller) -> None:
        """Each counterparty is one search: one request may not run for long."""
        chair, ann = await caller(Role.CHAIR), await caller()
        names = [f"Supplier number {n}" for n in range(50)]
        at_most = meeting_of([ann], [(f"Item {i}", names) for i in range(10)])
        assert (await client.post(MEETINGS, json=at_most, headers=chair.headers)).status_code == 201
        too_many = meeting_of([ann], [(f"Item {i}", names) for i in range(10)] + [("One more", ["Acme"])])
        response = await client.post(MEETINGS, json=too_many, headers=chair.headers)
        assert_problem(response, 422)
        assert "501 counterparties" in response.json()["detail"]
