"""The web interface's credential: the same access token as the API's, carried in a cookie, and the
CSRF token every form of a cookie session must send back.

A bearer token travels in a header the browser never adds by itself, so it needs no CSRF defence; a
cookie is added to every request to this site, another site's forms included, so a request that
changes something and is signed in by the cookie must also carry a token only our pages know.

The CSRF token is an HMAC of the cookie it protects (the session, or before sign-in a random
"pre-session" cookie), under a key derived from the service's secret key: nothing to store, it
changes when the session does, and another site can neither read it nor compute it. (The standard
library's hmac is all it takes; a CSRF package would add a second session store for nothing.)
"""

import hashlib
import hmac
import re
import secrets
from functools import lru_cache

from starlette.requests import Request
from starlette.responses import Response

from app.core.settings import get_settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"  # a hidden input of every form
CSRF_HEADER = "X-CSRF-Token"  # for a script or an API client using the cookie


@lru_cache
def session_cookie_name() -> str:
    """In production the `__Host-` prefix makes the browser refuse the cookie unless it is Secure,
    for the whole site and set by this host alone (no sibling subdomain can plant one)."""
    return "__Host-probity_session" if get_settings().is_production else "probity_session"


@lru_cache
def pre_session_cookie_name() -> str:
    """Before sign-in there is no session to tie the login form's token to: a random cookie stands
    in, with the same `__Host-` protection in production (no sibling subdomain can plant one)."""
    return "__Host-probity_pre_session" if get_settings().is_production else "probity_pre_session"


@lru_cache
def _csrf_key() -> bytes:
    return hmac.new(get_settings().key_bytes("secret_key"), b"probity csrf token v1", hashlib.sha256).digest()


def csrf_token_for(anchor: str) -> str:
    """The token forms carry while the browser holds this cookie value."""
    return hmac.new(_csrf_key(), anchor.encode(), hashlib.sha256).hexdigest()


_TOKEN_SHAPE = re.compile(r"[0-9a-f]{64}")


def csrf_valid(anchor: str | None, token: str | None) -> bool:
    """True for the token of this anchor. Anything not shaped like one (a non-ASCII character would
    make compare_digest raise) is simply wrong."""
    if not anchor or not token or not _TOKEN_SHAPE.fullmatch(token):
        return False
    return hmac.compare_digest(csrf_token_for(anchor), token)


def session_token(request: Request) -> str | None:
    return request.cookies.get(session_cookie_name()) or None


def csrf_anchor(request: Request) -> str | None:
    """What this browser's forms are tied to: its session, else its pre-session cookie."""
    return session_token(request) or request.cookies.get(pre_session_cookie_name()) or None


async def sent_csrf_token(request: Request) -> str | None:
    """The token in the X-CSRF-Token header or the form's hidden field (the form is parsed once and
    kept on the request, so the handler reads the same parse)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None


def _cookie_flags() -> dict[str, bool | str]:
    return {"httponly": True, "secure": get_settings().is_production, "samesite": "lax", "path": "/"}


def set_session(response: Response, token: str, max_age: int) -> None:
    response.set_cookie(session_cookie_name(), token, max_age=max_age, **_cookie_flags())  # type: ignore[arg-type]
    flags = _cookie_flags()  # a `__Host-` cookie is deleted only by a Set-Cookie as strict as its own
    response.delete_cookie(
        pre_session_cookie_name(), path="/", secure=bool(flags["secure"]), httponly=True, samesite="lax"
    )


def clear_session(response: Response) -> None:
    flags = _cookie_flags()
    response.delete_cookie(
        session_cookie_name(), path="/", secure=bool(flags["secure"]), httponly=True, samesite="lax"
    )


def pre_session_anchor(request: Request) -> str:
    """The login form's anchor: the browser's pre-session cookie, or a new one to set with the form."""
    return request.cookies.get(pre_session_cookie_name()) or secrets.token_urlsafe(32)


def set_pre_session(response: Response, anchor: str) -> None:
    response.set_cookie(pre_session_cookie_name(), anchor, **_cookie_flags())  # type: ignore[arg-type]
