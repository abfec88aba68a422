"""What every page of the web interface shares: its templates, the signed-in frame around them, forms
read and re-shown with their errors, and the answer when a form is refused.

Pages call the same services as the API (the rules live there and in the approval policy); this
module only turns their answers into HTML. A refused form is raised as `FormRejected`, never
returned: raising rolls the request's transaction back, so a service that wrote before refusing
leaves nothing behind, and the page shown again keeps everything the person typed.
"""

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from fastapi import APIRouter
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.approvals import policy
from app.auth import cookies
from app.auth.actor import Actor
from app.auth.dependencies import NOT_PERMITTED
from app.auth.permissions import Permission, Role
from app.core import clock
from app.core.db import Transactions
from app.core.errors import DomainError
from app.trust_settings import service as trust_settings

M = TypeVar("M", bound=BaseModel)
Refusal = ValidationError | DomainError
Shown = Mapping[str, Any]
TEMPLATES = Path(__file__).parent / "templates"
DECIDERS = frozenset(
    {
        Role.CEO,
        Role.COO,
        Role.CHAIR,
        Role.VICE_CHAIR,
        Role.FINANCE_DIRECTOR,
        Role.HR_DIRECTOR,
        Role.HEADTEACHER,
    }
)


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
    if is_htmx(request):
        target = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
    elif request.method in cookies.SAFE_METHODS:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        target = "/"
    location = "/login?next=" + quote(local_path(target), safe="/") + ("&notice=expired" if ended else "")
    response: Response = (
        Response(status_code=401, headers={"HX-Redirect": location})
        if is_htmx(request)
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
    return f"{value.day} {value:%B %Y}"


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


async def trust_name(session: AsyncSession) -> str:
    return trust_settings.trust_name_of(await trust_settings.current(session))


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


class FormRejected(Exception):
    """A form refused: the page shown again, with the person's input and what to put right."""

    def __init__(self, response: Response) -> None:
        super().__init__("form rejected")
        self.response = response


async def form_values(request: Request) -> FormData:
    return await request.form()


def text_values(form: FormData) -> dict[str, str]:
    """What was typed, to show again: text fields only (never a file, never the form token)."""
    return {
        name: value
        for name, value in form.items()
        if isinstance(value, str) and name != cookies.CSRF_FIELD and "password" not in name
    }


def uploaded(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) else None


_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def typed(
    values: Mapping[str, str], *, booleans: Sequence[str] = (), amounts: Sequence[str] = ()
) -> dict[str, Any]:
    """A form's text as an input schema reads it: a field left empty is not given, the named yes/no
    fields ("true", "false") are booleans (the schemas are strict: "yes" is not True), and the named
    sums of money are read as people type them ("£1,200.50" is "1200.50")."""
    data: dict[str, Any] = {}
    for name, value in values.items():
        value = value.strip()
        if name in amounts:
            value = value.removeprefix("£").replace(",", "").strip()
        if not value:
            continue
        data[name] = {"true": True, "false": False}.get(value, value) if name in booleans else value
    return data


def _plain(message: str, labels: Mapping[str, str]) -> str:
    """A service's message with its field names (`holder_name`) as the form's labels call them.
    Only names that cannot be ordinary words (they hold an underscore) are replaced: "attended" in
    a sentence stays a word."""
    for name, words in labels.items():
        if "_" not in name:
            continue
        message = re.sub(rf"\b{re.escape(name)}\b", words.lower(), message, flags=re.IGNORECASE)
    return message[:1].upper() + message[1:]


def field_errors(
    error: ValidationError | DomainError, labels: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What to put right, by form field ("" for the form as a whole), in words a person reads."""
    found = _field_errors(error)
    return {name: _plain(message, labels or {}) for name, message in found.items()}


def _field_errors(error: ValidationError | DomainError) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(error, ValidationError):
        for detail in error.errors(include_url=False, include_input=False):
            name = str(detail["loc"][0]) if detail["loc"] else ""
            message = str(detail["msg"])
            for prefix in _PYDANTIC_PREFIXES:
                message = message.removeprefix(prefix)
            found.setdefault(name, message[:1].upper() + message[1:])
        return found
    for item in error.errors or ():
        loc = [str(part) for part in item.get("loc", ()) if part != "body"]
        found.setdefault(loc[0] if loc else "", str(item.get("msg", error.detail)))
    if not found:  # a refusal about a field is shown there (and in the summary), not twice
        found[""] = error.detail
    return found


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """A form's fields into the service's input schema; a ValidationError says what to put right."""
    return model.model_validate(data)


def rejected(
    request: Request,
    template: str,
    error: ValidationError | DomainError,
    *,
    actor: Actor,
    trust: str,
    values: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    # Any, not Mapping[str, str] | None: pages splat their context (a dict[str, object]) beside it.
    missing: Any = None,
    at_top: Any = False,  # a bool (Any for the same reason as `missing`)
    **context: Any,
) -> FormRejected:
    """The form again, its input kept, each problem beside its field; 422 unless the service said.
    `missing` says, by field, what to ask for when a field the form needs was left empty ("Choose
    whether you accepted it" rather than the schema's "Field required"). `at_top`: the page has no
    such fields (a button in a list), so every problem is said once, at the top."""
    status = error.status if isinstance(error, DomainError) else 422
    headers = error.headers if isinstance(error, DomainError) else None
    errors = field_errors(error, labels)
    errors.update(
        {name: words for name, words in (missing or {}).items() if name in errors and not values.get(name)}
    )
    if at_top:
        errors = {"": " ".join(dict.fromkeys(errors.values()))}
    response = render(
        request,
        template,
        actor=actor,
        trust=trust,
        status=status,
        headers=headers,
        errors=errors,
        values=dict(values),
        labels=dict(labels or {}),
        **context,
    )
    return FormRejected(response)


@asynccontextmanager
async def refused_as(
    request: Request,
    session: AsyncSession | Transactions,
    actor: Actor,
    template: str,
    *,
    values: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    missing: Mapping[str, str] | None = None,
    at_top: bool = False,
    context: Shown | Callable[[], Shown | Awaitable[Shown]] | None = None,
    reword: Callable[[Refusal], Refusal] | None = None,
    **shown: Any,
) -> AsyncIterator[None]:
    """A form's work, refused as `rejected` says: the template again with `values`, each problem
    beside its field (`labels`, `missing`, `at_top` as `rejected` reads them). A 403 or 404 is not
    the form's to answer: it goes on as it is, to an error page (a record the person may not see or
    act on). `context` is what the template needs beside `shown`, read only when refused (it may
    read the database: a callable, async or not, or a dict already made); `reword` puts a service's
    refusal in the page's words. `session` may be the request's Transactions: the trust's name is
    then read in a read transaction of its own."""
    try:
        yield
    except (ValidationError, DomainError) as error:
        if isinstance(error, DomainError) and error.status in (403, 404):
            raise
        found = context() if callable(context) else context
        extra = found if found is None or isinstance(found, Mapping) else await found
        details = {"labels": labels, "missing": missing, "at_top": at_top, **(extra or {}), **shown}
        refusal = reword(error) if reword else error
        trust = await _trust_of(session)
        raise rejected(
            request, template, refusal, actor=actor, trust=trust, values=values, **details
        ) from None


async def _trust_of(session: AsyncSession | Transactions) -> str:
    if isinstance(session, AsyncSession):
        return await trust_name(session)
    async with session.session(write=False) as reading:
        return await trust_name(reading)


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


def options(values: Sequence[object]) -> list[tuple[str, str]]:
    """An enum's members as (value, words) for a select."""
    return [(str(getattr(v, "value", v)), label(v)) for v in values]
