"""Argon2id password hashing (pwdlib), off the event loop, a few at a time; the cost is a setting."""

import asyncio
import weakref
from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.errors import ServiceUnavailable
from app.core.settings import Settings

T = TypeVar("T")


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
        self._concurrency = settings.password_hash_concurrency
        self._queue = settings.password_hash_queue
        # One limiter per event loop: anyio's limiter belongs to the loop it was made on.
        self._limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
            weakref.WeakKeyDictionary()
        )

    def _limiter(self) -> anyio.CapacityLimiter:
        loop = asyncio.get_running_loop()
        limiter = self._limiters.get(loop)
        if limiter is None:
            limiter = self._limiters[loop] = anyio.CapacityLimiter(self._concurrency)
        return limiter

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        """Each hash takes 64 MiB and most of a core: a few run at once, a queue waits, and past the
        queue the caller is told to come back (503) instead of the machine running out of memory."""
        limiter = self._limiter()
        if limiter.statistics().tasks_waiting >= self._queue:
            raise ServiceUnavailable("Too many sign-ins at once; try again in a moment", 1)
        return await anyio.to_thread.run_sync(work, *args, limiter=limiter)

    async def hash(self, password: str) -> str:
        """The argon2id hash of a password, computed in a worker thread."""
        return await self._run(self._hash.hash, password)

    async def verify(self, password: str, hashed: str | None) -> bool:
        """Whether the password matches; a missing hash never matches but costs the same."""
        target = hashed or self._dummy
        try:
            ok = await self._run(self._hash.verify, password, target)
        except ServiceUnavailable:
            raise
        except Exception:  # a corrupt stored hash is a failed login, never a 500
            return False
        return bool(ok) and hashed is not None
