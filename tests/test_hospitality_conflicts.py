"""Hospitality and declared interests (the contract's "Hospitality"): a request whose provider matches an
open interest of the requester or of anyone who may decide it is flagged `provider_conflict`, and an
approver with an open interest in the provider may not decide it; for the CEO's own request the Vice
Chair decides when the Chair may not."""

from typing import Any

import pytest
from httpx import AsyncClient, Response

from app.auth.permissions import Role
from tests.factories import Caller, assert_problem, days_from_today

REQUESTS = "/api/v1/hospitality-requests"
PENDING = "/api/v1/approvals/pending"
PROVIDER = "Oakfield Building Services Ltd"
CONFLICT = "provider_conflict"


async def declared(client: AsyncClient, who: Caller, organisation: str, **fields: Any) -> dict[str, Any]:
    body = {"category": "directorship", "organisation_name": organisation, **fields}
    response = await client.post("/api/v1/interests", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def ask(client: AsyncClient, who: Caller, **fields: Any) -> dict[str, Any]:
    body = {"provider_name": "Pat Provider", "provider_organisation": PROVIDER,
            "event_description": "Box at the county cricket final", "event_date": days_from_today(30),
            "estimated_value_gbp": "120.00", "invitation_type": "corporate",
            "business_justification": "Meeting the trust's contractors", **fields}  # fmt: skip
    response = await client.post(REQUESTS, json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def read(client: AsyncClient, who: Caller, request: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(f"{REQUESTS}/{request['id']}", headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def decide(client: AsyncClient, who: Caller, request: dict[str, Any], **body: Any) -> Response:
    body = {"decision": "approve", **body}
    return await client.post(f"{REQUESTS}/{request['id']}/decision", json=body, headers=who.headers)


async def approved_by(client: AsyncClient, who: Caller, request: dict[str, Any]) -> None:
    response = await decide(client, who, request)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved" and response.json()["decided_by"] == str(who.id)


async def refused_for_interest(client: AsyncClient, who: Caller, request: dict[str, Any], named: str) -> None:
    """The approver is told why: their interest in the provider. Nothing is decided."""
    for body in ({"decision": "approve"}, {"decision": "reject", "note": "No"}):
        response = await decide(client, who, request, **body)
        assert_problem(response, 403)
        assert "interest" in response.json()["detail"] and named in response.json()["detail"]
    assert (await read(client, who, request))["status"] == "submitted"


async def queued(client: AsyncClient, who: Caller) -> list[str]:
    response = await client.get(PENDING, headers=who.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"] if item["kind"] == "hospitality"]


class TestTheFlag:
    async def test_a_provider_the_requester_has_an_interest_in_is_flagged(
        self, client: AsyncClient, caller
    ) -> None:
        teacher = await caller()
        await declared(client, teacher, "The Oakfield Building Services Limited")
        request = await ask(client, teacher)
        assert request["flags"] == [CONFLICT]
        coo = await caller(Role.COO)
        assert request["id"] in await queued(client, coo)
        await approved_by(client, coo, request)  # the requester's interest does not stop the approver

    async def test_the_flag_joins_the_others(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        await declared(client, teacher, PROVIDER)
        request = await ask(client, teacher, invitation_type="personal", event_date=days_from_today(0))
        assert request["flags"] == ["retrospective", "personal_invitation", CONFLICT]

    @pytest.mark.parametrize("role", [Role.CEO, Role.COO, Role.CHAIR])
    async def test_a_provider_an_approver_has_an_interest_in_is_flagged(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        await declared(client, await caller(role), "Oakfeild Building Services")  # a typo is still a match
        assert (await ask(client, await caller()))["flags"] == [CONFLICT]

    async def test_the_interest_of_a_spouse_counts(self, client: AsyncClient, caller) -> None:
        chair = await caller(Role.CHAIR)
        await declared(client, chair, PROVIDER, category="employment", holder="spouse_partner",
                       holder_name="Sam Chair", relationship="husband")  # fmt: skip
        request = await ask(client, await caller())
        assert request["flags"] == [CONFLICT]
        await refused_for_interest(client, chair, request, PROVIDER)

    async def test_the_provider_name_counts_when_there_is_no_organisation(
        self, client: AsyncClient, caller
    ) -> None:
        teacher = await caller()
        await declared(client, teacher, "Oakfield Building Services")
        by_name = await ask(
            client, teacher, provider_name="Oakfield Building Services", provider_organisation=None
        )
        assert by_name["flags"] == [CONFLICT]
        # With an organisation, it is the organisation that is matched, not the person's name.
        other = await ask(
            client, teacher, provider_name="Oakfield Building Services", provider_organisation="Hilltop Foods"
        )
        assert other["flags"] == []

    @pytest.mark.parametrize("role", [None, Role.VICE_CHAIR, Role.HR_DIRECTOR, Role.FINANCE_DIRECTOR])
    async def test_an_interest_of_someone_who_may_not_decide_it_is_no_flag(
        self, client: AsyncClient, caller, role: Role | None
    ) -> None:
        bystander = await caller(role) if role else await caller()
        await declared(client, bystander, PROVIDER)
        request = await ask(client, await caller())
        assert request["flags"] == []

    async def test_an_unrelated_firm_sharing_a_word_is_no_flag(self, client: AsyncClient, caller) -> None:
        coo = await caller(Role.COO)
        await declared(client, coo, "Riverside Catering")
        request = await ask(client, await caller(), provider_organisation="Riverside Plumbing")
        assert request["flags"] == []
        await approved_by(client, coo, request)

    async def test_ended_and_future_interests_are_no_flag(self, client: AsyncClient, caller) -> None:
        teacher, coo = await caller(), await caller(Role.COO)
        past = await declared(client, teacher, PROVIDER, start_date=days_from_today(-60))
        ended = await client.post(
            f"/api/v1/interests/{past['id']}/end",
            json={"end_date": days_from_today(-1)},
            headers=teacher.headers,
        )
        assert ended.status_code == 200, ended.text
        await declared(client, coo, PROVIDER, start_date=days_from_today(10))
        request = await ask(client, teacher)
        assert request["flags"] == []
        await approved_by(client, coo, request)


class TestTheConflictedApprover:
    @pytest.mark.parametrize("role", [Role.CEO, Role.COO, Role.CHAIR])
    async def test_an_approver_with_an_interest_in_the_provider_may_not_decide(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        conflicted = await caller(role)
        await declared(client, conflicted, "Oakfield Building Services")
        request = await ask(client, await caller())
        await refused_for_interest(client, conflicted, request, "Oakfield Building Services")
        others = [r for r in (Role.CEO, Role.COO, Role.CHAIR) if r is not role]
        await approved_by(client, await caller(others[0]), request)

    async def test_the_conflicted_approver_does_not_see_it_in_their_queue(
        self, client: AsyncClient, caller
    ) -> None:
        coo, ceo = await caller(Role.COO), await caller(Role.CEO)
        await declared(client, coo, PROVIDER)
        request = await ask(client, await caller())
        clear = await ask(client, await caller(), provider_organisation="Hilltop Foods")
        assert await queued(client, coo) == [clear["id"]]
        assert await queued(client, ceo) == [request["id"], clear["id"]]
        # They still see the request itself, as every hospitality reader does.
        assert (await read(client, coo, request))["flags"] == [CONFLICT]

    async def test_an_interest_declared_after_the_request_counts(self, client: AsyncClient, caller) -> None:
        teacher, coo, ceo = await caller(), await caller(Role.COO), await caller(Role.CEO)
        request = await ask(client, teacher)
        assert request["flags"] == [] and request["id"] in await queued(client, coo)
        interest = await declared(client, coo, "Oakfield Building Services")
        assert (await read(client, teacher, request))["flags"] == [CONFLICT]
        await refused_for_interest(client, coo, request, "Oakfield Building Services")
        assert request["id"] not in await queued(client, coo)
        events = await client.get(
            "/api/v1/audit-events", params={"entity_id": request["id"]},
            headers=(await caller(Role.GOVERNANCE_ADMIN)).headers,
        )  # fmt: skip
        assert events.status_code == 200, events.text
        assert [e["action"] for e in events.json()["items"]] == [
            "hospitality_request.submitted", "hospitality_request.flagged"
        ]  # fmt: skip
        flagged = events.json()["items"][1]
        assert flagged["actor_id"] == str(coo.id) and flagged["entity_type"] == "hospitality_request"
        assert CONFLICT not in flagged["before"]["flags"] and CONFLICT in flagged["after"]["flags"]
        assert interest["person_id"] == str(coo.id)
        await approved_by(client, ceo, request)

    async def test_the_requesters_interest_declared_later_flags_it(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        request = await ask(client, teacher)
        await declared(client, teacher, PROVIDER)
        assert (await read(client, teacher, request))["flags"] == [CONFLICT]
        await approved_by(client, await caller(Role.COO), request)

    async def test_an_interest_declared_by_the_clerk_for_the_approver_counts(
        self, client: AsyncClient, caller
    ) -> None:
        chair, clerk = await caller(Role.CHAIR), await caller(Role.GOVERNANCE_ADMIN)
        request = await ask(client, await caller())
        await declared(client, clerk, PROVIDER, person_id=str(chair.id))
        assert (await read(client, chair, request))["flags"] == [CONFLICT]
        await refused_for_interest(client, chair, request, PROVIDER)

    async def test_an_unrelated_interest_declared_later_changes_nothing(
        self, client: AsyncClient, caller
    ) -> None:
        teacher, coo = await caller(), await caller(Role.COO)
        request = await ask(client, teacher)
        await declared(client, coo, "Riverside Catering")
        await declared(client, await caller(), PROVIDER)  # someone who does not decide it
        assert (await read(client, teacher, request))["flags"] == []
        await approved_by(client, coo, request)

    async def test_an_ended_interest_no_longer_stops_the_approver(self, client: AsyncClient, caller) -> None:
        coo = await caller(Role.COO)
        interest = await declared(client, coo, PROVIDER, start_date=days_from_today(-90))
        request = await ask(client, await caller())
        await refused_for_interest(client, coo, request, PROVIDER)
        ended = await client.post(f"/api/v1/interests/{interest['id']}/end", json={}, headers=coo.headers)
        assert ended.status_code == 200, ended.text
        assert request["id"] in await queued(client, coo)
        await approved_by(client, coo, request)

    async def test_ending_the_interest_takes_the_flag_off_while_the_request_waits(
        self, client: AsyncClient, caller
    ) -> None:
        coo, clerk = await caller(Role.COO), await caller(Role.GOVERNANCE_ADMIN)
        interest = await declared(client, coo, PROVIDER, start_date=days_from_today(-90))
        other = await declared(client, coo, "Riverside Catering", start_date=days_from_today(-90))
        request = await ask(client, await caller())
        assert request["flags"] == [CONFLICT]
        unrelated = await client.post(f"/api/v1/interests/{other['id']}/end", json={}, headers=coo.headers)
        assert unrelated.status_code == 200, unrelated.text
        assert (await read(client, coo, request))["flags"] == [CONFLICT]
        ended = await client.post(f"/api/v1/interests/{interest['id']}/end", json={}, headers=coo.headers)
        assert ended.status_code == 200, ended.text
        assert (await read(client, coo, request))["flags"] == []
        events = await client.get(
            "/api/v1/audit-events",
            params={"entity_id": request["id"], "action": "hospitality_request.flagged"},
            headers=clerk.headers,
        )
        assert events.status_code == 200, events.text
        (event,) = events.json()["items"]
        assert event["before"]["flags"] == [CONFLICT] and event["after"]["flags"] == []
        assert event["actor_id"] == str(coo.id)

    async def test_the_trusts_threshold_decides_whether_a_similar_name_counts(
        self, client: AsyncClient, caller
    ) -> None:
        coo = await caller(Role.COO)
        await declared(client, coo, "Oakfeild Building Services")
        request = await ask(client, await caller())
        await refused_for_interest(client, coo, request, "Oakfeild Building Services")
        admin = await caller(Role.GOVERNANCE_ADMIN)
        raised = await client.patch(
            "/api/v1/settings", json={"conflict_similarity_threshold": 0.99}, headers=admin.headers
        )
        assert raised.status_code == 200, raised.text
        assert request["id"] in await queued(client, coo)
        await approved_by(client, coo, request)

    async def test_an_exact_name_counts_whatever_the_threshold(self, client: AsyncClient, caller) -> None:
        admin, coo = await caller(Role.GOVERNANCE_ADMIN), await caller(Role.COO)
        raised = await client.patch("/api/v1/settings", json={"conflict_similarity_threshold": 1.0},
                                    headers=admin.headers)  # fmt: skip
        assert raised.status_code == 200, raised.text
        await declared(client, coo, "oakfield building services")
        request = await ask(client, await caller())
        assert request["flags"] == [CONFLICT]
        await refused_for_interest(client, coo, request, "oakfield building services")


class TestTheCeosOwnRequest:
    @pytest.mark.parametrize("declared_when", ["before", "after"])
    async def test_when_the_chair_is_conflicted_the_vice_chair_decides(
        self, client: AsyncClient, caller, declared_when: str
    ) -> None:
        ceo, chair, vice = await caller(Role.CEO), await caller(Role.CHAIR), await caller(Role.VICE_CHAIR)
        if declared_when == "before":
            await declared(client, chair, PROVIDER)
        request = await ask(client, ceo)
        if declared_when == "after":
            assert request["id"] in await queued(client, chair)
            assert request["id"] not in await queued(client, vice)
            await declared(client, chair, PROVIDER)
        assert (await read(client, ceo, request))["flags"] == [CONFLICT]
        await refused_for_interest(client, chair, request, PROVIDER)
        assert request["id"] not in await queued(client, chair)
        assert request["id"] in await queued(client, vice)
        await approved_by(client, vice, request)

    async def test_once_the_chairs_interest_ends_the_chair_decides_again(
        self, client: AsyncClient, caller
    ) -> None:
        ceo, chair, vice = await caller(Role.CEO), await caller(Role.CHAIR), await caller(Role.VICE_CHAIR)
        interest = await declared(client, chair, PROVIDER, start_date=days_from_today(-30))
        request = await ask(client, ceo)
        assert request["id"] in await queued(client, vice)
        ended = await client.post(f"/api/v1/interests/{interest['id']}/end", json={}, headers=chair.headers)
        assert ended.status_code == 200, ended.text
        assert request["id"] not in await queued(client, vice)
        assert_problem(await decide(client, vice, request), 403)
        assert request["id"] in await queued(client, chair)
        await approved_by(client, chair, request)

    async def test_while_the_chair_may_decide_the_vice_chair_may_not(
        self, client: AsyncClient, caller
    ) -> None:
        ceo, chair, vice = await caller(Role.CEO), await caller(Role.CHAIR), await caller(Role.VICE_CHAIR)
        await declared(client, await caller(Role.COO), PROVIDER)  # the COO does not decide the CEO's
        request = await ask(client, ceo)
        assert request["flags"] == []
        assert request["id"] not in await queued(client, vice)
        response = await decide(client, vice, request)
        assert_problem(response, 403)
        assert "the Vice Chair only when the Chair of Trustees may not" in response.json()["detail"]
        await approved_by(client, chair, request)

    async def test_a_conflicted_vice_chair_may_not_stand_in(self, client: AsyncClient, caller) -> None:
        ceo, chair, vice = await caller(Role.CEO), await caller(Role.CHAIR), await caller(Role.VICE_CHAIR)
        await declared(client, chair, PROVIDER)
        await declared(client, vice, PROVIDER)
        request = await ask(client, ceo)
        assert request["flags"] == [CONFLICT]
        await refused_for_interest(client, vice, request, PROVIDER)
        assert request["id"] not in await queued(client, vice)

    async def test_the_vice_chairs_interest_flags_the_ceos_request(self, client: AsyncClient, caller) -> None:
        ceo, vice = await caller(Role.CEO), await caller(Role.VICE_CHAIR)
        await caller(Role.CHAIR)
        await declared(client, vice, PROVIDER)
        assert (await ask(client, ceo))["flags"] == [CONFLICT]
        # A teacher's request is not the Vice Chair's to decide: their interest does not flag it.
        assert (await ask(client, await caller()))["flags"] == []

    async def test_the_chairs_conflict_on_another_request_does_not_pass_this_one_to_the_vice_chair(
        self, client: AsyncClient, caller
    ) -> None:
        """The Chair's interest in one provider stops the Chair deciding that provider's requests only:
        the CEO's request from another provider stays the Chair's, in the queue and in the decision."""
        ceo, chair, vice = await caller(Role.CEO), await caller(Role.CHAIR), await caller(Role.VICE_CHAIR)
        await declared(client, chair, PROVIDER)
        teachers = await ask(client, await caller())
        assert teachers["flags"] == [CONFLICT]
        ceos = await ask(client, ceo, provider_organisation="Northgate Stadium Events")
        assert ceos["flags"] == []
        assert ceos["id"] not in await queued(client, vice)
        assert ceos["id"] in await queued(client, chair)
        response = await decide(client, vice, ceos)
        assert_problem(response, 403)
        assert "the Vice Chair only when the Chair of Trustees may not" in response.json()["detail"]
        await approved_by(client, chair, ceos)
