"""Bearer tokens: only an HS256 token we signed, with every claim right, for an active person, works."""

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from jose import jwt

from app.auth.permissions import Role
from app.core import clock
from app.core.settings import DEV_AUDIT_KEY, DEV_SECRET_KEY, ConfigurationError, Settings, get_settings
from tests.factories import DEFAULT_PASSWORD

ME = "/api/v1/me"
TOKEN_URL = "/api/v1/auth/token"
GOOD_KEY = "a-freshly-generated-key-of-at-least-32-bytes"
OTHER_GOOD_KEY = "another-freshly-generated-key-of-32-bytes!!"
_OMIT = object()


def _key() -> str:
    return get_settings().key_bytes("secret_key").decode()


def claims(person_id: uuid.UUID | str, **overrides: Any) -> dict[str, Any]:
    """A full, valid claim set; an override of _OMIT leaves that claim out."""
    issued = int(clock.now().timestamp())
    settings = get_settings()
    base: dict[str, Any] = {
        "sub": str(person_id),
        "ver": 0,
        "iat": issued,
        "exp": issued + 600,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not _OMIT}


def forge(payload: dict[str, Any], *, key: str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key if key is not None else _key(), algorithm=algorithm)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64_json(value: dict[str, Any]) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def hand_signed(header: dict[str, Any], payload: dict[str, Any]) -> str:
    """A token with any header, HMAC-SHA256-signed with the real key (algorithm confusion)."""
    signing_input = f"{b64_json(header)}.{b64_json(payload)}"
    signature = hmac.new(_key().encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response: Response) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401 and body["detail"] and body["title"]
    assert "access_token" not in body and "id" not in body


class TestTheForgingHelpers:
    """The control: a token built by hand the same way as the forgeries below is accepted."""

    async def test_a_hand_built_token_with_every_claim_right_is_accepted(
        self, client: AsyncClient, caller
    ) -> None:
        person = await caller()
        response = await client.get(ME, headers=bearer(forge(claims(person.id))))
        assert response.status_code == 200
        assert response.json()["id"] == str(person.id)

    async def test_a_token_hand_signed_as_hs256_is_accepted(self, client: AsyncClient, caller) -> None:
        person = await caller()
        token = hand_signed({"alg": "HS256", "typ": "JWT"}, claims(person.id))
        response = await client.get(ME, headers=bearer(token))
        assert response.status_code == 200


class TestTheBearerScheme:
    async def test_no_token_is_refused(self, client: AsyncClient) -> None:
        assert_refused(await client.get(ME))

    async def test_an_empty_bearer_token_is_refused(self, client: AsyncClient) -> None:
        assert_refused(await client.get(ME, headers={"Authorization": "Bearer "}))

    async def test_a_scheme_other_than_bearer_is_refused(self, client: AsyncClient, caller) -> None:
        person = await caller()
        token = forge(claims(person.id))
        assert_refused(await client.get(ME, headers={"Authorization": f"Basic {token}"}))
        assert_refused(await client.get(ME, headers={"Authorization": token}))

    @pytest.mark.parametrize(
        "garbage",
        ["garbage", "a.b.c", "a.b", "....", "eyJhbGciOiJIUzI1NiJ9.e30", "%%%.%%%.%%%", "x" * 4000],
    )
    async def test_garbage_is_refused(self, client: AsyncClient, garbage: str) -> None:
        assert_refused(await client.get(ME, headers=bearer(garbage)))

    async def test_a_header_that_is_not_json_is_refused(self, client: AsyncClient, caller) -> None:
        person = await caller()
        token = f"{b64(b'not json')}.{b64_json(claims(person.id))}.{b64(b'sig')}"
        assert_refused(await client.get(ME, headers=bearer(token)))

    async def test_a_payload_that_is_not_an_object_is_refused(self, client: AsyncClient) -> None:
        signing_input = f"{b64_json({'alg': 'HS256', 'typ': 'JWT'})}.{b64(b'[1, 2, 3]')}"
        signature = hmac.new(_key().encode(), signing_input.encode(), hashlib.sha256).digest()
        assert_refused(await client.get(ME, headers=bearer(f"{signing_input}.{b64(signature)}")))


