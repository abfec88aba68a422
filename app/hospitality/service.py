"""Hospitality: authorised in advance by the Chief Executive, the Chief Operating Officer or the Chair
of Trustees, and acceptable where the invitation is corporate rather than personal (The Learning
Alliance code of conduct); after the event the requester says whether they went and what it was worth."""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, func
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import records
from app.approvals.policy import Kind
from app.approvals.queue import QueueSource, Waiting
from app.approvals.workflow import Workflow, decide, move
from app.auth.actor import Actor
from app.conflicts import screening
from app.core import clock, money
from app.core.errors import Conflict
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.hospitality.models import HospitalityRequest
from app.hospitality.schemas import (
    HospitalityCreate,
    HospitalityFlag,
    HospitalityOutcome,
    HospitalityRead,
    HospitalityStatus,
    InvitationType,
)
from app.notifications import service as notifications_service
from app.people import service as people_service

WORKFLOW = Workflow(
    Kind.HOSPITALITY,
    "hospitality request",
    {
        (HospitalityStatus.SUBMITTED, "approved"): HospitalityStatus.APPROVED,
        (HospitalityStatus.SUBMITTED, "rejected"): HospitalityStatus.REJECTED,
        (HospitalityStatus.SUBMITTED, "withdrawn"): HospitalityStatus.WITHDRAWN,
        (HospitalityStatus.APPROVED, "completed"): HospitalityStatus.COMPLETED,
    },
)
# The API speaks pounds; the table keeps whole pence.
_MONEY = {"estimated_value_gbp": "estimated_value_pence", "actual_value_gbp": "actual_value_pence"}


def view(request: HospitalityRequest) -> HospitalityRead:
    fields = {name: getattr(request, _MONEY.get(name, name)) for name in HospitalityRead.model_fields}
    for name in _MONEY:
        fields[name] = None if fields[name] is None else money.from_pence(fields[name])
    return HospitalityRead.model_validate(fields)


def flags_for(event_date: date, invitation_type: InvitationType, today: date) -> list[HospitalityFlag]:
    """Retrospective when asked for on or after the event's day (the trust's date, not UTC's);
    personal_invitation when the invitation was to the person rather than to the trust."""
    flags = []
    if today >= event_date:
        flags.append(HospitalityFlag.RETROSPECTIVE)
    if invitation_type is InvitationType.PERSONAL:
        flags.append(HospitalityFlag.PERSONAL_INVITATION)
    return flags


@dataclass(frozen=True)
class Asking:
    """A request about to be stored, as the approval policy and the screening read it."""

    id: uuid.UUID
    person_id: uuid.UUID


def counterparty(request: HospitalityRequest | HospitalityCreate) -> str:
    """Whom the hospitality is from, for conflict screening: the organisation, else the provider."""
    return request.provider_organisation or request.provider_name


async def submit(session: AsyncSession, actor: Actor, data: HospitalityCreate) -> HospitalityRequest:
    """Ask for hospitality to be authorised (one's own; the clerk may ask for anyone)."""
    person_id = await people_service.declarant_for(session, actor, data.person_id)
    flags = flags_for(data.event_date, data.invitation_type, clock.today())
    request_id = uuid.uuid4()
    asking = Asking(request_id, person_id)
    if await screening.screen(session, Kind.HOSPITALITY, asking, counterparty(data)):
        flags.append(HospitalityFlag.PROVIDER_CONFLICT)
    request = HospitalityRequest(
        id=request_id, person_id=person_id, provider_name=data.provider_name,
        provider_organisation=data.provider_organisation or None, event_description=data.event_description,
        event_date=data.event_date, estimated_value_pence=money.to_pence(data.estimated_value_gbp),
        invitation_type=data.invitation_type, business_justification=data.business_justification,
        status=HospitalityStatus.SUBMITTED, flags=flags,
    )  # fmt: skip
    await records.add(session, actor, request, "hospitality_request.submitted")
    await notifications_service.approval_requested(session, Kind.HOSPITALITY, request)
    return request


