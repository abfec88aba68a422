"""The HTTP conventions every client relies on: problem+json errors, security headers, CORS, lists,
201 for creates, Bearer challenges, a committed spec that matches the app, and the health check."""

import json
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from jose import jwt
from sqlalchemy.ext.asyncio import AsyncEngine

import app.main
from app.auth.permissions import Role
from app.core import db
from app.core.settings import Settings, get_settings
from app.main import create_app
from app.people.governance import GovernanceRole
from tests.factories import DEFAULT_PASSWORD, Caller

PROBLEM_JSON = "application/problem+json"
SPEC_FILE = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
ALLOWED_ORIGIN = "https://register.trust.example"
OTHER_ORIGIN = "https://evil.example"


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "Traceback" not in response.text
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys() and body["status"] == status
    return body


def assert_security_headers(response: Response) -> None:
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff"
    assert "no-store" in headers.get("cache-control", "")
    assert headers.get("referrer-policy") in ("no-referrer", "strict-origin-when-cross-origin", "same-origin")
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", "")


@pytest.fixture
async def admin(caller: Any) -> Caller:
    return await caller(Role.GOVERNANCE_ADMIN)


@pytest.fixture
def build_app(monkeypatch: pytest.MonkeyPatch, engine: AsyncEngine) -> Callable[..., FastAPI]:
    """A separate app built with these settings; the test's own app and settings stay as they were."""

    def build(**overrides: Any) -> FastAPI:
        settings = Settings(**overrides)
        monkeypatch.setattr(app.main, "get_settings", lambda: settings)
        return create_app()

    return build


async def request(built: FastAPI, method: str, path: str, **kwargs: Any) -> Response:
    transport = httpx.ASGITransport(app=built)
    async with AsyncClient(transport=transport, base_url="http://testserver") as http:
        return await http.request(method, path, **kwargs)


class TestUnknownRoutes:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("GET", "/nowhere"),
            ("GET", "/api/v1/nowhere"),
            ("GET", "/api/v2/schools"),
            ("GET", f"/api/v1/schools/{uuid.UUID(int=1)}/nothing-here"),
            ("POST", "/api/v1/nowhere"),
        ],
    )
    async def test_an_unknown_route_is_a_404_problem(
        self, client: AsyncClient, admin: Caller, method: str, path: str
    ) -> None:
        for headers in ({}, admin.headers):
            response = await client.request(method, path, headers=headers)
            body = assert_problem(response, 404)
            assert body["title"] == "Not Found"

    async def test_an_unknown_record_is_a_404_problem(self, client: AsyncClient, admin: Caller) -> None:
        response = await client.get(f"/api/v1/people/{uuid.uuid4()}", headers=admin.headers)
        assert_problem(response, 404)


class TestWrongMethod:
    @pytest.mark.parametrize(
        ("method", "path", "allowed"),
        [
            ("DELETE", "/api/v1/schools", {"GET", "POST"}),
            ("PUT", "/api/v1/people/{id}", {"GET", "PATCH"}),
            ("DELETE", "/api/v1/people/{id}", {"GET", "PATCH"}),
            ("POST", "/healthz", {"GET"}),
            ("GET", "/api/v1/auth/token", {"POST"}),
            ("PATCH", "/api/v1/audit-events", {"GET"}),
        ],
    )
    async def test_a_wrong_method_is_a_405_problem_that_names_the_allowed_ones(
        self, client: AsyncClient, admin: Caller, method: str, path: str, allowed: set[str]
    ) -> None:
        response = await client.request(method, path.replace("{id}", str(admin.id)), headers=admin.headers)
        assert_problem(response, 405)
        assert {m.strip() for m in response.headers["allow"].split(",")} == allowed


LARGE_BODY = b'{"name": "' + b"x" * get_settings().max_body_bytes + b'"}'

