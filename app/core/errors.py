"""Errors that carry their HTTP meaning, rendered as RFC 9457 problem+json."""

import logging
import sqlite3
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sqlalchemy_exc
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import compile_path

logger = logging.getLogger("probity")

PROBLEM_JSON = "application/problem+json"
MAX_LISTED_ERRORS = 20


class DomainError(Exception):
    """A refusal with a status and a stable code; never raised as HTTPException below the router."""

    status: int = 400
    code: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[Mapping[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers or {})


class Unauthorized(DomainError):
    status, code = 401, "unauthorized"

    def __init__(self, detail: str = "Missing or invalid credentials") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(DomainError):
    status, code = 403, "forbidden"


class NotFound(DomainError):
    status, code = 404, "not-found"

    def __init__(self, what: str = "resource") -> None:
        super().__init__(f"No such {what}")


class Conflict(DomainError):
    status, code = 409, "conflict"


class PayloadTooLarge(DomainError):
    status, code = 413, "payload-too-large"


class UnsupportedMediaType(DomainError):
    status, code = 415, "unsupported-media-type"


class Unprocessable(DomainError):
    status, code = 422, "unprocessable"

    def __init__(self, detail: str, *, loc: Sequence[str | int] = ("body",)) -> None:
        super().__init__(detail, errors=[{"loc": list(loc), "msg": detail}])


class InvalidInput(Unprocessable):
    """Input refused before validation: NUL bytes, non-finite numbers, malformed JSON and the like."""

    code = "validation-failed"


class TooManyRequests(DomainError):
    status, code = 429, "too-many-requests"

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_seconds))})


class ServiceUnavailable(DomainError):
    """Load or a database that is busy or away: the client should come back, nothing was changed."""

    status, code = 503, "service-unavailable"

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after_seconds))})


# How long a client is asked to wait: a busy SQLite file frees up within a write's time; a
# PostgreSQL server that went away takes a few seconds to come back.
BUSY_RETRY_SECONDS = 1
AWAY_RETRY_SECONDS = 5
_SQLITE_BUSY_WORDS = ("database is locked", "database table is locked", "database is busy")


def database_unavailable(exc: BaseException) -> ServiceUnavailable | None:
    """The 503 for a database that is busy or unreachable, or None when the error is a bug (a 500).

    SQLite's busy timeout running out is "database is locked"; PostgreSQL's OperationalError and
    InterfaceError cover a refused or dropped connection, a server shutting down or starting up, a
    lock or statement timeout; a pool with no free connection in time is SQLAlchemy's TimeoutError.
    """
    if isinstance(exc, sqlalchemy_exc.TimeoutError):
        return ServiceUnavailable("The service is busy; try again shortly", BUSY_RETRY_SECONDS)
    if not isinstance(exc, sqlalchemy_exc.DBAPIError):
        return None
    if isinstance(exc.orig, sqlite3.Error):
        message = str(exc.orig).lower()
        if isinstance(exc, sqlalchemy_exc.OperationalError) and any(w in message for w in _SQLITE_BUSY_WORDS):
            return ServiceUnavailable("The database is busy; try again shortly", BUSY_RETRY_SECONDS)
        return None
    if exc.connection_invalidated or isinstance(
        exc, sqlalchemy_exc.OperationalError | sqlalchemy_exc.InterfaceError
    ):
        return ServiceUnavailable("The database is not available; try again shortly", AWAY_RETRY_SECONDS)
    return None


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The one place a problem+json body is made."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: dict[str, Any] = {
        "type": f"urn:probity:problem:{code}" if code else "about:blank",
        "title": phrase,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = [dict(error) for error in errors]
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {}))


def validation_errors(raw: Sequence[Any]) -> list[dict[str, Any]]:
    """Location and message only: the input may be huge or a password, so it is never echoed."""
    return [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in e.get("loc", ())],
            "msg": str(e.get("msg", "invalid")),
        }
        for e in raw
    ]


def _page(
    request: Request, status: int, detail: str, headers: Mapping[str, str] | None = None
) -> Response | None:
    """A page of the web interface answers its errors as a page (its route says how); None for the API."""
    error_page = getattr(request.scope.get("route"), "error_page", None)
    if error_page is None:
        return None
    answer: Response = error_page(request, status, detail, dict(headers or {}))
    return answer


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if (page := _page(request, exc.status, exc.detail, exc.headers)) is not None:
        return page
    return problem(exc.status, exc.detail, code=exc.code, errors=exc.errors, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # A page's forms are read by the page itself; what reaches here is an address that names no
    # record (a malformed id), so a person is told the page does not exist.
    if (page := _page(request, 404, "There is no such page")) is not None:
        return page
    raw = exc.errors()
    detail = "The request is not valid"
    if len(raw) > MAX_LISTED_ERRORS:
        # A body of 60,000 unknown fields would otherwise get a 4 MB answer: list only the first.
        detail = f"The request is not valid: {len(raw)} errors, the first {MAX_LISTED_ERRORS} listed"
    return problem(422, detail, code="validation-failed", errors=validation_errors(raw[:MAX_LISTED_ERRORS]))


_HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


def _allowed_methods(request: Request, named: str) -> str:
    """Every method the path takes: Starlette names only those of the first route matching it."""
    methods = {method.strip() for method in named.split(",") if method.strip()}
    for template, operations in request.app.openapi().get("paths", {}).items():
        if compile_path(template)[0].match(request.scope["path"]):
            methods |= {method.upper() for method in operations if method in _HTTP_METHODS}
    return ", ".join(sorted(methods))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    headers = dict(exc.headers or {})
    if (page := _page(request, exc.status_code, detail, headers)) is not None:
        return page
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request, headers.get("Allow", ""))
    if exc.status_code == 400:
        # Only the framework raises 400, for a body it cannot parse (a broken multipart form, say):
        # the contract answers every unparseable body with 422.
        return problem(
            422,
            f"The body could not be read: {detail}",
            code="validation-failed",
            errors=[{"loc": ["body"], "msg": detail}],
        )
    return problem(exc.status_code, detail, headers=headers)


def internal_error() -> JSONResponse:
    """The answer to a bug: nothing about the exception leaves the server."""
    return problem(500, "The server could not complete the request", code="internal-error")


async def _database_error(request: Request, exc: Exception) -> Response:
    unavailable = database_unavailable(exc)
    if unavailable is None:
        return await _unexpected_error(request, exc)
    logger.warning(
        "database unavailable on %s %s: %s", request.method, request.url.path, exc.__class__.__name__
    )
    if (page := _page(request, 503, unavailable.detail, unavailable.headers)) is not None:
        return page
    return problem(503, unavailable.detail, code=unavailable.code, headers=unavailable.headers)


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if (page := _page(request, 500, "Something went wrong on our side; nothing was changed")) is not None:
        return page
    return internal_error()


def install_error_handlers(app: FastAPI) -> None:
    """Every error, FastAPI's own included, leaves as problem+json and never as a stack trace."""
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(sqlalchemy_exc.DBAPIError, _database_error)
    app.add_exception_handler(sqlalchemy_exc.TimeoutError, _database_error)
    app.add_exception_handler(Exception, _unexpected_error)
