"""My additional paid work, in the web interface: what I disclosed with its review, and the form to
disclose more."""

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import HTMLResponse, Response

from app.approvals.policy import Kind
from app.approvals.records import RecordFilter
from app.auth.actor import Actor
from app.auth.dependencies import SignedIn
from app.core.deps import Session
from app.core.schemas import PageParams
from app.paid_work import service
from app.paid_work.schemas import PaidWorkCreate, PaidWorkStatus
from app.people import service as people_service
from app.web import forms, pages

router = pages.page_router()

LIST = "paid_work/list.html"
FORM = "paid_work/new.html"
LABELS = {
    "employer": "Who you work for",
    "role": "Your role",
    "hours_per_week": "Hours a week",
    "start_date": "Start date",
    "end_date": "End date",
    "description": "What the work involves",
    "potential_conflict": "How it might conflict with your work for the trust",
}
MISSING = {
    "employer": "Enter who you work for",
    "role": "Enter your role",
    "hours_per_week": "Enter the hours a week, for example 4 or 7.5",
}
STATUS_WORDS = {
    PaidWorkStatus.SUBMITTED: ("Waiting for review", "wait"),
    PaidWorkStatus.ACKNOWLEDGED: ("Acknowledged", "good"),
    PaidWorkStatus.CONCERN_RAISED: ("A concern was raised", "bad"),
}
DONE = {"disclosed": "Your paid work has been disclosed to {reviewer}, who will review it."}


def _words(actor: Actor) -> dict[str, Any]:
    return {"reviewer": pages.deciders(Kind.PAID_WORK, actor), "status_words": STATUS_WORDS}


@router.get("/paid-work", response_class=HTMLResponse)
async def my_paid_work(
    actor: SignedIn,
    request: Request,
    session: Session,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The paid work I disclosed, latest first, with who reviewed it and what they said."""
    found, _ = await service.list_paid_work(
        session, actor, RecordFilter(person_id=actor.id), PageParams(limit=200)
    )
    reviewers = await people_service.names_of(session, {p.decided_by for p in found if p.decided_by})
    words = _words(actor)
    return await pages.page(
        request,
        session,
        actor,
        LIST,
        title="My paid work",
        disclosures=[service.view(p) for p in found],
        reviewed_by=reviewers,
        notice=DONE.get(done or "", "").format(reviewer=words["reviewer"]) or None,
        **words,
    )


@router.get("/paid-work/new", response_class=HTMLResponse)
async def new_paid_work(actor: SignedIn, request: Request, session: Session) -> HTMLResponse:
    """The form to disclose additional paid work."""
    return await pages.page(request, session, actor, FORM, title="Disclose paid work", **_words(actor))


def _hours(data: dict[str, Any]) -> dict[str, Any]:
    """Hours as typed ("7.5") as the schema reads them: a number (it refuses text, as the API's JSON
    would); what is not a number stays text, so the schema says what to put right."""
    try:
        return {**data, "hours_per_week": Decimal(data["hours_per_week"])}
    except (KeyError, InvalidOperation):
        return data


@router.post("/paid-work/new")
async def disclose(actor: SignedIn, request: Request, session: Session) -> Response:
    """Discloses through the same service as the API; a refusal shows the form again."""
    values = forms.text_values(await forms.form_values(request))
    data = _hours(forms.typed(values))
    async with forms.refused_as(
        request, session, actor, FORM, values=values, labels=LABELS, missing=MISSING,
        context=lambda: _words(actor), title="Disclose paid work",
    ):  # fmt: skip
        await service.submit(session, actor, forms.parse(PaidWorkCreate, {**data, "person_id": None}))
    return pages.see_other("/paid-work", done="disclosed")
