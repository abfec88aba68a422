"""The published register served like a web page (issue 11): bytes on the wire, 304s, requests per second.

Not a test. A trust of 5,000 people and 50 schools: 18 at trust level (5 members, 12 trustees, an
accounting officer), about 12 local governors per school (8 to 16, each appointment naming its
school), some governors who left years ago (no longer listed), and staff for the rest; 5 interests
each, made as bench/register.py makes them, and the audit trail their making would have left (an
event per school, person, appointment and interest: every request of the register reads the trail's
last register event). One uvicorn worker serves the product app plus two baselines
(bench/app_with_baseline.py:create_register_web_app), and one run measures:

  1. bytes on the wire of /register (the trust) and of the largest school's page, for
     Accept-Encoding identity, gzip and br (the raw body as received, not decoded; headers apart);
     also, after a change, how long the first request of each encoding takes (it renders or
     compresses the new version) and eight br requests of the trust page at once;
  2. a 304 revalidation (If-None-Match with the page's br ETag) of the school page and of the
     trust page, p50/p95/p99 over many sequential requests on one keep-alive connection (httpx,
     so the client's own time is in the figures), interleaved with the same revalidation of the
     static file (StaticFiles' own If-None-Match) as the baseline;
  3. requests per second with wrk (Accept-Encoding: br, as a browser sends it) of the cached school
     page, beside a file holding exactly the bytes of that page's br representation served by
     starlette's StaticFiles with Content-Encoding: br and the page's caching headers, and the same
     bytes from memory by a plain route (no database): same server process, same middleware (all
     three under /register, which the compression middleware leaves to the register), rounds
     rotated so that each goes first as often as the others;
  2 and 3 run after 2,000 audit events of other kinds (declarations) follow the last change to the
  register, as other work follows it in a trust's day;
  4. in-process: one compression of a new version with the app's settings (quality 11 below 1 MiB);
  5. in-process: the school page handler's work piece by piece (its session and two SELECTs);
  6. in-process: cache.version() with 10,000 and 100,000 more non-register events, and its plan.
Targets: a school page under 100 KB compressed (gzip and br); the school page's 304 p95 under 5 ms;
the cached school page at least 50 % of the static file's rate (ratio of the medians).

    .venv/bin/python -m bench.register_web
    .venv/bin/python -m bench.register_web --database-url postgresql://postgres@127.0.0.1:55433/bench_register_web

With a PostgreSQL URL a new probity_bench_<hex> database is created on that server and dropped
afterwards (the database named in the URL is left alone). Exit status: 0 every target met, 3 a
target missed, 2 errors during the load (no verdict), 1 when the run itself failed.
"""

import os

# Settings are read once per process: fix them before anything imports the app. The server gets the
# same keys, so a token issued here is accepted there.
from bench.harness import KEYS

os.environ.update({**KEYS, "PROBITY_ENV": "development"})

import argparse
import asyncio
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.audit.service import Entry
from app.auth.tokens import TokenService
from app.cli import migrate
from app.core.db import Database, create_engine
from app.core.settings import get_settings
from app.people.schools import school_key, slugify
from app.register import http as register_http
from bench.app_with_baseline import MEMORY_PATH, STATIC_DIR_VARIABLE, STATIC_PREFIX
from bench.harness import bench_database, percentile, server
from bench.me_vs_pk import Load, parse_wrk
from bench.register import _appointment, _interest, _person, write_rows

TARGET_SCHOOL_BYTES = 100 * 1024
TARGET_304_P95_MS = 5.0
TARGET_RATIO = 0.50
APP_FACTORY = "bench.app_with_baseline:create_register_web_app"
PLACES = (
    "Oakwood", "Riverside", "Northgate", "Summit", "Beacon", "Harbour", "Meadow", "Kingsway",
    "Ashford", "Brookfield", "Castleton", "Denholme", "Elmstead", "Fairview", "Greenhill",
    "Hillside", "Ivybridge", "Juniper", "Kirkby", "Longridge", "Millbrook", "Newlands", "Orchard",
    "Parkside", "Queensway",
)  # fmt: skip
SCHOOL_KINDS = ("Primary School", "Academy")
TRUST_LEVEL = (("member", 5), ("trustee", 12), ("accounting_officer", 1))
CODINGS = ("identity", "gzip", "br")
STATIC_NAME = "school.html.br"


