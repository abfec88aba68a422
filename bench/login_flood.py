"""40 anonymous logins at once for 30 s while trustees declare interests, beside the same trustees with
no logins, in one run. Not a test.

Finding it answers: `login()` held SQLite's write lock while argon2 checked the password: 40 parallel
logins for 30 s gave 23 × 500 and 15 dropped connections, and a trustee's POST /interests took a
median of 6.6 s. Targets: no 500 and no dropped connection; the trustees' p95 under 1 s.

The logins come from many addresses (a distributed guesser: the server trusts 127.0.0.1 as a proxy
and each attempt names a random client in X-Forwarded-For), so every one of them reaches argon2 and
records a failure; from one address they would meet that address's 429 after 50 failures, which is
cheap. argon2 runs with the product's default cost (64 MiB, t=3, p=4).

    .venv/bin/python -m bench.login_flood
    .venv/bin/python -m bench.login_flood --database-url postgresql://postgres@127.0.0.1:55433/postgres
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
from pathlib import Path

import httpx

from app.cli import migrate
from bench.harness import Tally, bench_database, declare_interests_until, people_with_tokens, server

TARGET_P95_MS = 1000.0


async def guess_until(
    client: httpx.AsyncClient, stop: asyncio.Event, tally: Tally, rng: random.Random
) -> None:
    """One anonymous guesser: a random name from a random address, again and again."""
    while not stop.is_set():
        started = time.perf_counter()
        address = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        try:
            response = await client.post(
                "/api/v1/auth/token",
                data={"username": f"{uuid.uuid4().hex[:12]}@guess.test", "password": "Summer2026!"},
                headers={"X-Forwarded-For": address},
            )
            tally.add(str(response.status_code), started)
        except httpx.HTTPError as exc:
            tally.add(type(exc).__name__, started)


async def phase(base: str, tokens: list[str], logins: int, seconds: float) -> tuple[Tally, Tally]:
    writes, guesses, stop = Tally(), Tally(), asyncio.Event()
    rng = random.Random(11)
    limits = httpx.Limits(max_connections=logins + len(tokens) + 4)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        tasks = [
            asyncio.ensure_future(
                declare_interests_until(client, {"Authorization": f"Bearer {t}"}, stop, writes)
            )
            for t in tokens
        ] + [asyncio.ensure_future(guess_until(client, stop, guesses, rng)) for _ in range(logins)]
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks)
    return writes, guesses


async def run(url: str, seconds: float, logins: int, trustees: int) -> int:
    tokens = await people_with_tokens(url, trustees)
    with (
        tempfile.TemporaryDirectory() as folder,
        server(url, Path(folder) / "server.log", PROBITY_TRUSTED_PROXIES="127.0.0.1") as base,
    ):
        quiet_writes, _ = await phase(base, tokens, 0, seconds)
        flood_writes, guesses = await phase(base, tokens, logins, seconds)
    print(f"{trustees} trustees declaring interests; {logins} anonymous logins at once; {seconds:.0f} s each")
    print(quiet_writes.line("trustee writes, no logins"))
    print(flood_writes.line(f"trustee writes, {logins} logins"))
    print(guesses.line("anonymous logins"))
    print(f"logins per second: {len(guesses.latencies_ms) / seconds:.1f}")
    p95 = sorted(flood_writes.latencies_ms)[int(0.95 * (len(flood_writes.latencies_ms) - 1))]
    failures = flood_writes.server_errors + guesses.server_errors
    dropped = sum(
        n for status, n in {**flood_writes.statuses, **guesses.statuses}.items() if not status.isdigit()
    )
    ok = failures == 0 and dropped == 0 and p95 < TARGET_P95_MS
    print(f"5xx other than 503: {failures}; dropped or failed connections: {dropped}")
    print(f"trustee p95 with the logins: {p95:.0f} ms (target < {TARGET_P95_MS:.0f} ms)")
    print("PASS" if ok else "BELOW TARGET")
    return 0 if ok else 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to make a throwaway database on")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--logins", type=int, default=40)
    parser.add_argument("--trustees", type=int, default=4)
    args = parser.parse_args()
    with bench_database(args.database_url, "logins") as url:
        migrate(url)
        return asyncio.run(run(url, args.seconds, args.logins, args.trustees))


if __name__ == "__main__":
    sys.exit(main())
