"""Password login: the email is the username, failures look alike, are audited and are throttled."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient, Response
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.auth.models import LoginThrottle
from app.auth.permissions import Role
from app.core import clock
from app.core.db import Database, create_engine
from app.core.errors import TooManyRequests, Unauthorized
from app.core.settings import Settings, get_settings
from app.main import create_app
from tests.factories import DEFAULT_PASSWORD, make_person

TOKEN_URL = "/api/v1/auth/token"
ME = "/api/v1/me"
WRONG = "Wrong-Horse-Battery-Staple-17"
HOST = "192.0.2.10"
LOCKOUT = get_settings().login_lockout_minutes


async def login(client: AsyncClient, username: str, password: str, **extra: str) -> Response:
    return await client.post(TOKEN_URL, data={"username": username, "password": password, **extra})


async def fail(client: AsyncClient, username: str, times: int) -> list[int]:
    return [(await login(client, username, WRONG)).status_code for _ in range(times)]


def assert_problem(response: Response, status: int) -> None:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert "access_token" not in response.json()


def assert_locked(response: Response) -> None:
    assert_problem(response, 429)
    retry_after = response.headers["retry-after"]
    assert retry_after.isdigit()
    assert 0 < int(retry_after) <= LOCKOUT * 60


class TestLogin:
    async def test_the_email_and_password_give_a_bearer_token(self, client: AsyncClient, caller) -> None:
        person = await caller(email="ann.able@trust.test")
        response = await login(client, "ann.able@trust.test", DEFAULT_PASSWORD)
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer" and body["expires_in"] > 0
        me = await client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
        assert me.json()["id"] == str(person.id)

    async def test_the_email_is_matched_without_regard_to_case(self, client: AsyncClient, caller) -> None:
        person = await caller(email="Bea.Best@Trust.test")
        for spelling in ("bea.best@trust.test", "BEA.BEST@TRUST.TEST", "Bea.Best@Trust.test"):
            response = await login(client, spelling, DEFAULT_PASSWORD)
            assert response.status_code == 200
            token = response.json()["access_token"]
            me = await client.get(ME, headers={"Authorization": f"Bearer {token}"})
            assert me.json()["id"] == str(person.id)

    async def test_a_domain_typed_in_unicode_signs_in_to_the_account_stored_in_punycode(
        self, client: AsyncClient, caller
    ) -> None:
        person = await caller(email="zoe@bücher.example")
        assert person.person.email == "zoe@xn--bcher-kva.example"
        for typed in ("zoe@bücher.example", "Zoe@XN--BCHER-KVA.example"):
            response = await login(client, typed, DEFAULT_PASSWORD)
            assert response.status_code == 200, response.text

    async def test_grant_type_password_may_be_sent(self, client: AsyncClient, caller) -> None:
        await caller(email="cal.cole@trust.test")
        response = await login(client, "cal.cole@trust.test", DEFAULT_PASSWORD, grant_type="password")
        assert response.status_code == 200

    async def test_any_other_grant_type_is_a_422(self, client: AsyncClient, caller) -> None:
        await caller(email="dee.dunn@trust.test")
        for grant_type in ("client_credentials", "refresh_token", "Password", "password "):
            response = await login(client, "dee.dunn@trust.test", DEFAULT_PASSWORD, grant_type=grant_type)
            assert_problem(response, 422)
            assert response.json()["errors"]

    async def test_a_json_body_is_a_415(self, client: AsyncClient, caller) -> None:
        await caller(email="eve.east@trust.test")
        response = await client.post(
            TOKEN_URL, json={"username": "eve.east@trust.test", "password": DEFAULT_PASSWORD}
        )
        assert_problem(response, 415)

    async def test_a_missing_password_is_a_422(self, client: AsyncClient, caller) -> None:
        await caller(email="fay.ford@trust.test")
        response = await client.post(TOKEN_URL, data={"username": "fay.ford@trust.test"})
        assert_problem(response, 422)

    async def test_a_422_never_echoes_the_password(self, client: AsyncClient) -> None:
        response = await login(client, "x" * 400 + "@trust.test", WRONG, grant_type="implicit")
        assert_problem(response, 422)
        assert WRONG not in response.text


class TestWrongCredentials:
    async def test_a_wrong_email_and_a_wrong_password_look_alike(self, client: AsyncClient, caller) -> None:
        await caller(email="gus.gray@trust.test")
        wrong_password = await login(client, "gus.gray@trust.test", WRONG)
        wrong_email = await login(client, "nobody.here@trust.test", WRONG)
        assert_problem(wrong_password, 401)
        assert wrong_password.json() == wrong_email.json()
        assert wrong_password.headers.get("www-authenticate") == wrong_email.headers.get("www-authenticate")

    async def test_an_inactive_person_with_the_right_password_looks_like_a_wrong_one(
        self, client: AsyncClient, caller
    ) -> None:
        await caller(email="hal.hart@trust.test", active=False)
        inactive = await login(client, "hal.hart@trust.test", DEFAULT_PASSWORD)
        unknown = await login(client, "nobody.at.all@trust.test", DEFAULT_PASSWORD)
        assert_problem(inactive, 401)
        assert inactive.json() == unknown.json()

    async def test_a_person_without_a_password_cannot_log_in(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        created = await client.post(
            "/api/v1/people",
            json={"email": "ivy.ives@trust.test", "full_name": "Ivy Ives"},
            headers=admin.headers,
        )
        assert created.status_code == 201, created.text
        for password in (DEFAULT_PASSWORD, " ", "None", "null"):
            assert_problem(await login(client, "ivy.ives@trust.test", password), 401)
        assert_problem(await login(client, "ivy.ives@trust.test", ""), 422)  # no password at all
        # The control: the same person, once given a password, signs in with it.
        given = await client.patch(
            f"/api/v1/people/{created.json()['id']}",
            json={"password": DEFAULT_PASSWORD},
            headers=admin.headers,
        )
        assert given.status_code == 200
        assert (await login(client, "ivy.ives@trust.test", DEFAULT_PASSWORD)).status_code == 200


class TestThrottle:
    async def test_the_tenth_consecutive_failure_is_refused_with_retry_after(
        self, client: AsyncClient, caller
    ) -> None:
        await caller(email="jo.jones@trust.test")
        assert await fail(client, "jo.jones@trust.test", 9) == [401] * 9
        assert_locked(await login(client, "jo.jones@trust.test", WRONG))

    async def test_even_the_right_password_is_refused_while_locked(self, client: AsyncClient, caller) -> None:
        await caller(email="kit.kane@trust.test")
        await fail(client, "kit.kane@trust.test", 9)
        assert_locked(await login(client, "kit.kane@trust.test", WRONG))
        assert_locked(await login(client, "kit.kane@trust.test", DEFAULT_PASSWORD))

    async def test_failures_in_any_letter_case_count_for_the_same_account(
        self, client: AsyncClient, caller
    ) -> None:
        await caller(email="lee.lamb@trust.test")
        assert await fail(client, "LEE.LAMB@TRUST.TEST", 5) == [401] * 5
        assert await fail(client, "Lee.Lamb@trust.test", 4) == [401] * 4
        assert_locked(await login(client, "lee.lamb@trust.test", DEFAULT_PASSWORD))

    async def test_other_accounts_are_unaffected(self, client: AsyncClient, caller) -> None:
        await caller(email="max.moss@trust.test")
        await caller(email="ned.nash@trust.test")
        await fail(client, "max.moss@trust.test", 10)
        assert_locked(await login(client, "max.moss@trust.test", DEFAULT_PASSWORD))
        assert (await login(client, "ned.nash@trust.test", DEFAULT_PASSWORD)).status_code == 200
        assert await fail(client, "ned.nash@trust.test", 1) == [401]

    async def test_an_unknown_email_is_throttled_like_a_known_one(self, client: AsyncClient) -> None:
        assert await fail(client, "no.such.person@trust.test", 9) == [401] * 9
        assert_locked(await login(client, "no.such.person@trust.test", WRONG))

    async def test_a_success_resets_the_count(self, client: AsyncClient, caller) -> None:
        await caller(email="ola.owen@trust.test")
        assert await fail(client, "ola.owen@trust.test", 5) == [401] * 5
        assert (await login(client, "ola.owen@trust.test", DEFAULT_PASSWORD)).status_code == 200
        assert await fail(client, "ola.owen@trust.test", 9) == [401] * 9
        assert_locked(await login(client, "ola.owen@trust.test", WRONG))

    async def test_the_right_password_works_once_the_lockout_is_over(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        await caller(email="pat.page@trust.test")
        start = clock.now()
        fixed_clock(start)
        await fail(client, "pat.page@trust.test", 9)
        assert_locked(await login(client, "pat.page@trust.test", DEFAULT_PASSWORD))
        fixed_clock(start + timedelta(minutes=LOCKOUT - 1))
        assert_locked(await login(client, "pat.page@trust.test", DEFAULT_PASSWORD))
        fixed_clock(start + timedelta(minutes=LOCKOUT + 1))
        response = await login(client, "pat.page@trust.test", DEFAULT_PASSWORD)
        assert response.status_code == 200
        token = response.json()["access_token"]
        assert (await client.get(ME, headers={"Authorization": f"Bearer {token}"})).status_code == 200

    async def test_a_failure_after_the_lockout_starts_a_new_count(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        await caller(email="quin.quay@trust.test")
        start = clock.now()
        fixed_clock(start)
        await fail(client, "quin.quay@trust.test", 10)
        fixed_clock(start + timedelta(minutes=LOCKOUT + 1))
        assert await fail(client, "quin.quay@trust.test", 9) == [401] * 9
        assert_locked(await login(client, "quin.quay@trust.test", WRONG))

    async def test_the_lockout_ends_exactly_when_retry_after_says(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        await caller(email="rae.reed@trust.test")
        start = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
        fixed_clock(start)
        await fail(client, "rae.reed@trust.test", 9)
        wait = int((await login(client, "rae.reed@trust.test", DEFAULT_PASSWORD)).headers["retry-after"])
        assert wait == LOCKOUT * 60
        fixed_clock(start + timedelta(seconds=wait - 1))
        assert_locked(await login(client, "rae.reed@trust.test", DEFAULT_PASSWORD))
        fixed_clock(start + timedelta(seconds=wait))
        assert (await login(client, "rae.reed@trust.test", DEFAULT_PASSWORD)).status_code == 200

    async def test_failures_spread_beyond_the_window_do_not_lock(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        await caller(email="sam.shaw@trust.test")
        start = clock.now()
        fixed_clock(start)
        assert await fail(client, "sam.shaw@trust.test", 8) == [401] * 8
        window = get_settings().login_window_minutes
        fixed_clock(start + timedelta(minutes=window + 1))
        assert await fail(client, "sam.shaw@trust.test", 8) == [401] * 8
        assert (await login(client, "sam.shaw@trust.test", DEFAULT_PASSWORD)).status_code == 200

    async def test_ten_failures_straddling_the_end_of_a_window_still_lock(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        await caller(email="tom.tate@trust.test")
        start = clock.now()
        fixed_clock(start)
        assert await fail(client, "tom.tate@trust.test", 1) == [401]
        fixed_clock(start + timedelta(minutes=14))
        assert await fail(client, "tom.tate@trust.test", 7) == [401] * 7
        # Past the first failure's window, but seven failures came only 90 seconds ago.
        fixed_clock(start + timedelta(minutes=15, seconds=30))
        await fail(client, "tom.tate@trust.test", 2)
        # The 10th failure within the 15 minutes that began at minute 14.
        assert_locked(await login(client, "tom.tate@trust.test", DEFAULT_PASSWORD))


class TestFailedLoginAudit:
    async def test_every_failure_is_audited_with_the_email_and_never_the_password(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await caller(email="tia.todd@trust.test")
        await fail(client, "Tia.Todd@trust.test", 2)
        await fail(client, "ghost.user@trust.test", 1)
        assert (await login(client, "tia.todd@trust.test", DEFAULT_PASSWORD)).status_code == 200
        response = await client.get(
            "/api/v1/audit-events", params={"action": "auth.login_failed"}, headers=admin.headers
        )
        assert response.status_code == 200
        events = response.json()["items"]
        emails = [event["after"]["email"] for event in events]
        assert sorted(emails) == ["ghost.user@trust.test", "tia.todd@trust.test", "tia.todd@trust.test"]
        assert response.json()["total"] == 3
        assert {event["action"] for event in events} == {"auth.login_failed"}
        assert all(event["actor_id"] is None for event in events)
        known = [event for event in events if event["after"]["email"] == "tia.todd@trust.test"]
        assert {event["entity_id"] for event in known} == {str(person.id)}
        assert WRONG not in response.text and DEFAULT_PASSWORD not in response.text
        assert "argon2" not in response.text

    async def test_refusals_while_locked_are_audited_too(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await caller(email="uma.underwood@trust.test")
        await fail(client, "uma.underwood@trust.test", 9)
        assert_locked(await login(client, "uma.underwood@trust.test", DEFAULT_PASSWORD))
        response = await client.get(
            "/api/v1/audit-events", params={"action": "auth.login_failed"}, headers=admin.headers
        )
        events = [e for e in response.json()["items"] if e["after"]["email"] == "uma.underwood@trust.test"]
        assert len(events) == 10
        assert events[-1]["after"]["reason"] == "locked"
        assert DEFAULT_PASSWORD not in response.text and WRONG not in response.text

    async def test_the_audited_failures_keep_the_chain_valid(self, client: AsyncClient, caller) -> None:
        auditor = await caller(Role.AUDITOR)
        await fail(client, "vic.vale@trust.test", 3)
        verified = await client.get("/api/v1/audit-events/verify", headers=auditor.headers)
        assert verified.json()["valid"] is True


class TestThrottleAcrossWorkers:
    """Two engines on one database stand for two worker processes: the count is the database's."""

    async def test_failures_through_either_worker_count_towards_one_limit(self, fresh_database: str) -> None:
        workers = [Database(create_engine(url=fresh_database)) for _ in range(2)]
        try:
            async with workers[0].session(write=True) as session:
                person = await make_person(session, email="wyn.ward@trust.test")
            outcomes = []
            for attempt in range(10):
                outcomes.append(await auth_service.login(workers[attempt % 2], person.email, WRONG, HOST))
            assert all(isinstance(o.refusal, Unauthorized) for o in outcomes[:9])
            assert isinstance(outcomes[9].refusal, TooManyRequests)
            for worker in workers:
                refused = await auth_service.login(worker, person.email, DEFAULT_PASSWORD, HOST)
                assert isinstance(refused.refusal, TooManyRequests) and refused.token is None
        finally:
            for worker in workers:
                await worker.dispose()

    async def test_concurrent_failures_on_two_workers_are_all_counted(self, fresh_database: str) -> None:
        workers = [Database(create_engine(url=fresh_database)) for _ in range(2)]
        try:
            async with workers[0].session(write=True) as session:
                person = await make_person(session, email="xan.xu@trust.test")

            async def attempt(worker: Database) -> auth_service.LoginOutcome:
                return await auth_service.login(worker, person.email, WRONG, HOST)

            outcomes = await asyncio.gather(*(attempt(workers[n % 2]) for n in range(14)))
            refusals = [type(o.refusal) for o in outcomes]
            assert refusals.count(Unauthorized) == 9
            assert refusals.count(TooManyRequests) == 5
        finally:
            for worker in workers:
                await worker.dispose()


