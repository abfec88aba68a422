"""The published register in Chromium: the browser tests' infrastructure, end to end."""

import re

from playwright.sync_api import Page, expect

from app.people.governance import GovernanceRole
from tests.browser.support import TRUST_NAME, Seeder, check_accessibility, screenshot
from tests.factories import make_person


def test_the_public_register_shows_a_trustee_and_is_accessible(page: Page, seed: Seeder) -> None:
    trustee = seed(lambda session: make_person(session, governance_roles=(GovernanceRole.TRUSTEE,)))

    response = page.goto("/register")

    assert response is not None and response.ok, response and response.status
    expect(page).to_have_title(re.compile(f"Register of interests.*{re.escape(TRUST_NAME)}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Register of interests")
    expect(page.get_by_role("heading", name=trustee.full_name, exact=True)).to_be_visible()
    check_accessibility(page)
    check_accessibility(page, phone=True)
    screenshot(page, "public-register")
