""" "Today" is the trust's date (PROBITY_TIMEZONE, default Europe/London), not UTC's: at 23:30 UTC on a
British Summer Time date it is already tomorrow at the trust."""

from datetime import UTC, date, datetime

import pytest
from httpx import AsyncClient

from app.auth.permissions import Role
from app.core import clock
from app.core.settings import Settings
from app.people.governance import GovernanceRole

# 23:30 UTC on 30 June 2026 is 00:30 on 1 July in London (BST, UTC+1).
LATE_EVENING_UTC = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
# In winter (GMT) the two calendars agree: 23:30 UTC on 30 December is 23:30 in London.
WINTER_EVENING_UTC = datetime(2026, 12, 30, 23, 30, tzinfo=UTC)


class TestTheTrustsDate:
    def test_the_default_zone_is_london(self) -> None:
        assert Settings().timezone == "Europe/London"

    def test_late_on_a_summer_evening_it_is_already_tomorrow(self, fixed_clock) -> None:
        fixed_clock(LATE_EVENING_UTC)
        assert clock.today() == date(2026, 7, 1)
        assert clock.now().date() == date(2026, 6, 30)

    def test_in_winter_the_trusts_date_is_utcs(self, fixed_clock) -> None:
        fixed_clock(WINTER_EVENING_UTC)
        assert clock.today() == date(2026, 12, 30)

    def test_an_unknown_zone_is_refused_by_name(self) -> None:
        with pytest.raises(ValueError, match="PROBITY_TIMEZONE"):
            Settings(timezone="Europe/Atlantis")

    async def test_an_interest_declared_then_starts_on_the_trusts_date(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        fixed_clock(LATE_EVENING_UTC)
        trustee = await caller()
        response = await client.post(
            "/api/v1/interests",
            json={"category": "directorship", "organisation_name": "Late Night Ltd"},
            headers=trustee.headers,
        )
        assert response.status_code == 201, response.text
        assert response.json()["start_date"] == "2026-07-01"

    async def test_a_declaration_due_on_the_trusts_yesterday_is_overdue(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        fixed_clock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
        admin = await caller(Role.GOVERNANCE_ADMIN)
        trustee = await caller(governance_roles=(GovernanceRole.TRUSTEE,))
        cycle = await client.post(
            "/api/v1/declaration-cycles",
            json={"name": "2026", "due_on": "2026-06-30", "governance_roles": ["trustee"]},
            headers=admin.headers,
        )
        assert cycle.status_code == 201, cycle.text

        async def status() -> str:
            response = await client.get(
                f"/api/v1/declaration-cycles/{cycle.json()['id']}/status", headers=admin.headers
            )
            assert response.status_code == 200, response.text
            (item,) = [i for i in response.json()["items"] if i["person_id"] == str(trustee.id)]
            return str(item["status"])

        fixed_clock(datetime(2026, 6, 30, 22, 30, tzinfo=UTC))  # 23:30 on the due date in London
        assert await status() == "outstanding"
        fixed_clock(LATE_EVENING_UTC)  # 00:30 the next day in London, still 30 June in UTC
        assert await status() == "overdue"
