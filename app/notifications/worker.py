"""The sender as a long-running task: `probity worker`, and inside `probity serve` unless
`--no-worker`. It sends what is due, runs the day's reminders once a day (the trust's date), and
never stops on an error: a busy or absent database or relay makes it wait longer, not crash."""

import asyncio
import contextlib
import logging
from datetime import date

from app.core import clock
from app.core.db import Database, get_database
from app.core.settings import Settings, get_settings
from app.notifications import reminders, sender

logger = logging.getLogger("probity.notifications")
MAX_PAUSE_SECONDS = 300.0


class Worker:
    def __init__(self, database: Database | None = None, settings: Settings | None = None) -> None:
        self.database = database or get_database()
        self.settings = settings or get_settings()
        self.reminded_on: date | None = None
        self._said_no_host = False
        self.relay_down_rounds = 0

    async def remind_if_new_day(self) -> int:
        """The day's reminders, once per trust day per worker (the unique key stops a second one)."""
        today = clock.today()
        if self.reminded_on == today:
            return 0
        async with self.database.session(write=True) as session:
            added = await reminders.send_reminders(session)
        self.reminded_on = today
        if added:
            logger.info("queued %d declaration reminders for %s", added, today)
        return added

    async def step(self, stop: asyncio.Event | None = None) -> int:
        """One round: the reminders when the day is new, then everything due (until `stop`); returns
        how many were sent. A failed reminder run is logged and tried again next round; it never
        holds up sending."""
        try:
            await self.remind_if_new_day()
        except Exception as exc:
            logger.warning("the day's reminders failed (tried again next round): %s", sender.describe(exc))
        if not self.settings.smtp_host:
            if not self._said_no_host:
                logger.warning("PROBITY_SMTP_HOST is not set: notifications wait in the outbox until it is")
                self._said_no_host = True
            return 0
        drained = await sender.send_due(self.database, self.settings, stop)
        self._note_relay(drained.unreachable)
        return drained.sent

    def _note_relay(self, unreachable: str | None) -> None:
        """Say once when the relay cannot be used, and once when it can again; count the rounds."""
        where = f"{self.settings.smtp_host}:{self.settings.smtp_port}"
        if unreachable is None:
            if self.relay_down_rounds:
                logger.warning("the SMTP relay %s answers again", where)
            self.relay_down_rounds = 0
            return
        if not self.relay_down_rounds:
            logger.warning(
                "the SMTP relay %s cannot be used: %s; notifications wait (no attempt is charged) and the "
                "sender tries again less and less often, at most every %.0f s",
                where, unreachable, MAX_PAUSE_SECONDS,
            )  # fmt: skip
        self.relay_down_rounds += 1

    async def run(self, stop: asyncio.Event) -> None:
        """Round after round until `stop` is set; after an error or while the relay cannot be used,
        wait longer each time (at most 5 minutes), and go back to the usual pause after a round that
        works. Stopping ends the round after the message in flight (the rest is released)."""
        failures = 0
        while not stop.is_set():
            pause = self.settings.notification_poll_seconds
            try:
                await self.step(stop)
                failures = 0
            except Exception as exc:  # never take the server down with it
                failures += 1
                logger.warning("the notification sender failed: %s", sender.describe(exc))
            if waiting := max(failures, self.relay_down_rounds):
                pause = min(pause * 2**waiting, MAX_PAUSE_SECONDS)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=pause)
