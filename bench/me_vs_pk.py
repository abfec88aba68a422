"""GET /api/v1/me against a one-primary-key-select baseline, both on one uvicorn worker.

The target: /me serves at least 70 % of the baseline's requests per second. The machines are
noisy, so the two endpoints are loaded in the same run, in alternating rounds (me, pk, pk, me, ...),
and only the ratio of their medians is judged; an absolute figure on its own means little.

    .venv/bin/python -m bench.me_vs_pk                      # a fresh SQLite file
    .venv/bin/python -m bench.me_vs_pk --database-url postgresql://postgres@127.0.0.1:55433/postgres

With a PostgreSQL URL a new database is created on that server and dropped afterwards; the
database named in the URL is left alone. Exit status: 0 PASS, 3 BELOW TARGET, 2 when a round had
non-2xx responses or socket errors (no verdict), 1 when the script itself failed.
"""

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parent.parent
ME_PATH = "/api/v1/me"
PK_PATH = "/bench/pk/{person_id}"
EMAIL = "bench.admin@probity.test"
PASSWORD = "bench-password-long-enough"
TARGET = 0.70
APP_FACTORY = "bench.app_with_baseline:create_bench_app"
# Fixed, non-default keys of 32+ bytes, so the server starts exactly as a configured one would.
SERVER_ENV = {
    "PROBITY_ENV": "development",
    "PROBITY_SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
    "PROBITY_AUDIT_KEY": "bench-audit-key-0123456789abcdef01234567890",
    # Login happens once, before the load: cheap hashing keeps the set-up quick and does not touch /me.
    "PROBITY_ARGON2_TIME_COST": "1",
    "PROBITY_ARGON2_MEMORY_KIB": "1024",
    "PROBITY_ARGON2_PARALLELISM": "1",
}


@dataclass(frozen=True)
class Load:
    """What one bounded burst of load produced."""

    requests: int
    seconds: float
    rps: float
    non_2xx: int
    socket_errors: int
    p50_ms: float | None
    p99_ms: float | None

    @property
    def clean(self) -> bool:
        return self.requests > 0 and self.non_2xx == 0 and self.socket_errors == 0


# ---------------------------------------------------------------- the database


def _admin_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql", database="postgres").render_as_string(False)


@contextlib.contextmanager
def fresh_database(base_url: str | None) -> Iterator[str]:
    """A new, empty database: an SQLite file in a temp folder, or one on the given PostgreSQL server."""
    if base_url is None or make_url(base_url).get_backend_name() == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="probity-bench-"))
        try:
            yield f"sqlite:///{folder / 'bench.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    name = f"probity_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_conninfo(base_url), autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_admin_conninfo(base_url), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(url: str, env: dict[str, str]) -> None:
    """Migrate, then create one governance_admin with a password through the real command."""
    from app.cli import migrate

    migrate(url)
    command = [sys.executable, "-m", "app.cli", "create-admin", "--email", EMAIL]
    command += ["--full-name", "Bench Admin", "--password-stdin"]
    subprocess.run(command, input=PASSWORD + "\n", text=True, env=env, cwd=REPO_ROOT, check=True)


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve(env: dict[str, str], log: Path, factory: str) -> Iterator[str]:
    """One uvicorn worker serving the bench app on 127.0.0.1; stopped on the way out."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", factory]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    command += ["--log-level", "warning", "--no-access-log"]
    with log.open("w") as sink:
        server = subprocess.Popen(command, env=env, cwd=REPO_ROOT, stdout=sink, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, base, log)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(server: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {server.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"uvicorn did not answer /healthz within 30 s:\n{log.read_text()}")


def sign_in(base: str) -> tuple[str, str]:
    """A token from the real login route, and the person's id as /me reports it."""
    reply = httpx.post(f"{base}/api/v1/auth/token", data={"username": EMAIL, "password": PASSWORD})
    reply.raise_for_status()
    token = reply.json()["access_token"]
    me = httpx.get(f"{base}{ME_PATH}", headers={"Authorization": f"Bearer {token}"})
    me.raise_for_status()
    return token, me.json()["id"]


