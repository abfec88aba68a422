"""Related party transactions (the contract's "Related party transactions"): resolving a conflict check
as one opens the record the Director of Finance and Governance keeps for the DfE and the accounts; the
DfE's prior approval is needed over the trust's threshold or when novel or contentious."""

import asyncio
import csv
import io
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response

from app.auth.permissions import Role
from app.core.db import Database
from tests.factories import Caller, assert_problem, bearer, make_person
from tests.live import live_client

CHECKS = "/api/v1/conflict-checks"
RPTS = "/api/v1/related-party-transactions"
SETTINGS = "/api/v1/settings"
READERS = (Role.FINANCE_DIRECTOR, Role.CEO, Role.COO, Role.CHAIR, Role.AUDITOR, Role.GOVERNANCE_ADMIN)
READERS_WHO_DO_NOT_KEEP = tuple(r for r in READERS if r is not Role.FINANCE_DIRECTOR)
OUTSIDERS = (None, Role.VICE_CHAIR, Role.HR_DIRECTOR, Role.HEADTEACHER)
FIELDS = {
    "id", "conflict_check_id", "counterparty_name", "company_number", "person_id", "interest_id",
    "description", "value_gbp", "novel_or_contentious", "dfe_approval_required", "declared_to_dfe_on",
    "dfe_reference", "dfe_decision", "at_cost_assurance_received", "created_at", "updated_at",
}  # fmt: skip


async def someone(caller: Any, role: Role | None) -> Caller:
    """A person with `role`, or a plain declarant (a teacher) for None."""
    return await caller(role) if role else await caller()


