"""Backup and restore at a realistic size, and whether writers wait while a backup runs.

Not a test. On a new database of 5,000 people with 5 interests each and their audit trail (one
valid, HMAC-chained event per person and per interest: 30,000 events), one run measures:
  - `probity backup FILE` (the real command, a process of its own): the command's own time for the
    copy, the whole process's time, and the file's size;
  - meanwhile, trustees keep declaring interests through the app (in this process, over ASGI, with
    the production dependencies): write latency p50/p95/max and writes per second in the seconds
    before the backup and while it runs, and any answer other than 201;
  - `probity restore FILE` into a new, empty database (staging, migration, swap, the audit check).

    PYTHONPATH=. .venv/bin/python bench/backup.py
    PYTHONPATH=. .venv/bin/python bench/backup.py --database-url postgresql://postgres@127.0.0.1:55433/postgres

With a PostgreSQL URL, new probity_bench_<hex> databases are made on that server and dropped
afterwards. Exit status 0, or 1 when a command failed or a write got an answer other than 201.
"""

import os

# Settings are read once per process: the same keys here and in the commands, so the chain seeded
# here verifies there.
BENCH_ENV = {
    "PROBITY_ENV": "development",
    "PROBITY_SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
    "PROBITY_AUDIT_KEY": "bench-audit-key-0123456789abcdef01234567890",
}
os.environ.update(BENCH_ENV)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
import sqlalchemy  # noqa: E402
from sqlalchemy import insert, update  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent  # noqa: E402
from app.audit.service import event_hash, json_value  # noqa: E402
from app.auth.dependencies import get_token_service  # noqa: E402
from app.core.db import Database, create_engine, set_database, sync_url  # noqa: E402
from app.core.migrations import migrate  # noqa: E402
from app.interests import normalise  # noqa: E402
from app.interests.models import Interest  # noqa: E402
from app.interests.schemas import FINANCIAL_CATEGORIES, InterestCategory  # noqa: E402
from app.interests.service import snapshot  # noqa: E402
from app.main import create_app  # noqa: E402
from app.people.models import Person  # noqa: E402
from bench.harness import bench_database  # noqa: E402

PROBITY = str(Path(sys.executable).parent / "probity")
ORGS = ("Oakwood", "Riverside", "Northgate", "Summit", "Beacon", "Harbour", "Meadow", "Kingsway")
KINDS = ("Supplies Ltd", "Consulting LLP", "Trust", "Holdings PLC", "Academy Trust", "Foundation")


class Trail:
    """Audit events as the service writes them, each hashed over the one before."""

    def __init__(self, at: datetime) -> None:
        self.at, self.rows, self.last_hash = at, list[dict[str, Any]](), GENESIS_HASH

    def add(self, action: str, entity_type: str, entity_id: uuid.UUID, after: dict[str, Any]) -> None:
        event = AuditEvent(
            id=uuid.uuid4(), seq=len(self.rows) + 1, at=self.at, actor_id=None, action=action,
            entity_type=entity_type, entity_id=str(entity_id), before=None, after=json_value(after),
            prev_hash=self.last_hash,
        )  # fmt: skip
        event.hash = self.last_hash = event_hash(event)
        self.rows.append({c.key: getattr(event, c.key) for c in AuditEvent.__table__.columns})


def _interest(person_id: uuid.UUID, now: datetime, rng: random.Random) -> Interest:
    category = rng.choice(list(InterestCategory))
    organisation = f"{rng.choice(ORGS)} {rng.choice(ORGS)} {rng.choice(KINDS)}"
    return Interest(
        id=uuid.uuid4(), person_id=person_id, category=category.value, holder="self", holder_name=None,
        relationship=None, financial=category in FINANCIAL_CATEGORIES, direct=True,
        organisation_name=organisation, organisation_key=normalise.organisation_key(organisation),
        company_number=f"{rng.randint(1, 99_999_999):08d}" if category in FINANCIAL_CATEGORIES else None,
        charity_number=None, description=f"A role with {organisation}, unpaid, since appointment.",
        private=rng.random() < 0.15, start_date=(now - timedelta(days=rng.randint(0, 3000))).date(),
        end_date=None, created_by=person_id, created_at=now, submitted_at=now, updated_at=now,
    )  # fmt: skip


