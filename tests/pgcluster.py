"""A throwaway PostgreSQL cluster that a test may stop and start: never the server the suite runs on.

The server binaries come from PROBITY_TEST_PG_BIN (CI sets it), else the newest Debian package's
/usr/lib/postgresql/*/bin. initdb refuses to run as root, so as root the cluster runs as `postgres`.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

START_TIMEOUT_S = 60


def server_binaries() -> Path | None:
    """Where initdb and pg_ctl are, or None when this machine has no PostgreSQL server installed."""
    named = os.environ.get("PROBITY_TEST_PG_BIN")
    if named:
        return Path(named)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return found[-1] if found and (found[-1] / "initdb").exists() else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.root = Path(tempfile.mkdtemp(prefix="probity-outage-"))
        self.root.chmod(0o755)
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._as_owner(
            [
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ]
        )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def start_command(self) -> list[str]:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        log = str(self.root / "log")
        return self._command(
            ["pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", "60", "-o", options, "start"]
        )

    def stop_command(self, mode: str) -> list[str]:
        return self._command(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"])

    def start(self) -> None:
        subprocess.run(self.start_command(), check=True, capture_output=True, timeout=START_TIMEOUT_S)

    async def run(self, command: list[str]) -> None:
        """pg_ctl without blocking the event loop, so the load goes on while the server stops."""
        process = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        _, err = await asyncio.wait_for(process.communicate(), timeout=START_TIMEOUT_S)
        assert process.returncode == 0, err.decode()

    def remove(self) -> None:
        subprocess.run(
            self.stop_command("immediate"), capture_output=True, timeout=START_TIMEOUT_S, check=False
        )
        shutil.rmtree(self.root, ignore_errors=True)

    def _command(self, args: list[str]) -> list[str]:
        program = [str(self.binaries / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *program] if os.geteuid() == 0 else program

    def _as_owner(self, args: list[str]) -> None:
        subprocess.run(self._command(args), check=True, capture_output=True, timeout=START_TIMEOUT_S)
