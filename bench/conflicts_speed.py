"""POST /api/v1/conflict-checks over HTTP at 100,000 interests (SQLite) or 1,000,000 (PostgreSQL),
beside the same search run as bare SQL and in-process, and a cheap signed-in call, in one run. Not a test.

Targets (issue 8), on this 2-core machine: p95 <= 25 ms on SQLite at 100k interests; p95 <= 50 ms on
PostgreSQL at 1M; the HTTP path within 2x the bare query.

One run:
  1. A fresh database (bench.harness.bench_database), migrated; then bulk-loaded with realistic UK
     company names (bench/company_names.py, seeded), about 1.25 interests per distinct name, 5 per
     person, a few ended or not yet started, each with the lookup keys the app's
     normalise.stored_tokens gives (interest_name_tokens: the three-piece one-edit index and the
     word-drop keys), and name_key_state set to the current KEY_VERSION (or `probity serve`
     would rekey every name on start). SQLite: SQLAlchemy Core executemany in one transaction.
     PostgreSQL: COPY from in-memory text (psycopg), foreign-key triggers off for the load, the
     lookup table's primary key dropped for the COPY and added back after. Then ANALYZE (PostgreSQL:
     VACUUM ANALYZE, as autovacuum would have left a live database).
  2. 200 queries (after 20 unrecorded): a quarter each exact names, one-letter typos (substitution,
     insertion, deletion, swap), a word left out of a name of 3+ words, and firms not in the
     register (a corpus name with one word replaced).
  3. In-process on the same database: how many interests each query's index lookups reach
     (matcher.candidates) and how many rows the statement returns; matcher.statement compiled for the
     dialect with literal values and run bare through the driver (sqlite3 / psycopg, fetchall): the
     floor; app.conflicts.matcher.search through an async session (the seven columns it selects +
     rapidfuzz scoring), and, as a baseline, the same search reading whole Interest rows as first
     built (bench/conflicts_baselines.py).
  4. `probity serve` (one worker), a finance director's token, sequential requests in a rotating
     order per query: POST /api/v1/conflict-checks (which also stores the check, its matches and an
     audit event in a write transaction), GET /api/v1/me (the fixed cost of a signed-in request), and
     POST with a name no lookup reaches (the fixed cost of storing and auditing a check).
  5. PostgreSQL: EXPLAIN (ANALYZE, BUFFERS) of the typo query with the most candidates; SQLite:
     EXPLAIN QUERY PLAN.
  6. Baseline, same run (unless --no-baseline): interest_name_tokens reloaded with the halves index
     as first built (bench/conflicts_baselines.py) and 3-5 repeated, the server started from a bench
     factory that swaps normalise's lookup-key functions for the halves first (same uvicorn options as
     `probity serve`). And both indexes simulated in memory on the same names: candidate counts (the
     app's checked against the database's), lookup rows, and 20,000 random one-edit variants of
     stored names, each of which must reach its name.

The verdict (exit status 0 / 3) is the app's, never the baseline's.

    .venv/bin/python -m bench.conflicts_speed                                   # SQLite, 100k
    .venv/bin/python -m bench.conflicts_speed --database-url postgresql://postgres@127.0.0.1:55433/postgres
"""

import os

from bench.harness import KEYS

os.environ.update({**KEYS, "PROBITY_ENV": "development"})  # before the app reads its settings

import argparse
import asyncio
import contextlib
import io
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url

from app.auth.permissions import Role
from app.auth.tokens import TokenService
from app.cli import migrate
from app.conflicts import matcher
from app.core import clock
from app.core.db import Database, create_engine, sync_url
from app.core.settings import get_settings
from app.interests import normalise
from app.interests.models import Interest, InterestNameToken
from app.people.models import Person, PersonRole
from app.trust_settings.models import TrustSettings
from bench import company_names as names
from bench.conflicts_baselines import halves_query, halves_stored, swapped, whole_rows_statement
from bench.harness import bench_database, percentile, server

