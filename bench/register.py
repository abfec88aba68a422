"""The published register at 5,000 people with 5 interests each: p50/p95 over HTTP, beside the bare queries.

Not a test. One run measures, on the same database and the same machine:
  - over HTTP (`probity serve`, one worker, 127.0.0.1, sequential httpx requests after a warm-up):
    GET /api/v1/public/register, ?format=csv and GET /register, each
      cached:         repeated requests with nothing written in between (the rendering is reused);
      after a change: one audited write before every timed request, so each timed request is the
                      first after a change and must bring the register up to date (the write is
                      not timed), for three kinds of change, each to a different person every time:
                      an appointment changed (PATCH /api/v1/appointments/{id}), an interest
                      declared (POST /api/v1/interests) and a person renamed
                      (PATCH /api/v1/people/{id}, which moves them in the published order);
  - in-process, on the same database: the two SELECTs bare (driver rows, fetchall), the same through
    SQLAlchemy (typed rows), app.register.service.build (queries and shaping), each rendering, and
    the two reads an update after a change makes (the published order; one person's rows).
Target: p95 under 200 ms for every HTTP row, on SQLite and on PostgreSQL.

    PYTHONPATH=. .venv/bin/python bench/register.py
    PYTHONPATH=. .venv/bin/python bench/register.py --database-url postgresql://postgres@127.0.0.1:55433/

With a PostgreSQL URL a new probity_bench_<hex> database is created on that server and dropped
afterwards (the database named in the URL is left alone). Exit status: 0 PASS, 3 BELOW TARGET,
1 when the run itself failed.
"""

import os

# Settings are read once per process: fix them before anything imports the app. The server gets the
# same keys, so a token issued here is accepted there.
from bench.harness import KEYS

os.environ.update({**KEYS, "PROBITY_ENV": "development"})

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy
from sqlalchemy import insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Role
from app.auth.tokens import TokenService
from app.cli import migrate
from app.core.db import create_engine, sync_url
from app.core.settings import get_settings
from app.interests import normalise
from app.interests.models import Interest
from app.interests.schemas import FINANCIAL_CATEGORIES, InterestCategory
from app.people.models import Appointment, Person, PersonRole, School
from app.people.schools import school_key, slugify
from app.register import render, service
from bench.harness import bench_database, server

REPO_ROOT = Path(__file__).resolve().parent.parent
PROBITY = str(Path(sys.executable).parent / "probity")
TARGET_MS = 200.0
ENDPOINTS = (
    ("GET /api/v1/public/register", "/api/v1/public/register"),
    ("GET /api/v1/public/register?format=csv", "/api/v1/public/register?format=csv"),
    ("GET /register (HTML)", "/register"),
)
FIRST = ("Alex", "Sam", "Priya", "Tom", "Aisha", "Chen", "Maria", "Owen", "Fatima", "Jo", "Ravi", "Ella")
LAST = ("Smith", "Jones", "Patel", "Khan", "Williams", "Brown", "Taylor", "Davies", "Evans", "Wilson")
ORGS = ("Oakwood", "Riverside", "Northgate", "Summit", "Beacon", "Harbour", "Meadow", "Kingsway")
KINDS = ("Supplies Ltd", "Consulting LLP", "Trust", "Holdings PLC", "Academy Trust", "Foundation")


# ---------------------------------------------------------------- the database


@dataclass
class Seeded:
    admin_id: uuid.UUID
    listed_people: list[tuple[uuid.UUID, uuid.UUID, str]]  # (person, published appointment, name)
    listed: int
    unlisted: int
    interests: int


def _person(n: int, now: datetime, school_ids: list[uuid.UUID], rng: random.Random) -> dict[str, Any]:
    email = f"person{n:05d}@bench.test"
    return {
        "id": uuid.uuid4(), "email": email, "email_key": email.lower(),
        "full_name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {n:05d}",
        "school_id": rng.choice(school_ids), "job_title": rng.choice((None, "Governor", "Parent governor")),
        "active": True, "password_hash": None, "created_at": now, "updated_at": now,
    }  # fmt: skip


