"""Schemathesis checks of Probity's own, loaded by tests/test_schemathesis.py (SCHEMATHESIS_HOOKS).

Schemathesis' positive_data_acceptance fails every 422 to a request the spec calls valid. Some are
rules about what a request means, which no schema can carry and the operation descriptions state:
the code of conduct was not accepted, someone else's person_id, an id that does not exist, a date
pair in the wrong order. Those are domain refusals (their problem type is not `validation-failed`)
or rules across fields (a validation error located at the body as a whole). Anything else, a value
refused for its shape or its characters, means the spec does not say what the app refuses.
"""

import json
from typing import Any

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

VALIDATION_FAILED = "urn:probity:problem:validation-failed"
# The detail of a Pydantic refusal (app.core.errors); the request guard's refusals have their own.
MODEL_VALIDATION_DETAIL = "The request is not valid"


def refused_for_its_meaning(status: int, body: bytes) -> bool:
    """A domain refusal, or a refusal of the fields together; never of one value's shape."""
    if status != 422:
        return False
    try:
        problem: dict[str, Any] = json.loads(body)
    except ValueError:
        return False
    if problem.get("type") != VALIDATION_FAILED:
        return True
    errors = problem.get("errors") or []
    return (
        problem.get("detail") == MODEL_VALIDATION_DETAIL
        and bool(errors)
        and all(error.get("loc") == ["body"] for error in errors)
    )


@schemathesis.check
def valid_requests_pass_validation(ctx: Any, response: Any, case: Any) -> bool | None:
    """A request that the spec calls valid is never refused for a reason the spec does not state."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except AssertionError:
        if refused_for_its_meaning(response.status_code, response.content):
            return None
        raise
