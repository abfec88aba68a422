"""My hospitality, in the web interface: my requests with their status and flags, asking for approval
in advance, withdrawing a request nobody has decided, and saying what happened after the event."""

import uuid
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
from app.hospitality import service
from app.hospitality.schemas import HospitalityCreate, HospitalityOutcome, HospitalityStatus, InvitationType
from app.people import service as people_service
from app.web import forms, pages

router = pages.page_router()

LIST = "hospitality/list.html"
FORM = "hospitality/new.html"
OUTCOME = "hospitality/outcome.html"
LABELS = {
    "provider_name": "Who invited you",
    "provider_organisation": "Their organisation",
    "event_description": "The event",
    "event_date": "Date of the event",
    "estimated_value_gbp": "Its value",
    "invitation_type": "Who the invitation is for",
    "business_justification": "Why the trust benefits",
}
# Not "attended": the schema's messages use it as a word ("... when the event was attended").
OUTCOME_LABELS = {"actual_value_gbp": "What it was worth"}
MISSING = {
    "provider_name": "Enter who invited you",
    "event_description": "Say what the event is",
    "event_date": "Enter the date of the event",
    "estimated_value_gbp": "Enter its value in pounds, for example 60.00",
    "invitation_type": "Choose who the invitation is for",
    "business_justification": "Say why the trust benefits",
    "attended": "Choose whether you went",
}
STATUS_WORDS = {
    HospitalityStatus.SUBMITTED: ("Waiting for a decision", "wait"),
    HospitalityStatus.APPROVED: ("Approved", "good"),
    HospitalityStatus.REJECTED: ("Not approved", "bad"),
    HospitalityStatus.WITHDRAWN: ("Withdrawn by you", ""),
    HospitalityStatus.COMPLETED: ("Done", "good"),
}
FLAG_WORDS = {
    "retrospective": "Asked for on or after the day of the event: approval should be asked for in advance",
    "personal_invitation": "A personal invitation: hospitality is acceptable when the invitation is to "
    "the trust rather than to you personally",
    "provider_conflict": "The provider matches an interest declared by you, or by someone who could "
    "decide this request",
}
INVITATION_WORDS = {
    InvitationType.CORPORATE: "To the trust, or to me because of my role (a corporate invitation)",
    InvitationType.PERSONAL: "To me personally",
}
DONE = {
    "asked": "Your request has been sent to {deciders} for a decision.",
    "withdrawn": "Your request has been withdrawn.",
    "completed": "Thank you: what happened at the event has been recorded.",
}


def _words(actor: Actor) -> dict[str, Any]:
    return {
        "deciders": pages.deciders(Kind.HOSPITALITY, actor),
        "status_words": STATUS_WORDS,
        "flag_words": FLAG_WORDS,
        "invitations": [(kind.value, words) for kind, words in INVITATION_WORDS.items()],
        "today": clock.today(),
    }


async def _list_context(session: AsyncSession, actor: Actor) -> dict[str, Any]:
    """My requests, newest first, with the names of those who decided them, and the list's words."""
    found, _ = await service.list_requests(
        session, actor, RecordFilter(person_id=actor.id), PageParams(limit=200)
    )
    decided = await people_service.names_of(session, {r.decided_by for r in found if r.decided_by})
    requests = [service.view(r) for r in found]
    return {"title": "My hospitality", "requests": requests, "decided_by": decided, **_words(actor)}


@router.get("/hospitality", response_class=HTMLResponse)
async def my_hospitality(
    actor: SignedIn,
    request: Request,
    session: Session,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The hospitality I asked for: status, flags, who decided and their note, what I can do next."""
    context = await _list_context(session, actor)
    notice = DONE.get(done or "", "").format(deciders=context["deciders"]) or None
    return await pages.page(request, session, actor, LIST, notice=notice, **context)


@router.get("/hospitality/new", response_class=HTMLResponse)
async def new_request(actor: SignedIn, request: Request, session: Session) -> HTMLResponse:
    """The form to ask for hospitality to be approved before the event."""
    return await pages.page(request, session, actor, FORM, title="Ask to accept hospitality", **_words(actor))


@router.post("/hospitality/new")
async def ask(actor: SignedIn, request: Request, session: Session) -> Response:
    """Asks through the same service as the API; a refusal shows the form again."""
    values = forms.text_values(await forms.form_values(request))
    data = forms.typed(values, amounts=("estimated_value_gbp",))
    async with forms.refused_as(
        request, session, actor, FORM, values=values, labels=LABELS, missing=MISSING,
        context=lambda: _words(actor), title="Ask to accept hospitality",
    ):  # fmt: skip
        await service.submit(session, actor, forms.parse(HospitalityCreate, {**data, "person_id": None}))
    return pages.see_other("/hospitality", done="asked")


@router.post("/hospitality/{request_id}/withdraw")
async def withdraw(actor: SignedIn, request: Request, session: Session, request_id: uuid.UUID) -> Response:
    """Withdraws my request while nobody has decided it (someone else's: 404, or 403 for its readers)."""
    asked = await service.own_request(session, actor, request_id, "withdraw this request")
    async with forms.refused_as(
        request, session, actor, LIST, values={}, notice=None, context=lambda: _list_context(session, actor)
    ):
        await service.withdraw(session, actor, asked)
    return pages.see_other("/hospitality", done="withdrawn")


@router.get("/hospitality/{request_id}/outcome", response_class=HTMLResponse)
async def outcome_form(
    actor: SignedIn, request: Request, session: Session, request_id: uuid.UUID
) -> HTMLResponse:
    """After an approved event: did I go, and what was it worth (before its day, it says when).
    Those who see the request see what was recorded; only the requester gets the form."""
    asked = await service.get(session, actor, request_id)
    return await pages.page(
        request,
        session,
        actor,
        OUTCOME,
        title="What happened at the event",
        asked=service.view(asked),
        **_words(actor),
    )


@router.post("/hospitality/{request_id}/outcome")
async def record_outcome(
    actor: SignedIn, request: Request, session: Session, request_id: uuid.UUID
) -> Response:
    """Records the outcome through the same service as the API; a refusal shows the form again."""
    asked = await service.own_request(session, actor, request_id, "record what happened at the event")
    values = forms.text_values(await forms.form_values(request))
    data = forms.typed(values, booleans=("attended",), amounts=("actual_value_gbp",))
    async with forms.refused_as(
        request, session, actor, OUTCOME, values=values, labels=OUTCOME_LABELS, missing=MISSING,
        context=lambda: {"asked": service.view(asked), **_words(actor)}, title="What happened at the event",
    ):  # fmt: skip
        await service.record_outcome(session, actor, asked, forms.parse(HospitalityOutcome, data))
    return pages.see_other("/hospitality", done="completed")
