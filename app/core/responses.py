"""What each route can answer besides success, documented as problem+json in the spec."""

from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str = Field(max_length=5000)


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError] | None = None


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The spec entries for these error statuses (401 also sends WWW-Authenticate)."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "description": HTTPStatus(status).phrase,
            "content": {"application/problem+json": {"schema": PROBLEM_REF}},
        }
        if status == 401:
            entry["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
        if status == 429:
            entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
        documented[status] = entry
    return documented
