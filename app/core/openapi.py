"""The committed spec: FastAPI's own, made fit for generated clients.

A generator names every function and model after the operation ids and schema names, reads each
response by its one media type, and sends a file only when the spec says `format: binary`; so the
spec says exactly that, and says the same for errors the app answers outside any router (422, 413,
415 from the request guard).
"""

import re
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.core.responses import PROBLEM_REF, Problem, ProblemError, responses

_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# FastAPI names a form's model after the operation ("Body_issue_token"): a generator would make
# that "BodyIssueToken"; "IssueTokenRequest" reads as what it is.
_FORM_MODEL = re.compile(r"^Body_(?P<operation>[a-z0-9_]+)$")
_UPLOAD = {"type": "string", "contentMediaType": "application/octet-stream"}


def operation_id(route: APIRoute) -> str:
    """The handler's own name (`create_person`), not FastAPI's `create_person_api_v1_people_post`."""
    return route.name


def build(app: FastAPI) -> dict[str, Any]:
    """The spec the app serves at /openapi.json and `probity openapi` commits."""
    spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas["Problem"].pop("$defs", None)
    schemas["ProblemError"] = ProblemError.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    _rename_form_models(spec)
    _binary_uploads(schemas)
    for operation in operations(spec):
        _document_guarded_errors(operation)
        # Only signed-in routes depend on the bearer scheme, so FastAPI marks only those; the rest
        # are public, which `security: []` says outright (a generator then sends no token).
        operation.setdefault("security", [])
    return spec


def operations(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for path_item in spec.get("paths", {}).values():
        for method, operation in path_item.items():
            if method in _HTTP_METHODS:
                yield operation


def _document_guarded_errors(operation: dict[str, Any]) -> None:
    """422 as problem+json everywhere; 413 and 415 wherever a body is read (the request guard's)."""
    documented = operation.setdefault("responses", {})
    if "422" in documented:
        documented["422"] = {
            "description": "Unprocessable Content",
            "content": {"application/problem+json": {"schema": PROBLEM_REF}},
        }
    if "requestBody" in operation:
        for status, entry in responses(413, 415).items():
            documented.setdefault(str(status), entry)


def _rename_form_models(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    renames: dict[str, str] = {}
    for name in list(schemas):
        found = _FORM_MODEL.match(name)
        if found:
            readable = "".join(word.capitalize() for word in found["operation"].split("_")) + "Request"
            schemas[readable] = {**schemas.pop(name), "title": readable}
            renames[f"#/components/schemas/{name}"] = f"#/components/schemas/{readable}"
    _replace_refs(spec, renames)


def _replace_refs(node: Any, renames: dict[str, str]) -> None:
    if isinstance(node, dict):
        if node.get("$ref") in renames:
            node["$ref"] = renames[node["$ref"]]
        for child in node.values():
            _replace_refs(child, renames)
    elif isinstance(node, list):
        for child in node:
            _replace_refs(child, renames)


def _binary_uploads(node: Any) -> None:
    """OpenAPI 3.1's `contentMediaType` for an upload, as the 3.0 `format: binary` generators read."""
    if isinstance(node, dict):
        if _UPLOAD.items() <= node.items():
            del node["contentMediaType"]
            node["format"] = "binary"
        for child in node.values():
            _binary_uploads(child)
    elif isinstance(node, list):
        for child in node:
            _binary_uploads(child)
