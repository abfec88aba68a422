"""My interests, in the web interface: the list, the form to add one, and ending one."""

import uuid
from typing import Annotated

from fastapi import Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, Response

from app.auth.actor import Actor
from app.auth.dependencies import InterestsDeclarant
from app.core import clock
from app.core.deps import Session
from app.core.schemas import PageParams
from app.interests import service
from app.interests.schemas import Holder, InterestCategory, InterestCreate, InterestEnd
from app.interests.words import CATEGORY_WORDS, HOLDER_WORDS
from app.web import forms, pages

router = pages.page_router()

LIST = "interests/list.html"
FORM = "interests/new.html"
# The form's words for the schema's fields, so that a refusal reads as the form does.
LABELS = {
    "category": "Kind of interest",
    "holder": "Whose interest",
    "holder_name": "Their name",
    "relationship": "Their relationship to you",
    "organisation_name": "Organisation",
    "company_number": "Company number",
    "charity_number": "Charity number",
    "description": "Description",
    "financial": "Financial interest",
    "direct": "Direct interest",
    "start_date": "Start date",
    "end_date": "End date",
    "private": "Keep the description private",
}
DONE = {"added": "Your interest has been added.", "ended": "The interest has been ended."}


def _form_context() -> dict[str, object]:
    return {
        "today": clock.today(),
        "categories": [(c.value, CATEGORY_WORDS[c.value]) for c in InterestCategory],
        "holders": [(h.value, HOLDER_WORDS[h.value]) for h in Holder],
        "category_words": CATEGORY_WORDS,
        "holder_words": HOLDER_WORDS,
    }


async def _list_context(session: AsyncSession, actor: Actor) -> dict[str, object]:
    """My interests: open ones first, then those ended."""
    rows, _ = await service.list_interests(
        session, actor, service.InterestFilter(person_id=actor.id), PageParams(limit=200)
    )
    return {
        "title": "My interests",
        "open_interests": [i for i in rows if i.end_date is None],
        "ended_interests": [i for i in rows if i.end_date is not None],
        **_form_context(),
    }


@router.get("/interests", response_class=HTMLResponse)
async def my_interests(
    actor: InterestsDeclarant,
    request: Request,
    session: Session,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The interests I have declared: open ones first, then those ended."""
    context = await _list_context(session, actor)
    return await pages.page(request, session, actor, LIST, notice=DONE.get(done or ""), **context)


@router.get("/interests/new", response_class=HTMLResponse)
async def new_interest(actor: InterestsDeclarant, request: Request, session: Session) -> HTMLResponse:
    """The form to declare an interest: mine, or my family's or close associates'."""
    return await pages.page(
        request, session, actor, FORM, title="Add an interest", values={"holder": "self"}, **_form_context()
    )


@router.post("/interests/new")
async def add_interest(actor: InterestsDeclarant, request: Request, session: Session) -> Response:
    """Declares the interest through the same service as the API; a refusal shows the form again."""
    values = forms.text_values(await forms.form_values(request))
    async with forms.refused_as(
        request, session, actor, FORM, values=values, labels=LABELS, context=_form_context,
        title="Add an interest",
    ):  # fmt: skip
        data = forms.parse(
            InterestCreate,
            {**forms.typed(values, booleans=("financial", "direct", "private")), "person_id": None},
        )
        await service.create(session, actor, data)
    return pages.see_other("/interests", done="added")


@router.post("/interests/{interest_id}/end")
async def end_interest(
    actor: InterestsDeclarant, request: Request, session: Session, interest_id: uuid.UUID
) -> Response:
    """Ends the interest today, or on the day given (never deleted: the register keeps its history)."""
    values = forms.text_values(await forms.form_values(request))
    async with forms.refused_as(
        request, session, actor, LIST, values=values, labels=LABELS, at_top=True, notice=None,
        context=lambda: _list_context(session, actor),
    ):  # fmt: skip
        ending = forms.parse(InterestEnd, forms.typed(values))
        await service.end(session, actor, interest_id, ending.end_date)
    return pages.see_other("/interests", done="ended")
