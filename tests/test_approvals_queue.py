"""The approver's queue (contract: "Settings and the approver's queue"): everything the caller may
decide now, oldest submission first, never their own."""

from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import AsyncClient

from app.auth.permissions import Role
from tests.factories import Caller

PENDING = "/api/v1/approvals/pending"


async def gift(client: AsyncClient, who: Caller, value: str, **fields: Any) -> dict[str, Any]:
    body = {"donor_name": "Sam Supplier", "donor_organisation": fields.pop("donor", "Acme Ltd"),
            "description": "A hamper", "value_gbp": value, "accepted": True, **fields}  # fmt: skip
    response = await client.post("/api/v1/gifts", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def queue(client: AsyncClient, who: Caller, **params: Any) -> dict[str, Any]:
    response = await client.get(PENDING, params=params, headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


class TestTheQueue:
    async def test_a_decider_sees_what_waits_for_them_oldest_first(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        teacher = await caller(full_name="Tess Teacher")
        fixed_clock(start)
        first = await gift(client, teacher, "80.00", donor="First Co")
        fixed_clock(start + timedelta(hours=1))
        await gift(client, teacher, "5.00", donor="Token Co")  # a small token: recorded, not waiting
        second = await gift(client, teacher, "5.00", donor="Cash Co", is_cash=True)
        hr = await caller(Role.HR_DIRECTOR)
        found = await queue(client, hr)
        assert found["total"] == 2
        assert [i["id"] for i in found["items"]] == [first["id"], second["id"]]
        item = found["items"][0]
        assert item["kind"] == "gift" and item["person_id"] == str(teacher.id)
        assert item["person_name"] == "Tess Teacher" and item["flags"] == ["over_token_limit"]
        assert item["summary"] == "Gift from First Co: A hamper (£80.00)"
        assert datetime.fromisoformat(item["submitted_at"]) == start
        assert found["items"][1]["flags"] == ["cash"]

    async def test_decided_records_leave_the_queue(self, client: AsyncClient, caller) -> None:
        waiting = await gift(client, await caller(), "90.00")
        finance = await caller(Role.FINANCE_DIRECTOR)
        assert (await queue(client, finance))["total"] == 1
        decided = await client.post(
            f"/api/v1/gifts/{waiting['id']}/decision", json={"decision": "approve"}, headers=finance.headers
        )
        assert decided.status_code == 200
        assert await queue(client, finance) == {"items": [], "total": 0}

    async def test_never_ones_own(self, client: AsyncClient, caller) -> None:
        hr = await caller(Role.HR_DIRECTOR)
        await gift(client, hr, "90.00")
        assert (await queue(client, hr))["total"] == 0
        assert (await queue(client, await caller(Role.FINANCE_DIRECTOR)))["total"] == 1

    async def test_someone_who_decides_nothing_has_an_empty_queue(self, client: AsyncClient, caller) -> None:
        await gift(client, await caller(), "90.00")
        for role in (None, Role.AUDITOR, Role.GOVERNANCE_ADMIN, Role.HEADTEACHER):
            who = await caller(role) if role else await caller()
            assert await queue(client, who) == {"items": [], "total": 0}

    async def test_paging(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        made = [await gift(client, teacher, "90.00", donor=f"Donor {n}") for n in range(3)]
        hr = await caller(Role.HR_DIRECTOR)
        page = await queue(client, hr, limit=2, offset=1)
        assert page["total"] == 3 and [i["id"] for i in page["items"]] == [m["id"] for m in made[1:]]
        assert (await client.get(PENDING, params={"limit": 0}, headers=hr.headers)).status_code == 422


async def paid_work(client: AsyncClient, who: Caller) -> dict[str, Any]:
    body = {"employer": "Evening College", "role": "Tutor", "hours_per_week": 4.5}
    response = await client.post("/api/v1/paid-work", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestPaidWorkInTheQueue:
    async def test_a_teachers_paid_work_waits_for_their_own_headteacher_only(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        schools = []
        for name in ("Hillside Primary", "Valley Academy"):
            made = await client.post("/api/v1/schools", json={"name": name}, headers=admin.headers)
            assert made.status_code == 201
            schools.append(made.json()["id"])
        teacher = await caller(school_id=schools[0], full_name="Tom Teacher")
        head, other_head = (
            await caller(Role.HEADTEACHER, school_id=schools[0]),
            await caller(Role.HEADTEACHER, school_id=schools[1]),
        )
        work = await paid_work(client, teacher)
        found = await queue(client, head)
        assert [i["id"] for i in found["items"]] == [work["id"]]
        assert found["items"][0]["kind"] == "paid_work"
        assert found["items"][0]["summary"] == "Paid work: Tutor at Evening College, 4.5 hours a week"
        assert await queue(client, other_head) == {"items": [], "total": 0}
        assert await queue(client, await caller(Role.COO)) == {"items": [], "total": 0}

    async def test_central_staffs_goes_to_the_coo(self, client: AsyncClient, caller) -> None:
        work = await paid_work(client, await caller())
        found = await queue(client, await caller(Role.COO))
        assert [i["id"] for i in found["items"]] == [work["id"]]


class TestHospitalityInTheQueue:
    async def test_the_ceos_own_waits_for_the_chair_not_the_coo(self, client: AsyncClient, caller) -> None:
        ceo, coo, chair = await caller(Role.CEO), await caller(Role.COO), await caller(Role.CHAIR)
        body = {"provider_name": "Pat Provider", "provider_organisation": "Bank plc",
                "event_description": "Box at the rugby", "event_date": "2099-03-14",
                "estimated_value_gbp": "250.00", "invitation_type": "personal",
                "business_justification": "None"}  # fmt: skip
        made = await client.post("/api/v1/hospitality-requests", json=body, headers=ceo.headers)
        assert made.status_code == 201, made.text
        found = await queue(client, chair)
        assert [i["id"] for i in found["items"]] == [made.json()["id"]]
        assert found["items"][0]["kind"] == "hospitality" and found["items"][0]["flags"] == [
            "personal_invitation"
        ]
        assert (
            found["items"][0]["summary"]
            == "Hospitality from Bank plc on 14 March 2099: Box at the rugby (about £250.00)"
        )
        assert await queue(client, coo) == {"items": [], "total": 0}
        assert await queue(client, ceo) == {"items": [], "total": 0}
