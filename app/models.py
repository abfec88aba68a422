"""Every table, imported in one place so Alembic sees the whole schema."""

from app.audit.models import AuditChainHead, AuditEvent
from app.auth.models import LoginThrottle
from app.conflicts.models import (
    ConflictCheck,
    ConflictMatch,
    MeetingCheck,
    RecordConflict,
    RelatedPartyTransaction,
)
from app.core.db import Base
from app.declarations.models import Declaration, DeclarationCycle
from app.gifts.models import Gift
from app.hospitality.models import HospitalityRequest
from app.interests.models import Interest, InterestNameToken, NameKeyState
from app.notifications.models import Notification
from app.paid_work.models import PaidWork
from app.people.models import Appointment, Person, PersonRole, School
from app.trust_settings.models import TrustSettings

metadata = Base.metadata

__all__ = [
    "Appointment",
    "AuditChainHead",
    "AuditEvent",
    "ConflictCheck",
    "ConflictMatch",
    "Declaration",
    "DeclarationCycle",
    "Gift",
    "HospitalityRequest",
    "Interest",
    "InterestNameToken",
    "LoginThrottle",
    "MeetingCheck",
    "NameKeyState",
    "Notification",
    "PaidWork",
    "Person",
    "PersonRole",
    "RecordConflict",
    "RelatedPartyTransaction",
    "School",
    "TrustSettings",
    "metadata",
]