@asynccontextmanager
async def client_at(app: FastAPI, address: str, *, like: FastAPI | None = None) -> AsyncIterator[AsyncClient]:
    """A client connecting from `address`, inside the test's transaction (the `client` fixture's
    overrides, copied from `like` when `app` is another instance)."""
    if like is not None:
        app.dependency_overrides.update(like.dependency_overrides)
    transport = ASGITransport(app=app, client=(address, 40000))
    async with AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


class TestThrottleByAddress:
    """Contract: the 10th consecutive failure for one account from one client address is refused;
    other accounts, and the same account from other addresses, are unaffected; one address failing
    across many accounts also meets a 429."""

    async def test_a_flood_from_one_address_does_not_lock_the_account_out_elsewhere(
        self, app: FastAPI, client: AsyncClient, caller
    ) -> None:
        await caller(Role.GOVERNANCE_ADMIN, email="the.admin@trust.test")
        async with client_at(app, "203.0.113.66") as attacker, client_at(app, "198.51.100.7") as office:
            assert await fail(attacker, "the.admin@trust.test", 9) == [401] * 9
            assert_locked(await login(attacker, "the.admin@trust.test", DEFAULT_PASSWORD))
            # Replayed as found: ten more from the attacker, and the admin still signs in elsewhere.
            for _ in range(10):
                assert_locked(await login(attacker, "the.admin@trust.test", WRONG))
            response = await login(office, "the.admin@trust.test", DEFAULT_PASSWORD)
            assert response.status_code == 200

    async def test_one_address_failing_across_many_accounts_meets_a_429(
        self, app: FastAPI, client: AsyncClient, caller
    ) -> None:
        ceiling = get_settings().login_address_max_failures
        await caller(email="real.person@trust.test")
        async with client_at(app, "203.0.113.77") as sprayer, client_at(app, "198.51.100.8") as other:
            for n in range(ceiling):
                assert (await login(sprayer, f"guess{n}@trust.test", WRONG)).status_code == 401
            assert_locked(await login(sprayer, "real.person@trust.test", DEFAULT_PASSWORD))
            assert_locked(await login(sprayer, "never.tried@trust.test", WRONG))
            assert (await login(other, "real.person@trust.test", DEFAULT_PASSWORD)).status_code == 200

    async def test_x_forwarded_for_from_an_unnamed_peer_is_ignored(
        self, app: FastAPI, client: AsyncClient, caller
    ) -> None:
        await caller(email="xavi.forward@trust.test")
        async with client_at(app, "203.0.113.88") as attacker:
            for n in range(9):
                response = await attacker.post(
                    TOKEN_URL,
                    data={"username": "xavi.forward@trust.test", "password": WRONG},
                    headers={"X-Forwarded-For": f"10.9.8.{n}"},
                )
                assert response.status_code == 401
            assert_locked(await login(attacker, "xavi.forward@trust.test", DEFAULT_PASSWORD))

    async def test_x_forwarded_for_from_a_named_proxy_gives_the_client_address(
        self, app: FastAPI, client: AsyncClient, caller
    ) -> None:
        await caller(email="yara.proxied@trust.test")
        behind_proxy = create_app(Settings(trusted_proxies=["192.0.2.1", "10.0.0.0/8"]))
        async with client_at(behind_proxy, "192.0.2.1", like=app) as proxy:

            async def attempt(client_address: str, password: str) -> Response:
                return await proxy.post(
                    TOKEN_URL,
                    data={"username": "yara.proxied@trust.test", "password": password},
                    # The client's own (spoofable) entry first, then what the proxies appended.
                    headers={"X-Forwarded-For": f"6.6.6.6, {client_address}, 10.1.2.3"},
                )

            assert [(await attempt("203.0.113.99", WRONG)).status_code for _ in range(9)] == [401] * 9
            assert_locked(await attempt("203.0.113.99", DEFAULT_PASSWORD))
            assert (await attempt("198.51.100.9", DEFAULT_PASSWORD)).status_code == 200

    def test_an_ipv6_client_is_counted_by_its_slash_64(self) -> None:
        assert auth_service.client_key("2001:db8:1:2:aaaa::1") == auth_service.client_key(
            "2001:db8:1:2:bbbb::9"
        )
        assert auth_service.client_key("2001:db8:1:2::1") != auth_service.client_key("2001:db8:1:3::1")
        assert auth_service.client_key("::ffff:192.0.2.1") == "192.0.2.1"
        assert auth_service.client_key(None) == "unknown"

    def test_a_trusted_proxy_setting_that_is_not_an_address_is_refused(self) -> None:
        with pytest.raises(ValueError, match="PROBITY_TRUSTED_PROXIES"):
            Settings(trusted_proxies=["*"])


