"""The governance clerk's pages (issue 9, item 5): people, their details and their appointments,
deactivating, the CSV import checked before it is applied, declaration cycles with who is overdue,
and settings.

Most requests carry the clerk's bearer header (pages take it as the API does, with no CSRF token);
each group of pages is also driven once as a browser does, signed in by the session cookie."""

import html
import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from httpx import AsyncClient, Response

from app.auth.permissions import Role
from app.people.governance import GovernanceRole
from tests.factories import Caller, bearer, days_from_today, make_person, make_school
from tests.web_session import csrf_of, sign_in

MakeCaller = Callable[..., Awaitable[Caller]]
HEADER = "email,full_name,school,job_title,governance_roles,roles\n"


def error_beside(page: str, field: str) -> str:
    """The message shown beside a form's field (the summary links to it)."""
    found = re.search(rf'<span class="field-error" id="{re.escape(field)}-error">(.*?)</span>', page)
    assert found is not None, f"no error beside {field}: {page[:3000]}"
    return html.unescape(found.group(1))


def kept(page: str, field: str) -> str:
    """What a text input shows again."""
    found = re.search(rf'<input id="{re.escape(field)}" name="[^"]+" type="[^"]+" value="([^"]*)"', page)
    assert found is not None, f"no input {field}"
    return html.unescape(found.group(1))


