"""Compressed responses: brotli or gzip for text bodies over 1 KB, whatever the route.

starlette-compress does the work (negotiation, Vary, streaming); this module only decides where it
must not. Compression leaks the length of a body, and a body that mixes a secret with text an
attacker chooses can be read a byte at a time from the lengths (BREACH). So a response that
carries a credential is never compressed:

- `POST /api/v1/auth/token` answers with a bearer token, and `/login` (the web interface's
  sign-in) sets it as a cookie beside a CSRF token.

- Nothing asked for with a cookie is compressed: a browser adds cookies by itself to the requests
  another site makes it send, which is what the attack needs, and a page of a cookie session (the
  web interface) carries a CSRF token. Failing closed: no page has to remember to opt out.

Every other body is compressed. The API's other answers carry no credential (a bearer token travels
in a header the browser never adds by itself, so another site cannot make a signed-in request and
watch its length), and the published register holds nothing secret. A response that sets a cookie
to a request that had none (a sign-in form) must be named in NEVER_COMPRESSED.
"""

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette_compress import CompressMiddleware, add_compress_type

# Bodies that carry a credential: sent as they are.
NEVER_COMPRESSED = frozenset({"/api/v1/auth/token", "/login"})
# The published register compresses its own cached pages once per version (app.register.http).
SELF_COMPRESSED = frozenset({"/register", "/api/v1/public/register", "/api/v1/public/register.csv"})
SELF_COMPRESSED_UNDER = "/register/"  # the schools' pages
# "Over 1 KB": smaller bodies gain little and cost a round of the compressor.
MINIMUM_SIZE = 1025
# Quality 4 (brotli) and level 6 (gzip) compress a register page of several megabytes in tens of
# milliseconds; the register's cached pages are compressed once, harder (app.register.http).
BROTLI_QUALITY = 4
GZIP_LEVEL = 6

# Text types the library leaves alone by default: our errors and our CSV downloads.
for _media_type in ("application/problem+json", "text/csv"):
    add_compress_type(_media_type)


class Compression:
    """brotli or gzip, as the client accepts, except for the paths in NEVER_COMPRESSED (and the
    register's, which compress themselves)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.compressing = CompressMiddleware(
            app,
            minimum_size=MINIMUM_SIZE,
            zstd=False,
            brotli_quality=BROTLI_QUALITY,
            gzip_level=GZIP_LEVEL,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (
            path in NEVER_COMPRESSED
            or path in SELF_COMPRESSED
            or path.startswith(SELF_COMPRESSED_UNDER)
            or any(name == b"cookie" for name, _ in scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        await self.compressing(scope, receive, send)
