"""Rows of the authorisation matrix for the declarants' pages (see tests/web_matrix/__init__.py)."""

from typing import Any

from app.auth.permissions import Role

# "Who sees what": the register's keepers, auditors and the screeners see everyone's interests;
# of them only the clerk ends someone else's.
_INTEREST_SCREENERS = frozenset(
    {Role.GOVERNANCE_ADMIN, Role.AUDITOR, Role.FINANCE_DIRECTOR, Role.CEO, Role.COO, Role.CHAIR}
)
# A decider also sees the open interests of whoever waits for their decision (the trustee's gift
# waits for the Directors of HR and of Finance), as the API's rows say.
_INTEREST_READERS = _INTEREST_SCREENERS | {Role.HR_DIRECTOR}
# As the API's rows: the hospitality deciders, the Vice Chair, the clerk and auditors see the trustee's
# request; only the requester withdraws it or says what happened (tests/test_authorisation.py).
_HOSPITALITY_READERS = frozenset(
    {Role.CEO, Role.COO, Role.CHAIR, Role.VICE_CHAIR, Role.GOVERNANCE_ADMIN, Role.AUDITOR}
)
_NOBODY_ELSE: frozenset[Role] = frozenset()

PAGES: dict[tuple[str, str], Any] = {
    ("GET", "/interests"): "signed_in",
    ("GET", "/interests/new"): "signed_in",
    ("POST", "/interests/new"): "signed_in",
    ("POST", "/interests/{interest_id}/end"): "signed_in",
    # Every caller of the matrix is a trustee in the open cycle who has not declared in it yet.
    ("GET", "/declarations"): "signed_in",
    ("GET", "/declarations/{cycle_id}"): "signed_in",
    ("POST", "/declarations/{cycle_id}"): "signed_in",
    ("GET", "/gifts"): "signed_in",
    ("GET", "/gifts/new"): "signed_in",
    ("POST", "/gifts/new"): "signed_in",
    ("GET", "/hospitality"): "signed_in",
    ("GET", "/hospitality/new"): "signed_in",
    ("POST", "/hospitality/new"): "signed_in",
    ("POST", "/hospitality/{request_id}/withdraw"): "signed_in",
    ("GET", "/hospitality/{request_id}/outcome"): "signed_in",
    ("POST", "/hospitality/{request_id}/outcome"): "signed_in",
    ("GET", "/paid-work"): "signed_in",
    ("GET", "/paid-work/new"): "signed_in",
    ("POST", "/paid-work/new"): "signed_in",
}
BODIES: dict[tuple[str, str], tuple[str, Any]] = {
    ("POST", "/interests/new"): (
        "form",
        lambda r: {"category": "directorship", "organisation_name": "Acme Ltd"},
    ),
    ("POST", "/interests/{interest_id}/end"): ("form", lambda r: {}),
    # The matrix's callers hold no interests: a nil return is theirs to make.
    ("POST", "/declarations/{cycle_id}"): (
        "form",
        lambda r: {"nil_return": "true", "code_of_conduct_accepted": "true"},
    ),
    ("POST", "/gifts/new"): (
        "form",
        lambda r: {
            "donor_name": "Sam Supplier",
            "description": "A pen",
            "value_gbp": "5",
            "accepted": "true",
        },
    ),
    ("POST", "/hospitality/new"): (
        "form",
        lambda r: {
            "provider_name": "Pat Provider",
            "event_description": "Dinner",
            "event_date": "2099-06-01",
            "estimated_value_gbp": "40",
            "invitation_type": "corporate",
            "business_justification": "Meeting partners",
        },
    ),
    ("POST", "/hospitality/{request_id}/withdraw"): ("form", lambda r: {}),
    ("POST", "/hospitality/{request_id}/outcome"): ("form", lambda r: {"attended": "false"}),
    ("POST", "/paid-work/new"): (
        "form",
        lambda r: {"employer": "Riverside College", "role": "Tutor", "hours_per_week": "4"},
    ),
}
SEES_OTHERS: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/interests/{interest_id}/end"): _INTEREST_READERS,
    ("POST", "/hospitality/{request_id}/withdraw"): _HOSPITALITY_READERS,
    ("GET", "/hospitality/{request_id}/outcome"): _HOSPITALITY_READERS,
    ("POST", "/hospitality/{request_id}/outcome"): _HOSPITALITY_READERS,
}
ACTS_ON_OTHERS: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/interests/{interest_id}/end"): frozenset({Role.GOVERNANCE_ADMIN}),
    ("POST", "/hospitality/{request_id}/withdraw"): _NOBODY_ELSE,
    ("POST", "/hospitality/{request_id}/outcome"): _NOBODY_ELSE,
}
