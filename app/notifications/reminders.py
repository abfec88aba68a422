"""Declaration reminders: 14 days and 3 days before a cycle is due, then every 7 days while it is
overdue (7, 14, 21... days after its due date), to each active person in its scope who has not
declared; at most one per person per cycle per day, however often it runs (a unique key, so two runs
at once cannot both add one). A cycle's reminders stop once a later cycle covering any of its
governance roles has opened (otherwise the overdue ones would never end)."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.declarations import service as declarations_service
from app.declarations.models import DeclarationCycle
from app.notifications import emails
from app.notifications import service as notifications_service
from app.notifications.models import Notification
from app.notifications.schemas import NotificationKind

DAYS_BEFORE = (14, 3)
OVERDUE_EVERY = 7


def reminder_day(due_on: date, today: date) -> bool:
    """Whether a cycle due on `due_on` sends its reminders today."""
    ahead = (due_on - today).days
    return ahead in DAYS_BEFORE or (ahead < 0 and -ahead % OVERDUE_EVERY == 0)


def when(due_on: date, today: date) -> str:
    ahead = (due_on - today).days
    return "tomorrow" if ahead == 1 else f"in {ahead} days"


async def send_reminders(session: AsyncSession) -> int:
    """Queue today's reminders (the trust's date) in the caller's transaction; returns how many were
    added (none for anyone already reminded today about that cycle)."""
    today = clock.today()
    cycles = await session.scalars(
        select(DeclarationCycle)
        .where(DeclarationCycle.opens_on <= today)
        .order_by(DeclarationCycle.due_on, DeclarationCycle.id)
    )
    opened = list(cycles)
    added = 0
    for cycle in opened:
        if reminder_day(cycle.due_on, today) and not superseded(cycle, opened):
            added += await _remind(session, cycle, today)
    return added


def superseded(cycle: DeclarationCycle, opened: list[DeclarationCycle]) -> bool:
    """Whether a later cycle (a later opens_on, already open) covers any of this one's governance
    roles: its people are asked to declare there, so this one's reminders stop."""
    roles = set(cycle.governance_roles)
    return any(later.opens_on > cycle.opens_on and roles & set(later.governance_roles) for later in opened)


async def _remind(session: AsyncSession, cycle: DeclarationCycle, today: date) -> int:
    already = set(
        await session.scalars(
            select(Notification.person_id).where(
                Notification.cycle_id == cycle.id, Notification.reminder_on == today
            )
        )
    )
    people = [p for p in await declarations_service.undeclared(session, cycle) if p not in already]
    overdue = today > cycle.due_on
    subject = (
        f"Overdue: your declaration of interests was due on {clock.in_words(cycle.due_on)}"
        if overdue
        else f"Reminder: your declaration of interests is due on {clock.in_words(cycle.due_on)}"
    )
    rows = await notifications_service.rows_for(
        session,
        NotificationKind.DECLARATION_REMINDER,
        subject,
        await notifications_service.recipients(session, people),
        reminder={"cycle_id": cycle.id, "reminder_on": today},
        cycle_name=cycle.name,
        due_on=clock.in_words(cycle.due_on),
        overdue=overdue,
        when="" if overdue else when(cycle.due_on, today),
        link=emails.link(notifications_service.CYCLE_PATH.format(id=cycle.id)),
    )
    if not rows:
        return 0
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    added = 0
    for start in range(0, len(rows), 500):
        # A row another run added meanwhile is skipped, not an error; RETURNING names only ours.
        statement = (
            insert(Notification)
            .on_conflict_do_nothing(index_elements=["person_id", "cycle_id", "reminder_on"])
            .returning(Notification.id)
        )
        added += len((await session.execute(statement, rows[start : start + 500])).all())
    return added
