import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile

from app.auth.dependencies import (
    PeopleImporter,
    PeopleReader,
    PeopleWriter,
    SchoolsReader,
    SchoolsWriter,
    SignedIn,
)
from app.auth.permissions import Role
from app.core.deps import Session
from app.core.responses import responses
from app.core.schemas import EMAIL_MAX, OptionalQueryFlag, Page, PageParams, PlainText, QueryFlag, page_params
from app.people import importer, service
from app.people import schools as schools_service
from app.people.governance import GovernanceRole
from app.people.schemas import (
    AppointmentCreate,
    AppointmentRead,
    AppointmentUpdate,
    ImportReportRead,
    MeRead,
    PersonCreate,
    PersonRead,
    PersonUpdate,
    SchoolCreate,
    SchoolRead,
    SchoolUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["people"])
Paging = Annotated[PageParams, Depends(page_params)]
READ_ERRORS = responses(401, 403, 422)
WRITE_ERRORS = responses(401, 403, 409, 415, 422)


@router.get("/me", response_model=MeRead, responses=responses(401))
async def get_me(actor: SignedIn) -> MeRead:
    """The caller, with their roles and the governance roles of their open appointments."""
    return MeRead(
        id=actor.id,
        email=actor.email,
        full_name=actor.full_name,
        school_id=actor.school_id,
        roles=sorted(actor.roles),
        governance_roles=sorted(actor.governance_roles),
    )


@router.post("/schools", status_code=201, response_model=SchoolRead, responses=WRITE_ERRORS)
async def create_school(actor: SchoolsWriter, session: Session, data: SchoolCreate) -> SchoolRead:
    """A school of the trust; names and slugs are unique; the slug is derived from the name if not given."""
    return SchoolRead.model_validate(await schools_service.create_school(session, actor, data))


@router.get("/schools", response_model=Page[SchoolRead], responses=READ_ERRORS)
async def list_schools(_: SchoolsReader, session: Session, page: Paging) -> Page[SchoolRead]:
    """The trust's schools, by name."""
    found, total = await schools_service.list_schools(session, page)
    return Page(items=[SchoolRead.model_validate(s) for s in found], total=total)


@router.get("/schools/{school_id}", response_model=SchoolRead, responses=responses(401, 403, 404, 422))
async def get_school(_: SchoolsReader, session: Session, school_id: uuid.UUID) -> SchoolRead:
    return SchoolRead.model_validate(await schools_service.get_school(session, school_id))


@router.patch(
    "/schools/{school_id}", response_model=SchoolRead, responses=responses(401, 403, 404, 409, 415, 422)
)
async def update_school(
    actor: SchoolsWriter, session: Session, school_id: uuid.UUID, data: SchoolUpdate
) -> SchoolRead:
    """Rename a school or change its slug; renaming keeps the slug (the school's page keeps its address)."""
    return SchoolRead.model_validate(await schools_service.update_school(session, actor, school_id, data))


@router.post("/people", status_code=201, response_model=PersonRead, responses=WRITE_ERRORS)
async def create_person(actor: PeopleWriter, session: Session, data: PersonCreate) -> PersonRead:
    """governance_roles open appointments from today; the password is write-only."""
    return await service.create_person(session, actor, data)


@router.post(
    "/people/import",
    response_model=ImportReportRead,
    responses=responses(401, 403, 413, 415, 422),
)
async def import_people(
    actor: PeopleImporter,
    session: Session,
    file: Annotated[
        UploadFile, File(description="CSV: email, full_name, school, job_title, governance_roles, roles")
    ],
    dry_run: QueryFlag = False,
) -> ImportReportRead:
    """Upsert people by email from a CSV; one invalid row and nothing changes (422 listing every error)."""
    content = await file.read()
    return ImportReportRead.model_validate(
        await importer.import_people(session, actor, content, dry_run=dry_run)
    )


@router.get("/people", response_model=Page[PersonRead], responses=READ_ERRORS)
async def list_people(
    actor: PeopleReader,
    session: Session,
    page: Paging,
    school_id: uuid.UUID | None = None,
    role: Role | None = None,
    governance_role: GovernanceRole | None = None,
    active: OptionalQueryFlag = None,
    email: Annotated[PlainText | None, Query(max_length=EMAIL_MAX)] = None,
) -> Page[PersonRead]:
    """Everyone for keepers, auditors and deciders; a declarant sees only themselves."""
    filters = service.PeopleFilter(
        school_id=school_id, role=role, governance_role=governance_role, active=active, email=email
    )
    people, total = await service.list_people(session, actor, filters, page)
    return Page(items=people, total=total)


@router.get("/people/{person_id}", response_model=PersonRead, responses=responses(401, 403, 404, 422))
async def get_person(actor: PeopleReader, session: Session, person_id: uuid.UUID) -> PersonRead:
    """Someone the caller may not see is a 404."""
    return await service.view(session, await service.get_person(session, actor, person_id))


@router.patch(
    "/people/{person_id}", response_model=PersonRead, responses=responses(401, 403, 404, 409, 415, 422)
)
async def update_person(
    actor: PeopleWriter, session: Session, person_id: uuid.UUID, data: PersonUpdate
) -> PersonRead:
    """Nobody changes their own roles (403); active=false ends the person's access at once."""
    return await service.update_person(session, actor, person_id, data)


@router.get(
    "/people/{person_id}/appointments",
    response_model=Page[AppointmentRead],
    responses=responses(401, 403, 404, 422),
)
async def list_appointments(
    actor: PeopleReader, session: Session, person_id: uuid.UUID, page: Paging
) -> Page[AppointmentRead]:
    """A person's appointments, past and present, oldest first."""
    rows, total = await service.list_appointments(session, actor, person_id, page)
    return Page(items=[AppointmentRead.model_validate(a) for a in rows], total=total)


@router.post(
    "/people/{person_id}/appointments",
    status_code=201,
    response_model=AppointmentRead,
    responses=responses(401, 403, 404, 415, 422),
)
async def create_appointment(
    actor: PeopleWriter, session: Session, person_id: uuid.UUID, data: AppointmentCreate
) -> AppointmentRead:
    """appointed_on defaults to today; dates may not run backwards; a local governor names a school."""
    return AppointmentRead.model_validate(await service.create_appointment(session, actor, person_id, data))


@router.patch(
    "/appointments/{appointment_id}",
    response_model=AppointmentRead,
    responses=responses(401, 403, 404, 415, 422),
)
async def update_appointment(
    actor: PeopleWriter, session: Session, appointment_id: uuid.UUID, data: AppointmentUpdate
) -> AppointmentRead:
    """Record a stepping down, a new term end, a corrected date or the school."""
    return AppointmentRead.model_validate(
        await service.update_appointment(session, actor, appointment_id, data)
    )
