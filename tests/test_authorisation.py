"""Who may call what: every route of the app against every role, a plain declarant and an anonymous
caller, checked against one hand-written table derived from the contract ("Auth and roles",
"Who sees what", "Schools and people", "Additional paid work", "Audit trail")."""

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Permission, Role, permissions_of
from app.main import create_app
from app.people.governance import GovernanceRole
from app.web.pages import PageRoute
from tests import web_matrix
from tests.factories import DEFAULT_PASSWORD, Caller
from tests.matrix_records import Records, build_records

PUBLIC = "public"  # no login at all
SIGNED_IN = "signed_in"  # any active person, a plain declarant included
Allowed = str | frozenset[Role]

KEEPER = frozenset({Role.GOVERNANCE_ADMIN})
AUDIT_READERS = frozenset({Role.GOVERNANCE_ADMIN, Role.AUDITOR})
# "Who sees what": the register's keepers, auditors and the screeners see everyone's interests.
INTEREST_SCREENERS = frozenset(
    {Role.GOVERNANCE_ADMIN, Role.AUDITOR, Role.FINANCE_DIRECTOR, Role.CEO, Role.COO, Role.CHAIR}
)
# "Who sees what": a decider also sees the open interests of whoever waits for their decision: the
# trustee's gift waits for the Directors of HR and of Finance.
INTEREST_READERS = INTEREST_SCREENERS | {Role.HR_DIRECTOR}
# "Who sees what": the COO all paid work, besides the register's keepers and auditors.
PAID_WORK_READERS = frozenset({Role.GOVERNANCE_ADMIN, Role.AUDITOR, Role.COO})

HOSPITALITY = "/api/v1/hospitality-requests"
CHECKS = "/api/v1/conflict-checks"
MEETINGS = "/api/v1/meeting-conflict-checks"
RPTS = "/api/v1/related-party-transactions"
# "Conflict checks": the Director of Finance and Governance, the CEO, the COO, the Chair and the
# clerk check and resolve; auditors read too. "Related party transactions": the finance director
# keeps them; the CEO, COO, Chair and auditors read (and the clerk, who sees everything).
SCREENERS = frozenset({Role.FINANCE_DIRECTOR, Role.CEO, Role.COO, Role.CHAIR, Role.GOVERNANCE_ADMIN})
CHECK_READERS = SCREENERS | {Role.AUDITOR}
RPT_KEEPER = frozenset({Role.FINANCE_DIRECTOR})

