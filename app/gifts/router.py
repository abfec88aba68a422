import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from app.approvals.records import RecordFilter
from app.approvals.schemas import DecisionCreate
from app.auth.dependencies import SignedIn
from app.core import csvfile, money
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import Day, Page, PageParams, page_params
from app.gifts import service
from app.gifts.models import Gift
from app.gifts.schemas import GiftCreate, GiftRead, GiftStatus
from app.people import service as people_service

router = APIRouter(prefix="/api/v1", tags=["gifts"])
Paging = Annotated[PageParams, Depends(page_params)]
CSV_COLUMNS = (
    "id", "recipient", "donor_name", "donor_organisation", "description", "value_gbp", "offered_on",
    "accepted", "is_cash", "status", "flags", "decided_by", "decided_at", "decision_note", "submitted_at",
)  # fmt: skip


def gift_filter(
    status: GiftStatus | None = None,
    person_id: uuid.UUID | None = None,
    school_id: Annotated[uuid.UUID | None, Query(description="the recipient's school")] = None,
    date_from: Annotated[Day | None, Query(description="offered on or after")] = None,
    date_to: Annotated[Day | None, Query(description="offered on or before")] = None,
) -> RecordFilter:
    return RecordFilter(status, person_id, school_id, date_from, date_to)


Filters = Annotated[RecordFilter, Depends(gift_filter)]


async def gift_to_decide(actor: SignedIn, session: Session, gift_id: uuid.UUID) -> Gift:
    return await service.to_decide(session, actor, gift_id)


GiftToDecide = Annotated[Gift, Depends(gift_to_decide)]


@router.post("/gifts", status_code=201, response_model=GiftRead, responses=responses(401, 415, 422))
async def record_gift(actor: SignedIn, session: Session, data: GiftCreate) -> GiftRead:
    """Record a gift offered, accepted or declined: a small token is recorded; cash, or more than the
    trust's token limit from one donor in 12 months, waits for the Director of HR or of Finance."""
    return service.view(await service.record(session, actor, data))


@router.get("/gifts", response_model=Page[GiftRead], responses=responses(401, 422))
async def list_gifts(actor: SignedIn, session: Session, page: Paging, filters: Filters) -> Page[GiftRead]:
    """One's own gifts; every gift for the Directors of HR and of Finance, the clerk and auditors."""
    found, total = await service.list_gifts(session, actor, filters, page)
    return Page(items=[service.view(g) for g in found], total=total)


@router.get(
    "/gifts.csv",
    response_class=csvfile.CsvResponse,
    responses={**csvfile.csv_download("The gifts register, oldest offer first"), **responses(401, 403, 422)},
)
async def export_gifts(actor: SignedIn, session: Session, filters: Filters) -> Response:
    """The gifts register for the board pack (for those who see every gift)."""
    gifts = await service.register(session, actor, filters)
    people = {g.person_id for g in gifts} | {g.decided_by for g in gifts if g.decided_by}
    names = await people_service.names_of(session, people)
    rows = (
        [g.id, names.get(g.person_id), g.donor_name, g.donor_organisation, g.description,
         money.text(money.from_pence(g.value_pence)), g.offered_on, g.accepted, g.is_cash, g.status,
         ";".join(g.flags), names.get(g.decided_by) if g.decided_by else None, g.decided_at, g.decision_note,
         g.submitted_at]
        for g in gifts
    )  # fmt: skip
    return csvfile.response(CSV_COLUMNS, rows, "gifts-register.csv")


@router.get("/gifts/{gift_id}", response_model=GiftRead, responses=responses(401, 404, 422))
async def get_gift(actor: SignedIn, session: Session, gift_id: uuid.UUID) -> GiftRead:
    """Someone else's gift is a 404 unless the caller sees every gift."""
    return service.view(await service.get(session, actor, gift_id))


@router.post(
    "/gifts/{gift_id}/decision", response_model=GiftRead, responses=responses(401, 403, 404, 409, 415, 422)
)
async def decide_gift(
    actor: SignedIn, session: Session, gift: GiftToDecide, data: DecisionCreate
) -> GiftRead:
    """Approve a gift waiting for review, or reject it (a note saying why is required)."""
    await service.decide_gift(session, actor, gift, data.decision == "approve", data.note)
    return service.view(gift)
