"""The product app plus baseline routes, for bench/me_vs_pk.py and bench/register_web.py only; never
served in production.

GET /bench/pk/{id} does the least a database-backed route can do through the same stack: the same
middleware, the same per-request session dependency, one primary-key select, a tiny JSON body,
and no authentication (bench/me_vs_pk.py). create_register_web_app() adds a static file and the same
bytes from memory, beside the register's cached pages (bench/register_web.py).
"""

import os
import uuid
from pathlib import Path

from fastapi import FastAPI
from starlette.responses import Response
from starlette.staticfiles import PathLike, StaticFiles
from starlette.types import Scope

from app.core.deps import Session
from app.main import create_app
from app.people.models import Person

BASELINE_PATH = "/bench/pk/{person_id}"


async def person_by_key(session: Session, person_id: uuid.UUID) -> dict[str, str | None]:
    """One primary-key select, nothing else."""
    person = await session.get(Person, person_id)
    return {"id": None if person is None else str(person.id)}


def create_bench_app() -> FastAPI:
    """create_app() with the baseline route added."""
    app = create_app()
    app.add_api_route(BASELINE_PATH, person_by_key, methods=["GET"], include_in_schema=False)
    return app


# ---------------------------------------------------------------- bench/register_web.py's baselines

# Under /register, so that every middleware treats them exactly as it treats the register's pages
# (app.core.compression passes /register... through untouched: those pages compress themselves).
STATIC_PREFIX = "/register/bench-static"
MEMORY_PATH = "/register/bench-memory/{name}"
# The folder the static files are served from, set by bench/register_web.py before the server starts.
STATIC_DIR_VARIABLE = "PROBITY_BENCH_STATIC_DIR"


def _page_headers() -> dict[str, str]:
    """The headers a register page sends besides its validators (app.register.router._page)."""
    from app.core.settings import get_settings
    from app.register.render import page_csp

    return {
        "Cache-Control": f"public, max-age={get_settings().register_max_age_seconds}",
        "Vary": "Accept-Encoding",
        "Content-Security-Policy": page_csp(get_settings().register_frame_ancestors),
    }


class EncodedStaticFiles(StaticFiles):
    """Starlette's StaticFiles (stat, ETag, Last-Modified, If-None-Match, the file read in a thread),
    sending `NAME.br` as `Content-Encoding: br` with the register page's caching headers."""

    def file_response(
        self, full_path: PathLike, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(_page_headers())
        if response.status_code == 200 and str(full_path).endswith(".br"):
            response.headers["Content-Encoding"] = "br"
        return response


def create_register_web_app() -> FastAPI:
    """create_app() with two baselines for bench/register_web.py: the files of $PROBITY_BENCH_STATIC_DIR
    served by StaticFiles at /register/bench-static/, and GET /register/bench-memory/{name}, the same
    file's bytes held in memory and sent by a plain route (no database, no dependencies)."""
    app = create_app()
    folder = Path(os.environ[STATIC_DIR_VARIABLE])
    app.mount(STATIC_PREFIX, EncodedStaticFiles(directory=folder), name="bench-static")
    held: dict[str, bytes] = {}
    headers = _page_headers()

    async def from_memory(name: str) -> Response:
        body = held.get(name)
        if body is None:
            body = held[name] = (folder / Path(name).name).read_bytes()
        coding = {"Content-Encoding": "br"} if name.endswith(".br") else {}
        return Response(body, media_type="text/html", headers={**headers, **coding})

    app.add_api_route(MEMORY_PATH, from_memory, methods=["GET"], include_in_schema=False)
    return app
