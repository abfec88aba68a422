"""People import from CSV: upsert by email, all or nothing, with a report of every row.

The standard library's csv module parses; the rules of each field are the API's own (people.schemas).
"""

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio.to_thread
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.actor import Actor
from app.auth.permissions import Role
from app.core.db import chunks
from app.core.errors import DomainError, Unprocessable
from app.core.middleware import BadInput, check_text
from app.core.schemas import Email, Name, OptionalName
from app.people import schools as schools_service
from app.people import service
from app.people.governance import GovernanceRole, appointment_school
from app.people.models import Person, School
from app.people.schemas import PersonCreate, PersonRead, PersonUpdate, SchoolCreate

COLUMNS = ("email", "full_name", "school", "job_title", "governance_roles", "roles")
REQUIRED = ("email", "full_name")
MAX_ROWS = 20_000
_email = TypeAdapter(Email)
_name = TypeAdapter(Name)
_optional_name = TypeAdapter(OptionalName)

Action = Literal["create", "update", "unchanged", "error"]


@dataclass
class RowReport:
    row: int
    email: str | None
    action: Action
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    dry_run: bool
    valid: bool
    created: int
    updated: int
    unchanged: int
    invalid: int
    schools_created: list[str]
    rows: list[RowReport]


class ImportRejected(DomainError):
    status, code = 422, "import-rejected"


class UnusableFile(ImportRejected):
    """The file as a whole cannot be read as the people CSV; no row is looked at."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, errors=[{"loc": ["file"], "msg": detail}])


@dataclass
class _Record:
    line: int  # where the record starts in the file (the header is line 1)
    cells: dict[str, str]
    extra_cells: bool


@dataclass
class _Row:
    number: int
    email: str
    full_name: str
    school: str | None
    job_title: str | None
    governance_roles: set[GovernanceRole] | None
    roles: set[Role] | None


def _split_roles(
    text: str, kind: type[Role] | type[GovernanceRole], errors: list[str], column: str
) -> set[Any]:
    found = set()
    for part in text.replace("|", ";").replace(",", ";").split(";"):
        name = part.strip().lower().replace(" ", "_").replace("-", "_")
        if not name:
            continue
        try:
            found.add(kind(name))
        except ValueError:
            errors.append(f"{column}: unknown role {part.strip()!r}")
    return found


def _value(adapter: TypeAdapter[str], raw: str, column: str, errors: list[str]) -> str:
    try:
        return adapter.validate_python(raw)
    except ValidationError as exc:
        errors.append(f"{column}: {exc.errors()[0]['msg']}")
        return raw


def _parse_row(record: _Record, present: set[str]) -> tuple[_Row | None, RowReport]:
    number = record.line
    errors: list[str] = []
    if record.extra_cells:
        errors.append(f"the row has more cells than the header's {len(present)} columns")
    cells = {k: (record.cells.get(k) or "").strip() for k in COLUMNS}
    for column, text in cells.items():
        try:
            check_text(text)
        except BadInput as exc:
            errors.append(f"{column}: {exc}")
    email = _value(_email, cells["email"], "email", errors)
    full_name = _value(_name, cells["full_name"], "full_name", errors)
    school = _value(_optional_name, cells["school"], "school", errors) or None
    job_title = _value(_optional_name, cells["job_title"], "job_title", errors) or None
    governance = _split_roles(cells["governance_roles"], GovernanceRole, errors, "governance_roles")
    roles = _split_roles(cells["roles"], Role, errors, "roles")
    report = RowReport(
        row=number, email=cells["email"] or None, action="error" if errors else "unchanged", errors=errors
    )
    if errors:
        return None, report
    row = _Row(
        number=number,
        email=email,
        full_name=full_name,
        school=school if "school" in present else None,
        job_title=job_title,
        governance_roles=governance if "governance_roles" in present else None,
        roles=roles if "roles" in present else None,
    )
    return row, report


def _header(reader: Iterator[list[str]]) -> list[str]:
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise UnusableFile("The file is empty: it needs a header line") from None
    except csv.Error as exc:
        raise UnusableFile(f"The file is not valid CSV: {exc}") from exc
    unknown = [h for h in header if h not in COLUMNS]
    missing = [h for h in REQUIRED if h not in header]
    repeated = sorted({h for h in header if header.count(h) > 1})
    if unknown or missing or repeated:
        raise UnusableFile(
            f"Columns must be {', '.join(COLUMNS)} (email and full_name required); "
            f"unknown: {unknown or 'none'}, missing: {missing or 'none'}, repeated: {repeated or 'none'}"
        )
    return header


def _read(content: bytes) -> tuple[list[_Record], set[str]]:
    """Records keyed by lower-case column, each with the line it starts on (blank lines skipped but
    counted, a quoted cell may span lines); raises UnusableFile for a file that is not a usable CSV."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnusableFile("The file is not UTF-8 text") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _header(reader)
    records: list[_Record] = []
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise UnusableFile(f"The file is not valid CSV (line {line}): {exc}") from exc
        if not any(v.strip() for v in values):
            continue
        extra = any(v.strip() for v in values[len(header) :])
        records.append(_Record(line, dict(zip(header, values, strict=False)), extra))
        if len(records) > MAX_ROWS:
            raise UnusableFile(f"At most {MAX_ROWS} rows in one file")
    return records, set(header)