def _appointment(
    person_id: uuid.UUID, role: str, today: date, now: datetime, rng: random.Random
) -> dict[str, Any]:
    appointed = today - timedelta(days=rng.randint(30, 8 * 365))
    stepped_down = None
    if role != "staff" and rng.random() < 0.1:  # some left within the last 12 months: still listed
        stepped_down = today - timedelta(days=rng.randint(1, 330))
        appointed = min(appointed, stepped_down - timedelta(days=30))
    return {
        "id": uuid.uuid4(), "person_id": person_id, "governance_role": role,
        "body": "Trust board" if role in ("trustee", "member") else f"{rng.choice(ORGS)} LGB",
        "appointed_by": rng.choice(("Members", "Trust board", "Parents (elected)", "Diocese")),
        "appointed_on": appointed, "term_ends_on": today + timedelta(days=rng.randint(30, 1400)),
        "stepped_down_on": stepped_down, "school_id": None, "created_at": now,
    }  # fmt: skip


def _interest(person_id: uuid.UUID, k: int, today: date, now: datetime, rng: random.Random) -> dict[str, Any]:
    """As app.interests.service.create writes it: normalised number and name key, defaults by category."""
    category = InterestCategory.MEMBERSHIP if k == 4 and rng.random() < 0.5 else rng.choice(
        [c for c in InterestCategory if c is not InterestCategory.MEMBERSHIP]
    )  # fmt: skip
    holder = "spouse_partner" if rng.random() < 0.2 else "self"
    organisation = f"{rng.choice(ORGS)} {rng.choice(ORGS)} {rng.choice(KINDS)}"
    number = f"{rng.randint(1, 99_999_999)}" if category in FINANCIAL_CATEGORIES else None
    charity = str(rng.randint(200_000, 1_199_999)) if category is InterestCategory.TRUSTEESHIP else None
    return {
        "id": uuid.uuid4(), "person_id": person_id, "category": category.value, "holder": holder,
        "holder_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}" if holder != "self" else None,
        "relationship": "wife" if holder != "self" else None,
        "financial": category in FINANCIAL_CATEGORIES, "direct": holder == "self",
        "organisation_name": organisation, "organisation_key": normalise.organisation_key(organisation),
        "company_number": normalise.company_number(number) if number else None,
        "charity_number": charity,
        "description": f"Declared interest {k + 1}: a role with {organisation}, unpaid, since appointment.",
        "private": rng.random() < 0.15,
        "start_date": today - timedelta(days=rng.randint(0, 3000)), "end_date": None,
        "created_by": person_id, "created_at": now, "submitted_at": now, "updated_at": now,
    }  # fmt: skip


def seed(url: str, people: int, interests_each: int, unlisted: int, rng: random.Random) -> Seeded:
    """Bulk rows through the app's own tables, in one transaction (no audit events: the register never
    reads them; the chain head stays at its genesis row, which the cache key reads)."""
    now = datetime.now(UTC)
    today = now.date()
    schools = [
        {
            "id": uuid.uuid4(),
            "name": f"{org} School",
            "name_key": school_key(f"{org} School"),
            "slug": slugify(f"{org} School"),
            "created_at": now,
        }
        for org in ORGS
    ]
    school_ids = [s["id"] for s in schools]
    person_rows, appointment_rows, interest_rows = [], [], []
    roles = ("local_governor",) * 16 + ("trustee",) * 3 + ("member", "accounting_officer")
    for n in range(people + unlisted):
        person = _person(n, now, school_ids, rng)
        person_rows.append(person)
        if n < people:
            role = rng.choice(roles)
            appointment = _appointment(person["id"], role, today, now, rng)
            if role == "local_governor":  # a local governor's appointment names the person's school
                appointment["school_id"] = person["school_id"]
            appointment_rows.append(appointment)
        elif n % 2:  # staff only: never listed
            appointment_rows.append(_appointment(person["id"], "staff", today, now, rng))
        else:  # a trustee who stepped down years ago: no longer listed
            old = _appointment(person["id"], "trustee", today, now, rng)
            old.update(appointed_on=today - timedelta(days=3000), stepped_down_on=today - timedelta(days=800))
            appointment_rows.append(old)
        interest_rows += [_interest(person["id"], k, today, now, rng) for k in range(interests_each)]
    admin_id = uuid.uuid4()
    person_rows.append(
        {**_person(people + unlisted, now, school_ids, rng), "id": admin_id, "full_name": "Bench Clerk"}
    )
    write_rows(url, schools, person_rows, admin_id, appointment_rows, interest_rows)
    listed_people = [
        (a["person_id"], a["id"], p["full_name"])
        for p, a in zip(person_rows, appointment_rows[:people], strict=False)
    ]
    return Seeded(admin_id, listed_people, people, unlisted, len(interest_rows))


