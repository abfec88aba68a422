"""The annual declaration, in the web interface: the cycles I must declare in, the declarations I have
made, and the form that confirms my interests and accepts the code of conduct."""

import uuid
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, Response

from app.auth.actor import Actor
from app.auth.dependencies import DeclarationsSubmitter
from app.core import clock
from app.core.deps import Session
from app.core.errors import DomainError, Unprocessable
from app.core.schemas import PageParams
from app.declarations import service
from app.declarations.models import DeclarationCycle
from app.declarations.schemas import DeclarationCreate, DeclarationRead
from app.interests import service as interests_service
from app.interests.schemas import InterestSnapshot
from app.interests.words import CATEGORY_WORDS, HOLDER_WORDS
from app.web import forms, pages

router = pages.page_router()

LIST = "declarations/list.html"
FORM = "declarations/form.html"
# The Seven Principles of Public Life, in the words of the trust's code of conduct (as first set
# out by Lord Nolan in 1995): shown in full, since accepting them is what the declaration records.
PRINCIPLES = (
    (
        "Selflessness",
        "Holders of public office should take decisions solely in terms of the public interest. They "
        "should not do so in order to gain financial or other material benefits for themselves, their "
        "families or their friends.",
    ),
    (
        "Integrity",
        "Holders of public office should not place themselves under any financial or other obligation "
        "to outside individuals or organisations that may influence them in the performance of their "
        "official duties.",
    ),
    (
        "Objectivity",
        "In carrying out public business, including making public appointments, awarding contracts, "
        "or recommending individuals for rewards and benefits, holders of public office should make "
        "choices on merit.",
    ),
    (
        "Accountability",
        "Holders of public office are accountable for their decisions and actions to the public and "
        "must submit themselves to whatever scrutiny is appropriate to their office.",
    ),
    (
        "Openness",
        "Holders of public office should be as open as possible about all their decisions and the "
        "actions that they take. They should give reasons for their decisions and restrict "
        "information only when the wider public interest clearly demands.",
    ),
    (
        "Honesty",
        "Holders of public office have a duty to declare any private interests relating to their "
        "public duties and to take steps to resolve any conflicts arising in a way that protects the "
        "public interest.",
    ),
    (
        "Leadership",
        "Holders of public office should promote and support these principles by leadership and example.",
    ),
)
# The acceptance's and the nil return's messages name what they are about: they need no label.
LABELS = {"ended_interests": "Your interests"}
ROLE_WORDS = {
    "member": "members",
    "trustee": "trustees",
    "local_governor": "local governors",
    "accounting_officer": "the accounting officer",
    "staff": "staff",
}
DONE = {"submitted": "Your declaration has been submitted. Thank you."}
KEEP, END = "keep", "end"
INTEREST_FIELD = "interest-"  # a radio per open interest: "interest-<id>" is KEEP or END


def scope_words(cycle: DeclarationCycle) -> str:
    """Whom the cycle is for: "trustees and members"."""
    words = [ROLE_WORDS.get(role, role) for role in cycle.governance_roles]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


