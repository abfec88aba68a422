"""The committed spec is what the running service does: Schemathesis fuzzes openapi/openapi.json
against a real `probity serve`, signed out and signed in as each role, and finds no server error,
no response (status, content type, headers, body) that the spec does not describe, no request the
spec forbids that the app accepts, and no request the spec allows that the app refuses for a
reason the spec does not state (tests/schemathesis_hooks.py)."""

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.auth.permissions import Role
from tests import dbutil

pytestmark = pytest.mark.slow

SPEC_FILE = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "valid_requests_pass_validation",
)
HOOKS = Path(__file__).resolve().parent / "schemathesis_hooks.py"
# Bounded so that eleven runs stay within about two minutes on two cores. Generation is
# derandomised and the runs go one after another against one server worker, so a run sends the
# same requests, and finds the same failures, every time.
MAX_EXAMPLES = 15
PASSWORD = "schemathesis password of adequate length"
ANONYMOUS = "anonymous"
DECLARANT = "declarant"
# The keeper of the register writes (people, schools, appointments): it goes last, so nothing it
# changes can affect another caller's run.
KEEPER = Role.GOVERNANCE_ADMIN.value
CALLERS = (ANONYMOUS, DECLARANT, *(r.value for r in Role if r.value != KEEPER), KEEPER)
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@dataclass(frozen=True)
class Service:
    base_url: str
    tokens: dict[str, str]
    log: Path

    def tracebacks(self) -> str:
        """The server's own account of its errors, for the failure message."""
        text = self.log.read_text(errors="replace")
        first = text.find("Traceback")
        return text[first:][-8000:] if first >= 0 else "(no traceback in the server log)"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def probity(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def wait_until_healthy(http: httpx.Client, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "probity serve exited before it answered"
        try:
            if http.get("/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("probity serve did not become healthy within 60 s")


def sign_in(http: httpx.Client, email: str) -> str:
    response = http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def create_callers(http: httpx.Client, env: dict[str, str]) -> dict[str, str]:
    """The first administrator from the command line, everyone else through the API."""
    created = probity(
        "create-admin", "--email", "admin@trust.test", "--full-name", "Admin", "--password-stdin",
        env=env, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    tokens = {KEEPER: sign_in(http, "admin@trust.test")}
    admin = {"Authorization": f"Bearer {tokens[KEEPER]}"}
    for name in CALLERS:
        if name in (ANONYMOUS, KEEPER):
            continue
        email = f"{name}@trust.test"
        body = {
            "email": email,
            "full_name": name,
            "password": PASSWORD,
            "roles": [] if name == DECLARANT else [name],
        }
        response = http.post("/api/v1/people", json=body, headers=admin)
        assert response.status_code == 201, response.text
        tokens[name] = sign_in(http, email)
    return tokens


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """`probity serve` on a free loopback port, over a fresh database of its own."""
    database_url = dbutil.create_database()
    env = {**os.environ, "PROBITY_DATABASE_URL": database_url}
    port = free_port()
    log_path = tmp_path_factory.mktemp("probity-serve") / "serve.log"
    log = log_path.open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=log,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=30) as http:
            wait_until_healthy(http, server)
            yield Service(base_url=base_url, tokens=create_callers(http, env), log=log_path)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
        dbutil.drop_database(database_url)


def schemathesis_run(service: Service, who: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "schemathesis.cli", "run", str(SPEC_FILE),
        "--url", service.base_url,
        "--checks", ",".join(CHECKS),
        "--max-examples", str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers", "1",
        "--request-timeout", "30",
        "--suppress-health-check", "too_slow",
        "--no-color",
    ]  # fmt: skip
    if who != ANONYMOUS:
        command += ["--header", f"Authorization: Bearer {service.tokens[who]}"]
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": str(HOOKS)}
    return subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True, timeout=600)


def operations_in_spec() -> int:
    paths = json.loads(SPEC_FILE.read_text())["paths"]
    return sum(1 for item in paths.values() for method in item if method in HTTP_METHODS)


class TestTheServiceMatchesItsSpec:
    @pytest.mark.parametrize("who", CALLERS, ids=lambda who: f"as {who}")
    def test_no_server_error_and_no_response_outside_the_spec(
        self, service: Service, who: str, tmp_path: Path
    ) -> None:
        run = schemathesis_run(service, who, tmp_path)
        output = run.stdout + run.stderr
        failures = (
            output[output.rfind("\n", 0, output.find(" FAILURES ")) + 1 :]
            if " FAILURES " in output
            else output[-6000:]
        )
        assert run.returncode == 0, (
            f"schemathesis as {who} found problems:\n{failures}\n--- server log ---\n{service.tracebacks()}"
        )
        tested = re.search(r"Tested: (\d+)", output)
        assert tested is not None and int(tested.group(1)) == operations_in_spec(), output[-3000:]
