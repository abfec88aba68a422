"""What every page of the web interface shares: its templates, the signed-in frame around them, its
navigation and words, and how a page answers an error (forms: app.web.forms).

Pages call the same services as the API (the rules live there and in the approval policy); this
module only turns their answers into HTML.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.approvals import policy
from app.auth import cookies
from app.auth.actor import Actor
from app.auth.dependencies import NOT_PERMITTED
from app.auth.permissions import Permission, Role
from app.core import clock
from app.core.db import Transactions
from app.trust_settings import service as trust_settings

TEMPLATES = Path(__file__).parent / "templates"
DECIDERS = policy.DECIDING_ROLES  # who finds Decisions in the navigation: the policy's own


class PageRoute(APIRoute):
    """A route of the web interface: its errors are HTML pages, and a signed-out visitor is sent to
    the sign-in page, where the API answers problem+json (app.core.errors asks the route)."""

    @staticmethod
    def error_page(request: Request, status: int, detail: str, headers: Mapping[str, str]) -> Response:
        if status == 401:
            return _to_sign_in(request)
        kept = {name: value for name, value in headers.items() if name.lower() == "retry-after"}
        if status == 403 and detail.startswith(NOT_PERMITTED):
            detail = "This page is not part of what your role in the trust lets you do."
        if is_htmx(request):
            # htmx swaps the answer into part of the page: a whole page would nest a second frame.
            reload = local_path(urlsplit(request.headers.get("HX-Current-URL", "")).path)
            fragment = "_error_fragment.html"
            return render(
                request, fragment, actor=None, status=status, headers=kept, detail=detail, reload=reload
            )
        return render(
            request, "error.html", actor=None, status=status, headers=kept, status_code=status, detail=detail
        )


def is_htmx(request: Request) -> bool:
    """A request htmx sent from a page (it swaps the answer into that page)."""
    return request.headers.get("HX-Request") == "true"


def _to_sign_in(request: Request) -> Response:
    """Signed out (or the session ended): to the sign-in page, then back to the page. A form sent
    after the session ended goes home (its action is not a page, and what it carried cannot be
    trusted now); for htmx, back to the page it was sent from, by HX-Redirect (a 303 would be
    followed inside the request and the sign-in page swapped into the page)."""
    ended = cookies.session_token(request) is not None  # it has expired or been withdrawn
    htmx = is_htmx(request)
    if htmx:
        target = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
    elif request.method in cookies.SAFE_METHODS:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        target = "/"
    location = "/login?next=" + quote(local_path(target), safe="/") + ("&notice=expired" if ended else "")
    response: Response = (
        Response(status_code=401, headers={"HX-Redirect": location})
        if htmx
        else RedirectResponse(location, 303)
    )
    if ended:
        cookies.clear_session(response)
    return response


def page_router() -> APIRouter:
    """A router for pages: kept out of the API's OpenAPI spec, still in the authorisation matrix."""
    return APIRouter(route_class=PageRoute, include_in_schema=False)


@dataclass(frozen=True)
class NavLink:
    href: str
    label: str


def navigation(actor: Actor) -> list[NavLink]:
    """The links a person sees: their own records always, the rest as their roles allow."""
    links = [
        NavLink("/", "Home"),
        NavLink("/interests", "My interests"),
        NavLink("/declarations", "Annual declaration"),
        NavLink("/gifts", "Gifts"),
        NavLink("/hospitality", "Hospitality"),
        NavLink("/paid-work", "Paid work"),
    ]
    if actor.roles & DECIDERS:
        links.append(NavLink("/approvals", "Decisions"))
    if actor.has(Permission.CONFLICTS_READ):
        links.append(NavLink("/conflict-checks", "Conflict checks"))
    if actor.has(Permission.RPT_READ):
        links.append(NavLink("/related-party-transactions", "Related parties"))
    if actor.has(Permission.PEOPLE_WRITE):
        links.append(NavLink("/people", "People"))
    if actor.has(Permission.CYCLES_STATUS):
        links.append(NavLink("/cycles", "Declaration cycles"))
    if actor.has(Permission.SETTINGS_WRITE):
        links.append(NavLink("/settings", "Settings"))
    return links


def day(value: date | datetime | None) -> str:
    """A date as people write it: 31 December 2026."""
    if value is None:
        return ""
    return clock.in_words(value)


def moment(value: datetime | None) -> str:
    """A time as people write it, on the trust's clock: 31 December 2026 at 14:05."""
    if value is None:
        return ""
    local = value.astimezone(clock.trust_zone()) if value.tzinfo is not None else value
    return f"{day(local)} at {local:%H:%M}"


def pounds(value: Decimal | int | float | str | None) -> str:
    if value is None or value == "":
        return ""
    return f"£{Decimal(str(value)):,.2f}"


def label(value: object) -> str:
    """An enum value as words: "spouse_partner" reads "Spouse partner"."""
    text = str(getattr(value, "value", value) or "")
    return text.replace("_", " ").capitalize()


@lru_cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(day=day, moment=moment, pounds=pounds, label=label)
    return env


async def trust_name(session: AsyncSession | Transactions) -> str:
    """The trust's name for a page's title and header; from the request's Transactions (a page with
    no session of its own: the sign-in form, a check run in phases), in a read transaction."""
    if isinstance(session, AsyncSession):
        return trust_settings.trust_name_of(await trust_settings.current(session))
    async with session.session(write=False) as reading:
        return trust_settings.trust_name_of(await trust_settings.current(reading))


def render(
    request: Request,
    template: str,
    *,
    actor: Actor | None,
    trust: str = "",
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in the frame: the person's name, their navigation, the form token of their session."""
    anchor = cookies.csrf_anchor(request)
    values = {
        "request": request,
        "actor": actor,
        "navigation": navigation(actor) if actor is not None else [],
        "current_path": request.url.path,
        "csrf_token": cookies.csrf_token_for(anchor) if anchor else "",
        "trust_name": trust,
        "errors": {},
        "values": {},
        **context,
    }
    body = environment().get_template(template).render(values)
    return HTMLResponse(body, status_code=status, headers=dict(headers or {}))


async def page(
    request: Request, session: AsyncSession, actor: Actor, template: str, **context: Any
) -> HTMLResponse:
    """A signed-in page, with the trust's name in its title."""
    return render(request, template, actor=actor, trust=await trust_name(session), **context)


def see_other(path: str, *, done: str | None = None) -> RedirectResponse:
    """After a form is taken: to the page that shows the outcome (so reloading never sends it twice)."""
    if done:
        path += ("&" if "?" in path else "?") + "done=" + quote(done)
    return RedirectResponse(path, status_code=303)


def local_path(target: str | None, default: str = "/") -> str:
    """A path on this site to go back to after sign-in, never another site's address."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return default
    if urlsplit(target).path in ("/login", "/logout"):
        return default  # back to signing in would go round in a circle
    return target


def deciders(kind: policy.Kind, actor: Actor) -> str:
    """Who decides this person's requests of a kind, in words, as the approval policy routes them
    (leaving out the person's own roles: nobody decides their own)."""
    route = policy.route_for(kind, policy.Requester(actor.id, actor.school_id, actor.roles))

    def either(roles: frozenset[Role]) -> str:
        names = [name for role, name in policy.ROLE_NAMES.items() if role in roles]
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]

    deciding = either(route.deciders - actor.roles or route.deciders)
    words = deciding + (" of your school" if route.same_school else "")
    return words + (f" (or {either(route.fallback)} when {deciding} cannot)" if route.fallback else "")