# ---------------------------------------------------------------- the trust


@dataclass
class Trust:
    admin_id: uuid.UUID
    schools: list[dict[str, Any]]  # id, name, slug
    governors: dict[uuid.UUID, list[uuid.UUID]]  # school -> its listed governors' appointment ids
    people: int
    listed: int
    former_governors: int
    staff: int
    interests: int
    trail: int  # audit events seeded

    def school(self, school_id: uuid.UUID) -> dict[str, Any]:
        return next(s for s in self.schools if s["id"] == school_id)


def seed(
    url: str,
    people: int,
    schools: int,
    per_school: int,
    interests_each: int,
    rng: random.Random,
    *,
    with_trail: bool,
) -> Trust:
    """Bulk rows through the app's own tables in one transaction, as bench/register.py writes them, with
    slugs and each local governor's school. Then, unless told not to, the audit trail their making
    would have left (an event per school, person, appointment and interest created)."""
    now = datetime.now(UTC)
    today = now.date()
    names = [f"{place} {kind}" for kind in SCHOOL_KINDS for place in PLACES][:schools]
    school_rows: list[dict[str, Any]] = [
        {
            "id": uuid.uuid4(),
            "name": name,
            "name_key": school_key(name),
            "slug": slugify(name),
            "created_at": now,
        }
        for name in names
    ]
    school_ids: list[uuid.UUID] = [s["id"] for s in school_rows]
    # (role, school) for everyone: the trust level, each school's governing body, a tenth as many
    # governors who stepped down years ago (unlisted), and staff for the rest.
    places: list[tuple[str, uuid.UUID | None]] = [(role, None) for role, n in TRUST_LEVEL for _ in range(n)]
    for each in school_ids:
        size = max(1, rng.randint(per_school - 4, per_school + 4))
        places += [("local_governor", each)] * size
    governors = len(places) - sum(n for _, n in TRUST_LEVEL)
    former = governors // 10
    places += [("former_governor", rng.choice(school_ids)) for _ in range(former)]
    if len(places) > people:
        raise ValueError(f"{len(places)} governors and trust-level people do not fit in {people} people")
    staff = people - len(places)
    places += [("staff", None)] * staff
    person_rows, appointment_rows, interest_rows = [], [], []
    listed: dict[uuid.UUID, list[uuid.UUID]] = {each: [] for each in school_ids}
    for n, (role, school_id) in enumerate(places):
        person = _person(n, now, school_ids, rng)
        if school_id is not None:
            person["school_id"] = school_id
        person_rows.append(person)
        appointment = _appointment(
            person["id"], "local_governor" if role == "former_governor" else role, today, now, rng
        )
        appointment["school_id"] = school_id if role in ("local_governor", "former_governor") else None
        if school_id is not None:
            name = next(s["name"] for s in school_rows if s["id"] == school_id)
            appointment["body"] = f"{name} local governing body"
        if role == "former_governor":  # left more than 12 months ago: not listed
            appointment.update(
                appointed_on=today - timedelta(days=3000), stepped_down_on=today - timedelta(days=800)
            )
        elif role == "local_governor" and school_id is not None:
            listed[school_id].append(appointment["id"])
        appointment_rows.append(appointment)
        interest_rows += [_interest(person["id"], k, today, now, rng) for k in range(interests_each)]
    admin_id = uuid.uuid4()
    person_rows.append(
        {**_person(len(places), now, school_ids, rng), "id": admin_id, "full_name": "Bench Clerk"}
    )
    write_rows(url, school_rows, person_rows, admin_id, appointment_rows, interest_rows)
    trail = 0
    if with_trail:
        made = (
            ("school", school_rows),
            ("person", person_rows),
            ("appointment", appointment_rows),
            ("interest", interest_rows),
        )
        entries = [
            Entry(f"{kind}.created", kind, row["id"], None, {k: v for k, v in row.items() if k != "id"})
            for kind, rows in made
            for row in rows
        ]
        trail = asyncio.run(append_trail(url, entries))
    trust_level = sum(n for _, n in TRUST_LEVEL)
    return Trust(
        admin_id,
        school_rows,
        listed,
        people,
        trust_level + governors,
        former,
        staff,
        len(interest_rows),
        trail,
    )


