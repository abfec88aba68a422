import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, Response

from app.auth.dependencies import Public
from app.core import clock, csvfile
from app.core.deps import Session
from app.core.errors import NotFound, Unprocessable
from app.core.responses import responses
from app.core.schemas import MAX_OFFSET, Day
from app.core.settings import get_settings
from app.register import cache, http, render, service
from app.register.cache import FormChoice
from app.register.schemas import PublishedRegisterRead
from app.register.service import SchoolEntry, Site

router = APIRouter(tags=["register"])

# Kept for the scripts that used it before register.csv existed; not in the spec, where each
# operation answers one media type (a generated client parses a 200 as JSON or as text, not both).
LegacyFormat = Annotated[Literal["json", "csv"], Query(include_in_schema=False)]
AsOf = Annotated[
    Day | None,
    Query(description="the register as it stood on this day (default: today), from the first appointment on"),
]
SchoolFilter = Annotated[
    uuid.UUID | None, Query(description="one school's local governing body (its local governors only)")
]
Embed = Annotated[bool, Query(description="the register alone, to show inside a school's own site")]


async def _day(session: AsyncSession, as_of: date | None) -> date | None:
    """A past day the register can answer for, or None for today; else a 422 that says which days."""
    if as_of is None:
        return None
    today = clock.today()
    if as_of > today:
        raise Unprocessable(
            f"as_of {as_of} is in the future: the register goes up to today ({today})", loc=("query", "as_of")
        )
    if as_of == today:
        return None
    first = await service.first_day(await session.connection())
    if first is None or as_of < first:
        since = (
            f"from {first}, the first appointment on record"
            if first
            else "only today: nobody is appointed yet"
        )
        raise Unprocessable(
            f"as_of {as_of} is before the register begins; it answers {since}", loc=("query", "as_of")
        )
    return as_of


def _max_age(day: date | None) -> int:
    settings = get_settings()
    return settings.register_past_max_age_seconds if day else settings.register_max_age_seconds


def _school(kind: str, match: Callable[[SchoolEntry], bool], *, embed: bool = False) -> FormChoice:
    """A school's form, once its school is found among the version's schools (a 404 when none)."""

    def choose(site: Site) -> render.Form:
        found = next((school for school in site.schools if match(school)), None)
        if found is None:
            raise NotFound("school")
        return render.school_form(kind, found, site.trust_name if kind == "html" else "", embed)

    return choose


def _with_id(school_id: uuid.UUID | None) -> Callable[[SchoolEntry], bool]:
    return lambda school: school.id == str(school_id)


@router.get(
    "/api/v1/public/register",
    response_model=PublishedRegisterRead,
    response_class=JSONResponse,
    responses=responses(404, 422),
)
async def get_public_register(
    _: Public,
    request: Request,
    session: Session,
    limit: Annotated[int | None, Query(ge=1, le=200, description="a page of people (default: all)")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    as_of: AsOf = None,
    school_id: SchoolFilter = None,
    format: LegacyFormat = "json",
) -> Response:
    """Members, trustees, local governors and the accounting officer of the last 12 months; no login.

    The whole register by default (it is one public document); `limit` and `offset` page it.
    `school_id`: one school's local governors, with their appointments to its governing body.
    `as_of`: the register as it stood on that day. Every answer carries an ETag and Last-Modified;
    a matching If-None-Match or If-Modified-Since is a 304 with no body.
    """
    day = await _day(session, as_of)
    if format == "csv":
        return await _register_csv(request, session, day, school_id)
    choice = render.JSON if school_id is None else _school("json", _with_id(school_id))
    if limit is not None or offset:
        # A page changes only when the whole does: the whole's Last-Modified holds for it.
        document = await cache.rendered_page(session, choice, day, offset, limit)
    else:
        document = await cache.rendered(session, choice, day)
    return await http.served(request, document, max_age=_max_age(day))


@router.get(
    "/api/v1/public/register.csv",
    response_class=csvfile.CsvResponse,
    responses={
        **csvfile.csv_download("The published register, one row per published interest"),
        **responses(404, 422),
    },
)
async def get_public_register_csv(
    _: Public, request: Request, session: Session, as_of: AsOf = None, school_id: SchoolFilter = None
) -> Response:
    """The published register as a spreadsheet: one row per interest, one for a person with none."""
    return await _register_csv(request, session, await _day(session, as_of), school_id)


async def _register_csv(
    request: Request, session: AsyncSession, day: date | None, school_id: uuid.UUID | None
) -> Response:
    choice = render.CSV if school_id is None else _school("csv", _with_id(school_id))
    document = await cache.rendered(session, choice, day)
    name = "register-of-interests" + (f"-{day.isoformat()}" if day else "")
    return await http.served(
        request, document, max_age=_max_age(day), headers=csvfile.attachment(f"{name}.csv")
    )


@router.get("/register", response_class=HTMLResponse, include_in_schema=False)
async def register_page(
    _: Public, request: Request, session: Session, as_of: AsOf = None, embed: Embed = False
) -> Response:
    """The published register as a plain, accessible, printable web page, fit to link from a school's site."""
    day = await _day(session, as_of)
    document = await cache.rendered(session, lambda site: render.html_form(site.trust_name, embed), day)
    return await _page(request, document, day, embed)


@router.get("/register/schools/{slug}", response_class=HTMLResponse, include_in_schema=False)
async def school_register_page(
    _: Public, request: Request, session: Session, slug: str, as_of: AsOf = None, embed: Embed = False
) -> Response:
    """One school's local governing body, linking to the trust board's page."""
    day = await _day(session, as_of)
    choice = _school("html", lambda school: school.slug == slug, embed=embed)
    return await _page(request, await cache.rendered(session, choice, day), day, embed)


async def _page(request: Request, document: http.Document, day: date | None, embed: bool) -> Response:
    csp = render.page_csp(get_settings().register_frame_ancestors, embed=embed)
    return await http.served(
        request, document, max_age=_max_age(day), headers={"Content-Security-Policy": csp}
    )