async def throttle_rows(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(LoginThrottle)) or 0)


async def failed_login_events(session: AsyncSession) -> int:
    statement = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "auth.login_failed")
    return int(await session.scalar(statement) or 0)


class TestAnonymousRequestsCannotGrowTheDatabase:
    async def test_expired_counters_are_pruned(
        self, app: FastAPI, client: AsyncClient, session: AsyncSession, fixed_clock
    ) -> None:
        start = clock.now()
        fixed_clock(start)
        before = await throttle_rows(session)
        async with client_at(app, "203.0.113.10") as anonymous:
            for n in range(20):
                assert (await login(anonymous, f"random{n}@nowhere.test", WRONG)).status_code == 401
            # 20 names from one address: 20 account counters and the address's own.
            assert await throttle_rows(session) == before + 21
            fixed_clock(start + timedelta(minutes=get_settings().login_window_minutes + 1))
            assert (await login(anonymous, "one.more@nowhere.test", WRONG)).status_code == 401
        assert await throttle_rows(session) == 2  # the last name's counter and the address's

    async def test_the_address_ceiling_bounds_the_audit_events_and_the_counters(
        self, app: FastAPI, client: AsyncClient, session: AsyncSession
    ) -> None:
        ceiling = get_settings().login_address_max_failures
        events, rows = await failed_login_events(session), await throttle_rows(session)
        async with client_at(app, "203.0.113.11") as anonymous:
            statuses = [
                (await login(anonymous, f"spray{n}@nowhere.test", WRONG)).status_code
                for n in range(3 * ceiling)
            ]
        assert statuses == [401] * ceiling + [429] * (2 * ceiling)
        # Every failure, and the first refusal of the lockout, is audited; the rest are not.
        assert await failed_login_events(session) - events == ceiling + 1
        assert await throttle_rows(session) - rows == ceiling + 1

    async def test_only_the_first_refusal_of_a_lockout_is_audited(
        self, client: AsyncClient, session: AsyncSession, caller
    ) -> None:
        await caller(email="zed.zero@trust.test")
        events = await failed_login_events(session)
        await fail(client, "zed.zero@trust.test", 9)
        for _ in range(5):
            assert_locked(await login(client, "zed.zero@trust.test", DEFAULT_PASSWORD))
        assert await failed_login_events(session) - events == 10
