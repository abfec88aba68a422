"""Rows of the authorisation matrix for this group of pages (see tests/web_matrix/__init__.py)."""

from typing import Any

from app.auth.permissions import Role

PAGES: dict[tuple[str, str], Any] = {}
BODIES: dict[tuple[str, str], tuple[str, Any]] = {}
SEES_OTHERS: dict[tuple[str, str], frozenset[Role]] = {}
ACTS_ON_OTHERS: dict[tuple[str, str], frozenset[Role]] = {}