# The contract, route by route. A new route must be added here before the suite passes.
EXPECTED: dict[tuple[str, str], Allowed] = {
    ("GET", "/healthz"): PUBLIC,
    ("POST", "/api/v1/auth/token"): PUBLIC,
    ("GET", "/api/v1/me"): SIGNED_IN,
    ("POST", "/api/v1/schools"): KEEPER,
    ("GET", "/api/v1/schools"): SIGNED_IN,
    ("GET", "/api/v1/schools/{school_id}"): SIGNED_IN,
    ("PATCH", "/api/v1/schools/{school_id}"): KEEPER,
    ("POST", "/api/v1/people"): KEEPER,
    # Everyone may ask; a plain declarant sees only themselves (others are a 404, never a 403).
    ("GET", "/api/v1/people"): SIGNED_IN,
    ("GET", "/api/v1/people/{person_id}"): SIGNED_IN,
    ("PATCH", "/api/v1/people/{person_id}"): KEEPER,
    ("GET", "/api/v1/people/{person_id}/appointments"): SIGNED_IN,
    ("POST", "/api/v1/people/{person_id}/appointments"): KEEPER,
    ("PATCH", "/api/v1/appointments/{appointment_id}"): KEEPER,
    ("GET", "/api/v1/audit-events"): AUDIT_READERS,
    ("GET", "/api/v1/audit-events/verify"): AUDIT_READERS,
    ("GET", "/api/v1/audit-events/checkpoint"): AUDIT_READERS,
    ("POST", "/api/v1/people/import"): KEEPER,
    # Everyone declares their own interests and sees their own; others' follow SEES_OTHERS below.
    ("POST", "/api/v1/interests"): SIGNED_IN,
    ("GET", "/api/v1/interests"): SIGNED_IN,
    ("GET", "/api/v1/interests/{interest_id}"): SIGNED_IN,
    ("POST", "/api/v1/interests/{interest_id}/end"): SIGNED_IN,
    ("POST", "/api/v1/declaration-cycles"): KEEPER,
    ("GET", "/api/v1/declaration-cycles"): SIGNED_IN,
    ("GET", "/api/v1/declaration-cycles/{cycle_id}"): SIGNED_IN,
    ("GET", "/api/v1/declaration-cycles/{cycle_id}/status"): AUDIT_READERS,
    ("GET", "/api/v1/declaration-cycles/{cycle_id}/status.csv"): AUDIT_READERS,
    ("POST", "/api/v1/declarations"): SIGNED_IN,
    ("GET", "/api/v1/declarations"): SIGNED_IN,
    ("GET", "/api/v1/declarations/{declaration_id}"): SIGNED_IN,
    # Everyone discloses their own paid work and sees their own; others' follow SEES_OTHERS below.
    ("POST", "/api/v1/paid-work"): SIGNED_IN,
    ("GET", "/api/v1/paid-work"): SIGNED_IN,
    ("GET", "/api/v1/paid-work/{paid_work_id}"): SIGNED_IN,
    ("POST", "/api/v1/paid-work/{paid_work_id}/review"): SIGNED_IN,
    ("GET", "/api/v1/public/register"): PUBLIC,
    ("GET", "/api/v1/public/register.csv"): PUBLIC,
    ("GET", "/register"): PUBLIC,
    ("GET", "/register/schools/{slug}"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/assets/{asset}"): PUBLIC,
    ("GET", "/api/v1/settings"): SIGNED_IN,
    ("PATCH", "/api/v1/settings"): KEEPER,
    # Everyone records their own gifts and sees their own; the rest follows the approval policy.
    ("POST", "/api/v1/gifts"): SIGNED_IN,
    ("GET", "/api/v1/gifts"): SIGNED_IN,
    ("GET", "/api/v1/gifts.csv"): SIGNED_IN,
    ("GET", "/api/v1/gifts/{gift_id}"): SIGNED_IN,
    ("POST", "/api/v1/gifts/{gift_id}/decision"): SIGNED_IN,
    ("GET", "/api/v1/approvals/pending"): SIGNED_IN,
    # Everyone asks for their own hospitality and sees their own; others' follow SEES_OTHERS below.
    ("POST", HOSPITALITY): SIGNED_IN,
    ("GET", HOSPITALITY): SIGNED_IN,
    ("GET", f"{HOSPITALITY}.csv"): SIGNED_IN,
    ("GET", f"{HOSPITALITY}/{{request_id}}"): SIGNED_IN,
    ("POST", f"{HOSPITALITY}/{{request_id}}/decision"): SIGNED_IN,
    ("POST", f"{HOSPITALITY}/{{request_id}}/withdraw"): SIGNED_IN,
    ("POST", f"{HOSPITALITY}/{{request_id}}/outcome"): SIGNED_IN,
    ("POST", CHECKS): SCREENERS,
    ("GET", CHECKS): CHECK_READERS,
    ("GET", f"{CHECKS}.csv"): CHECK_READERS,
    ("GET", f"{CHECKS}/{{check_id}}"): CHECK_READERS,
    ("POST", f"{CHECKS}/{{check_id}}/resolution"): SCREENERS,
    ("POST", MEETINGS): SCREENERS,
    ("GET", MEETINGS): CHECK_READERS,
    ("GET", f"{MEETINGS}/{{meeting_check_id}}"): CHECK_READERS,
    ("GET", RPTS): CHECK_READERS,
    ("GET", f"{RPTS}.csv"): CHECK_READERS,
    ("GET", f"{RPTS}/{{rpt_id}}"): CHECK_READERS,
    ("PATCH", f"{RPTS}/{{rpt_id}}"): RPT_KEEPER,
    # "Notifications (email)": the clerk and auditors read the outbox; the clerk retries a failed one.
    ("GET", "/api/v1/notifications"): AUDIT_READERS,
    ("POST", "/api/v1/notifications/{notification_id}/retry"): KEEPER,
}

# Routes about another person's record (the path names the trustee's): callers who may not see it
# get 404, never 403; callers who may see it but not act on it get 403 (the policy's refusal).
# Every role but the headteacher reads everyone; a headteacher reads their own school's people (the
# trustee here is at a school no caller of the matrix belongs to); a plain declarant only themselves.
_PEOPLE_READERS = frozenset(Role) - {Role.HEADTEACHER}
# The approval policy: the Directors of HR and of Finance see and decide every gift; the clerk and
# auditors see every record.
GIFT_READERS = frozenset({Role.HR_DIRECTOR, Role.FINANCE_DIRECTOR, Role.GOVERNANCE_ADMIN, Role.AUDITOR})
GIFT_DECIDERS = frozenset({Role.HR_DIRECTOR, Role.FINANCE_DIRECTOR})
HOSPITALITY_DECIDERS = frozenset({Role.CEO, Role.COO, Role.CHAIR})
HOSPITALITY_READERS = HOSPITALITY_DECIDERS | {Role.VICE_CHAIR} | AUDIT_READERS
NOBODY_ELSE: frozenset[Role] = frozenset()
SEES_OTHERS: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/v1/gifts/{gift_id}"): GIFT_READERS,
    ("POST", "/api/v1/gifts/{gift_id}/decision"): GIFT_READERS,
    ("GET", f"{HOSPITALITY}/{{request_id}}"): HOSPITALITY_READERS,
    ("POST", f"{HOSPITALITY}/{{request_id}}/decision"): HOSPITALITY_READERS,
    ("POST", f"{HOSPITALITY}/{{request_id}}/withdraw"): HOSPITALITY_READERS,
    ("POST", f"{HOSPITALITY}/{{request_id}}/outcome"): HOSPITALITY_READERS,
    ("GET", "/api/v1/people/{person_id}"): _PEOPLE_READERS,
    ("GET", "/api/v1/people/{person_id}/appointments"): _PEOPLE_READERS,
    ("GET", "/api/v1/interests/{interest_id}"): INTEREST_READERS,
    ("POST", "/api/v1/interests/{interest_id}/end"): INTEREST_READERS,
    ("GET", "/api/v1/declarations/{declaration_id}"): AUDIT_READERS,
    # The paid work is a central staff member's (no school): the COO reads all paid work and reviews
    # this one; no headteacher of the matrix reviews it, so none sees it.
    ("GET", "/api/v1/paid-work/{paid_work_id}"): PAID_WORK_READERS,
    ("POST", "/api/v1/paid-work/{paid_work_id}/review"): PAID_WORK_READERS,
}
# Of those who see it, who may act: only the declarant and the register's keeper end an interest;
# only the COO reviews central staff's paid work (the clerk and auditors who see it get the 403).
ACTS_ON_OTHERS: dict[tuple[str, str], frozenset[Role]] = {
    ("POST", "/api/v1/interests/{interest_id}/end"): KEEPER,
    ("POST", "/api/v1/gifts/{gift_id}/decision"): GIFT_DECIDERS,
    ("POST", "/api/v1/paid-work/{paid_work_id}/review"): frozenset({Role.COO}),
    # The hospitality request waits for a decision (the Vice Chair decides only the CEO's, and only
    # when no Chair may); only the requester withdraws it or records its outcome.
    ("POST", f"{HOSPITALITY}/{{request_id}}/decision"): HOSPITALITY_DECIDERS,
    ("POST", f"{HOSPITALITY}/{{request_id}}/withdraw"): NOBODY_ELSE,
    ("POST", f"{HOSPITALITY}/{{request_id}}/outcome"): NOBODY_ELSE,
}
# A whole register (a CSV for the board pack) is for those who see every record of the kind: anyone
# else signed in gets the policy's 403.
KEEPS_REGISTER: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/v1/gifts.csv"): GIFT_READERS,
    ("GET", f"{HOSPITALITY}.csv"): HOSPITALITY_READERS,
}

