"""Records that exist before a request, whose ids fill the paths of the authorisation matrix
(tests/test_authorisation.py) and of the browser tests' tour of every page (tests/browser)."""

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Role
from app.conflicts import checks, meetings
from app.conflicts.schemas import (
    AgendaItem,
    CheckContext,
    ConflictCheckCreate,
    MeetingCheckCreate,
    Outcome,
    ResolutionCreate,
)
from app.declarations import service as declarations_service
from app.declarations.schemas import CycleCreate, DeclarationCreate
from app.gifts import service as gifts_service
from app.gifts.schemas import GiftCreate
from app.hospitality import service as hospitality_service
from app.hospitality.schemas import HospitalityCreate, InvitationType
from app.interests import service as interests_service
from app.interests.schemas import InterestCategory, InterestCreate
from app.notifications.models import Notification
from app.paid_work import service as paid_work_service
from app.paid_work.schemas import PaidWorkCreate
from app.people.governance import GovernanceRole
from app.people.models import Appointment
from tests.factories import make_person, make_school, system_actor


@dataclass(frozen=True)
class Records:
    """Records that exist before the request, whose ids fill the path."""

    school_id: uuid.UUID
    school_slug: str
    person_id: uuid.UUID
    person_email: str
    appointment_id: uuid.UUID
    interest_id: uuid.UUID
    cycle_id: uuid.UUID
    declaration_id: uuid.UUID
    gift_id: uuid.UUID
    hospitality_request_id: uuid.UUID
    paid_work_id: uuid.UUID
    check_id: uuid.UUID  # an open conflict check that found the trustee's interest
    meeting_check_id: uuid.UUID
    rpt_id: uuid.UUID  # opened by resolving another check
    notification_id: uuid.UUID  # a notification that failed after its last attempt

    def path(self, template: str) -> str:
        """A route's path template with these records' ids in it."""
        return template.format(
            school_id=self.school_id,
            person_id=self.person_id,
            appointment_id=self.appointment_id,
            interest_id=self.interest_id,
            cycle_id=self.cycle_id,
            declaration_id=self.declaration_id,
            gift_id=self.gift_id,
            request_id=self.hospitality_request_id,
            paid_work_id=self.paid_work_id,
            check_id=self.check_id,
            meeting_check_id=self.meeting_check_id,
            rpt_id=self.rpt_id,
            notification_id=self.notification_id,
            asset="probity.css" if template.startswith("/static/") else "swagger-ui.css",
            slug=self.school_slug,
        )


async def build_records(session: AsyncSession) -> Records:
    """A trustee with an appointment, an interest and a declaration in an open cycle; a central staff
    member's paid work."""
    school = await make_school(session)
    person = await make_person(session, governance_roles=(GovernanceRole.TRUSTEE,), school_id=school.id)
    appointment_id = await session.scalar(select(Appointment.id).where(Appointment.person_id == person.id))
    assert appointment_id is not None
    clerk = system_actor()
    interest = await interests_service.create(
        session,
        clerk,
        InterestCreate(
            person_id=person.id, category=InterestCategory.DIRECTORSHIP, organisation_name="Acme Ltd"
        ),
    )
    cycle = await declarations_service.open_cycle(
        session,
        clerk,
        CycleCreate(name="2026-27", due_on=date(2027, 3, 31), governance_roles=[GovernanceRole.TRUSTEE]),
    )
    declaration = await declarations_service.submit(
        session,
        clerk,
        DeclarationCreate(
            cycle_id=cycle.id, nil_return=False, code_of_conduct_accepted=True, person_id=person.id
        ),
    )
    gift = await gifts_service.record(
        session,
        clerk,
        GiftCreate(
            person_id=person.id,
            donor_name="Sam Supplier",
            description="A hamper",
            value_gbp=Decimal("80"),
            accepted=True,
        ),
    )
    hospitality = await hospitality_service.submit(
        session,
        clerk,
        HospitalityCreate(
            person_id=person.id,
            provider_name="Pat Provider",
            event_description="Dinner",
            event_date=date(2099, 6, 1),
            estimated_value_gbp=Decimal(40),
            invitation_type=InvitationType.CORPORATE,
            business_justification="Meeting partners",
        ),
    )
    central = await make_person(session)
    paid_work = await paid_work_service.submit(
        session,
        clerk,
        PaidWorkCreate(person_id=central.id, employer="Riverside College", role="Tutor", hours_per_week=4),
    )
    # A check's checker is a person on the register (the evidence names them): a real clerk.
    keeper = await make_person(session, Role.GOVERNANCE_ADMIN)
    screener = dataclasses.replace(clerk, id=keeper.id)
    acme = ConflictCheckCreate(counterparty_name="Acme", context=CheckContext.CONTRACT_AWARD)
    check, _ = await checks.store(session, screener, acme, await checks.find(session, acme))
    rpt_check, _ = await checks.store(session, screener, acme, await checks.find(session, acme))
    rpt = await checks.resolve(
        session,
        screener,
        rpt_check,
        ResolutionCreate(outcome=Outcome.RELATED_PARTY_TRANSACTION, note="The trustee directs Acme"),
    )
    assert rpt is not None
    board = MeetingCheckCreate(
        meeting_title="Board",
        meeting_date=date(2026, 12, 1),
        attendee_ids=[person.id],
        agenda_items=[AgendaItem(title="Estates", counterparties=["Acme"])],
    )
    meeting = await meetings.store(session, screener, board, *await meetings.find(session, board))
    # The trustee was emailed when the cycle opened; say that email failed for good.
    notification_id = await session.scalar(
        select(Notification.id).where(
            Notification.person_id == person.id, Notification.kind == "cycle_opened"
        )
    )
    assert notification_id is not None
    await session.execute(
        update(Notification).where(Notification.id == notification_id).values(status="failed")
    )
    return Records(
        school_id=school.id,
        school_slug=school.slug,
        person_id=person.id,
        person_email=person.email,
        appointment_id=appointment_id,
        interest_id=interest.id,
        cycle_id=cycle.id,
        declaration_id=declaration.id,
        gift_id=gift.id,
        hospitality_request_id=hospitality.id,
        paid_work_id=paid_work.id,
        check_id=check.id,
        meeting_check_id=meeting.id,
        rpt_id=rpt.id,
        notification_id=notification_id,
    )