def write_rows(
    url: str,
    schools: list[dict[str, Any]],
    people: list[dict[str, Any]],
    admin_id: uuid.UUID,
    appointments: list[dict[str, Any]],
    interests: list[dict[str, Any]],
) -> None:
    """The rows, in one transaction; the person `admin_id` keeps the register (governance_admin)."""
    engine = sqlalchemy.create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(insert(School), schools)
            connection.execute(insert(Person), people)
            connection.execute(
                insert(PersonRole), [{"person_id": admin_id, "role": Role.GOVERNANCE_ADMIN.value}]
            )
            connection.execute(insert(Appointment), appointments)
            connection.execute(insert(Interest), interests)
    finally:
        engine.dispose()


# ---------------------------------------------------------------- measuring


@dataclass
class Row:
    what: str
    samples: list[float]
    size: int | None = None
    judged: bool = False

    def pct(self, p: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def timed_get(client: httpx.Client, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    return elapsed, len(response.content)


Change = Callable[[httpx.Client, int], httpx.Response]


def changes(seeded: Seeded, headers: dict[str, str]) -> list[tuple[str, Change]]:
    """Audited writes that change what is published, each to the n-th listed person (a different one
    each time: a change to someone whose entry is already re-rendered would flatter the figures)."""
    people = seeded.listed_people

    def appointment(client: httpx.Client, n: int) -> httpx.Response:
        _, appointment_id, _ = people[n % len(people)]
        body = {"appointed_by": f"Members (minute {n})"}
        return client.patch(f"/api/v1/appointments/{appointment_id}", json=body, headers=headers)

    def interest(client: httpx.Client, n: int) -> httpx.Response:
        person_id, _, _ = people[n % len(people)]
        body = {"person_id": str(person_id), "category": "other", "organisation_name": f"Bench Interest {n}"}
        return client.post("/api/v1/interests", json=body, headers=headers)

    def rename(client: httpx.Client, n: int) -> httpx.Response:
        person_id, _, name = people[n % len(people)]
        body = {"full_name": f"{LAST[n % len(LAST)]} {name}"}  # a new surname first: a new place
        return client.patch(f"/api/v1/people/{person_id}", json=body, headers=headers)

    return [
        ("an appointment changed", appointment),
        ("an interest declared", interest),
        ("a person renamed", rename),
    ]


def measure_http(base: str, seeded: Seeded, token: str, requests: int, warmup: int) -> list[Row]:
    rows: list[Row] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30) as client:
        listed = client.get("/api/v1/public/register").json()["total"]
        if listed != seeded.listed:
            raise RuntimeError(f"the register lists {listed} people, expected {seeded.listed}")
        for label, path in ENDPOINTS:
            for _ in range(warmup):
                timed_get(client, path)
            samples, size = [], 0
            for _ in range(requests):
                elapsed, size = timed_get(client, path)
                samples.append(elapsed)
            rows.append(Row(f"HTTP {label}, cached", samples, size, judged=True))
        n = 0
        for change_label, change in changes(seeded, headers):
            for label, path in ENDPOINTS:
                samples = []
                for i in range(warmup + requests):
                    change(client, n).raise_for_status()
                    n += 1
                    elapsed, size = timed_get(client, path)
                    if i >= warmup:
                        samples.append(elapsed)
                rows.append(Row(f"HTTP {label}, first after {change_label}", samples, size, judged=True))
    return rows


async def _time(repeat: int, work: Callable[[], Awaitable[Any]]) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def measure_in_process(url: str, repeat: int) -> list[Row]:
    """The floor: the same two SELECTs bare, through SQLAlchemy, and the service and renderers."""
    engine = create_engine(url=url)
    today = datetime.now(UTC).date()
    statements = (service.appointments_statement(today), service.interests_statement(today))
    compiled = [
        str(s.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})) for s in statements
    ]
    rows: list[Row] = []
    try:
        async with engine.connect() as connection:

            async def bare() -> None:
                for sql in compiled:
                    (await connection.exec_driver_sql(sql)).fetchall()

            async def typed() -> None:
                for statement in statements:
                    (await connection.execute(statement)).all()

            async with AsyncSession(bind=connection) as session:

                async def build() -> Any:
                    return await service.build(session, today)

                register = await build()
                await bare()  # warm both paths before timing
                rows.append(
                    Row(
                        "in-process: the two SELECTs, bare SQL (driver rows, fetchall)",
                        await _time(repeat, bare),
                    )
                )
                rows.append(
                    Row(
                        "in-process: the two SELECTs through SQLAlchemy (typed rows)",
                        await _time(repeat, typed),
                    )
                )
                rows.append(Row("in-process: service.build (queries + shaping)", await _time(repeat, build)))
                rows += await _time_update_reads(connection, today, repeat)
            trust = get_settings().trust_name
            for label, fn in (
                ("json", lambda: render.as_json_bytes(register)),
                ("csv", lambda: render.as_csv(register).encode()),
                ("html", lambda: render.as_html(register, trust).encode()),
            ):
                size = len(fn())

                async def run(fn: Callable[[], bytes] = fn) -> None:
                    fn()

                rows.append(Row(f"in-process: render {label}", await _time(repeat, run), size))
    finally:
        await engine.dispose()
    return rows


