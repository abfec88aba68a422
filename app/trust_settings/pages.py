"""The trust's settings in the web interface: its name and the policy values the clerk keeps, changed
through the same service as PATCH /api/v1/settings (every change audited)."""

import contextlib
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import ValidationError
from starlette.responses import HTMLResponse, Response

from app.auth.dependencies import SettingsWriter
from app.core.deps import Session
from app.core.errors import DomainError
from app.trust_settings import service
from app.trust_settings.schemas import TrustSettingsUpdate
from app.web import forms, pages

router = pages.page_router()

FORM = "settings/form.html"
FIELDS = ("trust_name", "gift_token_limit_gbp", "conflict_similarity_threshold", "rpt_approval_threshold_gbp")
LABELS = {
    "trust_name": "The trust's name",
    "gift_token_limit_gbp": "Gift limit, in pounds",
    "conflict_similarity_threshold": "How alike two organisation names must be to match",
    "rpt_approval_threshold_gbp": "Related party transactions: the DfE's approval needed above, in pounds",
}
# What to say when a field is left empty (the schema's own words are for programmers).
MISSING = {
    "trust_name": "Enter the trust's name",
    "gift_token_limit_gbp": "Enter the gift limit, for example 50.00",
    "conflict_similarity_threshold": "Enter a number between 0 and 1, for example 0.85",
    "rpt_approval_threshold_gbp": "Enter the amount, for example 40000.00",
}
DONE = {"saved": "The settings have been saved."}


def _shown(values: dict[str, Any]) -> dict[str, str]:
    return {name: str(values[name]) for name in FIELDS}


def _typed(values: dict[str, str]) -> dict[str, Any]:
    """The form's text as the schema reads it, every field given (an empty one is refused, never
    taken as "no change"): sums of money as people type them, the threshold a number (the schema
    takes no text for it; what is not a number stays text, so that the schema refuses it)."""
    given = {name: values.get(name, "") for name in FIELDS}
    data: dict[str, Any] = {name: "" for name in FIELDS}
    data.update(forms.typed(given, amounts=("gift_token_limit_gbp", "rpt_approval_threshold_gbp")))
    with contextlib.suppress(ValueError):
        data["conflict_similarity_threshold"] = float(data["conflict_similarity_threshold"])
    return data


@router.get("/settings", response_class=HTMLResponse)
async def settings(
    actor: SettingsWriter,
    request: Request,
    session: Session,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    """The trust's name and its policy values, each explained, in a form to change them."""
    current = service.view(await service.current(session)).model_dump()
    return await pages.page(
        request,
        session,
        actor,
        FORM,
        title="Settings",
        values=_shown(current),
        labels=LABELS,
        notice=DONE.get(done or ""),
    )


@router.post("/settings")
async def save_settings(actor: SettingsWriter, request: Request, session: Session) -> Response:
    """Saves what changed; every change is audited."""
    values = forms.text_values(await forms.form_values(request))
    typed = _typed(values)
    try:
        data = forms.parse(TrustSettingsUpdate, typed)
        await service.update(session, actor, data)
    except (ValidationError, DomainError) as error:
        errors = forms.field_errors(error, LABELS)
        # Nothing usable typed: say what to type (for the threshold, "Input should be a valid number"
        # says less than "Enter a number between 0 and 1").
        unusable = {name for name in FIELDS if typed[name] == ""}
        if isinstance(typed["conflict_similarity_threshold"], str):
            unusable.add("conflict_similarity_threshold")
        errors.update({name: MISSING[name] for name in errors if name in unusable})
        response = pages.render(
            request,
            FORM,
            actor=actor,
            trust=await pages.trust_name(session),
            status=error.status if isinstance(error, DomainError) else 422,
            errors=errors,
            values=values,
            labels=LABELS,
            title="Settings",
            notice=None,
        )
        raise forms.FormRejected(response) from None
    return pages.see_other("/settings", done="saved")
