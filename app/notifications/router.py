import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Depends

from app.auth.dependencies import NotificationsReader, NotificationsRetrier
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import Page, PageParams, page_params
from app.notifications import service
from app.notifications.schemas import (
    NotificationKind,
    NotificationRead,
    NotificationRetry,
    NotificationStatus,
)

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
Paging = Annotated[PageParams, Depends(page_params)]


def notification_filter(
    status: NotificationStatus | None = None,
    person_id: uuid.UUID | None = None,
    kind: NotificationKind | None = None,
) -> service.NotificationFilter:
    return service.NotificationFilter(status, person_id, kind)


Filters = Annotated[service.NotificationFilter, Depends(notification_filter)]


@router.get("", response_model=Page[NotificationRead], responses=responses(401, 403, 422))
async def list_notifications(
    _: NotificationsReader, session: Session, page: Paging, filters: Filters
) -> Page[NotificationRead]:
    """The outbox, newest first: to whom each email went (or waits to go), and how its sending went."""
    found, total = await service.list_notifications(session, filters, page)
    return Page(items=[NotificationRead.model_validate(n) for n in found], total=total)


@router.post(
    "/{notification_id}/retry",
    response_model=NotificationRead,
    responses=responses(401, 403, 404, 409, 415, 422),
)
async def retry_notification(
    actor: NotificationsRetrier,
    session: Session,
    notification_id: uuid.UUID,
    # A default rather than `| None`: the body may be empty, null or {} (as for withdrawing).
    data: Annotated[NotificationRetry, Body()] = NotificationRetry(),
) -> NotificationRead:
    """A failed notification is sent again (a fresh round of attempts); any other is a 409."""
    return NotificationRead.model_validate(await service.retry(session, actor, notification_id))