async def declared(client: AsyncClient, who: Caller, **fields: Any) -> dict[str, Any]:
    body = {"category": "directorship", "organisation_name": "Oakfield Building Services Ltd", **fields}
    response = await client.post("/api/v1/interests", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def checked(client: AsyncClient, who: Caller, **fields: Any) -> dict[str, Any]:
    body = {"counterparty_name": "Oakfield Building Services", "context": "contract_award", **fields}
    response = await client.post(CHECKS, json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def resolved(client: AsyncClient, who: Caller, check: dict[str, Any], **body: Any) -> dict[str, Any]:
    body = {"outcome": "related_party_transaction", "note": "Grounds maintenance, 2027 to 2029", **body}
    response = await client.post(f"{CHECKS}/{check['id']}/resolution", json=body, headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def read(client: AsyncClient, who: Caller, rpt_id: str) -> dict[str, Any]:
    response = await client.get(f"{RPTS}/{rpt_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def opened(
    client: AsyncClient, caller: Any, value: Any = "25000.00", related: Caller | None = None, **check: Any
) -> dict[str, Any]:
    """A related party transaction of `related` (a new governor when none), opened by a finance director."""
    related = related or await caller()
    interest = await declared(client, related)
    finance = await caller(Role.FINANCE_DIRECTOR)
    if value is not None:
        check["value_gbp"] = value
    found = await resolved(
        client, finance, await checked(client, finance, **check), interest_id=interest["id"]
    )
    assert found["related_party_transaction_id"], found
    return await read(client, finance, found["related_party_transaction_id"])


async def patch(client: AsyncClient, who: Caller, rpt: dict[str, Any], **body: Any) -> Response:
    return await client.patch(f"{RPTS}/{rpt['id']}", json=body, headers=who.headers)


async def patched(client: AsyncClient, who: Caller, rpt: dict[str, Any], **body: Any) -> dict[str, Any]:
    response = await patch(client, who, rpt, **body)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def rpt_threshold(client: AsyncClient, who: Caller) -> Decimal:
    response = await client.get(SETTINGS, headers=who.headers)
    assert response.status_code == 200, response.text
    return Decimal(response.json()["rpt_approval_threshold_gbp"])


class TestOpening:
    async def test_resolving_a_check_as_one_opens_it_with_the_checks_details(
        self, client: AsyncClient, caller
    ) -> None:
        governor = await caller(full_name="Gail Governor")
        interest = await declared(client, governor, company_number="07654321")
        finance = await caller(Role.FINANCE_DIRECTOR)
        check = await checked(client, finance, company_number="7654321", value_gbp="25000", reference="T-9")
        found = await resolved(client, finance, check, note="Grounds maintenance, 2027 to 2029")
        assert found["outcome"] == "related_party_transaction" and found["resolved_by"] == str(finance.id)
        rpt = await read(client, finance, found["related_party_transaction_id"])
        assert set(rpt) == FIELDS
        assert rpt["id"] == found["related_party_transaction_id"] and rpt["conflict_check_id"] == check["id"]
        assert (
            rpt["counterparty_name"] == "Oakfield Building Services" and rpt["company_number"] == "07654321"
        )
        assert rpt["person_id"] == str(governor.id) and rpt["interest_id"] == interest["id"]
        assert rpt["description"] == "Grounds maintenance, 2027 to 2029" and rpt["value_gbp"] == "25000.00"
        assert rpt["novel_or_contentious"] is False and rpt["at_cost_assurance_received"] is False
        assert rpt["dfe_approval_required"] is False and rpt["dfe_decision"] == "not_required"
        assert rpt["declared_to_dfe_on"] is None and rpt["dfe_reference"] is None
        assert rpt["created_at"] and rpt["updated_at"]
        again = await client.get(f"{CHECKS}/{check['id']}", headers=finance.headers)
        assert again.status_code == 200 and again.json() == found

    async def test_it_is_for_the_match_the_resolution_names(self, client: AsyncClient, caller) -> None:
        ann, bob = await caller(full_name="Ann Able"), await caller(full_name="Bob Baker")
        await declared(client, ann)
        bobs = await declared(
            client, bob, holder="spouse_partner", holder_name="Bea Baker", relationship="wife"
        )
        finance = await caller(Role.FINANCE_DIRECTOR)
        check = await checked(client, finance, value_gbp=500)
        assert [m["person_id"] for m in check["matches"]] == [str(ann.id), str(bob.id)]
        found = await resolved(client, finance, check, interest_id=bobs["id"])
        assert found["resolution_person_id"] == str(bob.id) and found["resolution_interest_id"] == bobs["id"]
        rpt = await read(client, finance, found["related_party_transaction_id"])
        assert rpt["person_id"] == str(bob.id) and rpt["interest_id"] == bobs["id"]

    async def test_without_naming_one_it_is_for_the_first_match(self, client: AsyncClient, caller) -> None:
        ann, bob = await caller(full_name="Ann Able"), await caller(full_name="Bob Baker")
        await declared(client, bob)
        anns = await declared(client, ann)
        finance = await caller(Role.FINANCE_DIRECTOR)
        check = await checked(client, finance)
        assert [m["person_id"] for m in check["matches"]] == [str(ann.id), str(bob.id)]  # by name
        found = await resolved(client, finance, check)
        assert found["resolution_person_id"] == str(ann.id) and found["resolution_interest_id"] == anns["id"]
        rpt = await read(client, finance, found["related_party_transaction_id"])
        assert rpt["person_id"] == str(ann.id) and rpt["interest_id"] == anns["id"]

    async def test_any_screener_may_open_one(self, client: AsyncClient, caller) -> None:
        await declared(client, await caller())
        chair = await caller(Role.CHAIR)
        found = await resolved(client, chair, await checked(client, chair))
        rpt = await read(client, await caller(Role.AUDITOR), found["related_party_transaction_id"])
        assert rpt["conflict_check_id"] == found["id"] and rpt["value_gbp"] is None

    @pytest.mark.parametrize(
        ("over_by", "required"), [(Decimal("-0.01"), False), (Decimal("0"), False), (Decimal("0.01"), True)]
    )
    async def test_the_dfe_must_approve_only_over_the_trusts_threshold(
        self, client: AsyncClient, caller, over_by: Decimal, required: bool
    ) -> None:
        threshold = await rpt_threshold(client, await caller())
        assert threshold == Decimal("40000.00")  # the contract's default
        rpt = await opened(client, caller, value=str(threshold + over_by))
        assert rpt["value_gbp"] == str(threshold + over_by)
        assert rpt["dfe_approval_required"] is required
        assert rpt["dfe_decision"] == ("awaiting" if required else "not_required")

    async def test_without_a_value_no_approval_is_required(self, client: AsyncClient, caller) -> None:
        rpt = await opened(client, caller, value=None)
        assert rpt["value_gbp"] is None
        assert rpt["dfe_approval_required"] is False and rpt["dfe_decision"] == "not_required"

    async def test_the_threshold_is_the_trusts_setting(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.patch(
            SETTINGS, json={"rpt_approval_threshold_gbp": "1000"}, headers=admin.headers
        )
        assert response.status_code == 200 and response.json()["rpt_approval_threshold_gbp"] == "1000.00"
        assert (await opened(client, caller, value="1000.00"))["dfe_approval_required"] is False
        over = await opened(client, caller, value="1000.01")
        assert over["dfe_approval_required"] is True and over["dfe_decision"] == "awaiting"


class TestKeeping:
    async def test_the_counterparty_is_named_as_the_accounts_should_name_it(
        self, client: AsyncClient, caller
    ) -> None:
        """A check typed with a misspelling opens the transaction under that spelling: the finance
        director corrects it (and the company number) for the DfE and the accounts."""
        rpt = await opened(client, caller, counterparty_name="Oakfeild Building Services")
        assert rpt["counterparty_name"] == "Oakfeild Building Services" and rpt["company_number"] is None
        keeper = await caller(Role.FINANCE_DIRECTOR)
        fixed = await patched(
            client, keeper, rpt, counterparty_name="Oakfield Building Services Ltd", company_number="7654321"
        )
        assert fixed["counterparty_name"] == "Oakfield Building Services Ltd"
        assert fixed["company_number"] == "07654321"
        assert_problem(await patch(client, keeper, rpt, counterparty_name=None), 422)

    async def test_the_day_declared_to_the_dfe_is_not_in_the_future(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        fixed_clock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        rpt = await opened(client, caller, value="45000.00")
        keeper = await caller(Role.FINANCE_DIRECTOR)
        response = await patch(client, keeper, rpt, declared_to_dfe_on="2026-11-03")
        assert_problem(response, 422)
        assert (await read(client, keeper, rpt["id"]))["declared_to_dfe_on"] is None
        assert (await patched(client, keeper, rpt, declared_to_dfe_on="2026-11-02"))["declared_to_dfe_on"]

    async def test_the_finance_director_records_the_dfe_declaration_and_decision(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        fixed_clock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        rpt = await opened(client, caller, value="45000.00")
        assert rpt["dfe_decision"] == "awaiting"
        keeper = await caller(Role.FINANCE_DIRECTOR)
        fixed_clock(datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
        declared_to_dfe = await patched(
            client, keeper, rpt, declared_to_dfe_on="2026-11-03", dfe_reference="RPT-2026-041",
            description="Three-year grounds contract",
        )  # fmt: skip
        assert declared_to_dfe["declared_to_dfe_on"] == "2026-11-03"
        assert declared_to_dfe["dfe_reference"] == "RPT-2026-041"
        assert declared_to_dfe["description"] == "Three-year grounds contract"
        assert declared_to_dfe["dfe_decision"] == "awaiting"
        assert datetime.fromisoformat(declared_to_dfe["updated_at"]) == datetime(
            2026, 11, 3, 9, 0, tzinfo=UTC
        )
        assert declared_to_dfe["created_at"] == rpt["created_at"]
        approved = await patched(
            client, keeper, rpt, dfe_decision="approved", at_cost_assurance_received=True
        )
        assert approved["dfe_decision"] == "approved" and approved["at_cost_assurance_received"] is True
        assert approved["dfe_reference"] == "RPT-2026-041"  # what was not sent stays
        assert await read(client, await caller(Role.AUDITOR), rpt["id"]) == approved

    @pytest.mark.parametrize("decision", ["approved", "refused"])
    async def test_a_dfe_decision_needs_the_day_it_was_declared(
        self, client: AsyncClient, caller, decision: str
    ) -> None:
        rpt = await opened(client, caller, value="45000.00")
        keeper = await caller(Role.FINANCE_DIRECTOR)
        assert_problem(await patch(client, keeper, rpt, dfe_decision=decision), 422)
        assert (await read(client, keeper, rpt["id"]))["dfe_decision"] == "awaiting"
        both = await patched(client, keeper, rpt, dfe_decision=decision, declared_to_dfe_on="2026-10-01")
        assert both["dfe_decision"] == decision

    async def test_novel_or_contentious_needs_approval_whatever_the_value(
        self, client: AsyncClient, caller
    ) -> None:
        rpt = await opened(client, caller, value="100.00")
        keeper = await caller(Role.FINANCE_DIRECTOR)
        novel = await patched(client, keeper, rpt, novel_or_contentious=True)
        assert novel["dfe_approval_required"] is True and novel["dfe_decision"] == "awaiting"
        plain = await patched(client, keeper, rpt, novel_or_contentious=False)
        assert plain["dfe_approval_required"] is False and plain["dfe_decision"] == "not_required"

    async def test_the_requirement_follows_the_value(self, client: AsyncClient, caller) -> None:
        rpt = await opened(client, caller, value="100.00")
        keeper = await caller(Role.FINANCE_DIRECTOR)
        threshold = await rpt_threshold(client, keeper)
        over = await patched(client, keeper, rpt, value_gbp=str(threshold + Decimal("0.01")))
        assert over["dfe_approval_required"] is True and over["dfe_decision"] == "awaiting"
        at = await patched(client, keeper, rpt, value_gbp=str(threshold))
        assert at["value_gbp"] == str(threshold)
        assert at["dfe_approval_required"] is False and at["dfe_decision"] == "not_required"
        none = await patched(client, keeper, rpt, value_gbp=None)
        assert none["value_gbp"] is None and none["dfe_approval_required"] is False

    async def test_a_recorded_dfe_decision_is_kept_when_the_value_changes(
        self, client: AsyncClient, caller
    ) -> None:
        rpt = await opened(client, caller, value="45000.00")
        keeper = await caller(Role.FINANCE_DIRECTOR)
        await patched(client, keeper, rpt, dfe_decision="approved", declared_to_dfe_on="2026-10-01")
        lower = await patched(client, keeper, rpt, value_gbp="30000.00")
        assert lower["dfe_approval_required"] is False and lower["dfe_decision"] == "approved"

    async def test_not_required_is_refused_while_approval_is_required(
        self, client: AsyncClient, caller
    ) -> None:
        rpt = await opened(client, caller, value="45000.00")
        keeper = await caller(Role.FINANCE_DIRECTOR)
        assert_problem(await patch(client, keeper, rpt, dfe_decision="not_required"), 422)
        assert_problem(
            await patch(client, keeper, rpt, dfe_decision="not_required", value_gbp="50.00",
                        novel_or_contentious=True), 422,
        )  # fmt: skip
        unchanged = await read(client, keeper, rpt["id"])
        assert unchanged["value_gbp"] == "45000.00" and unchanged["novel_or_contentious"] is False
        small = await patched(client, keeper, rpt, dfe_decision="not_required", value_gbp="50.00")
        assert small["dfe_decision"] == "not_required" and small["dfe_approval_required"] is False

    @pytest.mark.parametrize(
        "body",
        [{"novel_or_contentious": None}, {"at_cost_assurance_received": None}, {"dfe_decision": None},
         {"novel_or_contentious": "yes"}, {"dfe_decision": "pending"}, {"value_gbp": -1},
         {"value_gbp": "1.001"}, {"dfe_approval_required": False}, {"person_id": str(uuid.uuid4())},
         {"conflict_check_id": str(uuid.uuid4())}, {"declared_to_dfe_on": "2026-02-30"},
         {"dfe_reference": "x" * 201}],
    )  # fmt: skip
    async def test_a_bad_change_is_a_422(self, client: AsyncClient, caller, body: dict[str, Any]) -> None:
        rpt = await opened(client, caller)
        keeper = await caller(Role.FINANCE_DIRECTOR)
        assert_problem(await patch(client, keeper, rpt, **body), 422)
        assert await read(client, keeper, rpt["id"]) == rpt

    @pytest.mark.parametrize("role", READERS_WHO_DO_NOT_KEEP)
    async def test_only_the_finance_director_keeps_it(self, client: AsyncClient, caller, role: Role) -> None:
        rpt = await opened(client, caller)
        reader = await caller(role)
        assert_problem(await patch(client, reader, rpt, dfe_reference="RPT-1"), 403)
        assert await read(client, reader, rpt["id"]) == rpt

    @pytest.mark.parametrize("role", OUTSIDERS)
    async def test_anyone_else_gets_403(self, client: AsyncClient, caller, role: Role | None) -> None:
        rpt = await opened(client, caller)
        assert_problem(await patch(client, await someone(caller, role), rpt, dfe_reference="RPT-1"), 403)

    async def test_the_related_person_may_not_keep_their_own(self, client: AsyncClient, caller) -> None:
        related = await caller(Role.FINANCE_DIRECTOR)
        await declared(client, related)
        ceo = await caller(Role.CEO)
        found = await resolved(client, ceo, await checked(client, ceo, value_gbp="45000"))
        rpt = await read(client, related, found["related_party_transaction_id"])
        assert rpt["person_id"] == str(related.id)
        response = await patch(client, related, rpt, dfe_decision="approved", declared_to_dfe_on="2026-10-01")
        assert_problem(response, 403)
        assert "your own interest" in response.json()["detail"]
        assert (await read(client, related, rpt["id"]))["dfe_decision"] == "awaiting"
        other = await caller(Role.FINANCE_DIRECTOR)
        assert (await patched(client, other, rpt, declared_to_dfe_on="2026-10-01"))["declared_to_dfe_on"]

    async def test_an_unknown_one_is_a_404(self, client: AsyncClient, caller) -> None:
        keeper = await caller(Role.FINANCE_DIRECTOR)
        assert_problem(await patch(client, keeper, {"id": uuid.uuid4()}, dfe_reference="RPT-1"), 404)
        assert_problem(await client.get(f"{RPTS}/{uuid.uuid4()}", headers=keeper.headers), 404)


class TestReading:
    @pytest.mark.parametrize("role", READERS)
    async def test_the_readers_list_and_read(self, client: AsyncClient, caller, role: Role) -> None:
        rpt = await opened(client, caller)
        reader = await caller(role)
        assert await read(client, reader, rpt["id"]) == rpt
        listed = await client.get(RPTS, params={"person_id": rpt["person_id"]}, headers=reader.headers)
        assert listed.status_code == 200 and listed.json() == {"items": [rpt], "total": 1}
        exported = await client.get(
            f"{RPTS}.csv", params={"person_id": rpt["person_id"]}, headers=reader.headers
        )
        assert exported.status_code == 200, exported.text

    @pytest.mark.parametrize("role", OUTSIDERS)
    async def test_anyone_else_gets_403(self, client: AsyncClient, caller, role: Role | None) -> None:
        related = await caller()
        rpt = await opened(client, caller, related=related)
        # Not even the related person reads the finance director's record through this route.
        for who in (await someone(caller, role), related):
            for path in (RPTS, f"{RPTS}/{rpt['id']}", f"{RPTS}.csv"):
                assert_problem(await client.get(path, headers=who.headers), 403)

    async def test_anonymous_is_a_401(self, client: AsyncClient, caller) -> None:
        rpt = await opened(client, caller)
        for response in (
            await client.get(RPTS),
            await client.get(f"{RPTS}/{rpt['id']}"),
            await client.get(f"{RPTS}.csv"),
            await client.patch(f"{RPTS}/{rpt['id']}", json={"dfe_reference": "RPT-1"}),
        ):
            assert_problem(response, 401)

    async def test_filters(self, client: AsyncClient, caller) -> None:
        ann, bob = await caller(), await caller()
        small = await opened(client, caller, value="100.00", related=ann)
        large = await opened(client, caller, value="45000.00", related=ann)
        other = await opened(client, caller, value="50000.00", related=bob)
        keeper = await caller(Role.FINANCE_DIRECTOR)
        await patched(client, keeper, other, dfe_decision="refused", declared_to_dfe_on="2026-10-01")
        mine = {small["id"], large["id"], other["id"]}

        async def ids(**params: str) -> list[str]:
            response = await client.get(RPTS, params=params, headers=keeper.headers)
            assert response.status_code == 200, response.text
            return [r["id"] for r in response.json()["items"] if r["id"] in mine]

        assert await ids() == [other["id"], large["id"], small["id"]]  # newest first
        assert await ids(person_id=str(ann.id)) == [large["id"], small["id"]]
        assert await ids(dfe_approval_required="true") == [other["id"], large["id"]]
        assert await ids(dfe_approval_required="false") == [small["id"]]
        assert await ids(dfe_decision="awaiting") == [large["id"]]
        assert await ids(dfe_decision="refused") == [other["id"]]
        assert await ids(dfe_decision="not_required", person_id=str(bob.id)) == []
        paged = await client.get(
            RPTS, params={"person_id": str(ann.id), "limit": 1, "offset": 1}, headers=keeper.headers
        )
        assert paged.status_code == 200 and paged.json()["total"] == 2
        assert [r["id"] for r in paged.json()["items"]] == [small["id"]]
        for bad in ({"dfe_decision": "pending"}, {"dfe_approval_required": "perhaps"}, {"limit": 0}):
            assert_problem(await client.get(RPTS, params=bad, headers=keeper.headers), 422)

    async def test_the_csv_for_the_annual_accounts(self, client: AsyncClient, caller) -> None:
        related = await caller(full_name="Gail Governor")
        first = await opened(client, caller, value="45000.00", related=related, company_number="123")
        second = await opened(
            client, caller, value=None, related=related, counterparty_name="=Oakfield Building Services"
        )
        keeper = await caller(Role.FINANCE_DIRECTOR)
        await patched(client, keeper, first, declared_to_dfe_on="2026-10-01", dfe_reference="RPT-7",
                      dfe_decision="approved", at_cost_assurance_received=True)  # fmt: skip
        response = await client.get(
            f"{RPTS}.csv", params={"person_id": str(related.id)}, headers=(await caller(Role.AUDITOR)).headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/csv; charset=utf-8"
        assert "related-party-transactions.csv" in response.headers["content-disposition"]
        one, two = list(csv.DictReader(io.StringIO(response.text)))  # oldest first
        assert one["id"] == first["id"] and two["id"] == second["id"]
        assert one["related_person"] == "Gail Governor" and one["interest_id"] == first["interest_id"]
        assert (
            one["counterparty_name"] == "Oakfield Building Services" and one["company_number"] == "00000123"
        )
        assert one["value_gbp"] == "45000.00" and one["dfe_approval_required"] == "true"
        assert one["dfe_decision"] == "approved" and one["declared_to_dfe_on"] == "2026-10-01"
        assert one["dfe_reference"] == "RPT-7" and one["at_cost_assurance_received"] == "true"
        assert (
            one["novel_or_contentious"] == "false" and one["conflict_check_id"] == first["conflict_check_id"]
        )
        assert one["description"] == "Grounds maintenance, 2027 to 2029"
        assert two["counterparty_name"] == "'=Oakfield Building Services" and two["value_gbp"] == ""
        assert two["dfe_decision"] == "not_required" and two["dfe_approval_required"] == "false"
        # The relationship the accounts disclose: the related person's interest as declared.
        assert one["interest_organisation"] == "Oakfield Building Services Ltd"
        assert one["interest_category"] == "directorship" and one["interest_holder"] == "self"
        assert one["interest_relationship"] == ""


class TestTheAuditTrail:
    async def test_opening_and_each_change_are_audited(self, client: AsyncClient, caller) -> None:
        await declared(client, await caller())
        coo, keeper = await caller(Role.COO), await caller(Role.FINANCE_DIRECTOR)
        found = await resolved(client, coo, await checked(client, coo, value_gbp="45000"))
        rpt = await read(client, keeper, found["related_party_transaction_id"])
        await patched(client, keeper, rpt, declared_to_dfe_on="2026-10-01", dfe_reference="RPT-3")
        assert_problem(await patch(client, keeper, rpt, dfe_decision="not_required"), 422)
        events = await client.get(
            "/api/v1/audit-events",
            params={"entity_type": "related_party_transaction", "entity_id": rpt["id"]},
            headers=(await caller(Role.GOVERNANCE_ADMIN)).headers,
        )
        assert events.status_code == 200, events.text
        opening, update = events.json()["items"]
        assert (opening["action"], opening["actor_id"]) == ("related_party_transaction.opened", str(coo.id))
        assert (
            opening["after"]["conflict_check_id"] == found["id"]
            and opening["after"]["value_pence"] == 4500000
        )
        assert (
            opening["after"]["dfe_decision"] == "awaiting"
            and opening["after"]["dfe_approval_required"] is True
        )
        assert (update["action"], update["actor_id"]) == ("related_party_transaction.updated", str(keeper.id))
        assert update["before"]["declared_to_dfe_on"] is None and update["before"]["dfe_reference"] is None
        assert (
            update["after"]["declared_to_dfe_on"] == "2026-10-01"
            and update["after"]["dfe_reference"] == "RPT-3"
        )


class TestConcurrentResolutions:
    """Two screeners resolving one check at the same moment, each in a transaction that commits."""

    async def test_one_wins_and_one_related_party_transaction_is_opened(
        self, app: FastAPI, fresh_db: Database
    ) -> None:
        async with fresh_db.session(write=True) as session:
            governor = await make_person(session)
            finance, ceo = (
                await make_person(session, Role.FINANCE_DIRECTOR),
                await make_person(session, Role.CEO),
            )
            auditor = await make_person(session, Role.AUDITOR)
        async with live_client(app, fresh_db) as http:
            interest = await http.post(
                "/api/v1/interests",
                json={"category": "directorship", "organisation_name": "Oakfield Ltd"},
                headers=bearer(governor.id),
            )
            assert interest.status_code == 201, interest.text
            for _ in range(3):
                check = await http.post(
                    CHECKS,
                    json={"counterparty_name": "Oakfield", "context": "contract_award", "value_gbp": 9},
                    headers=bearer(finance.id),
                )
                assert check.status_code == 201 and check.json()["matches"], check.text
                path = f"{CHECKS}/{check.json()['id']}/resolution"
                body = {"outcome": "related_party_transaction", "note": "Supplies"}
                responses = await asyncio.gather(
                    *(http.post(path, json=body, headers=bearer(who.id)) for who in (finance, ceo))
                )
                assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
                (winner,) = [r.json() for r in responses if r.status_code == 200]
                listed = await http.get(
                    RPTS, params={"person_id": str(governor.id)}, headers=bearer(auditor.id)
                )
                assert listed.status_code == 200, listed.text
                mine = [r for r in listed.json()["items"] if r["conflict_check_id"] == winner["id"]]
                assert [r["id"] for r in mine] == [winner["related_party_transaction_id"]]
                events = await http.get(
                    "/api/v1/audit-events", params={"entity_id": winner["id"]}, headers=bearer(auditor.id)
                )
                assert events.status_code == 200, events.text
                assert [e["action"] for e in events.json()["items"]] == [
                    "conflict_check.created", "conflict_check.resolved"
                ]  # fmt: skip
