"""The governance clerk's pages for one person: their details and appointments, changing their
details, opening and ending appointments, deactivating and reactivating them, setting a password.

Included by app/people/pages.py after /people/new and the import's pages (this module's
/people/{person_id} would otherwise take "new" or "import" for a person's id), so app/main.py knows
only the people pages' router. The words and form helpers shared with pages.py are in page_parts.py.
"""

import uuid
from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import ValidationError
from starlette.responses import HTMLResponse, Response

from app.auth.actor import Actor
from app.auth.dependencies import PeopleWriter
from app.core import clock
from app.core.deps import Session
from app.core.errors import DomainError, NotFound
from app.core.schemas import PageParams
from app.people import page_parts as parts
from app.people import service
from app.people.models import Appointment
from app.people.schemas import AppointmentCreate, AppointmentUpdate, PersonRead, PersonUpdate
from app.web import forms, pages

router = pages.page_router()

PERSON, EDIT = "people/person.html", "people/edit.html"
DONE = {
    "added": "The person has been added.",
    "appointment-added": "The appointment has been added.",
    "appointment-ended": "The stepping down has been recorded.",
    "deactivated": "They can no longer sign in. Their records stay on the register.",
    "reactivated": "They can sign in again.",
    "password-set": "The new password is set. Tell them it in person, never by email.",
    "changed": "The details have been saved.",
}
SELF_DEACTIVATION = "You cannot deactivate yourself: another governance clerk must do it."
OWN_ROLES = "You cannot change your own responsibilities: another governance clerk must do it."


async def _person_context(session: Session, actor: Actor, person_id: uuid.UUID) -> dict[str, Any]:
    person = await service.view(session, await service.get_person(session, actor, person_id))
    appointments, _ = await service.list_appointments(session, actor, person_id, PageParams(limit=200))
    return {
        **await parts.form_context(session),
        "title": person.full_name,
        "person": person,
        "appointments": appointments,
        "is_self": person.id == actor.id,
        "today": clock.today(),
        "labels": parts.LABELS,
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
    context = await parts.form_context(session)
    return {
        **context,
        "title": f"Change details: {person.full_name}",
        "person": person,
        "is_self": person.id == actor.id,
        "labels": parts.LABELS,
        "values": values,
        "chosen": {"roles": roles, "governance_roles": []},
    }


def _changes(values: dict[str, str], roles: list[str]) -> dict[str, Any]:
    """The form as the API's PATCH reads it. A job title or a school left empty is cleared (null);
    a name or an email address left empty is refused, as the API refuses them null; no box ticked
    leaves no responsibility. Governance roles are not here: appointments change on the person's page."""
    given = forms.typed({name: values.get(name, "") for name in DETAILS})
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
    form = await forms.form_values(request)
    values, roles = forms.text_values(form), parts.chosen(form)["roles"]
    # The details as stored, before the service changes the loaded person: a refused form names them.
    person = await service.view(session, await service.get_person(session, actor, person_id))
    try:
        data = forms.parse(PersonUpdate, _changes(values, roles))
        await service.update_person(session, actor, person_id, data)
    except (ValidationError, DomainError) as error:
        errors = _change_errors(error, values, own=person.id == actor.id)
        context = await _edit_context(session, actor, person, values, roles)
        raise await parts.refused(
            request, session, actor, EDIT, errors, status=parts.status_of(error), **context
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
    return parts.form_errors(error, values)


@router.post("/people/{person_id}/appointments")
async def add_appointment(
    actor: PeopleWriter, request: Request, session: Session, person_id: uuid.UUID
) -> Response:
    """Opens an appointment: a local governor's names a school; the trust-level roles name none."""
    values = forms.text_values(await forms.form_values(request))
    try:
        data = forms.parse(AppointmentCreate, forms.typed(values))
        await service.create_appointment(session, actor, person_id, data)
    except (ValidationError, DomainError) as error:
        if isinstance(error, DomainError) and error.status in (403, 404):
            raise
        context = {**await _person_context(session, actor, person_id), "values": values}
        errors = forms.field_errors(error, parts.IN_MESSAGES)
        raise await parts.refused(
            request, session, actor, PERSON, errors, status=parts.status_of(error), **context
        ) from None
    return pages.see_other(f"/people/{person_id}", done="appointment-added")


@router.post("/appointments/{appointment_id}/end")
async def end_appointment(
    actor: PeopleWriter, request: Request, session: Session, appointment_id: uuid.UUID
) -> Response:
    """Records the stepping down, today or on the day given; the appointment stays in the history."""
    values = forms.text_values(await forms.form_values(request))
    try:
        ending = forms.parse(AppointmentUpdate, forms.typed(values))
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
) -> forms.FormRejected:
    """The person's page again, the problem beside the date of the row it belongs to."""
    appointment = await session.get(Appointment, appointment_id)
    if appointment is None:  # a date not understood, for no appointment at all
        raise NotFound("appointment")
    # The service set the date on the loaded appointment before refusing it (nothing was flushed):
    # forget that, so that the page shows the appointment as it is stored.
    person_id = appointment.person_id
    session.expire(appointment)
    key = f"end-{appointment_id}"
    message = next(iter(forms.field_errors(error, parts.IN_MESSAGES).values()))
    context = await _person_context(session, actor, person_id)
    context["labels"] = {**parts.LABELS, key: "Stepped down on"}
    kept = {key: values.get("stepped_down_on", "")}
    return await parts.refused(
        request, session, actor, PERSON, {key: message}, values=kept, status=422, **context
    )


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
        raise await parts.refused(
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
    password = (await forms.form_values(request)).get("password")
    try:
        data = forms.parse(PersonUpdate, {"password": password if isinstance(password, str) else ""})
        await service.update_person(session, actor, person_id, data)
    except (ValidationError, DomainError) as error:
        if isinstance(error, DomainError) and error.status in (403, 404):
            raise
        context = await _person_context(session, actor, person_id)
        errors = forms.field_errors(error, parts.IN_MESSAGES)
        raise await parts.refused(
            request, session, actor, PERSON, errors, status=parts.status_of(error), **context
        ) from None
    return pages.see_other(f"/people/{person_id}", done="password-set")
