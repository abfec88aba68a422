"""Related party transactions: opened by resolving a conflict check, kept up to date by the Director
of Finance and Governance for the DfE and the annual accounts.

The Academy Trust Handbook: every transaction with a related party is declared to the DfE before it
is agreed; the DfE's prior approval is needed for one over £40,000 (the trust's
`rpt_approval_threshold_gbp`, a single transaction, as the contract says) or one that is novel or
contentious; the related party supplies at no more than cost.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import policy
from app.audit import service as audit_service
from app.auth.actor import Actor
from app.conflicts.models import ConflictCheck, ConflictMatch, RelatedPartyTransaction
from app.conflicts.schemas import DfeDecision, RelatedPartyRead, RelatedPartyUpdate
from app.core import clock, money
from app.core.db import chunks
from app.core.errors import NotFound, Unprocessable
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.interests.models import Interest
from app.trust_settings import service as trust_settings


def _approval_required(value_pence: int | None, novel: bool, threshold_pence: int) -> bool:
    """The Academy Trust Handbook: the DfE's prior approval for a single transaction over the
    threshold, or one that is novel or contentious, whatever its value."""
    return novel or (value_pence is not None and value_pence > threshold_pence)


async def open_for(
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
    for name in ("counterparty_name", "novel_or_contentious", "at_cost_assurance_received", "dfe_decision"):
        if name in changes and changes[name] is None:
            raise Unprocessable(f"{name} may not be null", loc=("body", name))
    declared = changes.get("declared_to_dfe_on")
    if declared is not None and declared > clock.today():
        raise Unprocessable("declared_to_dfe_on is in the future", loc=("body", "declared_to_dfe_on"))
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


async def interests_of(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, Interest]:
    """The related persons' interests, by id (the relationship the accounts disclose)."""
    found: dict[uuid.UUID, Interest] = {}
    for chunk in chunks(sorted(ids)):
        rows = await session.scalars(select(Interest).where(Interest.id.in_(chunk)))
        found.update({interest.id: interest for interest in rows})
    return found


async def all_rpts(session: AsyncSession, filters: RptFilter) -> list[RelatedPartyTransaction]:
    statement = filters.apply(select(RelatedPartyTransaction)).order_by(
        RelatedPartyTransaction.created_at, RelatedPartyTransaction.id
    )
    return list(await session.scalars(statement))
