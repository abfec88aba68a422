"""The governance clerk's CSV import of people: the file is checked first (nothing changes, each row
says what it would do), then imported, all or nothing.

Included by app/people/pages.py (before its /people/{person_id} routes, which would otherwise take
"import" for a person's id), so app/main.py knows only the people pages' router.
"""

from typing import Any

from fastapi import Request
from starlette.responses import HTMLResponse, Response

from app.auth.actor import Actor
from app.auth.dependencies import PeopleImporter
from app.core.deps import Session
from app.people import importer
from app.web import forms, pages

router = pages.page_router()

IMPORT = "people/import.html"
CHANGE_WORDS = {
    "full_name": "name",
    "job_title": "job title",
    "school_id": "school",
    "roles": "responsibilities",
    "governance_roles": "governance roles",
}


def _import_context(**context: Any) -> dict[str, Any]:
    return {
        "title": "Import people",
        "report": None,
        "change_words": CHANGE_WORDS,
        "rejected_rows": [],
        **context,
    }


async def _refused(
    request: Request, session: Session, actor: Actor, errors: dict[str, str], **context: Any
) -> forms.FormRejected:
    """The import page again with these errors, 422 (raised, so the request's transaction rolls back)."""
    trust = await pages.trust_name(session)
    response = pages.render(
        request, IMPORT, actor=actor, trust=trust, status=422, errors=errors, **_import_context(**context)
    )
    return forms.FormRejected(response)


@router.get("/people/import", response_class=HTMLResponse)
async def import_form(actor: PeopleImporter, request: Request, session: Session) -> HTMLResponse:
    """The form to check a spreadsheet of people, then import it."""
    return await pages.page(request, session, actor, IMPORT, **_import_context())


@router.post("/people/import", response_class=HTMLResponse)
async def import_file(actor: PeopleImporter, request: Request, session: Session) -> Response:
    """Checking the file reports what each row would do and changes nothing; importing it applies it,
    all or nothing. The file is not kept between the two: the clerk chooses it again."""
    # The whole upload is read before the first statement: on SQLite that statement takes the
    # database's write lock, and the importer parses off the event loop before it too (as the API).
    form = await forms.form_values(request)
    upload = forms.uploaded(form, "file")
    content = await upload.read() if upload is not None else b""
    apply = form.get("action") == "import"
    if not content:
        chosen = upload is not None and bool(upload.filename)
        errors = {"file": "The file is empty" if chosen else "Choose the CSV file to check or import"}
        raise await _refused(request, session, actor, errors)
    try:
        report = await importer.import_people(session, actor, content, dry_run=not apply)
    except importer.ImportRejected as error:
        raise await _import_refused(request, session, actor, error) from None
    return await pages.page(request, session, actor, IMPORT, **_import_context(report=report))


async def _import_refused(
    request: Request, session: Session, actor: Actor, error: importer.ImportRejected
) -> forms.FormRejected:
    """A file that cannot be read is refused beside the file input; rows in error are listed by line."""
    if isinstance(error, importer.UnusableFile):
        return await _refused(request, session, actor, {"file": error.detail})
    rows = [(item["loc"][-1], item["msg"]) for item in error.errors or ()]
    errors = {"": f"{error.detail}. Put right the rows below in your spreadsheet, then check the file again."}
    return await _refused(request, session, actor, errors, rejected_rows=rows)
