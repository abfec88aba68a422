"""Pure ASGI middleware: hostile-input guards and security headers.

Written by hand because the checks must happen before FastAPI parses anything: Python's json
accepts NaN, Infinity and 1e400 (as inf), and PostgreSQL refuses NUL bytes and lone surrogates,
so each of these would otherwise surface as a 500 from deep inside a request.
"""

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import (
    DomainError,
    Forbidden,
    InvalidInput,
    PayloadTooLarge,
    UnsupportedMediaType,
    internal_error,
    problem,
)
from app.core.settings import is_loopback

MAX_JSON_DEPTH = 32
MAX_JSON_INT = 2**63 - 1
_FORBIDDEN_CHARS = re.compile("[\x00\ud800-\udfff]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ACCEPTED_MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded", "multipart/form-data")


class BadInput(ValueError):
    """Input no database or parser downstream can take safely."""


def _reject_constant(name: str) -> Any:
    raise BadInput(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise BadInput("a number is out of range")  # not echoed: the input is never sent back
    return value


def _bounded_int(text: str) -> int:
    if len(text) > 20:
        raise BadInput("an integer is out of range")
    value = int(text)
    if not -MAX_JSON_INT - 1 <= value <= MAX_JSON_INT:
        raise BadInput("an integer is out of range")
    return value


def check_text(text: str) -> None:
    """NUL bytes and lone surrogates cannot be stored in PostgreSQL text."""
    if _FORBIDDEN_CHARS.search(text):
        raise BadInput("strings may not contain NUL characters or unpaired surrogates")


def _walk(value: Any) -> None:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadInput(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                check_text(key)
                stack.append((child, depth + 1))
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def check_json_body(body: bytes) -> None:
    """Raise BadInput unless the body is strict, finite, bounded JSON in UTF-8."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput("the body is not valid UTF-8") from exc
    try:
        value = json.loads(
            text, parse_constant=_reject_constant, parse_float=_finite_float, parse_int=_bounded_int
        )
    except BadInput:
        raise
    except RecursionError as exc:
        raise BadInput(f"the JSON is nested deeper than {MAX_JSON_DEPTH} levels") from exc
    except ValueError as exc:
        raise BadInput("the body is not valid JSON") from exc
    _walk(value)


def check_urlencoded(raw: bytes) -> None:
    """A query string or form body: strict UTF-8 once decoded, with no NUL or lone surrogate."""
    try:
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput("the text is not valid UTF-8") from exc
    check_text(text)


# Multipart fields are checked once parsed, by app.core.routing (a file part may hold any bytes).
_TEXT_CHECKS: dict[str, Callable[[bytes], None]] = {"application/x-www-form-urlencoded": check_urlencoded}


def media_type(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return None


def is_json_media_type(kind: str | None) -> bool:
    return kind is not None and (
        kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))
    )


def _declared_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


# Where the guard leaves its verdict for the route: authorisation is decided before the body is
# judged, so a refusal is raised by the route's permission dependency (app.core.routing), not here.
REFUSAL_KEY = "probity.refusal"


class RequestGuard:
    """Judges hostile input before FastAPI parses it: 413, 415 and 422 for bodies, 422 for URLs.

    A refused body never reaches FastAPI (it sees an empty one); the verdict waits in the scope
    until the route has decided who may call it.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._check_target(scope)
        if refusal is None and scope["method"] in _BODY_METHODS:
            refusal, receive = await self._check_body(scope, receive)
        if refusal is not None:
            scope[REFUSAL_KEY] = refusal
            receive = _replay([{"type": "http.request", "body": b"", "more_body": False}])
        await self.app(scope, receive, send)

    @staticmethod
    def _check_target(scope: Scope) -> DomainError | None:
        try:
            check_text(scope["path"])
            check_urlencoded(scope.get("query_string", b""))
        except BadInput:
            return InvalidInput("The URL contains NUL characters or invalid UTF-8", loc=("query",))
        return None

    async def _check_body(self, scope: Scope, receive: Receive) -> tuple[DomainError | None, Receive]:
        headers = scope.get("headers", [])
        too_large = PayloadTooLarge(f"The body is larger than {self.max_body_bytes} bytes")
        declared = _declared_length(headers)
        if declared is not None and declared > self.max_body_bytes:
            return too_large, receive
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None, _replay([message])
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return too_large, receive
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        refusal = self._check_content(body, media_type(headers))
        return refusal, _replay([{"type": "http.request", "body": body, "more_body": False}])

    @staticmethod
    def _check_content(body: bytes, kind: str | None) -> DomainError | None:
        if not body:
            return None
        if kind is None or not (is_json_media_type(kind) or kind in ACCEPTED_MEDIA_TYPES):
            return UnsupportedMediaType("Send application/json (or a form where the endpoint takes one)")
        check = check_json_body if is_json_media_type(kind) else _TEXT_CHECKS.get(kind)
        if check is not None:
            try:
                check(body)
            except BadInput as exc:
                return InvalidInput(f"The body was refused: {exc}", loc=("body",))
        return None


def _replay(messages: list[Message]) -> Receive:
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        return {"type": "http.disconnect"}

    return receive


API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Pages load their one stylesheet and htmx from this origin; nothing inline, nothing from elsewhere.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


class SecurityHeaders:
    """nosniff, no-store, a strict CSP that forbids framing, Referrer-Policy, and HSTS in production."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {name.lower(): value for name, value in headers}
                for name, value in self._headers_for(scope):
                    if name not in present and not (name == b"x-frame-options" and _framing_allowed(present)):
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette answers a bug from outside every middleware, so that 500 would lack these
            # headers: answer here, then re-raise for the outer handler to log (it sends nothing more).
            if not started:
                await internal_error()(scope, receive, send_with_headers)
            raise

    def _headers_for(self, scope: Scope) -> list[tuple[bytes, bytes]]:
        is_page = not (scope["path"].startswith("/api/") or scope["path"] in ("/healthz", "/openapi.json"))
        headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", (PAGE_CSP if is_page else API_CSP).encode()),
            (b"cache-control", b"no-store"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if self.hsts:
            headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
        return headers


def _framing_allowed(headers: dict[bytes, bytes]) -> bool:
    """A response whose own CSP lets some sites frame it (the register's ?embed=1 form): the CSP's
    frame-ancestors decides, and an X-Frame-Options: DENY beside it would forbid every site."""
    policy = headers.get(b"content-security-policy", b"")
    return b"frame-ancestors" in policy and b"frame-ancestors 'none'" not in policy


class LoopbackOnly:
    """With the published development keys anyone could sign a token: such a server answers only
    this machine (`probity serve` already refuses to listen anywhere else; this also covers a
    server started some other way, or a proxy in front of it)."""

    def __init__(self, app: ASGIApp, *, unset: list[str]) -> None:
        self.app = app
        self.refusal = Forbidden(
            f"{' and '.join(unset)} not set: this server uses the published development keys "
            "and answers only requests from this machine"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and not (client and is_loopback(client[0])):
            refusal = self.refusal
            await problem(refusal.status, refusal.detail, code=refusal.code)(scope, receive, send)
            return
        await self.app(scope, receive, send)
