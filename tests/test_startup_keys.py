"""The published development keys never serve beyond loopback, and the container runs as production
(finding: a headteacher signed a token with the published key and made themselves an admin)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from httpx import ASGITransport, AsyncClient
from jose import jwt

from app.core import clock
from app.core.settings import (
    DEV_SECRET_KEY,
    ConfigurationError,
    Settings,
    get_settings,
    refuse_development_keys_beyond_loopback,
)
from app.main import create_app
from tests import dbutil

PROBITY = str(Path(sys.executable).parent / "probity")
ROOT = Path(__file__).resolve().parent.parent
KEYS = ("PROBITY_SECRET_KEY", "PROBITY_AUDIT_KEY")


def environment(**probity: str) -> dict[str, str]:
    """This process's environment without any PROBITY_ variable, plus the ones given."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PROBITY_")}
    return {**env, **probity}


def development_settings() -> Settings:
    return Settings(env="development", secret_key="", audit_key="")


class TestServeRefusesDevelopmentKeysBeyondLoopback:
    @pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "203.0.113.5", "example.org"])
    def test_a_public_address_is_refused_naming_the_variables(self, host: str) -> None:
        with pytest.raises(ConfigurationError) as refused:
            refuse_development_keys_beyond_loopback(development_settings(), host)
        assert "PROBITY_SECRET_KEY" in str(refused.value) and "PROBITY_AUDIT_KEY" in str(refused.value)

    @pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
    def test_loopback_is_allowed(self, host: str) -> None:
        refuse_development_keys_beyond_loopback(development_settings(), host)

    def test_one_missing_key_is_named_alone(self) -> None:
        settings = Settings(env="development", secret_key="k" * 40, audit_key="")
        with pytest.raises(ConfigurationError, match=r"^PROBITY_AUDIT_KEY not set"):
            refuse_development_keys_beyond_loopback(settings, "0.0.0.0")

    def test_real_keys_may_listen_anywhere(self) -> None:
        refuse_development_keys_beyond_loopback(get_settings(), "0.0.0.0")

    def test_the_command_refuses_to_start_before_listening(self, tmp_path: Path) -> None:
        url = dbutil.create_database(migrated=False)
        try:
            result = subprocess.run(
                [PROBITY, "serve", "--host", "0.0.0.0", "--port", "0"],
                capture_output=True,
                text=True,
                timeout=60,
                cwd=tmp_path,
                env=environment(PROBITY_DATABASE_URL=url),
            )
        finally:
            dbutil.drop_database(url)
        assert result.returncode == 2, result.stderr
        assert "PROBITY_SECRET_KEY and PROBITY_AUDIT_KEY not set" in result.stderr
        assert "0.0.0.0" in result.stderr


def dockerfile_runtime() -> tuple[dict[str, str], list[str]]:
    """The runtime stage's environment and command, as the container would run them."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    runtime = text.split(" AS runtime", 1)[1]
    env: dict[str, str] = {}
    for line in runtime.splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r'(\w+)="?([^"\s]*)"?', line[4:])))
    command = re.findall(r'"([^"]+)"', next(line for line in runtime.splitlines() if line.startswith("CMD ")))
    return env, command


class TestTheContainer:
    def test_it_runs_as_production(self) -> None:
        env, command = dockerfile_runtime()
        assert env["PROBITY_ENV"] == "production"
        assert command[:2] == ["probity", "serve"] and "0.0.0.0" in command

    def test_its_command_refuses_to_start_without_keys(self, tmp_path: Path) -> None:
        env, command = dockerfile_runtime()
        probity = {name: value for name, value in env.items() if name.startswith("PROBITY_")}
        probity["PROBITY_DATA_DIR"] = str(tmp_path)
        result = subprocess.run(
            [PROBITY, *command[1:]], capture_output=True, text=True, timeout=60, env=environment(**probity)
        )
        assert result.returncode == 2, result.stderr
        assert "PROBITY_SECRET_KEY must be set when PROBITY_ENV=production" in result.stderr


class TestAServerOnDevelopmentKeysAnswersOnlyThisMachine:
    async def test_a_request_from_elsewhere_is_refused_before_anything_else(self) -> None:
        app = create_app(development_settings())
        now = int(clock.now().timestamp())
        forged = jwt.encode(
            {"sub": "00000000-0000-0000-0000-000000000001", "ver": 0, "iat": now, "exp": now + 60,
             "iss": "probity", "aud": "probity-api"},
            DEV_SECRET_KEY,
            algorithm="HS256",
        )  # fmt: skip
        transport = ASGITransport(app=app, client=("203.0.113.5", 50000))
        async with AsyncClient(transport=transport, base_url="http://probity") as remote:
            response = await remote.post(
                "/api/v1/people",
                json={"email": "me.admin@trust.test", "full_name": "Me", "roles": ["governance_admin"]},
                headers={"Authorization": f"Bearer {forged}"},
            )
            assert response.status_code == 403
            assert response.headers["content-type"] == "application/problem+json"
            assert "PROBITY_SECRET_KEY" in response.json()["detail"]
            assert response.headers["x-content-type-options"] == "nosniff"
            assert (await remote.get("/healthz")).status_code == 403

    async def test_a_request_from_this_machine_is_served(self) -> None:
        app = create_app(development_settings())
        transport = ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with AsyncClient(transport=transport, base_url="http://probity") as local:
            assert (await local.get("/healthz")).status_code == 200

    async def test_with_real_keys_a_request_from_elsewhere_is_served(self) -> None:
        transport = ASGITransport(app=create_app(), client=("203.0.113.5", 50000))
        async with AsyncClient(transport=transport, base_url="http://probity") as remote:
            assert (await remote.get("/healthz")).status_code == 200
