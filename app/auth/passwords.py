"""Argon2id password hashing (pwdlib), off the event loop; the cost is a setting."""

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.settings import Settings


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hash = PasswordHash(
            (
                Argon2Hasher(
                    time_cost=settings.argon2_time_cost,
                    memory_cost=settings.argon2_memory_kib,
                    parallelism=settings.argon2_parallelism,
                ),
            )
        )
        # Verified when an email is unknown, so a wrong email costs as long as a wrong password.
        self._dummy = self._hash.hash("probity-timing-equaliser")

    async def hash(self, password: str) -> str:
        """The argon2id hash of a password, computed in a worker thread."""
        return await anyio.to_thread.run_sync(self._hash.hash, password)

    async def verify(self, password: str, hashed: str | None) -> bool:
        """Whether the password matches; a missing hash never matches but costs the same."""
        target = hashed or self._dummy
        try:
            ok = await anyio.to_thread.run_sync(self._hash.verify, password, target)
        except Exception:  # a corrupt stored hash is a failed login, never a 500
            return False
        return bool(ok) and hashed is not None
