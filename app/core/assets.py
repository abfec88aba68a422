"""Files served as they are (the pages' stylesheet and script, the API docs' Swagger UI): each route
names its files in a fixed table, never a path built from the request; every answer carries an ETag
and is revalidated (the names do not change between versions, the contents do)."""

import hashlib
from functools import cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response


@cache
def _load(path: Path) -> tuple[bytes, str]:
    content = path.read_bytes()
    return content, f'"{hashlib.sha256(content).hexdigest()[:32]}"'


def served(request: Request, path: Path, media_type: str) -> Response:
    """The file, or a 304 when the client's copy is this one."""
    content, etag = _load(path)
    headers = {"ETag": etag, "Cache-Control": "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(content, media_type=media_type, headers=headers)
