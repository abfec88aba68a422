"""Authorisation is decided before the body is validated: a caller who may not call a route learns
nothing about their body, however bad it is."""

import pytest
from httpx import AsyncClient

from app.auth.permissions import Role

# Each bad body with the one status its author should get once authorised.
BAD_BODIES = {
    "not JSON": (b"{not json", "application/json", 422),
    "NaN": (b'{"name": NaN}', "application/json", 422),
    "1e400": (b'{"name": 1e400}', "application/json", 422),
    "NUL byte": (b'{"name": "a\\u0000b"}', "application/json", 422),
    "invalid UTF-8": (b'{"name": "\xff\xfe"}', "application/json", 422),
    "wrong media type": (b"name=x", "text/plain", 415),
    "over 1 MiB": (b'{"name": "' + b"x" * (1024 * 1024 + 10) + b'"}', "application/json", 413),
    "wrong fields": (b'{"nonsense": true}', "application/json", 422),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
class TestAuthorisationBeforeTheBody:
    async def test_an_anonymous_caller_gets_401(self, client: AsyncClient, case: str) -> None:
        body, kind, _ = BAD_BODIES[case]
        response = await client.post("/api/v1/schools", content=body, headers={"Content-Type": kind})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_a_caller_without_the_role_gets_403(self, client: AsyncClient, caller, case: str) -> None:
        declarant = await caller()
        body, kind, _ = BAD_BODIES[case]
        response = await client.post(
            "/api/v1/schools", content=body, headers={**declarant.headers, "Content-Type": kind}
        )
        assert response.status_code == 403

    async def test_the_admin_gets_the_verdict_on_the_body(
        self, client: AsyncClient, caller, case: str
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body, kind, status = BAD_BODIES[case]
        response = await client.post(
            "/api/v1/schools", content=body, headers={**admin.headers, "Content-Type": kind}
        )
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == status


async def test_a_bad_query_string_waits_for_authorisation_too(client: AsyncClient, caller) -> None:
    assert (await client.get("/api/v1/audit-events?entity_type=a%00b")).status_code == 401
    declarant = await caller()
    response = await client.get("/api/v1/audit-events?entity_type=a%00b", headers=declarant.headers)
    assert response.status_code == 403
    auditor = await caller(Role.AUDITOR)
    response = await client.get("/api/v1/audit-events?entity_type=a%00b", headers=auditor.headers)
    assert response.status_code == 422


# The records people submit: who may see the record and act on it is settled before the body.
ACTIONS = {
    "gift decision": ("/api/v1/gifts", "decision", Role.HR_DIRECTOR),
    "hospitality decision": ("/api/v1/hospitality-requests", "decision", Role.COO),
    "hospitality withdraw": ("/api/v1/hospitality-requests", "withdraw", None),
    "hospitality outcome": ("/api/v1/hospitality-requests", "outcome", None),
    "paid work review": ("/api/v1/paid-work", "review", Role.COO),
}
SUBMITTED = {
    "/api/v1/gifts": {"donor_name": "D", "description": "A hamper", "value_gbp": 90, "accepted": True},
    "/api/v1/hospitality-requests": {
        "provider_name": "P", "event_description": "Dinner", "event_date": "2099-01-01",
        "estimated_value_gbp": 50, "invitation_type": "corporate", "business_justification": "Partners",
    },
    "/api/v1/paid-work": {"employer": "College", "role": "Tutor", "hours_per_week": 2},
}  # fmt: skip


@pytest.mark.parametrize("action", sorted(ACTIONS))
async def test_acting_on_a_record_is_authorised_before_the_body(
    client: AsyncClient, caller, action: str
) -> None:
    collection, verb, decider_role = ACTIONS[action]
    owner = await caller()  # central staff: the COO reviews their paid work
    made = await client.post(collection, json=SUBMITTED[collection], headers=owner.headers)
    assert made.status_code == 201, made.text
    path = f"{collection}/{made.json()['id']}/{verb}"
    bad = {"nonsense": [1, 2, 3]}
    stranger = await caller()
    assert (await client.post(path, json=bad, headers=stranger.headers)).status_code == 404
    onlooker = await caller(Role.AUDITOR)  # sees every record, acts on none
    assert (await client.post(path, json=bad, headers=onlooker.headers)).status_code == 403
    actor = await caller(decider_role) if decider_role else owner
    judged = await client.post(path, json=bad, headers=actor.headers)
    assert judged.status_code == 422 and judged.headers["content-type"] == "application/problem+json"
