"""The web interface's own pages: signing in and out, the home page, and its static files."""

from pathlib import Path
from typing import Annotated

from fastapi import Query, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from app.approvals import queue
from app.auth import cookies
from app.auth import service as auth_service
from app.auth.dependencies import Public, SignedIn
from app.core import assets
from app.core.deps import Session, Transactions
from app.core.errors import NotFound, TooManyRequests
from app.core.schemas import PageParams
from app.declarations import service as declarations_service
from app.web import pages

router = pages.page_router()

STATIC = Path(__file__).parent / "static"
# Only these files are served (never a path built from the request).
_STATIC: dict[str, str] = {
    "probity.css": "text/css; charset=utf-8",
    "htmx.min.js": "text/javascript; charset=utf-8",  # htmx 2.0.11 from npm, sha512 checked (docs/web.md)
    "favicon.svg": "image/svg+xml",
}
NOTICES = {
    "signed-out": "You have signed out.",
    "expired": "Your session has ended. Sign in again to carry on.",
}


@router.get("/", response_class=HTMLResponse)
async def home(actor: SignedIn, request: Request, session: Session) -> HTMLResponse:
    """What needs doing: declarations due and decisions waiting, then the way to each record."""
    due = await declarations_service.due_from(session, actor.id)
    _, waiting = await queue.pending(session, actor, PageParams(limit=1))
    return await pages.page(
        request,
        session,
        actor,
        "home.html",
        title="Home",
        due=due,
        waiting=waiting,
        decider=bool(actor.roles & pages.DECIDERS),
    )


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    _: Public,
    request: Request,
    transactions: Transactions,
    next: Annotated[str | None, Query(max_length=2000)] = None,
    notice: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The sign-in form; someone already signed in goes on to where they were going."""
    if cookies.session_token(request) and notice is None:
        return RedirectResponse(pages.local_path(next), status_code=303)
    return _login_page(
        request,
        await pages.trust_name(transactions),
        next=pages.local_path(next),
        notice=NOTICES.get(notice or ""),
    )


def _login_page(
    request: Request,
    trust: str,
    *,
    next: str,
    notice: str | None = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The form, tied to this browser's pre-session cookie (set now if it has none)."""
    anchor = cookies.pre_session_anchor(request)
    response = pages.render(
        request,
        "login.html",
        actor=None,
        trust=trust,
        title="Sign in",
        status=status,
        headers=headers,
        next=next,
        notice=notice,
        errors=errors or {},
        values=values or {},
        csrf_token=cookies.csrf_token_for(anchor),
    )
    cookies.set_pre_session(response, anchor)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(_: Public, request: Request, transactions: Transactions) -> Response:
    """The API's login (the same throttling and audit), then the token in an HttpOnly cookie."""
    form = await request.form()
    trust = await pages.trust_name(transactions)
    username, password, target = (str(form.get(name) or "") for name in ("username", "password", "next"))
    target = pages.local_path(target)
    values = {"username": username[:320]}
    if not cookies.csrf_valid(
        request.cookies.get(cookies.pre_session_cookie_name()), str(form.get("csrf_token") or "")
    ):
        errors = {"": "The sign-in form had expired. Please sign in again."}
        return _login_page(request, trust, next=target, status=403, errors=errors, values=values)
    if not username or not password:
        errors = {
            name: f"Enter your {label}"
            for name, label in (("username", "email address"), ("password", "password"))
            if not form.get(name)
        }
        return _login_page(request, trust, next=target, status=422, errors=errors, values=values)
    client = request.client.host if request.client else None
    outcome = await auth_service.login(transactions, username[:320], password[:1024], client)
    if outcome.refusal is not None:
        locked = isinstance(outcome.refusal, TooManyRequests)
        message = (
            "Too many failed attempts. Wait a few minutes, then try again."
            if locked
            else "The email address or password is not right."
        )
        return _login_page(
            request,
            trust,
            next=target,
            status=outcome.refusal.status,
            errors={"": message},
            values=values,
            headers={k: v for k, v in outcome.refusal.headers.items() if k.lower() == "retry-after"},
        )
    assert outcome.token is not None
    response = RedirectResponse(target, status_code=303)
    cookies.set_session(response, outcome.token.access_token, outcome.token.expires_in)
    return response


@router.post("/logout")
async def logout(_: SignedIn) -> Response:
    """Forgets the session in this browser (the CSRF token proves the form was ours)."""
    response = RedirectResponse("/login?notice=signed-out", status_code=303)
    cookies.clear_session(response)
    return response


@router.get("/static/{asset}")
async def static_file(_: Public, request: Request, asset: str) -> Response:
    """A stylesheet or script of the pages, revalidated by its ETag."""
    if asset not in _STATIC:
        raise NotFound("file")
    return assets.served(request, STATIC / asset, _STATIC[asset])