class TestTheSignature:
    @pytest.mark.parametrize("alg", ["none", "None", "NONE"])
    async def test_an_unsigned_alg_none_token_is_refused(self, client: AsyncClient, caller, alg: str) -> None:
        person = await caller()
        token = f"{b64_json({'alg': alg, 'typ': 'JWT'})}.{b64_json(claims(person.id))}."
        assert_refused(await client.get(ME, headers=bearer(token)))

    async def test_alg_none_with_the_real_signature_attached_is_refused(
        self, client: AsyncClient, caller
    ) -> None:
        person = await caller()
        real_signature = forge(claims(person.id)).split(".")[2]
        token = f"{b64_json({'alg': 'none'})}.{b64_json(claims(person.id))}.{real_signature}"
        assert_refused(await client.get(ME, headers=bearer(token)))

    async def test_a_token_signed_with_another_key_is_refused(self, client: AsyncClient, caller) -> None:
        person = await caller()
        token = forge(claims(person.id), key="an-attackers-own-key-that-is-32-bytes-or-more")
        assert_refused(await client.get(ME, headers=bearer(token)))

    async def test_a_token_signed_with_the_development_key_is_refused(
        self, client: AsyncClient, caller
    ) -> None:
        person = await caller()
        assert_refused(await client.get(ME, headers=bearer(forge(claims(person.id), key=DEV_SECRET_KEY))))

    async def test_a_payload_changed_to_name_someone_else_is_refused(
        self, client: AsyncClient, caller
    ) -> None:
        declarant, admin = await caller(), await caller(Role.GOVERNANCE_ADMIN)
        header, _payload, signature = forge(claims(declarant.id)).split(".")
        tampered = f"{header}.{b64_json(claims(admin.id))}.{signature}"
        assert_refused(await client.get(ME, headers=bearer(tampered)))
        # The untouched token still works, so only the tampering was refused.
        original = forge(claims(declarant.id))
        assert (await client.get(ME, headers=bearer(original))).status_code == 200

    async def test_a_truncated_signature_is_refused(self, client: AsyncClient, caller) -> None:
        person = await caller()
        token = forge(claims(person.id))
        assert_refused(await client.get(ME, headers=bearer(token[:-4])))

    @pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
    async def test_another_hmac_algorithm_with_the_right_key_is_refused(
        self, client: AsyncClient, caller, algorithm: str
    ) -> None:
        person = await caller()
        token = forge(claims(person.id), algorithm=algorithm)
        assert jwt.get_unverified_header(token)["alg"] == algorithm
        assert_refused(await client.get(ME, headers=bearer(token)))

    @pytest.mark.parametrize("alg", ["RS256", "ES256", "PS256", "EdDSA"])
    async def test_an_asymmetric_algorithm_header_is_refused(
        self, client: AsyncClient, caller, alg: str
    ) -> None:
        person = await caller()
        token = hand_signed({"alg": alg, "typ": "JWT"}, claims(person.id))
        assert_refused(await client.get(ME, headers=bearer(token)))

    async def test_a_header_without_alg_is_refused(self, client: AsyncClient, caller) -> None:
        person = await caller()
        token = hand_signed({"typ": "JWT"}, claims(person.id))
        assert_refused(await client.get(ME, headers=bearer(token)))


