"""Each user group's main job, done in Chromium as a person does it (issue 9's journeys), with axe-core
on the pages on the way and a screenshot of each journey's main page in tests/artefacts/."""

import re
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Role
from app.core import clock
from app.declarations import service as declarations_service
from app.declarations.schemas import CycleCreate
from app.interests import service as interests_service
from app.interests.schemas import InterestCategory, InterestCreate
from app.people.governance import GovernanceRole
from app.people.schemas import PersonRead
from tests.browser.support import Seeder, check_accessibility, screenshot, sign_in
from tests.factories import make_person, system_actor


def test_a_trustee_declares_their_interests_and_accepts_the_code(page: Page, seed: Seeder) -> None:
    async def trustee_with_a_cycle(session: AsyncSession) -> PersonRead:
        trustee = await make_person(
            session, governance_roles=(GovernanceRole.TRUSTEE,), full_name="Tom Trustee"
        )
        await interests_service.create(
            session,
            system_actor(),
            InterestCreate(
                person_id=trustee.id,
                category=InterestCategory.DIRECTORSHIP,
                organisation_name="Acme Widgets Ltd",
            ),
        )
        await declarations_service.open_cycle(
            session,
            system_actor(),
            CycleCreate(
                name="Trustees' declaration 2027",
                due_on=clock.today() + timedelta(days=30),
                governance_roles=[GovernanceRole.TRUSTEE],
            ),
        )
        return trustee

    trustee = seed(trustee_with_a_cycle)
    sign_in(page, trustee.email)
    expect(page.get_by_text("Trustees' declaration 2027", exact=True)).to_be_visible()
    page.get_by_role("link", name="Make your declaration for Trustees' declaration 2027").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Trustees' declaration 2027")
    expect(page.get_by_text("Selflessness")).to_be_visible()
    group = page.get_by_role("group", name="Acme Widgets Ltd")
    group.get_by_label("I still hold it").check()

    # Sent without accepting the code: refused, with the choice kept and the reason beside the box.
    page.get_by_role("button", name="Submit my declaration").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.get_by_role("group", name="Acme Widgets Ltd").get_by_label("I still hold it")).to_be_checked()
    check_accessibility(page)
    check_accessibility(page, phone=True)

    page.get_by_label("I accept the code of conduct").check()
    screenshot(page, "journey-trustee-declaration")
    page.get_by_role("button", name="Submit my declaration").click()
    expect(page.get_by_role("status")).to_contain_text("Your declaration has been submitted")
    check_accessibility(page)
    page.get_by_role("link", name="My interests").click()
    expect(page.get_by_role("cell", name="Acme Widgets Ltd", exact=True)).to_be_visible()


def test_signing_out_ends_the_session_in_the_browser(page: Page, seed: Seeder) -> None:
    clerk = seed(lambda session: make_person(session, Role.GOVERNANCE_ADMIN, full_name="Cath Clerk"))
    sign_in(page, clerk.email)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You have signed out.")
    page.goto("/interests")
    expect(page).to_have_url(re.compile(r"/login\?next=/interests$"))


PEOPLE_CSV = (
    "email,full_name,school,governance_roles,job_title\n"
    "gail.governor@hillside.example,Gail Governor,Hillside Primary,local governor,\n"
    "terry.teacher@hillside.example,Terry Teacher,Hillside Primary,staff,Teacher\n"
)


def test_the_clerk_checks_a_spreadsheet_of_people_then_imports_it(
    page: Page, seed: Seeder, tmp_path: Path
) -> None:
    clerk = seed(lambda session: make_person(session, Role.GOVERNANCE_ADMIN, full_name="Clara Clerk"))
    sheet = tmp_path / "people.csv"
    sheet.write_text(PEOPLE_CSV)
    sign_in(page, clerk.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_role("link", name="Import people").click()
    check_accessibility(page)

    page.get_by_label("The CSV file").set_input_files(sheet)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("status")).to_contain_text("Nothing has been changed yet")
    expect(page.get_by_role("cell", name="gail.governor@hillside.example")).to_be_visible()
    check_accessibility(page)
    check_accessibility(page, phone=True)

    page.get_by_label("The CSV file").set_input_files(sheet)
    page.get_by_role("button", name="Import the file").click()
    expect(page.get_by_role("status")).to_contain_text("Imported: 2 added")
    screenshot(page, "journey-clerk-import")
    page.get_by_role("link", name="See everyone on the register").click()
    page.get_by_label("Name or email").fill("Gail")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Gail Governor")).to_be_visible()