# The web interface's pages, group by group (tests/web_matrix): the same tables.
EXPECTED.update(web_matrix.PAGES)
SEES_OTHERS.update(web_matrix.SEES_OTHERS)
ACTS_ON_OTHERS.update(web_matrix.ACTS_ON_OTHERS)
# What an admitted caller gets from a page when it is not a page (2xx) or a form taken (303).
PAGE_STATUS: dict[tuple[str, str], int] = {
    # The matrix's callers have no pre-session cookie: the sign-in form comes back refused.
    ("POST", "/login"): 403,
}

ANONYMOUS = "anonymous"
DECLARANT = "declarant"
CALLERS: tuple[str, ...] = (ANONYMOUS, DECLARANT, *(role.value for role in Role))


# A minimal valid request for every route that reads a body: (kind, builder).
BODIES: dict[tuple[str, str], tuple[str, Callable[[Records], dict[str, Any]]]] = {
    ("POST", "/api/v1/auth/token"): (
        "form",
        lambda r: {"username": r.person_email, "password": DEFAULT_PASSWORD, "grant_type": "password"},
    ),
    ("POST", "/api/v1/schools"): ("json", lambda r: {"name": "Matrix Academy"}),
    ("PATCH", "/api/v1/schools/{school_id}"): ("json", lambda r: {"name": "Matrix Renamed Academy"}),
    ("POST", "/api/v1/people"): (
        "json",
        lambda r: {"email": "matrix.new@trust.test", "full_name": "New Person"},
    ),
    ("PATCH", "/api/v1/people/{person_id}"): ("json", lambda r: {"job_title": "Clerk to the board"}),
    ("POST", "/api/v1/people/{person_id}/appointments"): ("json", lambda r: {"governance_role": "trustee"}),
    ("PATCH", "/api/v1/appointments/{appointment_id}"): ("json", lambda r: {"body": "Trust board"}),
    ("POST", "/api/v1/people/import"): (
        "file",
        lambda r: {"file": b"email,full_name\nnew.one@trust.test,New One\n"},
    ),
    ("POST", "/api/v1/interests"): (
        "json",
        lambda r: {"category": "directorship", "organisation_name": "Acme Ltd"},
    ),
    ("POST", "/api/v1/interests/{interest_id}/end"): ("json", lambda r: {}),
    ("POST", "/api/v1/declaration-cycles"): (
        "json",
        lambda r: {"name": "2027", "due_on": "2027-03-31", "governance_roles": ["trustee"]},
    ),
    ("POST", "/api/v1/declarations"): (
        "json",
        lambda r: {"cycle_id": str(r.cycle_id), "nil_return": True, "code_of_conduct_accepted": True},
    ),
    ("PATCH", "/api/v1/settings"): ("json", lambda r: {"trust_name": "Matrix Academy Trust"}),
    ("POST", "/api/v1/gifts"): (
        "json",
        lambda r: {
            "donor_name": "Pat Parent",
            "description": "Flowers",
            "value_gbp": "5.00",
            "accepted": True,
        },
    ),
    ("POST", "/api/v1/gifts/{gift_id}/decision"): ("json", lambda r: {"decision": "approve"}),
    ("POST", HOSPITALITY): (
        "json",
        lambda r: {
            "provider_name": "Pat Provider",
            "event_description": "Dinner",
            "event_date": "2099-06-01",
            "estimated_value_gbp": 40,
            "invitation_type": "corporate",
            "business_justification": "Meeting partners",
        },
    ),
    ("POST", f"{HOSPITALITY}/{{request_id}}/decision"): ("json", lambda r: {"decision": "approve"}),
    ("POST", f"{HOSPITALITY}/{{request_id}}/withdraw"): ("json", lambda r: {}),
    ("POST", f"{HOSPITALITY}/{{request_id}}/outcome"): ("json", lambda r: {"attended": False}),
    ("POST", "/api/v1/paid-work"): (
        "json",
        lambda r: {"employer": "Matrix College", "role": "Tutor", "hours_per_week": 3.5},
    ),
    ("POST", "/api/v1/paid-work/{paid_work_id}/review"): ("json", lambda r: {"outcome": "acknowledged"}),
    ("POST", CHECKS): ("json", lambda r: {"counterparty_name": "Acme Ltd", "context": "contract_award"}),
    ("POST", f"{CHECKS}/{{check_id}}/resolution"): (
        "json",
        lambda r: {"outcome": "no_conflict", "note": "A different Acme"},
    ),
    ("POST", MEETINGS): (
        "json",
        lambda r: {
            "meeting_title": "Board",
            "meeting_date": "2026-12-01",
            "attendee_ids": [str(r.person_id)],
            "agenda_items": [{"title": "Estates contract", "counterparties": ["Acme"]}],
        },
    ),
    ("PATCH", f"{RPTS}/{{rpt_id}}"): ("json", lambda r: {"dfe_reference": "DFE-RPT-1"}),
    ("POST", "/api/v1/notifications/{notification_id}/retry"): ("json", lambda r: {}),
}
BODIES.update(web_matrix.BODIES)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def api_routes() -> Iterator[Any]:
    """Every APIRoute the app serves, as FastAPI itself walks them for the spec (included routers too)."""
    for context in iter_route_contexts(create_app().routes):
        if isinstance(context.original_route, APIRoute):
            yield context


