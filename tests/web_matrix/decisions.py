"""Rows of the authorisation matrix for the deciders' and finance pages (see tests/web_matrix/__init__.py):
the same permissions, and the same refusals on another person's record, as the API routes they mirror."""

from typing import Any

from app.auth.permissions import Role

_KEEPER_AND_AUDITOR = frozenset({Role.GOVERNANCE_ADMIN, Role.AUDITOR})
# The approval policy, as the API's rows read it: who sees each kind of record, and who decides.
_GIFT_DECIDERS = frozenset({Role.HR_DIRECTOR, Role.FINANCE_DIRECTOR})
_HOSPITALITY_DECIDERS = frozenset({Role.CEO, Role.COO, Role.CHAIR})
# The matrix's paid work is a central staff member's: the COO reviews it; the clerk and auditors see it.
_PAID_WORK_REVIEWERS = frozenset({Role.COO})
# "Conflict checks": the finance director, the CEO, the COO, the Chair and the clerk check and
# resolve; auditors read too, and read the related party transactions.
_SCREENERS = frozenset({Role.FINANCE_DIRECTOR, Role.CEO, Role.COO, Role.CHAIR, Role.GOVERNANCE_ADMIN})
_CHECK_READERS = _SCREENERS | {Role.AUDITOR}

PAGES: dict[tuple[str, str], Any] = {
    ("GET", "/approvals"): "signed_in",
    ("POST", "/approvals/gifts/{gift_id}"): "signed_in",
    ("POST", "/approvals/hospitality/{request_id}"): "signed_in",
    ("POST", "/approvals/paid-work/{paid_work_id}"): "signed_in",
    ("GET", "/conflict-checks"): _CHECK_READERS,
    ("GET", "/conflict-checks/new"): _SCREENERS,
    ("POST", "/conflict-checks/new"): _SCREENERS,
    ("GET", "/conflict-checks/{check_id}"): _CHECK_READERS,
    ("POST", "/conflict-checks/{check_id}/resolution"): _SCREENERS,
    ("GET", "/related-party-transactions"): _CHECK_READERS,
}
BODIES: dict[tuple[str, str], tuple[str, Any]] = {
    ("POST", "/approvals/gifts/{gift_id}"): ("form", lambda r: {"decision": "approve"}),
    ("POST", "/approvals/hospitality/{request_id}"): ("form", lambda r: {"decision": "approve"}),
    ("POST", "/approvals/paid-work/{paid_work_id}"): ("form", lambda r: {"decision": "approve"}),
    ("POST", "/conflict-checks/new"): (
        "form",
        lambda r: {"counterparty_name": "Acme Ltd", "context": "contract_award"},
    ),
    ("POST", "/conflict-checks/{check_id}/resolution"): (
        "form",
        lambda r: {"outcome": "no_conflict", "note": "A different Acme"},
    ),
}
SEES_OTHERS: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/approvals/gifts/{gift_id}"): _GIFT_DECIDERS | _KEEPER_AND_AUDITOR,
    ("POST", "/approvals/hospitality/{request_id}"): _HOSPITALITY_DECIDERS
    | {Role.VICE_CHAIR}
    | _KEEPER_AND_AUDITOR,
    ("POST", "/approvals/paid-work/{paid_work_id}"): _PAID_WORK_REVIEWERS | _KEEPER_AND_AUDITOR,
}
ACTS_ON_OTHERS: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/approvals/gifts/{gift_id}"): _GIFT_DECIDERS,
    # The Vice Chair sees the request but decides only the CEO's, and only when no Chair may.
    ("POST", "/approvals/hospitality/{request_id}"): _HOSPITALITY_DECIDERS,
    ("POST", "/approvals/paid-work/{paid_work_id}"): _PAID_WORK_REVIEWERS,
}
