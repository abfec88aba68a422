"""The deciders' and finance pages (issue 9, items 3 and 4): the queue of decisions with each
request's flags and the requester's declared interests beside it, approve and reject (a note to
reject), htmx's small answer; the conflict check form, its result and resolution, the history of
checks and the related party transactions."""

import html
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Role
from app.interests import service as interests_service
from app.interests.schemas import Holder, InterestCategory, InterestCreate
from app.people.governance import GovernanceRole
from tests.factories import Caller, make_school, system_actor
from tests.web_session import sign_in

Make = Callable[..., Awaitable[Caller]]
HOSPITALITY = "/api/v1/hospitality-requests"
HTMX = {"HX-Request": "true"}


def text_of(response: Response) -> str:
    """The page's text with its tags and entities gone, spaces collapsed: what a reader reads."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", response.text)))


def item_of(response: Response, record_id: uuid.UUID | str) -> str:
    """One request's card on the Decisions page, as text."""
    found = re.search(rf'<article[^>]*id="item-{record_id}".*?</article>', response.text, re.DOTALL)
    assert found is not None, f"no item {record_id} in the page"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(0))))


async def declare(session: AsyncSession, person: Caller, organisation: str, **kwargs: Any) -> None:
    await interests_service.create(
        session,
        system_actor(),
        InterestCreate(
            person_id=person.id,
            category=kwargs.pop("category", InterestCategory.DIRECTORSHIP),
            organisation_name=organisation,
            **kwargs,
        ),
    )