def _parsed(content: bytes) -> list[tuple[_Row | None, RowReport]]:
    records, present = _read(content)
    return [_parse_row(record, present) for record in records]


@dataclass(frozen=True)
class _Current:
    person: Person
    view: PersonRead  # as the API shows them: roles and open appointments


async def _existing(session: AsyncSession, emails: list[str]) -> dict[str, _Current]:
    """Current people by lower-case email."""
    found: dict[str, _Current] = {}
    keys = sorted({e.lower() for e in emails})
    for chunk in chunks(keys):
        people = list(await session.scalars(select(Person).where(Person.email_key.in_(chunk))))
        for person, view in zip(people, await service.views(session, people), strict=True):
            found[person.email_key] = _Current(person, view)
    return found


def _changes(
    row: _Row, current: Any, school_id: uuid.UUID | None, actor: Actor
) -> tuple[dict[str, Any], list[str]]:
    """The fields this row would change on an existing person, and any refusal."""
    update: dict[str, Any] = {}
    if row.full_name != current.full_name:
        update["full_name"] = row.full_name
    if row.job_title != current.job_title and row.job_title is not None:
        update["job_title"] = row.job_title
    # A school not created yet has no id: it is a change even for someone with no school today.
    if row.school is not None and (school_id is None or school_id != current.school_id):
        update["school_id"] = school_id
    if row.roles is not None and row.roles != set(current.roles):
        if current.id == actor.id:
            return {}, ["roles: nobody changes their own roles"]
        update["roles"] = sorted(row.roles)
    if row.governance_roles is not None and row.governance_roles != set(current.governance_roles):
        update["governance_roles"] = sorted(row.governance_roles)
    return update, []


# A school the file creates has no id until the import writes it; the rule asks only whether there is one.
_SCHOOL_THE_FILE_CREATES = uuid.UUID(int=0)
NO_SCHOOL_FOR_LOCAL_GOVERNOR = (
    "governance_roles: a local governor's appointment names its school: "
    "fill in the school column, or give the person a school first"
)


def _school_refusals(row: _Row, current: PersonRead | None, school_id: uuid.UUID | None) -> list[str]:
    """The appointments this row opens name their schools by the rule of every other path: a local
    governor's is the school the row leaves the person in, so there must be one."""
    if row.governance_roles is None:
        return []
    school: uuid.UUID | None = current.school_id if current else None
    if row.school is not None:
        school = school_id or _SCHOOL_THE_FILE_CREATES
    opening = row.governance_roles - set(current.governance_roles if current else ())
    try:
        for role in opening:
            appointment_school(role, None, school)
    except Unprocessable:
        return [NO_SCHOOL_FOR_LOCAL_GOVERNOR]
    return []


@dataclass
class _Plan:
    steps: list[tuple[_Row, RowReport, dict[str, Any] | None]]
    new_schools: list[str]
    schools: dict[str, uuid.UUID]
    existing: dict[str, _Current]


