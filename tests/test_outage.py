"""The database going away (finding 12): PostgreSQL stopped (`-m fast` and `-m immediate`) and started
again while clients read and write. Every answer during the outage is a 503 problem+json with
Retry-After, never a 500 and never a hang; afterwards the same engine serves again by itself
(pre-ping replaces the dead connections) and /healthz goes 503 → 200.

It runs in the PostgreSQL pass, on a throwaway cluster of its own (tests/pgcluster.py), never on the
server the suite uses."""

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import psycopg
import pytest
from fastapi import FastAPI

from app.core import db as core_db
from app.core.db import Database, create_engine
from app.core.migrations import migrate
from app.people.governance import GovernanceRole
from tests.dbutil import ON_POSTGRES
from tests.factories import bearer, make_person
from tests.live import live_client
from tests.pgcluster import Cluster, server_binaries

pytestmark = pytest.mark.skipif(
    not ON_POSTGRES,
    reason="a database server going away is PostgreSQL's case (SQLite is a file inside the service's "
    "own process); this runs in the PostgreSQL pass",
)

CLIENTS = 8
REQUEST_BOUND_S = 15.0  # a request still unanswered after this is a hang
OUTAGE_S = 2.0
RECOVERY_BOUND_S = 10.0
STEADY_S = 2.0
PROBLEM_JSON = "application/problem+json"


@dataclass(frozen=True)
class Answer:
    what: str
    started: float
    finished: float
    status: int | None  # None: the request raised, or hung
    content_type: str = ""
    retry_after: str | None = None
    raised: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def proper_503(self) -> bool:
        retry = self.retry_after or ""
        return (
            self.status == 503 and self.content_type == PROBLEM_JSON and retry.isdigit() and int(retry) >= 1
        )


@dataclass
class Load:
    """Several clients reading and writing, and a health probe, each recording every answer."""

    http: httpx.AsyncClient
    answers: list[Answer] = field(default_factory=list)
    health: list[Answer] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def client(self, who: int, headers: dict[str, str]) -> None:
        k = 0
        while not self.stop.is_set():
            k += 1
            body = {"category": "directorship", "organisation_name": f"Outage Co {who}-{k}"}
            method, path, json = (
                ("GET", "/api/v1/interests", None),
                ("POST", "/api/v1/interests", body),
                ("GET", "/api/v1/me", None),
            )[k % 3]
            self.answers.append(await self.ask(method, path, json, headers))
            await asyncio.sleep(0.01)

    async def probe_health(self) -> None:
        while not self.stop.is_set():
            self.health.append(await self.ask("GET", "/healthz", None, {}))
            await asyncio.sleep(0.1)

    async def ask(self, method: str, path: str, json: object, headers: dict[str, str]) -> Answer:
        loop = asyncio.get_running_loop()
        started, what = loop.time(), f"{method} {path}"
        try:
            async with asyncio.timeout(REQUEST_BOUND_S):
                response = await self.http.request(method, path, json=json, headers=headers)
        except TimeoutError:
            return Answer(what, started, loop.time(), None, raised="no answer within the bound")
        except Exception as exc:  # an unhandled error in the app: a 500 for a real client
            return Answer(what, started, loop.time(), None, raised=type(exc).__name__)
        return Answer(
            what,
            started,
            loop.time(),
            response.status_code,
            response.headers.get("content-type", ""),
            response.headers.get("retry-after"),
        )


@dataclass
class Marks:
    stopping: float = 0.0
    stopped: float = 0.0
    starting: float = 0.0
    started: float = 0.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    binaries = server_binaries()
    if binaries is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) here: set PROBITY_TEST_PG_BIN")
    made = Cluster(binaries)
    try:
        made.start()
        yield made
    finally:
        made.remove()


@pytest.fixture
async def database(cluster: Cluster) -> AsyncIterator[Database]:
    """A migrated database on the throwaway cluster, also the process's database (for /healthz)."""
    name = f"probity_outage_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(cluster.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    migrate(cluster.database_url(name))
    opened, previous = Database(create_engine(url=cluster.database_url(name))), core_db._database
    core_db.set_database(opened)
    yield opened
    core_db.set_database(previous)
    await opened.dispose()