async def ask_for_hospitality(client: AsyncClient, who: Caller, **changes: Any) -> str:
    body = {
        "provider_name": "Rita Riverside",
        "provider_organisation": "Riverside Events Ltd",
        "event_description": "Dinner at the suppliers' awards",
        "event_date": "2099-06-01",
        "estimated_value_gbp": "85.00",
        "invitation_type": "personal",
        "business_justification": "Meeting the catering partners",
        **changes,
    }
    response = await client.post(HOSPITALITY, json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def status_of(client: AsyncClient, path: str, who: Caller) -> str:
    response = await client.get(path, headers=who.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


@pytest.fixture
async def teacher(session: AsyncSession, caller: Make) -> Caller:
    """A teacher at a school with an interest in the hospitality's provider (the request is flagged)."""
    school = await make_school(session)
    person = await caller(full_name="Tina Teacher", school_id=school.id)
    await declare(session, person, "Riverside Events Ltd")
    await declare(
        session,
        person,
        "Hillside Parents' Association",
        category=InterestCategory.TRUSTEESHIP,
        holder=Holder.SPOUSE_PARTNER,
        holder_name="Sam Teacher",
        relationship="husband",
    )
    return person


class TestTheQueue:
    async def test_the_coo_sees_the_request_its_flags_and_the_requesters_interests_and_approves_it(
        self, client: AsyncClient, caller: Make, teacher: Caller
    ) -> None:
        request_id = await ask_for_hospitality(client, teacher)
        coo = await caller(Role.COO, full_name="Cole Operations")
        csrf = await sign_in(client, coo.person.email)  # as a browser does: the cookie from here on

        page = await client.get("/approvals")
        assert page.status_code == 200, page.text[:300]
        item = item_of(page, request_id)
        assert "Hospitality request from Tina Teacher" in item
        assert "Dinner at the suppliers' awards" in item and "£85.00" in item and "1 June 2099" in item
        assert "The invitation was to the person, not to the trust" in item
        assert "The provider matches a declared interest" in item
        # Beside the request: her open interests, her husband's included, in words.
        assert "Tina Teacher's declared interests" in item
        assert "Directorship of a company : Riverside Events Ltd" in item
        assert "Hillside Parents' Association" in item
        assert "Their spouse or partner's (Sam Teacher, husband)" in item
        assert "personal_invitation" not in page.text  # no raw flag names

        approved = await client.post(
            f"/approvals/hospitality/{request_id}", data={"decision": "approve", "csrf_token": csrf}
        )
        assert approved.status_code == 303, approved.text[:300]
        assert approved.headers["location"] == "/approvals?done=approved"
        assert await status_of(client, f"{HOSPITALITY}/{request_id}", teacher) == "approved"
        after = await client.get(approved.headers["location"])
        assert "Approved. The person who asked will be told by email." in text_of(after)
        assert f'id="item-{request_id}"' not in after.text
        assert "Nothing waits for your decision." in text_of(after)

    async def test_rejecting_without_a_note_is_refused_beside_the_note_and_nothing_changes(
        self, client: AsyncClient, caller: Make, teacher: Caller
    ) -> None:
        request_id = await ask_for_hospitality(client, teacher)
        coo = await caller(Role.COO)

        refused = await client.post(
            f"/approvals/hospitality/{request_id}",
            data={"decision": "reject", "note": "  "},
            headers=coo.headers,
        )
        assert refused.status_code == 422, refused.text[:300]
        assert f'id="note-{request_id}-error"' in refused.text
        assert "A rejection needs a note saying why" in item_of(refused, request_id)
        assert "There is a problem" in text_of(refused)
        assert await status_of(client, f"{HOSPITALITY}/{request_id}", teacher) == "submitted"

        rejected = await client.post(
            f"/approvals/hospitality/{request_id}",
            data={"decision": "reject", "note": "A personal invitation from a supplier"},
            headers=coo.headers,
        )
        assert rejected.status_code == 303, rejected.text[:300]
        read = await client.get(f"{HOSPITALITY}/{request_id}", headers=teacher.headers)
        assert read.json()["status"] == "rejected"
        assert read.json()["decision_note"] == "A personal invitation from a supplier"

    async def test_a_decider_may_not_decide_their_own_request(
        self, client: AsyncClient, caller: Make
    ) -> None:
        coo = await caller(Role.COO)
        own = await ask_for_hospitality(client, coo)

        queue = await client.get("/approvals", headers=coo.headers)
        assert queue.status_code == 200
        assert f'id="item-{own}"' not in queue.text  # never offered to them

        refused = await client.post(
            f"/approvals/hospitality/{own}", data={"decision": "approve"}, headers=coo.headers
        )
        assert refused.status_code == 403, refused.text[:300]
        assert refused.headers["content-type"].startswith("text/html")
        assert "Nobody decides their own request" in text_of(refused)
        assert await status_of(client, f"{HOSPITALITY}/{own}", coo) == "submitted"

    async def test_someone_who_may_not_see_the_request_gets_a_404_page(
        self, client: AsyncClient, caller: Make, teacher: Caller
    ) -> None:
        request_id = await ask_for_hospitality(client, teacher)
        colleague = await caller()
        refused = await client.post(
            f"/approvals/hospitality/{request_id}", data={"decision": "approve"}, headers=colleague.headers
        )
        assert refused.status_code == 404, refused.text[:300]
        assert "Page not found" in text_of(refused)
        assert await status_of(client, f"{HOSPITALITY}/{request_id}", teacher) == "submitted"

    async def test_a_form_sent_with_the_cookie_but_without_its_token_is_refused(
        self, client: AsyncClient, caller: Make, teacher: Caller
    ) -> None:
        request_id = await ask_for_hospitality(client, teacher)
        coo = await caller(Role.COO)
        await sign_in(client, coo.person.email)
        refused = await client.post(f"/approvals/hospitality/{request_id}", data={"decision": "approve"})
        assert refused.status_code == 403, refused.text[:300]
        assert await status_of(client, f"{HOSPITALITY}/{request_id}", teacher) == "submitted"

    async def test_a_request_decided_meanwhile_is_not_decided_twice(
        self, client: AsyncClient, caller: Make, teacher: Caller
    ) -> None:
        request_id = await ask_for_hospitality(client, teacher)
        coo, ceo = await caller(Role.COO), await caller(Role.CEO)
        first = await client.post(
            f"{HOSPITALITY}/{request_id}/decision", json={"decision": "approve"}, headers=ceo.headers
        )
        assert first.status_code == 200, first.text
        late = await client.post(
            f"/approvals/hospitality/{request_id}",
            data={"decision": "reject", "note": "Too late"},
            headers=coo.headers,
        )
        assert late.status_code == 409, late.text[:300]
        assert "cannot be rejected" in text_of(late) and "There is a problem" in text_of(late)
        htmx = await client.post(
            f"/approvals/hospitality/{request_id}",
            data={"decision": "reject", "note": "Too late"},
            headers={**coo.headers, **HTMX},
        )
        assert htmx.status_code == 409  # swapped in all the same (base.html's htmx configuration)
        assert "cannot be rejected" in item_of(htmx, request_id) and "<form" not in htmx.text
        assert await status_of(client, f"{HOSPITALITY}/{request_id}", teacher) == "approved"


class TestHtmx:
    async def test_the_form_asks_htmx_to_swap_the_item(
        self, client: AsyncClient, caller: Make, teacher: Caller
    ) -> None:
        request_id = await ask_for_hospitality(client, teacher)
        coo = await caller(Role.COO)
        page = await client.get("/approvals", headers=coo.headers)
        form = re.search(
            rf'<form method="post" action="/approvals/hospitality/{request_id}"[^>]*>', page.text
        )
        assert form is not None, page.text[:2000]
        assert f'hx-post="/approvals/hospitality/{request_id}"' in form.group(0)
        assert f'hx-target="#item-{request_id}"' in form.group(0)
        assert 'hx-swap="outerHTML"' in form.group(0)

    async def test_a_decision_answers_only_the_item_saying_what_was_decided(
        self, client: AsyncClient, caller: Make, teacher: Caller
    ) -> None:
        request_id = await ask_for_hospitality(client, teacher)
        coo = await caller(Role.COO)
        answer = await client.post(
            f"/approvals/hospitality/{request_id}",
            data={"decision": "approve"},
            headers={**coo.headers, **HTMX},
        )
        assert answer.status_code == 200, answer.text[:300]
        assert answer.text.lstrip().startswith("<article"), answer.text[:300]
        assert answer.text.rstrip().endswith("</article>")
        assert "<html" not in answer.text and "<nav" not in answer.text
        assert "Approved. The person who asked will be told by email." in item_of(answer, request_id)
        assert await status_of(client, f"{HOSPITALITY}/{request_id}", teacher) == "approved"

    async def test_a_refusal_comes_back_inside_the_item(
        self, client: AsyncClient, caller: Make, teacher: Caller
    ) -> None:
        request_id = await ask_for_hospitality(client, teacher)
        coo = await caller(Role.COO)
        answer = await client.post(
            f"/approvals/hospitality/{request_id}",
            data={"decision": "reject", "note": ""},
            headers={**coo.headers, **HTMX},
        )
        assert answer.status_code == 422, answer.text[:300]  # swapped in: base.html's htmx configuration
        assert answer.text.lstrip().startswith("<article")
        assert "A rejection needs a note saying why" in item_of(answer, request_id)
        assert 'aria-invalid="true"' in answer.text
        assert await status_of(client, f"{HOSPITALITY}/{request_id}", teacher) == "submitted"

        own = await ask_for_hospitality(client, coo)
        answer = await client.post(
            f"/approvals/hospitality/{own}", data={"decision": "approve"}, headers={**coo.headers, **HTMX}
        )
        assert answer.status_code == 403
        assert "Nobody decides their own request" in item_of(answer, own)
        assert await status_of(client, f"{HOSPITALITY}/{own}", coo) == "submitted"


class TestOtherKinds:
    async def test_the_hr_director_decides_a_gift_seeing_the_teachers_open_interests_beside_it(
        self, client: AsyncClient, caller: Make, teacher: Caller
    ) -> None:
        gift = await client.post(
            "/api/v1/gifts",
            json={"donor_name": "Pat Parent", "description": "Cash in a card", "value_gbp": "20.00",
                  "accepted": True, "is_cash": True},
            headers=teacher.headers,
        )  # fmt: skip
        assert gift.status_code == 201, gift.text
        assert gift.json()["status"] == "pending_review"
        gift_id = gift.json()["id"]
        hr = await caller(Role.HR_DIRECTOR)

        page = await client.get("/approvals", headers=hr.headers)
        item = item_of(page, gift_id)
        assert "Gift from Tina Teacher" in item and "Cash in a card" in item and "£20.00" in item
        assert "Cash: a gift of cash always needs a decision" in item
        # Not a screener, but the gift waits for the HR director: the teacher's open interests show.
        assert "Riverside Events Ltd" in item and "has no interests" not in item

        approved = await client.post(
            f"/approvals/gifts/{gift_id}", data={"decision": "approve"}, headers=hr.headers
        )
        assert approved.status_code == 303, approved.text[:300]
        assert await status_of(client, f"/api/v1/gifts/{gift_id}", teacher) == "approved"

    async def test_the_headteacher_raises_a_concern_about_paid_work_only_with_a_note(
        self, session: AsyncSession, client: AsyncClient, caller: Make
    ) -> None:
        school = await make_school(session)
        teacher = await caller(full_name="Una Usher", school_id=school.id)
        head = await caller(Role.HEADTEACHER, school_id=school.id)
        disclosed = await client.post(
            "/api/v1/paid-work",
            json={"employer": "Riverside College", "role": "Evening tutor", "hours_per_week": 4.5},
            headers=teacher.headers,
        )
        assert disclosed.status_code == 201, disclosed.text
        paid_work_id = disclosed.json()["id"]

        page = await client.get("/approvals", headers=head.headers)
        item = item_of(page, paid_work_id)
        assert "Additional paid work from Una Usher" in item
        assert "Riverside College" in item and "Evening tutor" in item and "4.5" in item
        assert "Raise a concern" in item and "Needed to raise a concern" in item

        refused = await client.post(
            f"/approvals/paid-work/{paid_work_id}", data={"decision": "reject"}, headers=head.headers
        )
        assert refused.status_code == 422, refused.text[:300]
        assert "A concern needs a note saying what it is" in item_of(refused, paid_work_id)
        path = f"/api/v1/paid-work/{paid_work_id}"
        assert await status_of(client, path, teacher) == "submitted"

        concern = await client.post(
            f"/approvals/paid-work/{paid_work_id}",
            data={"decision": "reject", "note": "Clashes with parents' evenings"},
            headers=head.headers,
        )
        assert concern.status_code == 303
        assert concern.headers["location"] == "/approvals?done=concern"
        assert await status_of(client, path, teacher) == "concern_raised"


@pytest.fixture
async def trustee(session: AsyncSession, caller: Make) -> Caller:
    """A trustee whose wife works for the caterer bidding for the contract."""
    person = await caller(full_name="Tom Trustee", governance_roles=(GovernanceRole.TRUSTEE,))
    await declare(
        session,
        person,
        "Hillside Catering Ltd",
        category=InterestCategory.EMPLOYMENT,
        holder=Holder.SPOUSE_PARTNER,
        holder_name="Tess Trustee",
        relationship="wife",
    )
    return person


async def run_check(client: AsyncClient, headers: dict[str, str], **form: str) -> str:
    """Runs a check through the form; its result's path."""
    made = await client.post(
        "/conflict-checks/new", data={"context": "contract_award", **form}, headers=headers
    )
    assert made.status_code == 303, made.text[:300]
    location = made.headers["location"]
    assert re.fullmatch(r"/conflict-checks/[0-9a-f-]{36}\?done=checked", location), location
    return location.split("?")[0]


class TestConflictChecks:
    async def test_the_finance_director_finds_the_trustee_resolves_and_sees_it_listed(
        self, client: AsyncClient, caller: Make, trustee: Caller
    ) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR, full_name="Fay Finance")
        csrf = await sign_in(client, finance.person.email)
        form = await client.get("/conflict-checks/new")
        assert form.status_code == 200 and "Supplier or other party" in form.text

        made = await client.post(
            "/conflict-checks/new",
            data={"counterparty_name": "Hillside Catering", "context": "contract_award",
                  "reference": "Tender 2026/14", "value_gbp": "£48,500", "csrf_token": csrf},
        )  # fmt: skip
        assert made.status_code == 303, made.text[:300]
        result_path = made.headers["location"].split("?")[0]
        check_id = result_path.rsplit("/", 1)[1]

        result = await client.get(made.headers["location"])
        assert result.status_code == 200
        words = text_of(result)
        assert "The check is done and kept as evidence." in words
        assert "Tom Trustee" in words and "Employment or paid work: Hillside Catering Ltd" in words
        assert "Their spouse or partner's" in words and "Same name" in words
        assert "£48,500.00" in words and "Tender 2026/14" in words and "Not resolved yet" in words

        resolved = await client.post(
            f"{result_path}/resolution",
            data={"outcome": "related_party_transaction", "note": "Catering at cost for the new site",
                  "csrf_token": csrf},
        )  # fmt: skip
        assert resolved.status_code == 303, resolved.text[:300]
        assert resolved.headers["location"] == f"{result_path}?done=rpt"
        api = await client.get(f"/api/v1/conflict-checks/{check_id}", headers=finance.headers)
        assert api.json()["outcome"] == "related_party_transaction"
        rpt_id = api.json()["related_party_transaction_id"]
        assert rpt_id is not None
        shown = text_of(await client.get(resolved.headers["location"]))
        assert "Catering at cost for the new site" in shown and "Resolved by Fay Finance" in shown

        history = await client.get("/conflict-checks")
        assert history.status_code == 200
        row = re.search(
            rf'<tr>(?:(?!</tr>).)*?href="/conflict-checks/{check_id}".*?</tr>',
            history.text,
            re.DOTALL,
        )
        assert row is not None, history.text[:2000]
        row_text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row.group(0))))
        for expected in (
            "Hillside Catering",
            "Awarding a contract",
            "Fay Finance",
            "1 match",
            "Related party transaction",
        ):
            assert expected in row_text, row_text

        rpts = await client.get("/related-party-transactions")
        assert rpts.status_code == 200
        found = re.search(rf'<tr id="rpt-{rpt_id}">.*?</tr>', rpts.text, re.DOTALL)
        assert found is not None, rpts.text[:2000]
        listed = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(0))))
        assert "Hillside Catering" in listed and "Tom Trustee" in listed and "£48,500.00" in listed
        assert "Yes over the threshold" in listed and "Waiting for the DfE" in listed

    async def test_a_check_that_finds_nobody_says_so_plainly(
        self, client: AsyncClient, caller: Make, trustee: Caller
    ) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        path = await run_check(client, finance.headers, counterparty_name="Zebra Stationery Supplies")
        result = await client.get(path, headers=finance.headers)
        assert "No one on the register has a matching interest." in text_of(result)
        assert "Tom Trustee" not in result.text

    async def test_a_refused_check_keeps_what_was_typed_and_says_what_to_put_right(
        self, client: AsyncClient, caller: Make
    ) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        refused = await client.post(
            "/conflict-checks/new",
            data={"counterparty_name": "Hillside Catering", "company_number": "not a number!",
                  "context": "contract_award", "reference": "Tender 2026/15"},
            headers=finance.headers,
        )  # fmt: skip
        assert refused.status_code == 422, refused.text[:300]
        assert 'value="Hillside Catering"' in refused.text and 'value="Tender 2026/15"' in refused.text
        assert 'id="company_number-error"' in refused.text
        assert 'aria-invalid="true"' in refused.text
        listed = await client.get("/api/v1/conflict-checks", headers=finance.headers)
        assert listed.json()["total"] == 0

    async def test_a_managed_conflict_needs_a_note_and_the_check_stays_open_until_then(
        self, client: AsyncClient, caller: Make, trustee: Caller
    ) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        path = await run_check(client, finance.headers, counterparty_name="Hillside Catering Ltd")
        refused = await client.post(
            f"{path}/resolution", data={"outcome": "conflict_managed"}, headers=finance.headers
        )
        assert refused.status_code == 422, refused.text[:300]
        assert 'id="note-error"' in refused.text
        assert "Conflict managed needs a note" in text_of(refused)
        assert re.search(r'value="conflict_managed" checked', refused.text)  # the choice kept
        check = await client.get(f"/api/v1{path}", headers=finance.headers)
        assert check.json()["outcome"] == "open"

    async def test_a_screener_does_not_resolve_a_check_that_found_their_own_interest(
        self, session: AsyncSession, client: AsyncClient, caller: Make
    ) -> None:
        chair = await caller(Role.CHAIR, full_name="Cara Chair")
        await declare(session, chair, "Hillside Catering Ltd")
        finance = await caller(Role.FINANCE_DIRECTOR)
        path = await run_check(client, finance.headers, counterparty_name="Hillside Catering Ltd")

        result = await client.get(path, headers=chair.headers)
        assert "Cara Chair" in text_of(result)
        assert "Resolve the check" not in result.text
        assert "You may not resolve a conflict check that concerns your own interest" in text_of(result)
        refused = await client.post(
            f"{path}/resolution",
            data={"outcome": "no_conflict", "note": "Mine is fine"},
            headers=chair.headers,
        )
        assert refused.status_code == 403, refused.text[:300]
        assert "concerns your own interest" in text_of(refused)

    async def test_an_auditor_reads_checks_but_is_offered_no_resolution(
        self, client: AsyncClient, caller: Make, trustee: Caller
    ) -> None:
        finance = await caller(Role.FINANCE_DIRECTOR)
        path = await run_check(client, finance.headers, counterparty_name="Hillside Catering Ltd")
        auditor = await caller(Role.AUDITOR)
        result = await client.get(path, headers=auditor.headers)
        assert result.status_code == 200 and "Tom Trustee" in result.text
        assert "Resolve the check" not in result.text
        assert "Run a new check" not in (await client.get("/conflict-checks", headers=auditor.headers)).text

    @pytest.mark.parametrize(
        "path", ["/conflict-checks", "/conflict-checks/new", "/related-party-transactions"]
    )
    async def test_a_declarant_is_refused_the_finance_pages(
        self, client: AsyncClient, caller: Make, path: str
    ) -> None:
        declarant = await caller()
        refused = await client.get(path, headers=declarant.headers)
        assert refused.status_code == 403, refused.text[:300]
        assert refused.headers["content-type"].startswith("text/html")
        assert "Not allowed" in text_of(refused)