async def _time_update_reads(connection: Any, today: date, repeat: int) -> list[Row]:
    """What an update after a change reads: everyone's place in the published order, then one person."""
    listed = service.listed_statement(today)
    first = (await connection.execute(listed)).scalars().first()
    one = [uuid.UUID(str(first))]

    async def order() -> None:
        (await connection.execute(listed)).all()

    async def person() -> None:
        await service.fetch_people(connection, today, one)

    return [
        Row("in-process: update: the published order (listed_statement)", await _time(repeat, order)),
        Row("in-process: update: one person's rows, shaped (fetch_people)", await _time(repeat, person)),
    ]


# ---------------------------------------------------------------- the report


def report(backend: str, seeded: Seeded, seed_s: float, rows: list[Row]) -> bool:
    print(
        f"\ndatabase: {backend}; listed: {seeded.listed:,} people with 1 published appointment each; "
        f"unlisted: {seeded.unlisted:,}; interests: {seeded.interests:,} (seeded in {seed_s:.1f} s)"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} cores, load average {load} (a shared machine: read p95 with that)\n")
    width = max(len(r.what) for r in rows)
    print(f"{'what':<{width}}  {'n':>4}  {'p50 ms':>8}  {'p95 ms':>8}  {'max ms':>8}  {'bytes':>10}")
    for r in rows:
        size = f"{r.size:,}" if r.size is not None else ""
        numbers = f"{len(r.samples):>4}  {r.pct(50):>8.1f}  {r.pct(95):>8.1f}  {max(r.samples):>8.1f}"
        print(f"{r.what:<{width}}  {numbers}  {size:>10}")
    worst = max((r for r in rows if r.judged), key=lambda r: r.pct(95))
    ok = worst.pct(95) < TARGET_MS
    verdict = "PASS" if ok else "BELOW TARGET"
    print(f"\ntarget: p95 < {TARGET_MS:.0f} ms for every HTTP row; worst: {worst.what} at p95 "
          f"{worst.pct(95):.1f} ms -> {verdict}")  # fmt: skip
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", help="postgresql://... server to create a bench database on")
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--interests", type=int, default=5)
    parser.add_argument("--unlisted", type=int, default=1000, help="staff-only and long-gone people (noise)")
    parser.add_argument("--requests", type=int, default=60, help="timed requests per HTTP row")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20, help="in-process repetitions")
    args = parser.parse_args()
    rng = random.Random(20261122)  # the same data every run
    with bench_database(args.database_url, "register-bench") as url, tempfile.TemporaryDirectory() as folder:
        backend = make_url(url).get_backend_name()
        migrate(url)
        started = time.perf_counter()
        seeded = seed(url, args.people, args.interests, args.unlisted, rng)
        seed_s = time.perf_counter() - started
        token = TokenService(get_settings()).issue(seeded.admin_id, 0).access_token
        with server(url, Path(folder) / "serve.log") as base:
            rows = measure_http(base, seeded, token, args.requests, args.warmup)
        rows += asyncio.run(measure_in_process(url, args.repeat))
        return 0 if report(backend, seeded, seed_s, rows) else 3


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # a failed run, not a verdict
        print(f"bench/register.py: {type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
