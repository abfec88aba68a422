import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, Response

from app.auth.dependencies import Public
from app.core import csvfile
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import MAX_OFFSET
from app.register import cache, render
from app.register.schemas import PublishedRegisterRead
from app.trust_settings import service as trust_settings

router = APIRouter(tags=["register"])

# Kept for the scripts that used it before register.csv existed; not in the spec, where each
# operation answers one media type (a generated client parses a 200 as JSON or as text, not both).
LegacyFormat = Annotated[Literal["json", "csv"], Query(include_in_schema=False)]


@router.get(
    "/api/v1/public/register",
    response_model=PublishedRegisterRead,
    response_class=JSONResponse,
    responses=responses(422),
)
async def get_public_register(
    _: Public,
    session: Session,
    limit: Annotated[int | None, Query(ge=1, le=200, description="a page of people (default: all)")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    format: LegacyFormat = "json",
) -> Response:
    """Members, trustees, local governors and the accounting officer of the last 12 months; no login.

    The whole register by default (it is one public document); `limit` and `offset` page it.
    """
    if format == "csv":
        return await _register_csv(session)
    if limit is not None or offset:
        document = (await cache.current(session)).as_json()
        end = offset + limit if limit is not None else None
        document["items"] = document["items"][offset:end]
        return Response(json.dumps(document, ensure_ascii=False).encode(), media_type="application/json")
    return Response(await cache.rendered(session, render.JSON), media_type="application/json")


@router.get(
    "/api/v1/public/register.csv",
    response_class=csvfile.CsvResponse,
    responses=csvfile.csv_download("The published register, one row per published interest"),
)
async def get_public_register_csv(_: Public, session: Session) -> Response:
    """The published register as a spreadsheet: one row per interest, one for a person with none."""
    return await _register_csv(session)


async def _register_csv(session: AsyncSession) -> Response:
    content = await cache.rendered(session, render.CSV)
    return csvfile.CsvResponse(content, headers=csvfile.attachment("register-of-interests.csv"))


@router.get("/register", response_class=HTMLResponse, include_in_schema=False)
async def register_page(_: Public, session: Session) -> HTMLResponse:
    """The published register as a plain, accessible, printable web page, fit to link from a school's site."""
    trust_name = trust_settings.trust_name_of(await trust_settings.current(session))
    content = await cache.rendered(session, render.html_form(trust_name))
    return HTMLResponse(content, headers={"Content-Security-Policy": render.PAGE_CSP})
