import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import HTMLResponse, Response

from app.auth.dependencies import Public
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import MAX_OFFSET
from app.core.settings import get_settings
from app.register import cache, render

router = APIRouter(tags=["register"])

JSON_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The published register (JSON), or CSV with format=csv",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
}


@router.get("/api/v1/public/register", response_class=Response, responses={**JSON_DOC, **responses(422)})
async def published_register(
    _: Public,
    session: Session,
    format: Literal["json", "csv"] = "json",
    limit: Annotated[int | None, Query(ge=1, le=200, description="a page of people (default: all)")] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> Response:
    """Members, trustees, local governors and the accounting officer of the last 12 months; no login.

    The whole register by default (it is one public document); `limit` and `offset` page the JSON.
    """
    if format == "json" and (limit is not None or offset):
        document = (await cache.current(session)).as_json()
        end = offset + limit if limit is not None else None
        document["items"] = document["items"][offset:end]
        return Response(json.dumps(document, ensure_ascii=False).encode(), media_type="application/json")
    if format == "csv":
        content = await cache.rendered(session, render.CSV)
        return Response(
            content,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="register-of-interests.csv"'},
        )
    return Response(await cache.rendered(session, render.JSON), media_type="application/json")


@router.get(
    "/register",
    response_class=HTMLResponse,
    responses={200: {"description": "The published register as a web page", "content": {"text/html": {}}}},
)
async def register_page(_: Public, session: Session) -> HTMLResponse:
    """The published register as a plain, accessible, printable web page, fit to link from a school's site."""
    content = await cache.rendered(session, render.html_form(get_settings().trust_name))
    return HTMLResponse(content, headers={"Content-Security-Policy": render.PAGE_CSP})