class TestTheClaims:
    async def test_an_expired_token_is_refused(self, client: AsyncClient, caller) -> None:
        person = await caller()
        issued = int(clock.now().timestamp()) - 3600
        token = forge(claims(person.id, iat=issued, exp=issued + 60))
        assert_refused(await client.get(ME, headers=bearer(token)))

    async def test_a_token_expiring_this_second_is_refused(self, client: AsyncClient, caller) -> None:
        person = await caller()
        now = int(clock.now().timestamp())
        assert_refused(await client.get(ME, headers=bearer(forge(claims(person.id, exp=now - 1)))))

    @pytest.mark.parametrize("claim", ["exp", "aud", "iss", "sub", "iat", "ver"])
    async def test_a_token_without_a_required_claim_is_refused(
        self, client: AsyncClient, caller, claim: str
    ) -> None:
        person = await caller()
        token = forge(claims(person.id, **{claim: _OMIT}))
        assert_refused(await client.get(ME, headers=bearer(token)))

    async def test_a_token_for_another_audience_is_refused(self, client: AsyncClient, caller) -> None:
        person = await caller()
        assert_refused(await client.get(ME, headers=bearer(forge(claims(person.id, aud="another-api")))))

    async def test_a_token_from_another_issuer_is_refused(self, client: AsyncClient, caller) -> None:
        person = await caller()
        assert_refused(await client.get(ME, headers=bearer(forge(claims(person.id, iss="someone-else")))))

    @pytest.mark.parametrize(
        "exp", ["9999999999", None, True, [9999999999], {"at": 9999999999}, float("inf"), float("nan")]
    )
    async def test_an_expiry_that_is_not_a_number_is_refused(
        self, client: AsyncClient, caller, exp: object
    ) -> None:
        person = await caller()
        assert_refused(await client.get(ME, headers=bearer(forge(claims(person.id, exp=exp)))))

    async def test_a_token_not_valid_before_a_future_time_is_refused(
        self, client: AsyncClient, caller
    ) -> None:
        person = await caller()
        later = int(clock.now().timestamp()) + 300
        assert_refused(await client.get(ME, headers=bearer(forge(claims(person.id, nbf=later)))))

    @pytest.mark.parametrize("sub", ["not-a-uuid", "", "1", "00000000-0000-0000-0000-00000000000g"])
    async def test_a_subject_that_is_not_a_uuid_is_refused(
        self, client: AsyncClient, caller, sub: str
    ) -> None:
        assert_refused(await client.get(ME, headers=bearer(forge(claims(sub)))))

    @pytest.mark.parametrize("sub", [12345, None, ["x"]])
    async def test_a_subject_that_is_not_a_string_is_refused(self, client: AsyncClient, sub: object) -> None:
        assert_refused(await client.get(ME, headers=bearer(forge(claims(uuid.uuid4(), sub=sub)))))

    async def test_a_subject_naming_nobody_is_refused(self, client: AsyncClient) -> None:
        assert_refused(await client.get(ME, headers=bearer(forge(claims(uuid.uuid4())))))


class TestDeactivation:
    async def test_a_deactivated_persons_token_stops_working_at_once(
        self, client: AsyncClient, caller
    ) -> None:
        admin, person = await caller(Role.GOVERNANCE_ADMIN), await caller()
        assert (await client.get(ME, headers=person.headers)).status_code == 200
        changed = await client.patch(
            f"/api/v1/people/{person.id}", json={"active": False}, headers=admin.headers
        )
        assert changed.status_code == 200 and changed.json()["active"] is False
        assert_refused(await client.get(ME, headers=person.headers))
        assert_refused(await client.get("/api/v1/schools", headers=person.headers))

    async def test_a_person_created_inactive_cannot_use_a_token(self, client: AsyncClient, caller) -> None:
        person = await caller(active=False)
        assert_refused(await client.get(ME, headers=person.headers))


class TestTokenTimes:
    async def test_a_token_issued_in_the_future_is_refused(self, client: AsyncClient, caller) -> None:
        person = await caller()
        now = int(clock.now().timestamp())
        assert_refused(await client.get(ME, headers=bearer(forge(claims(person.id, iat=now + 60)))))

    async def test_a_token_made_to_outlive_the_configured_lifetime_is_refused(
        self, client: AsyncClient, caller
    ) -> None:
        person = await caller()
        now = int(clock.now().timestamp())
        longest = get_settings().token_ttl_minutes * 60
        assert (
            await client.get(ME, headers=bearer(forge(claims(person.id, iat=now, exp=now + longest))))
        ).status_code == 200
        too_long = forge(claims(person.id, iat=now, exp=now + longest + 1))
        assert_refused(await client.get(ME, headers=bearer(too_long)))
        a_year = forge(claims(person.id, iat=now, exp=now + 365 * 24 * 3600))
        assert_refused(await client.get(ME, headers=bearer(a_year)))

    @pytest.mark.parametrize("version", ["0", True, -1, 1.5, None, 2**31])
    async def test_a_credentials_version_that_is_not_a_small_integer_is_refused(
        self, client: AsyncClient, caller, version: object
    ) -> None:
        person = await caller()
        assert_refused(await client.get(ME, headers=bearer(forge(claims(person.id, ver=version)))))


