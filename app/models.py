"""Every table, imported in one place so Alembic sees the whole schema."""

from app.audit.models import AuditChainHead, AuditEvent
from app.auth.models import LoginThrottle
from app.core.db import Base
from app.people.models import Appointment, Person, PersonRole, School

metadata = Base.metadata

__all__ = [
    "Appointment",
    "AuditChainHead",
    "AuditEvent",
    "LoginThrottle",
    "Person",
    "PersonRole",
    "School",
    "metadata",
]
