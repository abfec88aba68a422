"""Hospitality (the contract's "Hospitality"): authorised in advance by the CEO, the COO or the Chair
(the CEO's own by the Chair, the Chair's by the CEO or the COO, nobody their own); flagged when asked
for late or when the invitation is personal; withdrawn by the requester, or completed after the event."""

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Role
from app.core.db import Database
from tests.factories import Caller, assert_problem, bearer, days_from_today, make_person, make_school
from tests.live import live_client

REQUESTS = "/api/v1/hospitality-requests"
# 23:30 UTC on 30 June 2026 is 00:30 on 1 July in London (BST, UTC+1).
LATE_SUMMER_EVENING_UTC = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
READERS = (Role.CEO, Role.COO, Role.CHAIR, Role.VICE_CHAIR, Role.GOVERNANCE_ADMIN, Role.AUDITOR)
NOT_READERS = (Role.HEADTEACHER, Role.HR_DIRECTOR, Role.FINANCE_DIRECTOR)


def body_of(**fields: Any) -> dict[str, Any]:
    return {"provider_name": "Pat Provider", "provider_organisation": "Acme Events Ltd",
            "event_description": "Dinner at the regional education awards",
            "event_date": days_from_today(30), "estimated_value_gbp": "60.00",
            "invitation_type": "corporate", "business_justification": "Meeting the trust's partners",
            **fields}  # fmt: skip