TARGET_P95_MS = {"sqlite": 25.0, "postgresql": 50.0}
TARGET_RATIO = 2.0
KINDS = ("exact", "typo", "dropped_word", "no_match")


# ---------------------------------------------------------------- data


@dataclass
class Data:
    people: list[tuple[uuid.UUID, str]]  # id, full name
    interests: list[tuple[uuid.UUID, uuid.UUID, str, str, str, date, date | None]]
    # (id, person, holder, organisation_name, organisation_key, start, end)
    tokens: list[tuple[str, uuid.UUID]]
    sample: list[names.Name]  # names in the register, to make queries from
    keys: set[str]
    checker: uuid.UUID  # the finance director who runs the checks
    seconds: float


def generate(interests: int, today: date, rng: random.Random) -> Data:
    started = time.perf_counter()
    people = [(uuid.uuid4(), f"Person {n}") for n in range(max(1, interests // 5))]
    checker = uuid.uuid4()
    rows: list[Any] = []
    tokens: list[tuple[str, uuid.UUID]] = []
    sample: list[names.Name] = []
    keys: set[str] = set()
    for name in names.iter_corpus(rng, 10**9, keys):
        key = name.key
        written = name.render()
        if len(sample) < 4000 and rng.random() < 0.02:
            sample.append(name)
        for _ in range(rng.choices([1, 2, 3], [80, 15, 5])[0]):
            interest_id = uuid.uuid4()
            start = today - timedelta(days=rng.randint(30, 3000))
            roll = rng.random()
            end = today - timedelta(days=rng.randint(1, 20)) if roll < 0.06 else None
            if 0.06 <= roll < 0.08:
                start = today + timedelta(days=rng.randint(1, 60))
            holder = "spouse_partner" if rng.random() < 0.2 else "self"
            rows.append((interest_id, rng.choice(people)[0], holder, written, key, start, end))
            tokens += [(t, interest_id) for t in normalise.stored_tokens(key)]
            if len(rows) == interests:
                break
        if len(rows) >= interests:
            break
    return Data(people, rows, tokens, sample, keys, checker, time.perf_counter() - started)


def _interest_dict(row: tuple[Any, ...], now: datetime) -> dict[str, Any]:
    interest_id, person, holder, written, key, start, end = row
    return {"id": interest_id, "person_id": person, "category": "directorship", "holder": holder,
            "holder_name": "A Partner" if holder != "self" else None,
            "relationship": "wife" if holder != "self" else None, "financial": True,
            "direct": holder == "self", "organisation_name": written, "organisation_key": key,
            "company_number": None, "charity_number": None, "description": None, "private": False,
            "start_date": start, "end_date": end, "created_by": None, "created_at": now,
            "submitted_at": now, "updated_at": now}  # fmt: skip


def _person_dict(person: uuid.UUID, full_name: str, email: str, now: datetime) -> dict[str, Any]:
    return {"id": person, "email": email, "email_key": email, "full_name": full_name, "school_id": None,
            "job_title": None, "active": True, "password_hash": None, "credentials_version": 0,
            "created_at": now, "updated_at": now}  # fmt: skip


def load_sqlite(url: str, data: Data) -> float:
    started = time.perf_counter()
    now = datetime.now(UTC)
    engine = sqlalchemy.create_engine(sync_url(url))
    try:
        with engine.begin() as connection:
            people = [_person_dict(p, n, f"p{i}@bench.test", now) for i, (p, n) in enumerate(data.people)]
            people.append(_person_dict(data.checker, "Finance Director", "fd@bench.test", now))
            connection.execute(insert(Person), people)
            connection.execute(
                insert(PersonRole), [{"person_id": data.checker, "role": Role.FINANCE_DIRECTOR.value}]
            )
            connection.execute(insert(Interest), [_interest_dict(r, now) for r in data.interests])
            connection.execute(
                insert(InterestNameToken), [{"token": t, "interest_id": i} for t, i in data.tokens]
            )
            connection.execute(
                text("UPDATE name_key_state SET key_version = :v"), {"v": normalise.KEY_VERSION}
            )
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return time.perf_counter() - started


def _tsv(values: Iterable[Any]) -> str:
    out = []
    for v in values:
        if v is None:
            out.append("\\N")
        elif isinstance(v, bool):
            out.append("t" if v else "f")
        else:
            s = str(v)
            assert not any(ch in s for ch in "\\\t\n\r"), s
            out.append(s)
    return "\t".join(out) + "\n"


def _copy(cursor: psycopg.Cursor[Any], table: str, columns: list[str], rows: Iterable[Iterable[Any]]) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for n, row in enumerate(rows, 1):
            buffer.write(_tsv(row))
            if n % 100_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def pg_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def load_postgresql(url: str, data: Data) -> float:
    started = time.perf_counter()
    now = datetime.now(UTC).isoformat()
    person_cols = [c.name for c in Person.__table__.columns]
    interest_cols = [c.name for c in Interest.__table__.columns]
    with psycopg.connect(pg_conninfo(url)) as connection:
        cursor = connection.cursor()
        cursor.execute("SET session_replication_role = replica")  # no foreign-key triggers for the load
        cursor.execute("SET maintenance_work_mem = '512MB'")
        people = [_person_dict(p, n, f"p{i}@bench.test", now) for i, (p, n) in enumerate(data.people)]  # type: ignore[arg-type]
        people.append(_person_dict(data.checker, "Finance Director", "fd@bench.test", now))  # type: ignore[arg-type]
        _copy(cursor, "people", person_cols, ([p[c] for c in person_cols] for p in people))
        _copy(cursor, "person_roles", ["person_id", "role"], [(data.checker, Role.FINANCE_DIRECTOR.value)])
        _copy(cursor, "interests", interest_cols,
              ([d[c] for c in interest_cols] for d in (_interest_dict(r, now) for r in data.interests)))  # type: ignore[arg-type]  # fmt: skip
        cursor.execute("ALTER TABLE interest_name_tokens DROP CONSTRAINT pk_interest_name_tokens")
        _copy(cursor, "interest_name_tokens", ["token", "interest_id"], sorted(data.tokens))
        cursor.execute(
            "ALTER TABLE interest_name_tokens"
            " ADD CONSTRAINT pk_interest_name_tokens PRIMARY KEY (token, interest_id)"
        )
        cursor.execute("UPDATE name_key_state SET key_version = %s", (normalise.KEY_VERSION,))
        connection.commit()
    with psycopg.connect(pg_conninfo(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


# ---------------------------------------------------------------- queries


def make_queries(data: Data, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """(kind, name as typed), the kinds in turn."""
    typos = [names.substitution, names.insertion, names.deletion, names.transposition]
    out: list[tuple[str, str]] = []
    pool = list(data.sample)
    rng.shuffle(pool)
    wanted = {kind: count // len(KINDS) for kind in KINDS}
    for name in pool * 3:
        kind = min(wanted, key=lambda k: (-wanted[k], KINDS.index(k)))
        if wanted[kind] == 0:
            break
        if kind == "exact":
            written: str | None = replace(name, suffix=rng.choice(["Ltd", "Limited", ""])).render()
        elif kind == "typo":
            written = rng.choice(typos)(rng, name)
        elif kind == "dropped_word":
            written = names.dropped_word(rng, name)
        else:
            written = names.other_word(rng, name, same_length=rng.random() < 0.5)
        if written is None:
            continue
        key = normalise.organisation_key(written)
        if kind in ("typo", "dropped_word", "no_match") and key in data.keys:
            continue
        out.append((kind, written))
        wanted[kind] -= 1
    # interleave the kinds so that each sits in every part of the run
    by_kind = {k: [q for q in out if q[0] == k] for k in KINDS}
    mixed = [q for group in zip(*by_kind.values(), strict=False) for q in group]
    return mixed


# ---------------------------------------------------------------- measuring


def compiled(url: str, query: str, as_of: date) -> tuple[str, str]:
    """The statement and the candidate count, as SQL text for the database's dialect."""
    engine = sqlalchemy.create_engine(sync_url(url))
    q = matcher.Query.of(query)
    statement = matcher.statement(q, as_of)
    count = select(func.count()).select_from(matcher.candidates(q).subquery())
    out = tuple(str(s.compile(engine, compile_kwargs={"literal_binds": True})) for s in (statement, count))
    engine.dispose()
    return out  # type: ignore[return-value]


@dataclass
class Bare:
    ms: list[float]
    rows: list[int]
    candidates: list[int]


def bare(url: str, warm: list[tuple[str, str]], sqls: list[tuple[str, str]]) -> Bare:
    """Each statement through the plain driver on one connection, fetchall; the candidate counts."""
    is_sqlite = make_url(url).get_backend_name() == "sqlite"
    if is_sqlite:
        connection: Any = sqlite3.connect(make_url(url).database)
    else:
        connection = psycopg.connect(pg_conninfo(url), autocommit=True)
    ms, rows, candidates = [], [], []
    try:
        cursor = connection.cursor()
        for statement, _ in warm:
            cursor.execute(statement)
            cursor.fetchall()
        for statement, count in sqls:
            started = time.perf_counter()
            cursor.execute(statement)
            got = cursor.fetchall()
            ms.append((time.perf_counter() - started) * 1000)
            rows.append(len(got))
            cursor.execute(count)
            candidates.append(int(cursor.fetchone()[0]))
    finally:
        connection.close()
    return Bare(ms, rows, candidates)


async def in_process(
    url: str, warm: list[str], queries: list[str], as_of: date, threshold: float
) -> tuple[list[float], list[int]]:
    """matcher.search as the service runs it: a read session per query, ORM rows, rapidfuzz scoring."""
    database = Database(create_engine(url=url))
    ms, found = [], []
    try:
        for n, text_ in enumerate(warm + queries):
            started = time.perf_counter()
            async with database.session(write=False) as session:
                result = await matcher.search(session, matcher.Query.of(text_), as_of, threshold)
            if n >= len(warm):
                ms.append((time.perf_counter() - started) * 1000)
                found.append(len(result))
    finally:
        await database.dispose()
    return ms, found


async def in_process_whole_rows(
    url: str, warm: list[str], queries: list[str], as_of: date, threshold: float
) -> list[float]:
    """Baseline: the same search reading whole Interest rows (ORM entities), as first built."""
    database = Database(create_engine(url=url))
    ms = []
    try:
        for n, text_ in enumerate(warm + queries):
            started = time.perf_counter()
            async with database.session(write=False) as session:
                query = matcher.Query.of(text_)
                rows = (await session.execute(whole_rows_statement(query, as_of))).all()
                found = []
                for interest, person_name in rows:
                    judged = matcher.judge(query, interest, threshold)
                    if judged is not None:
                        found.append(matcher.Found(interest, person_name, judged[1], judged[0]))
                found.sort(key=lambda f: (-f.score, f.person_name.casefold(), str(f.interest.id)))
            if n >= len(warm):
                ms.append((time.perf_counter() - started) * 1000)
    finally:
        await database.dispose()
    return ms


# A name the index reaches nothing for: the check is stored (with no matches) and audited as any other,
# so POSTing it is the fixed cost of the endpoint (HTTP, token, settings, the write, the response).
NOTHING = "Qzxv Jwpk Ltd"


@dataclass
class Http:
    posts: list[float]
    mes: list[float]
    empty: list[float]
    matches: list[int]


def over_http(base: str, token: str, warm: list[str], queries: list[str]) -> Http:
    """For each query, in a rotating order: POST /api/v1/conflict-checks with it, GET /api/v1/me,
    and POST /api/v1/conflict-checks with a name that reaches no candidates."""
    out = Http([], [], [], [])
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for n, name in enumerate(warm + queries):
            order = ["post", "me", "empty"]
            order = order[n % 3 :] + order[: n % 3]
            for what in order:
                counterparty = NOTHING if what == "empty" else name
                body = {"counterparty_name": counterparty, "context": "contract_award", "reference": f"T-{n}"}
                started = time.perf_counter()
                if what == "me":
                    response = client.get("/api/v1/me")
                else:
                    response = client.post("/api/v1/conflict-checks", json=body)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != (200 if what == "me" else 201):
                    raise RuntimeError(f"{what} {body}: HTTP {response.status_code}: {response.text[:300]}")
                if what == "empty" and response.json()["matches"]:
                    raise RuntimeError(f"{NOTHING!r} matched something: pick another name")
                if n >= len(warm):
                    {"post": out.posts, "me": out.mes, "empty": out.empty}[what].append(elapsed)
                    if what == "post":
                        out.matches.append(len(response.json()["matches"]))
    return out


# ---------------------------------------------------------------- the two indexes in memory


def _one_edit(rng: random.Random, key: str) -> str:
    at = rng.randrange(len(key))
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz ")
    how = rng.choice(["sub", "ins", "del", "swap"])
    if how == "sub":
        return key[:at] + letter + key[at + 1 :]
    if how == "ins":
        return key[:at] + letter + key[at:]
    if how == "del" or at == len(key) - 1:
        return key[:at] + key[at + 1 :]
    return key[:at] + key[at + 1] + key[at] + key[at + 2 :]


SIMULATED = {
    "app (thirds)": (normalise.stored_tokens, normalise.query_tokens),
    "halves (first)": (halves_stored, halves_query),
}


def simulate_indexes(
    data: Data, query_keys: list[str], rng: random.Random
) -> tuple[list[str], dict[str, list[int]]]:
    """Candidates per query under the app's index and the halves as first built (both simulated on the
    same names, the app's checked against the database's counts by the caller), rows stored, and a
    completeness check: random one-edit variants of names must reach the name."""
    per_key: dict[str, int] = {}
    for row in data.interests:
        per_key[row[4]] = per_key.get(row[4], 0) + 1
    out, counts = [], {}
    for label, (stored, query) in SIMULATED.items():
        index: dict[str, list[str]] = {}
        rows = 0
        for key, interests in per_key.items():
            for token in stored(key):
                index.setdefault(token, []).append(key)
                rows += interests
        found = []
        for q in query_keys:
            keys = {k for t in query(q) for k in index.get(t, ())}
            keys |= {k for k in normalise.query_keys(q) if k in per_key}
            found.append(sum(per_key[k] for k in keys))
        counts[label] = found
        missed = 0
        sample = rng.sample(list(per_key), min(20_000, len(per_key)))
        for key in sample:
            if len(key) < normalise.EDIT_MIN_LENGTH + 1:
                continue
            variant = _one_edit(rng, key)
            if variant == key:
                continue
            if key not in normalise.query_keys(variant) and set(stored(key)).isdisjoint(query(variant)):
                missed += 1
        top = sorted(((len(v), t) for t, v in index.items()), reverse=True)[:3]
        out.append(
            f"{label:<14} lookup rows {rows:>9}  candidates per query p50 {percentile(found, 50):6.0f}  "
            f"p95 {percentile(found, 95):6.0f}  max {max(found):6.0f}  one-edit variants missed "
            f"{missed}/{len(sample)}  biggest keys: " + ", ".join(f"{t!r} {n}" for n, t in top)
        )
    return out, counts


def stats(samples: list[float]) -> str:
    return (
        f"p50 {percentile(samples, 50):7.2f}  p95 {percentile(samples, 95):7.2f}  "
        f"max {max(samples, default=0):7.2f}"
    )


def common_tokens(url: str) -> list[tuple[str, int]]:
    sql = "SELECT token, count(*) AS n FROM interest_name_tokens GROUP BY token ORDER BY n DESC LIMIT 8"
    if make_url(url).get_backend_name() == "sqlite":
        with sqlite3.connect(make_url(url).database) as connection:
            return [(t, n) for t, n in connection.execute(sql).fetchall()]
    with psycopg.connect(pg_conninfo(url)) as connection:
        return [(t, n) for t, n in connection.execute(sql).fetchall()]


def explain(url: str, sql: str) -> list[str]:
    if make_url(url).get_backend_name() == "sqlite":
        with sqlite3.connect(make_url(url).database) as connection:
            return [
                " " * 2 * depth + detail
                for depth, detail in _sqlite_plan(connection.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall())
            ]
    with psycopg.connect(pg_conninfo(url)) as connection:
        return [row[0] for row in connection.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}").fetchall()]


def _sqlite_plan(rows: list[tuple[int, int, int, str]]) -> list[tuple[int, str]]:
    depth: dict[int, int] = {0: -1}
    out = []
    for node, parent, _, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        out.append((depth[node], detail))
    return out


def halves_server(url: str, log: Path) -> contextlib.AbstractContextManager[str]:
    """The baseline service: as `probity serve` runs it (one uvicorn worker, the same options), from
    the bench factory that swaps normalise's lookup keys for the halves as first built."""

    def command(port: int) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "--factory", "bench.conflicts_baselines:create_halves_app",
                "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "info",
                "--no-proxy-headers", "--no-server-header"]  # fmt: skip

    return server(url, log, command)


def reload_tokens(url: str, data: Data, stored_tokens: Callable[[str], list[str]]) -> tuple[int, float]:
    """interest_name_tokens made again with `stored_tokens` (the baseline's index)."""
    started = time.perf_counter()
    rows = [(t, interest[0]) for interest in data.interests for t in stored_tokens(interest[4])]
    if make_url(url).get_backend_name() == "sqlite":
        engine = sqlalchemy.create_engine(sync_url(url))
        try:
            with engine.begin() as connection:
                connection.execute(text("DELETE FROM interest_name_tokens"))
                connection.execute(
                    insert(InterestNameToken), [{"token": t, "interest_id": i} for t, i in rows]
                )
            with engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
        finally:
            engine.dispose()
    else:
        with psycopg.connect(pg_conninfo(url)) as connection:
            cursor = connection.cursor()
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("TRUNCATE interest_name_tokens")
            cursor.execute("ALTER TABLE interest_name_tokens DROP CONSTRAINT pk_interest_name_tokens")
            _copy(cursor, "interest_name_tokens", ["token", "interest_id"], sorted(rows))
            cursor.execute(
                "ALTER TABLE interest_name_tokens"
                " ADD CONSTRAINT pk_interest_name_tokens PRIMARY KEY (token, interest_id)"
            )
            connection.commit()
        with psycopg.connect(pg_conninfo(url), autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE interest_name_tokens")
    return len(rows), time.perf_counter() - started


@dataclass
class Phase:
    label: str
    load: float
    floor: Bare
    search_ms: list[float]
    whole_rows_ms: list[float] | None  # the baseline search reading whole Interest rows
    http: Http
    plan: list[str]
    tokens: list[tuple[str, int]]


def measure(
    label: str,
    url: str,
    data: Data,
    warm: list[str],
    texts: list[str],
    kinds: list[str],
    today: date,
    threshold: float,
    baseline: bool,
) -> Phase:
    """The app's path (baseline False: `probity serve`), or the halves baseline's (a bench factory)."""
    load = os.getloadavg()[0]
    sqls = [compiled(url, q, today) for q in texts]
    floor = bare(url, [compiled(url, q, today) for q in warm], sqls)
    search_ms, _ = asyncio.run(in_process(url, warm, texts, today, threshold))
    whole_rows_ms = (
        None if baseline else asyncio.run(in_process_whole_rows(url, warm, texts, today, threshold))
    )
    typo_at = max((i for i, k in enumerate(kinds) if k == "typo"), key=lambda i: floor.candidates[i])
    plan = [f"({texts[typo_at]!r}, {floor.candidates[typo_at]} candidates)", *explain(url, sqls[typo_at][0])]
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "server.log"
        try:
            with halves_server(url, log) if baseline else server(url, log) as base:
                token = TokenService(get_settings()).issue(data.checker, 0).access_token
                http = over_http(base, token, warm, texts)
        except RuntimeError:
            print("server log (last 80 lines):\n" + "\n".join(log.read_text().splitlines()[-80:]))
            raise
    return Phase(label, load, floor, search_ms, whole_rows_ms, http, plan, common_tokens(url))


def report(
    phase: Phase, dialect: str, texts: list[str], kinds: list[str], threshold: float, interests: int
) -> tuple[bool, bool]:
    floor, http = phase.floor, phase.http
    print(f"\n== {phase.label}")
    print(
        f"candidates per query (interests the index lookups reach): {stats(floor.candidates)}".replace(
            ".00", ""
        )
    )
    print(f"rows per query (open interests among them):              {stats(floor.rows)}".replace(".00", ""))
    print(
        f"matches per query over HTTP (at {threshold}):                 {stats(http.matches)}".replace(
            ".00", ""
        )
    )
    worst = sorted(range(len(texts)), key=lambda i: -floor.candidates[i])[:3]
    print("most candidates: " + "; ".join(f"{texts[i]!r} ({kinds[i]}) {floor.candidates[i]}" for i in worst))
    most = sorted(range(len(texts)), key=lambda i: -http.matches[i])[:3]
    print("most matches: " + "; ".join(f"{texts[i]!r} ({kinds[i]}) {http.matches[i]}" for i in most))
    print("most common lookup keys: " + ", ".join(f"{t!r} {n}" for t, n in phase.tokens))
    print(f"ms per query (load average as the timed part began: {phase.load:.2f})")
    rows = [
        ("bare SQL (driver, fetchall)", floor.ms),
        ("matcher.search in-process (columns + rapidfuzz)", phase.search_ms),
        ("HTTP POST /api/v1/conflict-checks", http.posts),
        ("HTTP GET /api/v1/me (baseline, same run)", http.mes),
        (f"HTTP POST, a name with no candidates ({NOTHING!r})", http.empty),
    ]
    for label, samples in rows:
        print(f"  {label:<56} {stats(samples)}")
    if phase.whole_rows_ms is not None:
        label = "baseline: the search reading whole Interest rows (first)"
        print(f"  {label:<56} {stats(phase.whole_rows_ms)}")
    print("  by kind (p50 / p95):")
    for kind in KINDS:
        pick = [i for i, k in enumerate(kinds) if k == kind]
        cells = []
        for label, samples in rows[:3]:
            mine = [samples[i] for i in pick]
            name = label.split(" (")[0].split(" /api")[0]
            cells.append(f"{name} {percentile(mine, 50):.2f} / {percentile(mine, 95):.2f}")
        cand = [floor.candidates[i] for i in pick]
        print(
            f"    {kind:<13} candidates p50 {percentile(cand, 50):.0f} max {max(cand)};  " + ";  ".join(cells)
        )
    print("plan of one typo query " + phase.plan[0] + ":")
    for line in phase.plan[1:]:
        print(f"  {line}")
    joined = "\n".join(phase.plan)
    lookup = (
        "pk_interest_name_tokens" if dialect == "postgresql" else "sqlite_autoindex_interest_name_tokens_1"
    )
    for index in (lookup, "ix_interests_organisation_key"):
        print(f"  uses {index}: {'yes' if index in joined else 'no'}")
    posts = http.posts
    p95, ratio = percentile(posts, 95), percentile(posts, 95) / max(percentile(floor.ms, 95), 1e-9)
    target = TARGET_P95_MS.get(dialect, 50.0)
    over_me = percentile(posts, 50) - percentile(http.mes, 50)
    fixed = percentile(http.empty, 50) - percentile(http.mes, 50)
    print(
        f"HTTP p95 {p95:.2f} ms (target <= {target:.0f} ms at {interests} interests); "
        f"HTTP p95 / bare SQL p95 {ratio:.1f} (target <= {TARGET_RATIO}); "
        f"HTTP p95 / in-process search p95 {p95 / max(percentile(phase.search_ms, 95), 1e-9):.1f}; "
        f"HTTP p50 minus /me p50 {over_me:.2f} ms, of which storing and auditing a check "
        f"(no-candidate POST p50 minus /me p50) {fixed:.2f} ms"
    )
    ok_latency, ok_ratio = p95 <= target, ratio <= TARGET_RATIO
    print(
        f"latency: {'MET' if ok_latency else 'NOT MET'}; "
        f"ratio to bare SQL: {'MET' if ok_ratio else 'NOT MET'}"
    )
    return ok_latency, ok_ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to make a throwaway database on")
    parser.add_argument("--interests", type=int, help="default 100,000 on SQLite, 1,000,000 on PostgreSQL")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--no-baseline", action="store_true", help="skip the halves index as first built (the baseline)"
    )
    args = parser.parse_args()
    dialect = "sqlite" if args.database_url is None else make_url(args.database_url).get_backend_name()
    interests = args.interests or (100_000 if dialect == "sqlite" else 1_000_000)
    rng = random.Random(args.seed)
    today = clock.today()
    phases = []
    with bench_database(args.database_url, "conflicts") as url:
        migrate(url)
        data = generate(interests, today, rng)
        print(
            f"{dialect}: generated {len(data.interests)} interests ({len(data.keys)} distinct names), "
            f"{len(data.people)} people, {len(data.tokens)} lookup keys (the app's) in {data.seconds:.1f} s",
            flush=True,
        )
        loaded = load_sqlite(url, data) if dialect == "sqlite" else load_postgresql(url, data)
        print(f"loaded and analysed in {loaded:.1f} s", flush=True)
        engine = sqlalchemy.create_engine(sync_url(url))
        with engine.connect() as connection:
            threshold = connection.execute(
                select(TrustSettings.conflict_similarity_threshold).where(TrustSettings.id == 1)
            ).scalar_one()
        engine.dispose()
        queries = make_queries(data, args.queries, rng)
        warm = [q for _, q in make_queries(data, args.warmup * 2, random.Random(args.seed + 1))][
            : args.warmup
        ]
        texts, kinds = [q for _, q in queries], [k for k, _ in queries]
        run = (url, data, warm, texts, kinds, today, threshold)
        phases.append(measure("the app as it is: three-piece index, `probity serve`", *run, baseline=False))
        simulated = simulate_indexes(data, [normalise.organisation_key(q) for q in texts], rng)
        if not args.no_baseline:
            rows, seconds = reload_tokens(url, data, halves_stored)
            print(
                f"baseline: interest_name_tokens reloaded with the halves as first built ({rows} rows) "
                f"in {seconds:.1f} s",
                flush=True,
            )
            with swapped(stored=halves_stored, query=halves_query):
                label = "baseline (bench only): the halves index as first built, the app's matcher otherwise"
                phases.append(measure(label, *run, baseline=True))

    print(
        f"\n{len(texts)} queries after {len(warm)} unrecorded; as_of {today}; threshold {threshold}; "
        + ", ".join(f"{k} {kinds.count(k)}" for k in KINDS)
    )
    print("examples: " + "; ".join(f"{k}: {next(q for kk, q in queries if kk == k)!r}" for k in KINDS))
    verdicts = [report(phase, dialect, texts, kinds, threshold, len(data.interests)) for phase in phases]
    lines, counts = simulated
    agree = sum(a == b for a, b in zip(counts["app (thirds)"], phases[0].floor.candidates, strict=True))
    print("\nthe two indexes simulated in memory on the same names (candidates, rows, completeness)")
    for line in lines:
        print(f"  {line}")
    print(
        f"  (the simulation of the app's index agrees with the database's candidate counts on {agree} of "
        f"{len(texts)} queries)"
    )
    latency, ratio = verdicts[0]
    print(
        f"\nverdict, the app only: p95 latency {'MET' if latency else 'NOT MET'}; "
        f"within {TARGET_RATIO:.0f}x the bare query {'MET' if ratio else 'NOT MET'}"
    )
    return 0 if latency and ratio else 3


if __name__ == "__main__":
    sys.exit(main())
