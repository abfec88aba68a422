"""The register of interests: a declarant keeps their own, the clerk acts for anyone, none is deleted."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.actor import Actor
from app.auth.permissions import Role, permissions_of
from app.core import clock
from app.core.schemas import PageParams
from app.interests import service

CATEGORIES = (
    "directorship",
    "shareholding",
    "employment",
    "partnership",
    "trusteeship",
    "governance_role",
    "contract",
    "land_property",
    "membership",
    "relationship",
    "other",
)
OTHER_HOLDERS = ("spouse_partner", "family_member", "close_associate")
SCREENERS = (Role.FINANCE_DIRECTOR, Role.CEO, Role.COO, Role.CHAIR, Role.GOVERNANCE_ADMIN, Role.AUDITOR)
NOT_SCREENERS = (Role.VICE_CHAIR, Role.HR_DIRECTOR, Role.HEADTEACHER)


async def declare(client: AsyncClient, who: Any, **fields: Any) -> Response:
    body = {"category": "directorship", "organisation_name": "Acme Supplies Ltd", **fields}
    return await client.post("/api/v1/interests", json=body, headers=who.headers)


async def declared(client: AsyncClient, who: Any, **fields: Any) -> dict[str, Any]:
    response = await declare(client, who, **fields)
    assert response.status_code == 201, response.text
    return response.json()


async def audit_events(client: AsyncClient, reader: Any, entity_id: str, action: str) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/audit-events", params={"entity_id": entity_id, "action": action}, headers=reader.headers
    )
    assert response.status_code == 200
    return response.json()["items"]


def actor_of(who: Any, role: Role) -> Actor:
    """The caller as the services see them, holding this one role."""
    held = frozenset({role})
    return Actor(
        who.id, who.person.email, who.person.full_name, None, held, frozenset(), permissions_of(held)
    )


async def gift_waiting(client: AsyncClient, who: Any) -> None:
    """A gift over the limit, waiting for the HR Director or the Director of Finance."""
    body = {"donor_name": "Pat Parent", "description": "A hamper", "value_gbp": "80.00", "accepted": True}
    gift = await client.post("/api/v1/gifts", json=body, headers=who.headers)
    assert gift.status_code == 201 and gift.json()["status"] == "pending_review", gift.text


def ids(response: Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


class TestDeclareInterest:
    @pytest.mark.parametrize("category", CATEGORIES)
    async def test_every_category_of_the_contract_is_accepted(
        self, client: AsyncClient, caller, category: str
    ) -> None:
        declarant = await caller()
        interest = await declared(client, declarant, category=category)
        assert interest["category"] == category
        assert interest["person_id"] == str(declarant.id)

    @pytest.mark.parametrize("category", ["bribery", "Directorship", "", None])
    async def test_an_unknown_category_is_refused(self, client: AsyncClient, caller, category: Any) -> None:
        response = await declare(client, await caller(), category=category)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"

    async def test_the_category_is_required(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        response = await client.post(
            "/api/v1/interests", json={"organisation_name": "Acme"}, headers=declarant.headers
        )
        assert response.status_code == 422

    async def test_the_holder_defaults_to_self_with_no_holder_name_or_relationship(
        self, client: AsyncClient, caller
    ) -> None:
        interest = await declared(client, await caller())
        assert interest["holder"] == "self"
        assert interest["holder_name"] is None and interest["relationship"] is None

    @pytest.mark.parametrize("holder", OTHER_HOLDERS)
    async def test_an_interest_held_by_someone_else_keeps_their_name_and_relationship(
        self, client: AsyncClient, caller, holder: str
    ) -> None:
        interest = await declared(
            client, await caller(), holder=holder, holder_name="Jane Smith", relationship="wife"
        )
        assert interest["holder"] == holder
        assert interest["holder_name"] == "Jane Smith" and interest["relationship"] == "wife"

    @pytest.mark.parametrize("holder", ["neighbour", "SELF", ""])
    async def test_an_unknown_holder_is_refused(self, client: AsyncClient, caller, holder: str) -> None:
        response = await declare(client, await caller(), holder=holder, holder_name="J", relationship="r")
        assert response.status_code == 422

    @pytest.mark.parametrize("holder", OTHER_HOLDERS)
    @pytest.mark.parametrize(
        "details",
        [
            {},
            {"holder_name": "Jane Smith"},
            {"relationship": "wife"},
            {"holder_name": "  ", "relationship": "x"},
        ],
    )
    async def test_someone_elses_interest_needs_holder_name_and_relationship(
        self, client: AsyncClient, caller, holder: str, details: dict[str, str]
    ) -> None:
        response = await declare(client, await caller(), holder=holder, **details)
        assert response.status_code == 422

    @pytest.mark.parametrize(
        "details",
        [{"holder_name": "Me"}, {"relationship": "myself"}, {"holder_name": "Me", "relationship": "me"}],
    )
    async def test_holder_name_and_relationship_are_refused_for_self(
        self, client: AsyncClient, caller, details: dict[str, str]
    ) -> None:
        response = await declare(client, await caller(), holder="self", **details)
        assert response.status_code == 422

    @pytest.mark.parametrize(
        ("given", "stored"),
        [
            ("1234567", "01234567"),
            ("SC 123456", "SC123456"),
            ("sc123456", "SC123456"),
            (" 12 34 56 ", "00123456"),
            ("01234567", "01234567"),
            ("ni 01 23 45", "NI012345"),
        ],
    )
    async def test_the_company_number_is_normalised(
        self, client: AsyncClient, caller, given: str, stored: str
    ) -> None:
        interest = await declared(client, await caller(), company_number=given)
        assert interest["company_number"] == stored

    @pytest.mark.parametrize("given", ["123456789", "SC1234567", "12-34567", "SC/12345", "", "x" * 21])
    async def test_a_company_number_that_is_not_8_letters_and_digits_is_refused(
        self, client: AsyncClient, caller, given: str
    ) -> None:
        response = await declare(client, await caller(), company_number=given)
        assert response.status_code == 422

    async def test_private_defaults_to_false_and_true_is_kept(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        public = await declared(client, declarant, description="Director of my family firm")
        private = await declared(client, declarant, description="Shares in a clinic", private=True)
        assert public["private"] is False
        assert private["private"] is True
        # Private keeps it out of publication, not out of the register itself.
        assert private["description"] == "Shares in a clinic"

    @pytest.mark.parametrize(
        ("category", "financial"),
        [
            ("directorship", True),
            ("shareholding", True),
            ("employment", True),
            ("partnership", True),
            ("contract", True),
            ("land_property", True),
            ("trusteeship", False),
            ("governance_role", False),
            ("membership", False),
            ("relationship", False),
            ("other", False),
        ],
    )
    async def test_financial_defaults_by_category(
        self, client: AsyncClient, caller, category: str, financial: bool
    ) -> None:
        interest = await declared(client, await caller(), category=category)
        assert interest["financial"] is financial

    async def test_direct_defaults_to_true_for_self_and_false_for_anyone_else(
        self, client: AsyncClient, caller
    ) -> None:
        declarant = await caller()
        own = await declared(client, declarant)
        spouses = await declared(
            client, declarant, holder="spouse_partner", holder_name="Sam Jones", relationship="husband"
        )
        assert own["direct"] is True and spouses["direct"] is False

    async def test_financial_and_direct_given_by_the_declarant_are_kept(
        self, client: AsyncClient, caller
    ) -> None:
        interest = await declared(client, await caller(), category="membership", financial=True, direct=False)
        assert interest["financial"] is True and interest["direct"] is False

    async def test_start_date_defaults_to_today_and_a_given_one_is_kept(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        declarant = await caller()
        pinned = datetime.now(UTC) + timedelta(days=40)
        fixed_clock(pinned)
        assert (await declared(client, declarant))["start_date"] == pinned.date().isoformat()
        given = await declared(client, declarant, start_date="2019-09-01")
        assert given["start_date"] == "2019-09-01" and given["end_date"] is None

    async def test_the_record_carries_every_field_of_the_contract(self, client: AsyncClient, caller) -> None:
        interest = await declared(
            client,
            await caller(),
            category="trusteeship",
            organisation_name="Riverside Food Bank",
            charity_number="1012345",
            description="Trustee since 2019",
        )
        expected = {
            "id", "person_id", "category", "holder", "holder_name", "relationship", "financial", "direct",
            "organisation_name", "company_number", "charity_number", "description", "private",
            "start_date", "end_date", "created_at",
        }  # fmt: skip
        assert expected <= interest.keys()
        assert interest["charity_number"] == "1012345" and uuid.UUID(interest["id"])

    async def test_an_interest_needs_an_organisation_or_a_description(
        self, client: AsyncClient, caller
    ) -> None:
        declarant = await caller()
        response = await client.post(
            "/api/v1/interests", json={"category": "other"}, headers=declarant.headers
        )
        assert response.status_code == 422
        assert (
            await declare(client, declarant, organisation_name=None, description="A bequest")
        ).status_code == 201

    @pytest.mark.parametrize(
        "field",
        [
            {"status": "open"},
            {"created_at": "2026-01-01T00:00:00+00:00"},
            {"submitted_at": "2026-01-01T00:00:00+00:00"},
            {"id": "00000000-0000-0000-0000-000000000001"},
            {"end_date": "2030-01-01"},
            {"organisation_key": "acme supplies"},
            {"colour": "blue"},
        ],
    )
    async def test_read_only_and_unknown_fields_are_refused(
        self, client: AsyncClient, caller, field: dict[str, str]
    ) -> None:
        response = await declare(client, await caller(), **field)
        assert response.status_code == 422

    @pytest.mark.parametrize(
        "field", [{"organisation_name": "x" * 201}, {"description": "x" * 5001}, {"holder_name": "x" * 201}]
    )
    async def test_over_long_strings_are_refused(
        self, client: AsyncClient, caller, field: dict[str, str]
    ) -> None:
        body = {"holder": "family_member", "holder_name": "Kim", "relationship": "son", **field}
        assert (await declare(client, await caller(), **body)).status_code == 422

    async def test_without_a_token_it_is_a_401(self, client: AsyncClient) -> None:
        response = await client.post("/api/v1/interests", json={"category": "other", "description": "x"})
        assert response.status_code == 401


class TestDeclareForSomeone:
    async def test_a_declarant_sending_someone_elses_person_id_is_refused(
        self, client: AsyncClient, caller
    ) -> None:
        declarant, other = await caller(), await caller()
        response = await declare(client, declarant, person_id=str(other.id))
        assert response.status_code == 422
        listed = await client.get("/api/v1/interests", headers=other.headers)
        assert listed.json()["total"] == 0

    @pytest.mark.parametrize("role", [Role.FINANCE_DIRECTOR, Role.AUDITOR, Role.CEO])
    async def test_only_the_clerk_may_declare_for_someone_else(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        actor, other = await caller(role), await caller()
        assert (await declare(client, actor, person_id=str(other.id))).status_code == 422

    async def test_a_declarant_sending_their_own_person_id_is_accepted(
        self, client: AsyncClient, caller
    ) -> None:
        declarant = await caller()
        interest = await declared(client, declarant, person_id=str(declarant.id))
        assert interest["person_id"] == str(declarant.id)

    async def test_the_clerk_declares_for_someone_and_the_audit_records_who_acted_for_whom(
        self, client: AsyncClient, caller
    ) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller()
        interest = await declared(client, admin, person_id=str(trustee.id))
        assert interest["person_id"] == str(trustee.id)
        # It is the trustee's interest: they see it as their own and may end it.
        assert interest["id"] in ids(await client.get("/api/v1/interests", headers=trustee.headers))
        [event] = await audit_events(client, admin, interest["id"], "interest.created")
        assert event["actor_id"] == str(admin.id)
        assert event["after"]["acting_for"] == str(trustee.id)
        assert event["after"]["person_id"] == str(trustee.id)

    async def test_the_audit_of_ones_own_declaration_acts_for_nobody(
        self, client: AsyncClient, caller
    ) -> None:
        admin, declarant = await caller(Role.GOVERNANCE_ADMIN), await caller()
        interest = await declared(client, declarant, company_number="1234567")
        [event] = await audit_events(client, admin, interest["id"], "interest.created")
        assert event["actor_id"] == str(declarant.id) and event["before"] is None
        assert event["after"]["acting_for"] is None
        assert event["after"]["company_number"] == "01234567"
        assert event["after"]["organisation_name"] == "Acme Supplies Ltd"

    async def test_the_clerk_declaring_for_nobody_that_exists_is_refused(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        assert (await declare(client, admin, person_id=str(uuid.uuid4()))).status_code == 422


class TestReadInterest:
    async def test_a_declarant_reads_their_own(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        interest = await declared(client, declarant)
        response = await client.get(f"/api/v1/interests/{interest['id']}", headers=declarant.headers)
        assert response.status_code == 200 and response.json() == interest

    async def test_another_declarant_probing_an_interest_gets_404_every_time(
        self, client: AsyncClient, caller
    ) -> None:
        owner, prober = await caller(), await caller()
        interest = await declared(client, owner)
        path = f"/api/v1/interests/{interest['id']}"
        missing = f"/api/v1/interests/{uuid.uuid4()}"
        for probe in (path, missing):
            assert (await client.get(probe, headers=prober.headers)).status_code == 404
            assert (await client.post(f"{probe}/end", json={}, headers=prober.headers)).status_code == 404
            ended = await client.post(f"{probe}/end", json={"end_date": "2030-01-01"}, headers=prober.headers)
            assert ended.status_code == 404
        # The 404 for a real interest reads exactly as the one for a made-up id.
        real = await client.get(path, headers=prober.headers)
        made_up = await client.get(missing, headers=prober.headers)
        assert real.json() == made_up.json()
        still = await client.get(path, headers=owner.headers)
        assert still.json()["end_date"] is None

    @pytest.mark.parametrize("role", SCREENERS)
    async def test_the_clerk_auditors_and_screeners_read_anyones(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        reader, declarant = await caller(role), await caller()
        interest = await declared(client, declarant)
        response = await client.get(f"/api/v1/interests/{interest['id']}", headers=reader.headers)
        assert response.status_code == 200 and response.json()["id"] == interest["id"]

    @pytest.mark.parametrize("role", NOT_SCREENERS)
    async def test_other_roles_get_404_for_someone_elses(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        reader, declarant = await caller(role), await caller()
        interest = await declared(client, declarant)
        response = await client.get(f"/api/v1/interests/{interest['id']}", headers=reader.headers)
        assert response.status_code == 404

    async def test_a_decider_reads_the_open_interests_of_whoever_waits_for_their_decision(
        self, client: AsyncClient, caller
    ) -> None:
        # "Who sees what": to weigh a request, its decider sees the requester's open interests, for
        # as long as it waits for them; never an ended one, never anyone else's.
        hr, teacher, bystander = await caller(Role.HR_DIRECTOR), await caller(), await caller()
        current = await declared(client, teacher, organisation_name="Riverside Events Ltd")
        old = await declared(client, teacher, organisation_name="Old Firm Ltd", start_date="2020-01-01")
        ended = await client.post(
            f"/api/v1/interests/{old['id']}/end", json={"end_date": "2021-01-01"}, headers=teacher.headers
        )
        assert ended.status_code == 200, ended.text
        theirs = await declared(client, bystander)
        mine = {"person_id": teacher.person.id}
        assert ids(await client.get("/api/v1/interests", params=mine, headers=hr.headers)) == set()

        gift = await client.post(
            "/api/v1/gifts",
            json={
                "donor_name": "Pat Parent",
                "description": "A hamper",
                "value_gbp": "80.00",
                "accepted": True,
            },
            headers=teacher.headers,
        )
        assert gift.status_code == 201 and gift.json()["status"] == "pending_review", gift.text
        listed = ids(await client.get("/api/v1/interests", headers=hr.headers))
        assert listed == {current["id"]}
        path = f"/api/v1/interests/{current['id']}"
        assert (await client.get(path, headers=hr.headers)).status_code == 200
        assert (await client.get(f"/api/v1/interests/{theirs['id']}", headers=hr.headers)).status_code == 404
        assert (await client.post(f"{path}/end", json={}, headers=hr.headers)).status_code == 403

        decided = await client.post(
            f"/api/v1/gifts/{gift.json()['id']}/decision", json={"decision": "approve"}, headers=hr.headers
        )
        assert decided.status_code == 200, decided.text
        assert (await client.get(path, headers=hr.headers)).status_code == 404

    async def test_an_id_that_is_not_a_uuid_is_a_422(self, client: AsyncClient, caller) -> None:
        response = await client.get("/api/v1/interests/not-a-uuid", headers=(await caller()).headers)
        assert response.status_code == 422


class TestListInterests:
    async def test_a_declarant_lists_only_their_own(self, client: AsyncClient, caller) -> None:
        mine, theirs = await caller(), await caller()
        own = await declared(client, mine)
        other = await declared(client, theirs)
        listed = await client.get("/api/v1/interests", headers=mine.headers)
        assert ids(listed) == {own["id"]} and listed.json()["total"] == 1
        asked_for_theirs = await client.get(
            "/api/v1/interests", params={"person_id": str(theirs.id)}, headers=mine.headers
        )
        assert ids(asked_for_theirs) == set()
        assert other["id"] not in listed.text

    @pytest.mark.parametrize("role", SCREENERS)
    async def test_the_clerk_auditors_and_screeners_list_everyones(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        reader, one, two = await caller(role), await caller(), await caller()
        first, second = await declared(client, one), await declared(client, two)
        assert {first["id"], second["id"]} <= ids(
            await client.get("/api/v1/interests", headers=reader.headers)
        )

    @pytest.mark.parametrize("role", NOT_SCREENERS)
    async def test_other_roles_list_only_their_own(self, client: AsyncClient, caller, role: Role) -> None:
        reader, declarant = await caller(role), await caller()
        await declared(client, declarant)
        own = await declared(client, reader)
        assert ids(await client.get("/api/v1/interests", headers=reader.headers)) == {own["id"]}

    async def test_filters_by_person_category_holder_and_whether_ended(
        self, client: AsyncClient, caller
    ) -> None:
        admin, ann, bob = await caller(Role.GOVERNANCE_ADMIN), await caller(), await caller()
        ann_director = await declared(client, ann, category="directorship")
        ann_spouse = await declared(
            client,
            ann,
            category="shareholding",
            holder="spouse_partner",
            holder_name="Al",
            relationship="husband",
        )
        bob_member = await declared(client, bob, category="membership", start_date="2020-01-01")
        ended = await client.post(
            f"/api/v1/interests/{bob_member['id']}/end", json={"end_date": "2021-01-01"}, headers=bob.headers
        )
        assert ended.status_code == 200

        async def listed(**params: str) -> set[str]:
            return ids(await client.get("/api/v1/interests", params=params, headers=admin.headers))

        assert await listed(person_id=str(ann.id)) == {ann_director["id"], ann_spouse["id"]}
        assert await listed(person_id=str(bob.id)) == {bob_member["id"]}
        assert await listed(person_id=str(ann.id), category="shareholding") == {ann_spouse["id"]}
        assert await listed(person_id=str(ann.id), holder="self") == {ann_director["id"]}
        assert await listed(person_id=str(bob.id), ended="true") == {bob_member["id"]}
        assert await listed(person_id=str(bob.id), ended="false") == set()
        assert bob_member["id"] not in await listed(ended="false")
        assert {ann_director["id"], ann_spouse["id"]} <= await listed(ended="false")

    async def test_open_on_lists_the_interests_open_on_that_day(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        old = await declared(client, declarant, start_date="2018-01-01")
        await client.post(
            f"/api/v1/interests/{old['id']}/end", json={"end_date": "2020-06-30"}, headers=declarant.headers
        )
        current = await declared(client, declarant, start_date="2020-01-01")
        later = await declared(client, declarant, start_date="2024-01-01")

        async def open_on(day: str) -> set[str]:
            return ids(
                await client.get("/api/v1/interests", params={"open_on": day}, headers=declarant.headers)
            )

        assert await open_on("2017-12-31") == set()
        assert await open_on("2019-01-01") == {old["id"]}
        assert await open_on("2020-03-01") == {old["id"], current["id"]}
        assert await open_on("2022-01-01") == {current["id"]}
        assert await open_on("2025-01-01") == {current["id"], later["id"]}

    async def test_pages_carry_the_total(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        for _ in range(3):
            await declared(client, declarant)
        page = await client.get("/api/v1/interests", params={"limit": 2}, headers=declarant.headers)
        assert page.json()["total"] == 3 and len(page.json()["items"]) == 2
        rest = await client.get(
            "/api/v1/interests", params={"limit": 2, "offset": 2}, headers=declarant.headers
        )
        assert len(rest.json()["items"]) == 1

    @pytest.mark.parametrize(
        "params",
        [{"category": "bribery"}, {"holder": "neighbour"}, {"open_on": "yesterday"}, {"ended": "perhaps"},
         {"person_id": "nobody"}, {"limit": "0"}, {"limit": "201"}, {"offset": "-1"}],
    )  # fmt: skip
    async def test_a_bad_filter_is_a_422(self, client: AsyncClient, caller, params: dict[str, str]) -> None:
        response = await client.get("/api/v1/interests", params=params, headers=(await caller()).headers)
        assert response.status_code == 422

    async def test_the_open_interests_of_many_people_are_each_ones_list(
        self, client: AsyncClient, session: AsyncSession, caller
    ) -> None:
        # The Decisions page reads every requester's open interests in one query: for each person
        # asked for, what the list of their interests open today gives the same caller.
        hr, clerk = await caller(Role.HR_DIRECTOR), await caller(Role.GOVERNANCE_ADMIN)
        teacher, quiet, bystander = await caller(), await caller(), await caller()
        older = await declared(client, teacher, organisation_name="Old Firm Ltd", start_date="2020-01-01")
        newer = await declared(client, teacher, organisation_name="New Firm Ltd", start_date="2024-01-01")
        gone = await declared(client, teacher, organisation_name="Gone Ltd", start_date="2019-01-01")
        ended = await client.post(
            f"/api/v1/interests/{gone['id']}/end", json={"end_date": "2021-01-01"}, headers=teacher.headers
        )
        assert ended.status_code == 200, ended.text
        unseen = await declared(client, bystander)
        await gift_waiting(client, teacher)
        await gift_waiting(client, quiet)
        people = {teacher.id, quiet.id, bystander.id, uuid.uuid4()}
        today, page = clock.today(), PageParams(limit=200)
        as_hr, as_clerk = actor_of(hr, Role.HR_DIRECTOR), actor_of(clerk, Role.GOVERNANCE_ADMIN)

        for actor in (as_hr, as_clerk):
            held = await service.open_interests_of(session, actor, people, today)
            each = {}
            for person_id in people:
                filters = service.InterestFilter(person_id=person_id, open_on=today)
                each[person_id], _ = await service.list_interests(session, actor, filters, page)
            assert held == each
            assert [i.id for i in held[teacher.id]] == [uuid.UUID(newer["id"]), uuid.UUID(older["id"])]
            assert held[quiet.id] == []
        # The decider sees only whoever waits for them; the clerk sees everyone's.
        assert (await service.open_interests_of(session, as_hr, people, today))[bystander.id] == []
        everyone = await service.open_interests_of(session, as_clerk, people, today)
        assert [i.id for i in everyone[bystander.id]] == [uuid.UUID(unseen["id"])]
        assert await service.open_interests_of(session, as_hr, set(), today) == {}


class TestEndInterest:
    async def test_the_declarant_ends_their_interest_which_stays_on_record(
        self, client: AsyncClient, caller
    ) -> None:
        declarant = await caller()
        interest = await declared(client, declarant, start_date="2020-01-01")
        response = await client.post(
            f"/api/v1/interests/{interest['id']}/end",
            json={"end_date": "2025-07-31"},
            headers=declarant.headers,
        )
        assert response.status_code == 200
        assert response.json()["end_date"] == "2025-07-31"
        assert response.json()["start_date"] == "2020-01-01"
        kept = await client.get(f"/api/v1/interests/{interest['id']}", headers=declarant.headers)
        assert kept.status_code == 200 and kept.json()["end_date"] == "2025-07-31"

    @pytest.mark.parametrize("body", [None, {}, {"end_date": None}])
    async def test_without_an_end_date_it_ends_today(
        self, client: AsyncClient, caller, fixed_clock, body: dict[str, Any] | None
    ) -> None:
        declarant = await caller()
        interest = await declared(client, declarant, start_date="2020-01-01")
        pinned = datetime.now(UTC) + timedelta(days=3)
        fixed_clock(pinned)
        path = f"/api/v1/interests/{interest['id']}/end"
        response = (
            await client.post(path, headers=declarant.headers)
            if body is None
            else await client.post(path, json=body, headers=declarant.headers)
        )
        assert response.status_code == 200
        assert response.json()["end_date"] == pinned.date().isoformat()

    async def test_ending_before_the_start_is_refused(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        interest = await declared(client, declarant, start_date="2024-05-01")
        path = f"/api/v1/interests/{interest['id']}/end"
        response = await client.post(path, json={"end_date": "2024-04-30"}, headers=declarant.headers)
        assert response.status_code == 422
        assert (await client.get(f"/api/v1/interests/{interest['id']}", headers=declarant.headers)).json()[
            "end_date"
        ] is None
        on_the_start = await client.post(path, json={"end_date": "2024-05-01"}, headers=declarant.headers)
        assert on_the_start.status_code == 200

    async def test_ending_twice_is_a_409(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        interest = await declared(client, declarant, start_date="2020-01-01")
        path = f"/api/v1/interests/{interest['id']}/end"
        assert (
            await client.post(path, json={"end_date": "2024-01-01"}, headers=declarant.headers)
        ).status_code == 200
        again = await client.post(path, json={"end_date": "2025-01-01"}, headers=declarant.headers)
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        kept = await client.get(f"/api/v1/interests/{interest['id']}", headers=declarant.headers)
        assert kept.json()["end_date"] == "2024-01-01"

    @pytest.mark.parametrize("role", [Role.FINANCE_DIRECTOR, Role.CEO, Role.AUDITOR])
    async def test_a_screener_who_may_see_it_may_not_end_it(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        screener, declarant = await caller(role), await caller()
        interest = await declared(client, declarant)
        response = await client.post(
            f"/api/v1/interests/{interest['id']}/end", json={}, headers=screener.headers
        )
        assert response.status_code == 403
        assert response.json()["detail"]
        kept = await client.get(f"/api/v1/interests/{interest['id']}", headers=declarant.headers)
        assert kept.json()["end_date"] is None

    async def test_a_stranger_gets_404(self, client: AsyncClient, caller) -> None:
        stranger, declarant = await caller(Role.HR_DIRECTOR), await caller()
        interest = await declared(client, declarant)
        response = await client.post(
            f"/api/v1/interests/{interest['id']}/end", json={}, headers=stranger.headers
        )
        assert response.status_code == 404

    async def test_the_clerk_ends_someones_interest_and_the_audit_records_who_for_whom(
        self, client: AsyncClient, caller
    ) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller()
        interest = await declared(client, trustee, start_date="2020-01-01")
        response = await client.post(
            f"/api/v1/interests/{interest['id']}/end", json={"end_date": "2025-03-31"}, headers=admin.headers
        )
        assert response.status_code == 200 and response.json()["person_id"] == str(trustee.id)
        [event] = await audit_events(client, admin, interest["id"], "interest.ended")
        assert event["actor_id"] == str(admin.id)
        assert event["after"]["acting_for"] == str(trustee.id)

    async def test_the_audit_keeps_the_interest_before_and_after_ending(
        self, client: AsyncClient, caller
    ) -> None:
        admin, declarant = await caller(Role.GOVERNANCE_ADMIN), await caller()
        interest = await declared(client, declarant, start_date="2020-01-01", company_number="SC 123456")
        await client.post(
            f"/api/v1/interests/{interest['id']}/end",
            json={"end_date": "2025-03-31"},
            headers=declarant.headers,
        )
        [event] = await audit_events(client, admin, interest["id"], "interest.ended")
        assert event["actor_id"] == str(declarant.id) and event["entity_type"] == "interest"
        assert event["before"]["end_date"] is None and event["after"]["end_date"] == "2025-03-31"
        assert event["before"]["company_number"] == event["after"]["company_number"] == "SC123456"
        assert event["after"]["acting_for"] is None

    @pytest.mark.parametrize(
        "body", [{"status": "ended"}, {"end_date": "soon"}, {"start_date": "2020-01-01"}]
    )
    async def test_read_only_unknown_or_bad_fields_in_the_end_body_are_refused(
        self, client: AsyncClient, caller, body: dict[str, str]
    ) -> None:
        declarant = await caller()
        interest = await declared(client, declarant)
        response = await client.post(
            f"/api/v1/interests/{interest['id']}/end", json=body, headers=declarant.headers
        )
        assert response.status_code == 422

    async def test_an_interest_cannot_be_deleted(self, client: AsyncClient, caller) -> None:
        admin, declarant = await caller(Role.GOVERNANCE_ADMIN), await caller()
        interest = await declared(client, declarant)
        path = f"/api/v1/interests/{interest['id']}"
        assert (await client.delete(path, headers=admin.headers)).status_code == 405
        assert (await client.get(path, headers=declarant.headers)).status_code == 200


class TestNamesThatNormaliseLonger:
    async def test_an_organisation_name_full_of_ampersands_is_accepted(
        self, client: AsyncClient, caller
    ) -> None:
        declarant = await caller()
        body = {"category": "other", "organisation_name": "A & " * 50}
        response = await client.post("/api/v1/interests", json=body, headers=declarant.headers)
        assert response.status_code == 201, response.text
