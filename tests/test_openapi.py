"""The spec says what a generated client needs: readable operation ids and model names, one media
type per response, uploads as binary, optional bodies without `null`, every error the request guard
answers, and who must sign in. tests/test_generated_client.py then uses a client made from it."""

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import AsyncClient

from app.auth.permissions import Permission, Role
from app.core.settings import get_settings
from app.main import create_app
from tests.factories import Caller
from tests.test_authorisation import declared_permissions

SPEC_FILE = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_FILE.read_text())
PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
CSV_OPERATIONS = {
    ("get", "/api/v1/public/register.csv"): "get_public_register_csv",
    ("get", "/api/v1/declaration-cycles/{cycle_id}/status.csv"): "get_cycle_status_csv",
    ("get", "/api/v1/gifts.csv"): "export_gifts",
    ("get", "/api/v1/hospitality-requests.csv"): "export_hospitality_requests",
    ("get", "/api/v1/conflict-checks.csv"): "export_conflict_checks",
    ("get", "/api/v1/related-party-transactions.csv"): "export_related_party_transactions",
}


def spec_operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in SPEC["paths"].items()
        for method, operation in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    ]


def operation_name(value: Any) -> str:
    return value if isinstance(value, str) else ""


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


class TestNames:
    def test_operation_ids_are_the_handlers_names_and_unique(self) -> None:
        ids = [operation["operationId"] for _, _, operation in spec_operations()]
        assert len(ids) == len(set(ids))
        assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", i) for i in ids), ids
        assert not [i for i in ids if "api_v1" in i or i.endswith(("_get", "_post", "_patch"))]
        by_path = {(m, p): o["operationId"] for m, p, o in spec_operations()}
        assert by_path[("post", "/api/v1/people")] == "create_person"
        assert by_path[("post", "/api/v1/interests/{interest_id}/end")] == "end_interest"
        assert by_path[("post", "/api/v1/auth/token")] == "issue_token"

    def test_every_model_has_a_readable_name(self) -> None:
        names = set(SPEC["components"]["schemas"])
        assert not [name for name in names if name.startswith("Body_") or "api_v1" in name]
        assert {"IssueTokenRequest", "ImportPeopleRequest"} <= names
        token_body = SPEC["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]
        assert token_body["application/x-www-form-urlencoded"]["schema"] == {
            "$ref": "#/components/schemas/IssueTokenRequest"
        }


class TestResponses:
    @pytest.mark.parametrize(("method", "path", "operation"), spec_operations(), ids=operation_name)
    def test_each_success_has_one_media_type_and_a_real_schema(
        self, method: str, path: str, operation: dict[str, Any]
    ) -> None:
        (status,) = [s for s in operation["responses"] if s.startswith("2")]
        (media_type,) = operation["responses"][status]["content"]
        if (method, path) in CSV_OPERATIONS:
            assert media_type == "text/csv"
            assert operation["operationId"] == CSV_OPERATIONS[(method, path)]
        else:
            assert media_type == "application/json", f"{path} answers {media_type}"
            schema = resolve(operation["responses"][status]["content"][media_type]["schema"])
            assert schema.get("properties"), f"{method} {path} has no schema for its JSON"

    def test_the_older_format_parameter_is_not_in_the_spec(self) -> None:
        for _, path, operation in spec_operations():
            assert "format" not in {p["name"] for p in operation.get("parameters", [])}, path

    def test_the_public_register_json_is_described(self) -> None:
        success = SPEC["paths"]["/api/v1/public/register"]["get"]["responses"]["200"]
        schema = resolve(success["content"]["application/json"]["schema"])
        assert {"as_of", "period_from", "generated_at", "items", "total"} <= set(schema["properties"])
        person = resolve(schema["properties"]["items"]["items"])
        interest = resolve(person["properties"]["interests"]["items"])
        assert "holder_name" not in interest["properties"] and "relationship" not in interest["properties"]

    @pytest.mark.parametrize(
        ("method", "path", "operation"),
        [op for op in spec_operations() if "requestBody" in op[2]],
        ids=operation_name,
    )
    def test_every_operation_reading_a_body_documents_413_and_415(
        self, method: str, path: str, operation: dict[str, Any]
    ) -> None:
        for status in ("413", "415"):
            assert operation["responses"].get(status, {}).get("content") == PROBLEM, f"{status} {path}"


class TestRequestBodies:
    def test_the_people_import_sends_a_binary_file(self) -> None:
        body = SPEC["paths"]["/api/v1/people/import"]["post"]["requestBody"]["content"]
        schema = resolve(body["multipart/form-data"]["schema"])
        assert schema["properties"]["file"]["type"] == "string"
        assert schema["properties"]["file"]["format"] == "binary"
        assert "contentMediaType" not in json.dumps(SPEC)

    def test_ending_an_interest_takes_an_optional_interest_end(self) -> None:
        body = SPEC["paths"]["/api/v1/interests/{interest_id}/end"]["post"]["requestBody"]
        assert not body.get("required", False)
        schema = body["content"]["application/json"]["schema"]
        assert schema["$ref"] == "#/components/schemas/InterestEnd" and "anyOf" not in schema


def route_permissions() -> dict[tuple[str, str], Permission]:
    found = {}
    for context in iter_route_contexts(create_app().routes):
        if isinstance(context.original_route, APIRoute) and context.original_route.include_in_schema:
            (permission,) = set(declared_permissions(context.dependant))
            for method in context.methods:
                found[(method.lower(), context.path_format)] = permission
    return found


class TestSecurity:
    def test_public_operations_say_so_and_the_rest_need_the_bearer_token(self) -> None:
        permissions = route_permissions()
        assert set(permissions) == {(m, p) for m, p, _ in spec_operations()}
        for method, path, operation in spec_operations():
            if permissions[(method, path)] is Permission.PUBLIC:
                assert operation["security"] == [], f"{method} {path}"
            else:
                assert operation["security"] == [{"OAuth2PasswordBearer": []}], f"{method} {path}"
        scheme = SPEC["components"]["securitySchemes"]["OAuth2PasswordBearer"]
        assert scheme["flows"]["password"]["tokenUrl"] == "/api/v1/auth/token"

    def test_the_public_operations_are_health_login_and_the_register(self) -> None:
        public = sorted(f"{m} {p}" for m, p, o in spec_operations() if o["security"] == [])
        assert public == [
            "get /api/v1/public/register",
            "get /api/v1/public/register.csv",
            "get /healthz",
            "post /api/v1/auth/token",
        ]

    def test_web_pages_are_not_in_the_api_spec(self) -> None:
        assert not [path for path in SPEC["paths"] if not path.startswith(("/api/", "/healthz"))]


class TestTheGuardAnswersWhatTheSpecSays:
    @pytest.mark.parametrize(
        ("method", "path"),
        [(m, p) for m, p, o in spec_operations() if "requestBody" in o],
        ids=lambda v: str(v),
    )
    async def test_a_large_body_is_413_and_a_wrong_type_415(
        self, client: AsyncClient, caller: Any, method: str, path: str
    ) -> None:
        # The clerk writes most; the Director of Finance and Governance keeps related party transactions.
        admin: Caller = await caller(Role.GOVERNANCE_ADMIN, Role.FINANCE_DIRECTOR)
        url = re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), path)
        large = b'{"x": "' + b"x" * get_settings().max_body_bytes + b'"}'
        for content, kind, status in ((large, "application/json", 413), (b"hello", "text/plain", 415)):
            headers = {**admin.headers, "Content-Type": kind}
            response = await client.request(method, url, content=content, headers=headers)
            assert response.status_code == status, response.text[:200]
            assert response.headers["content-type"] == "application/problem+json"
