"""The governance clerk's pages for people: the list, adding someone, one person with their
appointments, changing their details, deactivating and reactivating; the CSV import checked before
it is applied is in app/people/import_pages.py, included here.

They are the clerk's (PeopleWriter, PeopleImporter): the API's list answers every signed-in person
(a declarant sees only themselves there), but these pages exist to keep the register's people.
"""

import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Query, Request
from pydantic import ValidationError
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, Response

from app.auth.actor import Actor
from app.auth.dependencies import PeopleWriter
from app.auth.permissions import Role
from app.core import clock
from app.core.deps import Session
from app.core.errors import DomainError, NotFound
from app.core.schemas import PageParams
from app.people import import_pages, service
from app.people import schools as schools_service
from app.people.governance import GovernanceRole
from app.people.models import Appointment
from app.people.schemas import (
    AppointmentCreate,
    AppointmentUpdate,
    PersonCreate,
    PersonRead,
    PersonUpdate,
)
from app.web import pages

router = pages.page_router()

LIST, FORM, PERSON, EDIT = "people/list.html", "people/new.html", "people/person.html", "people/edit.html"
PER_PAGE = 50
ROLE_WORDS = {
    "ceo": "Chief Executive",
    "coo": "Chief Operating Officer",
    "chair": "Chair of Trustees",
    "vice_chair": "Vice Chair of Trustees",
    "finance_director": "Director of Finance and Governance",
    "hr_director": "HR Director",
    "headteacher": "Headteacher",
    "governance_admin": "Governance clerk",
    "auditor": "Auditor",
}
# What ticking a role lets the person do, beside its checkbox.
ROLE_HINTS = {
    "ceo": "decides hospitality, runs conflict checks",
    "coo": "decides hospitality, reviews paid work, runs conflict checks",
    "chair": "decides the Chief Executive's requests, runs conflict checks",
    "vice_chair": "decides when the Chair cannot",
    "finance_director": "decides gifts, runs conflict checks, keeps related party transactions",
    "hr_director": "decides gifts",
    "headteacher": "reviews the paid work of their school's staff, sees their school's people",
    "governance_admin": "keeps the register, the people and the settings",
    "auditor": "reads everything, changes nothing",
}
GOVERNANCE_WORDS = {
    "member": "Member",
    "trustee": "Trustee",
    "local_governor": "Local governor",
    "accounting_officer": "Accounting officer",
    "staff": "Staff",
}
# The form's words for the schemas' fields, so that a refusal reads as the form does.
LABELS = {
    "email": "Email address",
    "full_name": "Full name",
    "job_title": "Job title",
    "school_id": "School",
    "roles": "Responsibilities",
    "governance_roles": "Governance roles",
    "password": "Password",
    "governance_role": "Governance role",
    "body": "Board or committee",
    "appointed_by": "Appointed by",
    "appointed_on": "Appointed on",
    "term_ends_on": "Term ends on",
    "stepped_down_on": "Stepped down on",
}
# Field names rewritten in the service's messages: not "email", an everyday word in them already
# ("an email address is a name, an @ and a domain").
IN_MESSAGES = {name: words for name, words in LABELS.items() if name != "email"}
DONE = {
    "added": "The person has been added.",
    "appointment-added": "The appointment has been added.",
    "appointment-ended": "The stepping down has been recorded.",
    "deactivated": "They can no longer sign in. Their records stay on the register.",
    "reactivated": "They can sign in again.",
    "password-set": "The new password is set. Tell them it in person, never by email.",
    "changed": "The details have been saved.",
}
MISSING = {"full_name": "Enter their full name", "email": "Enter their email address"}
SELF_DEACTIVATION = "You cannot deactivate yourself: another governance clerk must do it."
OWN_ROLES = "You cannot change your own responsibilities: another governance clerk must do it."


def _words() -> dict[str, Any]:
    return {"role_words": ROLE_WORDS, "governance_words": GOVERNANCE_WORDS}


async def _school_names(session: Session) -> dict[str, str]:
    """The trust's schools by id, in name order (a trust has tens of them, not thousands)."""
    found, _ = await schools_service.list_schools(session, PageParams(limit=200))
    return {str(school.id): school.name for school in found}


async def _form_context(session: Session) -> dict[str, Any]:
    schools = await _school_names(session)
    return {
        **_words(),
        "school_names": schools,
        "school_choices": list(schools.items()),
        "role_choices": [(r.value, ROLE_WORDS[r.value], ROLE_HINTS[r.value]) for r in Role],
        "governance_choices": [(g.value, GOVERNANCE_WORDS[g.value]) for g in GovernanceRole],
        "chosen": {"roles": [], "governance_roles": []},
    }


