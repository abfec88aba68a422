"""Argon2id password hashing (pwdlib), off the event loop, a few at a time, at a lower priority.

A flood of sign-ins (guessed passwords from many addresses) is argon2 work: 64 MiB and several
threads each. Left to compete as equals, those threads took most of the CPU from the event loop, and
a trustee's write waited seconds behind them. So hashing runs in threads of its own whose priority
is lowered (their lanes inherit it): the rest of the service comes first, sign-ins queue, and past
the queue a sign-in is a 503 to retry.
"""

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from app.core.errors import ServiceUnavailable
from app.core.settings import Settings

T = TypeVar("T")
logger = logging.getLogger("probity")


def _lower_priority(niceness: int) -> None:
    """Make this (hashing) thread yield to the others; Linux treats each thread on its own."""
    if niceness and hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        except OSError:  # not allowed here: hashing still works, only at the usual priority
            logger.warning("could not lower the priority of the password hashing thread")


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
        self._capacity = settings.password_hash_concurrency + settings.password_hash_queue
        self._in_flight = 0
        self._threads = ThreadPoolExecutor(
            max_workers=settings.password_hash_concurrency,
            thread_name_prefix="probity-argon2",
            initializer=_lower_priority,
            initargs=(settings.password_hash_niceness,),
        )

    def ensure_capacity(self) -> None:
        """503 now when the queue is full, before a sign-in spends anything else on its way there."""
        if self._in_flight >= self._capacity:
            raise ServiceUnavailable("Too many sign-ins at once; try again in a moment", 1)

    async def _run(self, work: Callable[..., T], *args: str) -> T:
        """A few hashes run at once, the queue waits, and past it the caller is told to come back
        (503) instead of the machine running out of memory."""
        self.ensure_capacity()
        self._in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._threads, work, *args)
        finally:
            self._in_flight -= 1

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
