from fastapi import APIRouter

from app.auth.dependencies import SettingsWriter, SignedIn
from app.core.deps import Session
from app.core.responses import responses
from app.trust_settings import service
from app.trust_settings.schemas import TrustSettingsRead, TrustSettingsUpdate

router = APIRouter(prefix="/api/v1/settings", tags=["settings"])


@router.get("", response_model=TrustSettingsRead, responses=responses(401))
async def get_settings(_: SignedIn, session: Session) -> TrustSettingsRead:
    """The trust's policy values: the gift token limit, the conflict-matching threshold, the
    related-party-transaction threshold and the trust's name."""
    return service.view(await service.current(session))


@router.patch("", response_model=TrustSettingsRead, responses=responses(401, 403, 422))
async def update_settings(
    actor: SettingsWriter, session: Session, data: TrustSettingsUpdate
) -> TrustSettingsRead:
    """The governance clerk changes them; every change is audited."""
    return await service.update(session, actor, data)
