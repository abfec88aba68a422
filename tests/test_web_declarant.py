"""The declarants' pages (issue 9, item 2): the annual declaration with the Seven Principles and the
interests to confirm, my gifts, my hospitality requests and my paid work, driven over HTTP as a
browser does (the session cookie and the form's CSRF token) or with bearer headers."""

import html
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Role
from app.core import clock
from app.declarations import service as declarations_service
from app.declarations.pages import PRINCIPLES
from app.declarations.schemas import CycleCreate
from app.interests import service as interests_service
from app.interests.models import Interest
from app.interests.schemas import InterestCategory, InterestCreate
from app.people.governance import GovernanceRole
from app.people.schemas import PersonRead
from tests.factories import Caller, bearer, days_from_today, make_person, make_school, system_actor
from tests.web_session import sign_in

MakeCaller = Callable[..., Awaitable[Caller]]


def words(response: Response) -> str:
    """The page's text as a person reads it: no tags, entities decoded, spaces collapsed (and none
    left before a stop or a colon where a tag closed)."""
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())
    return re.sub(r" ([:.,;)])", r"\1", text)


def beside(response: Response, field: str) -> str:
    """The message shown beside a field (the form macros' `<field>-error`)."""
    found = re.search(
        rf'<span class="field-error" id="{re.escape(field)}-error">([^<]*)</span>', response.text
    )
    assert found is not None, f"no error beside {field}: {words(response)[:600]}"
    return html.unescape(found.group(1))


def page(response: Response, status: int = 200) -> str:
    assert response.status_code == status, response.text[:800]
    assert response.headers["content-type"].startswith("text/html")
    return words(response)


def done(response: Response, location: str) -> None:
    assert response.status_code == 303, response.text[:800]
    assert response.headers["location"] == location


async def trustee(session: AsyncSession, **kwargs: Any) -> PersonRead:
    return await make_person(session, governance_roles=(GovernanceRole.TRUSTEE,), **kwargs)


async def interest_of(session: AsyncSession, person: PersonRead, organisation: str) -> Interest:
    return await interests_service.create(
        session,
        system_actor(),
        InterestCreate(
            person_id=person.id, category=InterestCategory.DIRECTORSHIP, organisation_name=organisation
        ),
    )


async def cycle_for(
    session: AsyncSession, *roles: GovernanceRole, name: str = "2026-27 declaration", due_in: int = 30
) -> uuid.UUID:
    today = clock.today()
    data = CycleCreate(
        name=name,
        opens_on=min(today, today + timedelta(days=due_in)),
        due_on=today + timedelta(days=due_in),
        governance_roles=list(roles or (GovernanceRole.TRUSTEE,)),
    )
    return (await declarations_service.open_cycle(session, system_actor(), data)).id


async def api_declarations(client: AsyncClient, person: PersonRead, cycle_id: uuid.UUID) -> list[Any]:
    response = await client.get(
        "/api/v1/declarations", params={"cycle_id": str(cycle_id)}, headers=bearer(person.id)
    )
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


# ---------------------------------------------------------------- the annual declaration