async def _login(client: AsyncClient, email: str, password: str = DEFAULT_PASSWORD) -> dict[str, str]:
    response = await client.post(TOKEN_URL, data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"])


class TestCredentialChangesEndEarlierTokens:
    """Contract: changing a person's password, deactivating or reactivating them ends every token
    issued before."""

    async def test_a_new_password_ends_the_old_token(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await caller(email="pat.password@trust.test")
        old = await _login(client, "pat.password@trust.test")
        assert (await client.get(ME, headers=old)).status_code == 200
        changed = await client.patch(
            f"/api/v1/people/{(await client.get(ME, headers=old)).json()['id']}",
            json={"password": "a brand new long password"},
            headers=admin.headers,
        )
        assert changed.status_code == 200
        assert_refused(await client.get(ME, headers=old))
        assert_refused(await client.get("/api/v1/interests", headers=old))
        new = await _login(client, "pat.password@trust.test", "a brand new long password")
        assert (await client.get(ME, headers=new)).status_code == 200

    async def test_other_changes_leave_the_token_working(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await caller(email="nia.name@trust.test")
        token = await _login(client, "nia.name@trust.test")
        changed = await client.patch(
            f"/api/v1/people/{person.id}",
            json={"full_name": "Nia Newname", "job_title": "Teacher", "active": True},
            headers=admin.headers,
        )
        assert changed.status_code == 200
        me = await client.get(ME, headers=token)
        assert me.status_code == 200 and me.json()["full_name"] == "Nia Newname"

    async def test_reactivating_does_not_revive_a_token_issued_before_the_deactivation(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await caller(email="rey.return@trust.test")
        before = await _login(client, "rey.return@trust.test")
        for active in (False, True):
            response = await client.patch(
                f"/api/v1/people/{person.id}", json={"active": active}, headers=admin.headers
            )
            assert response.status_code == 200 and response.json()["active"] is active
        assert_refused(await client.get(ME, headers=before))
        after = await _login(client, "rey.return@trust.test")
        assert (await client.get(ME, headers=after)).status_code == 200

    async def test_a_token_issued_while_deactivated_dies_with_the_reactivation(
        self, client: AsyncClient, caller
    ) -> None:
        # A token cannot be had by login while inactive, but one issued in between (a leaked key,
        # say) must not start working when the person comes back.
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await caller()
        off = await client.patch(f"/api/v1/people/{person.id}", json={"active": False}, headers=admin.headers)
        assert off.status_code == 200
        while_inactive = bearer(forge(claims(person.id, ver=1)))
        on = await client.patch(f"/api/v1/people/{person.id}", json={"active": True}, headers=admin.headers)
        assert on.status_code == 200
        assert_refused(await client.get(ME, headers=while_inactive))
        assert (await client.get(ME, headers=bearer(forge(claims(person.id, ver=2))))).status_code == 200


class TestIssuedTokens:
    async def test_a_token_from_the_login_works_and_says_how_long_it_lasts(
        self, client: AsyncClient, caller
    ) -> None:
        person = await caller(email="token.holder@trust.test")
        response = await client.post(
            TOKEN_URL, data={"username": "token.holder@trust.test", "password": DEFAULT_PASSWORD}
        )
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in"}
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == get_settings().token_ttl_minutes * 60
        me = await client.get(ME, headers=bearer(body["access_token"]))
        assert me.status_code == 200 and me.json()["id"] == str(person.id)

    async def test_the_token_carries_every_registered_claim(self, client: AsyncClient, caller) -> None:
        person = await caller(email="claims.holder@trust.test")
        response = await client.post(
            TOKEN_URL, data={"username": "claims.holder@trust.test", "password": DEFAULT_PASSWORD}
        )
        token = response.json()["access_token"]
        settings = get_settings()
        assert jwt.get_unverified_header(token)["alg"] == "HS256"
        issued = jwt.get_unverified_claims(token)
        assert issued["sub"] == str(person.id)
        assert issued["iss"] == settings.jwt_issuer and issued["aud"] == settings.jwt_audience
        assert issued["exp"] - issued["iat"] == response.json()["expires_in"]

    async def test_a_token_stops_working_when_its_lifetime_is_over(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        person = await caller()
        start = clock.now()
        fixed_clock(start)
        token = forge(claims(person.id))  # valid for ten minutes from start
        assert (await client.get(ME, headers=bearer(token))).status_code == 200
        fixed_clock(start + timedelta(minutes=11))
        assert_refused(await client.get(ME, headers=bearer(token)))

    async def test_a_token_is_refused_from_the_second_it_expires(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        person = await caller()
        start = clock.now().replace(microsecond=0)
        fixed_clock(start)
        token = forge(claims(person.id))  # exp = start + 600 s
        fixed_clock(start + timedelta(seconds=599))
        assert (await client.get(ME, headers=bearer(token))).status_code == 200
        fixed_clock(start + timedelta(seconds=600))
        assert_refused(await client.get(ME, headers=bearer(token)))

    async def test_expiry_is_judged_by_the_clock_that_issued_the_token(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        # A day long past: the token's exp is long gone by the wall clock, not by the app's.
        issued_at = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
        fixed_clock(issued_at)
        person = await caller()
        headers = person.headers  # a token issued now, by the pinned clock
        assert (await client.get(ME, headers=headers)).status_code == 200
        fixed_clock(issued_at + timedelta(minutes=get_settings().token_ttl_minutes, seconds=1))
        assert_refused(await client.get(ME, headers=headers))


class TestKeySettings:
    @pytest.mark.parametrize("name", ["secret_key", "audit_key"])
    async def test_a_key_shorter_than_32_bytes_is_refused(self, name: str) -> None:
        with pytest.raises(ConfigurationError, match=f"PROBITY_{name.upper()}.*32 bytes"):
            Settings(**{name: "k" * 31})

    async def test_the_length_is_counted_in_bytes(self) -> None:
        # 16 two-byte characters: 32 bytes, enough; 15 of them are 30 bytes, too few.
        assert Settings(secret_key="é" * 16).key_bytes("secret_key") == ("é" * 16).encode()
        with pytest.raises(ConfigurationError, match="PROBITY_SECRET_KEY"):
            Settings(secret_key="é" * 15 + "x")

    async def test_a_key_of_32_bytes_is_accepted(self) -> None:
        assert Settings(secret_key="k" * 32).key_bytes("secret_key") == b"k" * 32

    async def test_production_starts_with_two_good_keys(self) -> None:
        settings = Settings(env="production", secret_key=GOOD_KEY, audit_key=OTHER_GOOD_KEY)
        assert settings.key_bytes("secret_key") == GOOD_KEY.encode()

    @pytest.mark.parametrize("missing", [None, ""])
    async def test_production_refuses_a_missing_secret_key_by_name(self, missing: str | None) -> None:
        with pytest.raises(ConfigurationError, match="PROBITY_SECRET_KEY"):
            Settings(env="production", secret_key=missing, audit_key=OTHER_GOOD_KEY)

    async def test_production_refuses_a_missing_audit_key_by_name(self) -> None:
        with pytest.raises(ConfigurationError, match="PROBITY_AUDIT_KEY"):
            Settings(env="production", secret_key=GOOD_KEY, audit_key=None)

    @pytest.mark.parametrize("default", [DEV_SECRET_KEY, DEV_AUDIT_KEY, "x" * 32, "0" * 32])
    async def test_production_refuses_a_published_default_key_by_name(self, default: str) -> None:
        with pytest.raises(ConfigurationError, match="PROBITY_SECRET_KEY"):
            Settings(env="production", secret_key=default, audit_key=OTHER_GOOD_KEY)
        with pytest.raises(ConfigurationError, match="PROBITY_AUDIT_KEY"):
            Settings(env="production", secret_key=GOOD_KEY, audit_key=default)

    async def test_production_refuses_a_short_key_by_name(self) -> None:
        with pytest.raises(ConfigurationError, match="PROBITY_SECRET_KEY"):
            Settings(env="production", secret_key="short", audit_key=OTHER_GOOD_KEY)

    async def test_outside_production_a_missing_key_falls_back_to_the_development_key(self) -> None:
        settings = Settings(env="development", secret_key=None, audit_key=None)
        assert settings.key_bytes("secret_key") == DEV_SECRET_KEY.encode()
        assert settings.key_bytes("audit_key") == DEV_AUDIT_KEY.encode()
