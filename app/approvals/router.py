from typing import Annotated

from fastapi import APIRouter, Depends

from app.approvals import queue
from app.approvals.schemas import PendingItem
from app.auth.dependencies import SignedIn
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import Page, PageParams, page_params

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"])
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/pending", response_model=Page[PendingItem], responses=responses(401, 422))
async def list_pending(actor: SignedIn, session: Session, page: Paging) -> Page[PendingItem]:
    """Everything the caller may decide now (gifts, hospitality, paid work), oldest first."""
    found, total = await queue.pending(session, actor, page)
    items = [
        PendingItem(
            kind=item.kind,
            id=item.id,
            person_id=item.person_id,
            person_name=item.person_name,
            summary=queue.summary(item),
            submitted_at=item.submitted_at,
            flags=item.flags,
        )
        for item in found
    ]
    return Page(items=items, total=total)
