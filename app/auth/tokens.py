"""The only module that touches python-jose, with its loose defaults hardened.

python-jose decodes with the token's own algorithm when none is given, accepts tokens without
`exp` or `aud`, and raises JWKError/JWSError outside JWTError: so the algorithm list is passed
on every decode, every registered claim is required, and every JOSEError becomes a 401.
It also reads the time from the system clock and takes `"exp": "9999999999"` (a string) as a
date, so the time claims are checked here instead: JSON numbers only, against app.core.clock,
the same 'now' that stamps them when a token is issued.
"""

import math
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from jose import jws, jwt
from jose.exceptions import JOSEError

from app.core import clock
from app.core.errors import Unauthorized
from app.core.settings import MIN_KEY_BYTES, Settings

ALGORITHM = "HS256"
# python-jose's require_<claim> switches its own check of that claim back on, so the time
# claims (exp, iat, nbf) are left out here and required by _check_times.
_REQUIRED = ("sub", "aud", "iss")
_DECODE_OPTIONS: dict[str, Any] = {
    "verify_signature": True,
    "verify_aud": True,
    "verify_iat": False,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iss": True,
    "verify_sub": True,
    **{f"require_{claim}": True for claim in _REQUIRED},
    "leeway": 0,
}
_EXPIRED = "Invalid or expired token"


def _numeric_date(claims: dict[str, Any], name: str) -> float:
    """A time claim as RFC 7519 has it: a finite JSON number of seconds since the epoch."""
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise Unauthorized(_EXPIRED)
    return float(value)


def _check_times(claims: dict[str, Any], max_lifetime: timedelta) -> None:
    """Refused on or after `exp`, before `nbf` or `iat`, and when it was made to live longer than
    this service ever issues (a token signed with a leaked key for a year, say)."""
    now = clock.now().timestamp()
    expires = _numeric_date(claims, "exp")
    issued = _numeric_date(claims, "iat")
    if expires <= now or issued > now:
        raise Unauthorized(_EXPIRED)
    if expires - issued > max_lifetime.total_seconds():
        raise Unauthorized(_EXPIRED)
    if "nbf" in claims and _numeric_date(claims, "nbf") > now:
        raise Unauthorized(_EXPIRED)


def _credentials_version(claims: dict[str, Any]) -> int:
    """The person's credentials version when the token was issued: a JSON integer."""
    value = claims.get("ver")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise Unauthorized(_EXPIRED)
    return value


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


@dataclass(frozen=True)
class TokenSubject:
    """Whom a valid token names, and which of their credentials it was issued under: changing the
    password, deactivating or reactivating moves the version on and ends every earlier token."""

    person_id: uuid.UUID
    credentials_version: int


class TokenService:
    """Signs and checks access tokens with one HS256 key of at least 32 bytes."""

    def __init__(self, settings: Settings) -> None:
        key = settings.key_bytes("secret_key")
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"PROBITY_SECRET_KEY must be at least {MIN_KEY_BYTES} bytes long")
        self._key = key.decode()
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._ttl = timedelta(minutes=settings.token_ttl_minutes)

    def issue(self, person_id: uuid.UUID, credentials_version: int) -> IssuedToken:
        """A signed token for this person, valid for the configured lifetime."""
        issued_at = clock.now()
        claims = {
            "sub": str(person_id),
            "ver": credentials_version,
            "iat": int(issued_at.timestamp()),
            "exp": int((issued_at + self._ttl).timestamp()),
            "iss": self._issuer,
            "aud": self._audience,
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM)
        return IssuedToken(access_token=token, expires_in=int(self._ttl.total_seconds()))

    def subject(self, token: str) -> TokenSubject:
        """The person a valid token names; anything else is a 401."""
        try:
            if jws.get_unverified_header(token).get("alg") != ALGORITHM:
                raise Unauthorized("Token algorithm not accepted")
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options=_DECODE_OPTIONS,
            )
            _check_times(claims, self._ttl)
            return TokenSubject(uuid.UUID(str(claims["sub"])), _credentials_version(claims))
        except (JOSEError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise Unauthorized(_EXPIRED) from exc