def served_operations() -> set[tuple[str, str]]:
    return {
        (method, context.path_format)
        for context in api_routes()
        for method in context.methods
        if method not in ("HEAD", "OPTIONS")
    }


def declared_permissions(dependant: Dependant) -> list[Permission]:
    """The permissions of every require(...) among a route's dependencies, however deep."""
    found: list[Permission] = []
    for dependency in dependant.dependencies:
        permission = getattr(dependency.call, "permission", None)
        if permission is not None:
            found.append(permission)
        found.extend(declared_permissions(dependency))
    return found


def allowed_callers(allowed: Allowed) -> set[str]:
    if allowed == PUBLIC:
        return set(CALLERS)
    if allowed == SIGNED_IN:
        return set(CALLERS) - {ANONYMOUS}
    assert isinstance(allowed, frozenset)
    return {role.value for role in allowed}


class TestRouteTable:
    def test_every_served_route_is_in_the_table_and_nothing_else(self) -> None:
        served = served_operations()
        missing = sorted(served - EXPECTED.keys())
        stale = sorted(EXPECTED.keys() - served)
        assert not missing, f"routes with no row in EXPECTED (add who may call them): {missing}"
        assert not stale, f"rows in EXPECTED for routes the app no longer serves: {stale}"

    def test_every_write_route_has_a_minimal_body_in_the_matrix(self) -> None:
        writes = {key for key in EXPECTED if key[0] in WRITE_METHODS}
        assert sorted(writes - BODIES.keys()) == []