async def outage(cluster: Cluster, load: Load, mode: str) -> Marks:
    """Warm up, stop the server, keep asking, start it again, keep asking."""
    loop, marks = asyncio.get_running_loop(), Marks()
    await asyncio.sleep(1.0)
    marks.stopping = loop.time()
    await cluster.run(cluster.stop_command(mode))
    marks.stopped = loop.time()
    await asyncio.sleep(OUTAGE_S)
    marks.starting = loop.time()
    await cluster.run(cluster.start_command())
    marks.started = loop.time()
    await asyncio.sleep(RECOVERY_BOUND_S / 2 + STEADY_S)
    return marks


class TestTheDatabaseGoingAway:
    @pytest.mark.parametrize("mode", ["fast", "immediate"])
    async def test_an_outage_is_503_with_retry_after_and_the_service_recovers_by_itself(
        self, app: FastAPI, cluster: Cluster, database: Database, mode: str
    ) -> None:
        async with database.session(write=True) as session:
            people = [
                await make_person(session, governance_roles=(GovernanceRole.TRUSTEE,)) for _ in range(CLIENTS)
            ]
        engine, pool = database.engine, database.engine.pool
        async with live_client(app, database) as http:
            load = Load(http)
            tasks = [asyncio.create_task(load.client(n, bearer(p.id))) for n, p in enumerate(people)]
            tasks.append(asyncio.create_task(load.probe_health()))
            try:
                marks = await outage(cluster, load, mode)
            finally:
                load.stop.set()
                await asyncio.gather(*tasks)
        assert database.engine is engine and database.engine.pool is pool  # nothing was recreated
        print(f"\n{mode}: {summary(load.answers + load.health, marks)}")
        check(load, marks)

    async def test_connections_that_died_idle_in_the_pool_never_reach_a_request(
        self, app: FastAPI, cluster: Cluster, database: Database
    ) -> None:
        async with database.session(write=True) as session:
            people = [await make_person(session) for _ in range(CLIENTS)]
        async with live_client(app, database) as http:

            async def everyone() -> list[int]:
                answers = await asyncio.gather(
                    *(http.get("/api/v1/me", headers=bearer(p.id)) for p in people)
                )
                return [answer.status_code for answer in answers]

            assert await everyone() == [200] * CLIENTS
            idle = database.engine.pool.checkedin()  # type: ignore[attr-defined]
            assert idle >= 2, idle
            await cluster.run(cluster.stop_command("fast"))
            await cluster.run(cluster.start_command())
            assert await everyone() == [200] * CLIENTS


def check(load: Load, marks: Marks) -> None:
    answers = load.answers + load.health
    broken = [a for a in answers if not a.ok and not a.proper_503]
    assert broken == [], broken[:10]
    before = [a for a in load.answers if a.finished < marks.stopping]
    assert before and all(a.ok for a in before), "the load did not work before the outage"
    during = [a for a in answers if a.started >= marks.stopped and a.finished <= marks.starting]
    assert len(during) >= CLIENTS and all(a.proper_503 for a in during), summary(during, marks)
    recovered = min((a.finished for a in load.answers if a.ok and a.started >= marks.started), default=None)
    assert recovered is not None and recovered - marks.started <= RECOVERY_BOUND_S, "no recovery"
    after = [a for a in answers if a.started >= recovered + 0.5]
    assert len(after) >= CLIENTS and all(a.ok for a in after), summary(after, marks)
    health_during = [a.status for a in load.health if marks.stopped <= a.started <= marks.starting]
    assert 503 in health_during and load.health[-1].status == 200


def summary(answers: list[Answer], marks: Marks) -> str:
    statuses: dict[str, int] = {}
    for answer in answers:
        key = str(answer.status) if answer.status is not None else f"raised {answer.raised}"
        statuses[key] = statuses.get(key, 0) + 1
    stop_s, start_s = marks.stopped - marks.stopping, marks.started - marks.starting
    slowest = max((a.finished - a.started for a in answers), default=0.0)
    took = f"stop took {stop_s:.2f} s, start {start_s:.2f} s"
    return f"{len(answers)} answers {statuses}; {took}; slowest answer {slowest:.2f} s"
