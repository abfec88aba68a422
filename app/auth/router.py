from typing import Annotated

from fastapi import APIRouter, Form, Request

from app.auth import service
from app.auth.dependencies import Public
from app.auth.schemas import TokenResponse
from app.core.deps import Transactions
from app.core.responses import responses
from app.core.schemas import EMAIL_MAX, PlainText

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenResponse, responses=responses(401, 415, 422, 429, 503))
async def issue_token(
    _: Public,
    request: Request,
    transactions: Transactions,
    username: Annotated[PlainText, Form(min_length=1, max_length=EMAIL_MAX, description="email")],
    password: Annotated[PlainText, Form(min_length=1, max_length=1024)],
    grant_type: Annotated[str | None, Form(pattern="^password$", max_length=8)] = None,
) -> TokenResponse:
    """OAuth2 password flow; the 10th consecutive failure for an account from one address within
    15 minutes, or too many from one address across accounts, is refused with 429."""
    client = request.client.host if request.client else None
    outcome = await service.login(transactions, username, password, client)
    if outcome.refusal is not None:
        raise outcome.refusal
    assert outcome.token is not None
    return TokenResponse(access_token=outcome.token.access_token, expires_in=outcome.token.expires_in)