# (name, method, path, who calls, body, content type, expected status)
RESPONSE_KINDS = [
    ("200 read", "GET", "/api/v1/me", "admin", None, None, 200),
    ("200 list", "GET", "/api/v1/schools", "admin", None, None, 200),
    ("200 health", "GET", "/healthz", None, None, None, 200),
    ("200 spec", "GET", "/openapi.json", None, None, None, 200),
    ("201 create", "POST", "/api/v1/schools", "admin", b'{"name": "Header School"}', "application/json", 201),
    ("401 no token", "GET", "/api/v1/me", None, None, None, 401),
    ("403 wrong role", "POST", "/api/v1/schools", "declarant", b'{"name": "X"}', "application/json", 403),
    ("404 unknown route", "GET", "/api/v1/nowhere", "admin", None, None, 404),
    ("405 wrong method", "DELETE", "/api/v1/schools", "admin", None, None, 405),
    ("413 large body", "POST", "/api/v1/schools", "admin", LARGE_BODY, "application/json", 413),
    ("415 wrong type", "POST", "/api/v1/schools", "admin", b'{"name": "Oak"}', "text/plain", 415),
    ("422 hostile JSON", "POST", "/api/v1/schools", "admin", b'{"name": NaN}', "application/json", 422),
    ("422 invalid field", "POST", "/api/v1/schools", "admin", b'{"name": ""}', "application/json", 422),
    ("422 bad query", "GET", "/api/v1/schools?limit=0", "admin", None, None, 422),
    ("422 NUL in URL", "GET", "/api/v1/schools?x=%00", "admin", None, None, 422),
]


class TestSecurityHeaders:
    @pytest.mark.parametrize(
        ("method", "path", "who", "content", "content_type", "status"),
        [kind[1:] for kind in RESPONSE_KINDS],
        ids=[kind[0] for kind in RESPONSE_KINDS],
    )
    async def test_every_response_carries_the_security_headers(
        self,
        client: AsyncClient,
        caller: Any,
        method: str,
        path: str,
        who: str | None,
        content: bytes | None,
        content_type: str | None,
        status: int,
    ) -> None:
        headers: dict[str, str] = {}
        if who is not None:
            headers.update(
                (await caller(Role.GOVERNANCE_ADMIN) if who == "admin" else await caller()).headers
            )
        if content_type is not None:
            headers["Content-Type"] = content_type
        response = await client.request(method, path, content=content, headers=headers)
        assert response.status_code == status, response.text[:300]
        assert_security_headers(response)
        assert "strict-transport-security" not in response.headers

    async def test_an_unexpected_error_is_a_500_problem_with_the_headers_and_no_details(
        self, build_app: Callable[..., FastAPI]
    ) -> None:
        built = build_app()

        @built.get("/api/v1/test-only-failure")
        async def fail() -> None:
            raise RuntimeError("internal detail: connection string postgresql://secret")

        transport = httpx.ASGITransport(app=built, raise_app_exceptions=False)
        async with AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.get("/api/v1/test-only-failure")
        assert_problem(response, 500)
        assert_security_headers(response)
        assert "secret" not in response.text and "RuntimeError" not in response.text

    async def test_production_adds_hsts(self, build_app: Callable[..., FastAPI]) -> None:
        built = build_app(env="production")
        for path, status in (("/healthz", 200), ("/api/v1/nowhere", 404), ("/api/v1/me", 401)):
            response = await request(built, "GET", path)
            assert response.status_code == status
            hsts = response.headers.get("strict-transport-security", "")
            max_age = re.search(r"max-age=(\d+)", hsts)
            assert max_age is not None and int(max_age.group(1)) >= 365 * 24 * 3600, hsts
            assert_security_headers(response)

    async def test_outside_production_there_is_no_hsts(self, build_app: Callable[..., FastAPI]) -> None:
        for env in ("development", "test"):
            response = await request(build_app(env=env), "GET", "/healthz")
            assert response.status_code == 200
            assert "strict-transport-security" not in response.headers


class TestCors:
    async def test_without_configured_origins_no_origin_is_allowed(
        self, build_app: Callable[..., FastAPI]
    ) -> None:
        built = build_app(cors_origins=[])
        response = await request(built, "GET", "/healthz", headers={"Origin": ALLOWED_ORIGIN})
        assert response.status_code == 200
        assert "access-control-allow-origin" not in response.headers

    async def test_an_origin_on_the_allow_list_is_allowed(self, build_app: Callable[..., FastAPI]) -> None:
        built = build_app(cors_origins=[ALLOWED_ORIGIN])
        response = await request(built, "GET", "/healthz", headers={"Origin": ALLOWED_ORIGIN})
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert_security_headers(response)

    async def test_an_origin_off_the_allow_list_is_not_allowed(
        self, build_app: Callable[..., FastAPI]
    ) -> None:
        built = build_app(cors_origins=[ALLOWED_ORIGIN])
        for origin in (OTHER_ORIGIN, ALLOWED_ORIGIN + ".evil.example", "null"):
            response = await request(built, "GET", "/healthz", headers={"Origin": origin})
            assert "access-control-allow-origin" not in response.headers, origin

    async def test_a_preflight_is_answered_only_for_an_allowed_origin(
        self, build_app: Callable[..., FastAPI]
    ) -> None:
        built = build_app(cors_origins=[ALLOWED_ORIGIN])
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        }
        allowed = await request(
            built, "OPTIONS", "/api/v1/schools", headers={"Origin": ALLOWED_ORIGIN, **preflight}
        )
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert "POST" in allowed.headers["access-control-allow-methods"]
        refused = await request(
            built, "OPTIONS", "/api/v1/schools", headers={"Origin": OTHER_ORIGIN, **preflight}
        )
        assert "access-control-allow-origin" not in refused.headers


