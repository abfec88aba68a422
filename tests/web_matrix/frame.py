"""The frame's pages: home, signing in and out, static files (see tests/web_matrix/__init__.py)."""

from typing import Any

from app.auth.permissions import Role

PAGES: dict[tuple[str, str], Any] = {
    ("GET", "/"): "signed_in",
    ("GET", "/login"): "public",
    # Signing in with a form refused for its token: the matrix's callers have no pre-session cookie,
    # so every one of them gets the sign-in form again (403), which the matrix treats as the page.
    ("POST", "/login"): "public",
    ("POST", "/logout"): "signed_in",
    ("GET", "/static/{asset}"): "public",
}
BODIES: dict[tuple[str, str], tuple[str, Any]] = {
    ("POST", "/login"): ("form", lambda r: {"username": r.person_email, "password": "x"}),
    ("POST", "/logout"): ("form", lambda r: {}),
}
SEES_OTHERS: dict[tuple[str, str], frozenset[Role]] = {}
ACTS_ON_OTHERS: dict[tuple[str, str], frozenset[Role]] = {}
