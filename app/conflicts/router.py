import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from app.auth.dependencies import ConflictChecker, ConflictReader, RptKeeper, RptReader
from app.conflicts import checks, meetings, related_parties
from app.conflicts.models import ConflictCheck, RelatedPartyTransaction
from app.conflicts.schemas import (
    CheckContext,
    ConflictCheckCreate,
    ConflictCheckRead,
    DfeDecision,
    MeetingCheckCreate,
    MeetingCheckRead,
    Outcome,
    RelatedPartyRead,
    RelatedPartyUpdate,
    ResolutionCreate,
)
from app.core import csvfile, money
from app.core.deps import Session, Transactions
from app.core.responses import responses
from app.core.schemas import Day, OptionalQueryFlag, Page, PageParams, PlainText, page_params
from app.people import service as people_service

router = APIRouter(prefix="/api/v1", tags=["conflict checks"])
Paging = Annotated[PageParams, Depends(page_params)]
CHECKS = "/conflict-checks"
MEETINGS = "/meeting-conflict-checks"
RPTS = "/related-party-transactions"


def check_filter(
    context: CheckContext | None = None,
    outcome: Outcome | None = None,
    checked_by: uuid.UUID | None = None,
    person_id: Annotated[uuid.UUID | None, Query(description="checks that found this person")] = None,
    counterparty: Annotated[
        PlainText | None, Query(max_length=200, description="part of the counterparty's name, any case")
    ] = None,
    date_from: Annotated[Day | None, Query(description="checked on or after (the trust's date)")] = None,
    date_to: Annotated[Day | None, Query(description="checked on or before")] = None,
) -> checks.CheckFilter:
    return checks.CheckFilter(context, outcome, checked_by, person_id, counterparty, date_from, date_to)


CheckFilters = Annotated[checks.CheckFilter, Depends(check_filter)]


def rpt_filter(
    dfe_decision: DfeDecision | None = None,
    dfe_approval_required: OptionalQueryFlag = None,
    person_id: uuid.UUID | None = None,
) -> related_parties.RptFilter:
    return related_parties.RptFilter(dfe_decision, dfe_approval_required, person_id)


RptFilters = Annotated[related_parties.RptFilter, Depends(rpt_filter)]


# Authorisation before the body (the contract): these load the record and refuse before FastAPI
# judges what was sent.
async def check_to_resolve(actor: ConflictChecker, session: Session, check_id: uuid.UUID) -> ConflictCheck:
    return await checks.check_to_resolve(session, actor, check_id)


async def rpt_to_keep(actor: RptKeeper, session: Session, rpt_id: uuid.UUID) -> RelatedPartyTransaction:
    return await related_parties.rpt_to_keep(session, actor, rpt_id)


CheckToResolve = Annotated[ConflictCheck, Depends(check_to_resolve)]
RptToKeep = Annotated[RelatedPartyTransaction, Depends(rpt_to_keep)]


@router.post(
    CHECKS, status_code=201, response_model=ConflictCheckRead, responses=responses(401, 403, 415, 422)
)
async def create_conflict_check(
    actor: ConflictChecker, transactions: Transactions, data: ConflictCheckCreate
) -> ConflictCheckRead:
    """Who has an interest in this counterparty: every interest open on `as_of` (default today), of
    anyone, spouses' and families' included, by company number, exact name or similar name (at or
    above the trust's conflict_similarity_threshold). Kept, as found, as evidence."""
    return await checks.create_check(transactions, actor, data)


@router.get(CHECKS, response_model=Page[ConflictCheckRead], responses=responses(401, 403, 422))
async def list_conflict_checks(
    actor: ConflictReader, session: Session, page: Paging, filters: CheckFilters
) -> Page[ConflictCheckRead]:
    """The checks made, newest first."""
    found, total = await checks.list_checks(session, filters, page)
    return Page(items=await checks.views(session, found), total=total)


