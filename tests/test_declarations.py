"""Annual declarations: the clerk opens a cycle; each person in scope confirms their interests once."""

import asyncio
import csv
import io
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Role
from app.core import clock
from app.core.db import Database
from app.declarations import service
from app.declarations.schemas import DeclarationState
from app.people.governance import GovernanceRole
from tests.factories import bearer, days_from_today, make_person
from tests.live import live_client

TRUSTEE = (GovernanceRole.TRUSTEE,)


async def open_cycle(client: AsyncClient, admin: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Annual declarations 2026/27",
        "opens_on": days_from_today(0),
        "due_on": days_from_today(30),
        "governance_roles": ["trustee"],
        **fields,
    }
    response = await client.post("/api/v1/declaration-cycles", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def submit(client: AsyncClient, who: Any, cycle: dict[str, Any], **fields: Any) -> Response:
    body = {"cycle_id": cycle["id"], "nil_return": False, "code_of_conduct_accepted": True, **fields}
    return await client.post("/api/v1/declarations", json=body, headers=who.headers)


async def submitted(client: AsyncClient, who: Any, cycle: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = await submit(client, who, cycle, **fields)
    assert response.status_code == 201, response.text
    return response.json()


async def declare(client: AsyncClient, who: Any, **fields: Any) -> dict[str, Any]:
    body = {"category": "directorship", "organisation_name": "Acme Supplies Ltd", "start_date": "2020-01-01"}
    response = await client.post("/api/v1/interests", json={**body, **fields}, headers=who.headers)
    assert response.status_code == 201, response.text
    return response.json()


async def cycle_status(client: AsyncClient, reader: Any, cycle: dict[str, Any], **params: str) -> Response:
    return await client.get(
        f"/api/v1/declaration-cycles/{cycle['id']}/status", params=params, headers=reader.headers
    )


async def status_csv(client: AsyncClient, reader: Any, cycle: dict[str, Any], **params: str) -> Response:
    return await client.get(
        f"/api/v1/declaration-cycles/{cycle['id']}/status.csv", params=params, headers=reader.headers
    )


def by_person(response: Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {item["person_id"]: item for item in response.json()["items"]}


class TestOpenCycle:
    async def test_the_clerk_opens_a_cycle_for_the_governance_roles_in_scope(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        cycle = await open_cycle(
            client, admin, opens_on="2026-09-01", due_on="2026-10-31", governance_roles=["trustee", "member"]
        )
        assert cycle["name"] == "Annual declarations 2026/27"
        assert cycle["opens_on"] == "2026-09-01" and cycle["due_on"] == "2026-10-31"
        assert sorted(cycle["governance_roles"]) == ["member", "trustee"]
        assert uuid.UUID(cycle["id"]) and cycle["created_at"]
        fetched = await client.get(f"/api/v1/declaration-cycles/{cycle['id']}", headers=admin.headers)
        assert fetched.status_code == 200 and fetched.json() == cycle
        trail = await client.get(
            "/api/v1/audit-events", params={"entity_id": cycle["id"]}, headers=admin.headers
        )
        [event] = trail.json()["items"]
        assert event["action"] == "declaration_cycle.opened" and event["actor_id"] == str(admin.id)

    async def test_opens_on_defaults_to_today(self, client: AsyncClient, caller, fixed_clock) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        pinned = datetime.now(UTC) + timedelta(days=20)
        fixed_clock(pinned)
        cycle = await open_cycle(client, admin, opens_on=None, due_on=days_from_today(10))
        assert cycle["opens_on"] == pinned.date().isoformat()

    @pytest.mark.parametrize(
        "role", [None, Role.AUDITOR, Role.FINANCE_DIRECTOR, Role.CEO, Role.CHAIR, Role.HR_DIRECTOR]
    )
    async def test_nobody_but_the_clerk_opens_a_cycle(
        self, client: AsyncClient, caller, role: Role | None
    ) -> None:
        actor = await caller(role) if role else await caller()
        body = {"name": "Rogue", "due_on": days_from_today(30), "governance_roles": ["trustee"]}
        response = await client.post("/api/v1/declaration-cycles", json=body, headers=actor.headers)
        assert response.status_code == 403
        # Authorisation is decided before the body is validated.
        invalid = await client.post("/api/v1/declaration-cycles", json={"status": "x"}, headers=actor.headers)
        assert invalid.status_code == 403

    async def test_due_on_before_opens_on_is_refused(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {
            "name": "Back to front",
            "opens_on": "2026-09-01",
            "due_on": "2026-08-31",
            "governance_roles": ["trustee"],
        }
        response = await client.post("/api/v1/declaration-cycles", json=body, headers=admin.headers)
        assert response.status_code == 422
        defaulted = {"name": "Due yesterday", "due_on": days_from_today(-1), "governance_roles": ["trustee"]}
        assert (
            await client.post("/api/v1/declaration-cycles", json=defaulted, headers=admin.headers)
        ).status_code == 422
        same_day = {**body, "due_on": "2026-09-01"}
        assert (
            await client.post("/api/v1/declaration-cycles", json=same_day, headers=admin.headers)
        ).status_code == 201

    @pytest.mark.parametrize(
        "field",
        [
            {"governance_roles": []},
            {"governance_roles": ["janitor"]},
            {"governance_roles": None},
            {"name": ""},
            {"name": "x" * 201},
            {"due_on": "next week"},
            {"status": "open"},
            {"created_at": "2026-01-01T00:00:00+00:00"},
            {"id": "00000000-0000-0000-0000-000000000001"},
        ],
    )
    async def test_a_bad_or_read_only_field_is_refused(
        self, client: AsyncClient, caller, field: dict[str, Any]
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"name": "Cycle", "due_on": days_from_today(30), "governance_roles": ["trustee"], **field}
        response = await client.post("/api/v1/declaration-cycles", json=body, headers=admin.headers)
        assert response.status_code == 422

    async def test_everyone_may_read_cycles_and_an_unknown_one_is_a_404(
        self, client: AsyncClient, caller
    ) -> None:
        admin, declarant = await caller(Role.GOVERNANCE_ADMIN), await caller()
        cycle = await open_cycle(client, admin)
        listed = await client.get("/api/v1/declaration-cycles", headers=declarant.headers)
        assert cycle["id"] in {c["id"] for c in listed.json()["items"]}
        missing = await client.get(f"/api/v1/declaration-cycles/{uuid.uuid4()}", headers=declarant.headers)
        assert missing.status_code == 404


class TestCycleStatus:
    async def test_each_person_in_scope_is_outstanding_until_they_submit(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        ann = await caller(governance_roles=TRUSTEE, full_name="Ann Able")
        bob = await caller(
            governance_roles=(GovernanceRole.TRUSTEE, GovernanceRole.MEMBER), full_name="Bob Best"
        )
        staff = await caller(governance_roles=(GovernanceRole.STAFF,))
        nobody = await caller()
        cycle = await open_cycle(client, admin)
        before = by_person(await cycle_status(client, admin, cycle))
        assert set(before) == {str(ann.id), str(bob.id)}
        assert {item["status"] for item in before.values()} == {"outstanding"}
        assert before[str(ann.id)]["full_name"] == "Ann Able"
        assert before[str(ann.id)]["declaration_id"] is None and before[str(ann.id)]["submitted_at"] is None
        assert str(staff.id) not in before and str(nobody.id) not in before

        declaration = await submitted(client, ann, cycle)
        after = by_person(await cycle_status(client, admin, cycle))
        assert after[str(ann.id)]["status"] == "submitted"
        assert after[str(ann.id)]["declaration_id"] == declaration["id"]
        assert after[str(ann.id)]["submitted_at"] is not None
        assert after[str(bob.id)]["status"] == "outstanding"
        assert (await cycle_status(client, admin, cycle)).json()["total"] == 2

    async def test_after_the_due_date_those_not_submitted_are_overdue(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        admin, auditor = await caller(Role.GOVERNANCE_ADMIN), await caller(Role.AUDITOR)
        ann, bob = await caller(governance_roles=TRUSTEE), await caller(governance_roles=TRUSTEE)
        cycle = await open_cycle(client, admin, due_on=days_from_today(10))
        await submitted(client, ann, cycle)
        fixed_clock(datetime.now(UTC) + timedelta(days=10))
        on_the_due_date = by_person(await cycle_status(client, admin, cycle))
        assert on_the_due_date[str(bob.id)]["status"] == "outstanding"
        fixed_clock(datetime.now(UTC) + timedelta(days=11))
        late = by_person(await cycle_status(client, auditor, cycle))
        assert late[str(ann.id)]["status"] == "submitted"
        assert late[str(bob.id)]["status"] == "overdue"

    async def test_the_status_filter_lists_only_that_status(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        people = [await caller(governance_roles=TRUSTEE) for _ in range(3)]
        cycle = await open_cycle(client, admin, due_on=days_from_today(5))
        await submitted(client, people[0], cycle)
        assert set(by_person(await cycle_status(client, admin, cycle, status="outstanding"))) == {
            str(people[1].id),
            str(people[2].id),
        }
        assert set(by_person(await cycle_status(client, admin, cycle, status="overdue"))) == set()
        fixed_clock(datetime.now(UTC) + timedelta(days=6))
        overdue = await cycle_status(client, admin, cycle, status="overdue")
        assert set(by_person(overdue)) == {str(people[1].id), str(people[2].id)}
        assert overdue.json()["total"] == 2
        assert set(by_person(await cycle_status(client, admin, cycle, status="submitted"))) == {
            str(people[0].id)
        }
        assert (await cycle_status(client, admin, cycle, status="lost")).status_code == 422

    async def test_inactive_people_are_not_listed_as_outstanding(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        active = await caller(governance_roles=TRUSTEE)
        gone = await caller(governance_roles=TRUSTEE, active=False)
        cycle = await open_cycle(client, admin)
        listed = by_person(await cycle_status(client, admin, cycle))
        assert str(active.id) in listed and str(gone.id) not in listed

    async def test_the_csv_lists_one_row_per_person_for_chasing(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        ann = await caller(governance_roles=TRUSTEE, full_name="Ann Able")
        bob = await caller(governance_roles=TRUSTEE, full_name="Bob Best")
        cycle = await open_cycle(client, admin, due_on=days_from_today(1))
        declaration = await submitted(client, ann, cycle)
        fixed_clock(datetime.now(UTC) + timedelta(days=2))
        response = await status_csv(client, admin, cycle)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        lines = response.text.splitlines()
        header, rows = lines[0].split(","), list(csv.DictReader(io.StringIO(response.text)))
        assert {"person_id", "full_name", "status", "declaration_id", "submitted_at"} <= set(header)
        assert len(rows) == 2 and len(lines) == 3
        by_id = {row["person_id"]: row for row in rows}
        assert by_id[str(ann.id)]["status"] == "submitted"
        assert by_id[str(ann.id)]["declaration_id"] == declaration["id"]
        assert by_id[str(bob.id)]["status"] == "overdue" and by_id[str(bob.id)]["full_name"] == "Bob Best"
        chasing = await status_csv(client, admin, cycle, status="overdue")
        assert [row["person_id"] for row in csv.DictReader(io.StringIO(chasing.text))] == [str(bob.id)]
        # The older ?format=csv (kept for existing scripts, not in the spec) gives the same download.
        legacy = await cycle_status(client, admin, cycle, format="csv", status="overdue")
        assert legacy.status_code == 200 and legacy.content == chasing.content
        assert legacy.headers["content-type"] == chasing.headers["content-type"] == "text/csv; charset=utf-8"

    async def test_an_unknown_format_is_a_422(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        cycle = await open_cycle(client, admin)
        assert (await cycle_status(client, admin, cycle, format="xlsx")).status_code == 422

    @pytest.mark.parametrize("role", [Role.GOVERNANCE_ADMIN, Role.AUDITOR])
    async def test_the_clerk_and_auditors_read_the_status(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        admin, reader = await caller(Role.GOVERNANCE_ADMIN), await caller(role)
        trustee = await caller(governance_roles=TRUSTEE)
        cycle = await open_cycle(client, admin)
        assert str(trustee.id) in by_person(await cycle_status(client, reader, cycle))
        assert (await status_csv(client, reader, cycle)).status_code == 200
        assert (await cycle_status(client, reader, cycle, format="csv")).status_code == 200

    @pytest.mark.parametrize("role", [None, Role.FINANCE_DIRECTOR, Role.CEO, Role.CHAIR, Role.HEADTEACHER])
    async def test_nobody_else_reads_the_status(self, client: AsyncClient, caller, role: Role | None) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        reader = (
            await caller(role, governance_roles=TRUSTEE) if role else await caller(governance_roles=TRUSTEE)
        )
        cycle = await open_cycle(client, admin)
        assert (await cycle_status(client, reader, cycle)).status_code == 403
        assert (await status_csv(client, reader, cycle)).status_code == 403
        assert (await cycle_status(client, reader, cycle, format="csv")).status_code == 403

    async def test_an_unknown_cycle_is_a_404(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        assert (await cycle_status(client, admin, {"id": str(uuid.uuid4())})).status_code == 404
        assert (await status_csv(client, admin, {"id": str(uuid.uuid4())})).status_code == 404

    async def test_the_counts_of_many_cycles_are_those_of_each_cycles_status(
        self, client: AsyncClient, session: AsyncSession, caller
    ) -> None:
        # The cycles page counts a page of cycles in one query; each count is what the cycle's own
        # status lists: declared (even by someone since out of scope), outstanding, overdue, and an
        # inactive person or one outside every cycle's roles nowhere.
        admin = await caller(Role.GOVERNANCE_ADMIN)
        ann, erin = await caller(governance_roles=TRUSTEE), await caller(governance_roles=TRUSTEE)
        await caller(governance_roles=(GovernanceRole.TRUSTEE, GovernanceRole.MEMBER))  # in two cycles
        dan = await caller(governance_roles=(GovernanceRole.MEMBER,))
        await caller(governance_roles=TRUSTEE, active=False)
        await caller(governance_roles=(GovernanceRole.STAFF,))
        trustees = await open_cycle(client, admin, name="Trustees")
        late = await open_cycle(
            client,
            admin,
            name="Members, past due",
            opens_on=days_from_today(-20),
            due_on=days_from_today(-10),
            governance_roles=["member"],
        )
        both = await open_cycle(client, admin, name="Both", governance_roles=["trustee", "member"])
        empty = await open_cycle(client, admin, name="Nobody", governance_roles=["local_governor"])
        await submitted(client, ann, trustees)
        await submitted(client, erin, trustees)
        await submitted(client, dan, late)
        stepped_down = await client.patch(
            f"/api/v1/people/{erin.id}", json={"governance_roles": []}, headers=admin.headers
        )
        assert stepped_down.status_code == 200, stepped_down.text
        cycles = [await service.get_cycle(session, uuid.UUID(c["id"])) for c in (trustees, late, both, empty)]

        counted = await service.counts(session, cycles)

        each = {}
        for cycle in cycles:
            found = Counter(item.status for item in await service.status(session, cycle.id, None))
            each[cycle.id] = {state: found[state] for state in DeclarationState}
        assert counted == each
        # Submitted, outstanding, overdue: the one in two roles counted once in "Both".
        assert [tuple(counted[c.id][state] for state in DeclarationState) for c in cycles] == [
            (2, 1, 0),
            (1, 0, 1),
            (0, 3, 0),
            (0, 0, 0),
        ]
        assert await service.counts(session, []) == {}


class TestSubmitDeclaration:
    async def test_the_code_of_conduct_must_be_accepted(self, client: AsyncClient, caller) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        cycle = await open_cycle(client, admin)
        refused = await submit(client, trustee, cycle, code_of_conduct_accepted=False)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["loc"] == ["body", "code_of_conduct_accepted"]
        missing = await client.post(
            "/api/v1/declarations",
            json={"cycle_id": cycle["id"], "nil_return": True},
            headers=trustee.headers,
        )
        assert missing.status_code == 422
        assert by_person(await cycle_status(client, admin, cycle))[str(trustee.id)]["status"] == "outstanding"

    async def test_a_nil_return_with_open_interests_is_refused(self, client: AsyncClient, caller) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        await declare(client, trustee)
        cycle = await open_cycle(client, admin)
        response = await submit(client, trustee, cycle, nil_return=True)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["body", "nil_return"]

    async def test_a_nil_return_without_open_interests_is_accepted(self, client: AsyncClient, caller) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        old = await declare(client, trustee)
        await client.post(
            f"/api/v1/interests/{old['id']}/end", json={"end_date": "2021-01-01"}, headers=trustee.headers
        )
        cycle = await open_cycle(client, admin)
        declaration = await submitted(client, trustee, cycle, nil_return=True)
        assert declaration["nil_return"] is True and declaration["interests"] == []
        assert declaration["person_id"] == str(trustee.id) and declaration["cycle_id"] == cycle["id"]
        assert declaration["code_of_conduct_accepted"] is True
        assert declaration["submitted_at"] and declaration["created_at"]

    async def test_the_declaration_is_a_snapshot_of_the_persons_open_interests(
        self, client: AsyncClient, caller
    ) -> None:
        admin, trustee, other = (
            await caller(Role.GOVERNANCE_ADMIN),
            await caller(governance_roles=TRUSTEE),
            await caller(governance_roles=TRUSTEE),
        )
        director = await declare(client, trustee, company_number="1234567")
        spouse = await declare(
            client,
            trustee,
            category="employment",
            holder="spouse_partner",
            holder_name="Al",
            relationship="husband",
        )
        ended = await declare(client, trustee, category="other", description="old")
        await client.post(
            f"/api/v1/interests/{ended['id']}/end", json={"end_date": "2021-01-01"}, headers=trustee.headers
        )
        await declare(client, other)
        cycle = await open_cycle(client, admin)
        declaration = await submitted(client, trustee, cycle)
        assert {i["id"] for i in declaration["interests"]} == {director["id"], spouse["id"]}
        snap = {i["id"]: i for i in declaration["interests"]}
        assert snap[director["id"]]["company_number"] == "01234567"
        assert snap[spouse["id"]]["holder_name"] == "Al" and snap[spouse["id"]]["end_date"] is None

    async def test_the_snapshot_does_not_change_when_an_interest_ends_later(
        self, client: AsyncClient, caller
    ) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        interest = await declare(client, trustee)
        cycle = await open_cycle(client, admin)
        declaration = await submitted(client, trustee, cycle)
        ended = await client.post(
            f"/api/v1/interests/{interest['id']}/end",
            json={"end_date": "2025-12-31"},
            headers=trustee.headers,
        )
        assert ended.status_code == 200
        fetched = await client.get(f"/api/v1/declarations/{declaration['id']}", headers=trustee.headers)
        assert fetched.status_code == 200
        assert fetched.json()["interests"] == declaration["interests"]
        assert fetched.json()["interests"][0]["end_date"] is None

    async def test_a_declaration_cannot_be_changed_or_deleted(self, client: AsyncClient, caller) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        cycle = await open_cycle(client, admin)
        declaration = await submitted(client, trustee, cycle, nil_return=True)
        path = f"/api/v1/declarations/{declaration['id']}"
        assert (
            await client.patch(path, json={"nil_return": False}, headers=admin.headers)
        ).status_code == 405
        assert (await client.delete(path, headers=admin.headers)).status_code == 405
        assert (await client.get(path, headers=trustee.headers)).json() == declaration

    async def test_a_second_submission_in_a_cycle_is_a_409(self, client: AsyncClient, caller) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        cycle = await open_cycle(client, admin)
        first = await submitted(client, trustee, cycle, nil_return=True)
        again = await submit(client, trustee, cycle, nil_return=True)
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        mine = await client.get("/api/v1/declarations", headers=trustee.headers)
        assert [d["id"] for d in mine.json()["items"]] == [first["id"]]
        # Another cycle is another year: a new declaration is due there.
        next_cycle = await open_cycle(client, admin, name="Next year")
        assert (await submit(client, trustee, next_cycle, nil_return=True)).status_code == 201

    async def test_someone_outside_the_cycles_scope_is_refused(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        staff = await caller(governance_roles=(GovernanceRole.STAFF,))
        no_appointment = await caller()
        cycle = await open_cycle(client, admin, governance_roles=["trustee", "member"])
        for outsider in (staff, no_appointment, admin):
            response = await submit(client, outsider, cycle, nil_return=True)
            assert response.status_code == 422
            assert response.json()["errors"][0]["loc"] == ["body", "cycle_id"]

    async def test_an_unknown_cycle_is_refused(self, client: AsyncClient, caller) -> None:
        trustee = await caller(governance_roles=TRUSTEE)
        response = await submit(client, trustee, {"id": str(uuid.uuid4())}, nil_return=True)
        assert response.status_code == 422

    async def test_a_late_submission_is_accepted(self, client: AsyncClient, caller, fixed_clock) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        cycle = await open_cycle(client, admin, due_on=days_from_today(3))
        pinned = datetime.now(UTC) + timedelta(days=30)
        fixed_clock(pinned)
        assert by_person(await cycle_status(client, admin, cycle))[str(trustee.id)]["status"] == "overdue"
        declaration = await submitted(client, trustee, cycle, nil_return=True)
        assert declaration["submitted_at"].startswith(pinned.date().isoformat())
        assert by_person(await cycle_status(client, admin, cycle))[str(trustee.id)]["status"] == "submitted"

    async def test_ended_interests_are_ended_on_submitting_and_left_out_of_the_snapshot(
        self, client: AsyncClient, caller
    ) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        kept = await declare(client, trustee, organisation_name="Kept Ltd")
        ended_today = await declare(client, trustee, organisation_name="Sold Ltd")
        ended_on_a_date = await declare(client, trustee, organisation_name="Left Ltd")
        cycle = await open_cycle(client, admin)
        declaration = await submitted(
            client,
            trustee,
            cycle,
            ended_interests=[
                {"interest_id": ended_today["id"]},
                {"interest_id": ended_on_a_date["id"], "end_date": "2024-08-31"},
            ],
        )
        assert [i["id"] for i in declaration["interests"]] == [kept["id"]]
        today = await client.get(f"/api/v1/interests/{ended_today['id']}", headers=trustee.headers)
        dated = await client.get(f"/api/v1/interests/{ended_on_a_date['id']}", headers=trustee.headers)
        assert today.json()["end_date"] == clock.today().isoformat()
        assert dated.json()["end_date"] == "2024-08-31"
        confirmed = await client.get(f"/api/v1/interests/{kept['id']}", headers=trustee.headers)
        assert confirmed.json()["end_date"] is None

    async def test_ending_every_interest_allows_a_nil_return(self, client: AsyncClient, caller) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        only = await declare(client, trustee)
        cycle = await open_cycle(client, admin)
        declaration = await submitted(
            client, trustee, cycle, nil_return=True, ended_interests=[{"interest_id": only["id"]}]
        )
        assert declaration["nil_return"] is True and declaration["interests"] == []

    @pytest.mark.parametrize("role", [None, Role.FINANCE_DIRECTOR])
    async def test_someone_elses_interest_in_ended_interests_is_refused_and_stays_open(
        self, client: AsyncClient, caller, role: Role | None
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        trustee = (
            await caller(role, governance_roles=TRUSTEE) if role else await caller(governance_roles=TRUSTEE)
        )
        other = await caller(governance_roles=TRUSTEE)
        theirs = await declare(client, other)
        cycle = await open_cycle(client, admin)
        for interest_id in (theirs["id"], str(uuid.uuid4())):
            response = await submit(client, trustee, cycle, ended_interests=[{"interest_id": interest_id}])
            assert response.status_code == 422
            assert response.json()["errors"][0]["loc"][:2] == ["body", "ended_interests"]
        kept = await client.get(f"/api/v1/interests/{theirs['id']}", headers=other.headers)
        assert kept.json()["end_date"] is None

    async def test_an_ended_interest_needs_a_valid_end_date(self, client: AsyncClient, caller) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        interest = await declare(client, trustee, start_date="2022-01-01")
        cycle = await open_cycle(client, admin)
        before_start = await submit(
            client,
            trustee,
            cycle,
            ended_interests=[{"interest_id": interest["id"], "end_date": "2021-12-31"}],
        )
        assert before_start.status_code == 422
        assert before_start.json()["errors"][0]["loc"][:2] == ["body", "ended_interests"]
        for bad in ({"interest_id": "nope"}, {"interest_id": interest["id"], "status": "ended"}, {}):
            assert (await submit(client, trustee, cycle, ended_interests=[bad])).status_code == 422

    async def test_an_interest_already_ended_cannot_be_ended_again_on_submitting(
        self, client: AsyncClient, caller
    ) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        interest = await declare(client, trustee)
        await client.post(
            f"/api/v1/interests/{interest['id']}/end",
            json={"end_date": "2023-01-01"},
            headers=trustee.headers,
        )
        cycle = await open_cycle(client, admin)
        response = await submit(client, trustee, cycle, ended_interests=[{"interest_id": interest["id"]}])
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"][:2] == ["body", "ended_interests"]
        kept = await client.get(f"/api/v1/interests/{interest['id']}", headers=trustee.headers)
        assert kept.json()["end_date"] == "2023-01-01"

    @pytest.mark.parametrize(
        "field",
        [
            {"status": "submitted"},
            {"created_at": "2026-01-01T00:00:00+00:00"},
            {"submitted_at": "2026-01-01T00:00:00+00:00"},
            {"interests": []},
            {"id": "00000000-0000-0000-0000-000000000001"},
            {"nil_return": "perhaps"},
        ],
    )
    async def test_read_only_unknown_or_bad_fields_are_refused(
        self, client: AsyncClient, caller, field: dict[str, Any]
    ) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        cycle = await open_cycle(client, admin)
        assert (await submit(client, trustee, cycle, **{"nil_return": True, **field})).status_code == 422
        assert (await submit(client, trustee, cycle, nil_return=True)).status_code == 201

    async def test_a_declarant_sending_someone_elses_person_id_is_refused(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        trustee, other = await caller(governance_roles=TRUSTEE), await caller(governance_roles=TRUSTEE)
        cycle = await open_cycle(client, admin)
        response = await submit(client, trustee, cycle, nil_return=True, person_id=str(other.id))
        assert response.status_code == 422
        assert by_person(await cycle_status(client, admin, cycle))[str(other.id)]["status"] == "outstanding"
        own = await submitted(client, trustee, cycle, nil_return=True, person_id=str(trustee.id))
        assert own["person_id"] == str(trustee.id)

    async def test_the_clerk_submits_for_someone_and_the_audit_records_who_for_whom(
        self, client: AsyncClient, caller
    ) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        interest = await declare(client, trustee)
        cycle = await open_cycle(client, admin)
        declaration = await submitted(client, admin, cycle, person_id=str(trustee.id))
        assert declaration["person_id"] == str(trustee.id)
        assert [i["id"] for i in declaration["interests"]] == [interest["id"]]
        mine = await client.get("/api/v1/declarations", headers=trustee.headers)
        assert [d["id"] for d in mine.json()["items"]] == [declaration["id"]]
        trail = await client.get(
            "/api/v1/audit-events",
            params={"entity_id": declaration["id"], "action": "declaration.submitted"},
            headers=admin.headers,
        )
        [event] = trail.json()["items"]
        assert event["actor_id"] == str(admin.id)
        assert event["after"]["acting_for"] == str(trustee.id)
        assert event["after"]["interest_ids"] == [interest["id"]]


class TestReadDeclarations:
    async def test_a_declarant_lists_their_own_history(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        trustee, other = await caller(governance_roles=TRUSTEE), await caller(governance_roles=TRUSTEE)
        last_year, this_year = (
            await open_cycle(client, admin, name="2025"),
            await open_cycle(client, admin, name="2026"),
        )
        mine = {(await submitted(client, trustee, c, nil_return=True))["id"] for c in (last_year, this_year)}
        theirs = await submitted(client, other, this_year, nil_return=True)
        listed = await client.get("/api/v1/declarations", headers=trustee.headers)
        assert {d["id"] for d in listed.json()["items"]} == mine and listed.json()["total"] == 2
        asked_for_theirs = await client.get(
            "/api/v1/declarations", params={"person_id": str(other.id)}, headers=trustee.headers
        )
        assert asked_for_theirs.json() == {"items": [], "total": 0}
        by_cycle = await client.get(
            "/api/v1/declarations", params={"cycle_id": last_year["id"]}, headers=trustee.headers
        )
        assert by_cycle.json()["total"] == 1
        assert theirs["id"] not in listed.text

    @pytest.mark.parametrize("role", [Role.GOVERNANCE_ADMIN, Role.AUDITOR])
    async def test_the_clerk_and_auditors_read_everyones(
        self, client: AsyncClient, caller, role: Role
    ) -> None:
        admin, reader = await caller(Role.GOVERNANCE_ADMIN), await caller(role)
        ann, bob = await caller(governance_roles=TRUSTEE), await caller(governance_roles=TRUSTEE)
        cycle = await open_cycle(client, admin)
        declarations = [await submitted(client, who, cycle, nil_return=True) for who in (ann, bob)]
        listed = await client.get(
            "/api/v1/declarations", params={"cycle_id": cycle["id"]}, headers=reader.headers
        )
        assert {d["id"] for d in listed.json()["items"]} == {d["id"] for d in declarations}
        only_bob = await client.get(
            "/api/v1/declarations", params={"person_id": str(bob.id)}, headers=reader.headers
        )
        assert [d["id"] for d in only_bob.json()["items"]] == [declarations[1]["id"]]
        for declaration in declarations:
            fetched = await client.get(f"/api/v1/declarations/{declaration['id']}", headers=reader.headers)
            assert fetched.status_code == 200 and fetched.json() == declaration

    @pytest.mark.parametrize("role", [None, Role.FINANCE_DIRECTOR, Role.CEO, Role.HR_DIRECTOR])
    async def test_anyone_else_gets_404_for_a_declaration_not_their_own(
        self, client: AsyncClient, caller, role: Role | None
    ) -> None:
        admin, trustee = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=TRUSTEE)
        prober = await caller(role) if role else await caller()
        cycle = await open_cycle(client, admin)
        declaration = await submitted(client, trustee, cycle, nil_return=True)
        real = await client.get(f"/api/v1/declarations/{declaration['id']}", headers=prober.headers)
        made_up = await client.get(f"/api/v1/declarations/{uuid.uuid4()}", headers=prober.headers)
        assert real.status_code == made_up.status_code == 404
        assert real.json() == made_up.json()
        listed = await client.get("/api/v1/declarations", headers=prober.headers)
        assert listed.json()["total"] == 0

    async def test_one_declarant_probing_anothers_ids_gets_404_every_time(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        owner, prober = await caller(governance_roles=TRUSTEE), await caller(governance_roles=TRUSTEE)
        interest = await declare(client, owner)
        cycle = await open_cycle(client, admin)
        declaration = await submitted(client, owner, cycle)
        probes = [
            client.get(f"/api/v1/interests/{interest['id']}", headers=prober.headers),
            client.post(f"/api/v1/interests/{interest['id']}/end", json={}, headers=prober.headers),
            client.post(
                f"/api/v1/interests/{interest['id']}/end",
                json={"end_date": "2030-01-01"},
                headers=prober.headers,
            ),
            client.get(f"/api/v1/declarations/{declaration['id']}", headers=prober.headers),
        ]
        for probe in probes:
            assert (await probe).status_code == 404
        still = await client.get(f"/api/v1/declarations/{declaration['id']}", headers=owner.headers)
        assert still.status_code == 200 and still.json()["interests"][0]["end_date"] is None

    async def test_an_id_that_is_not_a_uuid_is_a_422(self, client: AsyncClient, caller) -> None:
        response = await client.get("/api/v1/declarations/42", headers=(await caller()).headers)
        assert response.status_code == 422


class TestConcurrentSubmissions:
    async def test_two_submissions_at_once_give_one_201_and_one_409(
        self, app: FastAPI, fresh_db: Database
    ) -> None:
        async with fresh_db.session(write=True) as session:
            admin = await make_person(session, Role.GOVERNANCE_ADMIN)
            trustee = await make_person(session, governance_roles=TRUSTEE)
        async with live_client(app, fresh_db) as http:
            body = {"name": "Race", "due_on": days_from_today(30), "governance_roles": ["trustee"]}
            cycle = await http.post("/api/v1/declaration-cycles", json=body, headers=bearer(admin.id))
            assert cycle.status_code == 201, cycle.text
            declaration = {
                "cycle_id": cycle.json()["id"],
                "nil_return": True,
                "code_of_conduct_accepted": True,
            }
            responses = await asyncio.gather(
                *(
                    http.post("/api/v1/declarations", json=declaration, headers=bearer(trustee.id))
                    for _ in range(2)
                )
            )
            assert sorted(r.status_code for r in responses) == [201, 409]
            listed = await http.get("/api/v1/declarations", headers=bearer(admin.id))
            assert listed.json()["total"] == 1


class TestResubmittingAfterLeavingTheScope:
    async def test_someone_who_declared_and_then_stepped_down_gets_409_not_422(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        trustee = await caller(governance_roles=(GovernanceRole.TRUSTEE,))
        cycle = await open_cycle(client, admin)
        body = {"cycle_id": cycle["id"], "nil_return": True, "code_of_conduct_accepted": True}
        first = await client.post("/api/v1/declarations", json=body, headers=trustee.headers)
        assert first.status_code == 201, first.text
        stepped_down = await client.patch(
            f"/api/v1/people/{trustee.id}", json={"governance_roles": []}, headers=admin.headers
        )
        assert stepped_down.status_code == 200
        again = await client.post("/api/v1/declarations", json=body, headers=trustee.headers)
        assert again.status_code == 409
