"""Email notifications ("Notifications (email)"): each kind reaches exactly its recipients through a
real SMTP server (aiosmtpd on 127.0.0.1), a rolled-back change sends nothing, a relay that is down
loses nothing, a reminder goes once a day, and two senders never send one notification twice."""

import asyncio
import email
import email.policy
import logging
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from httpx import AsyncClient, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.models import AuditEvent
from app.auth.permissions import Role
from app.core import clock
from app.core.db import Database, get_database, set_database
from app.core.settings import Settings, get_settings
from app.declarations import service as declarations_service
from app.declarations.schemas import CycleCreate
from app.hospitality import service as hospitality_service
from app.hospitality.schemas import HospitalityCreate, InvitationType
from app.main import create_app
from app.notifications import emails, reminders, sender
from app.notifications import service as notifications_service
from app.notifications.models import Notification
from app.notifications.schemas import NotificationKind
from app.notifications.worker import Worker
from app.people.governance import GovernanceRole
from app.people.schemas import PersonRead
from tests import dbutil
from tests.conftest import TestTransactions
from tests.factories import Caller, assert_problem, days_from_today, make_person, make_school, system_actor

NOTIFICATIONS = "/api/v1/notifications"
PROBITY = str(Path(sys.executable).parent / "probity")
TRUSTEE = (GovernanceRole.TRUSTEE,)
STAFF = (GovernanceRole.STAFF,)
MakeCaller = Callable[..., Awaitable[Caller]]
# 9:00 on Monday 2 November 2026: where the sender's tests hold the clock.
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


# ---------------------------------------------------------------- a real SMTP server


@dataclass(frozen=True)
class Received:
    recipients: tuple[str, ...]
    message: EmailMessage


