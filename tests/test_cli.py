"""The `probity` command: create-admin reads the password from standard input; openapi writes the spec."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import dbutil

PROBITY = str(Path(sys.executable).parent / "probity")


def run(*args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path | None = None):
    return subprocess.run(
        [PROBITY, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def cli_database() -> Iterator[str]:
    url = dbutil.create_database(migrated=False)
    yield url
    dbutil.drop_database(url)


class TestCreateAdmin:
    def test_creates_a_governance_admin_who_can_sign_in(self, cli_database: str, tmp_path: Path) -> None:
        result = run(
            "create-admin",
            "--email",
            "Clerk@Trust.test",
            "--full-name",
            "Clara Clerk",
            "--password-stdin",
            stdin="correct horse battery staple\n",
            env={"PROBITY_DATABASE_URL": cli_database},
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        login = subprocess.run(
            [sys.executable, "-c", _LOGIN_SCRIPT, "clerk@trust.test", "correct horse battery staple"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PROBITY_DATABASE_URL": cli_database},
        )
        assert login.returncode == 0, login.stderr
        me = json.loads(login.stdout)
        assert me["roles"] == ["governance_admin"] and me["full_name"] == "Clara Clerk"

    def test_the_line_ending_is_not_part_of_the_password(self, cli_database: str) -> None:
        result = run(
            "create-admin",
            "--email",
            "crlf@trust.test",
            "--full-name",
            "C",
            "--password-stdin",
            stdin="windows line ending\r\nsecond line ignored\n",
            env={"PROBITY_DATABASE_URL": cli_database},
        )
        assert result.returncode == 0, result.stderr
        login = subprocess.run(
            [sys.executable, "-c", _LOGIN_SCRIPT, "crlf@trust.test", "windows line ending"],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PROBITY_DATABASE_URL": cli_database},
        )
        assert login.returncode == 0, login.stderr

    def test_a_short_password_is_refused(self, cli_database: str) -> None:
        result = run(
            "create-admin",
            "--email",
            "short@trust.test",
            "--full-name",
            "S",
            "--password-stdin",
            stdin="too short\n",
            env={"PROBITY_DATABASE_URL": cli_database},
        )
        assert result.returncode != 0
        assert "password" in result.stderr

    def test_an_email_already_taken_is_refused(self, cli_database: str) -> None:
        args = ("create-admin", "--email", "twice@trust.test", "--full-name", "T", "--password-stdin")
        env = {"PROBITY_DATABASE_URL": cli_database}
        assert run(*args, stdin="a long enough password\n", env=env).returncode == 0
        again = run(*args, stdin="a long enough password\n", env=env)
        assert again.returncode != 0 and "already exists" in again.stderr

    def test_without_password_stdin_it_refuses(self, cli_database: str) -> None:
        result = run(
            "create-admin",
            "--email",
            "x@trust.test",
            "--full-name",
            "X",
            env={"PROBITY_DATABASE_URL": cli_database},
        )
        assert result.returncode != 0 and "--password-stdin" in result.stderr


class TestOpenapiCommand:
    def test_writes_the_spec_the_app_serves(self, tmp_path: Path) -> None:
        from app.main import create_app

        target = tmp_path / "spec.json"
        result = run("openapi", "--output", str(target), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert json.loads(target.read_text()) == create_app().openapi()


_LOGIN_SCRIPT = """
import asyncio, json, sys
import httpx
from app.main import create_app

async def main():
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://cli") as http:
        token = await http.post("/api/v1/auth/token", data={"username": sys.argv[1], "password": sys.argv[2]})
        if token.status_code != 200:
            sys.exit(f"login failed: {token.status_code} {token.text}")
        me = await http.get("/api/v1/me", headers={"Authorization": "Bearer " + token.json()["access_token"]})
        print(me.text)

asyncio.run(main())
"""
