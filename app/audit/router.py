import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.audit import service
from app.audit.schemas import AuditEventRead, CheckpointRead, VerificationRead
from app.auth.dependencies import AuditReader
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import Page, PageParams, PlainText, page_params

router = APIRouter(prefix="/api/v1/audit-events", tags=["audit"])
Paging = Annotated[PageParams, Depends(page_params)]
HASH_PATTERN = "^[0-9a-f]{64}$"
# OpenAPI cannot make one query parameter depend on another, so the descriptions say it.
CHECKPOINT_SEQ = "seq of a kept checkpoint; give checkpoint_hash with it (one without the other is a 422)"
CHECKPOINT_HASH = "hash of a kept checkpoint; give checkpoint_seq with it (one without the other is a 422)"


@router.get("", response_model=Page[AuditEventRead], responses=responses(401, 403, 422))
async def list_audit_events(
    _: AuditReader,
    session: Session,
    page: Paging,
    entity_type: Annotated[PlainText | None, Query(max_length=60)] = None,
    entity_id: Annotated[PlainText | None, Query(max_length=64)] = None,
    action: Annotated[PlainText | None, Query(max_length=100)] = None,
    actor_id: uuid.UUID | None = None,
) -> Page[AuditEventRead]:
    """The trail in chain order, filtered by entity, action or actor."""
    events, total = await service.list_events(
        session,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        actor_id=actor_id,
        page=page,
    )
    return Page(items=[AuditEventRead.model_validate(e) for e in events], total=total)


@router.get("/verify", response_model=VerificationRead, responses=responses(401, 403, 422))
async def verify_audit_trail(
    _: AuditReader,
    session: Session,
    checkpoint_seq: Annotated[int | None, Query(ge=0, le=2**63 - 1, description=CHECKPOINT_SEQ)] = None,
    checkpoint_hash: Annotated[
        str | None, Query(pattern=HASH_PATTERN, max_length=64, description=CHECKPOINT_HASH)
    ] = None,
) -> VerificationRead:
    """Recomputes every HMAC link; with a kept checkpoint it also finds a cut or rewritten tail."""
    result = await service.verify(session, checkpoint_seq=checkpoint_seq, checkpoint_hash=checkpoint_hash)
    return VerificationRead.model_validate(result)


@router.get("/checkpoint", response_model=CheckpointRead, responses=responses(401, 403))
async def get_audit_checkpoint(_: AuditReader, session: Session) -> CheckpointRead:
    """The newest seq and hash, for the auditor to keep outside the system."""
    return CheckpointRead.model_validate(await service.checkpoint(session))
