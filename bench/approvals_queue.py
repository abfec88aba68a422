"""GET /api/v1/approvals/pending for the COO with 50,000 records across gifts, hospitality and paid
work (2,000 of them pending), over HTTP, beside the bare queries it runs, in one run. Not a test.

Targets (issue 7): p95 <= 50 ms on SQLite on this machine; the HTTP path within 2x the bare query.

    .venv/bin/python -m bench.approvals_queue
    .venv/bin/python -m bench.approvals_queue --database-url postgresql://postgres@127.0.0.1:55433/postgres
"""

import os

from bench.harness import KEYS

os.environ.update({**KEYS, "PROBITY_ENV": "development"})  # before the app reads its settings

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy
from sqlalchemy import insert

from app.approvals import queue
from app.auth.actor import Actor
from app.auth.permissions import Role, permissions_of
from app.auth.tokens import TokenService
from app.cli import migrate
from app.core.db import create_engine, sync_url
from app.core.schemas import PageParams
from app.core.settings import get_settings
from app.gifts.models import Gift
from app.hospitality.models import HospitalityRequest
from app.main import create_app
from app.paid_work.models import PaidWork
from app.people.models import Person, PersonRole, School
from app.people.schools import school_key, slugify
from bench.harness import bench_database, percentile, server

TARGET_P95_MS = 50.0
TARGET_RATIO = 2.0


def _person(n: int, school: uuid.UUID | None, now: datetime) -> dict[str, Any]:
    email = f"staff{n:05d}@bench.test"
    return {"id": uuid.uuid4(), "email": email, "email_key": email, "full_name": f"Staff Member {n:05d}",
            "school_id": school, "job_title": None, "active": True, "password_hash": None,
            "credentials_version": 0, "created_at": now, "updated_at": now}  # fmt: skip


def _common(person: uuid.UUID, status: str, at: datetime) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "person_id": person, "status": status, "flags": [], "created_by": person,
            "created_at": at, "submitted_at": at, "updated_at": at}  # fmt: skip


def _records(
    people: list[uuid.UUID], total: int, pending: int, now: datetime, rng: random.Random
) -> dict[Any, list[dict[str, Any]]]:
    """Records of the three kinds in turn; `pending` of them waiting, the rest decided long ago."""
    rows: dict[Any, list[dict[str, Any]]] = {Gift: [], HospitalityRequest: [], PaidWork: []}
    waiting = set(rng.sample(range(total), pending))
    for n in range(total):
        at = now - timedelta(minutes=total - n)
        person, open_ = rng.choice(people), n in waiting
        day = (at + timedelta(days=30)).date()
        if n % 3 == 0:
            rows[Gift].append({**_common(person, "pending_review" if open_ else "recorded", at),
                "donor_name": "Sam Supplier", "donor_organisation": f"Supplier {n % 400} Ltd",
                "donor_key": f"organisation:supplier {n % 400} ltd", "description": "A hamper",
                "value_pence": 8000, "offered_on": at.date(), "accepted": True,
                "is_cash": False})  # fmt: skip
        elif n % 3 == 1:
            rows[HospitalityRequest].append({**_common(person, "submitted" if open_ else "approved", at),
                "provider_name": "Pat Provider", "provider_organisation": f"Events {n % 300} Ltd",
                "event_description": "Dinner", "event_date": day, "estimated_value_pence": 6000,
                "invitation_type": "corporate", "business_justification": "Supplier relations"})  # fmt: skip
        else:
            rows[PaidWork].append({**_common(person, "submitted" if open_ else "acknowledged", at),
                "employer": f"College {n % 200}", "role": "Tutor", "hours_per_week": Decimal("4.50"),
                "start_date": day, "end_date": None, "description": None,
                "potential_conflict": None})  # fmt: skip
    return rows


