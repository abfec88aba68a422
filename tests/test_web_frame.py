"""The web interface's frame (contract, "Web interface"): signing in and out with a cookie session,
the CSRF token every form carries, pages answering as pages, and the API unchanged beside them."""

import re
import uuid
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import pytest
from httpx import AsyncClient, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import cookies
from app.auth.permissions import Role
from app.core.settings import Settings
from app.interests.models import Interest
from app.people.governance import GovernanceRole
from tests import web_session
from tests.factories import DEFAULT_PASSWORD, Caller, make_person
from tests.web_session import csrf_of

SESSION = "probity_session"


async def login_form(client: AsyncClient) -> str:
    """The sign-in form's token (and the pre-session cookie it is tied to, kept by the client)."""
    response = await client.get("/login")
    assert response.status_code == 200, response.text[:300]
    assert cookies.pre_session_cookie_name() in client.cookies
    return csrf_of(response.text)


async def sign_in(
    client: AsyncClient, email: str, password: str = DEFAULT_PASSWORD, *, next: str = "/"
) -> Response:
    token = await login_form(client)
    return await client.post(
        "/login", data={"username": email, "password": password, "csrf_token": token, "next": next}
    )


async def signed_in(client: AsyncClient, email: str) -> str:
    """Signs in and returns the CSRF token of the session's pages."""
    return await web_session.sign_in(client, email)


def set_cookie_headers(response: Response) -> list[str]:
    return response.headers.get_list("set-cookie")