async def ask(client: AsyncClient, who: Caller, **fields: Any) -> dict[str, Any]:
    response = await client.post(REQUESTS, json=body_of(**fields), headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def decision(client: AsyncClient, who: Caller, request: dict[str, Any], **body: Any) -> Response:
    return await client.post(f"{REQUESTS}/{request['id']}/decision", json=body, headers=who.headers)


async def approved(client: AsyncClient, request: dict[str, Any], decider: Caller) -> dict[str, Any]:
    response = await decision(client, decider, request, decision="approve", note="Fine")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def withdraw(client: AsyncClient, who: Caller, request: dict[str, Any], **kwargs: Any) -> Response:
    kwargs.setdefault("json", {})
    return await client.post(f"{REQUESTS}/{request['id']}/withdraw", headers=who.headers, **kwargs)


async def outcome(client: AsyncClient, who: Caller, request: dict[str, Any], **body: Any) -> Response:
    return await client.post(f"{REQUESTS}/{request['id']}/outcome", json=body, headers=who.headers)


async def read(client: AsyncClient, who: Caller, request: dict[str, Any]) -> Response:
    return await client.get(f"{REQUESTS}/{request['id']}", headers=who.headers)


class TestAsking:
    async def test_a_request_is_submitted_with_every_field(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        request = await ask(client, teacher, estimated_value_gbp=45.5, event_date="2099-09-01")
        assert request["person_id"] == str(teacher.id) and request["status"] == "submitted"
        assert request["provider_name"] == "Pat Provider"
        assert request["provider_organisation"] == "Acme Events Ltd"
        assert request["event_description"] == "Dinner at the regional education awards"
        assert request["event_date"] == "2099-09-01" and request["estimated_value_gbp"] == "45.50"
        assert request["invitation_type"] == "corporate"
        assert request["business_justification"] == "Meeting the trust's partners"
        assert request["flags"] == []
        assert request["decided_by"] is None and request["decided_at"] is None
        assert request["decision_note"] is None
        assert request["attended"] is None and request["actual_value_gbp"] is None
        assert request["created_at"] and request["submitted_at"]
        again = await read(client, teacher, request)
        assert again.status_code == 200 and again.json() == request

    @pytest.mark.parametrize("given", [{}, {"provider_organisation": None}, {"provider_organisation": "  "}])
    async def test_the_provider_organisation_is_optional(
        self, client: AsyncClient, caller, given: dict[str, Any]
    ) -> None:
        body = body_of(**given)
        if not given:
            del body["provider_organisation"]
        response = await client.post(REQUESTS, json=body, headers=(await caller()).headers)
        assert response.status_code == 201, response.text
        assert response.json()["provider_organisation"] is None

    @pytest.mark.parametrize(
        "field",
        ["provider_name", "event_description", "event_date", "estimated_value_gbp", "invitation_type",
         "business_justification"],
    )  # fmt: skip
    async def test_every_other_field_is_required(self, client: AsyncClient, caller, field: str) -> None:
        body = body_of()
        del body[field]
        assert_problem(await client.post(REQUESTS, json=body, headers=(await caller()).headers), 422)

    @pytest.mark.parametrize(
        "field",
        ["id", "status", "flags", "decided_by", "decided_at", "decision_note", "attended", "actual_value_gbp",
         "created_at", "submitted_at"],
    )  # fmt: skip
    async def test_server_owned_fields_are_refused(self, client: AsyncClient, caller, field: str) -> None:
        body = body_of(**{field: None})
        assert_problem(await client.post(REQUESTS, json=body, headers=(await caller()).headers), 422)

    @pytest.mark.parametrize(
        "change",
        [{"estimated_value_gbp": -1}, {"estimated_value_gbp": "1.001"}, {"estimated_value_gbp": "1000000.01"},
         {"invitation_type": "family"}, {"event_date": "2026-02-30"}, {"business_justification": "  "},
         {"event_description": ""}, {"provider_name": " "}],
    )  # fmt: skip
    async def test_bad_values_are_a_422(self, client: AsyncClient, caller, change: dict[str, Any]) -> None:
        response = await client.post(REQUESTS, json=body_of(**change), headers=(await caller()).headers)
        assert_problem(response, 422)

    async def test_the_clerk_asks_on_someones_behalf(self, client: AsyncClient, caller) -> None:
        teacher, clerk = await caller(), await caller(Role.GOVERNANCE_ADMIN)
        request = await ask(client, clerk, person_id=str(teacher.id))
        assert request["person_id"] == str(teacher.id)
        assert (await read(client, teacher, request)).status_code == 200

    async def test_nobody_else_names_another_person(self, client: AsyncClient, caller) -> None:
        teacher, other, coo = await caller(), await caller(), await caller(Role.COO)
        mine = await ask(client, teacher, person_id=str(teacher.id))
        assert mine["person_id"] == str(teacher.id)
        for who in (teacher, coo):
            response = await client.post(REQUESTS, json=body_of(person_id=str(other.id)), headers=who.headers)
            assert_problem(response, 422)


class TestFlags:
    async def test_a_request_the_day_before_the_event_is_not_retrospective(
        self, client: AsyncClient, caller
    ) -> None:
        request = await ask(client, await caller(), event_date=days_from_today(1))
        assert request["flags"] == []

    @pytest.mark.parametrize("days", [0, -1, -40])
    async def test_a_request_on_or_after_the_event_day_is_retrospective(
        self, client: AsyncClient, caller, days: int
    ) -> None:
        request = await ask(client, await caller(), event_date=days_from_today(days))
        assert request["flags"] == ["retrospective"] and request["status"] == "submitted"

    async def test_a_personal_invitation_is_flagged(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        personal = await ask(client, teacher, invitation_type="personal")
        assert personal["flags"] == ["personal_invitation"]
        both = await ask(client, teacher, invitation_type="personal", event_date=days_from_today(0))
        assert both["flags"] == ["retrospective", "personal_invitation"]

    async def test_late_on_a_summer_evening_it_is_already_the_event_day(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        fixed_clock(LATE_SUMMER_EVENING_UTC)  # UTC says 30 June; the trust says 1 July
        teacher = await caller()
        assert (await ask(client, teacher, event_date="2026-07-01"))["flags"] == ["retrospective"]
        assert (await ask(client, teacher, event_date="2026-07-02"))["flags"] == []

    async def test_in_winter_the_trusts_date_is_utcs(self, client: AsyncClient, caller, fixed_clock) -> None:
        fixed_clock(datetime(2026, 12, 30, 23, 30, tzinfo=UTC))
        teacher = await caller()
        assert (await ask(client, teacher, event_date="2026-12-31"))["flags"] == []
        assert (await ask(client, teacher, event_date="2026-12-30"))["flags"] == ["retrospective"]


class TestDeciding:
    @pytest.mark.parametrize("role", [Role.CEO, Role.COO, Role.CHAIR])
    async def test_a_teachers_request_is_decided_by_any_of_the_three(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        request = await ask(client, await caller())
        decider = await caller(role)
        response = await decision(client, decider, request, decision="approve", note="Good for the trust")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "approved" and body["decided_by"] == str(decider.id)
        assert body["decided_at"] and body["decision_note"] == "Good for the trust"

    async def test_an_approval_needs_no_note(self, client: AsyncClient, caller) -> None:
        request = await ask(client, await caller())
        response = await decision(client, await caller(Role.COO), request, decision="approve")
        assert response.status_code == 200 and response.json()["decision_note"] is None

    async def test_a_rejection_needs_a_note(self, client: AsyncClient, caller) -> None:
        request = await ask(client, await caller())
        coo = await caller(Role.COO)
        for body in ({"decision": "reject"}, {"decision": "reject", "note": "  "}, {"decision": "maybe"}):
            assert_problem(await decision(client, coo, request, **body), 422)
        refused = await decision(client, coo, request, decision="reject", note="A personal invitation")
        assert refused.status_code == 200
        assert (
            refused.json()["status"] == "rejected"
            and refused.json()["decision_note"] == "A personal invitation"
        )

    async def test_the_ceos_own_request_needs_the_chair(self, client: AsyncClient, caller) -> None:
        ceo, coo, chair = await caller(Role.CEO), await caller(Role.COO), await caller(Role.CHAIR)
        request = await ask(client, ceo)
        by_coo = await decision(client, coo, request, decision="approve")
        assert_problem(by_coo, 403)
        assert by_coo.json()["detail"] == "Only the Chair of Trustees decides this request"
        by_ceo = await decision(client, ceo, request, decision="approve")
        assert_problem(by_ceo, 403)
        assert by_ceo.json()["detail"] == "Nobody decides their own request"
        assert (await approved(client, request, chair))["decided_by"] == str(chair.id)

    async def test_the_vice_chair_may_not_while_there_is_a_chair(self, client: AsyncClient, caller) -> None:
        ceo, vice, chair = await caller(Role.CEO), await caller(Role.VICE_CHAIR), await caller(Role.CHAIR)
        request = await ask(client, ceo)
        response = await decision(client, vice, request, decision="approve")
        assert_problem(response, 403)
        assert "the Vice Chair only when the Chair of Trustees may not" in response.json()["detail"]
        assert (await approved(client, request, chair))["status"] == "approved"

    @pytest.mark.parametrize("chair", ["none", "inactive", "the ceo"])
    async def test_the_vice_chair_decides_the_ceos_when_no_other_chair_may(
        self, client: AsyncClient, caller, chair: str
    ) -> None:
        ceo = await caller(Role.CEO, Role.CHAIR) if chair == "the ceo" else await caller(Role.CEO)
        if chair == "inactive":
            await caller(Role.CHAIR, active=False)
        request = await ask(client, ceo)
        vice = await caller(Role.VICE_CHAIR)
        assert (await approved(client, request, vice))["decided_by"] == str(vice.id)

    @pytest.mark.parametrize("role", [Role.CEO, Role.COO])
    async def test_the_chairs_own_request_is_decided_by_the_ceo_or_coo(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        chair = await caller(Role.CHAIR)
        request = await ask(client, chair)
        for other in (await caller(Role.CHAIR), await caller(Role.VICE_CHAIR), chair):
            assert_problem(await decision(client, other, request, decision="approve"), 403)
        decider = await caller(role)
        assert (await approved(client, request, decider))["decided_by"] == str(decider.id)

    @pytest.mark.parametrize("role", [Role.CEO, Role.COO, Role.CHAIR])
    async def test_nobody_decides_their_own_request(self, client: AsyncClient, caller, role: Role) -> None:
        decider = await caller(role)
        request = await ask(client, decider)
        response = await decision(client, decider, request, decision="approve")
        assert_problem(response, 403)
        assert response.json()["detail"] == "Nobody decides their own request"

    @pytest.mark.parametrize("role", [Role.VICE_CHAIR, Role.GOVERNANCE_ADMIN, Role.AUDITOR])
    async def test_who_sees_it_but_may_not_decide_it_is_told_why(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        request = await ask(client, await caller())
        response = await decision(client, await caller(role), request, decision="approve")
        assert_problem(response, 403)
        assert response.json()["detail"] == (
            "Only the Chair of Trustees, the Chief Executive or the Chief Operating Officer "
            "decides this request"
        )

    @pytest.mark.parametrize("role", [None, *NOT_READERS])
    async def test_who_cannot_see_it_gets_404(
        self, client: AsyncClient, session: AsyncSession, caller, role: Role | None
    ) -> None:
        school = (await make_school(session)).id
        request = await ask(client, await caller(school_id=school))
        # A headteacher of the requester's own school too: hospitality is not theirs to see.
        other = await caller(role, school_id=school) if role else await caller(school_id=school)
        assert_problem(await decision(client, other, request, decision="approve"), 404)
        assert_problem(await read(client, other, request), 404)


class TestIllegalMoves:
    async def test_a_decided_request_is_not_decided_again(self, client: AsyncClient, caller) -> None:
        request = await ask(client, await caller())
        await approved(client, request, await caller(Role.COO))
        for decider in (await caller(Role.CEO), await caller(Role.CHAIR)):
            again = await decision(client, decider, request, decision="reject", note="No")
            assert_problem(again, 409)
        assert again.json()["detail"] == "A hospitality request that is approved cannot be rejected"

    async def test_a_rejected_request_is_not_approved(self, client: AsyncClient, caller) -> None:
        request = await ask(client, await caller())
        coo = await caller(Role.COO)
        assert (await decision(client, coo, request, decision="reject", note="No")).status_code == 200
        assert_problem(await decision(client, await caller(Role.CEO), request, decision="approve"), 409)

    async def test_a_withdrawn_request_is_not_decided(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        request = await ask(client, teacher)
        assert (await withdraw(client, teacher, request)).status_code == 200
        assert_problem(await decision(client, await caller(Role.COO), request, decision="approve"), 409)

    async def test_a_decided_request_is_not_withdrawn(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        request = await ask(client, teacher)
        await approved(client, request, await caller(Role.COO))
        response = await withdraw(client, teacher, request)
        assert_problem(response, 409)
        assert response.json()["detail"] == "A hospitality request that is approved cannot be withdrawn"

    async def test_a_request_is_withdrawn_once(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        request = await ask(client, teacher)
        assert (await withdraw(client, teacher, request)).status_code == 200
        assert_problem(await withdraw(client, teacher, request), 409)

    async def test_no_outcome_before_the_event(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        request = await ask(client, teacher, event_date=days_from_today(1))
        await approved(client, request, await caller(Role.COO))
        response = await outcome(client, teacher, request, attended=True, actual_value_gbp="50.00")
        assert_problem(response, 409)
        assert "on or after the event's day" in response.json()["detail"]
        assert (await read(client, teacher, request)).json()["status"] == "approved"

    @pytest.mark.parametrize("state", ["submitted", "rejected", "withdrawn", "completed"])
    async def test_only_an_approved_request_gets_an_outcome(
        self, client: AsyncClient, caller, state: str
    ) -> None:
        teacher, coo = await caller(), await caller(Role.COO)
        request = await ask(client, teacher, event_date=days_from_today(0))
        if state == "rejected":
            assert (await decision(client, coo, request, decision="reject", note="No")).status_code == 200
        elif state == "withdrawn":
            assert (await withdraw(client, teacher, request)).status_code == 200
        elif state == "completed":
            await approved(client, request, coo)
            assert (await outcome(client, teacher, request, attended=False)).status_code == 200
        response = await outcome(client, teacher, request, attended=True, actual_value_gbp=10)
        assert_problem(response, 409)
        assert response.json()["detail"] == f"A hospitality request that is {state} cannot be completed"

    async def test_a_rejected_request_before_its_event_is_refused_for_its_state(
        self, client: AsyncClient, caller
    ) -> None:
        teacher = await caller()
        request = await ask(client, teacher, event_date=days_from_today(5))
        refused = await decision(client, await caller(Role.CEO), request, decision="reject", note="No")
        assert refused.status_code == 200
        response = await outcome(client, teacher, request, attended=False)
        assert_problem(response, 409)
        assert response.json()["detail"] == "A hospitality request that is rejected cannot be completed"

    async def test_a_completed_request_is_not_withdrawn(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        request = await ask(client, teacher, event_date=days_from_today(-1))
        await approved(client, request, await caller(Role.COO))
        assert (await outcome(client, teacher, request, attended=False)).status_code == 200
        assert_problem(await withdraw(client, teacher, request), 409)


class TestWithdrawing:
    @pytest.mark.parametrize("sent", [{"json": {}}, {"content": b""}, {"json": None}])
    async def test_the_requester_withdraws_with_an_empty_body_or_braces(
        self, client: AsyncClient, caller, sent: dict[str, Any]
    ) -> None:
        teacher = await caller()
        request = await ask(client, teacher)
        response = await withdraw(client, teacher, request, **sent)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "withdrawn" and response.json()["decided_by"] is None

    async def test_a_body_with_fields_is_a_422(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        request = await ask(client, teacher)
        assert_problem(await withdraw(client, teacher, request, json={"status": "withdrawn"}), 422)

    @pytest.mark.parametrize("role", [Role.COO, Role.GOVERNANCE_ADMIN])
    async def test_who_sees_it_may_not_withdraw_it(self, client: AsyncClient, caller, role: Role) -> None:
        request = await ask(client, await caller())
        response = await withdraw(client, await caller(role), request)
        assert_problem(response, 403)
        assert response.json()["detail"] == "Only the person who asked may withdraw this request"

    async def test_who_cannot_see_it_gets_404(self, client: AsyncClient, caller) -> None:
        request = await ask(client, await caller())
        assert_problem(await withdraw(client, await caller(Role.HR_DIRECTOR), request), 404)


class TestTheOutcome:
    async def test_after_the_event_the_requester_records_what_happened(
        self, client: AsyncClient, caller
    ) -> None:
        teacher = await caller()
        request = await ask(client, teacher, event_date=days_from_today(-2))
        await approved(client, request, await caller(Role.CHAIR))
        response = await outcome(client, teacher, request, attended=True, actual_value_gbp=55.5)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "completed" and body["attended"] is True
        assert body["actual_value_gbp"] == "55.50" and body["estimated_value_gbp"] == "60.00"

    async def test_the_event_day_is_the_trusts(self, client: AsyncClient, caller, fixed_clock) -> None:
        fixed_clock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
        teacher = await caller()
        request = await ask(client, teacher, event_date="2026-07-01")
        await approved(client, request, await caller(Role.COO))
        fixed_clock(LATE_SUMMER_EVENING_UTC - timedelta(hours=1))  # 23:30 on 30 June in London
        assert_problem(await outcome(client, teacher, request, attended=False), 409)
        fixed_clock(LATE_SUMMER_EVENING_UTC)  # 00:30 on 1 July in London, still 30 June in UTC
        response = await outcome(client, teacher, request, attended=False)
        assert response.status_code == 200 and response.json()["status"] == "completed"

    @pytest.mark.parametrize("value", [None, 0, "0.00"])
    async def test_not_attended_records_no_value(self, client: AsyncClient, caller, value: object) -> None:
        teacher = await caller()
        request = await ask(client, teacher, event_date=days_from_today(0))
        await approved(client, request, await caller(Role.COO))
        response = await outcome(client, teacher, request, attended=False, actual_value_gbp=value)
        assert response.status_code == 200, response.text
        assert response.json()["attended"] is False and response.json()["actual_value_gbp"] is None

    @pytest.mark.parametrize(
        "body",
        [{"attended": True}, {"attended": True, "actual_value_gbp": None}, {"attended": False,
         "actual_value_gbp": "5.00"}, {"actual_value_gbp": "5.00"}, {"attended": "yes",
         "actual_value_gbp": 5}, {"attended": True, "actual_value_gbp": -1},
         {"attended": True, "actual_value_gbp": 5, "status": "completed"}],
    )  # fmt: skip
    async def test_an_outcome_that_does_not_add_up_is_a_422(
        self, client: AsyncClient, caller, body: dict[str, Any]
    ) -> None:
        teacher = await caller()
        request = await ask(client, teacher, event_date=days_from_today(0))
        await approved(client, request, await caller(Role.COO))
        assert_problem(await outcome(client, teacher, request, **body), 422)
        assert (await read(client, teacher, request)).json()["status"] == "approved"

    @pytest.mark.parametrize("role", [Role.COO, Role.AUDITOR])
    async def test_who_sees_it_may_not_record_it(self, client: AsyncClient, caller, role: Role) -> None:
        request = await ask(client, await caller(), event_date=days_from_today(0))
        coo = await caller(Role.COO)
        await approved(client, request, coo)
        other = coo if role is Role.COO else await caller(role)
        response = await outcome(client, other, request, attended=False)
        assert_problem(response, 403)
        assert response.json()["detail"] == "Only the person who asked may record what happened at the event"

    async def test_who_cannot_see_it_gets_404(self, client: AsyncClient, caller) -> None:
        request = await ask(client, await caller(), event_date=days_from_today(0))
        await approved(client, request, await caller(Role.COO))
        assert_problem(await outcome(client, await caller(), request, attended=False), 404)


class TestWhoSeesHospitality:
    async def test_a_declarant_sees_their_own(self, client: AsyncClient, caller) -> None:
        alice, bob = await caller(), await caller()
        mine, theirs = await ask(client, alice), await ask(client, bob)
        listed = await client.get(REQUESTS, headers=alice.headers)
        assert listed.status_code == 200
        assert [r["id"] for r in listed.json()["items"]] == [mine["id"]] and listed.json()["total"] == 1
        assert_problem(await read(client, alice, theirs), 404)

    @pytest.mark.parametrize("role", READERS)
    async def test_the_deciders_clerk_and_auditors_see_every_request(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        request = await ask(client, await caller())
        reader = await caller(role)
        assert (await read(client, reader, request)).status_code == 200
        listed = await client.get(
            REQUESTS, params={"person_id": request["person_id"]}, headers=reader.headers
        )
        assert listed.status_code == 200 and [r["id"] for r in listed.json()["items"]] == [request["id"]]

    @pytest.mark.parametrize("role", NOT_READERS)
    async def test_others_see_only_their_own(self, client: AsyncClient, caller, role: Role) -> None:
        request = await ask(client, await caller())
        other = await caller(role)
        listed = await client.get(REQUESTS, params={"person_id": request["person_id"]}, headers=other.headers)
        assert listed.status_code == 200 and listed.json() == {"items": [], "total": 0}

    async def test_filters(self, client: AsyncClient, session: AsyncSession, caller) -> None:
        coo = await caller(Role.COO)
        school = (await make_school(session)).id
        teacher, central = await caller(school_id=school), await caller()
        march = await ask(client, teacher, event_date="2099-03-01")
        april = await ask(client, teacher, event_date="2099-04-01")
        elsewhere = await ask(client, central, event_date="2099-03-10")
        await approved(client, april, await caller(Role.CEO))

        async def ids(**params: str) -> list[str]:
            response = await client.get(REQUESTS, params=params, headers=coo.headers)
            assert response.status_code == 200, response.text
            return sorted(r["id"] for r in response.json()["items"])

        assert await ids(person_id=str(teacher.id)) == sorted([march["id"], april["id"]])
        assert await ids(school_id=str(school)) == sorted([march["id"], april["id"]])
        assert await ids(person_id=str(teacher.id), status="approved") == [april["id"]]
        assert await ids(date_from="2099-03-05", date_to="2099-03-31") == [elsewhere["id"]]
        assert await ids(person_id=str(teacher.id), date_to="2099-03-01") == [march["id"]]
        assert (
            await client.get(REQUESTS, params={"status": "pending"}, headers=coo.headers)
        ).status_code == 422


class TestTheAuditTrail:
    async def test_each_step_is_audited(self, client: AsyncClient, caller) -> None:
        teacher, coo, auditor = await caller(), await caller(Role.COO), await caller(Role.AUDITOR)
        request = await ask(client, teacher, event_date=days_from_today(0))
        await approved(client, request, coo)
        assert (
            await outcome(client, teacher, request, attended=True, actual_value_gbp=70)
        ).status_code == 200
        events = await trail(client, auditor, request)
        assert [(e["action"], e["actor_id"]) for e in events] == [
            ("hospitality_request.submitted", str(teacher.id)),
            ("hospitality_request.approved", str(coo.id)),
            ("hospitality_request.completed", str(teacher.id)),
        ]
        assert events[1]["before"]["status"] == "submitted" and events[1]["after"]["status"] == "approved"
        assert events[1]["after"]["decided_by"] == str(coo.id)
        assert events[2]["after"]["actual_value_pence"] == 7000 and events[2]["after"]["attended"] is True

    async def test_rejections_and_withdrawals_are_audited(self, client: AsyncClient, caller) -> None:
        teacher, ceo, auditor = await caller(), await caller(Role.CEO), await caller(Role.AUDITOR)
        refused, taken_back = await ask(client, teacher), await ask(client, teacher)
        assert (await decision(client, ceo, refused, decision="reject", note="Too lavish")).status_code == 200
        assert (await withdraw(client, teacher, taken_back)).status_code == 200
        rejected = (await trail(client, auditor, refused))[-1]
        assert rejected["action"] == "hospitality_request.rejected"
        assert rejected["after"]["decision_note"] == "Too lavish"
        withdrawn = (await trail(client, auditor, taken_back))[-1]
        assert withdrawn["action"] == "hospitality_request.withdrawn"
        assert withdrawn["actor_id"] == str(teacher.id)

    async def test_the_trail_says_whom_the_clerk_acted_for(self, client: AsyncClient, caller) -> None:
        teacher, clerk, auditor = (
            await caller(),
            await caller(Role.GOVERNANCE_ADMIN),
            await caller(Role.AUDITOR),
        )
        request = await ask(client, clerk, person_id=str(teacher.id))
        (submitted,) = await trail(client, auditor, request)
        assert submitted["actor_id"] == str(clerk.id) and submitted["after"]["acting_for"] == str(teacher.id)


async def trail(client: AsyncClient, auditor: Caller, request: dict[str, Any]) -> list[dict[str, Any]]:
    response = await client.get(
        "/api/v1/audit-events", params={"entity_id": request["id"]}, headers=auditor.headers
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


class TestTheRegisterForTheBoardPack:
    async def test_the_csv_lists_every_request_with_names_formula_safe(
        self, client: AsyncClient, caller
    ) -> None:
        teacher, coo = (
            await caller(full_name="Tess Teacher"),
            await caller(Role.COO, full_name="Olu Operations"),
        )
        request = await ask(client, teacher, provider_name='=HYPERLINK("x")', estimated_value_gbp="3.5",
                            invitation_type="personal", event_date=days_from_today(0))  # fmt: skip
        await approved(client, request, coo)
        assert (await outcome(client, teacher, request, attended=True, actual_value_gbp=4)).status_code == 200
        later = await ask(client, teacher, provider_name="-1+1", event_date=days_from_today(10))
        response = await client.get(
            f"{REQUESTS}.csv", params={"person_id": str(teacher.id)}, headers=coo.headers
        )
        assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"] == 'attachment; filename="hospitality-register.csv"'
        first, second = list(csv.DictReader(io.StringIO(response.text)))
        assert first["id"] == request["id"] and second["id"] == later["id"]
        assert first["requester"] == "Tess Teacher" and first["decided_by"] == "Olu Operations"
        assert first["provider_name"] == '\'=HYPERLINK("x")' and second["provider_name"] == "'-1+1"
        assert first["estimated_value_gbp"] == "3.50" and first["actual_value_gbp"] == "4.00"
        assert first["flags"] == "retrospective;personal_invitation" and first["status"] == "completed"
        assert first["attended"] == "true" and second["attended"] == "" and second["decided_by"] == ""

    @pytest.mark.parametrize("role", READERS)
    async def test_those_who_see_every_request_get_it(self, client: AsyncClient, caller, role: Role) -> None:
        response = await client.get(f"{REQUESTS}.csv", headers=(await caller(role)).headers)
        assert response.status_code == 200 and response.text.startswith("id,requester,")

    @pytest.mark.parametrize("role", [None, *NOT_READERS])
    async def test_it_is_for_those_who_see_every_request(self, client: AsyncClient, caller, role) -> None:
        who = await caller(role) if role else await caller()
        await ask(client, who)
        response = await client.get(f"{REQUESTS}.csv", headers=who.headers)
        assert_problem(response, 403)
        assert response.json()["detail"] == "The hospitality register is for those who keep or audit it"


class TestConcurrentDecisions:
    """Two people acting on one request at the same moment, each in a transaction that commits."""

    async def test_two_deciders_approving_at_once_give_one_200_and_one_409(
        self, app: FastAPI, fresh_db: Database
    ) -> None:
        async with fresh_db.session(write=True) as session:
            teacher = await make_person(session)
            ceo, coo = await make_person(session, Role.CEO), await make_person(session, Role.COO)
            auditor = await make_person(session, Role.AUDITOR)
        async with live_client(app, fresh_db) as http:
            for _ in range(3):
                created = await http.post(REQUESTS, json=body_of(), headers=bearer(teacher.id))
                assert created.status_code == 201, created.text
                path = f"{REQUESTS}/{created.json()['id']}"
                responses = await asyncio.gather(
                    *(http.post(f"{path}/decision", json={"decision": "approve"}, headers=bearer(who.id))
                      for who in (ceo, coo))
                )  # fmt: skip
                assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
                (winner,) = [r.json() for r in responses if r.status_code == 200]
                stored = await http.get(path, headers=bearer(auditor.id))
                assert stored.status_code == 200 and stored.json()["decided_by"] == winner["decided_by"]
                events = await http.get(
                    "/api/v1/audit-events", params={"entity_id": winner["id"]}, headers=bearer(auditor.id)
                )
                assert events.status_code == 200
                assert [e["action"] for e in events.json()["items"]] == [
                    "hospitality_request.submitted", "hospitality_request.approved"
                ]  # fmt: skip

    async def test_a_withdrawal_and_a_decision_at_once_give_one_200_and_one_409(
        self, app: FastAPI, fresh_db: Database
    ) -> None:
        async with fresh_db.session(write=True) as session:
            teacher, chair = await make_person(session), await make_person(session, Role.CHAIR)
        async with live_client(app, fresh_db) as http:
            created = await http.post(REQUESTS, json=body_of(), headers=bearer(teacher.id))
            assert created.status_code == 201, created.text
            path = f"{REQUESTS}/{created.json()['id']}"
            responses = await asyncio.gather(
                http.post(f"{path}/withdraw", headers=bearer(teacher.id)),
                http.post(f"{path}/decision", json={"decision": "approve"}, headers=bearer(chair.id)),
            )
            assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
            final = await http.get(path, headers=bearer(teacher.id))
            winner = next(r.json() for r in responses if r.status_code == 200)
            assert final.json()["status"] == winner["status"] in ("withdrawn", "approved")
