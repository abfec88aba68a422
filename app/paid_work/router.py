import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.approvals.records import RecordFilter
from app.auth.dependencies import SignedIn
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import Day, Page, PageParams, page_params
from app.paid_work import service
from app.paid_work.models import PaidWork
from app.paid_work.schemas import PaidWorkCreate, PaidWorkRead, PaidWorkStatus, ReviewCreate

router = APIRouter(prefix="/api/v1", tags=["paid work"])
Paging = Annotated[PageParams, Depends(page_params)]


def paid_work_filter(
    status: PaidWorkStatus | None = None,
    person_id: uuid.UUID | None = None,
    school_id: Annotated[uuid.UUID | None, Query(description="the person's school")] = None,
    date_from: Annotated[Day | None, Query(description="starting on or after")] = None,
    date_to: Annotated[Day | None, Query(description="starting on or before")] = None,
) -> RecordFilter:
    return RecordFilter(status, person_id, school_id, date_from, date_to)


Filters = Annotated[RecordFilter, Depends(paid_work_filter)]


@router.post("/paid-work", status_code=201, response_model=PaidWorkRead, responses=responses(401, 415, 422))
async def submit_paid_work(actor: SignedIn, session: Session, data: PaidWorkCreate) -> PaidWorkRead:
    """Disclose additional paid work: to the headteacher of one's school; central staff's and
    headteachers' to the COO, the COO's to the CEO, the CEO's to the Chair."""
    return service.view(await service.submit(session, actor, data))


@router.get("/paid-work", response_model=Page[PaidWorkRead], responses=responses(401, 422))
async def list_paid_work(
    actor: SignedIn, session: Session, page: Paging, filters: Filters
) -> Page[PaidWorkRead]:
    """One's own paid work and what one reviews; all of it for the COO, the clerk and auditors."""
    found, total = await service.list_paid_work(session, actor, filters, page)
    return Page(items=[service.view(p) for p in found], total=total)


@router.get("/paid-work/{paid_work_id}", response_model=PaidWorkRead, responses=responses(401, 404, 422))
async def get_paid_work(actor: SignedIn, session: Session, paid_work_id: uuid.UUID) -> PaidWorkRead:
    """Someone else's paid work is a 404 unless the caller reviews it or sees all paid work."""
    return service.view(await service.get(session, actor, paid_work_id))


async def paid_work_to_review(actor: SignedIn, session: Session, paid_work_id: uuid.UUID) -> PaidWork:
    """Authorisation before the body (the contract): 404 or 403 before what was sent is judged."""
    return await service.to_review(session, actor, paid_work_id)


@router.post(
    "/paid-work/{paid_work_id}/review",
    response_model=PaidWorkRead,
    responses=responses(401, 403, 404, 409, 415, 422),
)
async def review_paid_work(
    actor: SignedIn,
    session: Session,
    paid_work: Annotated[PaidWork, Depends(paid_work_to_review)],
    data: ReviewCreate,
) -> PaidWorkRead:
    """Acknowledge paid work disclosed, or raise a concern (a note saying what it is is required)."""
    return service.view(await service.review(session, actor, paid_work, data))
