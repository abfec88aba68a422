from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text

from app.auth.dependencies import Public
from app.core.db import get_database
from app.core.errors import AWAY_RETRY_SECONDS, problem
from app.core.responses import responses

router = APIRouter(tags=["health"])


class HealthRead(BaseModel):
    status: Literal["ok"] = "ok"
    database: Literal["ok"] = "ok"


@router.get("/healthz", response_model=HealthRead, responses=responses(503))
async def check_health(_: Public) -> HealthRead | JSONResponse:
    """200 when the database answers a query, 503 when it does not."""
    try:
        async with get_database().engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure to reach the database is "not healthy", never a 500
        return problem(
            503,
            "The database does not answer",
            code="database-unavailable",
            headers={"Retry-After": str(AWAY_RETRY_SECONDS)},
        )
    return HealthRead()
