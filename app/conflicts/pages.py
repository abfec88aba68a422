"""Conflict checks and related party transactions, in the web interface: the check form, its result
with the resolution form, the history of checks, and the related party transactions.

The same services as the API (app/conflicts/router.py): a check searches in a read transaction and
stores in a short write one (checks.create_check), a resolution is checks.resolve after
checks.check_to_resolve, the lists are list_checks and list_rpts.
"""

import uuid
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import HTMLResponse, Response

from app.auth.actor import Actor
from app.auth.dependencies import ConflictChecker, ConflictReader, RptReader
from app.auth.permissions import Permission
from app.conflicts import checks, related_parties
from app.conflicts.models import ConflictCheck
from app.conflicts.schemas import CheckContext, ConflictCheckCreate, Outcome, ResolutionCreate
from app.core.deps import Session, Transactions
from app.core.errors import DomainError, Forbidden
from app.core.schemas import PageParams
from app.interests.words import CATEGORY_WORDS, WHOSE
from app.people import service as people_service
from app.web import forms, pages

router = pages.page_router()

HISTORY = "conflicts/checks.html"
FORM = "conflicts/new.html"
RESULT = "conflicts/result.html"
RPTS = "conflicts/related_parties.html"
SHOWN = 100  # the newest; the API and its CSV give auditors every one
CONTEXT_WORDS = {
    "contract_award": "Awarding a contract",
    "meeting": "A meeting",
    "recruitment": "Recruitment",
    "other": "Something else",
}
OUTCOME_WORDS = {
    "open": "Not resolved yet",
    "no_conflict": "No conflict",
    "conflict_managed": "Conflict managed",
    "related_party_transaction": "Related party transaction",
}
OUTCOME_TAGS = {
    "open": "wait",
    "no_conflict": "good",
    "conflict_managed": "wait",
    "related_party_transaction": "bad",
}
RESOLUTIONS = [
    ("no_conflict", "No conflict: say why, if the check found anyone"),
    ("conflict_managed", "A conflict, managed: say how (for example, they take no part in the decision)"),
    (
        "related_party_transaction",
        "A related party transaction: it goes on the list for the DfE and the accounts",
    ),
]
REASON_WORDS = {
    "company_number": "Same company number",
    "exact_name": "Same name",
    "similar_name": "Similar name",
}
DFE_WORDS = {
    "not_required": "Not needed",
    "awaiting": "Waiting for the DfE",
    "approved": "Approved by the DfE",
    "refused": "Refused by the DfE",
}
LABELS = {
    "counterparty_name": "Supplier or other party",
    "company_number": "Company number",
    "context": "What the check is for",
    "reference": "Reference",
    "value_gbp": "Value",
    "as_of": "Interests held on",
    "outcome": "Outcome",
    "note": "Note",
    "interest_id": "Which match",
    "person_id": "Which person",
}
# The schema's values named in its messages, as the form says them ("conflict_managed needs a note").
_VALUE_WORDS = {value: words for value, words in OUTCOME_WORDS.items() if value != "open"}
DONE = {
    "checked": "The check is done and kept as evidence.",
    "resolved": "The check is resolved.",
    "rpt": "The check is resolved as a related party transaction, now on the list of them.",
}


def _words() -> dict[str, Any]:
    return {
        "context_words": CONTEXT_WORDS,
        "outcome_words": OUTCOME_WORDS,
        "outcome_tags": OUTCOME_TAGS,
        "reason_words": REASON_WORDS,
        "category_words": CATEGORY_WORDS,
        "whose": WHOSE,
        "dfe_words": DFE_WORDS,
    }


