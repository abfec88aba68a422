"""Conflict checks before a contract award (and for recruitment or anything else): who has an
interest in a counterparty, kept as evidence with its resolution; a resolution as a related party
transaction opens the record app.conflicts.related_parties keeps."""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import policy
from app.audit import service as audit_service
from app.auth.actor import Actor
from app.conflicts import matcher, related_parties
from app.conflicts.models import ConflictCheck, ConflictMatch, RelatedPartyTransaction
from app.conflicts.schemas import (
    CheckContext,
    ConflictCheckCreate,
    ConflictCheckRead,
    MatchRead,
    Outcome,
    ResolutionCreate,
)
from app.core import clock, money
from app.core.db import Transactions
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.trust_settings import service as trust_settings


def _matches_view(matches: list[ConflictMatch]) -> list[dict[str, Any]]:
    return [
        {"person_id": m.person_id, "interest_id": m.interest_id, "score": m.score, "reason": m.reason}
        for m in matches
    ]


@dataclass(frozen=True)
class Finding:
    """What a search found, before it is stored."""

    query: matcher.Query
    as_of: date
    threshold: float
    found: list[matcher.Found]


async def find(session: AsyncSession, data: ConflictCheckCreate) -> Finding:
    """The search (reads only): every interest open on `as_of` that matches the counterparty."""
    query = matcher.Query.of(data.counterparty_name, data.company_number)
    if not query.key and not query.company_number:
        raise Unprocessable(
            "counterparty_name has no letters or digits left to match once legal suffixes are set aside; "
            "give the name as usually written, or a company_number",
            loc=("body", "counterparty_name"),
        )
    threshold = (await trust_settings.current(session)).conflict_similarity_threshold
    as_of = data.as_of or clock.today()
    return Finding(query, as_of, threshold, await matcher.search(session, query, as_of, threshold))


async def store(
    session: AsyncSession, actor: Actor, data: ConflictCheckCreate, finding: Finding
) -> tuple[ConflictCheck, list[ConflictMatch]]:
    """The check and what it found, as evidence, with its audit event (one short write)."""
    now = clock.now()
    check = ConflictCheck(
        id=uuid.uuid4(), counterparty_name=data.counterparty_name, counterparty_key=finding.query.key,
        counterparty_folded=data.counterparty_name.casefold(), company_number=data.company_number,
        context=data.context.value, reference=data.reference,
        value_pence=None if data.value_gbp is None else money.to_pence(data.value_gbp), as_of=finding.as_of,
        similarity_threshold=finding.threshold, checked_by=actor.id, checked_at=now, created_at=now,
        outcome=Outcome.OPEN.value,
    )  # fmt: skip
    matches = [
        ConflictMatch(
            id=uuid.uuid4(),
            check_id=check.id,
            position=position,
            person_id=f.interest.person_id,
            person_name=f.person_name,
            interest_id=f.interest.id,
            organisation_name=f.interest.organisation_name,
            company_number=f.interest.company_number,
            category=f.interest.category,
            holder=f.interest.holder,
            score=f.score,
            reason=f.reason.value,
        )
        for position, f in enumerate(finding.found)
    ]
    session.add(check)
    await session.flush()
    session.add_all(matches)
    await session.flush()
    await audit_service.record(
        session, actor, "conflict_check.created", check,
        after={**check.audit_view(), "matches": _matches_view(matches)},
    )  # fmt: skip
    return check, matches


async def create_check(
    transactions: Transactions, actor: Actor, data: ConflictCheckCreate
) -> ConflictCheckRead:
    """Search in a read transaction, then store in a short write one: on SQLite the whole
    database's write lock is never held while the search runs."""
    async with transactions.session(write=False) as session:
        finding = await find(session, data)
    async with transactions.session(write=True) as session:
        check, matches = await store(session, actor, data, finding)
        return view(check, matches, None)


async def matches_of(
    session: AsyncSession, check_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[ConflictMatch]]:
    found: dict[uuid.UUID, list[ConflictMatch]] = {check_id: [] for check_id in check_ids}
    if check_ids:
        rows = await session.scalars(
            select(ConflictMatch)
            .where(ConflictMatch.check_id.in_(check_ids))
            .order_by(ConflictMatch.check_id, ConflictMatch.position)
        )
        for match in rows:
            found[match.check_id].append(match)
    return found


