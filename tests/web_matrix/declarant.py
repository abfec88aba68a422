"""Rows of the authorisation matrix for the declarants' pages (see tests/web_matrix/__init__.py)."""

from typing import Any

from app.auth.permissions import Role

# "Who sees what": the register's keepers, auditors and the screeners see everyone's interests;
# of them only the clerk ends someone else's.
_INTEREST_SCREENERS = frozenset(
    {Role.GOVERNANCE_ADMIN, Role.AUDITOR, Role.FINANCE_DIRECTOR, Role.CEO, Role.COO, Role.CHAIR}
)

PAGES: dict[tuple[str, str], Any] = {
    ("GET", "/interests"): "signed_in",
    ("GET", "/interests/new"): "signed_in",
    ("POST", "/interests/new"): "signed_in",
    ("POST", "/interests/{interest_id}/end"): "signed_in",
}
BODIES: dict[tuple[str, str], tuple[str, Any]] = {
    ("POST", "/interests/new"): (
        "form",
        lambda r: {"category": "directorship", "organisation_name": "Acme Ltd"},
    ),
    ("POST", "/interests/{interest_id}/end"): ("form", lambda r: {}),
}
SEES_OTHERS: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/interests/{interest_id}/end"): _INTEREST_SCREENERS,
}
ACTS_ON_OTHERS: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/interests/{interest_id}/end"): frozenset({Role.GOVERNANCE_ADMIN}),
}
