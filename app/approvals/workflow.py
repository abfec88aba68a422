"""The life of a record someone submits and another decides: one explicit state machine per kind, a
move that only one of two people acting at once can make, and the decision itself."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import policy
from app.approvals.models import Submitted
from app.approvals.policy import Kind
from app.audit import service as audit_service
from app.auth.actor import Actor
from app.core import clock
from app.core.errors import Conflict
from app.notifications import service as notifications_service


@dataclass(frozen=True)
class Workflow:
    """(state, action) -> state for one kind of record; any other move is a 409."""

    kind: Kind
    noun: str  # "gift", "hospitality request": for the 409's words
    moves: Mapping[tuple[str, str], str]

    def target(self, status: str, action: str) -> str:
        try:
            return self.moves[(status, action)]
        except KeyError:
            now, then = status.replace("_", " "), action.replace("_", " ")
            raise Conflict(f"A {self.noun} that is {now} cannot be {then}") from None


async def move(
    session: AsyncSession,
    actor: Actor,
    workflow: Workflow,
    record: Submitted,
    action: str,
    **values: Any,
) -> None:
    """Move the record on and audit it (`<type>.<action>`). The UPDATE names the status it expects,
    so of two people acting on one record at once exactly one succeeds; the other gets a 409."""
    before = dict(record.audit_view())
    target = workflow.target(record.status, action)
    model = type(record)
    moved = await session.execute(
        update(model)
        .where(model.id == record.id, model.status == record.status)
        .values(status=target, updated_at=clock.now(), **values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"This {workflow.noun} was changed by someone else a moment ago; reload it")
    await session.refresh(record)
    # No owner here: acting_for means someone acted *for* the requester (the clerk submitting on their
    # behalf), and a decider decides, not on the requester's behalf.
    await audit_service.record(session, actor, f"{record.audit_type}.{action}", record, before=before)


async def decide(
    session: AsyncSession, actor: Actor, workflow: Workflow, record: Submitted, action: str, note: str | None
) -> None:
    """Only whom the policy names (403 saying why), and only once (409); the requester is emailed
    that it was decided, in the same transaction."""
    await policy.ensure_may_decide(session, actor, workflow.kind, record)
    await move(
        session,
        actor,
        workflow,
        record,
        action,
        decided_by=actor.id,
        decided_at=clock.now(),
        decision_note=note,
    )
    await notifications_service.decision_made(session, workflow.kind, record)
