"""What a person is in the trust's governance: held through appointments, published in the register."""

import uuid
from enum import StrEnum

from app.core.errors import Unprocessable


class GovernanceRole(StrEnum):
    MEMBER = "member"
    TRUSTEE = "trustee"
    LOCAL_GOVERNOR = "local_governor"
    ACCOUNTING_OFFICER = "accounting_officer"
    STAFF = "staff"


# Appointed to the trust itself, never to one of its schools.
TRUST_LEVEL = frozenset({GovernanceRole.MEMBER, GovernanceRole.TRUSTEE, GovernanceRole.ACCOUNTING_OFFICER})
LOCAL_GOVERNOR_NEEDS_A_SCHOOL = (
    "A local governor's appointment names its school: give school_id, or give the person a school first"
)


def appointment_school(
    role: GovernanceRole, given: uuid.UUID | None, person_school: uuid.UUID | None
) -> uuid.UUID | None:
    """The school an appointment names (422 when it cannot): a local governor's is the one given, else
    the person's, and it must have one; the trust-level roles name none; staff default to the person's.

    Every path that opens an appointment or changes its school asks this, the shorthand ones (a
    person's governance_roles, the import) with no school given."""
    if role in TRUST_LEVEL:
        if given is not None:
            raise Unprocessable(
                f"A {role.value.replace('_', ' ')} is appointed to the trust, not to a school: "
                "leave school_id out",
                loc=("body", "school_id"),
            )
        return None
    school = given or person_school
    if role is GovernanceRole.LOCAL_GOVERNOR and school is None:
        raise Unprocessable(LOCAL_GOVERNOR_NEEDS_A_SCHOOL, loc=("body", "school_id"))
    return school
