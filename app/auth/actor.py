"""The signed-in person as services and the approval policy see them: plain data, no web framework."""

import uuid
from dataclasses import dataclass, field

from app.auth.permissions import Permission, Role
from app.people.governance import GovernanceRole


@dataclass(frozen=True)
class Actor:
    id: uuid.UUID
    email: str
    full_name: str
    school_id: uuid.UUID | None
    roles: frozenset[Role]
    governance_roles: frozenset[GovernanceRole]
    permissions: frozenset[Permission] = field(default=frozenset())

    def has(self, permission: Permission) -> bool:
        return permission in self.permissions
