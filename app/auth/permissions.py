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


class Permission(StrEnum):
    PUBLIC = "public"  # no login at all
    SIGNED_IN = "signed_in"  # any active person (a declarant)
    SCHOOLS_READ = "schools:read"
    SCHOOLS_WRITE = "schools:write"
    PEOPLE_READ = "people:read"  # the people one may see (oneself at least)
    PEOPLE_READ_ALL = "people:read_all"
    PEOPLE_READ_SCHOOL = "people:read_school"  # the people of one's own school (a headteacher)
    PEOPLE_WRITE = "people:write"
    PEOPLE_IMPORT = "people:import"
    AUDIT_READ = "audit:read"
    INTERESTS_DECLARE = "interests:declare"  # one's own
    INTERESTS_READ_ALL = "interests:read_all"  # screening and the register's keepers
    ACT_FOR_ANYONE = "records:act_for_anyone"  # the clerk, declaring on someone's behalf
    CYCLES_READ = "declaration_cycles:read"
    CYCLES_WRITE = "declaration_cycles:write"
    CYCLES_STATUS = "declaration_cycles:status"
    DECLARATIONS_SUBMIT = "declarations:submit"
    DECLARATIONS_READ_ALL = "declarations:read_all"
    RECORDS_READ_ALL = "records:read_all"  # every gift, hospitality request and paid work
    SETTINGS_WRITE = "settings:write"
    CONFLICTS_CHECK = "conflict_checks:write"  # screen a counterparty or a meeting, resolve a check
    CONFLICTS_READ = "conflict_checks:read"
    RPT_KEEP = "related_party_transactions:write"  # the Director of Finance and Governance
    RPT_READ = "related_party_transactions:read"
    NOTIFICATIONS_READ = "notifications:read"  # the outbox: who was emailed what, and whether it went
    NOTIFICATIONS_RETRY = "notifications:retry"


# What every signed-in person may do, whatever their roles.
DECLARANT_PERMISSIONS = frozenset(
    {
        Permission.SIGNED_IN,
        Permission.SCHOOLS_READ,
        Permission.PEOPLE_READ,
        Permission.INTERESTS_DECLARE,
        Permission.CYCLES_READ,
        Permission.DECLARATIONS_SUBMIT,
    }
)

# Deciders need to see who the people are whose records they decide.
_DECIDER = frozenset({Permission.PEOPLE_READ_ALL})
# The Director of Finance and Governance (and the CEO, COO and Chair) screen interests, keep the
# evidence of each check and read the related party transactions a check opens.
_SCREENER = _DECIDER | {
    Permission.INTERESTS_READ_ALL,
    Permission.CONFLICTS_CHECK,
    Permission.CONFLICTS_READ,
    Permission.RPT_READ,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CEO: _SCREENER,
    Role.COO: _SCREENER,
    Role.CHAIR: _SCREENER,
    Role.VICE_CHAIR: _DECIDER,
    Role.FINANCE_DIRECTOR: _SCREENER | {Permission.RPT_KEEP},
    Role.HR_DIRECTOR: _DECIDER,
    # "Who sees what": a headteacher sees the people of their own school, not the whole trust.
    Role.HEADTEACHER: frozenset({Permission.PEOPLE_READ_SCHOOL}),
    Role.GOVERNANCE_ADMIN: frozenset(
        {
            Permission.SCHOOLS_WRITE,
            Permission.PEOPLE_READ_ALL,
            Permission.PEOPLE_WRITE,
            Permission.PEOPLE_IMPORT,
            Permission.AUDIT_READ,
            Permission.INTERESTS_READ_ALL,
            Permission.ACT_FOR_ANYONE,
            Permission.CYCLES_WRITE,
            Permission.CYCLES_STATUS,
            Permission.DECLARATIONS_READ_ALL,
            Permission.RECORDS_READ_ALL,
            Permission.SETTINGS_WRITE,
            Permission.CONFLICTS_CHECK,
            Permission.CONFLICTS_READ,
            Permission.RPT_READ,
            Permission.NOTIFICATIONS_READ,
            Permission.NOTIFICATIONS_RETRY,
        }
    ),
    Role.AUDITOR: frozenset(
        {
            Permission.RECORDS_READ_ALL,
            Permission.PEOPLE_READ_ALL,
            Permission.AUDIT_READ,
            Permission.INTERESTS_READ_ALL,
            Permission.CYCLES_STATUS,
            Permission.DECLARATIONS_READ_ALL,
            Permission.CONFLICTS_READ,
            Permission.RPT_READ,
            Permission.NOTIFICATIONS_READ,
        }
    ),
}


def permissions_of(roles: frozenset[Role]) -> frozenset[Permission]:
    """Everything a person with these roles may do."""
    granted = set(DECLARANT_PERMISSIONS)
    for role in roles:
        granted |= ROLE_PERMISSIONS[role]
    return frozenset(granted)
