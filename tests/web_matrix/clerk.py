"""Rows of the authorisation matrix for the governance clerk's pages: people, appointments, the import,
declaration cycles and settings (see tests/web_matrix/__init__.py).

The API lists people for anyone signed in (a declarant sees only themselves); the pages that keep
the people are the clerk's, with the permission of the API's writes. A cycle's status is the clerk's
and the auditors', as in the API.
"""

from typing import Any

from app.auth.permissions import Role

KEEPER = frozenset({Role.GOVERNANCE_ADMIN})
STATUS_READERS = frozenset({Role.GOVERNANCE_ADMIN, Role.AUDITOR})

PAGES: dict[tuple[str, str], Any] = {
    ("GET", "/people"): KEEPER,
    ("GET", "/people/new"): KEEPER,
    ("POST", "/people/new"): KEEPER,
    ("GET", "/people/import"): KEEPER,
    ("POST", "/people/import"): KEEPER,
    ("GET", "/people/{person_id}"): KEEPER,
    ("GET", "/people/{person_id}/edit"): KEEPER,
    ("POST", "/people/{person_id}/edit"): KEEPER,
    ("POST", "/people/{person_id}/appointments"): KEEPER,
    ("POST", "/people/{person_id}/deactivate"): KEEPER,
    ("POST", "/people/{person_id}/reactivate"): KEEPER,
    ("POST", "/people/{person_id}/password"): KEEPER,
    ("POST", "/appointments/{appointment_id}/end"): KEEPER,
    ("GET", "/cycles"): STATUS_READERS,
    ("GET", "/cycles/new"): KEEPER,
    ("POST", "/cycles/new"): KEEPER,
    ("GET", "/cycles/{cycle_id}"): STATUS_READERS,
    ("GET", "/settings"): KEEPER,
    ("POST", "/settings"): KEEPER,
}
BODIES: dict[tuple[str, str], tuple[str, Any]] = {
    ("POST", "/people/new"): (
        "form",
        lambda r: {"email": "matrix.page@trust.test", "full_name": "Page Person"},
    ),
    # No button named: the file is checked, nothing is changed.
    ("POST", "/people/import"): (
        "file",
        lambda r: {"file": b"email,full_name\nnew.one@trust.test,New One\n"},
    ),
    # The trustee's own email kept, a new name; the trustee holds no responsibility, none ticked.
    ("POST", "/people/{person_id}/edit"): (
        "form",
        lambda r: {"full_name": "Matrix Renamed", "email": r.person_email},
    ),
    ("POST", "/people/{person_id}/appointments"): ("form", lambda r: {"governance_role": "member"}),
    ("POST", "/people/{person_id}/deactivate"): ("form", lambda r: {}),
    ("POST", "/people/{person_id}/reactivate"): ("form", lambda r: {}),
    ("POST", "/people/{person_id}/password"): ("form", lambda r: {"password": "a new long enough password"}),
    ("POST", "/appointments/{appointment_id}/end"): ("form", lambda r: {}),
    ("POST", "/cycles/new"): (
        "form",
        lambda r: {"name": "2027 to 2028", "due_on": "2028-03-31", "governance_roles": "trustee"},
    ),
    ("POST", "/settings"): (
        "form",
        lambda r: {
            "trust_name": "Matrix Academy Trust",
            "gift_token_limit_gbp": "50.00",
            "conflict_similarity_threshold": "0.85",
            "rpt_approval_threshold_gbp": "40000.00",
        },
    ),
}
# Only the clerk is admitted, and the clerk sees everyone: no caller of the matrix gets a 404 here.
SEES_OTHERS: dict[tuple[str, str], frozenset[Role]] = {}
ACTS_ON_OTHERS: dict[tuple[str, str], frozenset[Role]] = {}