class TestLists:
    @pytest.mark.parametrize(
        "path",
        ["/api/v1/schools", "/api/v1/people", "/api/v1/audit-events", "/api/v1/people/{id}/appointments"],
    )
    async def test_a_list_is_items_and_total(self, client: AsyncClient, caller: Any, path: str) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        member = await caller(governance_roles=(GovernanceRole.TRUSTEE, GovernanceRole.MEMBER))
        for name in ("List School A", "List School B"):
            created = await client.post("/api/v1/schools", json={"name": name}, headers=admin.headers)
            assert created.status_code == 201
        url = path.replace("{id}", str(member.id))
        everything = await client.get(url, params={"limit": 200}, headers=admin.headers)
        assert everything.status_code == 200
        body = everything.json()
        assert set(body) == {"items", "total"}
        assert isinstance(body["items"], list) and isinstance(body["total"], int)
        assert body["total"] >= 2 and len(body["items"]) == min(body["total"], 200)
        first = await client.get(url, params={"limit": 1}, headers=admin.headers)
        assert len(first.json()["items"]) == 1 and first.json()["total"] == body["total"]
        rest = await client.get(url, params={"limit": 1, "offset": 1}, headers=admin.headers)
        assert rest.json()["items"][0] == body["items"][1]

    async def test_no_operation_answers_a_bare_array(self, client: AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        bare = []
        for path, operation, response in _successes(spec):
            schema = _resolve(spec, response.get("content", {}).get("application/json", {}).get("schema", {}))
            if schema.get("type") == "array":
                bare.append(f"{operation} {path}")
            if set(schema.get("properties", {})) >= {"items", "total"}:
                params = {p["name"] for p in spec["paths"][path][operation].get("parameters", [])}
                assert {"limit", "offset"} <= params, f"{operation} {path} lists without limit/offset"
        assert bare == []


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _successes(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, response)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        for status, response in operation.get("responses", {}).items()
        if status.startswith("2")
    ]


