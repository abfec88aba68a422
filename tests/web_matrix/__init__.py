"""The web interface's rows of the authorisation matrix (tests/test_authorisation.py), one module per
group of pages so that each group keeps its own. Each module names, like the matrix does:

- PAGES: (method, path) -> "public", "signed_in" or a frozenset of the roles the route's permission admits;
- BODIES: (method, path) -> ("form" | "file", builder of a minimal valid form from the matrix's records);
- SEES_OTHERS / ACTS_ON_OTHERS: for pages about another person's record, as the matrix's tables.

A page refuses as a page: a signed-out visitor is sent (303) to /login, a refusal is an HTML page
with its status (403, 404), and a form taken answers 303 to the page that shows the outcome.
"""

from typing import Any

from app.auth.permissions import Role
from tests.web_matrix import clerk, decisions, declarant, frame

_GROUPS = (frame, declarant, decisions, clerk)

PAGES: dict[tuple[str, str], Any] = {k: v for g in _GROUPS for k, v in g.PAGES.items()}
BODIES: dict[tuple[str, str], tuple[str, Any]] = {k: v for g in _GROUPS for k, v in g.BODIES.items()}
SEES_OTHERS: dict[tuple[str, str], frozenset[Role]] = {
    k: v for g in _GROUPS for k, v in g.SEES_OTHERS.items()
}
ACTS_ON_OTHERS: dict[tuple[str, str], frozenset[Role]] = {
    k: v for g in _GROUPS for k, v in g.ACTS_ON_OTHERS.items()
}
