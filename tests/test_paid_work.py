"""Additional paid work (the contract's "Additional paid work"): disclosed to the headteacher of the
person's school; central staff's and headteachers' to the COO, the COO's to the CEO, the CEO's to
the Chair; the reviewer acknowledges it or raises a concern, and nobody reviews their own."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Role
from app.core import clock
from tests.factories import Caller, make_school

PAID_WORK = "/api/v1/paid-work"


async def disclose(client: AsyncClient, who: Caller, **fields: Any) -> dict[str, Any]:
    body = {"employer": "Riverside College", "role": "Evening class tutor", "hours_per_week": 4, **fields}
    response = await client.post(PAID_WORK, json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def review(client: AsyncClient, who: Caller, paid_work: dict[str, Any], **body: Any) -> Response:
    return await client.post(f"{PAID_WORK}/{paid_work['id']}/review", json=body, headers=who.headers)


async def read(client: AsyncClient, who: Caller, paid_work: dict[str, Any]) -> Response:
    return await client.get(f"{PAID_WORK}/{paid_work['id']}", headers=who.headers)


@pytest.fixture
async def hillside(session: AsyncSession) -> uuid.UUID:
    return (await make_school(session, "Hillside Primary")).id


@pytest.fixture
async def valley(session: AsyncSession) -> uuid.UUID:
    return (await make_school(session, "Valley Academy")).id


class TestWhatIsDisclosed:
    async def test_paid_work_is_disclosed_with_every_field(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        paid_work = await disclose(
            client, teacher, employer="Riverside College", role="Tutor", hours_per_week=7.5,
            start_date="2026-09-01", end_date="2027-07-31", description="GCSE maths, Tuesday evenings",
            potential_conflict="Some of our pupils may enrol",
        )  # fmt: skip
        assert paid_work["person_id"] == str(teacher.id) and paid_work["status"] == "submitted"
        assert paid_work["employer"] == "Riverside College" and paid_work["role"] == "Tutor"
        assert paid_work["hours_per_week"] == 7.5
        assert paid_work["start_date"] == "2026-09-01" and paid_work["end_date"] == "2027-07-31"
        assert paid_work["description"] == "GCSE maths, Tuesday evenings"
        assert paid_work["potential_conflict"] == "Some of our pupils may enrol"
        assert paid_work["decided_by"] is None and paid_work["decided_at"] is None
        assert paid_work["decision_note"] is None and paid_work["created_at"] and paid_work["submitted_at"]
        assert "flags" not in paid_work

    async def test_it_starts_on_the_trusts_today_unless_told(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        # 23:30 UTC on a British Summer Time date is already the next day at the trust.
        fixed_clock(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
        paid_work = await disclose(client, await caller())
        assert paid_work["start_date"] == "2026-07-01" == clock.today().isoformat()
        assert paid_work["end_date"] is None and paid_work["potential_conflict"] is None
        assert paid_work["description"] is None

    async def test_a_blank_potential_conflict_is_none_stated(self, client: AsyncClient, caller) -> None:
        paid_work = await disclose(client, await caller(), potential_conflict="  ")
        assert paid_work["potential_conflict"] is None

    @pytest.mark.parametrize("hours", [0.01, 12.25, 168, 3])
    async def test_hours_are_a_number_of_at_most_two_places(self, client: AsyncClient, caller, hours) -> None:
        teacher = await caller()
        paid_work = await disclose(client, teacher, hours_per_week=hours)
        assert paid_work["hours_per_week"] == hours
        again = await read(client, teacher, paid_work)
        assert again.status_code == 200 and again.json()["hours_per_week"] == hours

    @pytest.mark.parametrize("hours", [0, -1, 168.01, 200, 1.001, 0.005, "7.5", True, None])
    async def test_bad_hours_are_a_422(self, client: AsyncClient, caller, hours: object) -> None:
        body = {"employer": "E", "role": "R", "hours_per_week": hours}
        assert (await client.post(PAID_WORK, json=body, headers=(await caller()).headers)).status_code == 422

    @pytest.mark.parametrize("missing", ["employer", "role", "hours_per_week"])
    async def test_employer_role_and_hours_are_required(
        self, client: AsyncClient, caller, missing: str
    ) -> None:
        body = {"employer": "E", "role": "R", "hours_per_week": 2}
        del body[missing]
        assert (await client.post(PAID_WORK, json=body, headers=(await caller()).headers)).status_code == 422

    async def test_it_cannot_end_before_it_starts(self, client: AsyncClient, caller) -> None:
        teacher = await caller()
        body = {"employer": "E", "role": "R", "hours_per_week": 2}
        early = {**body, "start_date": "2026-09-01", "end_date": "2026-08-31"}
        response = await client.post(PAID_WORK, json=early, headers=teacher.headers)
        assert response.status_code == 422 and response.json()["errors"][0]["loc"] == ["body", "end_date"]
        yesterday = (clock.today() - timedelta(days=1)).isoformat()
        before_today = await client.post(
            PAID_WORK, json={**body, "end_date": yesterday}, headers=teacher.headers
        )
        assert before_today.status_code == 422
        one_day = await disclose(client, teacher, start_date="2026-09-01", end_date="2026-09-01")
        assert one_day["end_date"] == "2026-09-01"

    @pytest.mark.parametrize(
        "field", ["status", "decided_by", "decided_at", "decision_note", "id", "created_at", "submitted_at",
                  "flags"],
    )  # fmt: skip
    async def test_server_owned_fields_are_refused(self, client: AsyncClient, caller, field: str) -> None:
        body = {"employer": "E", "role": "R", "hours_per_week": 2, field: None}
        assert (await client.post(PAID_WORK, json=body, headers=(await caller()).headers)).status_code == 422

    async def test_only_the_clerk_discloses_for_someone_else(self, client: AsyncClient, caller) -> None:
        teacher, colleague, clerk = await caller(), await caller(), await caller(Role.GOVERNANCE_ADMIN)
        body = {"employer": "E", "role": "R", "hours_per_week": 2, "person_id": str(teacher.id)}
        assert (await client.post(PAID_WORK, json=body, headers=colleague.headers)).status_code == 422
        for_teacher = await disclose(client, clerk, person_id=str(teacher.id))
        assert for_teacher["person_id"] == str(teacher.id)
        assert (await read(client, teacher, for_teacher)).status_code == 200


class TestWhoReviews:
    async def test_a_teachers_paid_work_reaches_their_own_headteacher_and_no_other(
        self, client: AsyncClient, caller, hillside: uuid.UUID, valley: uuid.UUID
    ) -> None:
        teacher = await caller(school_id=hillside)
        own_head, other_head = (
            await caller(Role.HEADTEACHER, school_id=hillside),
            await caller(Role.HEADTEACHER, school_id=valley),
        )
        paid_work = await disclose(client, teacher)
        assert (await read(client, other_head, paid_work)).status_code == 404
        assert (await review(client, other_head, paid_work, outcome="acknowledged")).status_code == 404
        assert (await read(client, own_head, paid_work)).status_code == 200
        response = await review(
            client, own_head, paid_work, outcome="acknowledged", note="Fine; outside hours"
        )
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "acknowledged" and body["decided_by"] == str(own_head.id)
        assert body["decided_at"] and body["decision_note"] == "Fine; outside hours"

    async def test_the_coo_sees_a_teachers_paid_work_but_does_not_review_it(
        self, client: AsyncClient, caller, hillside: uuid.UUID
    ) -> None:
        await caller(Role.HEADTEACHER, school_id=hillside)
        paid_work = await disclose(client, await caller(school_id=hillside))
        coo = await caller(Role.COO)
        assert (await read(client, coo, paid_work)).status_code == 200
        response = await review(client, coo, paid_work, outcome="acknowledged")
        assert response.status_code == 403 and "headteacher" in response.json()["detail"]

    async def test_a_school_with_no_headteacher_passes_it_to_the_coo(
        self, client: AsyncClient, caller, hillside: uuid.UUID
    ) -> None:
        paid_work = await disclose(client, await caller(school_id=hillside))
        response = await review(client, await caller(Role.COO), paid_work, outcome="acknowledged")
        assert response.status_code == 200 and response.json()["status"] == "acknowledged"

    @pytest.mark.parametrize("headteacher", [True, False], ids=["a headteacher", "central staff"])
    async def test_a_headteachers_and_central_staffs_go_to_the_coo(
        self, client: AsyncClient, caller, hillside: uuid.UUID, headteacher: bool
    ) -> None:
        discloser = await caller(Role.HEADTEACHER, school_id=hillside) if headteacher else await caller()
        paid_work = await disclose(client, discloser)
        fellow_head = await caller(Role.HEADTEACHER, school_id=hillside)
        # A headteacher sees the paid work of their own school's people (a fellow headteacher's too)
        # but reviews none of a headteacher's: 403. Central staff's they do not see at all: 404.
        refused = await review(client, fellow_head, paid_work, outcome="acknowledged")
        assert refused.status_code == (403 if headteacher else 404)
        ceo = await caller(Role.CEO)
        assert (await review(client, ceo, paid_work, outcome="acknowledged")).status_code == 404
        response = await review(client, await caller(Role.COO), paid_work, outcome="acknowledged")
        assert response.status_code == 200 and response.json()["status"] == "acknowledged"

    async def test_the_coos_goes_to_the_ceo(self, client: AsyncClient, caller) -> None:
        paid_work = await disclose(client, await caller(Role.COO))
        another_coo = await caller(Role.COO)
        refused = await review(client, another_coo, paid_work, outcome="acknowledged")
        assert refused.status_code == 403 and "Chief Executive" in refused.json()["detail"]
        assert (
            await review(client, await caller(Role.CHAIR), paid_work, outcome="acknowledged")
        ).status_code == 404
        response = await review(client, await caller(Role.CEO), paid_work, outcome="acknowledged")
        assert response.status_code == 200 and response.json()["status"] == "acknowledged"

    async def test_the_ceos_goes_to_the_chair(self, client: AsyncClient, caller) -> None:
        paid_work = await disclose(client, await caller(Role.CEO))
        refused = await review(client, await caller(Role.COO), paid_work, outcome="acknowledged")
        assert refused.status_code == 403 and "Chair" in refused.json()["detail"]
        assert (
            await review(client, await caller(Role.CEO), paid_work, outcome="acknowledged")
        ).status_code == 404
        response = await review(client, await caller(Role.CHAIR), paid_work, outcome="acknowledged")
        assert response.status_code == 200 and response.json()["status"] == "acknowledged"

    @pytest.mark.parametrize("role", [Role.COO, Role.CEO, Role.CHAIR])
    async def test_nobody_reviews_their_own(self, client: AsyncClient, caller, role: Role) -> None:
        reviewer = await caller(role)
        paid_work = await disclose(client, reviewer)
        response = await review(client, reviewer, paid_work, outcome="acknowledged")
        assert response.status_code == 403 and "own" in response.json()["detail"]

    async def test_a_headteacher_does_not_review_their_own(
        self, client: AsyncClient, caller, hillside
    ) -> None:
        head = await caller(Role.HEADTEACHER, school_id=hillside)
        paid_work = await disclose(client, head)
        response = await review(client, head, paid_work, outcome="acknowledged")
        assert response.status_code == 403 and "own" in response.json()["detail"]

    @pytest.mark.parametrize("role", [Role.GOVERNANCE_ADMIN, Role.AUDITOR])
    async def test_the_clerk_and_auditors_see_it_but_do_not_review_it(
        self, client: AsyncClient, caller, hillside: uuid.UUID, role: Role
    ) -> None:
        paid_work = await disclose(client, await caller(school_id=hillside))
        reader = await caller(role)
        assert (await read(client, reader, paid_work)).status_code == 200
        response = await review(client, reader, paid_work, outcome="acknowledged")
        assert response.status_code == 403 and "headteacher" in response.json()["detail"]

    async def test_a_concern_needs_a_note(self, client: AsyncClient, caller, hillside: uuid.UUID) -> None:
        paid_work = await disclose(client, await caller(school_id=hillside))
        head = await caller(Role.HEADTEACHER, school_id=hillside)
        for body in ({"outcome": "concern"}, {"outcome": "concern", "note": "  "}):
            assert (await review(client, head, paid_work, **body)).status_code == 422
        assert (await review(client, head, paid_work, outcome="approve")).status_code == 422
        response = await review(client, head, paid_work, outcome="concern", note="Clashes with Tuesday clubs")
        assert response.status_code == 200
        assert response.json()["status"] == "concern_raised"
        assert response.json()["decision_note"] == "Clashes with Tuesday clubs"

    async def test_it_is_reviewed_once(self, client: AsyncClient, caller, hillside: uuid.UUID) -> None:
        paid_work = await disclose(client, await caller(school_id=hillside))
        head = await caller(Role.HEADTEACHER, school_id=hillside)
        deputy_head = await caller(Role.HEADTEACHER, school_id=hillside)
        assert (await review(client, head, paid_work, outcome="acknowledged")).status_code == 200
        again = await review(client, deputy_head, paid_work, outcome="concern", note="Too many hours")
        assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
        assert (await read(client, head, paid_work)).json()["status"] == "acknowledged"


class TestTheTrail:
    @pytest.mark.parametrize(
        ("outcome", "note", "action", "status"),
        [("acknowledged", None, "paid_work.acknowledged", "acknowledged"),
         ("concern", "Competes with our own tutoring", "paid_work.concern_raised", "concern_raised")],
    )  # fmt: skip
    async def test_disclosure_and_review_are_audited(
        self, client: AsyncClient, caller, hillside: uuid.UUID, outcome: str, note: str | None, action: str,
        status: str,
    ) -> None:  # fmt: skip
        teacher = await caller(school_id=hillside)
        head, auditor = await caller(Role.HEADTEACHER, school_id=hillside), await caller(Role.AUDITOR)
        paid_work = await disclose(client, teacher, hours_per_week=7.5)
        assert (await review(client, head, paid_work, outcome=outcome, note=note)).status_code == 200
        trail = await client.get(
            "/api/v1/audit-events", params={"entity_id": paid_work["id"]}, headers=auditor.headers
        )
        assert trail.status_code == 200
        events = trail.json()["items"]
        assert [e["action"] for e in events] == ["paid_work.submitted", action]
        assert events[0]["actor_id"] == str(teacher.id) and events[1]["actor_id"] == str(head.id)
        assert events[0]["after"]["hours_per_week"] == "7.50" and events[0]["after"]["status"] == "submitted"
        assert events[1]["before"]["status"] == "submitted" and events[1]["after"]["status"] == status
        assert (
            events[1]["after"]["decided_by"] == str(head.id) and events[1]["after"]["decision_note"] == note
        )

    async def test_the_clerk_acting_for_someone_is_the_actor(self, client: AsyncClient, caller) -> None:
        teacher, clerk = await caller(), await caller(Role.GOVERNANCE_ADMIN)
        paid_work = await disclose(client, clerk, person_id=str(teacher.id))
        trail = await client.get(
            "/api/v1/audit-events", params={"entity_id": paid_work["id"]}, headers=clerk.headers
        )
        assert trail.status_code == 200
        (event,) = trail.json()["items"]
        assert event["actor_id"] == str(clerk.id) and event["after"]["person_id"] == str(teacher.id)


class TestWhoSeesPaidWork:
    async def test_a_declarant_sees_only_their_own(self, client: AsyncClient, caller, hillside) -> None:
        alice, bob = await caller(school_id=hillside), await caller(school_id=hillside)
        mine, theirs = await disclose(client, alice), await disclose(client, bob)
        listed = await client.get(PAID_WORK, headers=alice.headers)
        assert listed.status_code == 200
        assert [p["id"] for p in listed.json()["items"]] == [mine["id"]] and listed.json()["total"] == 1
        assert (await read(client, alice, theirs)).status_code == 404

    async def test_a_headteacher_lists_their_schools_staff_and_their_own(
        self, client: AsyncClient, caller, hillside: uuid.UUID, valley: uuid.UUID
    ) -> None:
        head = await caller(Role.HEADTEACHER, school_id=hillside)
        own = await disclose(client, head)
        staff = await disclose(client, await caller(school_id=hillside))
        # A fellow headteacher's is the COO's to review, but it is their school's: seen.
        fellow = await disclose(client, await caller(Role.HEADTEACHER, school_id=hillside))
        await disclose(client, await caller(school_id=valley))
        await disclose(client, await caller())
        listed = await client.get(PAID_WORK, headers=head.headers)
        assert listed.status_code == 200
        assert {p["id"] for p in listed.json()["items"]} == {own["id"], staff["id"], fellow["id"]}

    @pytest.mark.parametrize(
        ("reader", "sees"), [(Role.CEO, "coo"), (Role.CHAIR, "ceo"), (Role.COO, "everyone")]
    )
    async def test_reviewers_above_see_what_they_review(
        self, client: AsyncClient, caller, hillside: uuid.UUID, reader: Role, sees: str
    ) -> None:
        by = {
            "coo": await disclose(client, await caller(Role.COO)),
            "ceo": await disclose(client, await caller(Role.CEO)),
            "teacher": await disclose(client, await caller(school_id=hillside)),
        }
        listed = await client.get(PAID_WORK, params={"limit": 200}, headers=(await caller(reader)).headers)
        assert listed.status_code == 200
        expected = {p["id"] for p in by.values()} if sees == "everyone" else {by[sees]["id"]}
        assert {p["id"] for p in listed.json()["items"]} == expected

    async def test_filters(self, client: AsyncClient, caller, hillside: uuid.UUID, valley: uuid.UUID) -> None:
        coo, head = await caller(Role.COO), await caller(Role.HEADTEACHER, school_id=hillside)
        teacher = await caller(school_id=hillside)
        march = await disclose(client, teacher, start_date="2026-03-01")
        april = await disclose(client, teacher, start_date="2026-04-01")
        elsewhere = await disclose(client, await caller(school_id=valley), start_date="2026-03-01")
        assert (await review(client, head, april, outcome="acknowledged")).status_code == 200

        async def ids(**params: str) -> set[str]:
            response = await client.get(PAID_WORK, params={"limit": "200", **params}, headers=coo.headers)
            assert response.status_code == 200, response.text
            return {p["id"] for p in response.json()["items"]}

        mine = {"person_id": str(teacher.id)}
        assert await ids(**mine) == {march["id"], april["id"]}
        assert await ids(**mine, status="acknowledged") == {april["id"]}
        assert await ids(**mine, status="submitted") == {march["id"]}
        assert await ids(**mine, date_from="2026-03-15") == {april["id"]}
        assert await ids(**mine, date_to="2026-03-15") == {march["id"]}
        assert await ids(school_id=str(valley)) == {elsewhere["id"]}
        assert await ids(school_id=str(hillside), date_to="2026-03-01") == {march["id"]}

    @pytest.mark.parametrize("params", [{"status": "approved"}, {"date_from": "1 March"}, {"limit": "0"}])
    async def test_bad_filters_are_a_422(self, client: AsyncClient, caller, params: dict[str, str]) -> None:
        assert (
            await client.get(PAID_WORK, params=params, headers=(await caller()).headers)
        ).status_code == 422