def seed(url: str, people: int, interests_each: int, rng: random.Random) -> list[uuid.UUID]:
    """People, interests and their audit events in bulk, in one transaction; returns the people."""
    now = datetime.now(UTC)
    trail, person_rows, interest_rows = Trail(now), list[dict[str, Any]](), list[dict[str, Any]]()
    for n in range(people):
        email = f"person{n:05d}@bench.test"
        person = {"id": uuid.uuid4(), "email": email, "email_key": email, "full_name": f"Person {n:05d}",
                  "active": True, "created_at": now, "updated_at": now}  # fmt: skip
        person_rows.append(person)
        trail.add(
            "person.created", "person", person["id"], {"email": email, "full_name": person["full_name"]}
        )
        for _ in range(interests_each):
            interest = _interest(person["id"], now, rng)
            interest_rows.append({c.key: getattr(interest, c.key) for c in Interest.__table__.columns})
            trail.add("interest.created", "interest", interest.id, snapshot(interest))
    engine = sqlalchemy.create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(insert(Person), person_rows)
            connection.execute(insert(Interest), interest_rows)
            connection.execute(insert(AuditEvent), trail.rows)
            connection.execute(
                update(AuditChainHead).values(last_seq=len(trail.rows), last_hash=trail.last_hash)
            )
    finally:
        engine.dispose()
    return [row["id"] for row in person_rows]


@dataclass(frozen=True)
class Write:
    started: float
    seconds: float
    status: int


async def keep_writing(
    http: httpx.AsyncClient, person_id: uuid.UUID, stop: asyncio.Event, out: list[Write]
) -> None:
    headers = {"Authorization": f"Bearer {get_token_service().issue(person_id, 0).access_token}"}
    n = 0
    while not stop.is_set():
        n += 1
        body = {"category": "directorship", "organisation_name": f"Bench Writer {person_id.hex[:6]} {n} Ltd"}
        started = time.monotonic()
        response = await http.post("/api/v1/interests", json=body, headers=headers)
        out.append(Write(started, time.monotonic() - started, response.status_code))


async def probity(*args: str, url: str) -> tuple[float, str]:
    """Run the command; returns its wall time and what it printed (exits on failure)."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        PROBITY, *args, env={**os.environ, "PROBITY_DATABASE_URL": url},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode != 0:
        sys.exit(f"probity {' '.join(args)} failed ({process.returncode}): {err.decode()}")
    return time.monotonic() - started, out.decode().strip()


def describe(writes: list[Write], seconds: float) -> str:
    if not writes:
        return "no writes"
    latencies = sorted(w.seconds * 1000 for w in writes)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    others = sum(1 for w in writes if w.status != 201)
    return (
        f"{len(writes) / seconds:6.1f} writes/s  p50 {statistics.median(latencies):6.1f} ms  "
        f"p95 {p95:6.1f} ms  max {latencies[-1]:7.1f} ms  not 201: {others}"
    )


async def backup_under_load(url: str, backup_file: Path, people: list[uuid.UUID], writers: int) -> bool:
    database = Database(create_engine(url=url))
    set_database(database)
    writes: list[Write] = []
    stop = asyncio.Event()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app()), base_url="http://bench"
    ) as http:
        tasks = [asyncio.create_task(keep_writing(http, p, stop, writes)) for p in people[:writers]]
        await asyncio.sleep(1.0)  # warm-up, not counted
        before_from = time.monotonic()
        await asyncio.sleep(5.0)
        backup_from = time.monotonic()
        wall, printed = await probity("backup", str(backup_file), url=url)
        backup_to = time.monotonic()
        stop.set()
        await asyncio.gather(*tasks)
    await database.dispose()
    before = [w for w in writes if before_from <= w.started < backup_from]
    during = [w for w in writes if backup_from <= w.started < backup_to]
    print(f"backup: {printed}\n  the whole command (start-up, imports, checks) took {wall:.1f} s")
    print(f"  {writers} writers, 5 s before the backup:  {describe(before, backup_from - before_from)}")
    print(f"  {writers} writers, while it ran ({wall:.1f} s): {describe(during, backup_to - backup_from)}")
    return all(w.status == 201 for w in writes)


async def run(args: argparse.Namespace) -> int:
    rng = random.Random(20261128)
    with tempfile.TemporaryDirectory(prefix="probity-bench-") as scratch:
        folder = Path(scratch)
        with bench_database(args.database_url, "source") as url:
            migrate(url)
            started = time.monotonic()
            people = seed(url, args.people, args.interests_each, rng)
            events = args.people * (1 + args.interests_each)
            print(f"{make_url(url).get_backend_name()}: seeded {args.people} people, "
                  f"{args.people * args.interests_each} interests, {events} audit events in "
                  f"{time.monotonic() - started:.1f} s")  # fmt: skip
            all_written = await backup_under_load(url, folder / "bench.backup", people, args.writers)
        with bench_database(args.database_url, "restored") as target:
            wall, printed = await probity("restore", str(folder / "bench.backup"), url=target)
            print("restore: " + printed.replace("\n", "\n  ") + f"\n  the whole command took {wall:.1f} s")
    return 0 if all_written else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="a PostgreSQL server to make the databases on (default: SQLite)"
    )
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--interests-each", type=int, default=5)
    parser.add_argument("--writers", type=int, default=4)
    return asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
