"""Decisions, in the web interface: the approver's queue, each request with its details, its flags
and the requester's declared interests beside it, and approve or reject on each.

The queue is the API's (app.approvals.queue); each record is read and decided through the queue's
registered sources: the record domain's own view and decision service, the ones its API route
calls, so that this package still imports no gift, hospitality or paid work domain (STYLE.md); the
requester's interests are read through the register's own service. A small htmx form swaps the
item for what was decided; without JavaScript the same form posts and comes back to the queue.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, Response

from app.approvals import queue, records
from app.approvals.models import Submitted
from app.approvals.policy import Kind
from app.approvals.schemas import DecisionCreate
from app.auth.actor import Actor
from app.auth.dependencies import SignedIn
from app.core import clock
from app.core.deps import Session
from app.core.errors import DomainError
from app.core.schemas import PageParams
from app.interests import service as interests_service
from app.interests.models import Interest
from app.interests.words import CATEGORY_WORDS, WHOSE
from app.people import service as people_service
from app.web import forms, pages

router = pages.page_router()

PAGE = "approvals/queue.html"
ITEM = "approvals/_item.html"
SHOWN = 100  # the oldest first; a queue longer than this is worked through from the top
KIND_WORDS = {
    Kind.GIFT: "Gift",
    Kind.HOSPITALITY: "Hospitality request",
    Kind.PAID_WORK: "Additional paid work",
}
FLAG_WORDS = {
    "cash": "Cash: a gift of cash always needs a decision",
    "over_token_limit": "Over the trust's limit for small gifts, with this donor's other gifts in 12 months",
    "retrospective": "Asked for on or after the day of the event, not in advance",
    "personal_invitation": "The invitation was to the person, not to the trust",
    "provider_conflict": "The provider matches a declared interest of the person asking or of a decider",
}
# Whose interest, as others read it (the interests pages speak to the declarant: "Mine").
# What each kind's two buttons say, and what was done (the queue's notice and the swapped item).
CHOICES = {
    Kind.GIFT: ("Approve the gift", "Reject the gift", "approved", "rejected"),
    Kind.HOSPITALITY: ("Approve the request", "Reject the request", "approved", "rejected"),
    Kind.PAID_WORK: ("Acknowledge the paid work", "Raise a concern", "acknowledged", "concern"),
}
DONE = {
    "approved": "Approved. The person who asked will be told by email.",
    "rejected": "Rejected, with your note. The person who asked will be told by email.",
    "acknowledged": "Acknowledged. The person will be told by email.",
    "concern": "Concern raised, with your note. The person will be told by email.",
}
PATHS = {Kind.GIFT: "gifts", Kind.HOSPITALITY: "hospitality", Kind.PAID_WORK: "paid-work"}
LABELS = {"note": "Note", "decision": "Decision"}


@dataclass(frozen=True)
class Item:
    """One request waiting for a decision, as the page shows it."""

    kind: Kind
    id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    submitted_at: datetime
    flags: list[str]
    details: BaseModel  # the record as the API reads it
    interests: list[Interest]

    @property
    def action(self) -> str:
        return f"/approvals/{PATHS[self.kind]}/{self.id}"


def _words() -> dict[str, Any]:
    return {
        "kind_words": KIND_WORDS,
        "flag_words": FLAG_WORDS,
        "whose": WHOSE,
        "category_words": CATEGORY_WORDS,
        "choices": CHOICES,
    }


async def _details(
    session: AsyncSession, actor: Actor, waiting: list[queue.Waiting]
) -> dict[uuid.UUID, BaseModel]:
    """Each record as the API reads it, through the scoped read of its kind (one query per kind)."""
    by_kind: dict[Kind, list[uuid.UUID]] = defaultdict(list)
    for item in waiting:
        by_kind[item.kind].append(item.id)
    read: dict[uuid.UUID, BaseModel] = {}
    for kind, ids in by_kind.items():
        source = queue.SOURCES[kind]
        found = await session.scalars(
            records.readable(kind, source.model, actor).where(source.model.id.in_(ids))
        )
        read.update({record.id: source.view(record) for record in found})
    return read


async def _queue(session: AsyncSession, actor: Actor) -> tuple[list[Item], int]:
    """The queue as the API lists it (oldest first), with each record and its requester's interests."""
    waiting, total = await queue.pending(session, actor, PageParams(limit=SHOWN))
    details = await _details(session, actor, waiting)
    # Read with the decider's permissions: a decider reads the open interests of whoever waits for
    # their decision ("Who sees what"), so the lists are theirs, never an empty stand-in.
    interests = await interests_service.open_interests_of(
        session, actor, {w.person_id for w in waiting}, clock.today()
    )
    items = [
        Item(
            w.kind,
            w.id,
            w.person_id,
            w.person_name,
            w.submitted_at,
            w.flags,
            details[w.id],
            interests[w.person_id],
        )
        for w in waiting
        if w.id in details
    ]
    return items, total


async def _item(session: AsyncSession, actor: Actor, kind: Kind, record: Submitted) -> Item:
    """One record as an item of the queue (for the htmx answer), read as the queue reads it."""
    names = await people_service.names_of(session, {record.person_id})
    interests = await interests_service.open_interests_of(session, actor, {record.person_id}, clock.today())
    return Item(
        kind,
        record.id,
        record.person_id,
        names.get(record.person_id, ""),
        record.submitted_at,
        list(record.flags or []),
        queue.SOURCES[kind].view(record),
        interests[record.person_id],
    )


