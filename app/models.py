"""Every table, imported in one place so Alembic sees the whole schema."""

from app.audit.models import AuditChainHead, AuditEvent
from app.auth.models import LoginThrottle
from app.core.db import Base
from app.declarations.models import Declaration, DeclarationCycle
from app.interests.models import Interest
from app.people.models import Appointment, Person, PersonRole, School

metadata = Base.metadata

__all__ = [
    "Appointment",
    "AuditChainHead",
    "AuditEvent",
    "Declaration",
    "DeclarationCycle",
    "Interest",
    "LoginThrottle",
    "Person",
    "PersonRole",
    "School",
    "metadata",
]