@router.get("/declarations", response_class=HTMLResponse)
async def my_declarations(
    actor: DeclarationsSubmitter,
    request: Request,
    session: Session,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The declarations I must make, soonest due first (overdue said plainly), then those I made."""
    due = await service.due_from(session, actor.id)
    found, _ = await service.list_declarations(
        session, actor, service.DeclarationFilter(person_id=actor.id), PageParams(limit=200)
    )
    made = [DeclarationRead.model_validate(d) for d in found]
    cycles = {d.cycle_id: await service.get_cycle(session, d.cycle_id) for d in made}
    # Late by the trust's calendar, as a cycle's overdue is (not UTC's).
    late = {
        d.id for d in made if d.submitted_at.astimezone(clock.trust_zone()).date() > cycles[d.cycle_id].due_on
    }
    return await pages.page(
        request,
        session,
        actor,
        LIST,
        title="Annual declaration",
        due=due,
        made=made,
        cycles=cycles,
        late=late,
        today=clock.today(),
        notice=DONE.get(done or ""),
    )


async def _made_in(session: AsyncSession, actor: Actor, cycle: DeclarationCycle) -> DeclarationRead | None:
    """My declaration in the cycle, as the API shows it (its interests as they stood), if I made it."""
    found, _ = await service.list_declarations(
        session, actor, service.DeclarationFilter(cycle_id=cycle.id, person_id=actor.id), PageParams(limit=1)
    )
    return DeclarationRead.model_validate(found[0]) if found else None


async def _standing(
    session: AsyncSession, actor: Actor, cycle: DeclarationCycle, made: DeclarationRead | None
) -> str:
    """Where I stand in the cycle: "declared", "due", "not_open" (opens later) or "not_in_scope"."""
    if made is not None:
        return "declared"
    if any(due.id == cycle.id for due in await service.due_from(session, actor.id)):
        return "due"
    return "not_open" if cycle.opens_on > clock.today() else "not_in_scope"


async def _form_context(session: AsyncSession, actor: Actor, cycle: DeclarationCycle) -> dict[str, Any]:
    """The cycle, where I stand in it, and my interests open today (those the declaration confirms)."""
    made = await _made_in(session, actor, cycle)
    return {
        "title": f"Annual declaration: {cycle.name}",
        "cycle": cycle,
        "standing": await _standing(session, actor, cycle, made),
        "declaration": made,
        # Frozen copies: a refused submission may have ended some of the live rows before it was
        # refused (and rolled back); the form shown again must say what the register still holds.
        "interests": [
            InterestSnapshot.model_validate(interest)
            for interest in await interests_service.open_interests(session, actor.id, clock.today())
        ],
        "scope": scope_words(cycle),
        "today": clock.today(),
        "principles": PRINCIPLES,
        "category_words": CATEGORY_WORDS,
        "holder_words": HOLDER_WORDS,
        "choices": [(KEEP, "I still hold it"), (END, "It has ended: end it on the register today")],
    }


@router.get("/declarations/{cycle_id}", response_class=HTMLResponse)
async def declaration_form(
    actor: DeclarationsSubmitter, request: Request, session: Session, cycle_id: uuid.UUID
) -> HTMLResponse:
    """The declaration for a cycle: the Seven Principles, my open interests to confirm or end, and
    the acceptance; or that it is made, or not mine to make."""
    context = await _form_context(session, actor, await service.get_cycle(session, cycle_id))
    kept = {f"{INTEREST_FIELD}{interest.id}": KEEP for interest in context["interests"]}
    return await pages.page(request, session, actor, FORM, values=kept, **context)


def _declaration(cycle_id: uuid.UUID, values: dict[str, str]) -> dict[str, Any]:
    """The form as the API's body: unticked boxes are False (so the service says what is missing),
    and each interest marked ended is ended today."""
    ended = [
        {"interest_id": name.removeprefix(INTEREST_FIELD)}
        for name, value in values.items()
        if name.startswith(INTEREST_FIELD) and value == END
    ]
    return {
        "cycle_id": cycle_id,
        "nil_return": values.get("nil_return") == "true",
        "code_of_conduct_accepted": values.get("code_of_conduct_accepted") == "true",
        "ended_interests": ended,
    }


@router.post("/declarations/{cycle_id}")
async def submit_declaration(
    actor: DeclarationsSubmitter, request: Request, session: Session, cycle_id: uuid.UUID
) -> Response:
    """Submits through the same service as the API; a refusal shows the form again, choices kept."""
    values = forms.text_values(await forms.form_values(request))
    cycle = await service.get_cycle(session, cycle_id)
    # Read before submitting: a refused submission may have ended some already (rolled back after).
    context = await _form_context(session, actor, cycle)
    async with forms.refused_as(
        request, session, actor, FORM, values=values, labels=LABELS, context={**context, "standing": "due"},
        reword=lambda error: _in_words(error, cycle),
    ):  # fmt: skip
        await service.submit(session, actor, forms.parse(DeclarationCreate, _declaration(cycle_id, values)))
    return pages.see_other("/declarations", done="submitted")


def _in_words(error: ValidationError | DomainError, cycle: DeclarationCycle) -> ValidationError | DomainError:
    """The scope refusal names roles as the API spells them; the page says whom the cycle is for."""
    if isinstance(error, Unprocessable) and any("cycle_id" in e.get("loc", ()) for e in error.errors or ()):
        return Unprocessable(
            f"This declaration is for {scope_words(cycle)}. You do not hold such an appointment now, "
            "so you have nothing to declare in it."
        )
    return error
