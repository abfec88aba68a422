"""The governance clerk's pages for people: the list and adding someone; one person with their
appointments, changing their details, deactivating and reactivating are in app/people/person_pages.py,
and the CSV import checked before it is applied in app/people/import_pages.py, both included here.

They are the clerk's (PeopleWriter, PeopleImporter): the API's list answers every signed-in person
(a declarant sees only themselves there), but these pages exist to keep the register's people.
"""

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import Query, Request
from pydantic import ValidationError
from starlette.responses import HTMLResponse, Response

from app.auth.dependencies import PeopleWriter
from app.core.deps import Session
from app.core.errors import DomainError
from app.core.schemas import PageParams
from app.people import import_pages, person_pages, service
from app.people import page_parts as parts
from app.people.schemas import PersonCreate
from app.web import forms, pages

router = pages.page_router()

LIST, FORM = "people/list.html", "people/new.html"
PER_PAGE = 50


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
        school_names=await parts.school_names(session),
        **parts.words(),
    )


@router.get("/people/new", response_class=HTMLResponse)
async def new_person(actor: PeopleWriter, request: Request, session: Session) -> HTMLResponse:
    """The form to add someone: their details, what they may do, and the governance roles they hold."""
    context = await parts.form_context(session)
    return await pages.page(request, session, actor, FORM, title="Add a person", **context)


@router.post("/people/new")
async def add_person(actor: PeopleWriter, request: Request, session: Session) -> Response:
    """Adds the person through the API's service; each governance role opens an appointment from today."""
    form = await forms.form_values(request)
    values, chosen = forms.text_values(form), parts.chosen(form)
    fields = {k: v for k, v in values.items() if k not in chosen}
    password = form.get("password")
    try:
        data = forms.parse(
            PersonCreate,
            {**forms.typed(fields), **chosen, **({"password": password} if password else {})},
        )
        created = await service.create_person(session, actor, data)
    except (ValidationError, DomainError) as error:
        context = {**await parts.form_context(session), "chosen": chosen, "labels": parts.LABELS}
        context.update(title="Add a person", values=values)
        raise await parts.refused(
            request,
            session,
            actor,
            FORM,
            parts.form_errors(error, values),
            status=parts.status_of(error),
            **context,
        ) from None
    return pages.see_other(f"/people/{created.id}", done="added")


# The import's pages, then one person's: routes match in order, and /people/{person_id} would take
# "new" or "import" for a person's id (a 404). app/main.py includes only this router.
router.include_router(import_pages.router)
router.include_router(person_pages.router)
