"""The trust's policy values (contract: "Settings"): everyone signed in reads them, the governance
clerk changes them, every change is audited."""

import pytest
from httpx import AsyncClient

from app.auth.permissions import Role

SETTINGS = "/api/v1/settings"
DEFAULTS = {
    "trust_name": "",
    "gift_token_limit_gbp": "25.00",
    "conflict_similarity_threshold": 0.92,
    "rpt_approval_threshold_gbp": "40000.00",
}


class TestReading:
    async def test_everyone_signed_in_reads_the_defaults(self, client: AsyncClient, caller) -> None:
        response = await client.get(SETTINGS, headers=(await caller()).headers)
        assert response.status_code == 200 and response.json() == DEFAULTS

    async def test_anonymous_is_a_401(self, client: AsyncClient) -> None:
        assert (await client.get(SETTINGS)).status_code == 401


class TestChanging:
    async def test_the_clerk_changes_only_what_is_sent(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.patch(
            SETTINGS,
            json={"trust_name": "Hillside Learning Trust", "gift_token_limit_gbp": 30},
            headers=admin.headers,
        )
        assert response.status_code == 200
        assert response.json() == {
            **DEFAULTS,
            "trust_name": "Hillside Learning Trust",
            "gift_token_limit_gbp": "30.00",
        }
        again = await client.get(SETTINGS, headers=(await caller()).headers)
        assert again.json() == response.json()

    @pytest.mark.parametrize("role", [None, Role.AUDITOR, Role.FINANCE_DIRECTOR, Role.CEO])
    async def test_nobody_else_changes_them(self, client: AsyncClient, caller, role) -> None:
        who = await caller(role) if role else await caller()
        response = await client.patch(SETTINGS, json={"gift_token_limit_gbp": "1000.00"}, headers=who.headers)
        assert response.status_code == 403

    @pytest.mark.parametrize(
        "body",
        [
            {"gift_token_limit_gbp": None},
            {"gift_token_limit_gbp": "-1"},
            {"gift_token_limit_gbp": "12.345"},
            {"conflict_similarity_threshold": 0},
            {"conflict_similarity_threshold": 1.01},
            {"conflict_similarity_threshold": "0.9"},
            {"rpt_approval_threshold_gbp": "1000000.01"},
            {"trust_name": ""},
            {"trust_name": "\u202eTrust"},
            {"unknown": 1},
        ],
    )
    async def test_bad_values_are_a_422_and_change_nothing(self, client: AsyncClient, caller, body) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        assert (await client.patch(SETTINGS, json=body, headers=admin.headers)).status_code == 422
        assert (await client.get(SETTINGS, headers=admin.headers)).json() == DEFAULTS

    async def test_a_change_is_audited_with_before_and_after(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        changed = await client.patch(
            SETTINGS, json={"rpt_approval_threshold_gbp": "50000"}, headers=admin.headers
        )
        assert changed.status_code == 200 and changed.json()["rpt_approval_threshold_gbp"] == "50000.00"
        trail = await client.get(
            "/api/v1/audit-events", params={"action": "settings.updated"}, headers=admin.headers
        )
        assert trail.status_code == 200 and trail.json()["total"] == 1
        event = trail.json()["items"][0]
        assert event["actor_id"] == str(admin.id) and event["entity_type"] == "settings"
        assert event["before"]["rpt_approval_threshold_pence"] == 4_000_000
        assert event["after"]["rpt_approval_threshold_pence"] == 5_000_000

    async def test_the_published_register_carries_the_trusts_name(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        named = await client.patch(
            SETTINGS, json={"trust_name": "Valley Schools Trust"}, headers=admin.headers
        )
        assert named.status_code == 200
        page = await client.get("/register")
        assert page.status_code == 200 and "Valley Schools Trust" in page.text.split("</title>")[0]

    async def test_a_patch_that_changes_nothing_is_not_audited(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        for body in ({}, {"gift_token_limit_gbp": "25.00"}):
            response = await client.patch(SETTINGS, json=body, headers=admin.headers)
            assert response.status_code == 200 and response.json() == DEFAULTS
        trail = await client.get(
            "/api/v1/audit-events", params={"action": "settings.updated"}, headers=admin.headers
        )
        assert trail.status_code == 200 and trail.json()["total"] == 0