@dataclass
class Inbox:
    """What the server accepted (aiosmtpd calls handle_DATA on its own thread's loop)."""

    received: list[Received] = field(default_factory=list)
    # The answer to every message instead of accepting it (e.g. "451 4.3.0 Try again later").
    refusal: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.refusal is not None:
            return self.refusal
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(tuple(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def take(self) -> list[Received]:
        taken, self.received = self.received, []
        return taken


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """aiosmtpd on 127.0.0.1 at a free port, which a test may stop and start again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self, **changes: Any) -> Settings:
        """The app's settings pointed at this server, with short backoffs for tests."""
        return get_settings().model_copy(
            update={
                "smtp_host": "127.0.0.1",
                "smtp_port": self.port,
                "smtp_starttls": False,
                "smtp_timeout_seconds": 5,
                "notification_backoff_seconds": 60,
                "notification_backoff_max_seconds": 600,
                "notification_max_attempts": 3,
                "notification_batch_size": 10,
                **changes,
            }
        )


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def inbox(smtp: SmtpServer) -> Iterator[Inbox]:
    smtp.inbox.take()
    yield smtp.inbox
    smtp.inbox.take()


class InTestTransaction:
    """The sender's short transactions as savepoints of the test's transaction (rolled back after)."""

    def __init__(self, session: AsyncSession) -> None:
        self._transactions = TestTransactions(session)

    def session(self, *, write: bool) -> Any:
        return self._transactions.session(write=write)


async def deliver(session: AsyncSession, smtp: SmtpServer, **changes: Any) -> int:
    return await sender.drain(InTestTransaction(session), smtp.settings(**changes))  # type: ignore[arg-type]


def recipient(person: Any) -> notifications_service.Recipient:
    return notifications_service.Recipient(person.id, person.full_name, person.email)


def addressed(received: list[Received]) -> list[str]:
    return sorted(address for r in received for address in r.recipients)


async def addressees(session: AsyncSession, smtp: SmtpServer, inbox: Inbox, *, sent: int) -> list[str]:
    """Run the sender: it must send `sent` notifications; the addresses the server received, sorted."""
    assert await deliver(session, smtp) == sent
    return addressed(inbox.take())


async def set_aside(session: AsyncSession, smtp: SmtpServer, inbox: Inbox) -> None:
    """Send what is waiting and empty the inbox, for a test about what comes after."""
    await deliver(session, smtp)
    inbox.take()


def parts(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML parts of a multipart/alternative message."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


async def outbox(session: AsyncSession, **where: Any) -> list[Notification]:
    # populate_existing: the sender's updates bypass the session's copies of the rows.
    statement = select(Notification).filter_by(**where).order_by(Notification.email)
    return list(await session.scalars(statement.execution_options(populate_existing=True)))


HOSPITALITY = {
    "provider_name": "Pat Provider",
    "provider_organisation": "Acme Events Ltd",
    "event_description": "Suppliers' annual dinner",
    "estimated_value_gbp": "60.00",
    "invitation_type": "corporate",
    "business_justification": "Our catering supplier",
}


async def ask_for_hospitality(client: AsyncClient, teacher: Caller) -> str:
    response = await client.post(
        "/api/v1/hospitality-requests",
        headers=teacher.headers,
        json={**HOSPITALITY, "event_date": days_from_today(30)},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def submit_paid_work(client: AsyncClient, teacher: Caller) -> None:
    response = await client.post(
        "/api/v1/paid-work",
        headers=teacher.headers,
        json={"employer": "Evening College", "role": "Tutor", "hours_per_week": 4.5},
    )
    assert response.status_code == 201, response.text


# ---------------------------------------------------------------- each kind, exactly its recipients


class TestApprovalRequested:
    async def test_a_teachers_hospitality_request_reaches_the_ceo_coo_and_chair_once_each(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        deciders = [await caller(Role.CEO), await caller(Role.COO), await caller(Role.CHAIR)]
        await caller(Role.HR_DIRECTOR)  # decides gifts, not hospitality
        teacher = await caller(full_name="Tess Teach")
        await ask_for_hospitality(client, teacher)

        asked = await addressees(session, smtp, inbox, sent=3)
        assert asked == sorted(d.person.email for d in deciders)
        assert teacher.person.email not in asked

    async def test_the_email_names_the_requester_and_the_kind_and_nothing_private(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        coo = await caller(Role.COO)
        teacher = await caller(full_name="Tess Teach")
        await ask_for_hospitality(client, teacher)
        assert await deliver(session, smtp) == 1
        (received,) = inbox.take()
        message = received.message
        text, html = parts(message)
        assert message["Subject"] == "Tess Teach's hospitality request waits for your decision"
        assert message["To"] == coo.person.email and message["From"] == get_settings().mail_from
        (stored,) = await outbox(session, person_id=coo.id)
        assert message["Message-ID"] == stored.message_id
        for part in (text, html):
            assert "Tess Teach" in part and "hospitality" in part
            assert f"{get_settings().base_url}/approvals" in part  # the decider's page
            for private in ("Pat Provider", "Acme", "dinner", "60", "catering"):
                assert private not in part

    async def test_a_gift_over_the_token_limit_reaches_hr_and_finance_and_a_token_gift_nobody(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        deciders = [await caller(Role.HR_DIRECTOR), await caller(Role.FINANCE_DIRECTOR)]
        await caller(Role.COO)
        teacher = await caller()
        gift = {"donor_name": "A parent", "description": "Flowers", "accepted": True}
        token = await client.post(
            "/api/v1/gifts", headers=teacher.headers, json={**gift, "value_gbp": "5.00"}
        )
        assert token.status_code == 201 and token.json()["status"] == "recorded", token.text
        assert await deliver(session, smtp) == 0
        assert inbox.take() == []

        big = await client.post("/api/v1/gifts", headers=teacher.headers, json={**gift, "value_gbp": "80.00"})
        assert big.status_code == 201 and big.json()["status"] == "pending_review", big.text
        assert await addressees(session, smtp, inbox, sent=2) == sorted(d.person.email for d in deciders)

    async def test_paid_work_reaches_the_teachers_own_headteacher_and_no_other(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        hillside, riverside = await make_school(session), await make_school(session)
        head = await caller(Role.HEADTEACHER, school_id=hillside.id)
        await caller(Role.HEADTEACHER, school_id=riverside.id)
        await caller(Role.COO)  # the fallback, only for a school with no headteacher
        teacher = await caller(school_id=hillside.id)
        await submit_paid_work(client, teacher)
        assert await addressees(session, smtp, inbox, sent=1) == [head.person.email]

    async def test_paid_work_at_a_school_with_no_headteacher_reaches_the_coo(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        hillside, valley = await make_school(session), await make_school(session)
        await caller(Role.HEADTEACHER, school_id=hillside.id)  # no help to a Valley teacher
        coo = await caller(Role.COO)
        teacher = await caller(school_id=valley.id)
        await submit_paid_work(client, teacher)
        assert await addressees(session, smtp, inbox, sent=1) == [coo.person.email]

    async def test_the_ceos_own_request_reaches_the_chair_not_the_vice_chair_who_is_only_the_fallback(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        chair = await caller(Role.CHAIR)
        await caller(Role.VICE_CHAIR)
        await caller(Role.COO)
        ceo = await caller(Role.CEO)
        await ask_for_hospitality(client, ceo)
        assert await addressees(session, smtp, inbox, sent=1) == [chair.person.email]

    async def test_a_chair_with_an_interest_in_the_provider_is_not_asked_and_the_vice_chair_is(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        chair = await caller(Role.CHAIR)
        vice = await caller(Role.VICE_CHAIR)
        ceo = await caller(Role.CEO)
        shares = await client.post(
            "/api/v1/interests",
            headers=chair.headers,
            json={"category": "shareholding", "organisation_name": "Riverside Bank PLC"},
        )
        assert shares.status_code == 201, shares.text
        asked = await client.post(
            "/api/v1/hospitality-requests",
            headers=ceo.headers,
            json={**HOSPITALITY, "provider_name": "Riverside Bank", "provider_organisation": None,
                  "event_date": days_from_today(30)},
        )  # fmt: skip
        assert asked.status_code == 201 and "provider_conflict" in asked.json()["flags"], asked.text
        assert await addressees(session, smtp, inbox, sent=1) == [vice.person.email]


async def decide(client: AsyncClient, decider: Caller, request_id: str, **decision: str) -> Response:
    """The decider's decision on a hospitality request; the test checks the answer."""
    return await client.post(
        f"/api/v1/hospitality-requests/{request_id}/decision", headers=decider.headers, json=decision
    )


class TestDecisionMade:
    async def test_the_coo_approves_and_only_the_teacher_hears_of_it(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        coo = await caller(Role.COO)
        await caller(Role.CEO)
        teacher = await caller()
        request_id = await ask_for_hospitality(client, teacher)
        await set_aside(session, smtp, inbox)

        decided = await decide(
            client, coo, request_id, decision="approve", note="A corporate invitation: fine"
        )
        assert decided.status_code == 200, decided.text
        assert await deliver(session, smtp) == 1
        (received,) = inbox.take()
        assert received.recipients == (teacher.person.email,)
        assert received.message["Subject"] == "A decision on your hospitality request"
        text, html = parts(received.message)
        link = f"{get_settings().base_url}/hospitality#record-{request_id}"  # the requester's page
        assert link in text and link in html
        assert "corporate invitation" not in text + html  # the note stays in Probity

    async def test_a_refused_decision_sends_nothing(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        await caller(Role.COO)
        hr = await caller(Role.HR_DIRECTOR)
        teacher = await caller()
        request_id = await ask_for_hospitality(client, teacher)
        await set_aside(session, smtp, inbox)
        refused = await decide(client, hr, request_id, decision="approve")
        assert_problem(refused, 404)  # HR does not see hospitality requests
        assert await deliver(session, smtp) == 0
        assert inbox.take() == []


class TestCycleOpened:
    async def test_every_trustee_in_scope_receives_one_email_and_staff_none(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        clerk = await caller(Role.GOVERNANCE_ADMIN)
        trustees = [await make_person(session, governance_roles=TRUSTEE) for _ in range(3)]
        await make_person(session, governance_roles=TRUSTEE, active=False)
        await make_person(session, governance_roles=(GovernanceRole.STAFF,))
        opened = await client.post(
            "/api/v1/declaration-cycles",
            headers=clerk.headers,
            json={
                "name": "Annual declarations 2026/27",
                "due_on": days_from_today(60),
                "governance_roles": ["trustee"],
            },
        )
        assert opened.status_code == 201, opened.text
        assert await deliver(session, smtp) == 3
        received = inbox.take()
        assert addressed(received) == sorted(t.email for t in trustees)
        text, html = parts(received[0].message)
        due = clock.in_words(clock.today() + timedelta(days=60))
        assert due in text and "Annual declarations 2026/27" in html


# ---------------------------------------------------------------- transactions, failures, retries


class TestTheOutboxIsTransactional:
    async def test_a_rolled_back_change_sends_nothing(
        self, fresh_db: Database, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        async with fresh_db.session(write=True) as session:
            await make_person(session, Role.COO)
            teacher = await make_person(session)
        with pytest.raises(RuntimeError):
            async with fresh_db.session(write=True) as session:
                await hospitality_service.submit(session, system_actor(), hospitality_for(teacher.id))
                assert len(await outbox(session)) == 1  # written, in the transaction about to fail
                raise RuntimeError("the change fails after its notification was written")
        assert await sender.drain(fresh_db, smtp.settings()) == 0
        assert inbox.take() == []
        async with fresh_db.session(write=False) as session:
            assert await outbox(session) == []

        async with fresh_db.session(write=True) as session:  # the same change, committed, is sent
            await hospitality_service.submit(session, system_actor(), hospitality_for(teacher.id))
        assert await sender.drain(fresh_db, smtp.settings()) == 1
        assert len(inbox.take()) == 1


def hospitality_for(person_id: uuid.UUID) -> HospitalityCreate:
    return HospitalityCreate(
        person_id=person_id,
        provider_name="Pat Provider",
        event_description="Dinner",
        event_date=clock.today() + timedelta(days=30),
        estimated_value_gbp=40,  # type: ignore[arg-type]
        invitation_type=InvitationType.CORPORATE,
        business_justification="Partners",
    )


class TestTheRelayDownThenBack:
    async def test_nothing_is_lost_no_attempt_is_charged_each_is_delivered_once_and_the_error_shows(
        self,
        client: AsyncClient,
        caller: MakeCaller,
        session: AsyncSession,
        fixed_clock: Callable[..., None],
        inbox: Inbox,
    ) -> None:
        fixed_clock(MONDAY)
        relay = SmtpServer()  # not started: nothing listens on its port
        clerk = await caller(Role.GOVERNANCE_ADMIN)
        trustees = await trustees_in_a_cycle(session, 2)

        for minutes in range(0, 300, 60):  # hours of outage would otherwise use up every attempt
            fixed_clock(MONDAY + timedelta(minutes=minutes))
            assert await deliver(session, relay) == 0
            released = [(n.status, n.attempts, n.next_attempt_at) for n in await outbox(session)]
            assert released == [("pending", 0, clock.now())] * 2
        listed = await client.get(NOTIFICATIONS, headers=clerk.headers, params={"status": "pending"})
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == 2
        for item in listed.json()["items"]:
            assert item["attempts"] == 0 and "Connect" in item["last_error"] and item["sent_at"] is None

        relay.start()
        try:
            assert await deliver(session, relay) == 2
            assert await deliver(session, relay) == 0  # nothing twice
        finally:
            relay.stop()
        assert addressed(relay.inbox.take()) == sorted(t.email for t in trustees)
        sent = await client.get(NOTIFICATIONS, headers=clerk.headers, params={"status": "sent"})
        assert sent.status_code == 200, sent.text
        assert [(i["attempts"], i["sent_at"] is not None) for i in sent.json()["items"]] == [(1, True)] * 2
        assert all("Connect" in i["last_error"] for i in sent.json()["items"])  # the outage stays visible

    async def test_a_message_put_off_after_the_last_attempt_is_failed_and_the_clerk_retries_it(
        self,
        client: AsyncClient,
        caller: MakeCaller,
        session: AsyncSession,
        fixed_clock: Callable[..., None],
        smtp: SmtpServer,
        inbox: Inbox,
    ) -> None:
        fixed_clock(MONDAY)
        relay = SmtpServer()
        relay.inbox.refusal = "451 4.3.0 Try again later"
        clerk = await caller(Role.GOVERNANCE_ADMIN)
        (trustee,) = await trustees_in_a_cycle(session)
        relay.start()
        try:
            for seconds, attempts in ((0, 1), (30, 1), (60, 2), (180, 3)):  # each after its backoff
                fixed_clock(MONDAY + timedelta(seconds=seconds))
                assert await deliver(session, relay) == 0
                (notification,) = await outbox(session, person_id=trustee.id)
                assert notification.attempts == attempts
        finally:
            relay.stop()
        assert notification.status == "failed" and "451" in (notification.last_error or "")
        fixed_clock(MONDAY + timedelta(days=1))
        assert await deliver(session, smtp) == 0  # failed: left alone

        failed = await client.get(NOTIFICATIONS, headers=clerk.headers, params={"status": "failed"})
        assert failed.status_code == 200 and failed.json()["total"] == 1, failed.text
        retried = await client.post(f"{NOTIFICATIONS}/{notification.id}/retry", headers=clerk.headers)
        assert retried.status_code == 200, retried.text
        assert (retried.json()["status"], retried.json()["attempts"]) == ("pending", 0)
        assert_problem(
            await client.post(f"{NOTIFICATIONS}/{notification.id}/retry", headers=clerk.headers), 409
        )
        audited = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "notification.retried", AuditEvent.entity_id == str(notification.id)
            )
        )
        assert audited is not None and audited.actor_id == clerk.id
        assert audited.before is not None and audited.before["status"] == "failed"

        assert await addressees(session, smtp, inbox, sent=1) == [trustee.email]

    async def test_a_message_refused_for_good_fails_at_once_and_the_others_go(
        self, session: AsyncSession, fixed_clock: Callable[..., None], smtp: SmtpServer, inbox: Inbox
    ) -> None:
        fixed_clock(MONDAY)
        relay = SmtpServer()
        relay.inbox.refusal = "554 5.7.1 Message rejected"
        await trustees_in_a_cycle(session)
        relay.start()
        try:
            assert await deliver(session, relay) == 0
        finally:
            relay.stop()
        (refused,) = await outbox(session)
        assert (refused.status, refused.attempts) == ("failed", 1) and "554" in (refused.last_error or "")

        broken = await make_person(session, governance_roles=TRUSTEE)
        fine = await make_person(session, governance_roles=TRUSTEE)
        rows = [
            notifications_service.row(NotificationKind.CYCLE_OPENED, recipient(person), content)
            for person, content in (
                (broken, emails.Email("Hello\r\nBcc: everyone@elsewhere.example", "t", "<p>h</p>")),
                (fine, emails.Email("Hello", "t", "<p>h</p>")),
            )
        ]
        await notifications_service.store(session, rows)
        assert await addressees(session, smtp, inbox, sent=1) == [fine.email]
        (unbuildable,) = await outbox(session, person_id=broken.id)
        assert (unbuildable.status, unbuildable.attempts) == ("failed", 1)
        assert "line break" in (unbuildable.last_error or "")

    async def test_with_starttls_on_a_relay_that_cannot_do_it_gets_nothing_in_clear(
        self, session: AsyncSession, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        (trustee,) = await trustees_in_a_cycle(session)
        assert await deliver(session, smtp, smtp_starttls=True) == 0
        assert inbox.take() == []
        (notification,) = await outbox(session, person_id=trustee.id)
        assert notification.status == "pending" and notification.attempts == 0  # the relay's fault, not its
        assert notification.last_error is not None and "STARTTLS" in notification.last_error.upper()

    async def test_a_resend_after_a_crash_is_the_same_message(
        self, session: AsyncSession, fixed_clock: Callable[..., None], smtp: SmtpServer, inbox: Inbox
    ) -> None:
        fixed_clock(MONDAY)
        await trustees_in_a_cycle(session)
        database = InTestTransaction(session)
        settings = smtp.settings()
        batch = await sender.claim(database, settings, 10)  # type: ignore[arg-type]
        assert len(batch) == 1
        assert (await sender.deliver(settings, batch)).sent == [batch[0].id]  # ...and the sender dies here
        fixed_clock(MONDAY + timedelta(seconds=settings.notification_lease_seconds - 1))
        assert await deliver(session, smtp) == 0  # still within the dead sender's lease
        fixed_clock(MONDAY + timedelta(seconds=settings.notification_lease_seconds + 1))
        assert await deliver(session, smtp) == 1
        first, again = inbox.take()
        assert first.message["Message-ID"] == again.message["Message-ID"] == batch[0].message_id
        assert first.message["Date"] == again.message["Date"] and parts(first.message) == parts(again.message)


class TestStoppingAndLeases:
    @pytest.fixture(autouse=True)
    def from_monday(self, fixed_clock: Callable[..., None]) -> None:
        """Each test here starts with the clock held at MONDAY; a test may move it on."""
        fixed_clock(MONDAY)

    async def test_a_stop_mid_batch_records_what_was_sent_and_releases_the_rest(
        self, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        await trustees_in_a_cycle(session, 3)
        stop = asyncio.Event()
        sendmail = aiosmtplib.SMTP.sendmail

        async def then_stop(client: aiosmtplib.SMTP, *args: Any, **kwargs: Any) -> Any:
            answer = await sendmail(client, *args, **kwargs)
            stop.set()  # as SIGTERM would, while the first message is in flight
            return answer

        monkeypatch.setattr(aiosmtplib.SMTP, "sendmail", then_stop)
        assert await sender.drain(InTestTransaction(session), smtp.settings(), stop) == 1  # type: ignore[arg-type]
        assert len(inbox.take()) == 1
        rows = sorted((n.status, n.attempts, n.sent_at or n.next_attempt_at) for n in await outbox(session))
        assert rows == [("pending", 0, clock.now()), ("pending", 0, clock.now()), ("sent", 1, clock.now())]

    async def test_a_cancelled_send_still_records_what_the_relay_accepted(
        self, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        await trustees_in_a_cycle(session, 3)
        second_begun = asyncio.Event()
        sendmail, calls = aiosmtplib.SMTP.sendmail, []

        async def hang_on_the_second(client: aiosmtplib.SMTP, *args: Any, **kwargs: Any) -> Any:
            calls.append(args[1])
            if len(calls) != 2:
                return await sendmail(client, *args, **kwargs)
            second_begun.set()
            await asyncio.Event().wait()  # a relay that never answers, until the task is cancelled

        monkeypatch.setattr(aiosmtplib.SMTP, "sendmail", hang_on_the_second)
        sending = asyncio.create_task(sender.drain(InTestTransaction(session), smtp.settings()))  # type: ignore[arg-type]
        await asyncio.wait_for(second_begun.wait(), timeout=10)
        sending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sending
        assert len(inbox.take()) == 1
        rows = sorted((n.status, n.attempts) for n in await outbox(session))
        assert rows == [("pending", 0), ("pending", 0), ("sent", 1)]  # not sent again after the lease

    async def test_a_cancellation_during_the_record_waits_for_it(
        self, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        await trustees_in_a_cycle(session)
        recording, proceed = asyncio.Event(), asyncio.Event()
        record = sender.record

        async def held_up(*args: Any) -> None:
            recording.set()
            await proceed.wait()
            await record(*args)

        monkeypatch.setattr(sender, "record", held_up)
        sending = asyncio.create_task(sender.drain(InTestTransaction(session), smtp.settings()))  # type: ignore[arg-type]
        await asyncio.wait_for(recording.wait(), timeout=10)
        sending.cancel()  # serve's shutdown, after its 10 seconds
        await asyncio.sleep(0)
        proceed.set()
        with pytest.raises(asyncio.CancelledError):
            await sending
        assert len(inbox.take()) == 1
        assert [(n.status, n.attempts) for n in await outbox(session)] == [("sent", 1)]

    async def test_no_message_starts_that_the_lease_could_not_cover(
        self, session: AsyncSession, fixed_clock: Callable[..., None], smtp: SmtpServer, inbox: Inbox
    ) -> None:
        await trustees_in_a_cycle(session)
        database, settings = InTestTransaction(session), smtp.settings()
        batch = await sender.claim(database, settings, 10)  # type: ignore[arg-type]
        late = settings.notification_lease_seconds - settings.smtp_timeout_seconds + 1
        fixed_clock(MONDAY + timedelta(seconds=late))  # a relay slow to answer until now
        outcome = await sender.deliver(settings, batch)
        await sender.record(database, settings, batch, outcome)  # type: ignore[arg-type]
        assert inbox.take() == []
        (released,) = await outbox(session)
        assert (released.status, released.attempts, released.next_attempt_at) == ("pending", 0, clock.now())

    async def test_only_the_holder_of_a_claim_records_it(
        self, session: AsyncSession, fixed_clock: Callable[..., None], smtp: SmtpServer
    ) -> None:
        await trustees_in_a_cycle(session)
        database, settings = InTestTransaction(session), smtp.settings()
        (stale,) = await sender.claim(database, settings, 10)  # type: ignore[arg-type]
        fixed_clock(MONDAY + timedelta(seconds=settings.notification_lease_seconds + 1))
        (current,) = await sender.claim(database, settings, 10)  # type: ignore[arg-type]
        assert stale.id == current.id
        await sender.record(database, settings, [stale], sender.Outcome(failed={stale.id: "late"}))  # type: ignore[arg-type]
        (row,) = await outbox(session)
        assert (row.attempts, row.last_error, row.next_attempt_at) == (0, None, current.lease_ends)
        await sender.record(database, settings, [current], sender.Outcome(sent=[current.id]))  # type: ignore[arg-type]
        (row,) = await outbox(session)
        assert (row.status, row.attempts) == ("sent", 1)

    async def test_an_unforeseen_error_fails_that_message_only_and_the_rest_go_on_a_new_connection(
        self, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        await trustees_in_a_cycle(session, 3)
        sendmail, calls = aiosmtplib.SMTP.sendmail, []

        async def first_breaks(client: aiosmtplib.SMTP, *args: Any, **kwargs: Any) -> Any:
            calls.append(args[1])
            if len(calls) == 1:
                raise RuntimeError("something nobody foresaw")
            return await sendmail(client, *args, **kwargs)

        monkeypatch.setattr(aiosmtplib.SMTP, "sendmail", first_breaks)
        assert await deliver(session, smtp) == 2
        assert len(inbox.take()) == 2
        rows = sorted((n.status, n.attempts, n.last_error) for n in await outbox(session))
        assert rows == [
            ("pending", 1, "RuntimeError: something nobody foresaw"), ("sent", 1, None), ("sent", 1, None)
        ]  # fmt: skip

    async def test_a_message_that_cannot_be_built_for_any_reason_fails_and_never_stalls_the_batch(
        self, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        broken, _ = await trustees_in_a_cycle(session, 2)
        build = sender.build

        def breaks_for_one(notification: sender.Claimed) -> bytes:
            if notification.email == broken.email:
                raise KeyError("a template value")
            return build(notification)

        monkeypatch.setattr(sender, "build", breaks_for_one)
        assert await asyncio.wait_for(deliver(session, smtp), timeout=10) == 1
        assert len(inbox.take()) == 1
        (failed,) = await outbox(session, person_id=broken.id)
        assert (failed.status, failed.attempts) == ("failed", 1) and "KeyError" in (failed.last_error or "")

    async def test_a_failed_record_is_tried_again(
        self, session: AsyncSession, monkeypatch: pytest.MonkeyPatch, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        await trustees_in_a_cycle(session)
        record, tries = sender.record, []

        async def fails_once(*args: Any) -> None:
            tries.append(1)
            if len(tries) == 1:
                raise OSError("database is locked")
            await record(*args)

        monkeypatch.setattr(sender, "record", fails_once)
        monkeypatch.setattr(sender, "RECORD_PAUSE_SECONDS", 0)
        assert await deliver(session, smtp) == 1
        assert len(inbox.take()) == 1 and len(tries) == 2
        assert [n.status for n in await outbox(session)] == ["sent"]


async def open_cycle(
    session: AsyncSession,
    *,
    due_on: date | None = None,
    opens_on: date | None = None,
    roles: tuple[GovernanceRole, ...] = TRUSTEE,
) -> uuid.UUID:
    """A cycle for trustees, due (unless said otherwise) 60 days from the trust's today: far from
    any reminder day, whatever the date the tests run on."""
    due_on = due_on or clock.today() + timedelta(days=60)
    cycle = await declarations_service.open_cycle(
        session,
        system_actor(),
        CycleCreate(
            name="Annual declarations", due_on=due_on, opens_on=opens_on, governance_roles=list(roles)
        ),
    )
    return cycle.id


async def trustees_in_a_cycle(
    session: AsyncSession, count: int = 1, *, due_on: date | None = None
) -> list[PersonRead]:
    """`count` trustees, and a cycle for trustees opened for them (each is sent its cycle_opened email)."""
    trustees = [await make_person(session, governance_roles=TRUSTEE) for _ in range(count)]
    await open_cycle(session, due_on=due_on)
    return trustees


# ---------------------------------------------------------------- reminders


class TestReminders:
    @pytest.mark.parametrize(
        ("days_to_due", "reminds"),
        [(15, False), (14, True), (13, False), (4, False), (3, True), (1, False), (0, False),
         (-1, False), (-6, False), (-7, True), (-8, False), (-14, True), (-21, True)],
    )  # fmt: skip
    def test_the_schedule(self, days_to_due: int, reminds: bool) -> None:
        today = date(2026, 12, 1)
        assert reminders.reminder_day(today + timedelta(days=days_to_due), today) is reminds

    async def test_a_run_before_the_due_date_reaches_only_those_who_have_not_declared_and_a_second_none(
        self,
        client: AsyncClient,
        caller: MakeCaller,
        session: AsyncSession,
        fixed_clock: Callable[..., None],
        smtp: SmtpServer,
        inbox: Inbox,
    ) -> None:
        fixed_clock(datetime(2026, 12, 17, 10, 0, tzinfo=UTC))  # 14 days before 31 December
        declared = await caller(governance_roles=TRUSTEE)
        waiting = [await make_person(session, governance_roles=TRUSTEE) for _ in range(2)]
        await make_person(session, governance_roles=(GovernanceRole.STAFF,))
        cycle_id = await open_cycle(session, due_on=date(2026, 12, 31), opens_on=date(2026, 12, 1))
        response = await client.post(
            "/api/v1/declarations",
            headers=declared.headers,
            json={"cycle_id": str(cycle_id), "nil_return": True, "code_of_conduct_accepted": True},
        )
        assert response.status_code == 201, response.text
        await set_aside(session, smtp, inbox)  # the cycle_opened emails

        assert await reminders.send_reminders(session) == 2
        assert await reminders.send_reminders(session) == 0  # the same day: nobody twice
        assert await deliver(session, smtp) == 2
        received = inbox.take()
        assert addressed(received) == sorted(p.email for p in waiting)
        assert (
            received[0].message["Subject"]
            == "Reminder: your declaration of interests is due on 31 December 2026"
        )
        text, _ = parts(received[0].message)
        assert "in 14 days" in text

        fixed_clock(datetime(2026, 12, 18, 10, 0, tzinfo=UTC))  # 13 days before: no reminder day
        assert await reminders.send_reminders(session) == 0
        fixed_clock(datetime(2027, 1, 7, 10, 0, tzinfo=UTC))  # a week overdue
        assert await reminders.send_reminders(session) == 2
        overdue = await outbox(session, kind="declaration_reminder", reminder_on=date(2027, 1, 7))
        assert [n.subject for n in overdue] == [
            "Overdue: your declaration of interests was due on 31 December 2026"
        ] * 2

    async def test_a_cycles_reminders_stop_once_a_later_cycle_for_its_roles_has_opened(
        self, session: AsyncSession, fixed_clock: Callable[..., None]
    ) -> None:
        fixed_clock(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
        await trustees_in_a_cycle(session, 2, due_on=date(2026, 12, 31))
        await open_cycle(session, due_on=date(2027, 3, 31), opens_on=date(2027, 1, 8), roles=STAFF)
        await open_cycle(session, due_on=date(2027, 3, 31), opens_on=date(2027, 1, 15))
        fixed_clock(datetime(2027, 1, 14, 10, 0, tzinfo=UTC))  # two weeks overdue; a staff cycle is open
        assert await reminders.send_reminders(session) == 2
        fixed_clock(datetime(2027, 1, 21, 10, 0, tzinfo=UTC))  # three weeks: the next trustees' cycle is open
        assert await reminders.send_reminders(session) == 0

    async def test_the_database_refuses_a_second_reminder_for_the_same_day(
        self, session: AsyncSession
    ) -> None:
        person = await make_person(session, governance_roles=TRUSTEE)
        cycle_id = await open_cycle(session)
        to = recipient(person)
        content = emails.Email("Reminder", "text", "<p>html</p>")
        rows = [
            {**notifications_service.row(NotificationKind.DECLARATION_REMINDER, to, content),
             "cycle_id": cycle_id, "reminder_on": date(2026, 12, 17)}
            for _ in range(2)
        ]  # fmt: skip
        await notifications_service.store(session, rows[:1])
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await notifications_service.store(session, rows[1:])

    async def test_two_runs_at_once_add_each_reminder_once(
        self, fresh_db: Database, fixed_clock: Callable[..., None]
    ) -> None:
        fixed_clock(datetime(2026, 12, 28, 10, 0, tzinfo=UTC))  # 3 days before 31 December
        async with fresh_db.session(write=True) as session:
            await trustees_in_a_cycle(session, 5, due_on=date(2026, 12, 31))

        async def run() -> int:
            async with fresh_db.session(write=True) as session:
                return await reminders.send_reminders(session)

        added = await asyncio.gather(run(), run())
        async with fresh_db.session(write=False) as session:
            stored = await session.scalar(
                select(func.count()).where(Notification.kind == "declaration_reminder")
            )
        assert stored == 5 and sum(added) == 5


# ---------------------------------------------------------------- two senders, the worker, the CLI


class TestTwoSenders:
    async def test_two_workers_send_each_notification_exactly_once(
        self, fresh_database: str, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        # On SQLite the write lock serialises the claims; on PostgreSQL FOR UPDATE SKIP LOCKED does.
        first, second = (Database(create_engine_for(fresh_database)) for _ in range(2))
        try:
            async with first.session(write=True) as session:
                await trustees_in_a_cycle(session, 40)
            settings = smtp.settings(notification_batch_size=5)
            sent = await asyncio.gather(sender.drain(first, settings), sender.drain(second, settings))
        finally:
            await first.dispose()
            await second.dispose()
        received = inbox.take()
        ids = [r.message["Message-ID"] for r in received]
        # Exactly once. Whether both took a share depends on timing on a busy machine: the test
        # below shows that a claim skips the rows another holds, so that they can.
        assert sum(sent) == 40 and len(ids) == 40 and len(set(ids)) == 40

    @pytest.mark.skipif(
        not dbutil.ON_POSTGRES,
        reason="SQLite lets one writer in at a time: a second claim cannot even begin while one is open",
    )
    async def test_a_claim_skips_the_rows_another_open_claim_holds_and_does_not_wait(
        self, fresh_database: str, smtp: SmtpServer
    ) -> None:
        first, second = (Database(create_engine_for(fresh_database)) for _ in range(2))
        try:
            async with first.session(write=True) as session:
                await trustees_in_a_cycle(session, 6)
            settings = smtp.settings()
            async with first.session(write=True) as holding:  # a sender mid-claim: not committed yet
                held = await sender.take(holding, settings, 4)
                others = await asyncio.wait_for(sender.claim(second, settings, 10), timeout=5)
                assert len(held) == 4 and len(others) == 2
                assert not {c.id for c in held} & {c.id for c in others}
        finally:
            await first.dispose()
            await second.dispose()


def create_engine_for(url: str) -> Any:
    from app.core.db import create_engine

    return create_engine(url=url)


class TestWorker:
    async def test_with_no_smtp_host_notifications_wait_and_the_log_says_so_once(
        self, session: AsyncSession, caplog: pytest.LogCaptureFixture
    ) -> None:
        await trustees_in_a_cycle(session)
        worker = Worker(InTestTransaction(session), get_settings().model_copy(update={"smtp_host": ""}))  # type: ignore[arg-type]
        with caplog.at_level(logging.WARNING, logger="probity.notifications"):
            assert await worker.step() == 0
            assert await worker.step() == 0
        said = [r for r in caplog.records if "PROBITY_SMTP_HOST is not set" in r.getMessage()]
        assert len(said) == 1
        assert [n.status for n in await outbox(session)] == ["pending"]

    async def test_a_database_error_makes_it_wait_not_crash(self, caplog: pytest.LogCaptureFixture) -> None:
        class Unreachable:
            @asynccontextmanager
            async def session(self, *, write: bool) -> AsyncIterator[AsyncSession]:
                raise OSError("database is locked")
                yield  # pragma: no cover

        stop = asyncio.Event()
        settings = get_settings().model_copy(update={"notification_poll_seconds": 0.01, "smtp_host": "x"})
        worker = Worker(Unreachable(), settings)  # type: ignore[arg-type]
        with caplog.at_level(logging.WARNING, logger="probity.notifications"):
            running = asyncio.create_task(worker.run(stop))
            await asyncio.sleep(0.1)
            assert not running.done()
            stop.set()
            await asyncio.wait_for(running, timeout=5)
        assert any("database is locked" in r.getMessage() for r in caplog.records)

    async def test_probity_serve_runs_the_sender_and_stops_it(
        self, fresh_db: Database, caplog: pytest.LogCaptureFixture
    ) -> None:
        previous = get_database()
        set_database(fresh_db)  # the app's own database for this test: never a developer's
        app = create_app(sender=True)
        try:
            with caplog.at_level(logging.WARNING, logger="probity"):
                async with app.router.lifespan_context(app):
                    running = [t for t in asyncio.all_tasks() if t.get_name() == "probity-notifications"]
                    assert len(running) == 1
                    deadline = asyncio.get_running_loop().time() + 15
                    while not any("PROBITY_SMTP_HOST" in r.getMessage() for r in caplog.records):
                        assert asyncio.get_running_loop().time() < deadline, "the sender never ran a round"
                        await asyncio.sleep(0.02)
        finally:
            set_database(previous)
        assert running[0].done() and not running[0].cancelled() and running[0].exception() is None
        assert not any("did not stop in time" in r.getMessage() for r in caplog.records)

    async def test_a_failed_reminder_run_never_holds_up_sending(
        self,
        session: AsyncSession,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
        smtp: SmtpServer,
        inbox: Inbox,
    ) -> None:
        await trustees_in_a_cycle(session)

        async def broken(session: AsyncSession) -> int:
            raise RuntimeError("a reminder could not be rendered")

        monkeypatch.setattr(reminders, "send_reminders", broken)
        worker = Worker(InTestTransaction(session), smtp.settings())  # type: ignore[arg-type]
        with caplog.at_level(logging.WARNING, logger="probity.notifications"):
            assert await worker.step() == 1  # the cycle_opened email
        assert len(inbox.take()) == 1
        assert any("could not be rendered" in r.getMessage() for r in caplog.records)
        assert worker.reminded_on is None  # tried again next round

    async def test_a_relay_out_of_reach_is_logged_once_and_its_return_once(
        self, session: AsyncSession, caplog: pytest.LogCaptureFixture
    ) -> None:
        await trustees_in_a_cycle(session)
        relay = SmtpServer()
        worker = Worker(InTestTransaction(session), relay.settings())  # type: ignore[arg-type]
        with caplog.at_level(logging.WARNING, logger="probity.notifications"):
            for _ in range(3):
                assert await worker.step() == 0
            assert worker.relay_down_rounds == 3  # the pause between rounds grows with it
            relay.start()
            try:
                assert await worker.step() == 1
            finally:
                relay.stop()
        said = [r.getMessage() for r in caplog.records]
        assert len([m for m in said if "cannot be used" in m]) == 1
        assert len([m for m in said if "answers again" in m]) == 1
        assert worker.relay_down_rounds == 0
        assert [(n.status, n.attempts) for n in await outbox(session)] == [("sent", 1)]


async def probity(*args: str, env: dict[str, str]) -> tuple[int | None, str, str]:
    process = await asyncio.create_subprocess_exec(
        PROBITY, *args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode(), err.decode()


class TestCommands:
    async def test_send_reminders_twice_then_the_worker_sends_each_once(
        self, fresh_database: str, smtp: SmtpServer, inbox: Inbox
    ) -> None:
        database = Database(create_engine_for(fresh_database))
        try:
            async with database.session(write=True) as session:
                due_on = clock.today() + timedelta(days=14)
                trustees = [t.email for t in await trustees_in_a_cycle(session, 2, due_on=due_on)]
        finally:
            await database.dispose()
        env = {
            **os.environ,
            "PROBITY_DATABASE_URL": fresh_database,
            "PROBITY_SMTP_HOST": "127.0.0.1",
            "PROBITY_SMTP_PORT": str(smtp.port),
            "PROBITY_SMTP_STARTTLS": "false",
        }
        for expected in ("queued 2 declaration reminders", "queued 0 declaration reminders"):
            code, out, err = await probity("send-reminders", env=env)
            assert code == 0, err
            assert expected in out
        code, out, err = await probity("worker", "--once", env=env)
        assert code == 0, err
        assert "sent 4 notifications" in out  # two cycle_opened, two reminders
        received = inbox.take()
        assert addressed(received) == sorted(trustees * 2)
        due = clock.in_words(clock.today() + timedelta(days=14))
        assert (
            sorted(r.message["Subject"] for r in received)
            == [
                f"Reminder: your declaration of interests is due on {due}",
            ]
            * 2
            + [f"Your declaration of interests is due by {due}"] * 2
        )


# ---------------------------------------------------------------- the admin's view


class TestListing:
    async def test_filters_and_paging(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession
    ) -> None:
        auditor = await caller(Role.AUDITOR)
        trustees = await trustees_in_a_cycle(session, 3)
        every = await client.get(NOTIFICATIONS, headers=auditor.headers, params={"kind": "cycle_opened"})
        assert every.status_code == 200, every.text
        assert every.json()["total"] == 3
        one = await client.get(
            NOTIFICATIONS, headers=auditor.headers, params={"person_id": str(trustees[0].id), "limit": 1}
        )
        assert one.status_code == 200, one.text
        (item,) = one.json()["items"]
        assert (item["person_id"], item["email"], item["status"]) == (
            str(trustees[0].id),
            trustees[0].email,
            "pending",
        )
        assert "text_body" not in item and "html_body" not in item
        page = await client.get(NOTIFICATIONS, headers=auditor.headers, params={"limit": 2, "offset": 2})
        assert page.status_code == 200 and len(page.json()["items"]) == 1, page.text
        none = await client.get(NOTIFICATIONS, headers=auditor.headers, params={"status": "sent"})
        assert none.status_code == 200 and none.json() == {"items": [], "total": 0}

    @pytest.mark.parametrize("params", [{"status": "lost"}, {"kind": "gossip"}, {"person_id": "me"}])
    async def test_a_bad_filter_is_a_422(
        self, client: AsyncClient, caller: MakeCaller, params: dict[str, str]
    ) -> None:
        clerk = await caller(Role.GOVERNANCE_ADMIN)
        assert_problem(await client.get(NOTIFICATIONS, headers=clerk.headers, params=params), 422)

    async def test_retrying_an_unknown_or_pending_notification(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession
    ) -> None:
        clerk = await caller(Role.GOVERNANCE_ADMIN)
        (trustee,) = await trustees_in_a_cycle(session)
        (pending,) = await outbox(session, person_id=trustee.id)
        assert_problem(await client.post(f"{NOTIFICATIONS}/{uuid.uuid4()}/retry", headers=clerk.headers), 404)
        assert_problem(await client.post(f"{NOTIFICATIONS}/{pending.id}/retry", headers=clerk.headers), 409)
        refused = await client.post(
            f"{NOTIFICATIONS}/{pending.id}/retry", headers=clerk.headers, json={"status": "sent"}
        )
        assert_problem(refused, 422)


class TestEmails:
    def test_html_is_escaped_and_plain_text_is_not(self) -> None:
        rendered = emails.render(
            NotificationKind.APPROVAL_REQUESTED,
            "subject",
            trust_name="Hillside & Valley Trust",
            name="Ann <script>",
            requester="Bob & Co",
            asked="has asked",
            link="https://probity.example/x?a=1&b=2",
        )
        assert "Ann <script>" in rendered.text and "Bob & Co" in rendered.text
        assert "Ann &lt;script&gt;" in rendered.html and "<script>" not in rendered.html
        assert (
            "Bob &amp; Co" in rendered.html
            and 'href="https://probity.example/x?a=1&amp;b=2"' in rendered.html
        )

    def test_a_name_beyond_ascii_arrives_intact_and_a_line_break_in_a_header_is_refused(self) -> None:
        sent_at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
        raw = emails.message(
            to="zoe@trust.example", subject="Zoë Brontë's gift waits for your decision", text="Dear Zoë,",
            html="<p>Dear Zoë,</p>", message_id="<1@trust.example>", created_at=sent_at,
        )  # fmt: skip
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        assert message["Subject"] == "Zoë Brontë's gift waits for your decision"
        assert parts(message) == ("Dear Zoë,", "<p>Dear Zoë,</p>")
        with pytest.raises(ValueError, match="line break"):
            emails.message(
                to="a@trust.example", subject="Hello\r\nBcc: everyone@elsewhere.example", text="", html="",
                message_id="<2@trust.example>", created_at=sent_at,
            )  # fmt: skip

    def test_a_display_name_beyond_ascii_keeps_its_address(self, monkeypatch: pytest.MonkeyPatch) -> None:
        named = get_settings().model_copy(update={"mail_from": "Zoë's Trust <probity@trust.example>"})
        monkeypatch.setattr(emails, "get_settings", lambda: named)
        raw = emails.message(
            to="a@trust.example", subject="Hello", text="Hi", html="<p>Hi</p>",
            message_id="<3@trust.example>", created_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        )  # fmt: skip
        message = email.message_from_bytes(raw, policy=email.policy.default)
        (sender_address,) = message["From"].addresses
        assert (sender_address.display_name, sender_address.addr_spec) == (
            "Zoë's Trust",
            "probity@trust.example",
        )
        assert emails.envelope_sender() == "probity@trust.example"

    @pytest.mark.parametrize(
        "mail_from",
        ["probity@trust.example, clerk@trust.example", "Probity <probity@trust.example>\r\nBcc: x@y.example",
         "probity", ""],
    )  # fmt: skip
    def test_mail_from_must_be_one_address_on_one_line(self, mail_from: str) -> None:
        with pytest.raises(ValidationError, match="PROBITY_MAIL_FROM"):
            Settings(mail_from=mail_from)

    def test_a_named_sender_is_accepted(self) -> None:
        assert Settings(mail_from="Zoë's Trust <probity@trust.example>").mail_from.endswith(
            "<probity@trust.example>"
        )

    async def test_the_email_names_the_trust_as_its_settings_do(
        self, client: AsyncClient, caller: MakeCaller, session: AsyncSession
    ) -> None:
        clerk = await caller(Role.GOVERNANCE_ADMIN)
        named = await client.patch(
            "/api/v1/settings", headers=clerk.headers, json={"trust_name": "Hillside Learning Trust"}
        )
        assert named.status_code == 200, named.text
        (trustee,) = await trustees_in_a_cycle(session)
        (notification,) = await outbox(session, person_id=trustee.id)
        for body in (notification.text_body, notification.html_body):
            assert "Hillside Learning Trust's register of" in body

    def test_a_lease_too_short_for_the_relays_timeout_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="PROBITY_NOTIFICATION_LEASE_SECONDS"):
            Settings(notification_lease_seconds=100, smtp_timeout_seconds=30)
        assert (
            Settings(notification_lease_seconds=120, smtp_timeout_seconds=30).notification_lease_seconds
            == 120
        )
