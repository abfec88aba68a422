import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends

from app.auth.dependencies import InterestsDeclarant
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import Day, OptionalQueryFlag, Page, PageParams, page_params
from app.interests import service
from app.interests.schemas import Holder, InterestCategory, InterestCreate, InterestEnd, InterestRead

router = APIRouter(prefix="/api/v1/interests", tags=["interests"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.post("", status_code=201, response_model=InterestRead, responses=responses(401, 403, 415, 422))
async def declare_interest(actor: InterestsDeclarant, session: Session, data: InterestCreate) -> InterestRead:
    """Declare an interest (one's own; the governance clerk may declare for anyone)."""
    return InterestRead.model_validate(await service.create(session, actor, data))


@router.get("", response_model=Page[InterestRead], responses=responses(401, 403, 422))
async def list_interests(
    actor: InterestsDeclarant,
    session: Session,
    page: Paging,
    person_id: uuid.UUID | None = None,
    category: InterestCategory | None = None,
    holder: Holder | None = None,
    open_on: Day | None = None,
    ended: OptionalQueryFlag = None,
) -> Page[InterestRead]:
    """One's own interests; everyone's for the clerk, auditors and screeners."""
    filters = service.InterestFilter(
        person_id=person_id, category=category, holder=holder, open_on=open_on, ended=ended
    )
    rows, total = await service.list_interests(session, actor, filters, page)
    return Page(items=[InterestRead.model_validate(i) for i in rows], total=total)


@router.get("/{interest_id}", response_model=InterestRead, responses=responses(401, 403, 404, 422))
async def get_interest(actor: InterestsDeclarant, session: Session, interest_id: uuid.UUID) -> InterestRead:
    """Someone else's interest is a 404 unless the caller may screen or keep the register."""
    return InterestRead.model_validate(await service.get(session, actor, interest_id))


@router.post(
    "/{interest_id}/end", response_model=InterestRead, responses=responses(401, 403, 404, 409, 415, 422)
)
async def end_interest(
    actor: InterestsDeclarant,
    session: Session,
    interest_id: uuid.UUID,
    # A default rather than `| None`: the body stays optional (empty, null or {}) and the spec says
    # InterestEnd, not anyOf [InterestEnd, null], which generated clients cannot send empty.
    data: Annotated[InterestEnd, Body()] = InterestEnd(),
) -> InterestRead:
    """End an interest (never deleted): not before its start (422), not twice (409)."""
    return InterestRead.model_validate(await service.end(session, actor, interest_id, data.end_date))