class TestAnnualDeclaration:
    async def test_a_trustee_declares_in_a_browser(self, client: AsyncClient, session: AsyncSession) -> None:
        person = await trustee(session, full_name="Tess Trustee")
        kept = await interest_of(session, person, "Acme Ltd")
        ended = await interest_of(session, person, "Old Firm Ltd")
        cycle_id = await cycle_for(session)
        token = await sign_in(client, person.email)

        listing = page(await client.get("/declarations"))
        assert "2026-27 declaration" in listing
        assert f"Please make it by {clock.today() + timedelta(days=30):%-d %B %Y}" in listing
        assert "You have not made a declaration yet." in listing

        form = page(await client.get(f"/declarations/{cycle_id}"))
        for name, description in PRINCIPLES:
            assert f"{name}: {description}" in form
        assert "Acme Ltd" in form and "Old Firm Ltd" in form
        assert "Add an interest first" in form

        # Not accepting the code: refused, the choices kept, the message beside the box.
        choices = {f"interest-{kept.id}": "keep", f"interest-{ended.id}": "end", "csrf_token": token}
        refused = await client.post(f"/declarations/{cycle_id}", data=choices)
        page(refused, 422)
        assert "Seven Principles of Public Life" in beside(refused, "code_of_conduct_accepted")
        assert re.search(rf'name="interest-{ended.id}" value="end" checked', refused.text)
        assert re.search(rf'name="interest-{kept.id}" value="keep" checked', refused.text)
        assert await api_declarations(client, person, cycle_id) == []
        await session.refresh(ended)
        assert ended.end_date is None  # the refusal left nothing behind

        accepted = await client.post(
            f"/declarations/{cycle_id}", data={**choices, "code_of_conduct_accepted": "true"}
        )
        done(accepted, "/declarations?done=submitted")
        (declaration,) = await api_declarations(client, person, cycle_id)
        assert declaration["code_of_conduct_accepted"] is True and declaration["nil_return"] is False
        assert [i["organisation_name"] for i in declaration["interests"]] == ["Acme Ltd"]
        await session.refresh(ended)
        assert ended.end_date == clock.today()

        after = page(await client.get("/declarations?done=submitted"))
        assert "Your declaration has been submitted." in after
        assert "You have no declaration to make now." in after
        assert "1 interest confirmed" in after
        shown = page(await client.get(f"/declarations/{cycle_id}"))
        assert f"You made this declaration on {clock.today():%-d %B %Y}" in shown

        again = await client.post(
            f"/declarations/{cycle_id}", data={"code_of_conduct_accepted": "true", "csrf_token": token}
        )
        assert "A declaration has already been submitted in this cycle" in page(again, 409)
        assert len(await api_declarations(client, person, cycle_id)) == 1

    async def test_a_refused_declaration_shows_the_interests_as_the_register_still_holds_them(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        # Alpha is ended first, then Beta (ended meanwhile elsewhere) refuses the whole submission:
        # rolled back, Alpha is still open, and the form shown again must offer it as open.
        person = await trustee(session)
        alpha = await interest_of(session, person, "Alpha Ltd")
        beta = await interest_of(session, person, "Beta Ltd")
        cycle_id = await cycle_for(session)
        await interests_service.end(session, system_actor(), beta.id, None)
        response = await client.post(
            f"/declarations/{cycle_id}",
            data={
                f"interest-{alpha.id}": "end",
                f"interest-{beta.id}": "end",
                "code_of_conduct_accepted": "true",
            },
            headers=bearer(person.id),
        )
        assert response.status_code == 422, response.text[:500]
        assert f'name="interest-{alpha.id}"' in response.text
        assert "as already recorded" not in response.text
        await session.refresh(alpha)
        assert alpha.end_date is None
        assert await api_declarations(client, person, cycle_id) == []

    async def test_a_declaration_past_its_due_date_is_said_to_be_overdue(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        person = await trustee(session)
        cycle_id = await cycle_for(session, name="Last year's", due_in=-3)
        due_on = clock.today() - timedelta(days=3)
        listing = page(await client.get("/declarations", headers=bearer(person.id)))
        assert f"Overdue This was due on {due_on:%-d %B %Y}" in listing
        form = page(await client.get(f"/declarations/{cycle_id}", headers=bearer(person.id)))
        assert f"This declaration is overdue: it was due on {due_on:%-d %B %Y}" in form

    async def test_with_no_interests_a_nil_return_is_offered_and_taken(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        person = await trustee(session)
        cycle_id = await cycle_for(session)
        form = page(await client.get(f"/declarations/{cycle_id}", headers=bearer(person.id)))
        assert "You have no interests on the register." in form
        assert (
            'name="nil_return"'
            in (await client.get(f"/declarations/{cycle_id}", headers=bearer(person.id))).text
        )
        response = await client.post(
            f"/declarations/{cycle_id}",
            data={"nil_return": "true", "code_of_conduct_accepted": "true"},
            headers=bearer(person.id),
        )
        done(response, "/declarations?done=submitted")
        (declaration,) = await api_declarations(client, person, cycle_id)
        assert declaration["nil_return"] is True and declaration["interests"] == []
        assert "A nil return: no interests" in page(
            await client.get("/declarations", headers=bearer(person.id))
        )

    async def test_someone_outside_the_cycles_scope_is_told_plainly(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        person = await trustee(session)
        cycle_id = await cycle_for(session, GovernanceRole.LOCAL_GOVERNOR, GovernanceRole.MEMBER)
        assert "You have no declaration to make now." in page(
            await client.get("/declarations", headers=bearer(person.id))
        )
        form = page(await client.get(f"/declarations/{cycle_id}", headers=bearer(person.id)))
        assert (
            "This declaration is for local governors and members. You do not hold such an appointment" in form
        )
        assert "Submit my declaration" not in form
        response = await client.post(
            f"/declarations/{cycle_id}",
            data={"nil_return": "true", "code_of_conduct_accepted": "true"},
            headers=bearer(person.id),
        )
        assert "This declaration is for local governors and members" in page(response, 422)
        assert await api_declarations(client, person, cycle_id) == []

    async def test_a_cycle_that_does_not_exist_is_a_404_page(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        person = await trustee(session)
        page(await client.get(f"/declarations/{uuid.uuid4()}", headers=bearer(person.id)), 404)


# ---------------------------------------------------------------- gifts


class TestGifts:
    async def test_a_gift_over_the_token_limit_waits_for_review(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        person = await make_person(session)
        token = await sign_in(client, person.email)
        form = page(await client.get("/gifts/new"))
        assert "The trust's token limit is £25.00 from one donor in 12 months" in form
        assert "the Director of HR or the Director of Finance and Governance" in form

        response = await client.post(
            "/gifts/new",
            data={
                "donor_name": "Sam Supplier",
                "donor_organisation": "Acme Ltd",
                "description": "A hamper",
                "value_gbp": "£80",
                "offered_on": days_from_today(-2),
                "accepted": "true",
                "csrf_token": token,
            },
        )
        done(response, "/gifts?done=review")
        listing = page(await client.get("/gifts?done=review"))
        assert (
            "it waits for review by the Director of HR or the Director of Finance and Governance" in listing
        )
        assert "Sam Supplier Acme Ltd A hamper £80.00" in listing
        assert f"{clock.today() - timedelta(days=2):%-d %B %Y} Accepted Waiting for review" in listing
        assert "Over the token limit, with the donor's other gifts in the last 12 months" in listing
        gifts = (await client.get("/api/v1/gifts", headers=bearer(person.id))).json()["items"]
        assert [(g["status"], g["value_gbp"], g["flags"]) for g in gifts] == [
            ("pending_review", "80.00", ["over_token_limit"])
        ]

    async def test_a_small_token_declined_is_recorded(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        person = await make_person(session)
        response = await client.post(
            "/gifts/new",
            data={
                "donor_name": "Pat Parent",
                "description": "Flowers",
                "value_gbp": "10",
                "accepted": "false",
            },
            headers=bearer(person.id),
        )
        done(response, "/gifts?done=recorded")
        listing = page(await client.get("/gifts", headers=bearer(person.id)))
        assert "Flowers £10.00" in listing and "Declined Recorded" in listing

    async def test_a_refused_gift_keeps_what_was_typed(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        person = await make_person(session)
        response = await client.post(
            "/gifts/new",
            data={"donor_name": "Sam Supplier", "description": "A hamper", "value_gbp": "lots"},
            headers=bearer(person.id),
        )
        page(response, 422)
        assert 'value="Sam Supplier"' in response.text and ">A hamper</textarea>" in response.text
        assert 'value="lots"' in response.text
        assert "written like" in beside(response, "value_gbp")
        assert beside(response, "accepted") == "Choose whether you accepted it or declined it"
        gifts = (await client.get("/api/v1/gifts", headers=bearer(person.id))).json()
        assert gifts["total"] == 0


# ---------------------------------------------------------------- hospitality


async def ask_on_page(client: AsyncClient, headers: dict[str, str], **fields: str) -> None:
    form = {
        "provider_name": "Pat Provider",
        "provider_organisation": "Acme Events Ltd",
        "event_description": "Awards dinner",
        "event_date": days_from_today(30),
        "estimated_value_gbp": "60",
        "invitation_type": "corporate",
        "business_justification": "Meeting partners",
        **fields,
    }
    done(await client.post("/hospitality/new", data=form, headers=headers), "/hospitality?done=asked")


async def my_requests(client: AsyncClient, person: PersonRead) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/hospitality-requests", headers=bearer(person.id))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


class TestHospitality:
    async def test_a_request_shows_its_flags_and_status(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        person = await make_person(session)
        await interest_of(session, person, "Acme Events Ltd")
        token = await sign_in(client, person.email)
        form = page(await client.get("/hospitality/new"))
        assert "goes to the Chief Executive, the Chief Operating Officer or the Chair of Trustees" in form
        await ask_on_page(
            client,
            {},
            event_date=days_from_today(-1),
            invitation_type="personal",
            csrf_token=token,
        )
        listing = page(await client.get("/hospitality?done=asked"))
        assert "sent to the Chief Executive, the Chief Operating Officer or the Chair of Trustees" in listing
        assert "Waiting for a decision" in listing
        assert "Asked for on or after the day of the event" in listing
        assert "A personal invitation" in listing
        assert "The provider matches an interest declared by you, or by someone who could decide" in listing
        assert "Withdraw" in listing
        (asked,) = await my_requests(client, person)
        assert asked["status"] == "submitted"
        assert asked["flags"] == ["retrospective", "personal_invitation", "provider_conflict"]

    async def test_a_refused_request_keeps_what_was_typed(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        person = await make_person(session)
        response = await client.post(
            "/hospitality/new",
            data={
                "provider_name": "Pat Provider",
                "event_description": "Awards dinner",
                "invitation_type": "corporate",
            },
            headers=bearer(person.id),
        )
        page(response, 422)
        assert 'value="Pat Provider"' in response.text
        assert re.search(r'name="invitation_type" value="corporate" checked', response.text)
        assert beside(response, "event_date") == "Enter the date of the event"
        assert beside(response, "business_justification") == "Say why the trust benefits"
        assert await my_requests(client, person) == []

    async def test_withdrawing_works_only_while_waiting(
        self, client: AsyncClient, session: AsyncSession, caller: MakeCaller
    ) -> None:
        person = await make_person(session)
        headers = bearer(person.id)
        await ask_on_page(client, headers, event_description="First dinner")
        await ask_on_page(client, headers, event_description="Second dinner")
        second, first = await my_requests(client, person)
        done(
            await client.post(f"/hospitality/{first['id']}/withdraw", headers=headers),
            "/hospitality?done=withdrawn",
        )
        assert "Withdrawn by you" in page(await client.get("/hospitality", headers=headers))

        coo = await caller(Role.COO)
        approval = await client.post(
            f"/api/v1/hospitality-requests/{second['id']}/decision",
            json={"decision": "approve", "note": "Go and enjoy it"},
            headers=coo.headers,
        )
        assert approval.status_code == 200, approval.text
        refused = await client.post(f"/hospitality/{second['id']}/withdraw", headers=headers)
        assert "A hospitality request that is approved cannot be withdrawn" in page(refused, 409)
        statuses = {r["event_description"]: r["status"] for r in await my_requests(client, person)}
        assert statuses == {"First dinner": "withdrawn", "Second dinner": "approved"}
        listing = page(await client.get("/hospitality", headers=headers))
        assert f"Decided by {coo.person.full_name} on {clock.today():%-d %B %Y}: “Go and enjoy it”" in listing

    async def test_only_the_requester_withdraws(
        self, client: AsyncClient, session: AsyncSession, caller: MakeCaller
    ) -> None:
        person = await make_person(session)
        await ask_on_page(client, bearer(person.id))
        (asked,) = await my_requests(client, person)
        stranger, coo = await caller(), await caller(Role.COO)
        page(await client.post(f"/hospitality/{asked['id']}/withdraw", headers=stranger.headers), 404)
        assert "Only the person who asked may withdraw" in page(
            await client.post(f"/hospitality/{asked['id']}/withdraw", headers=coo.headers), 403
        )
        assert [r["status"] for r in await my_requests(client, person)] == ["submitted"]
        # Its readers see the request's outcome page, without the form; anyone else gets a 404.
        outcome = f"/hospitality/{asked['id']}/outcome"
        shown = await client.get(outcome, headers=coo.headers)
        assert "Only the person who asked records what happened" in page(shown)
        assert "Did you go?" not in words(shown)
        page(await client.get(outcome, headers=stranger.headers), 404)

    async def test_after_the_event_the_requester_says_what_happened(
        self, client: AsyncClient, session: AsyncSession, caller: MakeCaller
    ) -> None:
        person = await make_person(session)
        headers = bearer(person.id)
        await ask_on_page(client, headers, event_date=days_from_today(0))
        (asked,) = await my_requests(client, person)
        outcome = f"/hospitality/{asked['id']}/outcome"
        assert "Only hospitality that was approved" in page(await client.get(outcome, headers=headers))
        approval = await client.post(
            f"/api/v1/hospitality-requests/{asked['id']}/decision",
            json={"decision": "approve"},
            headers=(await caller(Role.CEO)).headers,
        )
        assert approval.status_code == 200, approval.text
        assert "Tell us what happened" in page(await client.get("/hospitality", headers=headers))
        assert "Did you go?" in page(await client.get(outcome, headers=headers))

        refused = await client.post(outcome, data={"attended": "true"}, headers=headers)
        assert "What it was worth is required when the event was attended" in page(refused, 422)
        assert re.search(r'name="attended" value="true" checked', refused.text)
        done(
            await client.post(
                outcome, data={"attended": "true", "actual_value_gbp": "55.50"}, headers=headers
            ),
            "/hospitality?done=completed",
        )
        (completed,) = await my_requests(client, person)
        assert (completed["status"], completed["attended"], completed["actual_value_gbp"]) == (
            "completed",
            True,
            "55.50",
        )
        listing = page(await client.get("/hospitality", headers=headers))
        assert "Done You went." in listing and "Worth £55.50 in the end" in listing
        recorded = page(await client.get(outcome, headers=headers))
        assert "What happened has been recorded: you went, and it was worth £55.50." in recorded

    async def test_the_outcome_waits_for_the_day_of_the_event(
        self, client: AsyncClient, session: AsyncSession, caller: MakeCaller
    ) -> None:
        person = await make_person(session)
        headers = bearer(person.id)
        await ask_on_page(client, headers, event_date=days_from_today(10))
        (asked,) = await my_requests(client, person)
        approval = await client.post(
            f"/api/v1/hospitality-requests/{asked['id']}/decision",
            json={"decision": "approve"},
            headers=(await caller(Role.CHAIR)).headers,
        )
        assert approval.status_code == 200, approval.text
        form = page(await client.get(f"/hospitality/{asked['id']}/outcome", headers=headers))
        event_day = clock.today() + timedelta(days=10)
        assert f"You can tell us what happened from the day of the event, {event_day:%-d %B %Y}" in form
        response = await client.post(
            f"/hospitality/{asked['id']}/outcome", data={"attended": "false"}, headers=headers
        )
        page(response, 409)
        assert [r["status"] for r in await my_requests(client, person)] == ["approved"]


# ---------------------------------------------------------------- paid work


class TestPaidWork:
    async def test_paid_work_disclosed_waits_for_the_headteacher(
        self, client: AsyncClient, session: AsyncSession, caller: MakeCaller
    ) -> None:
        school = await make_school(session)
        teacher = await make_person(session, school_id=school.id)
        headteacher = await caller(Role.HEADTEACHER, school_id=school.id, full_name="Hana Head")
        token = await sign_in(client, teacher.email)
        form = page(await client.get("/paid-work/new"))
        assert "Your disclosure goes to the headteacher of your school" in form
        response = await client.post(
            "/paid-work/new",
            data={
                "employer": "Riverside College",
                "role": "Evening tutor",
                "hours_per_week": "7.5",
                "csrf_token": token,
            },
        )
        done(response, "/paid-work?done=disclosed")
        listing = page(await client.get("/paid-work?done=disclosed"))
        assert "disclosed to the headteacher of your school" in listing
        assert "Riverside College Evening tutor 7.5" in listing
        assert "Waiting for review By the headteacher of your school" in listing

        (work,) = (await client.get("/api/v1/paid-work", headers=bearer(teacher.id))).json()["items"]
        review = await client.post(
            f"/api/v1/paid-work/{work['id']}/review",
            json={"outcome": "concern", "note": "Not during school hours"},
            headers=headteacher.headers,
        )
        assert review.status_code == 200, review.text
        listing = page(await client.get("/paid-work"))
        assert (
            f"A concern was raised By Hana Head on {clock.today():%-d %B %Y}: “Not during school hours”"
            in listing
        )

    async def test_refused_paid_work_keeps_what_was_typed(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        person = await make_person(session)
        response = await client.post(
            "/paid-work/new",
            data={"employer": "Riverside College", "role": "Tutor", "hours_per_week": "a few"},
            headers=bearer(person.id),
        )
        page(response, 422)
        assert 'value="Riverside College"' in response.text and 'value="a few"' in response.text
        assert "number" in beside(response, "hours_per_week")
        assert (await client.get("/api/v1/paid-work", headers=bearer(person.id))).json()["total"] == 0

    async def test_central_staff_disclose_to_the_coo(
        self, client: AsyncClient, session: AsyncSession
    ) -> None:
        person = await make_person(session)
        assert "goes to the Chief Operating Officer" in page(
            await client.get("/paid-work/new", headers=bearer(person.id))
        )


# ---------------------------------------------------------------- the CSRF token


DONE_KEY = {
    "/declarations/{cycle_id}": "submitted",
    "/gifts/new": "recorded",
    "/hospitality/new": "asked",
    "/paid-work/new": "disclosed",
}


class TestFormsNeedTheirToken:
    @pytest.mark.parametrize(
        ("path", "form"),
        [
            ("/declarations/{cycle_id}", {"nil_return": "true", "code_of_conduct_accepted": "true"}),
            ("/gifts/new", {"donor_name": "Sam", "description": "Pen", "value_gbp": "5", "accepted": "true"}),
            (
                "/hospitality/new",
                {"provider_name": "Pat", "event_description": "Dinner", "event_date": "2099-06-01",
                 "estimated_value_gbp": "40", "invitation_type": "corporate",
                 "business_justification": "Partners"},
            ),
            ("/paid-work/new", {"employer": "Riverside College", "role": "Tutor", "hours_per_week": "4"}),
        ],
        ids=["declaration", "gift", "hospitality", "paid work"],
    )  # fmt: skip
    async def test_a_form_sent_with_the_cookie_but_no_token_is_refused_and_changes_nothing(
        self, client: AsyncClient, session: AsyncSession, path: str, form: dict[str, str]
    ) -> None:
        person = await trustee(session)
        cycle_id = await cycle_for(session)
        token = await sign_in(client, person.email)
        refused = await client.post(path.format(cycle_id=cycle_id), data=form)
        page(refused, 403)
        headers = bearer(person.id)
        assert await api_declarations(client, person, cycle_id) == []
        for listing in ("/api/v1/gifts", "/api/v1/hospitality-requests", "/api/v1/paid-work"):
            assert (await client.get(listing, headers=headers)).json()["total"] == 0
        # The same form with the token is taken: the refusal was the token's.
        taken = await client.post(path.format(cycle_id=cycle_id), data={**form, "csrf_token": token})
        assert taken.status_code == 303, taken.text[:800]
        assert taken.headers["location"].endswith("?done=" + DONE_KEY[path])