def other_events(n: int) -> list[Entry]:
    """Audited events that are not the register's (declarations submitted): the register's version
    query passes over them."""
    return [
        Entry("declaration.submitted", "declaration", uuid.uuid4(), None, {"cycle": "2026-27", "n": i})
        for i in range(n)
    ]


async def append_trail(url: str, entries: list[Entry]) -> int:
    """Through the app's own audit service (a valid HMAC chain), 5,000 events a transaction."""
    database = Database(create_engine(url=url))
    try:
        for start in range(0, len(entries), 5000):
            async with database.session(write=True) as session:
                await audit_service.record_many(session, actor_id=None, entries=entries[start : start + 5000])
    finally:
        await database.dispose()
    return len(entries)


# ---------------------------------------------------------------- 1. bytes on the wire


@dataclass
class Fetched:
    status: int
    body: bytes  # as received: compressed when Content-Encoding says so
    header_bytes: int
    headers: httpx.Headers
    ms: float


def fetch(client: httpx.Client, path: str, coding: str, extra: dict[str, str] | None = None) -> Fetched:
    """One GET with this Accept-Encoding, the body's raw bytes counted (httpx does not decode them)."""
    started = time.perf_counter()
    with client.stream("GET", path, headers={"Accept-Encoding": coding, **(extra or {})}) as response:
        body = b"".join(response.iter_raw())
    ms = (time.perf_counter() - started) * 1000
    # The status line and each "name: value\r\n", the blank line: what the headers cost on the wire.
    header_bytes = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n\r\n")
    header_bytes += sum(len(name) + len(value) + 4 for name, value in response.headers.raw)
    sent = response.headers.get("content-encoding", "identity")
    if response.status_code == 200 and sent != coding:
        raise RuntimeError(f"{path} with Accept-Encoding {coding} came back as {sent}")
    return Fetched(response.status_code, body, header_bytes, response.headers, ms)


@dataclass
class Sizes:
    label: str
    body: dict[str, int] = field(default_factory=dict)
    headers: dict[str, int] = field(default_factory=dict)


def measure_sizes(client: httpx.Client, pages: list[tuple[str, str]]) -> list[Sizes]:
    rows = []
    for label, path in pages:
        row = Sizes(label)
        for coding in CODINGS:
            fetch(client, path, coding)  # the first may compress; the second is what is kept
            got = fetch(client, path, coding)
            if got.status != 200:
                raise RuntimeError(f"{path}: {got.status}")
            row.body[coding], row.headers[coding] = len(got.body), got.header_bytes
        rows.append(row)
    return rows


@dataclass
class Cold:
    label: str
    samples: list[float] = field(default_factory=list)


