"""Signing in as a browser does, for tests of the web interface's pages: the sign-in form's token and
its pre-session cookie, then the session cookie, then the token every signed-in form carries."""

import re

from httpx import AsyncClient

from app.auth import cookies
from tests.factories import DEFAULT_PASSWORD


def csrf_of(html: str) -> str:
    """The CSRF token of a page's forms."""
    found = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html)
    assert found is not None, html[:500]
    return found.group(1)


async def sign_in(client: AsyncClient, email: str, password: str = DEFAULT_PASSWORD) -> str:
    """Signs in with the form (the client keeps the cookies) and returns the session pages' CSRF token."""
    form = await client.get("/login")
    assert form.status_code == 200, form.text[:300]
    assert cookies.pre_session_cookie_name() in client.cookies
    response = await client.post(
        "/login", data={"username": email, "password": password, "csrf_token": csrf_of(form.text)}
    )
    assert response.status_code == 303, response.text[:300]
    assert response.headers["location"] == "/"
    home = await client.get("/")
    assert home.status_code == 200, home.text[:300]
    return csrf_of(home.text)