def seed(url: str, staff: int, total: int, pending: int) -> uuid.UUID:
    """Schools, staff (central and in schools; some headteachers), the COO, and the records."""
    rng, now = random.Random(5), datetime.now(UTC)
    schools = [{"id": uuid.uuid4(), "name": f"School {n}", "name_key": school_key(f"School {n}"),
                "slug": slugify(f"School {n}"), "created_at": now} for n in range(20)]  # fmt: skip
    people = [_person(n, None if n % 10 == 0 else rng.choice(schools)["id"], now) for n in range(staff)]
    coo = _person(staff, None, now)
    roles = [{"person_id": p["id"], "role": Role.HEADTEACHER.value} for p in people[1:200:10]]
    roles += [
        {"person_id": coo["id"], "role": Role.COO.value},
        {"person_id": people[0]["id"], "role": Role.CEO.value},
    ]
    engine = sqlalchemy.create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(insert(School), schools)
            connection.execute(insert(Person), [*people, coo])
            connection.execute(insert(PersonRole), roles)
            for model, rows in _records([p["id"] for p in people], total, pending, now, rng).items():
                connection.execute(insert(model), rows)
        if engine.dialect.name == "postgresql":
            # Statistics as a live database has them (autovacuum would gather them mid-run otherwise).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return coo["id"]


async def bare(url: str, coo: uuid.UUID, runs: int) -> tuple[list[float], int]:
    """The queue's two statements (the count and the first page) as SQL text through the driver,
    with no ORM, no model objects and no HTTP: the floor the endpoint is compared with."""
    create_app()  # registers the kinds of record the queue reads, as the service does
    actor = Actor(coo, "coo@bench.test", "COO", None, frozenset({Role.COO}), frozenset(),
                  permissions_of(frozenset({Role.COO})))  # fmt: skip
    built = queue.statements(actor, PageParams())
    assert built is not None, "the COO decides hospitality and paid work"
    engine = create_engine(url=url)
    texts = [str(s.compile(engine, compile_kwargs={"literal_binds": True})) for s in built]
    samples, total = [], 0
    try:
        async with engine.connect() as connection:
            for _ in range(runs):
                started = time.perf_counter()
                total = (await connection.exec_driver_sql(texts[0])).scalar_one()
                (await connection.exec_driver_sql(texts[1])).all()
                samples.append((time.perf_counter() - started) * 1000)
    finally:
        await engine.dispose()
    return samples, int(total)


def over_http(base: str, token: str, runs: int) -> list[float]:
    samples = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for n in range(runs + 20):
            started = time.perf_counter()
            response = client.get("/api/v1/approvals/pending")
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
            if n >= 20:  # warm-up left out
                samples.append(elapsed)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to make a throwaway database on")
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--pending", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args()
    with bench_database(args.database_url, "queue") as url:
        migrate(url)
        coo = seed(url, 2_000, args.records, args.pending)
        token = TokenService(get_settings()).issue(coo, 0).access_token
        with tempfile.TemporaryDirectory() as folder, server(url, Path(folder) / "server.log") as base:
            http = over_http(base, token, args.runs)
            query, total = asyncio.run(bare(url, coo, args.runs))
    print(f"{args.records} records ({args.pending} pending) across gifts, hospitality and paid work; "
          f"the COO may decide {total} of them now")  # fmt: skip
    for label, samples in (("bare queries (count + page)", query), ("GET /api/v1/approvals/pending", http)):
        print(f"{label:<32} p50 {percentile(samples, 50):7.2f} ms  p95 {percentile(samples, 95):7.2f} ms")
    ratio = percentile(http, 95) / percentile(query, 95)
    print(f"HTTP p95 / bare p95: {ratio:.2f} (target <= {TARGET_RATIO}); target p95 <= {TARGET_P95_MS} ms")
    ok = percentile(http, 95) <= TARGET_P95_MS and ratio <= TARGET_RATIO
    print("PASS" if ok else "BELOW TARGET")
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main())
