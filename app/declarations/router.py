import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from app.auth.dependencies import CyclesReader, CycleStatusReader, CyclesWriter, DeclarationsSubmitter
from app.core import csvfile
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import Page, PageParams, page_params
from app.declarations import service
from app.declarations.schemas import (
    CycleCreate,
    CycleRead,
    CycleStatusItem,
    DeclarationCreate,
    DeclarationRead,
    DeclarationState,
)

router = APIRouter(prefix="/api/v1", tags=["declarations"])
Paging = Annotated[PageParams, Depends(page_params)]
STATUS_COLUMNS = ("person_id", "full_name", "email", "status", "declaration_id", "submitted_at")


@router.post(
    "/declaration-cycles", status_code=201, response_model=CycleRead, responses=responses(401, 403, 415, 422)
)
async def open_cycle(actor: CyclesWriter, session: Session, data: CycleCreate) -> CycleRead:
    """The clerk opens an annual cycle for the governance roles in scope."""
    return CycleRead.model_validate(await service.open_cycle(session, actor, data))


@router.get("/declaration-cycles", response_model=Page[CycleRead], responses=responses(401, 403, 422))
async def list_cycles(_: CyclesReader, session: Session, page: Paging) -> Page[CycleRead]:
    """Cycles, newest first."""
    cycles, total = await service.list_cycles(session, page)
    return Page(items=[CycleRead.model_validate(c) for c in cycles], total=total)


@router.get(
    "/declaration-cycles/{cycle_id}", response_model=CycleRead, responses=responses(401, 403, 404, 422)
)
async def get_cycle(_: CyclesReader, session: Session, cycle_id: uuid.UUID) -> CycleRead:
    return CycleRead.model_validate(await service.get_cycle(session, cycle_id))


@router.get(
    "/declaration-cycles/{cycle_id}/status",
    response_model=Page[CycleStatusItem],
    responses=responses(401, 403, 404, 422),
)
async def get_cycle_status(
    _: CycleStatusReader,
    session: Session,
    cycle_id: uuid.UUID,
    page: Paging,
    status: DeclarationState | None = None,
    # Kept for the scripts that used it before status.csv existed; not in the spec.
    format: Annotated[Literal["json", "csv"], Query(include_in_schema=False)] = "json",
) -> Page[CycleStatusItem] | Response:
    """Who has submitted, who is outstanding and who is overdue."""
    items = await service.status(session, cycle_id, status)
    if format == "csv":
        return _status_csv(cycle_id, items)
    return Page(items=items[page.offset : page.offset + page.limit], total=len(items))


@router.get(
    "/declaration-cycles/{cycle_id}/status.csv",
    response_class=csvfile.CsvResponse,
    responses={**csvfile.csv_download("Everyone in the cycle's scope"), **responses(401, 403, 404, 422)},
)
async def get_cycle_status_csv(
    _: CycleStatusReader, session: Session, cycle_id: uuid.UUID, status: DeclarationState | None = None
) -> Response:
    """Everyone in the cycle's scope with their status and email, for chasing; never paged."""
    return _status_csv(cycle_id, await service.status(session, cycle_id, status))


def _status_csv(cycle_id: uuid.UUID, items: list[CycleStatusItem]) -> Response:
    rows = ([getattr(item, column) for column in STATUS_COLUMNS] for item in items)
    return csvfile.response(STATUS_COLUMNS, rows, f"declaration-status-{cycle_id}.csv")


@router.post(
    "/declarations",
    status_code=201,
    response_model=DeclarationRead,
    responses=responses(401, 403, 409, 415, 422),
)
async def submit_declaration(
    actor: DeclarationsSubmitter, session: Session, data: DeclarationCreate
) -> DeclarationRead:
    """Confirm one's interests for the year and accept the code of conduct; once per cycle."""
    return DeclarationRead.model_validate(await service.submit(session, actor, data))


@router.get("/declarations", response_model=Page[DeclarationRead], responses=responses(401, 403, 422))
async def list_declarations(
    actor: DeclarationsSubmitter,
    session: Session,
    page: Paging,
    cycle_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
) -> Page[DeclarationRead]:
    """One's own history; everyone's for the clerk and auditors."""
    filters = service.DeclarationFilter(cycle_id=cycle_id, person_id=person_id)
    rows, total = await service.list_declarations(session, actor, filters, page)
    return Page(items=[DeclarationRead.model_validate(d) for d in rows], total=total)


@router.get(
    "/declarations/{declaration_id}", response_model=DeclarationRead, responses=responses(401, 403, 404, 422)
)
async def get_declaration(
    actor: DeclarationsSubmitter, session: Session, declaration_id: uuid.UUID
) -> DeclarationRead:
    """Someone else's declaration is a 404 unless the caller keeps or audits the register."""
    return DeclarationRead.model_validate(await service.get(session, actor, declaration_id))