class TestUnauthorized:
    async def _forged_token(self, person_id: uuid.UUID) -> str:
        claims = {
            "sub": str(person_id),
            "iat": 1,
            "exp": 4_000_000_000,
            "iss": get_settings().jwt_issuer,
            "aud": get_settings().jwt_audience,
        }
        return str(jwt.encode(claims, "another-key-that-is-at-least-32-bytes-long!", algorithm="HS256"))

    @pytest.mark.parametrize(
        "authorization",
        [None, "Bearer", "Bearer not-a-token", "Basic YWRtaW46YWRtaW4=", "Bearer a.b.c", "forged"],
    )
    async def test_a_401_challenges_for_a_bearer_token(
        self, client: AsyncClient, admin: Caller, authorization: str | None
    ) -> None:
        if authorization == "forged":
            authorization = f"Bearer {await self._forged_token(admin.id)}"
        headers = {"Authorization": authorization} if authorization else {}
        for path in ("/api/v1/me", "/api/v1/people", "/api/v1/audit-events"):
            response = await client.get(path, headers=headers)
            assert_problem(response, 401)
            assert response.headers["www-authenticate"] == "Bearer"

    async def test_a_wrong_password_is_a_401_with_the_challenge(
        self, client: AsyncClient, admin: Caller
    ) -> None:
        response = await client.post(
            "/api/v1/auth/token", data={"username": admin.person.email, "password": "not the password!"}
        )
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_a_write_without_a_token_is_a_401_before_the_body_is_read(
        self, client: AsyncClient
    ) -> None:
        response = await client.post("/api/v1/schools", json={"name": ""})
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_the_spec_documents_the_challenge_on_every_401(self, client: AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        missing = [
            f"{method} {path}"
            for path, item in spec["paths"].items()
            for method, operation in item.items()
            if "401" in operation["responses"]
            and "WWW-Authenticate" not in operation["responses"]["401"].get("headers", {})
        ]
        assert missing == []


class TestCreates:
    async def test_creating_a_school_answers_201_with_it(self, client: AsyncClient, admin: Caller) -> None:
        response = await client.post(
            "/api/v1/schools", json={"name": "Created School"}, headers=admin.headers
        )
        assert response.status_code == 201
        assert response.json()["name"] == "Created School" and uuid.UUID(response.json()["id"])

    async def test_creating_a_person_answers_201_with_them(self, client: AsyncClient, admin: Caller) -> None:
        email = f"created-{uuid.uuid4().hex[:8]}@trust.test"
        body = {"email": email, "full_name": "Cre Ated", "password": DEFAULT_PASSWORD}
        response = await client.post("/api/v1/people", json=body, headers=admin.headers)
        assert response.status_code == 201
        assert response.json()["email"] == email and uuid.UUID(response.json()["id"])

    async def test_creating_an_appointment_answers_201_with_it(
        self, client: AsyncClient, caller: Any, admin: Caller
    ) -> None:
        person = await caller()
        response = await client.post(
            f"/api/v1/people/{person.id}/appointments",
            json={"governance_role": "trustee", "body": "Trust board"},
            headers=admin.headers,
        )
        assert response.status_code == 201
        assert response.json()["person_id"] == str(person.id)

    @pytest.mark.parametrize(
        "path", ["/api/v1/schools", "/api/v1/people", "/api/v1/people/{person_id}/appointments"]
    )
    async def test_the_spec_documents_201_for_a_create(self, client: AsyncClient, path: str) -> None:
        spec = (await client.get("/openapi.json")).json()
        statuses = spec["paths"][path]["post"]["responses"]
        assert "201" in statuses and "200" not in statuses


class TestOpenApiSpec:
    async def test_the_committed_spec_is_what_the_app_serves(self, client: AsyncClient) -> None:
        served = (await client.get("/openapi.json")).json()
        committed = json.loads(SPEC_FILE.read_text()) if SPEC_FILE.exists() else None
        assert committed == served, (
            "openapi/openapi.json is out of date with the app: run `probity openapi` and commit the result"
        )

    async def test_every_string_input_has_a_maximum_length(self, client: AsyncClient) -> None:
        spec = (await client.get("/openapi.json")).json()
        unbounded = sorted(_unbounded_inputs(spec))
        assert unbounded == [], "string inputs without maxLength (add max_length to the schema or Query)"


# Values whose length a format or a list already bounds; a file part is bounded by the 1 MiB body limit.
_BOUNDED_FORMATS = frozenset({"uuid", "date", "date-time", "binary"})


def _unbounded_inputs(spec: dict[str, Any]) -> list[str]:
    """Every string a client can send (parameters and request bodies, $refs followed) lacking maxLength."""
    found: list[str] = []

    def visit(schema: dict[str, Any], where: str, seen: frozenset[str]) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                visit(spec["components"]["schemas"][name], f"{where}<{name}>", seen | {name})
            return
        for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
            for sub in schema.get(key, []):
                visit(sub, where, seen)
        for key in ("items", "additionalProperties", "not"):
            if isinstance(schema.get(key), dict):
                visit(schema[key], f"{where}[]", seen)
        for name, sub in schema.get("properties", {}).items():
            visit(sub, f"{where}.{name}", seen)
        types = schema.get("type", [])
        if "string" in (types if isinstance(types, list) else [types]) and not (
            "maxLength" in schema
            or "enum" in schema
            or "const" in schema
            or "contentMediaType" in schema
            or schema.get("format") in _BOUNDED_FORMATS
        ):
            found.append(where)

    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                where = f"{method.upper()} {path} {parameter['in']}:{parameter['name']}"
                visit(parameter.get("schema", {}), where, frozenset())
            for media, content in operation.get("requestBody", {}).get("content", {}).items():
                visit(content.get("schema", {}), f"{method.upper()} {path} body({media})", frozenset())
    return found


@asynccontextmanager
async def database_unreachable() -> AsyncIterator[None]:
    """Point the app at a server that refuses connections (nothing listens on port 1), then restore."""
    previous = db.get_database()
    unreachable = db.Database(db.create_engine(url="postgresql://probity@127.0.0.1:1/probity_nowhere"))
    db.set_database(unreachable)
    try:
        yield
    finally:
        db.set_database(previous)
        await unreachable.dispose()


class TestHealth:
    async def test_health_is_ok_when_the_database_answers(self, client: AsyncClient) -> None:
        response = await client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
        assert_security_headers(response)

    async def test_health_is_a_503_problem_while_the_database_does_not_answer(
        self, client: AsyncClient
    ) -> None:
        async with database_unreachable():
            response = await client.get("/healthz")
        assert_problem(response, 503)
        assert_security_headers(response)
        assert "127.0.0.1" not in response.text and "probity_nowhere" not in response.text
        assert (await client.get("/healthz")).status_code == 200, "health recovers with the database"
