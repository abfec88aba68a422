"""My gifts, in the web interface: the gifts I recorded with what became of them, and the form to
record one."""

from typing import Annotated, Any

from fastapi import Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, Response

from app.approvals.policy import Kind
from app.approvals.records import RecordFilter
from app.auth.actor import Actor
from app.auth.dependencies import SignedIn
from app.core import clock
from app.core.deps import Session
from app.core.schemas import PageParams
from app.gifts import service
from app.gifts.schemas import GiftCreate, GiftStatus
from app.people import service as people_service
from app.trust_settings import service as trust_settings
from app.web import forms, pages

router = pages.page_router()

LIST = "gifts/list.html"
FORM = "gifts/new.html"
LABELS = {
    "donor_name": "Who offered it",
    "donor_organisation": "Their organisation",
    "description": "What it was",
    "value_gbp": "Its value",
    "offered_on": "When it was offered",
    "accepted": "Did you accept it",
    "is_cash": "Cash or a voucher",
}
MISSING = {
    "donor_name": "Enter who offered it",
    "description": "Enter what it was",
    "value_gbp": "Enter its value in pounds, for example 15.00",
    "accepted": "Choose whether you accepted it or declined it",
}
STATUS_WORDS = {
    GiftStatus.RECORDED: ("Recorded", "good"),
    GiftStatus.PENDING_REVIEW: ("Waiting for review", "wait"),
    GiftStatus.APPROVED: ("Approved", "good"),
    GiftStatus.REJECTED: ("Not approved: return it or give it to charity", "bad"),
}
FLAG_WORDS = {
    "cash": "Cash: always reviewed",
    "over_token_limit": "Over the token limit, with the donor's other gifts in the last 12 months",
}
DONE = {
    "recorded": "Your gift has been recorded.",
    "review": "Your gift has been recorded. As cash or more than a small token, it waits for review by "
    "{deciders}.",
}


async def _context(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    """What the gift pages say of the rule: the trust's token limit and who reviews gifts over it."""
    settings = trust_settings.view(await trust_settings.current(session))
    return {
        "token_limit": settings.gift_token_limit_gbp,
        "deciders": pages.deciders(Kind.GIFT, actor),
        "status_words": STATUS_WORDS,
        "flag_words": FLAG_WORDS,
    }


@router.get("/gifts", response_class=HTMLResponse)
async def my_gifts(
    actor: SignedIn,
    request: Request,
    session: Session,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The gifts I recorded, newest first, with their status, flags and any decision."""
    found, _ = await service.list_gifts(
        session, actor, RecordFilter(person_id=actor.id), PageParams(limit=200)
    )
    gifts = [service.view(g) for g in found]
    deciders = await people_service.names_of(session, {g.decided_by for g in gifts if g.decided_by})
    context = await _context(session, actor)
    return await pages.page(
        request,
        session,
        actor,
        LIST,
        title="My gifts",
        gifts=gifts,
        decided_by=deciders,
        notice=DONE.get(done or "", "").format(deciders=context["deciders"]) or None,
        **context,
    )


@router.get("/gifts/new", response_class=HTMLResponse)
async def new_gift(actor: SignedIn, request: Request, session: Session) -> HTMLResponse:
    """The form to record a gift offered, whether accepted or declined."""
    return await pages.page(
        request,
        session,
        actor,
        FORM,
        title="Record a gift",
        values={"offered_on": clock.today().isoformat()},
        **await _context(session, actor),
    )


@router.post("/gifts/new")
async def record_gift(actor: SignedIn, request: Request, session: Session) -> Response:
    """Records the gift through the same service as the API; a refusal shows the form again."""
    values = forms.text_values(await forms.form_values(request))
    data = forms.typed(values, booleans=("accepted", "is_cash"), amounts=("value_gbp",))
    async with forms.refused_as(
        request, session, actor, FORM, values=values, labels=LABELS, missing=MISSING,
        context=lambda: _context(session, actor), title="Record a gift",
    ):  # fmt: skip
        gift = await service.record(session, actor, forms.parse(GiftCreate, {**data, "person_id": None}))
    return pages.see_other(
        "/gifts", done="review" if gift.status == GiftStatus.PENDING_REVIEW else "recorded"
    )