# ---------------------------------------------------------------- load: wrk, or httpx as a fallback

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _latency_ms(output: str, percentile: str) -> float | None:
    found = re.search(rf"^\s*{percentile}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    return float(found[1]) * _UNIT_MS[found[2]] if found else None


def parse_wrk(output: str) -> Load:
    """Requests/sec, the request count, non-2xx responses and socket errors from wrk's report."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    total = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m)", output, re.MULTILINE)
    if rps is None or total is None:
        raise RuntimeError(f"could not read wrk's report:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    seconds = float(total[2]) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[total[3]]
    return Load(
        requests=int(total[1]),
        seconds=seconds,
        rps=float(rps[1]),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(n) for n in sockets.groups()) if sockets else 0,
        p50_ms=_latency_ms(output, "50"),
        p99_ms=_latency_ms(output, "99"),
    )


def run_wrk(wrk: str, url: str, token: str | None, seconds: float, connections: int) -> Load:
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "5s"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    finished = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60)
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed ({finished.returncode}):\n{finished.stdout}{finished.stderr}")
    return parse_wrk(finished.stdout)


async def _httpx_load(url: str, token: str | None, seconds: float, connections: int) -> Load:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    counts = {"non_2xx": 0, "errors": 0}
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=5) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    reply = await client.get(url)
                except httpx.HTTPError:
                    counts["errors"] += 1
                    continue
                latencies.append(time.perf_counter() - sent)
                counts["non_2xx"] += not 200 <= reply.status_code < 400

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    done = len(latencies)
    cuts = statistics.quantiles(latencies, n=100) if done > 1 else [None] * 99
    return Load(
        requests=done,
        seconds=elapsed,
        rps=done / elapsed,
        non_2xx=counts["non_2xx"],
        socket_errors=counts["errors"],
        p50_ms=cuts[49] * 1000 if cuts[49] is not None else None,
        p99_ms=cuts[98] * 1000 if cuts[98] is not None else None,
    )


def run_load(wrk: str | None, url: str, token: str | None, seconds: float, connections: int) -> Load:
    if wrk:
        return run_wrk(wrk, url, token, seconds, connections)
    return asyncio.run(_httpx_load(url, token, seconds, connections))


# ---------------------------------------------------------------- the comparison


def _ms(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:6.2f}"


def describe(round_no: int, name: str, load: Load) -> str:
    return (
        f"round {round_no}  {name:<3} {load.rps:9.1f} req/s  {load.requests:7d} requests  "
        f"p50 {_ms(load.p50_ms)} ms  p99 {_ms(load.p99_ms)} ms  "
        f"non-2xx {load.non_2xx}  socket errors {load.socket_errors}"
    )


def compare(args: argparse.Namespace, wrk: str | None, base: str, token: str, person_id: str) -> int:
    """Alternating rounds, each endpoint's median, their ratio and the verdict; the exit status."""
    urls = {"me": f"{base}{ME_PATH}", "pk": f"{base}{PK_PATH.format(person_id=person_id)}"}
    tokens = {"me": token, "pk": None}
    for name in ("me", "pk"):  # warm-up: pool connections, compiled-SQL caches, prepared statements
        run_load(wrk, urls[name], tokens[name], args.warmup, args.connections)
    results: dict[str, list[Load]] = {"me": [], "pk": []}
    for round_no in range(1, args.rounds + 1):
        # me, pk, then pk, me: each endpoint runs first as often as second, so drift cancels out.
        order = ("me", "pk") if round_no % 2 else ("pk", "me")
        for name in order:
            load = run_load(wrk, urls[name], tokens[name], args.seconds, args.connections)
            results[name].append(load)
            print(describe(round_no, name, load), flush=True)
    medians = {name: statistics.median(load.rps for load in loads) for name, loads in results.items()}
    paired = [me.rps / pk.rps for me, pk in zip(results["me"], results["pk"], strict=True) if pk.rps]
    ratio = medians["me"] / medians["pk"] if medians["pk"] else 0.0
    print(f"median me {medians['me']:.1f} req/s, median pk {medians['pk']:.1f} req/s")
    paired_median = statistics.median(paired) if paired else 0.0
    rounds = ", ".join(f"{r:.2f}" for r in paired)
    print(f"ratio me/pk {ratio:.2f}; per round {rounds} (median {paired_median:.2f}); target {TARGET:.2f}")
    if (ratio >= TARGET) != (paired_median >= TARGET):
        print("NOISY: the per-round median falls on the other side of the target; rerun with more --rounds")
    dirty = [load for loads in results.values() for load in loads if not load.clean]
    if dirty:
        print(f"ERRORS: {len(dirty)} round(s) had non-2xx responses or socket errors; no verdict")
        return 2
    if ratio >= TARGET:
        print(f"PASS: /me reaches {ratio:.0%} of the baseline (target {TARGET:.0%})")
        return 0
    print(f"BELOW TARGET: /me reaches {ratio:.0%} of the baseline (target {TARGET:.0%})")
    return 3


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.me_vs_pk", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a postgresql:// server to use (default: SQLite)")
    parser.add_argument("--rounds", type=int, default=6, help="rounds; each loads both endpoints once")
    parser.add_argument("--seconds", type=float, default=4, help="length of one endpoint's load in a round")
    parser.add_argument("--warmup", type=float, default=2, help="seconds of unrecorded load per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--app", default=APP_FACTORY, help="the app factory uvicorn serves (what-if runs)")
    parser.add_argument("--loadgen", choices=("auto", "wrk", "httpx"), default="auto")
    return parser.parse_args(argv)


def pick_wrk(choice: str) -> str | None:
    wrk = shutil.which("wrk")
    if choice == "wrk" and wrk is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    return None if choice == "httpx" else wrk


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = pick_wrk(args.loadgen)
    with fresh_database(args.database_url) as url, tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, **SERVER_ENV, "PROBITY_DATABASE_URL": url}
        os.environ.update({**SERVER_ENV, "PROBITY_DATABASE_URL": url})  # for the in-process migration
        prepare(url, env)
        log = Path(scratch) / "uvicorn.log"
        print(f"database {make_url(url).get_backend_name()} ({make_url(url).database}); app {args.app}")
        loadgen = wrk or "httpx (in this process; it saturates before the server: ratios read high)"
        print(f"load: {loadgen}, {args.connections} connections")
        print(f"{args.rounds} rounds of {args.seconds:g} s per endpoint, one uvicorn worker", flush=True)
        with serve(env, log, args.app) as base:
            token, person_id = sign_in(base)
            status = compare(args, wrk, base, token, person_id)
        if status == 2:
            print("end of the server's log:\n" + log.read_text()[-4000:])
        return status


if __name__ == "__main__":
    raise SystemExit(main())