CHECK_CSV_COLUMNS = (
    "check_id", "checked_at", "checked_by", "context", "reference", "counterparty_name", "company_number",
    "value_gbp", "as_of", "similarity_threshold", "outcome", "resolved_by", "resolved_at", "resolution_note",
    "match_person", "match_organisation", "match_company_number", "match_category", "match_holder",
    "match_score", "match_reason", "match_person_id", "match_interest_id",
)  # fmt: skip


@router.get(
    f"{CHECKS}.csv",
    response_class=csvfile.CsvResponse,
    responses={
        **csvfile.csv_download("Every check and what it found, one row per match, oldest first"),
        **responses(401, 403, 422),
    },
)
async def export_conflict_checks(actor: ConflictReader, session: Session, filters: CheckFilters) -> Response:
    """The checks for auditors: one row per match (a check that found nobody has one row too)."""
    found = await checks.all_checks(session, filters)
    matches = await checks.matches_of(session, [c.id for c in found])
    people = {c.checked_by for c in found} | {c.resolved_by for c in found if c.resolved_by}
    names = await people_service.names_of(session, people)
    rows: list[list[Any]] = []
    for c in found:
        head = [
            c.id, c.checked_at, names.get(c.checked_by), c.context, c.reference, c.counterparty_name,
            c.company_number, None if c.value_pence is None else money.text(money.from_pence(c.value_pence)),
            c.as_of, c.similarity_threshold, c.outcome, names.get(c.resolved_by) if c.resolved_by else None,
            c.resolved_at, c.resolution_note,
        ]  # fmt: skip
        rows.extend(
            [*head, m.person_name, m.organisation_name, m.company_number, m.category, m.holder, m.score,
             m.reason, m.person_id, m.interest_id]
            for m in matches[c.id]
        )  # fmt: skip
        if not matches[c.id]:
            rows.append([*head, *[None] * (len(CHECK_CSV_COLUMNS) - len(head))])
    return csvfile.response(CHECK_CSV_COLUMNS, rows, "conflict-checks.csv")


@router.get(
    f"{CHECKS}/{{check_id}}", response_model=ConflictCheckRead, responses=responses(401, 403, 404, 422)
)
async def get_conflict_check(
    actor: ConflictReader, session: Session, check_id: uuid.UUID
) -> ConflictCheckRead:
    """The check as it was found, with its resolution."""
    return (await checks.views(session, [await checks.get_check(session, check_id)]))[0]


@router.post(
    f"{CHECKS}/{{check_id}}/resolution",
    response_model=ConflictCheckRead,
    responses=responses(401, 403, 404, 409, 415, 422),
)
async def resolve_conflict_check(
    actor: ConflictChecker, session: Session, check: CheckToResolve, data: ResolutionCreate
) -> ConflictCheckRead:
    """Resolve the check once: no_conflict (with a note when it found matches), conflict_managed (with
    a note saying how) or related_party_transaction, which opens the record the Director of Finance
    and Governance keeps, for the match named (else the first). Nobody resolves a check that found
    their own interest."""
    await checks.resolve(session, actor, check, data)
    return (await checks.views(session, [check]))[0]


@router.post(
    MEETINGS, status_code=201, response_model=MeetingCheckRead, responses=responses(401, 403, 415, 422)
)
async def create_meeting_conflict_check(
    actor: ConflictChecker, transactions: Transactions, data: MeetingCheckCreate
) -> MeetingCheckRead:
    """For the minutes: for each agenda item, in order, which attendees have an interest (open on the
    meeting's day) in one of its counterparties and must declare it and withdraw."""
    return await meetings.create_meeting_check(transactions, actor, data)


@router.get(MEETINGS, response_model=Page[MeetingCheckRead], responses=responses(401, 403, 422))
async def list_meeting_conflict_checks(
    actor: ConflictReader,
    session: Session,
    page: Paging,
    date_from: Annotated[Day | None, Query(description="meetings on or after")] = None,
    date_to: Annotated[Day | None, Query(description="meetings on or before")] = None,
) -> Page[MeetingCheckRead]:
    """Meeting checks, latest meeting first."""
    found, total = await meetings.list_meeting_checks(session, date_from, date_to, page)
    return Page(items=[meetings.meeting_view(c) for c in found], total=total)


