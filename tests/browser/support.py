"""Browser tests' helpers: the app served for real, seeding its database, axe-core, screenshots.

The fixtures that use these are in conftest.py; a journey imports `check_accessibility` and
`screenshot` from here.
"""

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, ViewportSize, expect
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database, create_engine
from app.main import wire_domains
from tests.factories import DEFAULT_PASSWORD
from tests.pgcluster import free_port

ROOT = Path(__file__).resolve().parents[2]

# Debian's Chromium (apt-get install chromium): Playwright never downloads a browser here.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Set by .ci/run: there a missing Chromium fails the browser tests instead of skipping them.
REQUIRE_BROWSER_VARIABLE = "PROBITY_REQUIRE_BROWSER"

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}

# The served app's trust (PROBITY_TRUST_NAME): the published register's title names it.
TRUST_NAME = "Hillside Learning Trust"

SERVER_START_SECONDS = 60
SERVER_STOP_SECONDS = 10
SEED_SECONDS = 60

T = TypeVar("T")


def browser_required() -> bool:
    """In CI a missing Chromium is a failure; elsewhere the browser tests are skipped, saying why."""
    in_ci = os.environ.get("CI", "").lower() not in ("", "0", "false")
    return in_ci or os.environ.get(REQUIRE_BROWSER_VARIABLE) == "1"


# --- the app, served by uvicorn in a process of its own -------------------------------------


@dataclass
class Server:
    url: str
    process: "subprocess.Popen[bytes]"
    log: Path

    def stop(self) -> None:
        self.process.terminate()  # uvicorn shuts down gracefully: the lifespan disposes the engine
        try:
            self.process.wait(SERVER_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve(database_url: str, log: Path) -> Server:
    """`app.main:create_app()` (no notification sender) on 127.0.0.1, on `database_url`, with the
    tests' settings (tests/conftest.py put them in the environment); its output goes to `log`."""
    log.write_bytes(b"")
    for _attempt in range(3):  # a free port may be taken between choosing it and binding it
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        environment = {
            **os.environ,
            "PROBITY_DATABASE_URL": database_url,
            "PROBITY_BASE_URL": url,
            "PROBITY_TRUST_NAME": TRUST_NAME,
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with log.open("ab") as output:
            process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
            )
        server = Server(url, process, log)
        if _wait_until_healthy(server):
            return server
        server.stop()
        if b"address already in use" not in log.read_bytes().lower():
            break
    tail = log.read_text(errors="replace")[-4000:]
    pytest.fail(f"the app did not start on {database_url} (log {log}):\n{tail}", pytrace=False)


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never an http_proxy for loopback


def _wait_until_healthy(server: Server) -> bool:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            with _DIRECT.open(f"{server.url}/healthz", timeout=5) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    return False


# --- seeding the served database through the services ----------------------------------------


class Seeder:
    """Runs `fn(session)` in one committed transaction on the served database, on an event loop of
    its own in a thread of its own (Playwright's sync API holds the test thread's loop)."""

    def __init__(self, database_url: str) -> None:
        wire_domains()  # as the served app does: services call the hooks of other domains
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="browser-seed", daemon=True)
        self._thread.start()
        self._database = Database(create_engine(url=database_url))

    def __call__(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async def run() -> T:
            async with self._database.session(write=True) as session:
                return await fn(session)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(SEED_SECONDS)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._database.dispose(), self._loop).result(SEED_SECONDS)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()


# --- accessibility -----------------------------------------------------------------------------

SEVERE_IMPACTS = ("serious", "critical")
TARGETS_SHOWN = 3
_axe = Axe()


def check_accessibility(page: Page, *, phone: bool = False) -> list[dict[str, Any]]:
    """axe-core on the page as it is now (at the phone's 390x844 with `phone`, its viewport restored
    afterwards): fails the test listing every serious or critical violation. Returns all the
    violations found, the minor and moderate ones included."""
    if not phone:
        return _check(page)
    before = page.viewport_size
    page.set_viewport_size(PHONE)
    try:
        return _check(page)
    finally:
        if before is not None:
            page.set_viewport_size(before)


def _check(page: Page) -> list[dict[str, Any]]:
    violations: list[dict[str, Any]] = _axe.run(page).response["violations"]
    severe = [v for v in violations if v.get("impact") in SEVERE_IMPACTS]
    if severe:
        size = page.viewport_size or {"width": 0, "height": 0}
        lines = [
            f"axe-core: {len(severe)} serious or critical violation(s) on {page.url} "
            f"at {size['width']}x{size['height']}:"
        ]
        for violation in severe:
            nodes = violation.get("nodes", [])
            targets = ", ".join(_selector(node.get("target", [])) for node in nodes[:TARGETS_SHOWN])
            more = f" and {len(nodes) - TARGETS_SHOWN} more" if len(nodes) > TARGETS_SHOWN else ""
            lines.append(
                f"  {violation['id']} ({violation['impact']}): {violation['help']}; "
                f"{len(nodes)} element(s): {targets}{more}\n    {violation.get('helpUrl', '')}"
            )
        pytest.fail("\n".join(lines), pytrace=False)
    return violations


def _selector(target: list[Any]) -> str:
    """axe's target: one selector, or one per frame (and per shadow root) down to the element."""
    return " >>> ".join(part if isinstance(part, str) else " >> ".join(part) for part in target)


# --- screenshots -------------------------------------------------------------------------------


def artefacts_dir() -> Path:
    """PROBITY_ARTEFACTS if set, else tests/artefacts/ (ignored by git); made if missing."""
    folder = Path(os.environ.get("PROBITY_ARTEFACTS") or ROOT / "tests" / "artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot(page: Page, name: str) -> Path:
    """The whole page (not only the viewport) as artefacts/<name>.png; prints and returns its path."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name.removesuffix(".png")).strip("-.") or "page"
    path = artefacts_dir() / f"{stem}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def sign_in(page: Page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Signs in through the sign-in form, as a person does, and waits for their first page."""
    page.goto("/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()