async def rpt_ids_of(session: AsyncSession, check_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    if not check_ids:
        return {}
    rows = await session.execute(
        select(RelatedPartyTransaction.conflict_check_id, RelatedPartyTransaction.id).where(
            RelatedPartyTransaction.conflict_check_id.in_(check_ids)
        )
    )
    return {check_id: rpt_id for check_id, rpt_id in rows}


async def views(session: AsyncSession, checks: list[ConflictCheck]) -> list[ConflictCheckRead]:
    ids = [c.id for c in checks]
    matches, rpts = await matches_of(session, ids), await rpt_ids_of(session, ids)
    return [view(c, matches[c.id], rpts.get(c.id)) for c in checks]


def view(check: ConflictCheck, matches: list[ConflictMatch], rpt_id: uuid.UUID | None) -> ConflictCheckRead:
    return ConflictCheckRead(
        id=check.id, counterparty_name=check.counterparty_name, company_number=check.company_number,
        context=CheckContext(check.context), reference=check.reference,
        value_gbp=None if check.value_pence is None else money.from_pence(check.value_pence),
        as_of=check.as_of, similarity_threshold=check.similarity_threshold, checked_by=check.checked_by,
        checked_at=check.checked_at, created_at=check.created_at,
        matches=[MatchRead.model_validate(m, from_attributes=True) for m in matches],
        outcome=Outcome(check.outcome), resolution_note=check.resolution_note, resolved_by=check.resolved_by,
        resolved_at=check.resolved_at, resolution_person_id=check.resolution_person_id,
        resolution_interest_id=check.resolution_interest_id, related_party_transaction_id=rpt_id,
    )  # fmt: skip


async def get_check(session: AsyncSession, check_id: uuid.UUID) -> ConflictCheck:
    check = await session.get(ConflictCheck, check_id)
    if check is None:
        raise NotFound("conflict check")
    return check


@dataclass(frozen=True)
class CheckFilter:
    context: CheckContext | None = None
    outcome: Outcome | None = None
    checked_by: uuid.UUID | None = None
    person_id: uuid.UUID | None = None  # checks that found this person
    counterparty: str | None = None  # part of the counterparty's name, any case
    date_from: date | None = None  # checked on or after (the trust's date)
    date_to: date | None = None

    def apply(self, statement: Select[Any]) -> Select[Any]:
        if self.context is not None:
            statement = statement.where(ConflictCheck.context == self.context.value)
        if self.outcome is not None:
            statement = statement.where(ConflictCheck.outcome == self.outcome.value)
        if self.checked_by is not None:
            statement = statement.where(ConflictCheck.checked_by == self.checked_by)
        if self.person_id is not None:
            statement = statement.where(
                exists().where(
                    ConflictMatch.check_id == ConflictCheck.id, ConflictMatch.person_id == self.person_id
                )
            )
        if self.counterparty:
            folded = self.counterparty.casefold()
            statement = statement.where(ConflictCheck.counterparty_folded.contains(folded, autoescape=True))
        if self.date_from is not None:
            statement = statement.where(ConflictCheck.checked_at >= clock.start_of(self.date_from))
        if self.date_to is not None:
            statement = statement.where(
                ConflictCheck.checked_at < clock.start_of(self.date_to + timedelta(days=1))
            )
        return statement


async def list_checks(
    session: AsyncSession, filters: CheckFilter, page: PageParams
) -> tuple[list[ConflictCheck], int]:
    """Newest first."""
    statement = filters.apply(select(ConflictCheck))
    return await paginate(session, statement, page, ConflictCheck.checked_at.desc(), ConflictCheck.id)


async def all_checks(session: AsyncSession, filters: CheckFilter) -> list[ConflictCheck]:
    """Oldest first, for the auditors' CSV."""
    statement = filters.apply(select(ConflictCheck)).order_by(ConflictCheck.checked_at, ConflictCheck.id)
    return list(await session.scalars(statement))


async def check_to_resolve(session: AsyncSession, actor: Actor, check_id: uuid.UUID) -> ConflictCheck:
    """A check the caller may resolve: it exists (404) and did not find the caller's own interest
    (403, from the approval policy)."""
    check = await get_check(session, check_id)
    matched = await session.scalars(select(ConflictMatch.person_id).where(ConflictMatch.check_id == check.id))
    policy.ensure_not_party(actor, set(matched), "resolve a conflict check")
    return check


async def resolve(
    session: AsyncSession, actor: Actor, check: ConflictCheck, data: ResolutionCreate
) -> RelatedPartyTransaction | None:
    """Resolve an open check once (a second resolution is a 409); as a related party transaction it
    opens the record the finance director keeps, for the match named (else the first)."""
    if check.outcome != Outcome.OPEN.value:
        raise Conflict(f"This check was already resolved ({check.outcome.replace('_', ' ')})")
    matches = (await matches_of(session, [check.id]))[check.id]
    chosen = _chosen_match(matches, data)
    if data.outcome is Outcome.NO_CONFLICT and matches and data.note is None:
        raise Unprocessable(
            "no_conflict on a check that found matches needs a note saying why none is a conflict",
            loc=("body", "note"),
        )
    if data.outcome is Outcome.RELATED_PARTY_TRANSACTION and chosen is None:
        raise Unprocessable(
            "a related party transaction names the related person, and this check found nobody: the "
            "interest must be declared on the register first, then checked again",
            loc=("body", "outcome"),
        )
    before = check.audit_view()
    now = clock.now()
    resolved = await session.execute(
        update(ConflictCheck)
        .where(ConflictCheck.id == check.id, ConflictCheck.outcome == Outcome.OPEN.value)
        .values(
            outcome=data.outcome.value,
            resolution_note=data.note,
            resolved_by=actor.id,
            resolved_at=now,
            resolution_person_id=chosen.person_id if chosen else data.person_id,
            resolution_interest_id=chosen.interest_id if chosen else data.interest_id,
        )
        .execution_options(synchronize_session=False)
    )
    if resolved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("This check was resolved by someone else a moment ago")
    await session.refresh(check)
    await audit_service.record(session, actor, "conflict_check.resolved", check, before=before)
    if data.outcome is not Outcome.RELATED_PARTY_TRANSACTION or chosen is None:
        return None
    return await related_parties.open_for(session, actor, check, chosen, data.note)


def _chosen_match(matches: list[ConflictMatch], data: ResolutionCreate) -> ConflictMatch | None:
    """The match the resolution names (by person, interest or both), else the first; 422 when it
    names one the check did not find."""
    if data.person_id is None and data.interest_id is None:
        return matches[0] if matches else None
    for match in matches:
        if data.person_id not in (None, match.person_id):
            continue
        if data.interest_id not in (None, match.interest_id):
            continue
        return match
    named = "interest_id" if data.interest_id is not None else "person_id"
    raise Unprocessable(f"{named} names none of this check's matches", loc=("body", named))
