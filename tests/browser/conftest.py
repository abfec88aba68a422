"""Browser tests: the real app served on 127.0.0.1 for this package, driven by Debian's Chromium.

    from tests.browser.support import Seeder, check_accessibility, screenshot

    def test_something(page: Page, seed: Seeder) -> None:
        clerk = seed(lambda s: make_person(s, Role.GOVERNANCE_ADMIN))  # committed, via the services
        page.goto("/register")  # relative to the served app
        check_accessibility(page)  # at 1280x900; check_accessibility(page, phone=True) at 390x844
        screenshot(page, "register")  # tests/artefacts/register.png, the whole page

Browser tests are plain (sync) functions. Playwright's sync API marks its event loop as the test
thread's running loop for as long as it runs, so no asyncio fixture or test can run meanwhile: the
browser and the app are package-scoped and stopped before the tests outside this package run, and
seeding runs on a loop in a thread of its own. Every test here shares one database (committed data
stays for the next test): give seeded records names of their own (make_person's defaults are unique).
"""

from collections.abc import Generator, Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests import dbutil
from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    REQUIRE_BROWSER_VARIABLE,
    Seeder,
    artefacts_dir,
    browser_required,
    screenshot,
    serve,
)

_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="package", autouse=True)
def _chromium_installed() -> None:
    """Before anything is served: no Chromium is a skip on a developer's machine, a failure in CI."""
    if CHROMIUM.exists():
        return
    reason = f"{CHROMIUM} is missing: install it with `apt-get install chromium`"
    if browser_required():
        pytest.fail(f"{reason} ({REQUIRE_BROWSER_VARIABLE}=1 or CI is set: browser tests must run)")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="package")
def served_database() -> Iterator[str]:
    """A migrated database of the browser tests' own (SQLite, or PostgreSQL under test), dropped after."""
    url = dbutil.create_database()
    yield url
    dbutil.drop_database(url)


@pytest.fixture(scope="package")
def served_app(served_database: str) -> Iterator[str]:
    """The app's base URL, e.g. http://127.0.0.1:41234 (no trailing slash): `create_app()` served by
    uvicorn in a process of its own, on `served_database`, with no notification sender."""
    server = serve(served_database, artefacts_dir() / "served-app.log")
    yield server.url
    server.stop()


@pytest.fixture(scope="package")
def seed(served_database: str) -> Iterator[Seeder]:
    """`seed(fn)` runs `await fn(session)` in one committed transaction on the served database and
    returns its result: `seed(lambda s: make_person(s, Role.COO))`."""
    seeder = Seeder(served_database)
    yield seeder
    seeder.close()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless, once for the package; never a browser Playwright downloads."""
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser, served_app: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A new page in a context of its own (no cookies shared between tests), 1280x900, whose relative
    URLs go to the served app. A failed test leaves FAILED-<test>.png among the artefacts."""
    context = browser.new_context(viewport=DESKTOP, base_url=served_app)
    opened = context.new_page()
    yield opened
    if request.node.stash.get(_FAILED, False):
        try:
            screenshot(opened, f"FAILED-{request.node.name}")
        except Exception as error:  # the page may be what broke: never hide the test's own failure
            print(f"no screenshot of the failed page: {error}")
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remembers whether the test itself failed, for `page`'s screenshot of it."""
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report