class TestDeclaredPermission:
    @pytest.mark.parametrize(
        "context", list(api_routes()), ids=lambda c: f"{'/'.join(sorted(c.methods))} {c.path_format}"
    )
    def test_every_route_declares_exactly_one_permission(self, context: Any) -> None:
        # A dependency that loads the record may ask for the caller again: the same require() (run
        # once per request), not a second permission.
        permissions = set(declared_permissions(context.dependant))
        assert len(permissions) == 1, (
            f"{sorted(context.methods)} {context.path_format} declares {permissions}: "
            "every route needs exactly one require(Permission...) dependency"
        )

    @pytest.mark.parametrize("operation", sorted(EXPECTED), ids=lambda op: f"{op[0]} {op[1]}")
    def test_the_declared_permission_is_held_by_exactly_the_expected_callers(
        self, operation: tuple[str, str]
    ) -> None:
        (permission,) = {
            p
            for context in api_routes()
            if context.path_format == operation[1] and operation[0] in context.methods
            for p in declared_permissions(context.dependant)
        }
        if permission is Permission.PUBLIC:
            holders = set(CALLERS)
        else:
            holders = {role.value for role in Role if permission in permissions_of(frozenset({role}))}
            if permission in permissions_of(frozenset()):
                holders |= {DECLARANT}
        assert holders == allowed_callers(EXPECTED[operation])


@pytest.fixture
async def records(session: AsyncSession) -> Records:
    return await build_records(session)


async def call(
    client: AsyncClient,
    operation: tuple[str, str],
    records: Records,
    headers: dict[str, str],
    *,
    body: Any = None,
) -> Response:
    method, template = operation
    path = records.path(template)
    kwargs: dict[str, Any] = {"headers": headers}
    if operation in BODIES:
        kind, build = BODIES[operation]
        payload = build(records) if body is None else body
        if kind == "file" and body is None:
            kwargs["files"] = {name: ("people.csv", content, "text/csv") for name, content in payload.items()}
        else:
            kwargs["data" if kind == "form" else "json"] = payload
    return await client.request(method, path, **kwargs)