def text_of(response: Response) -> str:
    """The page's words, tags and entities gone, spaces collapsed (for what a reader sees)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def assert_see_other(response: Response, location: str) -> None:
    assert response.status_code == 303, response.text[:2000]
    assert response.headers["location"] == location


async def api_person(client: AsyncClient, clerk: Caller, email: str) -> dict[str, Any] | None:
    response = await client.get("/api/v1/people", params={"email": email}, headers=clerk.headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return dict(items[0]) if items else None


@pytest.fixture
async def clerk(caller: MakeCaller) -> Caller:
    return await caller(Role.GOVERNANCE_ADMIN, full_name="Cath Clerk")


# ---------------------------------------------------------------- people


class TestAddingAPerson:
    async def test_the_clerk_signed_in_by_cookie_adds_a_person_seen_on_the_pages_and_by_the_api(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        school = await make_school(session, "Hillside Primary")
        token = await sign_in(client, clerk.person.email)
        form = await client.get("/people/new")
        assert form.status_code == 200, form.text[:500]
        assert "Hillside Primary" in form.text and "Local governor" in form.text
        assert "Headteacher (reviews the paid work of their school" in text_of(form)
        response = await client.post(
            "/people/new",
            data={
                "csrf_token": csrf_of(form.text),
                "full_name": "Hana Head",
                "email": "hana.head@trust.test",
                "job_title": "Headteacher",
                "school_id": str(school.id),
                "roles": ["headteacher"],
                "governance_roles": ["local_governor", "staff"],
                "password": "a long enough password",
            },
        )
        assert token == csrf_of(form.text)
        hana = await api_person(client, clerk, "hana.head@trust.test")
        assert hana is not None
        assert_see_other(response, f"/people/{hana['id']}?done=added")
        assert hana["roles"] == ["headteacher"]
        assert hana["governance_roles"] == ["local_governor", "staff"]
        assert hana["school_id"] == str(school.id)
        page = await client.get(f"/people/{hana['id']}?done=added")
        assert page.status_code == 200
        words = text_of(page)
        assert "The person has been added." in words
        assert "Hana Head" in words and "Headteacher" in words and "Local governor, Staff" in words
        listed = await client.get("/people", params={"q": "hana"})
        assert listed.status_code == 200
        assert "hana.head@trust.test" in listed.text and "Hillside Primary" in listed.text
        # Hana can sign in with the password the clerk set.
        assert (
            await client.post("/api/v1/auth/token", data=_login("hana.head@trust.test"))
        ).status_code == 200

    async def test_a_form_sent_by_cookie_without_its_token_is_refused_and_adds_nobody(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        await sign_in(client, clerk.person.email)
        response = await client.post(
            "/people/new", data={"full_name": "No Token", "email": "no.token@trust.test"}
        )
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert await api_person(client, clerk, "no.token@trust.test") is None

    async def test_an_email_already_on_the_register_is_refused_beside_the_field_keeping_what_was_typed(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        await make_person(session, email="taken@trust.test")
        response = await client.post(
            "/people/new",
            headers=clerk.headers,
            data={"full_name": "Second Taker", "email": "TAKEN@trust.test", "governance_roles": "trustee"},
        )
        assert response.status_code == 409
        assert (
            error_beside(response.text, "email") == "Someone on the register already has this email address"
        )
        assert kept(response.text, "full_name") == "Second Taker"
        assert kept(response.text, "email") == "TAKEN@trust.test"
        assert re.search(r'value="trustee" checked', response.text)
        assert 'href="#email"' in response.text  # the summary leads to the field

    async def test_a_malformed_email_and_a_missing_name_are_refused_beside_their_fields(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        response = await client.post(
            "/people/new",
            headers=clerk.headers,
            data={"email": "not an address", "job_title": "Parent governor", "roles": "auditor"},
        )
        assert response.status_code == 422
        assert "an email address is a name, an @ and a domain" in error_beside(response.text, "email").lower()
        assert error_beside(response.text, "full_name") == "Enter their full name"
        assert kept(response.text, "email") == "not an address"
        assert kept(response.text, "job_title") == "Parent governor"
        assert re.search(r'value="auditor" checked', response.text)


def _login(email: str) -> dict[str, str]:
    return {"username": email, "password": "a long enough password", "grant_type": "password"}


class TestPeopleList:
    async def test_people_are_found_by_part_of_a_name_or_email_and_by_access(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        await make_person(session, full_name="Zara Zebedee", email="zz@trust.test", password=None)
        await make_person(
            session, full_name="Yann Gone", email="yann@trust.test", password=None, active=False
        )
        found = await client.get("/people", params={"q": "ZEBED"}, headers=clerk.headers)
        assert found.status_code == 200
        assert "Zara Zebedee" in found.text and "Yann Gone" not in found.text
        by_email = await client.get("/people", params={"q": "yann@"}, headers=clerk.headers)
        assert "Yann Gone" in by_email.text and "Deactivated" in text_of(by_email)
        inactive = await client.get("/people", params={"status": "inactive"}, headers=clerk.headers)
        assert "Yann Gone" in inactive.text and "Zara Zebedee" not in inactive.text
        nobody = await client.get("/people", params={"q": "100%_"}, headers=clerk.headers)
        assert "Nobody matches that search." in nobody.text

    async def test_fifty_at_a_time_with_next_and_previous_links(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        for n in range(51):
            await make_person(
                session, full_name=f"Paged {n:02d}", email=f"paged{n}@trust.test", password=None
            )
        first = await client.get("/people", params={"q": "paged"}, headers=clerk.headers)
        assert first.status_code == 200
        assert "People 1 to 50 of 51" in text_of(first)
        assert "Paged 49" in first.text and "Paged 50" not in first.text
        assert 'href="/people?q=paged&amp;page=2">Next 50</a>' in first.text
        assert "Previous 50" not in first.text
        second = await client.get("/people", params={"q": "paged", "page": "2"}, headers=clerk.headers)
        assert "Paged 50" in second.text and "Paged 49" not in second.text
        assert 'href="/people?q=paged&amp;page=1">Previous 50</a>' in second.text
        assert "Next 50" not in second.text


class TestDeactivating:
    async def test_the_clerk_deactivates_someone_who_then_cannot_sign_in_and_reactivates_them(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        trustee = await make_person(
            session, full_name="Tom Trustee", governance_roles=(GovernanceRole.TRUSTEE,)
        )
        assert (await client.get("/api/v1/me", headers=bearer(trustee.id))).status_code == 200
        page = await client.get(f"/people/{trustee.id}", headers=clerk.headers)
        assert "Deactivate Tom Trustee" in page.text
        response = await client.post(f"/people/{trustee.id}/deactivate", headers=clerk.headers)
        assert_see_other(response, f"/people/{trustee.id}?done=deactivated")
        shown = await client.get(f"/people/{trustee.id}?done=deactivated", headers=clerk.headers)
        assert "They can no longer sign in." in shown.text and "Deactivated" in text_of(shown)
        assert (await api_person(client, clerk, trustee.email) or {})["active"] is False
        assert (await client.get("/api/v1/me", headers=bearer(trustee.id))).status_code == 401
        again = await client.post(f"/people/{trustee.id}/reactivate", headers=clerk.headers)
        assert_see_other(again, f"/people/{trustee.id}?done=reactivated")
        assert (await api_person(client, clerk, trustee.email) or {})["active"] is True

    async def test_the_clerk_signed_in_by_cookie_cannot_deactivate_themselves_and_is_told_so(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        await sign_in(client, clerk.person.email)
        own = await client.get(f"/people/{clerk.id}")
        assert own.status_code == 200
        assert "You cannot deactivate yourself" in own.text
        assert f'action="/people/{clerk.id}/deactivate"' not in own.text
        response = await client.post(f"/people/{clerk.id}/deactivate", data={"csrf_token": csrf_of(own.text)})
        assert response.status_code == 403
        assert "You cannot deactivate yourself: another governance clerk must do it." in text_of(response)
        assert "<h1>Cath Clerk</h1>" in response.text  # their own page, not an error page
        assert (await api_person(client, clerk, clerk.person.email) or {})["active"] is True

    async def test_someone_with_no_such_id_is_a_page_not_found(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        missing = "00000000-0000-0000-0000-00000000abcd"
        assert (await client.get(f"/people/{missing}", headers=clerk.headers)).status_code == 404
        response = await client.post(f"/people/{missing}/deactivate", headers=clerk.headers)
        assert response.status_code == 404 and "Page not found" in response.text


class TestPassword:
    async def test_the_clerk_sets_a_password_for_someone_imported_without_one(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        person = await make_person(session, email="no.password@trust.test", password=None)
        short = await client.post(
            f"/people/{person.id}/password", headers=clerk.headers, data={"password": "short"}
        )
        assert short.status_code == 422
        assert "12" in error_beside(short.text, "password")
        assert "short" not in re.findall(r'id="password"[^>]*>', short.text)[0]  # a password is never shown
        response = await client.post(
            f"/people/{person.id}/password",
            headers=clerk.headers,
            data={"password": "a long enough password"},
        )
        assert_see_other(response, f"/people/{person.id}?done=password-set")
        token = await client.post("/api/v1/auth/token", data=_login("no.password@trust.test"))
        assert token.status_code == 200, token.text


async def api_get(client: AsyncClient, clerk: Caller, person_id: object) -> dict[str, Any]:
    response = await client.get(f"/api/v1/people/{person_id}", headers=clerk.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


class TestChangingDetails:
    async def test_the_form_is_filled_with_the_persons_details_and_their_page_links_to_it(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        school = await make_school(session, "Hillside Primary")
        person = await make_person(
            session,
            Role.HEADTEACHER,
            full_name="Hana Head",
            email="hana@trust.test",
            school_id=school.id,
            governance_roles=(GovernanceRole.STAFF,),
        )
        patched = await client.patch(
            f"/api/v1/people/{person.id}", headers=clerk.headers, json={"job_title": "Head"}
        )
        assert patched.status_code == 200, patched.text
        page = await client.get(f"/people/{person.id}", headers=clerk.headers)
        assert page.status_code == 200
        assert f'href="/people/{person.id}/edit">Change details</a>' in page.text
        form = await client.get(f"/people/{person.id}/edit", headers=clerk.headers)
        assert form.status_code == 200, form.text[:500]
        assert "<h1>Change the details of Hana Head</h1>" in form.text
        assert kept(form.text, "full_name") == "Hana Head"
        assert kept(form.text, "email") == "hana@trust.test"
        assert kept(form.text, "job_title") == "Head"
        assert f'<option value="{school.id}" selected>Hillside Primary</option>' in form.text
        assert "No school: the central team or the trust board" in form.text
        assert re.search(r'value="headteacher" checked', form.text)
        assert not re.search(r'value="auditor" checked', form.text)
        assert 'name="governance_roles"' not in form.text  # appointments change on the person's page
        assert "full name and email address cannot be left empty" in text_of(form)

    async def test_the_clerk_signed_in_by_cookie_changes_a_name_and_a_school_saved_and_audited(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        old, new = await make_school(session, "Old School"), await make_school(session, "New School")
        person = await make_person(session, full_name="Sam Smith", school_id=old.id, password=None)
        await sign_in(client, clerk.person.email)
        form = await client.get(f"/people/{person.id}/edit")
        assert form.status_code == 200
        response = await client.post(
            f"/people/{person.id}/edit",
            data={
                "csrf_token": csrf_of(form.text),
                "full_name": "Sam Smith-Jones",
                "email": person.email,
                "job_title": "Business manager",
                "school_id": str(new.id),
                "roles": ["finance_director"],
            },
        )
        assert_see_other(response, f"/people/{person.id}?done=changed")
        saved = await api_get(client, clerk, person.id)
        assert saved["full_name"] == "Sam Smith-Jones" and saved["school_id"] == str(new.id)
        assert saved["job_title"] == "Business manager" and saved["roles"] == ["finance_director"]
        shown = await client.get(response.headers["location"])
        assert "The details have been saved." in text_of(shown) and "New School" in shown.text
        trail = await client.get(
            "/api/v1/audit-events",
            params={"entity_id": str(person.id), "action": "person.updated"},
            headers=clerk.headers,
        )
        assert trail.status_code == 200, trail.text
        (event,) = trail.json()["items"]
        assert event["actor_id"] == str(clerk.id)
        assert (
            event["before"]["full_name"] == "Sam Smith" and event["after"]["full_name"] == "Sam Smith-Jones"
        )
        assert event["before"]["school_id"] == str(old.id) and event["after"]["school_id"] == str(new.id)

    async def test_a_school_and_a_job_title_left_empty_are_removed_and_nothing_else_changes(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        school = await make_school(session)
        person = await make_person(
            session, Role.HR_DIRECTOR, school_id=school.id, governance_roles=(GovernanceRole.STAFF,)
        )
        patched = await client.patch(
            f"/api/v1/people/{person.id}", headers=clerk.headers, json={"job_title": "HR lead"}
        )
        assert patched.status_code == 200
        response = await client.post(
            f"/people/{person.id}/edit",
            headers=clerk.headers,
            data={
                "full_name": person.full_name,
                "email": person.email,
                "job_title": " ",
                "school_id": "",
                "roles": "hr_director",
            },
        )
        assert_see_other(response, f"/people/{person.id}?done=changed")
        saved = await api_get(client, clerk, person.id)
        assert saved["school_id"] is None and saved["job_title"] is None
        assert saved["roles"] == ["hr_director"] and saved["governance_roles"] == ["staff"]
        assert saved["full_name"] == person.full_name and saved["active"] is True

    async def test_an_email_someone_else_has_is_refused_beside_the_field_keeping_what_was_typed(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        await make_person(session, email="taken@trust.test")
        person = await make_person(session, full_name="Pat Person", password=None)
        response = await client.post(
            f"/people/{person.id}/edit",
            headers=clerk.headers,
            data={"full_name": "Pat Renamed", "email": "TAKEN@trust.test", "roles": "auditor"},
        )
        assert response.status_code == 409
        assert (
            error_beside(response.text, "email") == "Someone on the register already has this email address"
        )
        assert kept(response.text, "full_name") == "Pat Renamed"
        assert kept(response.text, "email") == "TAKEN@trust.test"
        assert re.search(r'value="auditor" checked', response.text)
        assert "<h1>Change the details of Pat Person</h1>" in response.text  # the name as stored
        saved = await api_get(client, clerk, person.id)
        assert saved["full_name"] == "Pat Person" and saved["email"] == person.email and saved["roles"] == []

    async def test_an_empty_name_is_refused_beside_it_and_nothing_changes(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        person = await make_person(session, full_name="Kim Kept", password=None)
        response = await client.post(
            f"/people/{person.id}/edit",
            headers=clerk.headers,
            data={"full_name": "  ", "email": person.email, "job_title": "Typed title"},
        )
        assert response.status_code == 422
        assert error_beside(response.text, "full_name") == "Enter their full name"
        assert kept(response.text, "job_title") == "Typed title"
        saved = await api_get(client, clerk, person.id)
        assert saved["full_name"] == "Kim Kept" and saved["job_title"] is None

    async def test_the_clerk_cannot_change_their_own_responsibilities_and_is_told_beside_them(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        form = await client.get(f"/people/{clerk.id}/edit", headers=clerk.headers)
        assert "you cannot change your own responsibilities" in text_of(form)
        response = await client.post(
            f"/people/{clerk.id}/edit",
            headers=clerk.headers,
            data={"full_name": "Cath Changed", "email": clerk.person.email, "roles": "auditor"},
        )
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert error_beside(response.text, "roles") == (
            "You cannot change your own responsibilities: another governance clerk must do it."
        )
        assert kept(response.text, "full_name") == "Cath Changed"
        assert "<h1>Change the details of Cath Clerk</h1>" in response.text  # the form, not an error page
        saved = await api_get(client, clerk, clerk.id)
        assert saved["full_name"] == "Cath Clerk" and saved["roles"] == ["governance_admin"]
        # Their own name they may change, their responsibilities left as they are.
        renamed = await client.post(
            f"/people/{clerk.id}/edit",
            headers=clerk.headers,
            data={"full_name": "Cath Changed", "email": clerk.person.email, "roles": "governance_admin"},
        )
        assert_see_other(renamed, f"/people/{clerk.id}?done=changed")
        assert (await api_get(client, clerk, clerk.id))["full_name"] == "Cath Changed"

    async def test_a_declarant_is_refused_the_form_and_changes_nothing(
        self, client: AsyncClient, clerk: Caller, caller: MakeCaller
    ) -> None:
        trustee = await caller(governance_roles=(GovernanceRole.TRUSTEE,), full_name="Tess Trustee")
        for method in ("GET", "POST"):
            response = await client.request(
                method,
                f"/people/{trustee.id}/edit",
                headers=trustee.headers,
                data={"full_name": "Taken Over", "email": trustee.person.email} if method == "POST" else None,
            )
            assert response.status_code == 403, f"{method}: {response.status_code}"
            assert response.headers["content-type"].startswith("text/html")
        assert (await api_get(client, clerk, trustee.id))["full_name"] == "Tess Trustee"

    async def test_someone_with_no_such_id_is_a_page_not_found(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        missing = "00000000-0000-0000-0000-00000000abcd"
        form = await client.get(f"/people/{missing}/edit", headers=clerk.headers)
        assert form.status_code == 404 and "Page not found" in form.text
        response = await client.post(
            f"/people/{missing}/edit",
            headers=clerk.headers,
            data={"full_name": "Nobody", "email": "nobody@trust.test"},
        )
        assert response.status_code == 404 and "Page not found" in response.text

    async def test_a_form_sent_by_cookie_without_its_token_is_refused_and_changes_nothing(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        person = await make_person(session, full_name="Una Untouched", password=None)
        await sign_in(client, clerk.person.email)
        response = await client.post(
            f"/people/{person.id}/edit", data={"full_name": "Una Changed", "email": person.email}
        )
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("text/html")
        assert (await api_get(client, clerk, person.id))["full_name"] == "Una Untouched"


class TestAppointments:
    async def test_a_local_governor_appointment_at_a_school_is_added_and_shown(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        school = await make_school(session, "Riverside Academy")
        person = await make_person(session, full_name="Lena Local", password=None)
        response = await client.post(
            f"/people/{person.id}/appointments",
            headers=clerk.headers,
            data={
                "governance_role": "local_governor",
                "school_id": str(school.id),
                "body": "Riverside local governing body",
                "appointed_by": "Elected by parents",
                "term_ends_on": "2030-08-31",
            },
        )
        assert_see_other(response, f"/people/{person.id}?done=appointment-added")
        listed = await client.get(f"/api/v1/people/{person.id}/appointments", headers=clerk.headers)
        (appointment,) = listed.json()["items"]
        assert appointment["governance_role"] == "local_governor"
        assert appointment["school_id"] == str(school.id)
        assert appointment["term_ends_on"] == "2030-08-31"
        page = await client.get(f"/people/{person.id}?done=appointment-added", headers=clerk.headers)
        words = text_of(page)
        assert "The appointment has been added." in words
        assert "Local governor Riverside Academy Riverside local governing body" in words
        assert "Appointed by Elected by parents" in words and "31 August 2030" in words and "Current" in words

    async def test_a_local_governor_with_no_school_is_refused_beside_the_school(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        person = await make_person(session, password=None)
        response = await client.post(
            f"/people/{person.id}/appointments",
            headers=clerk.headers,
            data={"governance_role": "local_governor", "body": "Some board"},
        )
        assert response.status_code == 422
        assert "local governor's appointment names its school" in error_beside(response.text, "school_id")
        assert kept(response.text, "body") == "Some board"
        listed = await client.get(f"/api/v1/people/{person.id}/appointments", headers=clerk.headers)
        assert listed.json()["total"] == 0

    async def test_ending_an_appointment_records_the_stepping_down_and_keeps_it_in_the_history(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        person = await make_person(session, governance_roles=(GovernanceRole.TRUSTEE,), password=None)
        listed = await client.get(f"/api/v1/people/{person.id}/appointments", headers=clerk.headers)
        (appointment,) = listed.json()["items"]
        too_early = await client.post(
            f"/appointments/{appointment['id']}/end",
            headers=clerk.headers,
            data={"stepped_down_on": "2000-01-01"},
        )
        assert too_early.status_code == 422
        field = f"end-{appointment['id']}"
        assert "before appointed on" in error_beside(too_early.text, field)
        assert kept(too_early.text, field) == "2000-01-01"
        response = await client.post(f"/appointments/{appointment['id']}/end", headers=clerk.headers)
        assert_see_other(response, f"/people/{person.id}?done=appointment-ended")
        after = await client.get(f"/api/v1/people/{person.id}/appointments", headers=clerk.headers)
        assert after.json()["items"][0]["stepped_down_on"] == days_from_today(0)
        page = await client.get(f"/people/{person.id}", headers=clerk.headers)
        assert (
            "Stepped down on" in text_of(page)
            and f'action="/appointments/{appointment["id"]}/end"' not in page.text
        )


# ---------------------------------------------------------------- the import


def csv_file(content: str) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("people.csv", content.encode(), "text/csv")}


GOOD = (
    HEADER
    + "ivy.import@trust.test,Ivy Import,Brookside School,Teacher,local_governor,\n"
    + "ian.import@trust.test,Ian Import,,,trustee,\n"
)


class TestImport:
    async def test_checking_the_file_shows_each_row_and_changes_nothing_then_importing_creates_the_people(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        checked = await client.post(
            "/people/import", headers=clerk.headers, files=csv_file(GOOD), data={"action": "check"}
        )
        assert checked.status_code == 200, checked.text[:2000]
        words = text_of(checked)
        assert "What the file would do" in words
        assert "The file is ready to import. Nothing has been changed yet" in words
        assert "choose the file again" in words
        assert (
            "2 ivy.import@trust.test Will be added" in words
            and "3 ian.import@trust.test Will be added" in words
        )
        assert "New schools Brookside School" in words
        assert await api_person(client, clerk, "ivy.import@trust.test") is None
        imported = await client.post(
            "/people/import", headers=clerk.headers, files=csv_file(GOOD), data={"action": "import"}
        )
        assert imported.status_code == 200, imported.text[:2000]
        assert "Imported: 2 added, 0 updated, 0 unchanged." in text_of(imported)
        ivy = await api_person(client, clerk, "ivy.import@trust.test")
        assert (
            ivy is not None
            and ivy["governance_roles"] == ["local_governor"]
            and ivy["job_title"] == "Teacher"
        )
        assert (await api_person(client, clerk, "ian.import@trust.test") or {})["governance_roles"] == [
            "trustee"
        ]

    async def test_the_clerk_signed_in_by_cookie_checks_a_file_whose_row_errors_are_shown_by_line(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        await sign_in(client, clerk.person.email)
        form = await client.get("/people/import")
        assert form.status_code == 200 and 'enctype="multipart/form-data"' in form.text
        content = GOOD + "broken-address,Bad Row,,,,\n"
        checked = await client.post(
            "/people/import",
            files=csv_file(content),
            data={"csrf_token": csrf_of(form.text), "action": "check"},
        )
        assert checked.status_code == 200, checked.text[:2000]
        words = text_of(checked)
        assert "1 row has a problem. Nothing can be imported until every row is right" in words
        assert "4 broken-address Problem email:" in words
        # Importing it anyway: refused as a whole, the line still named, nobody created.
        refused = await client.post(
            "/people/import",
            files=csv_file(content),
            data={"csrf_token": csrf_of(form.text), "action": "import"},
        )
        assert refused.status_code == 422
        words = text_of(refused)
        assert "1 of 3 rows are invalid; nothing was imported" in words
        assert re.search(r"Line Problem 4 email: ", words)
        assert await api_person(client, clerk, "ivy.import@trust.test") is None

    async def test_a_file_that_is_not_the_people_csv_is_refused_beside_the_file_input(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        response = await client.post(
            "/people/import",
            headers=clerk.headers,
            files=csv_file("name,phone\nA,1\n"),
            data={"action": "check"},
        )
        assert response.status_code == 422
        assert error_beside(response.text, "file").startswith("Columns must be email, full_name")
        nothing = await client.post("/people/import", headers=clerk.headers, data={"action": "check"})
        assert nothing.status_code == 422
        assert error_beside(nothing.text, "file") == "Choose the CSV file to check or import"


# ---------------------------------------------------------------- cycles


class TestCycles:
    async def test_the_clerk_signed_in_by_cookie_opens_a_cycle_then_sees_who_is_outstanding(
        self, client: AsyncClient, clerk: Caller, session: Any
    ) -> None:
        await make_person(session, full_name="Tess Trustee", governance_roles=(GovernanceRole.TRUSTEE,))
        await make_person(session, full_name="Max Member", governance_roles=(GovernanceRole.MEMBER,))
        await sign_in(client, clerk.person.email)
        form = await client.get("/cycles/new")
        assert form.status_code == 200
        due = days_from_today(30)
        response = await client.post(
            "/cycles/new",
            data={
                "csrf_token": csrf_of(form.text),
                "name": "2026 to 2027",
                "due_on": due,
                "governance_roles": "trustee",
            },
        )
        assert response.status_code == 303, response.text[:2000]
        location = response.headers["location"]
        assert re.fullmatch(r"/cycles/[0-9a-f-]{36}\?done=opened", location)
        page = await client.get(location)
        assert page.status_code == 200
        words = text_of(page)
        assert "The cycle is open." in words
        due_words = f"{date.fromisoformat(due).day} {date.fromisoformat(due):%B %Y}"
        assert f"Tess Trustee {_email_in(page.text, 'Tess Trustee')} Due by {due_words}" in words
        assert "Max Member" not in words
        assert "Nobody has declared yet." in words
        cycle_id = location.split("/")[2].split("?")[0]
        csv = await client.get(f"/api/v1/declaration-cycles/{cycle_id}/status.csv")
        assert csv.status_code == 200 and "Tess Trustee" in csv.text and "outstanding" in csv.text
        assert f'href="/api/v1/declaration-cycles/{cycle_id}/status.csv"' in page.text
        listed = await client.get("/cycles")
        assert re.search(rf"2026 to 2027 Trustee \d+ \w+ \d+ {due_words} 0 \d+ 0", text_of(listed))

    async def test_an_overdue_declarant_is_shown_as_overdue_to_an_auditor_who_may_not_open_a_cycle(
        self, client: AsyncClient, clerk: Caller, caller: MakeCaller, session: Any
    ) -> None:
        await make_person(session, full_name="Olly Overdue", governance_roles=(GovernanceRole.TRUSTEE,))
        opened = await client.post(
            "/api/v1/declaration-cycles",
            headers=clerk.headers,
            json={
                "name": "Last year",
                "opens_on": days_from_today(-60),
                "due_on": days_from_today(-1),
                "governance_roles": ["trustee"],
            },
        )
        assert opened.status_code == 201, opened.text
        auditor = await caller(Role.AUDITOR)
        page = await client.get(f"/cycles/{opened.json()['id']}", headers=auditor.headers)
        assert page.status_code == 200
        assert re.search(r"Olly Overdue \S+ Overdue", text_of(page))
        listed = await client.get("/cycles", headers=auditor.headers)
        assert "overdue" in text_of(listed) and "Open a cycle" not in listed.text
        assert (await client.get("/cycles/new", headers=auditor.headers)).status_code == 403

    async def test_a_cycle_with_no_role_ticked_is_refused_keeping_its_name(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        response = await client.post(
            "/cycles/new", headers=clerk.headers, data={"name": "Unscoped cycle", "due_on": "2027-03-31"}
        )
        assert response.status_code == 422
        assert error_beside(response.text, "governance_roles") == "Tick at least one governance role"
        assert kept(response.text, "name") == "Unscoped cycle"
        assert kept(response.text, "due_on") == "2027-03-31"
        cycles = await client.get("/api/v1/declaration-cycles", headers=clerk.headers)
        assert "Unscoped cycle" not in cycles.text


def _email_in(page: str, name: str) -> str:
    found = re.search(rf"{name}</td>\s*<td data-label=\"Email\">([^<]+)</td>", page)
    assert found is not None
    return found.group(1)


# ---------------------------------------------------------------- settings


SETTINGS = {
    "trust_name": "Oakfield Learning Trust",
    "gift_token_limit_gbp": "75.00",
    "conflict_similarity_threshold": "0.9",
    "rpt_approval_threshold_gbp": "40000.00",
}


class TestSettings:
    async def test_the_clerk_signed_in_by_cookie_renames_the_trust_and_every_page_title_says_so(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        await sign_in(client, clerk.person.email)
        form = await client.get("/settings")
        assert form.status_code == 200
        assert "Gifts accepted from one giver" in form.text
        typed = {**SETTINGS, "rpt_approval_threshold_gbp": "£40,000"}  # as people write sums of money
        response = await client.post("/settings", data={**typed, "csrf_token": csrf_of(form.text)})
        assert_see_other(response, "/settings?done=saved")
        page = await client.get("/settings?done=saved")
        assert "<title>Settings – Oakfield Learning Trust</title>" in page.text
        assert "The settings have been saved." in page.text
        assert kept(page.text, "gift_token_limit_gbp") == "75.00"
        assert "<title>People – Oakfield Learning Trust</title>" in (await client.get("/people")).text
        api = await client.get("/api/v1/settings", headers=clerk.headers)
        assert api.json() == {
            "trust_name": "Oakfield Learning Trust",
            "gift_token_limit_gbp": "75.00",
            "conflict_similarity_threshold": 0.9,
            "rpt_approval_threshold_gbp": "40000.00",
        }

    async def test_a_threshold_that_is_not_a_number_and_an_empty_name_are_refused_and_nothing_changes(
        self, client: AsyncClient, clerk: Caller
    ) -> None:
        before = (await client.get("/api/v1/settings", headers=clerk.headers)).json()
        response = await client.post(
            "/settings",
            headers=clerk.headers,
            data={**SETTINGS, "trust_name": " ", "conflict_similarity_threshold": "very close"},
        )
        assert response.status_code == 422
        assert error_beside(response.text, "trust_name") == "Enter the trust's name"
        assert (
            error_beside(response.text, "conflict_similarity_threshold")
            == "Enter a number between 0 and 1, for example 0.85"
        )
        assert kept(response.text, "conflict_similarity_threshold") == "very close"
        assert kept(response.text, "gift_token_limit_gbp") == "75.00"
        assert (await client.get("/api/v1/settings", headers=clerk.headers)).json() == before


# ---------------------------------------------------------------- who may


CLERK_PAGES = [
    ("GET", "/people"),
    ("GET", "/people/new"),
    ("POST", "/people/new"),
    ("GET", "/people/import"),
    ("POST", "/people/import"),
    ("GET", "/people/{person}"),
    ("GET", "/people/{person}/edit"),
    ("POST", "/people/{person}/edit"),
    ("POST", "/people/{person}/appointments"),
    ("POST", "/people/{person}/deactivate"),
    ("POST", "/people/{person}/reactivate"),
    ("POST", "/people/{person}/password"),
    ("POST", "/appointments/{appointment}/end"),
    ("GET", "/cycles"),
    ("GET", "/cycles/new"),
    ("POST", "/cycles/new"),
    ("GET", "/cycles/{cycle}"),
    ("GET", "/settings"),
    ("POST", "/settings"),
]


class TestWhoMay:
    async def test_a_plain_declarant_signed_in_by_cookie_is_refused_every_clerk_page(
        self, client: AsyncClient, clerk: Caller, caller: MakeCaller
    ) -> None:
        trustee = await caller(governance_roles=(GovernanceRole.TRUSTEE,))
        appointments = await client.get(f"/api/v1/people/{trustee.id}/appointments", headers=clerk.headers)
        cycle = await client.post(
            "/api/v1/declaration-cycles",
            headers=clerk.headers,
            json={"name": "Refusals", "due_on": days_from_today(30), "governance_roles": ["trustee"]},
        )
        assert cycle.status_code == 201
        ids = {
            "person": trustee.id,
            "appointment": appointments.json()["items"][0]["id"],
            "cycle": cycle.json()["id"],
        }
        token = await sign_in(client, trustee.person.email)
        nav = (await client.get("/")).text
        assert 'href="/people"' not in nav and 'href="/cycles"' not in nav and 'href="/settings"' not in nav
        for method, template in CLERK_PAGES:
            path = template.format(**ids)
            data = {
                "csrf_token": token,
                "full_name": "X",
                "email": "x@trust.test",
                "trust_name": "Taken over",
            }
            response = await client.request(method, path, data=data if method == "POST" else None)
            assert response.status_code == 403, f"{method} {path}: {response.status_code}"
            assert response.headers["content-type"].startswith("text/html")
        assert (await client.get("/api/v1/settings", headers=clerk.headers)).json()[
            "trust_name"
        ] != "Taken over"
        assert (await api_person(client, clerk, trustee.person.email) or {})["active"] is True
