"""The trust's policy values: read by everyone, changed by the governance clerk, every change audited."""

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.auth.actor import Actor
from app.core import clock, money
from app.core.errors import Unprocessable
from app.core.settings import get_settings
from app.trust_settings.models import TrustSettings
from app.trust_settings.schemas import TrustSettingsRead, TrustSettingsUpdate


async def current(session: AsyncSession) -> TrustSettings:
    """The one row the migration made."""
    found = await session.get(TrustSettings, 1)
    assert found is not None, "trust_settings has no row: the database is not migrated"
    return found


def view(row: TrustSettings) -> TrustSettingsRead:
    return TrustSettingsRead(
        trust_name=trust_name_of(row),
        gift_token_limit_gbp=money.from_pence(row.gift_token_limit_pence),
        conflict_similarity_threshold=row.conflict_similarity_threshold,
        rpt_approval_threshold_gbp=money.from_pence(row.rpt_approval_threshold_pence),
    )


def trust_name_of(row: TrustSettings) -> str:
    """The trust's name as set here; until it is, PROBITY_TRUST_NAME's (where older installs set it)."""
    return trust_name_or_default(row.trust_name)


def trust_name_or_default(name: str | None) -> str:
    return name or get_settings().trust_name


async def update(session: AsyncSession, actor: Actor, data: TrustSettingsUpdate) -> TrustSettingsRead:
    """Only the values sent change (null is refused); a change, and who made it, is audited."""
    changes = data.changes()
    for name, value in changes.items():
        if value is None:
            raise Unprocessable(f"{name} may not be null", loc=("body", name))
    row = await current(session)
    before = row.audit_view()
    for name, value in changes.items():
        if isinstance(value, Decimal):
            setattr(row, name.removesuffix("_gbp") + "_pence", money.to_pence(value))
        else:
            setattr(row, name, value)
    if row.audit_view() == before:
        return view(row)  # nothing changed: nothing to stamp or audit
    row.updated_by, row.updated_at = actor.id, clock.now()
    await session.flush()
    await audit_service.record(session, actor, "settings.updated", row, before=before)
    return view(row)