async def _refused(
    request: Request,
    session: Session,
    actor: Actor,
    template: str,
    errors: dict[str, str],
    *,
    status: int,
    **context: Any,
) -> pages.FormRejected:
    """The page again with these errors (raised, so the request's transaction rolls back)."""
    trust = await pages.trust_name(session)
    response = pages.render(
        request, template, actor=actor, trust=trust, status=status, errors=errors, **context
    )
    return pages.FormRejected(response)


def _status(error: ValidationError | DomainError) -> int:
    return error.status if isinstance(error, DomainError) else 422


@router.get("/people", response_class=HTMLResponse)
async def people(
    actor: PeopleWriter,
    request: Request,
    session: Session,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: Literal["", "active", "inactive"] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """Everyone on the register, 50 at a time, found by part of a name or an email address."""
    filters = service.PeopleFilter(active={"active": True, "inactive": False}.get(status), search=q)
    found, total = await service.list_people(
        session, actor, filters, PageParams(limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    )

    def link(to: int) -> str:
        return "/people?" + urlencode({k: v for k, v in (("q", q), ("status", status), ("page", to)) if v})

    return await pages.page(
        request,
        session,
        actor,
        LIST,
        title="People",
        people=found,
        total=total,
        first=(page - 1) * PER_PAGE + 1,
        previous_page=link(page - 1) if page > 1 else None,
        next_page=link(page + 1) if page * PER_PAGE < total else None,
        values={"q": q or "", "status": status},
        school_names=await _school_names(session),
        **_words(),
    )


@router.get("/people/new", response_class=HTMLResponse)
async def new_person(actor: PeopleWriter, request: Request, session: Session) -> HTMLResponse:
    """The form to add someone: their details, what they may do, and the governance roles they hold."""
    context = await _form_context(session)
    return await pages.page(request, session, actor, FORM, title="Add a person", **context)


def _chosen(form: FormData) -> dict[str, list[str]]:
    """The ticked boxes of the two groups (a form sends one field per ticked box)."""
    return {name: [str(v) for v in form.getlist(name)] for name in ("roles", "governance_roles")}


def _errors(error: ValidationError | DomainError, given: dict[str, str]) -> dict[str, str]:
    """The refusal in the form's words: an empty field needed, or an email someone already has."""
    errors = pages.field_errors(error, IN_MESSAGES)
    if isinstance(error, DomainError) and error.detail == service.EMAIL_TAKEN:
        errors = {"email": "Someone on the register already has this email address"}
    empty = [name for name in MISSING if name in errors and not given.get(name, "").strip()]
    errors.update({name: MISSING[name] for name in empty})
    return errors


@router.post("/people/new")
async def add_person(actor: PeopleWriter, request: Request, session: Session) -> Response:
    """Adds the person through the API's service; each governance role opens an appointment from today."""
    form = await pages.form_values(request)
    values, chosen = pages.text_values(form), _chosen(form)
    fields = {k: v for k, v in values.items() if k not in chosen}
    password = form.get("password")
    try:
        data = pages.parse(
            PersonCreate,
            {**pages.typed(fields), **chosen, **({"password": password} if password else {})},
        )
        created = await service.create_person(session, actor, data)
    except (ValidationError, DomainError) as error:
        context = {**await _form_context(session), "chosen": chosen, "labels": LABELS}
        context.update(title="Add a person", values=values)
        raise await _refused(
            request, session, actor, FORM, _errors(error, values), status=_status(error), **context
        ) from None
    return pages.see_other(f"/people/{created.id}", done="added")


# The import's pages, before /people/{person_id}: routes match in order, and that one would take
# "import" for a person's id (a 404). app/main.py includes only this router.
router.include_router(import_pages.router)


# ---------------------------------------------------------------- one person


async def _person_context(session: Session, actor: Actor, person_id: uuid.UUID) -> dict[str, Any]:
    person = await service.view(session, await service.get_person(session, actor, person_id))
    appointments, _ = await service.list_appointments(session, actor, person_id, PageParams(limit=200))
    return {
        **await _form_context(session),
        "title": person.full_name,
        "person": person,
        "appointments": appointments,
        "is_self": person.id == actor.id,
        "today": clock.today(),
        "labels": LABELS,
        "notice": None,
    }


@router.get("/people/{person_id}", response_class=HTMLResponse)
async def person_page(
    actor: PeopleWriter,
    request: Request,
    session: Session,
    person_id: uuid.UUID,
    done: Annotated[str | None, Query(max_length=30)] = None,
) -> HTMLResponse:
    """One person: their details, their appointments past and present, and what the clerk may change."""
    context = await _person_context(session, actor, person_id)
    return await pages.page(request, session, actor, PERSON, **{**context, "notice": DONE.get(done or "")})


# ---------------------------------------------------------------- changing their details

# The fields of the form, all sent: the API's PATCH changes only what it is given.
DETAILS = ("full_name", "email", "job_title", "school_id")


def _details(person: PersonRead) -> dict[str, str]:
    """The person's details as the form shows them."""
    return {
        "full_name": person.full_name,
        "email": person.email,
        "job_title": person.job_title or "",
        "school_id": str(person.school_id) if person.school_id else "",
    }


async def _edit_context(
    session: Session, actor: Actor, person: PersonRead, values: dict[str, str], roles: list[str]
) -> dict[str, Any]:
    context = await _form_context(session)
    return {
        **context,
        "title": f"Change details: {person.full_name}",
        "person": person,
        "is_self": person.id == actor.id,
        "labels": LABELS,
        "values": values,
        "chosen": {"roles": roles, "governance_roles": []},
    }


def _changes(values: dict[str, str], roles: list[str]) -> dict[str, Any]:
    """The form as the API's PATCH reads it. A job title or a school left empty is cleared (null);
    a name or an email address left empty is refused, as the API refuses them null; no box ticked
    leaves no responsibility. Governance roles are not here: appointments change on the person's page."""
    given = pages.typed({name: values.get(name, "") for name in DETAILS})
    return {
        "full_name": given.get("full_name", ""),
        "email": given.get("email", ""),
        "job_title": given.get("job_title"),
        "school_id": given.get("school_id"),
        "roles": roles,
    }


@router.get("/people/{person_id}/edit", response_class=HTMLResponse)
async def edit_person(
    actor: PeopleWriter, request: Request, session: Session, person_id: uuid.UUID
) -> HTMLResponse:
    """The form to change someone's name, email address, job title, school and responsibilities."""
    person = await service.view(session, await service.get_person(session, actor, person_id))
    context = await _edit_context(session, actor, person, _details(person), [r.value for r in person.roles])
    return await pages.page(request, session, actor, EDIT, **context)


@router.post("/people/{person_id}/edit")
async def change_person(
    actor: PeopleWriter, request: Request, session: Session, person_id: uuid.UUID
) -> Response:
    """Saves the details through the API's service (audited as person.updated): an email address
    someone else has is refused (409), and nobody changes their own responsibilities (403)."""
    form = await pages.form_values(request)
    values, roles = pages.text_values(form), _chosen(form)["roles"]
    # The details as stored, before the service changes the loaded person: a refused form names them.
    person = await service.view(session, await service.get_person(session, actor, person_id))
    try:
        data = pages.parse(PersonUpdate, _changes(values, roles))
        await service.update_person(session, actor, person_id, data)
    except (ValidationError, DomainError) as error:
        errors = _change_errors(error, values, own=person.id == actor.id)
        context = await _edit_context(session, actor, person, values, roles)
        raise await _refused(
            request, session, actor, EDIT, errors, status=_status(error), **context
        ) from None
    return pages.see_other(f"/people/{person_id}", done="changed")


def _change_errors(
    error: ValidationError | DomainError, values: dict[str, str], *, own: bool
) -> dict[str, str]:
    """Beside each field; the service's 403 on the clerk's own responsibilities beside them (the only
    403 a keeper of the people meets here: the form never deactivates)."""
    if isinstance(error, DomainError) and error.status == 403 and own:
        return {"roles": OWN_ROLES}
    if isinstance(error, DomainError) and error.status in (403, 404):
        raise error
    return _errors(error, values)


@router.post("/people/{person_id}/appointments")
async def add_appointment(
    actor: PeopleWriter, request: Request, session: Session, person_id: uuid.UUID
) -> Response:
    """Opens an appointment: a local governor's names a school; the trust-level roles name none."""
    values = pages.text_values(await pages.form_values(request))
    try:
        data = pages.parse(AppointmentCreate, pages.typed(values))
        await service.create_appointment(session, actor, person_id, data)
    except (ValidationError, DomainError) as error:
        if isinstance(error, DomainError) and error.status in (403, 404):
            raise
        context = {**await _person_context(session, actor, person_id), "values": values}
        errors = pages.field_errors(error, IN_MESSAGES)
        raise await _refused(
            request, session, actor, PERSON, errors, status=_status(error), **context
        ) from None
    return pages.see_other(f"/people/{person_id}", done="appointment-added")


@router.post("/appointments/{appointment_id}/end")
async def end_appointment(
    actor: PeopleWriter, request: Request, session: Session, appointment_id: uuid.UUID
) -> Response:
    """Records the stepping down, today or on the day given; the appointment stays in the history."""
    values = pages.text_values(await pages.form_values(request))
    try:
        ending = pages.parse(AppointmentUpdate, pages.typed(values))
        if ending.stepped_down_on is None:
            ending = AppointmentUpdate(stepped_down_on=clock.today())
        appointment = await service.update_appointment(session, actor, appointment_id, ending)
    except (ValidationError, DomainError) as error:
        if isinstance(error, DomainError) and error.status in (403, 404):
            raise
        raise await _ending_refused(request, session, actor, appointment_id, error, values) from None
    return pages.see_other(f"/people/{appointment.person_id}", done="appointment-ended")


async def _ending_refused(
    request: Request,
    session: Session,
    actor: Actor,
    appointment_id: uuid.UUID,
    error: ValidationError | DomainError,
    values: dict[str, str],
) -> pages.FormRejected:
    """The person's page again, the problem beside the date of the row it belongs to."""
    appointment = await session.get(Appointment, appointment_id)
    if appointment is None:  # a date not understood, for no appointment at all
        raise NotFound("appointment")
    # The service set the date on the loaded appointment before refusing it (nothing was flushed):
    # forget that, so that the page shows the appointment as it is stored.
    person_id = appointment.person_id
    session.expire(appointment)
    key = f"end-{appointment_id}"
    message = next(iter(pages.field_errors(error, IN_MESSAGES).values()))
    context = await _person_context(session, actor, person_id)
    context["labels"] = {**LABELS, key: "Stepped down on"}
    kept = {key: values.get("stepped_down_on", "")}
    return await _refused(request, session, actor, PERSON, {key: message}, values=kept, status=422, **context)


async def _set_active(
    actor: Actor, request: Request, session: Session, person_id: uuid.UUID, active: bool
) -> Response:
    """Deactivating ends the person's access at once (their tokens stop working); nobody may
    deactivate themselves (the service's 403, shown on the person's page)."""
    try:
        await service.update_person(session, actor, person_id, PersonUpdate(active=active))
    except DomainError as error:
        if error.status != 403 or person_id != actor.id:
            raise
        context = await _person_context(session, actor, person_id)
        raise await _refused(
            request, session, actor, PERSON, {"": SELF_DEACTIVATION}, status=403, **context
        ) from None
    return pages.see_other(f"/people/{person_id}", done="reactivated" if active else "deactivated")


@router.post("/people/{person_id}/deactivate")
async def deactivate(
    actor: PeopleWriter, request: Request, session: Session, person_id: uuid.UUID
) -> Response:
    """The person can no longer sign in; what they declared stays on the register."""
    return await _set_active(actor, request, session, person_id, active=False)


@router.post("/people/{person_id}/reactivate")
async def reactivate(
    actor: PeopleWriter, request: Request, session: Session, person_id: uuid.UUID
) -> Response:
    """The person may sign in again with their password."""
    return await _set_active(actor, request, session, person_id, active=True)


@router.post("/people/{person_id}/password")
async def set_password(
    actor: PeopleWriter, request: Request, session: Session, person_id: uuid.UUID
) -> Response:
    """A new password (at least 12 characters) for someone who cannot sign in yet, or has forgotten
    theirs; it signs them out everywhere (their old tokens stop working)."""
    password = (await pages.form_values(request)).get("password")
    try:
        data = pages.parse(PersonUpdate, {"password": password if isinstance(password, str) else ""})
        await service.update_person(session, actor, person_id, data)
    except (ValidationError, DomainError) as error:
        if isinstance(error, DomainError) and error.status in (403, 404):
            raise
        context = await _person_context(session, actor, person_id)
        errors = pages.field_errors(error, IN_MESSAGES)
        raise await _refused(
            request, session, actor, PERSON, errors, status=_status(error), **context
        ) from None
    return pages.see_other(f"/people/{person_id}", done="password-set")
