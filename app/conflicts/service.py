"""Conflict checks before a contract award (and for recruitment or anything else), kept as evidence
with their resolution; meeting checks for the minutes; the related party transactions a check
opens, which the Director of Finance and Governance keeps up to date for the DfE and the accounts.

Sources: the Academy Trust Handbook (a related party transaction is declared to the DfE before it
is agreed; one over £40,000, or novel or contentious, needs its prior approval; supplied at no more
than cost) and the codes of conduct in the seeds (a conflicted trustee declares and withdraws).
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import policy
from app.audit import service as audit_service
from app.auth.actor import Actor
from app.conflicts import matcher
from app.conflicts.models import ConflictCheck, ConflictMatch, MeetingCheck, RelatedPartyTransaction
from app.conflicts.schemas import (
    CheckContext,
    ConflictCheckCreate,
    ConflictCheckRead,
    DfeDecision,
    MatchRead,
    MeetingCheckCreate,
    MeetingCheckRead,
    Outcome,
    RelatedPartyRead,
    RelatedPartyUpdate,
    ResolutionCreate,
)
from app.core import clock, money
from app.core.errors import Conflict, NotFound, Unprocessable
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.people.models import Person
from app.trust_settings import service as trust_settings

# ---------------------------------------------------------------- conflict checks


def _matches_view(check: ConflictCheck, matches: list[ConflictMatch]) -> list[dict[str, Any]]:
    return [
        {"person_id": m.person_id, "interest_id": m.interest_id, "score": m.score, "reason": m.reason}
        for m in matches
    ]


async def create_check(session: AsyncSession, actor: Actor, data: ConflictCheckCreate) -> ConflictCheck:
    """Search first (reads only), then store the check and what it found in one short write."""
    query = matcher.Query.of(data.counterparty_name, data.company_number)
    if not query.key and not query.company_number:
        raise Unprocessable(
            "counterparty_name has no letters or digits left to match once legal suffixes are set aside; "
            "give the name as usually written, or a company_number",
            loc=("body", "counterparty_name"),
        )
    settings = await trust_settings.current(session)
    threshold = settings.conflict_similarity_threshold
    as_of = data.as_of or clock.today()
    found = await matcher.search(session, query, as_of, threshold)
    now = clock.now()
    check = ConflictCheck(
        id=uuid.uuid4(), counterparty_name=data.counterparty_name, counterparty_key=query.key,
        counterparty_folded=data.counterparty_name.casefold(),
        company_number=data.company_number, context=data.context.value, reference=data.reference,
        value_pence=None if data.value_gbp is None else money.to_pence(data.value_gbp), as_of=as_of,
        similarity_threshold=threshold, checked_by=actor.id, checked_at=now, created_at=now,
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
        for position, f in enumerate(found)
    ]
    session.add(check)
    await session.flush()
    session.add_all(matches)
    await session.flush()
    await audit_service.record(
        session, actor, "conflict_check.created", check,
        after={**check.audit_view(), "matches": _matches_view(check, matches)},
    )  # fmt: skip
    return check


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
    return await _open_rpt(session, actor, check, chosen, data.note)


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


# ---------------------------------------------------------------- related party transactions


def _approval_required(value_pence: int | None, novel: bool, threshold_pence: int) -> bool:
    """The Academy Trust Handbook: the DfE's prior approval for a single transaction over the
    threshold, or one that is novel or contentious, whatever its value."""
    return novel or (value_pence is not None and value_pence > threshold_pence)


async def _open_rpt(
    session: AsyncSession, actor: Actor, check: ConflictCheck, match: ConflictMatch, note: str | None
) -> RelatedPartyTransaction:
    settings = await trust_settings.current(session)
    required = _approval_required(check.value_pence, False, settings.rpt_approval_threshold_pence)
    now = clock.now()
    rpt = RelatedPartyTransaction(
        id=uuid.uuid4(), conflict_check_id=check.id, counterparty_name=check.counterparty_name,
        company_number=check.company_number, person_id=match.person_id, interest_id=match.interest_id,
        description=note, value_pence=check.value_pence, novel_or_contentious=False,
        dfe_approval_required=required,
        dfe_decision=(DfeDecision.AWAITING if required else DfeDecision.NOT_REQUIRED).value,
        declared_to_dfe_on=None, dfe_reference=None, at_cost_assurance_received=False, created_by=actor.id,
        created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(rpt)
    await session.flush()
    await audit_service.record(session, actor, "related_party_transaction.opened", rpt)
    return rpt


def rpt_view(rpt: RelatedPartyTransaction) -> RelatedPartyRead:
    fields = {name: getattr(rpt, name) for name in RelatedPartyRead.model_fields if name != "value_gbp"}
    fields["value_gbp"] = None if rpt.value_pence is None else money.from_pence(rpt.value_pence)
    return RelatedPartyRead.model_validate(fields)


async def get_rpt(session: AsyncSession, rpt_id: uuid.UUID) -> RelatedPartyTransaction:
    rpt = await session.get(RelatedPartyTransaction, rpt_id)
    if rpt is None:
        raise NotFound("related party transaction")
    return rpt


async def rpt_to_keep(session: AsyncSession, actor: Actor, rpt_id: uuid.UUID) -> RelatedPartyTransaction:
    rpt = await get_rpt(session, rpt_id)
    policy.ensure_not_party(actor, {rpt.person_id}, "keep the record of a related party transaction")
    return rpt


async def update_rpt(
    session: AsyncSession, actor: Actor, rpt: RelatedPartyTransaction, data: RelatedPartyUpdate
) -> RelatedPartyTransaction:
    """Only the fields sent change; whether the DfE must approve follows the value and the flag, and
    the decision follows it while nobody has recorded one (awaiting <-> not_required)."""
    changes = data.changes()
    for name in ("novel_or_contentious", "at_cost_assurance_received", "dfe_decision"):
        if name in changes and changes[name] is None:
            raise Unprocessable(f"{name} may not be null", loc=("body", name))
    before = rpt.audit_view()
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if name == "value_gbp":
            values["value_pence"] = None if value is None else money.to_pence(value)
        elif name == "dfe_decision":
            values[name] = DfeDecision(value).value
        else:
            values[name] = value
    settings = await trust_settings.current(session)
    value_pence = values.get("value_pence", rpt.value_pence)
    novel = values.get("novel_or_contentious", rpt.novel_or_contentious)
    required = _approval_required(value_pence, novel, settings.rpt_approval_threshold_pence)
    values["dfe_approval_required"] = required
    decision = DfeDecision(values.get("dfe_decision", rpt.dfe_decision))
    if "dfe_decision" not in changes:
        if required and decision is DfeDecision.NOT_REQUIRED:
            decision = DfeDecision.AWAITING
        elif not required and decision is DfeDecision.AWAITING:
            decision = DfeDecision.NOT_REQUIRED
    elif required and decision is DfeDecision.NOT_REQUIRED:
        raise Unprocessable(
            "the DfE's approval is required (over the threshold, or novel or contentious): its decision "
            "is awaiting, approved or refused",
            loc=("body", "dfe_decision"),
        )
    if (
        decision in (DfeDecision.APPROVED, DfeDecision.REFUSED)
        and values.get("declared_to_dfe_on", rpt.declared_to_dfe_on) is None
    ):
        raise Unprocessable(
            "the DfE decides only what was declared to it: give declared_to_dfe_on",
            loc=("body", "declared_to_dfe_on"),
        )
    values["dfe_decision"] = decision.value
    values["updated_at"] = clock.now()
    await session.execute(
        update(RelatedPartyTransaction)
        .where(RelatedPartyTransaction.id == rpt.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(rpt)
    await audit_service.record(session, actor, "related_party_transaction.updated", rpt, before=before)
    return rpt


@dataclass(frozen=True)
class RptFilter:
    dfe_decision: DfeDecision | None = None
    dfe_approval_required: bool | None = None
    person_id: uuid.UUID | None = None

    def apply(self, statement: Select[Any]) -> Select[Any]:
        if self.dfe_decision is not None:
            statement = statement.where(RelatedPartyTransaction.dfe_decision == self.dfe_decision.value)
        if self.dfe_approval_required is not None:
            statement = statement.where(
                RelatedPartyTransaction.dfe_approval_required.is_(self.dfe_approval_required)
            )
        if self.person_id is not None:
            statement = statement.where(RelatedPartyTransaction.person_id == self.person_id)
        return statement


async def list_rpts(
    session: AsyncSession, filters: RptFilter, page: PageParams
) -> tuple[list[RelatedPartyTransaction], int]:
    statement = filters.apply(select(RelatedPartyTransaction))
    return await paginate(
        session, statement, page, RelatedPartyTransaction.created_at.desc(), RelatedPartyTransaction.id
    )


async def all_rpts(session: AsyncSession, filters: RptFilter) -> list[RelatedPartyTransaction]:
    statement = filters.apply(select(RelatedPartyTransaction)).order_by(
        RelatedPartyTransaction.created_at, RelatedPartyTransaction.id
    )
    return list(await session.scalars(statement))


# ---------------------------------------------------------------- meeting checks


async def create_meeting_check(session: AsyncSession, actor: Actor, data: MeetingCheckCreate) -> MeetingCheck:
    """For each agenda item, which attendees have an interest open on the meeting's day in one of
    its counterparties: one entry per person (their strongest match), by name."""
    attendees = list(dict.fromkeys(data.attendee_ids))
    known = set(await session.scalars(select(Person.id).where(Person.id.in_(attendees))))
    for index, person_id in enumerate(data.attendee_ids):
        if person_id not in known:
            raise Unprocessable(f"no person has the id {person_id}", loc=("body", "attendee_ids", index))
    settings = await trust_settings.current(session)
    threshold = settings.conflict_similarity_threshold
    items: list[dict[str, Any]] = []
    for item in data.agenda_items:
        best: dict[uuid.UUID, tuple[matcher.Found, str]] = {}
        for counterparty in item.counterparties:
            query = matcher.Query.of(counterparty)
            for found in await matcher.search(session, query, data.meeting_date, threshold, attendees):
                person_id = found.interest.person_id
                if person_id not in best or _stronger(found, best[person_id][0]):
                    best[person_id] = (found, counterparty)
        withdrawing = sorted(
            best.values(), key=lambda pair: (pair[0].person_name.casefold(), str(pair[0].interest.person_id))
        )
        items.append(
            {
                "title": item.title,
                "counterparties": list(item.counterparties),
                "must_withdraw": [
                    {
                        "person_id": str(f.interest.person_id),
                        "person_name": f.person_name,
                        "interest_id": str(f.interest.id),
                        "organisation_name": f.interest.organisation_name,
                        "counterparty": counterparty,
                        "score": f.score,
                        "reason": f.reason.value,
                    }
                    for f, counterparty in withdrawing
                ],
            }
        )
    now = clock.now()
    check = MeetingCheck(
        id=uuid.uuid4(), meeting_title=data.meeting_title, meeting_date=data.meeting_date,
        attendee_ids=[str(a) for a in attendees], items=items, similarity_threshold=threshold,
        checked_by=actor.id, checked_at=now, created_at=now,
    )  # fmt: skip
    session.add(check)
    await session.flush()
    await audit_service.record(session, actor, "meeting_conflict_check.created", check)
    return check


def _stronger(a: matcher.Found, b: matcher.Found) -> bool:
    order = {matcher.Reason.COMPANY_NUMBER: 0, matcher.Reason.EXACT_NAME: 1, matcher.Reason.SIMILAR_NAME: 2}
    return (order[a.reason], -a.score) < (order[b.reason], -b.score)


def meeting_view(check: MeetingCheck) -> MeetingCheckRead:
    return MeetingCheckRead.model_validate(check, from_attributes=True)


async def get_meeting_check(session: AsyncSession, check_id: uuid.UUID) -> MeetingCheck:
    check = await session.get(MeetingCheck, check_id)
    if check is None:
        raise NotFound("meeting conflict check")
    return check


async def list_meeting_checks(
    session: AsyncSession, date_from: date | None, date_to: date | None, page: PageParams
) -> tuple[list[MeetingCheck], int]:
    statement = select(MeetingCheck)
    if date_from is not None:
        statement = statement.where(MeetingCheck.meeting_date >= date_from)
    if date_to is not None:
        statement = statement.where(MeetingCheck.meeting_date <= date_to)
    return await paginate(
        session,
        statement,
        page,
        MeetingCheck.meeting_date.desc(),
        MeetingCheck.checked_at.desc(),
        MeetingCheck.id,
    )
