"""What a person is in the trust's governance: held through appointments, published in the register."""

from enum import StrEnum


class GovernanceRole(StrEnum):
    MEMBER = "member"
    TRUSTEE = "trustee"
    LOCAL_GOVERNOR = "local_governor"
    ACCOUNTING_OFFICER = "accounting_officer"
    STAFF = "staff"
