"""Additional paid work: disclosed to the headteacher of the person's school (The Learning Alliance
code of conduct); central staff's and headteachers' own to the COO, the COO's to the CEO, the CEO's
to the Chair (the contract). The reviewer acknowledges it or raises a concern."""

import uuid

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import records
from app.approvals.policy import Kind
from app.approvals.queue import QueueSource, Waiting
from app.approvals.workflow import Workflow, decide
from app.auth.actor import Actor
from app.core import clock
from app.core.errors import Unprocessable
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.notifications import service as notifications_service
from app.paid_work.models import PaidWork
from app.paid_work.schemas import PaidWorkCreate, PaidWorkRead, PaidWorkStatus, ReviewCreate
from app.people import service as people_service

WORKFLOW = Workflow(
    Kind.PAID_WORK,
    "paid work disclosure",
    {
        (PaidWorkStatus.SUBMITTED, "acknowledged"): PaidWorkStatus.ACKNOWLEDGED,
        (PaidWorkStatus.SUBMITTED, "concern_raised"): PaidWorkStatus.CONCERN_RAISED,
    },
)
# The review's outcome, as the body names it, to the move it makes (and the audit action it leaves).
OUTCOMES = {"acknowledged": "acknowledged", "concern": "concern_raised"}


def view(paid_work: PaidWork) -> PaidWorkRead:
    return PaidWorkRead.model_validate(paid_work)


def _stated(text: str | None) -> str | None:
    """A blank statement is no statement: stored as null, so "no conflict stated" reads one way."""
    return text if text and text.strip() else None


async def submit(session: AsyncSession, actor: Actor, data: PaidWorkCreate) -> PaidWork:
    """Disclose paid work (one's own; the clerk may disclose for anyone); it waits for its reviewer."""
    person_id = await people_service.declarant_for(session, actor, data.person_id)
    start_date = data.start_date or clock.today()
    if data.end_date is not None and data.end_date < start_date:
        raise Unprocessable("end_date is before start_date", loc=("body", "end_date"))
    paid_work = PaidWork(
        id=uuid.uuid4(), person_id=person_id, employer=data.employer, role=data.role,
        hours_per_week=data.hours_per_week, start_date=start_date, end_date=data.end_date,
        description=_stated(data.description), potential_conflict=_stated(data.potential_conflict),
        status=PaidWorkStatus.SUBMITTED, flags=[],
    )  # fmt: skip
    await records.add(session, actor, paid_work, "paid_work.submitted")
    await notifications_service.approval_requested(session, Kind.PAID_WORK, paid_work)
    return paid_work


async def get(session: AsyncSession, actor: Actor, paid_work_id: uuid.UUID) -> PaidWork:
    """Paid work the caller may see; anyone else's is a 404."""
    return await records.get(session, Kind.PAID_WORK, PaidWork, actor, paid_work_id)


def _listed(actor: Actor, filters: records.RecordFilter) -> Select[PaidWork]:
    return filters.apply(records.readable(Kind.PAID_WORK, PaidWork, actor), PaidWork, PaidWork.start_date)


async def list_paid_work(
    session: AsyncSession, actor: Actor, filters: records.RecordFilter, page: PageParams
) -> tuple[list[PaidWork], int]:
    """The paid work the caller may see that the filters pick, latest disclosed first."""
    return await paginate(session, _listed(actor, filters), page, PaidWork.submitted_at.desc(), PaidWork.id)


async def to_review(session: AsyncSession, actor: Actor, paid_work_id: uuid.UUID) -> PaidWork:
    return await records.to_decide(session, Kind.PAID_WORK, PaidWork, actor, paid_work_id)


async def review(session: AsyncSession, actor: Actor, paid_work: PaidWork, data: ReviewCreate) -> PaidWork:
    """The reviewer the policy names (never the person themselves) acknowledges the paid work or
    raises a concern, once."""
    await decide(session, actor, WORKFLOW, paid_work, OUTCOMES[data.outcome], data.note)
    return paid_work


async def decide_paid_work(
    session: AsyncSession, actor: Actor, paid_work: PaidWork, approve: bool, note: str | None
) -> PaidWork:
    """The approver's queue decides paid work as it decides the rest: approving acknowledges it,
    rejecting raises a concern (its note saying what it is)."""
    return await review(
        session, actor, paid_work, ReviewCreate(outcome="acknowledged" if approve else "concern", note=note)
    )


def _summary(item: Waiting) -> str:
    hours = f"{item.hours.normalize():f}" if item.hours is not None else "?"
    return f"Paid work: {item.detail} at {item.label}, {hours} hours a week"


QUEUE = QueueSource(
    kind=Kind.PAID_WORK,
    model=PaidWork,
    pending=PaidWorkStatus.SUBMITTED,
    columns=lambda: {
        "label": PaidWork.employer,
        "detail": PaidWork.role,
        "on_date": PaidWork.start_date,
        "hours": PaidWork.hours_per_week,
    },
    summary=_summary,
    view=view,
    decide=decide_paid_work,
)
