"""Authorisation as data: roles, permissions, and the one table that maps one to the other."""

from enum import StrEnum


class Role(StrEnum):
    """Extra roles a person may hold; every person is a declarant whatever their roles."""

    CEO = "ceo"  # Chief Executive, the accounting officer
    COO = "coo"
    CHAIR = "chair"  # Chair of Trustees
    VICE_CHAIR = "vice_chair"
    FINANCE_DIRECTOR = "finance_director"  # Director of Finance and Governance
    HR_DIRECTOR = "hr_director"
    HEADTEACHER = "headteacher"
    GOVERNANCE_ADMIN = "governance_admin"  # keeps the register
    AUDITOR = "auditor"  # reads everything, changes nothing


class GovernanceRole(StrEnum):
    """What a person is in the trust's governance; held through appointments."""

    MEMBER = "member"
    TRUSTEE = "trustee"
    LOCAL_GOVERNOR = "local_governor"
    ACCOUNTING_OFFICER = "accounting_officer"
    STAFF = "staff"


class Permission(StrEnum):
    PUBLIC = "public"  # no login at all
    SIGNED_IN = "signed_in"  # any active person (a declarant)
    SCHOOLS_READ = "schools:read"
    SCHOOLS_WRITE = "schools:write"
    PEOPLE_READ = "people:read"  # the people one may see (oneself at least)
    PEOPLE_READ_ALL = "people:read_all"
    PEOPLE_WRITE = "people:write"
    AUDIT_READ = "audit:read"


# What every signed-in person may do, whatever their roles.
DECLARANT_PERMISSIONS = frozenset({Permission.SIGNED_IN, Permission.SCHOOLS_READ, Permission.PEOPLE_READ})

# Deciders need to see who the people are whose records they decide.
_DECIDER = frozenset({Permission.PEOPLE_READ_ALL})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CEO: _DECIDER,
    Role.COO: _DECIDER,
    Role.CHAIR: _DECIDER,
    Role.VICE_CHAIR: _DECIDER,
    Role.FINANCE_DIRECTOR: _DECIDER,
    Role.HR_DIRECTOR: _DECIDER,
    Role.HEADTEACHER: _DECIDER,
    Role.GOVERNANCE_ADMIN: frozenset(
        {
            Permission.SCHOOLS_WRITE,
            Permission.PEOPLE_READ_ALL,
            Permission.PEOPLE_WRITE,
            Permission.AUDIT_READ,
        }
    ),
    Role.AUDITOR: frozenset({Permission.PEOPLE_READ_ALL, Permission.AUDIT_READ}),
}


def permissions_of(roles: frozenset[Role]) -> frozenset[Permission]:
    """Everything a person with these roles may do."""
    granted = set(DECLARANT_PERMISSIONS)
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