def test_a_teacher_asks_for_hospitality_and_the_coo_approves_it(page: Page, seed: Seeder) -> None:
    teacher = seed(lambda session: make_person(session, full_name="Tina Teacher"))
    coo = seed(lambda session: make_person(session, Role.COO, full_name="Colin Coo"))
    sign_in(page, teacher.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hospitality").click()
    page.get_by_role("link", name="Ask to accept hospitality").click()
    page.get_by_label("Who invited you").fill("Pat Provider")
    page.get_by_label("Their organisation (if any)").fill("Riverside Events Ltd")
    page.get_by_label("The event", exact=True).fill("Dinner after the regional schools conference")
    page.get_by_label("Date of the event").fill((clock.today() + timedelta(days=21)).isoformat())
    page.get_by_label("Its value in pounds").fill("60")
    page.get_by_label("To the trust, or to me because of my role").check()
    page.get_by_label("Why the trust benefits").fill("Meeting the partners of our catering contract")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.get_by_text("Waiting for a decision")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, coo.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Decisions").click()
    item = page.get_by_role("article").filter(has_text="Tina Teacher")
    expect(item).to_contain_text("Dinner after the regional schools conference")
    check_accessibility(page)
    screenshot(page, "journey-coo-decisions")
    # Rejecting needs a note: htmx swaps the refusal (422) into the item, the page stays.
    item.get_by_role("button", name="Reject the request").click()
    expect(item.get_by_text("A rejection needs a note saying why")).to_be_visible()
    check_accessibility(page)
    item.get_by_role("button", name="Approve the request").click()
    expect(item).to_contain_text("Approved.")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, teacher.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Hospitality").click()
    expect(page.get_by_text("Approved", exact=False).first).to_be_visible()
    expect(page.get_by_text("Colin Coo").first).to_be_visible()


def test_the_finance_director_checks_a_supplier_before_a_contract(page: Page, seed: Seeder) -> None:
    async def trustee_with_an_interest(session: AsyncSession) -> PersonRead:
        trustee = await make_person(
            session, governance_roles=(GovernanceRole.TRUSTEE,), full_name="Fiona Fairweather"
        )
        await interests_service.create(
            session,
            system_actor(),
            InterestCreate(
                person_id=trustee.id,
                category=InterestCategory.DIRECTORSHIP,
                organisation_name="Brightside Catering Ltd",
            ),
        )
        return trustee

    trustee = seed(trustee_with_an_interest)
    finance = seed(lambda session: make_person(session, Role.FINANCE_DIRECTOR, full_name="Fran Finance"))
    sign_in(page, finance.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Conflict checks").click()
    page.get_by_role("link", name="Run a new check").click()
    page.get_by_label("Supplier or other party").fill("Brightside Catering")
    page.get_by_label("What the check is for").select_option(label="Awarding a contract")
    page.get_by_label("Value in pounds (if known)").fill("£48,500")
    page.get_by_role("button", name="Run the check").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Brightside Catering")
    expect(page.get_by_text(trustee.full_name).first).to_be_visible()
    check_accessibility(page)
    check_accessibility(page, phone=True)
    screenshot(page, "journey-finance-check")
    page.get_by_label("A conflict, managed").check()
    page.get_by_label("Note", exact=True).fill("Fiona will leave the room for the award")
    page.get_by_role("button", name="Resolve the check").click()
    expect(page.get_by_role("status")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Conflict checks").click()
    expect(page.get_by_role("cell", name="Brightside Catering").first).to_be_visible()
