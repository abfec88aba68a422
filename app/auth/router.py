from typing import Annotated

from fastapi import APIRouter, Form

from app.auth import service
from app.auth.dependencies import Public
from app.auth.schemas import TokenResponse
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import EMAIL_MAX, PlainText

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token", response_model=TokenResponse, responses=responses(401, 415, 422, 429))
async def issue_token(
    _: Public,
    session: Session,
    username: Annotated[PlainText, Form(min_length=1, max_length=EMAIL_MAX, description="email")],
    password: Annotated[PlainText, Form(min_length=1, max_length=1024)],
    grant_type: Annotated[str | None, Form(pattern="^password$", max_length=8)] = None,
) -> TokenResponse:
    """OAuth2 password flow; the 10th consecutive failure within 15 minutes is refused with 429."""
    outcome = await service.login(session, username, password)
    if outcome.refusal is not None:
        # The failure and its audit event must outlive the refusal: commit before raising.
        await session.commit()
        raise outcome.refusal
    assert outcome.token is not None
    return TokenResponse(access_token=outcome.token.access_token, expires_in=outcome.token.expires_in)
