"""The governance clerk's pages for declaration cycles: the cycles with how many have declared, opening
one, and who in a cycle has declared and who is outstanding or overdue (auditors read these too)."""

import uuid
from collections import Counter
from typing import Annotated, Any

from fastapi import Query, Request
from starlette.responses import HTMLResponse, Response

from app.auth.dependencies import CycleStatusReader, CyclesWriter
from app.auth.permissions import Permission
from app.core.deps import Session
from app.core.schemas import PageParams
from app.declarations import service
from app.declarations.schemas import CycleCreate, DeclarationState
from app.people.governance import GovernanceRole
from app.people.page_parts import GOVERNANCE_WORDS
from app.web import forms, pages

router = pages.page_router()

LIST, FORM, STATUS = "cycles/list.html", "cycles/new.html", "cycles/status.html"
PER_PAGE = 50
LABELS = {
    "name": "Name of the cycle",
    "opens_on": "Opens on",
    "due_on": "Declarations due by",
    "governance_roles": "Who must declare",
}
# What to say when a field needed is left empty (the schema's own words are for programmers).
MISSING = {
    "name": "Enter a name for the cycle, for example 2026 to 2027",
    "due_on": "Enter the date declarations are due by",
    "governance_roles": "Tick at least one governance role",
}
DONE = {"opened": "The cycle is open. Everyone in it will be told by email, and reminded as the date nears."}


def _counts(items: list[Any]) -> dict[DeclarationState, int]:
    """How many have declared, are outstanding and are overdue (as `service.counts` counts them)."""
    found = Counter(item.status for item in items)
    return {state: found[state] for state in DeclarationState}


@router.get("/cycles", response_class=HTMLResponse)
async def cycles(
    actor: CycleStatusReader,
    request: Request,
    session: Session,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """The declaration cycles, newest first, each with who has declared and who has not."""
    found, total = await service.list_cycles(
        session, PageParams(limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    )
    counts = await service.counts(session, found)
    return await pages.page(
        request,
        session,
        actor,
        LIST,
        title="Declaration cycles",
        cycles=found,
        counts=counts,
        governance_words=GOVERNANCE_WORDS,
        may_open=actor.has(Permission.CYCLES_WRITE),
        previous_page=f"/cycles?page={page - 1}" if page > 1 else None,
        next_page=f"/cycles?page={page + 1}" if page * PER_PAGE < total else None,
    )


def _form_context() -> dict[str, Any]:
    return {
        "title": "Open a declaration cycle",
        "labels": LABELS,
        "governance_choices": [(g.value, GOVERNANCE_WORDS[g.value]) for g in GovernanceRole],
        "chosen": [],
    }


@router.get("/cycles/new", response_class=HTMLResponse)
async def new_cycle(actor: CyclesWriter, request: Request, session: Session) -> HTMLResponse:
    """The form to open a cycle: its name, its due date and the governance roles that must declare."""
    return await pages.page(request, session, actor, FORM, **_form_context())


@router.post("/cycles/new")
async def open_cycle(actor: CyclesWriter, request: Request, session: Session) -> Response:
    """Opens the cycle through the API's service: everyone in scope is told by email."""
    form = await forms.form_values(request)
    values = forms.text_values(form)
    chosen = [str(role) for role in form.getlist("governance_roles")]
    fields = {name: value for name, value in values.items() if name != "governance_roles"}
    async with forms.refused_as(
        request, session, actor, FORM, values=values, missing=MISSING,
        context=lambda: {**_form_context(), "chosen": chosen},
    ):  # fmt: skip
        data = forms.parse(CycleCreate, {**forms.typed(fields), "governance_roles": chosen})
        cycle = await service.open_cycle(session, actor, data)
    return pages.see_other(f"/cycles/{cycle.id}", done="opened")


@router.get("/cycles/{cycle_id}", response_class=HTMLResponse)
async def cycle_status(
    actor: CycleStatusReader,
    request: Request,
    session: Session,
    cycle_id: uuid.UUID,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """Who in the cycle has declared, and who is outstanding or overdue (to chase them)."""
    cycle = await service.get_cycle(session, cycle_id)
    items = await service.status(session, cycle_id, None)
    return await pages.page(
        request,
        session,
        actor,
        STATUS,
        title=cycle.name,
        cycle=cycle,
        counts=_counts(items),
        waiting=[item for item in items if item.status is not DeclarationState.SUBMITTED],
        declared=[item for item in items if item.status is DeclarationState.SUBMITTED],
        governance_words=GOVERNANCE_WORDS,
        notice=DONE.get(done or ""),
    )
