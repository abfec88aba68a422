"""The published register served like a web page: validators, revalidation, compression, caching.

Each form of the register is kept as one `Document` per version: its bytes, a strong ETag (a hash of
the bytes, so a change that leaves the page as it was keeps the tag) and the time it last changed.
A browser or a proxy that holds a copy revalidates it for a 304 with no body; a copy is compressed
once per version and encoding, not on every request (the trust's page is megabytes of HTML).
"""

import gzip
import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import anyio.to_thread
import brotli
from starlette.requests import Request
from starlette.responses import Response

from app.core import clock
from app.core.compression import MINIMUM_SIZE

# Compressed once per version. brotli 5 and gzip 6: on register pages higher settings gain 1-5 %
# and cost 2-20 times as long (brotli 11: 30 ms for a school's page, seconds for the trust's).
BROTLI_QUALITY = 5
GZIP_LEVEL = 6
# Below this a document is compressed on the event loop (about a millisecond): quicker than the
# hop to a worker thread.
_ON_THE_LOOP = 32 * 1024
# The encodings served, best first, with their ETag suffixes (each representation has its own
# strong tag: the bytes differ).
ENCODINGS = ("br", "gzip")


def _compress(body: bytes, coding: str) -> bytes:
    if coding == "br":
        return bytes(brotli.compress(body, quality=BROTLI_QUALITY))
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


@dataclass
class Document:
    """One form of one version of the register, as served."""

    body: bytes
    media_type: str
    modified_at: datetime  # whole seconds, UTC: what Last-Modified says
    tag: str = ""  # the hash the ETags are made from
    generated_at: datetime | None = None  # the register's generated_at it was rendered with
    encoded: dict[str, bytes] = field(default_factory=dict)
    # Many readers right after a change ask for the same compressed copy: one makes it, the others
    # wait for it rather than each compressing megabytes again.
    _compressing: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.tag:
            self.tag = hashlib.sha256(self.body).hexdigest()[:32]

    def etag(self, coding: str | None) -> str:
        return f'"{self.tag}-{coding}"' if coding else f'"{self.tag}"'

    async def body_for(self, coding: str | None) -> bytes:
        if coding is None:
            return self.body
        found = self.encoded.get(coding)
        if found is not None:
            return found
        if len(self.body) < _ON_THE_LOOP:
            return self._encode(coding)
        return await anyio.to_thread.run_sync(self._encode, coding)

    def _encode(self, coding: str) -> bytes:
        with self._compressing:
            found = self.encoded.get(coding)
            if found is None:
                found = self.encoded[coding] = _compress(self.body, coding)
            return found


def new_document(
    body: bytes, media_type: str, previous: "Document | None", generated_at: datetime | None = None
) -> Document:
    """The document of a new version: the previous one when nothing in it changed (same tag, same
    Last-Modified, its compressed copies kept), else new bytes modified now. Last-Modified only
    moves forward, by a second at least: a change within the second of the last one must not look
    unmodified to a client that revalidates with If-Modified-Since alone."""
    if previous is not None and previous.body == body:
        return previous
    # The time the data changed (the register's generated_at): the same in every worker and after a
    # restart; else now.
    modified = (generated_at or clock.now()).astimezone(UTC).replace(microsecond=0)
    if previous is not None:
        modified = max(modified, previous.modified_at + timedelta(seconds=1))
    return Document(body, media_type, modified, generated_at=generated_at)


def _qualities(request: Request) -> dict[str, float]:
    """Each content coding the client names, with its quality (RFC 9110, section 12.5.3)."""
    named: dict[str, float] = {}
    for header in request.headers.getlist("accept-encoding"):
        for item in header.split(","):
            coding, _, params = item.strip().partition(";")
            quality = 1.0
            for param in params.split(";"):
                name, _, value = param.strip().partition("=")
                if name.strip().lower() == "q":
                    try:
                        quality = float(value)
                    except ValueError:
                        quality = 0.0
            if coding.strip():
                named[coding.strip().lower()] = quality
    return named


def coding_for(request: Request, document: Document) -> str | None:
    """brotli, else gzip, when accepted; "*" stands only for the codings the client does not name."""
    if len(document.body) < MINIMUM_SIZE:
        return None
    named = _qualities(request)
    anything = named.get("*", 0.0)
    return next((coding for coding in ENCODINGS if named.get(coding, anything) > 0), None)


def _tags(header: str) -> list[str]:
    """The entity tags of an If-None-Match, weak or strong, each with its quotes."""
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def _not_modified(request: Request, document: Document) -> bool:
    """RFC 9110, section 13.2.2: If-None-Match first (weak comparison), else If-Modified-Since."""
    none_match = request.headers.get("if-none-match")
    if none_match is not None:
        ours = {document.etag(None), *(document.etag(coding) for coding in ENCODINGS)}
        return any(tag == "*" or tag in ours for tag in _tags(none_match))
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False  # not a date: the condition is ignored (RFC 9110)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return document.modified_at <= when


async def served(
    request: Request, document: Document, *, max_age: int, headers: dict[str, str] | None = None
) -> Response:
    """A 304 when the client's copy is current; else the document, compressed when accepted."""
    coding = coding_for(request, document)
    common = {
        "ETag": document.etag(coding),
        "Last-Modified": format_datetime(document.modified_at, usegmt=True),
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if _not_modified(request, document):
        # With the headers the 200 would have (its Content-Security-Policy): a cache replaces the
        # stored ones with these (RFC 9111, section 4.3.4).
        return Response(status_code=304, headers={**common, **(headers or {})})
    body = await document.body_for(coding)
    if coding:
        common["Content-Encoding"] = coding
    return Response(body, media_type=document.media_type, headers={**common, **(headers or {})})