def change(client: httpx.Client, token: str, appointment_id: uuid.UUID, n: int) -> None:
    """An audited write that changes the school's page and the trust's (a governor's appointing body)."""
    response = client.patch(
        f"/api/v1/appointments/{appointment_id}",
        json={"appointed_by": f"Members (minute {n})"},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()


def measure_cold(
    client: httpx.Client,
    base: str,
    token: str,
    appointments: list[uuid.UUID],
    pages: list[tuple[str, str]],
    times: int,
) -> tuple[list[Cold], list[Cold]]:
    """After each change, the first request of each page in each encoding, in turn: identity first
    (brings the register up to date and joins the page), then gzip and br (each compresses it).
    Then the trust page's first br request alone, and eight at once (the page already joined)."""
    rows = {
        (label, coding): Cold(f"{label}, first {coding} after a change")
        for label, _ in pages
        for coding in CODINGS
    }
    n = 0
    change(client, token, appointments[0], n)  # the first audited change: a whole rebuild, not timed
    fetch(client, pages[0][1], "identity")
    for _ in range(times):
        n += 1
        change(client, token, appointments[n % len(appointments)], n)
        for label, path in pages:
            for coding in CODINGS:
                rows[(label, coding)].samples.append(fetch(client, path, coding).ms)
    trust_label, trust_path = pages[-1]
    alone, together = (
        Cold(f"{trust_label}: br, 1 request"),
        Cold(f"{trust_label}: br, 8 requests at once (wall)"),
    )
    with ThreadPoolExecutor(8) as pool:
        clients = [httpx.Client(base_url=base, timeout=120) for _ in range(8)]
        try:
            for _ in range(times):
                n += 1
                change(client, token, appointments[n % len(appointments)], n)
                fetch(client, trust_path, "identity")
                alone.samples.append(fetch(client, trust_path, "br").ms)
                n += 1
                change(client, token, appointments[n % len(appointments)], n)
                fetch(client, trust_path, "identity")
                started = time.perf_counter()
                list(pool.map(lambda c: fetch(c, trust_path, "br"), clients))
                together.samples.append((time.perf_counter() - started) * 1000)
        finally:
            for c in clients:
                c.close()
    return list(rows.values()), [alone, together]


def measure_compression(bodies: list[tuple[str, bytes]]) -> list[tuple[str, str, float]]:
    """In-process: what a new version costs to compress, with the app's own settings
    (app.register.http: brotli quality 5, gzip 6; on the event loop below 32 KiB, in a thread above)."""
    rows = []
    for label, body in bodies:
        for coding in CODINGS[1:]:
            started = time.perf_counter()
            compressed = register_http._compress(body, coding)
            ms = (time.perf_counter() - started) * 1000
            where = "on the event loop" if len(body) < register_http._ON_THE_LOOP else "in a thread"
            rows.append((f"{label}, {len(body):,} B, {coding} -> {len(compressed):,} B", where, ms))
    return rows


async def measure_handler_pieces(url: str, slug: str, repeat: int) -> list[tuple[str, list[float]]]:
    """In-process, on the same database: what the school page's handler does before it has its bytes,
    piece by piece, each in a read session as app.core.deps gives a request (opened, committed)."""
    from app.register import cache
    from app.register.router import _school

    database = Database(create_engine(url=url))

    async def session_only(session: AsyncSession) -> None:
        await session.connection()  # the transaction's BEGIN, which any statement would make

    async def version(session: AsyncSession) -> None:
        await cache.version(session)

    async def handler(session: AsyncSession) -> None:
        choice = _school("html", lambda school: school.slug == slug)
        await cache.rendered(session, choice, None)

    pieces = [
        ("a read session: BEGIN, COMMIT", session_only),
        ("a read session + cache.version (the chain's head)", version),
        ("a read session + cache.rendered (the handler's work)", handler),
    ]
    rows = []
    try:
        for label, piece in pieces:
            samples = []
            for i in range(repeat + 20):
                started = time.perf_counter()
                async with database.session(write=False) as session:
                    await piece(session)
                if i >= 20:
                    samples.append((time.perf_counter() - started) * 1000)
            rows.append((label, samples))
    finally:
        await database.dispose()
    return rows


async def measure_version_growth(url: str, more: tuple[int, ...]) -> list[tuple[int, float]]:
    """cache.version() in a read session, p50 of 200, with that many more non-register events appended."""
    from app.register import cache

    rows = []
    added = 0
    for extra in more:
        if extra > added:
            await append_trail(url, other_events(extra - added))
            added = extra
        database = Database(create_engine(url=url))
        try:
            async with database.session(write=False) as session:
                events = int(
                    await session.scalar(sqlalchemy.select(sqlalchemy.func.count(AuditEvent.id))) or 0
                )
            samples = []
            for i in range(220):
                started = time.perf_counter()
                async with database.session(write=False) as session:
                    await cache.version(session)
                if i >= 20:
                    samples.append((time.perf_counter() - started) * 1000)
        finally:
            await database.dispose()
        rows.append((events, percentile(samples, 50)))
    return rows


async def version_plan(url: str) -> list[str]:
    """The database's plan for cache.version()'s statement (the same statement, built as it builds it)."""
    from app.register.service import register_events

    engine = create_engine(url=url)
    statement = (
        sqlalchemy.select(AuditEvent.seq, AuditEvent.hash)
        .where(register_events())
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    compiled = statement.compile(dialect=engine.dialect)
    try:
        async with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                sql = f"EXPLAIN (ANALYZE, COSTS OFF) {compiled}"
                return [str(row[0]) for row in await connection.exec_driver_sql(sql, compiled.params)]
            params = tuple(compiled.params[name] for name in compiled.positiontup or ())
            rows = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
            return [str(row[-1]) for row in rows]
    finally:
        await engine.dispose()


# ---------------------------------------------------------------- 2. revalidation


def measure_304(
    client: httpx.Client, targets: list[tuple[str, str]], requests: int, warmup: int
) -> dict[str, list[float]]:
    """If-None-Match with each target's br ETag; the targets interleaved request by request, the order
    rotated every round, so that the machine's noise falls on all of them alike."""
    tags = {}
    for label, path in targets:
        tags[label] = fetch(client, path, "br").headers["etag"]
    samples: dict[str, list[float]] = {label: [] for label, _ in targets}
    for i in range(warmup + requests):
        shift = i % len(targets)
        for label, path in targets[shift:] + targets[:shift]:
            got = fetch(client, path, "br", {"If-None-Match": tags[label]})
            if got.status != 304:
                raise RuntimeError(f"{label}: a revalidation answered {got.status}, not 304")
            if i >= warmup:
                samples[label].append(got.ms)
    return samples


# ---------------------------------------------------------------- 3. requests per second


def run_wrk(url: str, seconds: int, connections: int) -> Load:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    command += ["-H", "Accept-Encoding: gzip, deflate, br, zstd", url]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed ({finished.returncode}):\n{finished.stdout}{finished.stderr}")
    return parse_wrk(finished.stdout)


def measure_rps(
    base: str, endpoints: list[tuple[str, str]], rounds: int, seconds: int, warmup: int, connections: int
) -> dict[str, list[Load]]:
    for _, path in endpoints:
        run_wrk(base + path, warmup, connections)
    loads: dict[str, list[Load]] = {label: [] for label, _ in endpoints}
    for r in range(rounds):
        shift = r % len(endpoints)
        for label, path in endpoints[shift:] + endpoints[:shift]:
            load = run_wrk(base + path, seconds, connections)
            loads[label].append(load)
            print(
                f"  round {r + 1}  {label:<28} {load.rps:8.1f} req/s  {load.requests:>6} requests  "
                f"p50 {load.p50_ms or 0:6.2f} ms  p99 {load.p99_ms or 0:6.2f} ms  "
                f"non-2xx {load.non_2xx}  socket errors {load.socket_errors}",
                flush=True,
            )
    return loads


# ---------------------------------------------------------------- the run


def kb(n: int) -> str:
    return f"{n / 1024:,.1f} KB"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="postgresql://... server to create a bench database on")
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--schools", type=int, default=50)
    parser.add_argument("--governors-per-school", type=int, default=12, help="on average (each school ±4)")
    parser.add_argument("--interests", type=int, default=5, help="interests per person")
    parser.add_argument(
        "--other-events",
        type=int,
        default=2000,
        help="audit events not the register's, written after the last change to it, before the 304s and wrk",
    )
    parser.add_argument(
        "--no-trail", action="store_true", help="no audit trail at all (as bench/register.py seeds)"
    )
    parser.add_argument(
        "--changes", type=int, default=3, help="changes timed for the first requests after one"
    )
    parser.add_argument("--revalidations", type=int, default=1500, help="timed 304s per target")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk per endpoint before the rounds")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if args.schools > len(PLACES) * len(SCHOOL_KINDS):
        parser.error(f"at most {len(PLACES) * len(SCHOOL_KINDS)} schools")
    command = shlex.join([".venv/bin/python", "-m", "bench.register_web", *sys.argv[1:]])
    rng = random.Random(20261128)  # the same trust every run
    with bench_database(args.database_url, "register-web") as url, tempfile.TemporaryDirectory() as folder:
        backend = make_url(url).get_backend_name()
        migrate(url)
        started = time.perf_counter()
        trust = seed(
            url,
            args.people,
            args.schools,
            args.governors_per_school,
            args.interests,
            rng,
            with_trail=not args.no_trail,
        )
        seed_s = time.perf_counter() - started
        token = TokenService(get_settings()).issue(trust.admin_id, 0).access_token
        biggest = max(trust.governors, key=lambda school_id: len(trust.governors[school_id]))
        school = trust.school(biggest)
        school_path = f"/register/schools/{school['slug']}"
        static = Path(folder) / "static"
        static.mkdir()

        def uvicorn(port: int) -> list[str]:
            return [
                sys.executable, "-m", "uvicorn", "--factory", APP_FACTORY, "--host", "127.0.0.1",
                "--port", str(port), "--workers", "1", "--log-level", "warning", "--no-access-log",
            ]  # fmt: skip

        print(f"$ {command}")
        top = sum(n for _, n in TRUST_LEVEL)
        print(
            f"database {backend}; {trust.people:,} people: {trust.listed:,} listed ({trust.listed - top:,} "
            f"local governors in {len(trust.schools)} schools, {top} at trust level), "
            f"{trust.former_governors} governors gone over 12 months ago, {trust.staff:,} staff; "
            f"{trust.interests:,} interests; an audit trail of {trust.trail:,} events; "
            f"seeded in {seed_s:.1f} s"
        )
        size = len(trust.governors[biggest])
        print(f"school page: {school_path} ({size} governors, the largest governing body)")
        log = Path(folder) / "serve.log"
        with server(url, log, uvicorn, **{STATIC_DIR_VARIABLE: str(static)}) as base:
            with httpx.Client(base_url=base, timeout=120) as client:
                listed = client.get("/api/v1/public/register").json()["total"]
                in_school = client.get("/api/v1/public/register", params={"school_id": str(biggest)}).json()[
                    "total"
                ]
                if (listed, in_school) != (trust.listed, len(trust.governors[biggest])):
                    raise RuntimeError(f"listed {listed} and {in_school} in the school: not what was seeded")
                pages = [("school page", school_path), ("trust page /register", "/register")]
                sizes = measure_sizes(client, pages)
                cold, stampede = measure_cold(
                    client, base, token, trust.governors[biggest], pages, args.changes
                )
                # What usually follows a change to the register: other audited work (declarations,
                # gifts), which the version query of every request below passes over.
                others = 0 if args.no_trail else args.other_events
                asyncio.run(append_trail(url, other_events(others)))
                print(f"then {others:,} audit events of other kinds, after the last change to the register")
                page_br = fetch(client, school_path, "br")
                (static / STATIC_NAME).write_bytes(page_br.body)
                static_path = f"{STATIC_PREFIX}/{STATIC_NAME}"
                memory_path = MEMORY_PATH.format(name=STATIC_NAME)
                for path in (static_path, memory_path):
                    if fetch(client, path, "br").body != page_br.body:
                        raise RuntimeError(f"{path} does not send the school page's br bytes")
                revalidations = measure_304(
                    client,
                    [
                        ("school page", school_path),
                        ("trust page", "/register"),
                        ("static file (baseline)", static_path),
                    ],
                    args.revalidations,
                    100,
                )
                school_body = fetch(client, school_path, "identity").body
                trust_body = fetch(client, "/register", "identity").body
                headers = {
                    label: fetch(client, path, "br").header_bytes
                    for label, path in (
                        ("page", school_path),
                        ("static", static_path),
                        ("memory", memory_path),
                    )
                }
            report_wire(sizes, cold + stampede, revalidations)
            print(
                f"\n3. wrk -t1 -c{args.connections}, Accept-Encoding: gzip, deflate, br, zstd; "
                f"{args.rounds} rounds of {args.seconds:g} s, order rotated"
            )
            endpoints = [
                ("cached school page", school_path),
                ("static file (baseline)", static_path),
                ("same bytes from memory", memory_path),
            ]
            loads = measure_rps(base, endpoints, args.rounds, args.seconds, args.warmup, args.connections)
        print("\n4. in-process, one compression of a new version as app.register.http does it")
        bodies = [("school page", school_body), ("trust page", trust_body)]
        for what, where, ms in measure_compression(bodies):
            print(f"  {what:<66} {where:<18} {ms:9.1f} ms")
        print(f"\n5. in-process, a cached school page's handler piece by piece ({backend}, same database)")
        for label, samples in asyncio.run(measure_handler_pieces(url, school["slug"], 500)):
            print(
                f"  {label:<60} p50 {percentile(samples, 50):6.3f} ms  p95 {percentile(samples, 95):6.3f} ms"
            )
        print(
            "\n6. in-process, cache.version() (every request of the register runs it, a 304 too) "
            "as the audit trail grows"
        )
        for extra, (events, ms) in zip(
            (0, 10_000, 100_000), asyncio.run(measure_version_growth(url, (0, 10_000, 100_000))), strict=True
        ):
            print(
                f"  audit trail of {events:>7,} events, {others + extra:>7,} after the last register event: "
                f"cache.version() p50 {ms:7.3f} ms"
            )
        print("  the plan of its search of the whole trail (at start, or on a trail it has not read before):")
        for line in asyncio.run(version_plan(url)):
            print(f"    {line}")
        return report(sizes, revalidations, loads, page_br, headers, command)


def report_wire(sizes: list[Sizes], cold: list[Cold], revalidations: dict[str, list[float]]) -> None:
    print("\n1. bytes on the wire (body as received; headers apart)")
    print(f"  {'':<24}{'identity':>14}{'gzip':>14}{'br':>14}   headers (identity/gzip/br)")
    for row in sizes:
        cells = "".join(f"{row.body[c]:>14,}" for c in CODINGS)
        print(f"  {row.label:<24}{cells}   {'/'.join(str(row.headers[c]) for c in CODINGS)}")
    for row in sizes:
        ratios = ", ".join(f"{c} {row.body['identity'] / row.body[c]:.1f}x" for c in CODINGS[1:])
        print(f"  {row.label}: {kb(row.body['identity'])} -> {ratios}")
    print("  first request after a change (ms; median and max of each)")
    for c in cold:
        print(f"    {c.label:<56} median {statistics.median(c.samples):8.1f}   max {max(c.samples):8.1f}")
    print("\n2. 304 revalidation, If-None-Match, sequential on one connection (httpx; its own time included)")
    for label, samples in revalidations.items():
        print(
            f"  {label:<24} n={len(samples):>5}  p50 {percentile(samples, 50):6.2f} ms  "
            f"p95 {percentile(samples, 95):6.2f} ms  p99 {percentile(samples, 99):6.2f} ms  "
            f"max {max(samples):7.2f} ms"
        )


def report(
    sizes: list[Sizes],
    revalidations: dict[str, list[float]],
    loads: dict[str, list[Load]],
    page_br: Fetched,
    headers: dict[str, int],
    command: str,
) -> int:
    medians = {label: statistics.median(load.rps for load in runs) for label, runs in loads.items()}
    page, static, memory = medians.values()
    runs = list(loads.values())
    per_round = [p.rps / s.rps for p, s in zip(runs[0], runs[1], strict=True)]
    print("\n  median req/s: " + ", ".join(f"{label} {rps:.1f}" for label, rps in medians.items()))
    print(
        f"  page/static {page / static:.2f} (per round {', '.join(f'{r:.2f}' for r in per_round)}; "
        f"median {statistics.median(per_round):.2f}); page/memory {page / memory:.2f}; "
        f"static/memory {static / memory:.2f}"
    )
    print(
        f"  each response: {len(page_br.body):,} bytes of br body; headers {headers['page']} (page), "
        f"{headers['static']} (static), {headers['memory']} (memory) bytes"
    )
    errors = sum(load.non_2xx + load.socket_errors for runs_ in loads.values() for load in runs_)
    school = sizes[0]
    worst_compressed = max(school.body["gzip"], school.body["br"])
    p95 = percentile(revalidations["school page"], 95)
    verdicts = [
        ("school page compressed (larger of gzip, br)", kb(worst_compressed), f"< {kb(TARGET_SCHOOL_BYTES)}",
         worst_compressed < TARGET_SCHOOL_BYTES),
        ("school page 304, p95", f"{p95:.2f} ms", f"< {TARGET_304_P95_MS:g} ms", p95 < TARGET_304_P95_MS),
        ("cached school page / static file, req/s", f"{page / static:.2f}", f">= {TARGET_RATIO:.2f}",
         page / static >= TARGET_RATIO),
    ]  # fmt: skip
    load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\nmachine: {os.cpu_count()} cores, load average {load_average}")
    print(f"{'target':<44}{'measured':>14}{'target':>14}  verdict")
    for what, measured, target, ok in verdicts:
        print(f"{what:<44}{measured:>14}{target:>14}  {'PASS' if ok else 'MISS'}")
    if errors:
        print(f"ERRORS: {errors} non-2xx responses or socket errors under load; no verdict")
        return 2
    ok = all(v[3] for v in verdicts)
    print(f"{'PASS' if ok else 'BELOW TARGET'}; command: {command}")
    return 0 if ok else 3


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # a failed run, not a verdict
        print(f"bench/register_web.py: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
