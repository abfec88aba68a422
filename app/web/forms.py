"""Forms of the web interface: read, typed as the services' input schemas read them, and shown again
with what to put right when refused.

A refused form is raised as `FormRejected`, never returned: raising rolls the request's transaction
back, so a service that wrote before refusing leaves nothing behind, and the page shown again keeps
everything the person typed.
"""

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from app.auth import cookies
from app.auth.actor import Actor
from app.core.db import Transactions
from app.core.errors import DomainError
from app.web.pages import render, trust_name

M = TypeVar("M", bound=BaseModel)
Refusal = ValidationError | DomainError
Shown = Mapping[str, Any]


class FormRejected(Exception):
    """A form refused: the page shown again, with the person's input and what to put right."""

    def __init__(self, response: Response) -> None:
        super().__init__("form rejected")
        self.response = response


async def form_values(request: Request) -> FormData:
    return await request.form()


def text_values(form: FormData) -> dict[str, str]:
    """What was typed, to show again: text fields only (never a file, never the form token)."""
    return {
        name: value
        for name, value in form.items()
        if isinstance(value, str) and name != cookies.CSRF_FIELD and "password" not in name
    }


def uploaded(form: FormData, name: str) -> UploadFile | None:
    value = form.get(name)
    return value if isinstance(value, UploadFile) else None


_PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


def typed(
    values: Mapping[str, str], *, booleans: Sequence[str] = (), amounts: Sequence[str] = ()
) -> dict[str, Any]:
    """A form's text as an input schema reads it: a field left empty is not given, the named yes/no
    fields ("true", "false") are booleans (the schemas are strict: "yes" is not True), and the named
    sums of money are read as people type them ("£1,200.50" is "1200.50")."""
    data: dict[str, Any] = {}
    for name, value in values.items():
        value = value.strip()
        if name in amounts:
            value = value.removeprefix("£").replace(",", "").strip()
        if not value:
            continue
        data[name] = {"true": True, "false": False}.get(value, value) if name in booleans else value
    return data


def _plain(message: str, labels: Mapping[str, str]) -> str:
    """A service's message with its field names (`holder_name`) as the form's labels call them.
    Only names that cannot be ordinary words (they hold an underscore) are replaced: "attended" in
    a sentence stays a word."""
    for name, words in labels.items():
        if "_" not in name:
            continue
        message = re.sub(rf"\b{re.escape(name)}\b", words.lower(), message, flags=re.IGNORECASE)
    return message[:1].upper() + message[1:]


def field_errors(
    error: ValidationError | DomainError, labels: Mapping[str, str] | None = None
) -> dict[str, str]:
    """What to put right, by form field ("" for the form as a whole), in words a person reads."""
    found = _field_errors(error)
    return {name: _plain(message, labels or {}) for name, message in found.items()}


def _field_errors(error: ValidationError | DomainError) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(error, ValidationError):
        for detail in error.errors(include_url=False, include_input=False):
            name = str(detail["loc"][0]) if detail["loc"] else ""
            message = str(detail["msg"])
            for prefix in _PYDANTIC_PREFIXES:
                message = message.removeprefix(prefix)
            found.setdefault(name, message[:1].upper() + message[1:])
        return found
    for item in error.errors or ():
        loc = [str(part) for part in item.get("loc", ()) if part != "body"]
        found.setdefault(loc[0] if loc else "", str(item.get("msg", error.detail)))
    if not found:  # a refusal about a field is shown there (and in the summary), not twice
        found[""] = error.detail
    return found


def parse(model: type[M], data: Mapping[str, Any]) -> M:
    """A form's fields into the service's input schema; a ValidationError says what to put right."""
    return model.model_validate(data)


def rejected(
    request: Request,
    template: str,
    error: ValidationError | DomainError,
    *,
    actor: Actor,
    trust: str,
    values: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    # Any, not Mapping[str, str] | None: pages splat their context (a dict[str, object]) beside it.
    missing: Any = None,
    at_top: Any = False,  # a bool (Any for the same reason as `missing`)
    **context: Any,
) -> FormRejected:
    """The form again, its input kept, each problem beside its field; 422 unless the service said.
    `missing` says, by field, what to ask for when a field the form needs was left empty ("Choose
    whether you accepted it" rather than the schema's "Field required"). `at_top`: the page has no
    such fields (a button in a list), so every problem is said once, at the top."""
    status = error.status if isinstance(error, DomainError) else 422
    headers = error.headers if isinstance(error, DomainError) else None
    errors = field_errors(error, labels)
    errors.update(
        {name: words for name, words in (missing or {}).items() if name in errors and not values.get(name)}
    )
    if at_top:
        errors = {"": " ".join(dict.fromkeys(errors.values()))}
    response = render(
        request,
        template,
        actor=actor,
        trust=trust,
        status=status,
        headers=headers,
        errors=errors,
        values=dict(values),
        labels=dict(labels or {}),
        **context,
    )
    return FormRejected(response)


@asynccontextmanager
async def refused_as(
    request: Request,
    session: AsyncSession | Transactions,
    actor: Actor,
    template: str,
    *,
    values: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    missing: Mapping[str, str] | None = None,
    at_top: bool = False,
    context: Shown | Callable[[], Shown | Awaitable[Shown]] | None = None,
    reword: Callable[[Refusal], Refusal] | None = None,
    **shown: Any,
) -> AsyncIterator[None]:
    """A form's work, refused as `rejected` says: the template again with `values`, each problem
    beside its field (`labels`, `missing`, `at_top` as `rejected` reads them). A 403 or 404 is not
    the form's to answer: it goes on as it is, to an error page (a record the person may not see or
    act on). `context` is what the template needs beside `shown`, read only when refused (it may
    read the database: a callable, async or not, or a dict already made); `reword` puts a service's
    refusal in the page's words. `session` may be the request's Transactions: the trust's name is
    then read in a read transaction of its own."""
    try:
        yield
    except (ValidationError, DomainError) as error:
        if isinstance(error, DomainError) and error.status in (403, 404):
            raise
        found = context() if callable(context) else context
        extra = found if found is None or isinstance(found, Mapping) else await found
        details = {"labels": labels, "missing": missing, "at_top": at_top, **(extra or {}), **shown}
        refusal = reword(error) if reword else error
        trust = await trust_name(session)
        raise rejected(
            request, template, refusal, actor=actor, trust=trust, values=values, **details
        ) from None
