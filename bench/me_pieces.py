"""Where the time of GET /api/v1/me goes: each piece of its path timed on its own, one call at a time.

    .venv/bin/python -m bench.me_pieces                     # a fresh SQLite file
    .venv/bin/python -m bench.me_pieces --database-url postgresql://postgres@127.0.0.1:55433/postgres

Companion to bench/me_vs_pk.py (which judges the target); this only explains a miss. Figures are
microseconds per call, the median of several batches, in this process, with no HTTP and no
concurrency, so they add up to less than a request costs under load.
"""

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import select, text

from bench.me_vs_pk import SERVER_ENV, fresh_database, prepare


class _NoDatabase:
    """Stands in for the session so that load_actor's own Python work can be timed alone."""

    def __init__(self, row: tuple[Any, ...]) -> None:
        self.row = row

    async def execute(self, _statement: Any, _parameters: Any = None) -> "_NoDatabase":
        return self

    def one_or_none(self) -> tuple[Any, ...]:
        return self.row


async def _time_all(
    pieces: list[tuple[str, Callable[[], Awaitable[object]]]], calls: int, batches: int
) -> list[tuple[str, float]]:
    """Median microseconds per call; batches run round-robin across the pieces so drift hits all alike."""
    results: dict[str, list[float]] = {name: [] for name, _ in pieces}
    for batch in range(batches + 1):  # the first round warms up and is not recorded
        for name, call in pieces:
            started = time.perf_counter()
            for _ in range(calls):
                await call()
            if batch:
                results[name].append((time.perf_counter() - started) / calls * 1e6)
    return [(name, statistics.median(values)) for name, values in results.items()]


async def measure(calls: int, batches: int) -> list[tuple[str, float]]:
    """Each piece of the /me path, and the baseline's one primary-key get, in microseconds."""
    from app.auth.dependencies import get_token_service, load_actor
    from app.auth.tokens import TokenSubject
    from app.core.db import get_database
    from app.people.models import Person
    from app.people.schemas import MeRead

    database = get_database()
    async with database.session(write=False) as session:
        person_id = (await session.execute(select(Person.id))).scalar_one()
        subject_of = TokenSubject(person_id, 0)
        actor = await load_actor(session, subject_of)
    assert actor is not None
    token = get_token_service().issue(person_id, 0).access_token
    stub = _NoDatabase((actor.id, actor.email, actor.full_name, actor.school_id, "governance_admin", ""))

    async def in_session(work: Callable[[Any], Awaitable[object]]) -> None:
        async with database.session(write=False) as session:
            await work(session)

    async def subject() -> object:
        return get_token_service().subject(token)

    async def me_body() -> object:
        me = MeRead(
            id=actor.id,
            email=actor.email,
            full_name=actor.full_name,
            school_id=actor.school_id,
            roles=sorted(actor.roles),
            governance_roles=sorted(actor.governance_roles),
        )
        return MeRead.model_validate(me).model_dump_json()

    async def floor() -> None:
        await in_session(lambda s: s.execute(text("SELECT 1")))

    async def baseline() -> None:
        await in_session(lambda s: s.get(Person, person_id))

    async def as_me_does() -> None:
        await in_session(lambda s: load_actor(s, subject_of))

    async def actor_in_python() -> object:
        return await load_actor(stub, subject_of)  # type: ignore[arg-type]

    pieces: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("token check (TokenService.subject)", subject),
        ("load_actor without the database (binding, Actor)", actor_in_python),
        ("MeRead built, validated, dumped to JSON", me_body),
        ("session + SELECT 1 + commit (the floor)", floor),
        ("session + session.get(Person) + commit (the baseline)", baseline),
        ("session + load_actor + commit (as /me does)", as_me_does),
    ]
    timings = await _time_all(pieces, calls, batches)
    await database.dispose()
    return timings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.me_pieces", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a postgresql:// server to use (default: SQLite)")
    parser.add_argument("--calls", type=int, default=500, help="calls per batch")
    parser.add_argument("--batches", type=int, default=7, help="recorded batches per piece")
    args = parser.parse_args(argv)
    with fresh_database(args.database_url) as url:
        env = {**os.environ, **SERVER_ENV, "PROBITY_DATABASE_URL": url}
        os.environ.update({**SERVER_ENV, "PROBITY_DATABASE_URL": url})
        prepare(url, env)
        timings = asyncio.run(measure(args.calls, args.batches))
    backend = url.split(":", 1)[0]
    print(f"database {backend}; microseconds per call, median of {args.batches} batches of {args.calls}")
    for name, micros in timings:
        print(f"  {micros:8.1f}  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