@router.get(
    f"{MEETINGS}/{{meeting_check_id}}",
    response_model=MeetingCheckRead,
    responses=responses(401, 403, 404, 422),
)
async def get_meeting_conflict_check(
    actor: ConflictReader, session: Session, meeting_check_id: uuid.UUID
) -> MeetingCheckRead:
    """A meeting check as it was found."""
    return meetings.meeting_view(await meetings.get_meeting_check(session, meeting_check_id))


@router.get(RPTS, response_model=Page[RelatedPartyRead], responses=responses(401, 403, 422))
async def list_related_party_transactions(
    actor: RptReader, session: Session, page: Paging, filters: RptFilters
) -> Page[RelatedPartyRead]:
    """Related party transactions, newest first."""
    found, total = await related_parties.list_rpts(session, filters, page)
    return Page(items=[related_parties.rpt_view(r) for r in found], total=total)


RPT_CSV_COLUMNS = (
    "id", "counterparty_name", "company_number", "related_person", "interest_id", "description", "value_gbp",
    "novel_or_contentious", "dfe_approval_required", "declared_to_dfe_on", "dfe_reference", "dfe_decision",
    "at_cost_assurance_received", "conflict_check_id", "created_at", "updated_at",
    # The relationship, for the accounts' disclosure: the related person's interest as declared.
    "interest_organisation", "interest_category", "interest_holder", "interest_relationship",
)  # fmt: skip


@router.get(
    f"{RPTS}.csv",
    response_class=csvfile.CsvResponse,
    responses={
        **csvfile.csv_download("Related party transactions for the annual accounts, oldest first"),
        **responses(401, 403, 422),
    },
)
async def export_related_party_transactions(
    actor: RptReader, session: Session, filters: RptFilters
) -> Response:
    """Every related party transaction, for the annual accounts."""
    found = await related_parties.all_rpts(session, filters)
    names = await people_service.names_of(session, {r.person_id for r in found})
    held = await related_parties.interests_of(session, {r.interest_id for r in found})
    rows = (
        [r.id, r.counterparty_name, r.company_number, names.get(r.person_id), r.interest_id, r.description,
         None if r.value_pence is None else money.text(money.from_pence(r.value_pence)),
         r.novel_or_contentious, r.dfe_approval_required, r.declared_to_dfe_on, r.dfe_reference,
         r.dfe_decision, r.at_cost_assurance_received, r.conflict_check_id, r.created_at, r.updated_at,
         held[r.interest_id].organisation_name, held[r.interest_id].category, held[r.interest_id].holder,
         held[r.interest_id].relationship]
        for r in found
    )  # fmt: skip
    return csvfile.response(RPT_CSV_COLUMNS, rows, "related-party-transactions.csv")


@router.get(f"{RPTS}/{{rpt_id}}", response_model=RelatedPartyRead, responses=responses(401, 403, 404, 422))
async def get_related_party_transaction(
    actor: RptReader, session: Session, rpt_id: uuid.UUID
) -> RelatedPartyRead:
    """One related party transaction."""
    return related_parties.rpt_view(await related_parties.get_rpt(session, rpt_id))


@router.patch(
    f"{RPTS}/{{rpt_id}}", response_model=RelatedPartyRead, responses=responses(401, 403, 404, 415, 422)
)
async def update_related_party_transaction(
    actor: RptKeeper, session: Session, rpt: RptToKeep, data: RelatedPartyUpdate
) -> RelatedPartyRead:
    """The Director of Finance and Governance records the DfE declaration, its decision and the
    at-cost assurance; dfe_approval_required follows the value and novel_or_contentious."""
    return related_parties.rpt_view(await related_parties.update_rpt(session, actor, rpt, data))