class TestSigningIn:
    async def test_signed_out_the_home_page_sends_you_to_sign_in(self, client: AsyncClient) -> None:
        response = await client.get("/")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/"

    async def test_the_sign_in_form_has_the_contracts_inputs_and_a_token(self, client: AsyncClient) -> None:
        response = await client.get("/login")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert re.search(r'<input id="username" name="username" type="email"', response.text)
        assert re.search(r'<input id="password" name="password" type="password"', response.text)
        assert 'for="username"' in response.text and 'for="password"' in response.text
        csrf_of(response.text)

    async def test_signing_in_sets_an_httponly_lax_session_cookie_and_shows_your_name(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller(governance_roles=(GovernanceRole.TRUSTEE,))).person
        response = await sign_in(client, person.email)
        assert response.status_code == 303, response.text[:300]
        session_cookie = next(h for h in set_cookie_headers(response) if h.startswith(f"{SESSION}="))
        assert "HttpOnly" in session_cookie
        assert "samesite=lax" in session_cookie.lower()
        assert "Path=/" in session_cookie
        assert "Secure" not in session_cookie  # served over http outside production
        home = await client.get("/")
        assert home.status_code == 200
        assert person.full_name in home.text
        assert '<a href="/interests">My interests</a>' in home.text

    async def test_the_session_cookie_is_secure_and_host_only_in_production(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        production = Settings(env="production", secret_key="s" * 40, audit_key="a" * 40)
        monkeypatch.setattr(cookies, "get_settings", lambda: production)
        cookies.session_cookie_name.cache_clear()
        try:
            from starlette.responses import Response as Plain

            response = Plain()
            cookies.set_session(response, "token", 3600)
            header = next(
                value.decode()
                for name, value in response.raw_headers
                if name == b"set-cookie" and value.startswith(b"__Host-probity_session=")
            )
            assert "Secure" in header and "HttpOnly" in header and "Path=/" in header
            assert "Domain" not in header
        finally:
            cookies.session_cookie_name.cache_clear()

    async def test_a_wrong_password_shows_the_form_again_with_the_email_kept(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        response = await sign_in(client, person.email, "not the password")
        assert response.status_code == 401
        assert "The email address or password is not right." in response.text
        assert f'value="{person.email}"' in response.text
        assert "not the password" not in response.text
        assert SESSION not in client.cookies

    async def test_an_empty_form_says_what_is_missing(self, client: AsyncClient) -> None:
        token = await login_form(client)
        response = await client.post("/login", data={"username": "", "password": "", "csrf_token": token})
        assert response.status_code == 422
        assert "Enter your email address" in response.text and "Enter your password" in response.text

    async def test_the_form_without_its_token_is_refused_even_with_the_right_password(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        await login_form(client)
        response = await client.post("/login", data={"username": person.email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 403
        assert "The sign-in form had expired" in response.text
        assert SESSION not in client.cookies

    async def test_sign_in_is_throttled_like_the_api(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        statuses = [(await sign_in(client, person.email, "wrong")).status_code for _ in range(10)]
        assert statuses == [401] * 9 + [429]
        locked = await sign_in(client, person.email, DEFAULT_PASSWORD)
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) > 0
        assert "Too many failed attempts" in locked.text
        # The API's own login counts the same failures.
        api = await client.post(
            "/api/v1/auth/token", data={"username": person.email, "password": DEFAULT_PASSWORD}
        )
        assert api.status_code == 429

    @pytest.mark.parametrize(
        "target", ["https://evil.test/", "//evil.test/", "/\\evil.test", "javascript:alert(1)"]
    )
    async def test_after_sign_in_you_go_only_to_a_page_of_this_site(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]], target: str
    ) -> None:
        person = (await caller()).person
        response = await sign_in(client, person.email, next=target)
        assert response.status_code == 303
        assert response.headers["location"] == "/"

    async def test_after_sign_in_you_go_back_to_the_page_you_asked_for(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        asked = await client.get("/interests/new")
        assert asked.status_code == 303
        assert asked.headers["location"] == "/login?next=" + quote("/interests/new", safe="/")
        response = await sign_in(client, person.email, next="/interests/new")
        assert response.headers["location"] == "/interests/new"


class TestTheSession:
    async def test_a_form_sent_with_the_cookie_but_without_the_token_changes_nothing(
        self, client: AsyncClient, session: AsyncSession, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        await signed_in(client, person.email)
        form = {"category": "directorship", "organisation_name": "Forged Ltd"}
        for sent in (form, {**form, "csrf_token": "0" * 64}):
            response = await client.post("/interests/new", data=sent)
            assert response.status_code == 403
            assert response.headers["content-type"].startswith("text/html")
            assert "reload the page" in response.text
        assert (
            await session.scalar(select(Interest).where(Interest.organisation_name == "Forged Ltd")) is None
        )

    async def test_with_the_token_the_same_form_is_taken(
        self, client: AsyncClient, session: AsyncSession, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        token = await signed_in(client, person.email)
        response = await client.post(
            "/interests/new",
            data={"category": "directorship", "organisation_name": "Real Ltd", "csrf_token": token},
        )
        assert response.status_code == 303, response.text[:300]
        assert response.headers["location"] == "/interests?done=added"
        stored = await session.scalar(select(Interest).where(Interest.organisation_name == "Real Ltd"))
        assert stored is not None and stored.person_id == person.id

    async def test_another_sessions_token_does_not_pass(
        self, client: AsyncClient, session: AsyncSession, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        # The token is tied to the session: one read from a page of someone else's session fails.
        other = (await caller()).person
        theirs = await signed_in(client, other.email)
        client.cookies.clear()
        person = (await caller()).person
        await signed_in(client, person.email)
        response = await client.post(
            "/interests/new", data={"category": "other", "description": "Theirs", "csrf_token": theirs}
        )
        assert response.status_code == 403

    async def test_the_api_takes_the_cookie_and_its_changes_need_the_token_header(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        token = await signed_in(client, person.email)
        me = await client.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["id"] == str(person.id)
        body = {"category": "other", "description": "Through the API"}
        refused = await client.post("/api/v1/interests", json=body)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        taken = await client.post("/api/v1/interests", json=body, headers={cookies.CSRF_HEADER: token})
        assert taken.status_code == 201, taken.text

    async def test_a_bearer_token_needs_no_csrf_token(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        me = await caller()
        response = await client.post(
            "/interests/new", data={"category": "other", "description": "By bearer"}, headers=me.headers
        )
        assert response.status_code == 303

    async def test_signing_out_ends_the_session_in_this_browser(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        token = await signed_in(client, person.email)
        response = await client.post("/logout", data={"csrf_token": token})
        assert response.status_code == 303
        assert response.headers["location"] == "/login?notice=signed-out"
        assert SESSION not in client.cookies
        page = await client.get("/login?notice=signed-out")
        assert "You have signed out." in page.text
        assert (await client.get("/")).status_code == 303

    async def test_signing_out_needs_the_token_too(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        await signed_in(client, person.email)
        response = await client.post("/logout")
        assert response.status_code == 403
        assert SESSION in client.cookies

    async def test_a_session_of_a_deactivated_person_ends_at_once(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        await signed_in(client, person.email)
        clerk = await caller(Role.GOVERNANCE_ADMIN)
        deactivated = await client.patch(
            f"/api/v1/people/{person.id}", json={"active": False}, headers=clerk.headers
        )
        assert deactivated.status_code == 200, deactivated.text
        response = await client.get("/interests")
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/interests&notice=expired"
        assert any(h.startswith(f'{SESSION}=""') for h in set_cookie_headers(response))

    async def test_signed_in_the_sign_in_page_moves_on(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        await signed_in(client, person.email)
        response = await client.get("/login?next=/interests")
        assert response.status_code == 303
        assert response.headers["location"] == "/interests"


class TestPagesAnswerAsPages:
    async def test_a_page_that_names_no_record_is_a_404_page(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        me = await caller()
        response = await client.post(
            "/interests/00000000-0000-4000-8000-000000000000/end", data={}, headers=me.headers
        )
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "<h1>Page not found</h1>" in response.text
        malformed = await client.post("/interests/not-an-id/end", data={}, headers=me.headers)
        assert malformed.status_code == 404
        assert malformed.headers["content-type"].startswith("text/html")

    async def test_the_api_still_answers_problem_json(self, client: AsyncClient) -> None:
        response = await client.get("/api/v1/interests")
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    async def test_someone_elses_interest_is_not_found_and_stays_open(
        self, client: AsyncClient, session: AsyncSession, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        owner = await caller()
        declared = await client.post(
            "/api/v1/interests", json={"category": "other", "description": "Mine"}, headers=owner.headers
        )
        assert declared.status_code == 201
        other = await caller()
        response = await client.post(
            f"/interests/{declared.json()['id']}/end", data={}, headers=other.headers
        )
        assert response.status_code == 404
        interest = await session.get(Interest, uuid.UUID(declared.json()["id"]))
        assert interest is not None
        await session.refresh(interest)
        assert interest.end_date is None

    async def test_a_refused_form_keeps_what_was_typed_and_says_what_to_put_right(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        me = await caller()
        response = await client.post(
            "/interests/new",
            data={"category": "directorship", "holder": "spouse_partner", "organisation_name": "Kept & Co"},
            headers=me.headers,
        )
        assert response.status_code == 422
        assert 'value="Kept &amp; Co"' in response.text
        assert '<option value="directorship" selected>' in response.text
        assert "There is a problem" in response.text
        assert "holder_name" not in response.text.split("There is a problem", 1)[1].split("</div>", 1)[0]


class TestSafety:
    async def test_pages_allow_scripts_only_from_this_site_and_nothing_inline(
        self, client: AsyncClient
    ) -> None:
        response = await client.get("/login")
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "<script>" not in response.text and " style=" not in response.text
        assert response.headers["x-frame-options"] == "DENY"

    async def test_htmx_is_served_from_the_app(self, client: AsyncClient) -> None:
        page = await client.get("/login")
        assert '<script src="/static/htmx.min.js" defer></script>' in page.text
        script = await client.get("/static/htmx.min.js")
        assert script.status_code == 200
        assert script.headers["content-type"].startswith("text/javascript")
        assert "htmx" in script.text[:2000]
        revalidated = await client.get(
            "/static/htmx.min.js", headers={"If-None-Match": script.headers["etag"]}
        )
        assert revalidated.status_code == 304

    @pytest.mark.parametrize("asset", ["../pages.py", "htmx.LICENSE", "nothing.css"])
    async def test_only_the_named_static_files_are_served(self, client: AsyncClient, asset: str) -> None:
        response = await client.get(f"/static/{quote(asset, safe='')}")
        assert response.status_code == 404

    async def test_pages_of_a_session_and_the_sign_in_form_are_never_compressed(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        # BREACH: a compressed body holding the CSRF token beside text an attacker chooses leaks it.
        form = await client.get("/login", headers={"Accept-Encoding": "gzip, br"})
        assert "content-encoding" not in form.headers
        person = (await caller()).person
        await signed_in(client, person.email)
        home = await client.get("/", headers={"Accept-Encoding": "gzip, br"})
        assert home.status_code == 200 and "content-encoding" not in home.headers


async def test_a_trustee_sees_the_declaration_due_on_the_home_page(
    client: AsyncClient, session: AsyncSession, caller: Callable[..., Awaitable[Caller]]
) -> None:
    clerk = await caller(Role.GOVERNANCE_ADMIN)
    trustee = await make_person(session, governance_roles=(GovernanceRole.TRUSTEE,))
    opened = await client.post(
        "/api/v1/declaration-cycles",
        json={"name": "Annual declaration 2027", "due_on": "2099-03-31", "governance_roles": ["trustee"]},
        headers=clerk.headers,
    )
    assert opened.status_code == 201, opened.text
    await signed_in(client, trustee.email)
    home = await client.get("/")
    assert "Annual declaration 2027" in home.text
    assert "31 March 2099" in home.text
    assert f'href="/declarations/{opened.json()["id"]}"' in home.text


async def test_each_record_an_email_links_to_is_marked_on_its_page(
    client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
) -> None:
    # notifications.service.RECORD_PATHS: a decision's email links to /gifts#record-<id> and the like.
    from app.approvals.policy import Kind
    from app.notifications.service import RECORD_PATHS

    me = await caller()
    bodies = {
        Kind.GIFT: (
            "/api/v1/gifts",
            {"donor_name": "Pat", "description": "Flowers", "value_gbp": "5.00", "accepted": True},
        ),
        Kind.HOSPITALITY: (
            "/api/v1/hospitality-requests",
            {
                "provider_name": "Pat Provider",
                "event_description": "Dinner",
                "event_date": "2099-06-01",
                "estimated_value_gbp": 40,
                "invitation_type": "corporate",
                "business_justification": "Meeting partners",
            },
        ),
        Kind.PAID_WORK: (
            "/api/v1/paid-work",
            {"employer": "Riverside College", "role": "Tutor", "hours_per_week": 3},
        ),
    }
    for kind, (path, body) in bodies.items():
        made = await client.post(path, json=body, headers=me.headers)
        assert made.status_code == 201, made.text
        page, anchor = RECORD_PATHS[kind].format(id=made.json()["id"]).split("#")
        shown = await client.get(page, headers=me.headers)
        assert shown.status_code == 200
        assert f'id="{anchor}"' in shown.text, (kind, page)


class TestOddTokensAndHtmx:
    @pytest.mark.parametrize("token", ["é", "x" * 64, "\u202e" + "0" * 63, ""])
    async def test_a_malformed_token_is_refused_as_any_wrong_one(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]], token: str
    ) -> None:
        person = (await caller()).person
        await login_form(client)
        refused = await client.post(
            "/login", data={"username": person.email, "password": DEFAULT_PASSWORD, "csrf_token": token}
        )
        assert refused.status_code == 403 and "The sign-in form had expired" in refused.text
        await signed_in(client, person.email)
        form = await client.post("/interests/new", data={"category": "other", "csrf_token": token})
        assert form.status_code == 403 and form.headers["content-type"].startswith("text/html")
        api = await client.post(
            "/api/v1/interests",
            json={"category": "other", "description": "x"},
            headers={cookies.CSRF_HEADER: token} if token.isascii() and token else {},
        )
        assert api.status_code == 403

    async def test_htmx_with_an_ended_session_is_sent_to_sign_in_and_back(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        client.cookies.set(SESSION, "not-a-valid-token")
        response = await client.post(
            "/interests/new",
            data={"category": "other"},
            headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/approvals?x=1"},
        )
        # Not a 303: the browser would follow it inside htmx's request and swap the sign-in page in.
        assert response.status_code == 401
        assert response.headers["hx-redirect"] == "/login?next=/approvals&notice=expired"
        assert any(h.startswith(f'{SESSION}=""') for h in set_cookie_headers(response))

    async def test_htmx_gets_a_refusal_as_a_fragment_not_a_second_page(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        await signed_in(client, person.email)
        response = await client.post(
            "/interests/new",
            data={"category": "other"},
            headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/interests"},
        )
        assert response.status_code == 403
        assert "<html" not in response.text and "<main" not in response.text
        assert 'role="alert"' in response.text and "reload the page" in response.text
        assert '<a href="/interests">Reload the page</a>' in response.text


class TestReviewFindings:
    async def test_a_body_the_guard_refuses_is_said_to_be_too_large_not_a_stale_form(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        token = await signed_in(client, person.email)
        response = await client.post(
            "/interests/new",
            data={"category": "other", "description": "x" * (2 * 1024 * 1024), "csrf_token": token},
        )
        assert response.status_code == 413, response.text[:300]

    async def test_signed_in_a_return_to_the_sign_in_page_goes_home_not_round_in_a_circle(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        person = (await caller()).person
        await signed_in(client, person.email)
        for target in ("/login", "/logout", "/login?next=/login"):
            response = await client.get("/login", params={"next": target})
            assert response.status_code == 303 and response.headers["location"] == "/", target

    async def test_a_page_beyond_ones_role_says_so_in_words(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        me = await caller()
        response = await client.get("/people", headers=me.headers)
        assert response.status_code == 403
        assert "not part of what your role in the trust lets you do" in response.text
        assert "people:write" not in response.text

    async def test_an_interest_starting_later_offers_no_ending_today(
        self, client: AsyncClient, caller: Callable[..., Awaitable[Caller]]
    ) -> None:
        me = await caller()
        later = await client.post(
            "/api/v1/interests",
            json={
                "category": "other",
                "description": "Joins the board next year",
                "start_date": "2099-01-01",
            },
            headers=me.headers,
        )
        assert later.status_code == 201, later.text
        page = await client.get("/interests", headers=me.headers)
        assert f"/interests/{later.json()['id']}/end" not in page.text
        assert "Starts in the future" in page.text
        refused = await client.post(f"/interests/{later.json()['id']}/end", data={}, headers=me.headers)
        assert refused.status_code == 422
        summary = refused.text.split("There is a problem", 1)[1].split("</div>", 1)[0]
        assert 'href="#' not in summary and "before" in summary
