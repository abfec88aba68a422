"""The gifts register: every gift offered is recorded, accepted or declined; only small tokens are
accepted without review (The Learning Alliance code of conduct: "only small tokens or gestures";
advice from the Director of HR or of Finance and Governance)."""

import hashlib
import uuid
from datetime import date, timedelta

from sqlalchemy import Select, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.approvals import records
from app.approvals.policy import Kind
from app.approvals.queue import QueueSource, Waiting
from app.approvals.workflow import Workflow, decide
from app.auth.actor import Actor
from app.core import clock, money
from app.core.errors import Unprocessable
from app.core.pagination import paginate
from app.core.schemas import PageParams
from app.gifts.models import Gift
from app.gifts.schemas import GiftCreate, GiftFlag, GiftRead, GiftStatus
from app.notifications import service as notifications_service
from app.people import service as people_service
from app.people.schools import school_key
from app.trust_settings import service as trust_settings

WORKFLOW = Workflow(
    Kind.GIFT,
    "gift",
    {
        (GiftStatus.PENDING_REVIEW, "approved"): GiftStatus.APPROVED,
        (GiftStatus.PENDING_REVIEW, "rejected"): GiftStatus.REJECTED,
    },
)
# "In the 365 days up to its offered_on": that day and the 364 before it.
YEAR = timedelta(days=364)


def donor_key(donor_name: str, donor_organisation: str | None) -> str:
    """The same donor: the same organisation when one is given, else the same name, either way
    compared without regard to case or spacing."""
    if donor_organisation:
        return "organisation:" + school_key(donor_organisation)
    return "name:" + school_key(donor_name)


def view(gift: Gift) -> GiftRead:
    return GiftRead.model_validate(
        {**{name: getattr(gift, name) for name in GiftRead.model_fields if name != "value_gbp"},
         "value_gbp": money.from_pence(gift.value_pence)}
    )  # fmt: skip


async def _donor_total(session: AsyncSession, key: str, offered_on: date) -> int:
    """The donor's accepted, not rejected gifts offered in the 12 months up to the day, in pence."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Gift.value_pence), 0)).where(
            Gift.donor_key == key,
            Gift.accepted.is_(True),
            Gift.status != GiftStatus.REJECTED,
            Gift.offered_on.between(offered_on - YEAR, offered_on),
        )
    )
    return int(total or 0)


async def _serialise_donor(session: AsyncSession, key: str) -> None:
    """Two gifts from one donor recorded at once must not both fit under the limit. SQLite's write
    lock already serialises them; on PostgreSQL a transaction lock on the donor does."""
    if session.get_bind().dialect.name == "postgresql":
        lock = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        await session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})


async def _status_and_flags(
    session: AsyncSession, gift: GiftCreate, key: str, offered_on: date
) -> tuple[GiftStatus, list[GiftFlag]]:
    """Declined: recorded. Accepted cash: always reviewed. Accepted otherwise: recorded while it and
    the donor's other gifts of 12 months stay within the trust's token limit, else reviewed."""
    flags = [GiftFlag.CASH] if gift.is_cash else []
    if not gift.accepted:
        return GiftStatus.RECORDED, flags
    if gift.is_cash:
        return GiftStatus.PENDING_REVIEW, flags
    limit = (await trust_settings.current(session)).gift_token_limit_pence
    if await _donor_total(session, key, offered_on) + money.to_pence(gift.value_gbp) <= limit:
        return GiftStatus.RECORDED, flags
    return GiftStatus.PENDING_REVIEW, [*flags, GiftFlag.OVER_TOKEN_LIMIT]


async def record(session: AsyncSession, actor: Actor, data: GiftCreate) -> Gift:
    """Record a gift offered (one's own; the clerk may record for anyone)."""
    person_id = await people_service.declarant_for(session, actor, data.person_id)
    key = donor_key(data.donor_name, data.donor_organisation)
    offered_on = data.offered_on or clock.today()
    if offered_on > clock.today():
        # A gift is recorded once offered: a date ahead would sit outside every 12 months counted so far.
        raise Unprocessable("offered_on may not be in the future", loc=("body", "offered_on"))
    await _serialise_donor(session, key)
    status, flags = await _status_and_flags(session, data, key, offered_on)
    gift = Gift(
        id=uuid.uuid4(), person_id=person_id, donor_name=data.donor_name,
        donor_organisation=data.donor_organisation or None, donor_key=key, description=data.description,
        value_pence=money.to_pence(data.value_gbp), offered_on=offered_on, accepted=data.accepted,
        is_cash=data.is_cash, status=status, flags=flags,
    )  # fmt: skip
    await records.add(session, actor, gift, "gift.recorded")
    if gift.status == GiftStatus.PENDING_REVIEW:
        await notifications_service.approval_requested(session, Kind.GIFT, gift)
    return gift


async def get(session: AsyncSession, actor: Actor, gift_id: uuid.UUID) -> Gift:
    return await records.get(session, Kind.GIFT, Gift, actor, gift_id)


def _listed(actor: Actor, filters: records.RecordFilter) -> Select[Gift]:
    return filters.apply(records.readable(Kind.GIFT, Gift, actor), Gift, Gift.offered_on)


async def list_gifts(
    session: AsyncSession, actor: Actor, filters: records.RecordFilter, page: PageParams
) -> tuple[list[Gift], int]:
    return await paginate(session, _listed(actor, filters), page, Gift.submitted_at.desc(), Gift.id)


async def register(session: AsyncSession, actor: Actor, filters: records.RecordFilter) -> list[Gift]:
    """Every gift the filters pick, oldest offer first: the register for the board pack."""
    records.ensure_keeps_register(Kind.GIFT, actor, "gifts")
    return list(
        await session.scalars(_listed(actor, filters).order_by(Gift.offered_on, Gift.submitted_at, Gift.id))
    )


async def to_decide(session: AsyncSession, actor: Actor, gift_id: uuid.UUID) -> Gift:
    return await records.to_decide(session, Kind.GIFT, Gift, actor, gift_id)


async def decide_gift(
    session: AsyncSession, actor: Actor, gift: Gift, approve: bool, note: str | None
) -> Gift:
    """The Director of HR or of Finance and Governance (never the recipient) decides a gift waiting
    for review; a rejected gift is to be returned or donated."""
    await decide(session, actor, WORKFLOW, gift, "approved" if approve else "rejected", note)
    return gift


def _summary(item: Waiting) -> str:
    amount = money.text(money.from_pence(item.amount_pence or 0))
    return f"Gift from {item.label}: {item.detail} (£{amount})"


QUEUE = QueueSource(
    kind=Kind.GIFT,
    model=Gift,
    pending=GiftStatus.PENDING_REVIEW,
    columns=lambda: {
        "label": func.coalesce(Gift.donor_organisation, Gift.donor_name),
        "detail": func.substr(Gift.description, 1, 80),
        "amount_pence": Gift.value_pence,
        "on_date": Gift.offered_on,
    },
    summary=_summary,
    view=view,
    decide=decide_gift,
)
