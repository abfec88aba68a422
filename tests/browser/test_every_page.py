"""Every page of the web interface in Chromium, checked with axe-core at a desktop's and a phone's
width: the list of pages comes from the route table, so a new page cannot escape the check."""

from collections.abc import Iterator

import pytest
from fastapi.routing import iter_route_contexts
from playwright.sync_api import Page, expect

from app.auth.permissions import Role
from app.main import create_app
from app.people.governance import GovernanceRole
from app.web.pages import PageRoute
from tests.browser.support import Seeder, check_accessibility, screenshot, sign_in
from tests.factories import make_person
from tests.matrix_records import Records, build_records


def page_paths() -> list[str]:
    """Every page a browser can open (GET), as path templates, and the published register's."""
    found = {
        context.path_format
        for context in iter_route_contexts(create_app().routes)
        if isinstance(context.original_route, PageRoute)
        and "GET" in context.methods
        and not context.path_format.startswith("/static/")
    }
    return sorted(found | {"/register", "/register/schools/{slug}"})


@pytest.fixture(scope="module")
def records(seed: Seeder) -> Records:
    return seed(build_records)


@pytest.fixture(scope="module")
def everyone(seed: Seeder) -> str:
    """Someone who holds every role and sits on the board, so that every page has something to show."""
    person = seed(
        lambda session: make_person(
            session, *Role, governance_roles=(GovernanceRole.TRUSTEE,), full_name="Alex Everyrole"
        )
    )
    return person.email


@pytest.fixture
def signed_in(page: Page, everyone: str) -> Iterator[Page]:
    sign_in(page, everyone)
    yield page


@pytest.mark.parametrize("template", page_paths())
def test_every_page_is_accessible_at_both_widths(signed_in: Page, records: Records, template: str) -> None:
    # A Content-Security-Policy refusal (an inline style or script slipped in) is a console error.
    errors: list[str] = []
    signed_in.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    response = signed_in.goto(records.path(template))
    assert response is not None and response.status == 200, (template, response and response.status)
    expect(signed_in.get_by_role("heading", level=1)).to_have_count(1)
    check_accessibility(signed_in)
    check_accessibility(signed_in, phone=True)
    assert errors == [], errors


def test_the_sign_in_page_and_its_errors_are_accessible(page: Page) -> None:
    page.goto("/login")
    check_accessibility(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter your email address")
    check_accessibility(page)
    check_accessibility(page, phone=True)
    screenshot(page, "sign-in-with-errors")


@pytest.mark.parametrize("template", [p for p in page_paths() if p.endswith("/new")])
def test_every_form_refused_empty_says_what_to_put_right_accessibly(
    signed_in: Page, records: Records, template: str
) -> None:
    signed_in.goto(records.path(template))
    signed_in.locator("main form.stack button[type=submit]").first.click()
    expect(signed_in.get_by_role("alert")).to_contain_text("There is a problem")
    check_accessibility(signed_in)
