"""The product app plus one baseline route, for bench/me_vs_pk.py only; never served in production.

GET /bench/pk/{id} does the least a database-backed route can do through the same stack: the same
middleware, the same per-request session dependency, one primary-key select, a tiny JSON body,
and no authentication.
"""

import uuid

from fastapi import FastAPI

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