@router.get("/conflict-checks", response_class=HTMLResponse)
async def check_history(
    actor: ConflictReader,
    request: Request,
    session: Session,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The checks made, newest first: what was checked, by whom, what it found and how it ended."""
    found, total = await checks.list_checks(session, checks.CheckFilter(), PageParams(limit=SHOWN))
    views = await checks.views(session, found)
    names = await people_service.names_of(session, {v.checked_by for v in views})
    return await pages.page(
        request, session, actor, HISTORY, title="Conflict checks", checks=views, total=total, names=names,
        may_check=actor.has(Permission.CONFLICTS_CHECK), notice=DONE.get(done or ""), **_words(),
    )  # fmt: skip


def _form_context() -> dict[str, Any]:
    return {"contexts": [(c.value, CONTEXT_WORDS[c.value]) for c in CheckContext]}


@router.get("/conflict-checks/new", response_class=HTMLResponse)
async def new_check(actor: ConflictChecker, request: Request, session: Session) -> HTMLResponse:
    """The form to check who has an interest in a supplier or other party."""
    return await pages.page(
        request, session, actor, FORM, title="Check for conflicts of interest",
        values={"context": CheckContext.CONTRACT_AWARD.value}, labels=LABELS, **_form_context(),
    )  # fmt: skip


@router.post("/conflict-checks/new")
async def run_check(actor: ConflictChecker, request: Request, transactions: Transactions) -> Response:
    """Runs the check as the API does (the search in a read transaction, then a short write that keeps
    it as evidence) and shows its result; a refusal shows the form again."""
    values = forms.text_values(await forms.form_values(request))
    async with forms.refused_as(
        request, transactions, actor, FORM, values=values, labels=LABELS, context=_form_context,
        title="Check for conflicts of interest",
    ):  # fmt: skip
        data = forms.parse(ConflictCheckCreate, forms.typed(values, amounts=("value_gbp",)))
        made = await checks.create_check(transactions, actor, data)
    return pages.see_other(f"/conflict-checks/{made.id}", done="checked")


async def _may_resolve(session: AsyncSession, actor: Actor, check: ConflictCheck) -> tuple[bool, str | None]:
    """Whether to offer the resolution form, and if not for the policy's reason, that reason (the
    same question the resolution asks: checks.check_to_resolve)."""
    if check.outcome != Outcome.OPEN.value or not actor.has(Permission.CONFLICTS_CHECK):
        return False, None
    try:
        await checks.check_to_resolve(session, actor, check.id)
    except Forbidden as refusal:
        return False, refusal.detail
    return True, None


async def _result(
    request: Request, session: AsyncSession, actor: Actor, check: ConflictCheck, **context: Any
) -> HTMLResponse:
    """The check as found, with its resolution or the form to resolve it."""
    (view,) = await checks.views(session, [check])
    people = {view.checked_by} | ({view.resolved_by} if view.resolved_by else set())
    names = await people_service.names_of(session, people)
    may_resolve, why_not = await _may_resolve(session, actor, check)
    matches = [
        (str(m.interest_id), f"{m.person_name}: {m.organisation_name or CATEGORY_WORDS.get(m.category, '')}")
        for m in view.matches
    ]
    context = {"notice": None, "values": {}, "match_choices": matches, **context}
    return await pages.page(
        request, session, actor, RESULT, title=f"Conflict check: {view.counterparty_name}", check=view,
        names=names, may_resolve=may_resolve, why_not=why_not, resolutions=RESOLUTIONS, labels=LABELS,
        **_words(), **context,
    )  # fmt: skip


@router.get("/conflict-checks/{check_id}", response_class=HTMLResponse)
async def check_result(
    actor: ConflictReader,
    request: Request,
    session: Session,
    check_id: uuid.UUID,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """What the check found: everyone with a matching interest, and how the check was resolved."""
    check = await checks.get_check(session, check_id)
    return await _result(request, session, actor, check, notice=DONE.get(done or ""))


def _resolution_errors(error: ValidationError | DomainError) -> dict[str, str]:
    """The schema's own refusal (a managed conflict without a note) is about the note."""
    found = forms.field_errors(error, {**LABELS, **_VALUE_WORDS})
    if isinstance(error, ValidationError) and "" in found:
        found["note"] = found.pop("")
    return found


@router.post("/conflict-checks/{check_id}/resolution")
async def resolve_check(
    actor: ConflictChecker, request: Request, session: Session, check_id: uuid.UUID
) -> Response:
    """Resolves the check once, as the API does: nobody resolves a check that found their own
    interest (403, saying why); a refusal shows the result and its form again."""
    values = forms.text_values(await forms.form_values(request))
    check = await checks.check_to_resolve(session, actor, check_id)
    try:
        data = forms.parse(ResolutionCreate, forms.typed(values))
        opened = await checks.resolve(session, actor, check, data)
    except (ValidationError, DomainError) as error:
        if isinstance(error, DomainError) and error.status in (403, 404):
            raise
        status = error.status if isinstance(error, DomainError) else 422
        page = await _result(
            request, session, actor, check, status=status, errors=_resolution_errors(error), values=values
        )
        raise forms.FormRejected(page) from None
    return pages.see_other(f"/conflict-checks/{check_id}", done="rpt" if opened else "resolved")


@router.get("/related-party-transactions", response_class=HTMLResponse)
async def related_party_transactions(actor: RptReader, request: Request, session: Session) -> HTMLResponse:
    """Related party transactions, newest first: with whom, the related person and their interest,
    and whether the DfE must approve it first."""
    found, total = await related_parties.list_rpts(
        session, related_parties.RptFilter(), PageParams(limit=SHOWN)
    )
    names = await people_service.names_of(session, {r.person_id for r in found})
    held = await related_parties.interests_of(session, {r.interest_id for r in found})
    rows = [(related_parties.rpt_view(r), held.get(r.interest_id)) for r in found]
    return await pages.page(
        request, session, actor, RPTS, title="Related party transactions", rows=rows, total=total,
        names=names, **_words(),
    )  # fmt: skip
