"""What the load benchmarks share: a throwaway database, `probity serve` on a free port, people to act
as, and percentiles. Not a test; nothing here is part of the product."""

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parent.parent
PROBITY = str(Path(sys.executable).parent / "probity")
# The server and this process share the keys, so a token minted here is accepted there.
KEYS = {
    "PROBITY_SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
    "PROBITY_AUDIT_KEY": "bench-audit-key-0123456789abcdef01234567890",
}


@contextlib.contextmanager
def bench_database(base_url: str | None, name: str = "bench") -> Iterator[str]:
    """A new empty database: an SQLite file in a temp folder, or a new database on that server
    (dropped afterwards; the database named in the URL is never touched)."""
    if base_url is None or make_url(base_url).get_backend_name() == "sqlite":
        with tempfile.TemporaryDirectory(prefix="probity-bench-") as folder:
            yield f"sqlite:///{Path(folder) / f'{name}.db'}"
        return
    database = f"probity_bench_{uuid.uuid4().hex[:12]}"
    conninfo = make_url(base_url).set(drivername="postgresql", database="postgres")
    admin = conninfo.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    try:
        yield make_url(base_url).set(database=database).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(
    url: str, log: Path, command: Callable[[int], list[str]] | None = None, **env: str
) -> Iterator[str]:
    """`probity serve` (migrations, then one uvicorn worker) on a free port, or another `command`
    for that port (a benchmark's baseline app); stopped afterwards."""
    port = free_port()
    environment = {**os.environ, **KEYS, "PROBITY_ENV": "development", "PROBITY_DATABASE_URL": url, **env}
    argv = command(port) if command else [PROBITY, "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as out:
        process = subprocess.Popen(argv, env=environment, stdout=out, stderr=out, cwd=REPO_ROOT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not answer /healthz within 60 s")
                time.sleep(0.2)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def percentile(samples: list[float], p: float) -> float:
    """The nearest-rank percentile (0 for no samples)."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


@dataclass
class Tally:
    """Responses of one kind of request: latencies (ms) and how each ended."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)

    def add(self, outcome: str, started: float) -> None:
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        self.statuses[outcome] = self.statuses.get(outcome, 0) + 1

    def line(self, label: str) -> str:
        counts = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items()))
        samples = self.latencies_ms
        return (
            f"{label:<34} n={len(samples):>5}  p50 {percentile(samples, 50):8.1f} ms  "
            f"p95 {percentile(samples, 95):8.1f} ms  max {max(samples, default=0):8.1f} ms  [{counts}]"
        )

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status.startswith("5") and status != "503")


async def declare_interests_until(
    client: httpx.AsyncClient, headers: dict[str, str], stop: asyncio.Event, tally: Tally
) -> None:
    """A trustee declaring interests one after another until told to stop."""
    n = 0
    while not stop.is_set():
        n += 1
        started = time.perf_counter()
        try:
            response = await client.post(
                "/api/v1/interests",
                json={"category": "directorship", "organisation_name": f"Bench Widgets {n} Ltd"},
                headers=headers,
            )
            tally.add(str(response.status_code), started)
        except httpx.HTTPError as exc:
            tally.add(type(exc).__name__, started)


async def people_with_tokens(url: str, trustees: int, *, clerk: bool = False) -> list[str]:
    """Trustees (after a governance clerk, when asked) made through the app's own service, each with
    a bearer header's token minted with the server's key (KEYS)."""
    # Imported here: the benchmarks set the environment before the app reads its settings.
    from app.auth.permissions import Role
    from app.auth.tokens import TokenService
    from app.core.db import Database, create_engine
    from app.core.settings import get_settings
    from app.people import service as people_service
    from app.people.governance import GovernanceRole
    from app.people.schemas import PersonCreate

    wanted = [PersonCreate(email="clerk@bench.test", full_name="Bench Clerk", roles=[Role.GOVERNANCE_ADMIN])]
    wanted = wanted[: 1 if clerk else 0] + [
        PersonCreate(
            email=f"trustee{n}@bench.test",
            full_name=f"Trustee {n}",
            governance_roles=[GovernanceRole.TRUSTEE],
        )
        for n in range(trustees)
    ]
    database = Database(create_engine(url=url))
    try:
        async with database.session(write=True) as session:
            made = await people_service.create_people(session, None, [(person, None) for person in wanted])
    finally:
        await database.dispose()
    tokens = TokenService(get_settings())
    return [tokens.issue(person.id, 0).access_token for person in made]