async def _plan(session: AsyncSession, actor: Actor, parsed: list[tuple[_Row | None, RowReport]]) -> _Plan:
    """What each valid row would do: create, update (which fields) or nothing; and refusals."""
    existing = await _existing(session, [row.email for row, _ in parsed if row is not None])
    schools = {key: school_id for school_id, key in await session.execute(select(School.id, School.name_key))}
    # One new school per name, whatever its case in the file: the first spelling met is kept.
    first_spelling: dict[str, str] = {}
    for r, _ in parsed:
        if r and r.school and schools_service.school_key(r.school) not in schools:
            first_spelling.setdefault(schools_service.school_key(r.school), r.school)
    new_schools = sorted(first_spelling.values())
    seen: set[str] = set()
    steps: list[tuple[_Row, RowReport, dict[str, Any] | None]] = []
    for row, report in parsed:
        if row is None:
            continue
        if row.email.lower() in seen:
            report.errors.append("email: appears more than once in the file")
        seen.add(row.email.lower())
        found = existing.get(row.email.lower())
        current = found.view if found else None
        school_id = schools.get(schools_service.school_key(row.school)) if row.school else None
        update, refusals = _changes(row, current, school_id, actor) if current else ({}, [])
        report.errors.extend(refusals)
        report.errors.extend(_school_refusals(row, current, school_id))
        report.changes = sorted(update) if current else ["new person"]
        if report.errors:
            report.action = "error"
        else:
            report.action = "create" if current is None else "update" if update else "unchanged"
        steps.append((row, report, update if current else None))
    return _Plan(steps=steps, new_schools=new_schools, schools=schools, existing=existing)


async def import_people(
    session: AsyncSession, actor: Actor, content: bytes, *, dry_run: bool
) -> ImportReport:
    """Upsert by email; one invalid row and nothing changes; importing the same file again changes nothing."""
    # Reading and checking every row is CPU work: done in a worker thread, before the transaction's
    # first statement (on SQLite, the moment it takes the database's write lock).
    parsed = await anyio.to_thread.run_sync(_parsed, content)
    plan = await _plan(session, actor, parsed)
    reports = [report for _, report in parsed]
    result = _summary(reports, dry_run, plan.new_schools)
    if not result.valid and not dry_run:
        raise ImportRejected(
            f"{result.invalid} of {len(reports)} rows are invalid; nothing was imported",
            errors=[{"loc": ["file", r.row], "msg": "; ".join(r.errors)} for r in reports if r.errors],
        )
    if result.valid and not dry_run:
        await _apply(session, actor, plan)
    return result


def _summary(reports: list[RowReport], dry_run: bool, new_schools: list[str]) -> ImportReport:
    count = {
        action: sum(1 for r in reports if r.action == action)
        for action in ("create", "update", "unchanged", "error")
    }
    return ImportReport(
        dry_run=dry_run,
        valid=count["error"] == 0,
        created=count["create"],
        updated=count["update"],
        unchanged=count["unchanged"],
        invalid=count["error"],
        schools_created=new_schools,
        rows=reports,
    )


async def _apply(session: AsyncSession, actor: Actor, plan: _Plan) -> None:
    schools, existing = plan.schools, plan.existing
    for name in plan.new_schools:
        school = await schools_service.create_school(session, actor, SchoolCreate(name=name))
        schools[schools_service.school_key(name)] = school.id
    new_people: list[tuple[PersonCreate, str | None]] = []
    changed: list[tuple[Person, PersonRead, PersonUpdate]] = []
    for row, report, update in plan.steps:
        school_id = schools.get(schools_service.school_key(row.school)) if row.school else None
        if report.action == "create":
            data = PersonCreate(
                email=row.email,
                full_name=row.full_name,
                school_id=school_id,
                job_title=row.job_title,
                roles=sorted(row.roles or ()),
                governance_roles=sorted(row.governance_roles or ()),
            )
            new_people.append((data, None))  # an import sets no passwords
        elif report.action == "update" and update:
            if "school_id" in update:
                update["school_id"] = school_id
            current = existing[row.email.lower()]
            changed.append((current.person, current.view, PersonUpdate(**update)))
    # In one go: the file's people in a handful of statements, not a dozen each.
    await service.update_people(session, actor, changed)
    await service.create_people(session, actor, new_people)
