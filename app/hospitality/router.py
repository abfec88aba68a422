import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from starlette.responses import Response

from app.approvals.records import RecordFilter
from app.approvals.schemas import DecisionCreate
from app.auth.dependencies import SignedIn
from app.core import csvfile, money
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import Day, Page, PageParams, page_params
from app.hospitality import service
from app.hospitality.models import HospitalityRequest
from app.hospitality.schemas import (
    HospitalityCreate,
    HospitalityOutcome,
    HospitalityRead,
    HospitalityStatus,
    HospitalityWithdraw,
)
from app.people import service as people_service

router = APIRouter(prefix="/api/v1", tags=["hospitality"])
Paging = Annotated[PageParams, Depends(page_params)]
REQUESTS = "/hospitality-requests"
CSV_COLUMNS = (
    "id", "requester", "provider_name", "provider_organisation", "event_description", "event_date",
    "estimated_value_gbp", "invitation_type", "business_justification", "status", "flags", "decided_by",
    "decided_at", "decision_note", "attended", "actual_value_gbp", "submitted_at",
)  # fmt: skip


def hospitality_filter(
    status: HospitalityStatus | None = None,
    person_id: uuid.UUID | None = None,
    school_id: Annotated[uuid.UUID | None, Query(description="the requester's school")] = None,
    date_from: Annotated[Day | None, Query(description="events on or after")] = None,
    date_to: Annotated[Day | None, Query(description="events on or before")] = None,
) -> RecordFilter:
    return RecordFilter(status, person_id, school_id, date_from, date_to)


Filters = Annotated[RecordFilter, Depends(hospitality_filter)]


# Authorisation before the body (the contract): these load the record, and refuse with 404 or 403,
# before FastAPI judges what was sent.
async def request_to_decide(actor: SignedIn, session: Session, request_id: uuid.UUID) -> HospitalityRequest:
    return await service.to_decide(session, actor, request_id)


async def request_to_withdraw(actor: SignedIn, session: Session, request_id: uuid.UUID) -> HospitalityRequest:
    return await service.own_request(session, actor, request_id, "withdraw this request")


async def request_to_complete(actor: SignedIn, session: Session, request_id: uuid.UUID) -> HospitalityRequest:
    return await service.own_request(session, actor, request_id, "record what happened at the event")


RequestToDecide = Annotated[HospitalityRequest, Depends(request_to_decide)]
RequestToWithdraw = Annotated[HospitalityRequest, Depends(request_to_withdraw)]
RequestToComplete = Annotated[HospitalityRequest, Depends(request_to_complete)]


@router.post(
    REQUESTS, status_code=201, response_model=HospitalityRead, responses=responses(401, 403, 415, 422)
)
async def request_hospitality(actor: SignedIn, session: Session, data: HospitalityCreate) -> HospitalityRead:
    """Ask for hospitality to be authorised in advance by the CEO, the COO or the Chair; a request on
    or after the event's day is flagged retrospective, a personal invitation personal_invitation."""
    return service.view(await service.submit(session, actor, data))


@router.get(REQUESTS, response_model=Page[HospitalityRead], responses=responses(401, 422))
async def list_hospitality_requests(
    actor: SignedIn, session: Session, page: Paging, filters: Filters
) -> Page[HospitalityRead]:
    """One's own requests; every request for the CEO, COO, Chair and Vice Chair, the clerk and auditors."""
    found, total = await service.list_requests(session, actor, filters, page)
    return Page(items=[service.view(r) for r in found], total=total)


def _register_rows(requests: Sequence[HospitalityRequest], names: dict[uuid.UUID, str]) -> list[list[Any]]:
    def pounds(pence: int | None) -> str | None:
        return None if pence is None else money.text(money.from_pence(pence))

    return [
        [r.id, names.get(r.person_id), r.provider_name, r.provider_organisation, r.event_description,
         r.event_date, pounds(r.estimated_value_pence), r.invitation_type, r.business_justification, r.status,
         ";".join(r.flags), names.get(r.decided_by) if r.decided_by else None, r.decided_at, r.decision_note,
         r.attended, pounds(r.actual_value_pence), r.submitted_at]
        for r in requests
    ]  # fmt: skip


@router.get(
    f"{REQUESTS}.csv",
    response_class=csvfile.CsvResponse,
    responses={
        **csvfile.csv_download("The hospitality register, earliest event first"),
        **responses(401, 403, 422),
    },
)
async def export_hospitality_requests(actor: SignedIn, session: Session, filters: Filters) -> Response:
    """The hospitality register for the board pack (for those who see every request)."""
    found = await service.register(session, actor, filters)
    people = {r.person_id for r in found} | {r.decided_by for r in found if r.decided_by}
    names = await people_service.names_of(session, people)
    return csvfile.response(CSV_COLUMNS, _register_rows(found, names), "hospitality-register.csv")


@router.get(f"{REQUESTS}/{{request_id}}", response_model=HospitalityRead, responses=responses(401, 404, 422))
async def get_hospitality_request(
    actor: SignedIn, session: Session, request_id: uuid.UUID
) -> HospitalityRead:
    """Someone else's request is a 404 unless the caller sees every request."""
    return service.view(await service.get(session, actor, request_id))


@router.post(
    f"{REQUESTS}/{{request_id}}/decision",
    response_model=HospitalityRead,
    responses=responses(401, 403, 404, 409, 415, 422),
)
async def decide_hospitality_request(
    actor: SignedIn, session: Session, request: RequestToDecide, data: DecisionCreate
) -> HospitalityRead:
    """Approve a submitted request, or reject it (a note saying why is required); only whom the
    approval policy names, never the requester."""
    await service.decide_request(session, actor, request, data.decision == "approve", data.note)
    return service.view(request)


@router.post(
    f"{REQUESTS}/{{request_id}}/withdraw",
    response_model=HospitalityRead,
    responses=responses(401, 403, 404, 409, 415, 422),
)
async def withdraw_hospitality_request(
    actor: SignedIn,
    session: Session,
    request: RequestToWithdraw,
    # A default rather than `| None`: the body may be empty, null or {} (as for ending an interest).
    data: Annotated[HospitalityWithdraw, Body()] = HospitalityWithdraw(),
) -> HospitalityRead:
    """The requester withdraws their request while nobody has decided it."""
    return service.view(await service.withdraw(session, actor, request))


@router.post(
    f"{REQUESTS}/{{request_id}}/outcome",
    response_model=HospitalityRead,
    responses=responses(401, 403, 404, 409, 415, 422),
)
async def record_hospitality_outcome(
    actor: SignedIn, session: Session, request: RequestToComplete, data: HospitalityOutcome
) -> HospitalityRead:
    """The requester records whether they attended an approved event and what it was worth, on or
    after the event's day (earlier: 409)."""
    return service.view(await service.record_outcome(session, actor, request, data))