async def headers_of(name: str, caller: Callable[..., Awaitable[Caller]]) -> dict[str, str]:
    """Every caller is a trustee, so that each may declare in the open cycle."""
    if name == ANONYMOUS:
        return {}
    trustee = {"governance_roles": (GovernanceRole.TRUSTEE,)}
    if name == DECLARANT:
        return (await caller(**trustee)).headers
    return (await caller(Role(name), **trustee)).headers


PAGE_PATHS = frozenset(
    (method, context.path_format)
    for context in api_routes()
    if isinstance(context.original_route, PageRoute)
    for method in context.methods
)


def assert_refused(response: Response, status: int, operation: tuple[str, str] | None = None) -> None:
    """The API refuses with problem+json; a page sends a signed-out visitor to sign in, and shows
    any other refusal as a page with its status."""
    if operation in PAGE_PATHS:
        if status == 401:
            assert response.status_code == 303, response.text[:300]
            assert response.headers["location"].startswith("/login?next="), response.headers["location"]
            return
        assert response.status_code == status, response.text[:300]
        assert response.headers["content-type"].startswith("text/html")
        return
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"] == "application/problem+json"
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


def assert_admitted(response: Response, operation: tuple[str, str]) -> None:
    """Done: a 2xx, or for a page's form its 303 to the page that shows the outcome (never to sign in)."""
    if operation in PAGE_STATUS:
        assert response.status_code == PAGE_STATUS[operation], response.text[:300]
    elif operation in PAGE_PATHS and response.status_code == 303:
        assert not response.headers["location"].startswith("/login?next="), response.headers["location"]
    else:
        assert 200 <= response.status_code < 300, response.text[:300]


def refused_by_policy(operation: tuple[str, str], who: str) -> bool:
    """The caller may see the record but the policy forbids them this action on it, or the register
    they ask for is for those who see every record of its kind."""
    for table in (ACTS_ON_OTHERS, KEEPS_REGISTER):
        if operation in table:
            return who == DECLARANT or Role(who) not in table[operation]
    return False


class TestAuthorisationMatrix:
    @pytest.mark.parametrize("who", CALLERS, ids=lambda who: f"as {who}")
    @pytest.mark.parametrize("operation", sorted(EXPECTED), ids=lambda op: f"{op[0]} {op[1]}")
    async def test_each_caller_gets_what_the_table_allows(
        self,
        client: AsyncClient,
        caller: Callable[..., Awaitable[Caller]],
        records: Records,
        operation: tuple[str, str],
        who: str,
    ) -> None:
        response = await call(client, operation, records, await headers_of(who, caller))
        allowed = EXPECTED[operation]
        if who == ANONYMOUS and allowed != PUBLIC:
            assert_refused(response, 401, operation)
        elif who not in allowed_callers(allowed):
            assert_refused(response, 403, operation)
        elif operation in SEES_OTHERS and (who == DECLARANT or Role(who) not in SEES_OTHERS[operation]):
            assert_refused(response, 404, operation)
        elif refused_by_policy(operation, who):
            assert_refused(response, 403, operation)
        else:
            assert_admitted(response, operation)


REFUSED_WRITES = sorted(
    (operation, who)
    for operation in EXPECTED
    if operation in BODIES
    for who in (ANONYMOUS, DECLARANT, Role.AUDITOR.value)
    if who not in allowed_callers(EXPECTED[operation])
)


class TestAuthorisationBeforeValidation:
    @pytest.mark.parametrize(
        ("operation", "who"), REFUSED_WRITES, ids=lambda v: v if isinstance(v, str) else f"{v[0]} {v[1]}"
    )
    async def test_a_caller_who_may_not_write_is_refused_whatever_the_body(
        self,
        client: AsyncClient,
        caller: Callable[..., Awaitable[Caller]],
        records: Records,
        operation: tuple[str, str],
        who: str,
    ) -> None:
        headers = await headers_of(who, caller)
        response = await call(client, operation, records, headers, body={"status": "approved", "x": [1e308]})
        assert_refused(response, 401 if who == ANONYMOUS else 403, operation)