async def get(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> HospitalityRequest:
    return await records.get(session, Kind.HOSPITALITY, HospitalityRequest, actor, request_id)


def _listed(actor: Actor, filters: records.RecordFilter) -> Select[HospitalityRequest]:
    statement = records.readable(Kind.HOSPITALITY, HospitalityRequest, actor)
    return filters.apply(statement, HospitalityRequest, HospitalityRequest.event_date)


async def list_requests(
    session: AsyncSession, actor: Actor, filters: records.RecordFilter, page: PageParams
) -> tuple[list[HospitalityRequest], int]:
    """The requests the caller may see, newest first."""
    newest_first = (HospitalityRequest.submitted_at.desc(), HospitalityRequest.id)
    return await paginate(session, _listed(actor, filters), page, *newest_first)


async def register(
    session: AsyncSession, actor: Actor, filters: records.RecordFilter
) -> list[HospitalityRequest]:
    """Every request the filters pick, earliest event first: the register for the board pack."""
    records.ensure_keeps_register(Kind.HOSPITALITY, actor, "hospitality")
    ordered = _listed(actor, filters).order_by(
        HospitalityRequest.event_date, HospitalityRequest.submitted_at, HospitalityRequest.id
    )
    return list(await session.scalars(ordered))


async def to_decide(session: AsyncSession, actor: Actor, request_id: uuid.UUID) -> HospitalityRequest:
    return await records.to_decide(session, Kind.HOSPITALITY, HospitalityRequest, actor, request_id)


async def own_request(
    session: AsyncSession, actor: Actor, request_id: uuid.UUID, doing: str
) -> HospitalityRequest:
    return await records.owned(session, Kind.HOSPITALITY, HospitalityRequest, actor, request_id, doing)


async def decide_request(
    session: AsyncSession, actor: Actor, request: HospitalityRequest, approve: bool, note: str | None
) -> HospitalityRequest:
    """The CEO, the COO or the Chair authorises or refuses a submitted request, as the policy names
    them (the CEO's own by the Chair, the Chair's by the CEO or COO, nobody their own)."""
    await decide(session, actor, WORKFLOW, request, "approved" if approve else "rejected", note)
    return request


async def withdraw(session: AsyncSession, actor: Actor, request: HospitalityRequest) -> HospitalityRequest:
    """The requester withdraws a request nobody has decided yet."""
    records.ensure_owner(request, actor, "withdraw this request")
    await move(session, actor, WORKFLOW, request, "withdrawn")
    return request


async def record_outcome(
    session: AsyncSession, actor: Actor, request: HospitalityRequest, outcome: HospitalityOutcome
) -> HospitalityRequest:
    """The requester says whether they attended an approved event and what it was worth, on or after
    its day (the trust's date)."""
    records.ensure_owner(request, actor, "record what happened at the event")
    WORKFLOW.target(request.status, "completed")  # the state's 409 before the date's
    if clock.today() < request.event_date:
        raise Conflict(f"The outcome can be recorded on or after the event's day, {request.event_date}")
    value = outcome.actual_value_gbp if outcome.attended else None
    await move(
        session, actor, WORKFLOW, request, "completed", attended=outcome.attended,
        actual_value_pence=None if value is None else money.to_pence(value), outcome_recorded_at=clock.now(),
    )  # fmt: skip
    return request


def _summary(item: Waiting) -> str:
    amount = money.text(money.from_pence(item.amount_pence or 0))
    day = clock.in_words(item.on_date) if item.on_date else "?"
    return f"Hospitality from {item.label} on {day}: {item.detail} (about £{amount})"


SCREENED = screening.ScreenedSource(
    kind=Kind.HOSPITALITY,
    model=HospitalityRequest,
    pending=HospitalityStatus.SUBMITTED,
    counterparty=counterparty,
    flagged_action="hospitality_request.flagged",
)

QUEUE = QueueSource(
    kind=Kind.HOSPITALITY,
    model=HospitalityRequest,
    pending=HospitalityStatus.SUBMITTED,
    columns=lambda: {
        "label": func.coalesce(HospitalityRequest.provider_organisation, HospitalityRequest.provider_name),
        "detail": func.substr(HospitalityRequest.event_description, 1, 80),
        "amount_pence": HospitalityRequest.estimated_value_pence,
        "on_date": HospitalityRequest.event_date,
    },
    summary=_summary,
    view=view,
    decide=decide_request,
)