@router.get("/approvals", response_class=HTMLResponse)
async def decisions(
    actor: SignedIn,
    request: Request,
    session: Session,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """Everything the signed-in person may decide now (gifts, hospitality, paid work), oldest first."""
    items, total = await _queue(session, actor)
    notice = DONE.get(done or "")
    return await pages.page(
        request, session, actor, PAGE, title="Decisions", items=items, total=total, notice=notice,
        page_error=None, outcome=None, **_fragment_context(),
    )  # fmt: skip


@router.post("/approvals/gifts/{gift_id}")
async def decide_gift(actor: SignedIn, request: Request, session: Session, gift_id: uuid.UUID) -> Response:
    """Approves a gift waiting for review, or rejects it with a note saying why (the API's decision)."""
    return await _decide(request, session, actor, Kind.GIFT, gift_id)


@router.post("/approvals/hospitality/{request_id}")
async def decide_hospitality(
    actor: SignedIn, request: Request, session: Session, request_id: uuid.UUID
) -> Response:
    """Approves a hospitality request, or rejects it with a note saying why (the API's decision)."""
    return await _decide(request, session, actor, Kind.HOSPITALITY, request_id)


@router.post("/approvals/paid-work/{paid_work_id}")
async def review_paid_work(
    actor: SignedIn, request: Request, session: Session, paid_work_id: uuid.UUID
) -> Response:
    """Acknowledges paid work disclosed, or raises a concern with a note saying what it is (the
    API's review)."""
    return await _decide(request, session, actor, Kind.PAID_WORK, paid_work_id)


async def _decide(
    request: Request, session: AsyncSession, actor: Actor, kind: Kind, record_id: uuid.UUID
) -> Response:
    """Who may decide is settled before the form is judged (404 unseen, 403 with the policy's
    reason), as the API's dependency does; then the domain's own decision service decides."""
    source = queue.SOURCES[kind]
    values = forms.text_values(await forms.form_values(request))
    try:
        record = await records.to_decide(session, kind, source.model, actor, record_id)
        data = forms.parse(DecisionCreate, forms.typed(values))
        await source.decide(session, actor, record, data.decision == "approve", data.note)
    except (ValidationError, DomainError) as error:
        if pages.is_htmx(request):
            raise await _refused_item(request, session, actor, kind, record_id, error, values) from None
        if isinstance(error, DomainError) and error.status in (403, 404):
            raise  # an error page saying why
        raise await _refused_page(request, session, actor, kind, record_id, error, values) from None
    done = CHOICES[kind][2 if data.decision == "approve" else 3]
    if not pages.is_htmx(request):
        return pages.see_other("/approvals", done=done)
    item = await _item(session, actor, kind, record)
    return pages.render(request, ITEM, actor=actor, item=item, outcome=DONE[done], **_fragment_context())


def _fragment_context(
    errors: dict[uuid.UUID, dict[str, str]] | None = None,
    values: dict[uuid.UUID, dict[str, str]] | None = None,
) -> dict[str, Any]:
    return {"item_errors": errors or {}, "item_values": values or {}, **_words()}


def _errors(kind: Kind, error: ValidationError | DomainError) -> dict[str, str]:
    """What to put right, beside the field: a rejection without a note is about the note (for paid
    work, rejecting is raising a concern, and its button says so)."""
    found = forms.field_errors(error, LABELS)
    if isinstance(error, ValidationError) and "" in found:
        found["note"] = found.pop("")
        if kind is Kind.PAID_WORK:
            found["note"] = "A concern needs a note saying what it is"
    if "decision" in found:
        found["decision"] = "Choose one of the two buttons"
    return found


async def _refused_page(
    request: Request,
    session: AsyncSession,
    actor: Actor,
    kind: Kind,
    record_id: uuid.UUID,
    error: ValidationError | DomainError,
    values: dict[str, str],
) -> forms.FormRejected:
    """The queue again, the message beside the item and its note kept (raised: the request's
    transaction rolls back); a request decided meanwhile has left the queue, so its message heads it."""
    items, total = await _queue(session, actor)
    errors = _errors(kind, error)
    listed = any(item.id == record_id for item in items)
    response = await pages.page(
        request, session, actor, PAGE, title="Decisions", items=items, total=total, notice=None,
        status=error.status if isinstance(error, DomainError) else 422,
        page_error=None if listed else " ".join(errors.values()), outcome=None,
        **_fragment_context({record_id: errors}, {record_id: values}),
    )  # fmt: skip
    return forms.FormRejected(response)


async def _refused_item(
    request: Request,
    session: AsyncSession,
    actor: Actor,
    kind: Kind,
    record_id: uuid.UUID,
    error: ValidationError | DomainError,
    values: dict[str, str],
) -> forms.FormRejected:
    """For htmx, the item with the message inside it; the message alone when the record is not one
    the person may see, or was decided meanwhile (409: there is nothing left to decide). With the
    refusal's own status: the pages' htmx configuration (base.html) swaps 403, 404, 409 and 422 in."""
    errors = _errors(kind, error)
    status = error.status if isinstance(error, DomainError) else 422
    source = queue.SOURCES[kind]
    try:
        if isinstance(error, DomainError) and error.status == 409:
            raise error
        record = await records.get(session, kind, source.model, actor, record_id)
    except DomainError:
        response = pages.render(
            request, "approvals/_refused.html", actor=actor, record_id=record_id, errors=errors, status=status
        )
        return forms.FormRejected(response)
    item = await _item(session, actor, kind, record)
    context = _fragment_context({record_id: errors}, {record_id: values})
    return forms.FormRejected(
        pages.render(request, ITEM, actor=actor, item=item, outcome=None, status=status, **context)
    )
