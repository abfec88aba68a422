"""Migrations: reversible on a populated database, in step with the models, and run by the CLI."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio.to_thread
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import exc, func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.auth.permissions import Role
from app.cli import alembic_config, migrate
from app.conflicts import matcher
from app.core.db import Database, create_engine, sync_url
from app.interests import normalise
from app.models import metadata
from app.people.governance import GovernanceRole
from app.people.models import Appointment, Person, PersonRole, School
from tests import dbutil
from tests.factories import make_person, make_school

PROBITY = Path(sys.executable).parent / "probity"
# Every table of the models (alembic check, below, proves the migrations build exactly these).
TABLES = set(metadata.tables)
CLI_TIMEOUT = 60


@pytest.fixture
def unmigrated_database() -> Iterator[str]:
    url = dbutil.create_database(migrated=False)
    yield url
    dbutil.drop_database(url)


def head_revision(url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head is not None
    return head


def schema_of(url: str) -> dict[str, Any]:
    """The tables, and the revision the database says it is at."""
    engine = create_sync_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            revision = (
                connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
                if "alembic_version" in tables
                else None
            )
    finally:
        engine.dispose()
    return {"tables": tables - {"alembic_version"}, "revision": revision}


async def count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def cli_env(**changes: str | None) -> dict[str, str]:
    """This process's environment with some PROBITY_ variables set or removed."""
    env = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_probity(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PROBITY), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


class TestUpgradeAndDowngrade:
    async def test_a_populated_database_goes_down_to_base_and_up_again(
        self, unmigrated_database: str
    ) -> None:
        url = unmigrated_database
        migrate(url, "head")
        assert schema_of(url) == {"tables": TABLES, "revision": head_revision(url)}

        database = Database(create_engine(url=url))
        try:
            async with database.session(write=True) as session:
                school = await make_school(session, "Hillside Primary")
                await make_person(
                    session,
                    Role.HEADTEACHER,
                    governance_roles=(GovernanceRole.LOCAL_GOVERNOR,),
                    school_id=school.id,
                )
                await make_person(session, Role.CHAIR, governance_roles=(GovernanceRole.TRUSTEE,))
            async with database.session(write=False) as session:
                assert await count(session, School) == 1 and await count(session, Person) == 2
                assert await count(session, PersonRole) == 2 and await count(session, Appointment) == 2
                assert await count(session, AuditEvent) >= 3
                assert (await audit_service.verify(session)).valid
        finally:
            await database.dispose()

        command.downgrade(alembic_config(url), "base")
        assert schema_of(url) == {"tables": set(), "revision": None}

        migrate(url, "head")
        assert schema_of(url) == {"tables": TABLES, "revision": head_revision(url)}
        await self._the_schema_is_usable(url)

    async def _the_schema_is_usable(self, url: str) -> None:
        database = Database(create_engine(url=url))
        try:
            async with database.session(write=True) as session:
                person = await make_person(session, Role.AUDITOR, governance_roles=(GovernanceRole.MEMBER,))
            async with database.session(write=False) as session:
                assert await count(session, Person) == 1
                events = list(await session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
                assert events and events[0].seq == 1 and events[0].entity_id == str(person.id)
                assert (await audit_service.verify(session)).valid
        finally:
            await database.dispose()

    async def test_the_recreated_trail_is_append_only_again(self, unmigrated_database: str) -> None:
        url = unmigrated_database
        migrate(url, "head")
        command.downgrade(alembic_config(url), "base")
        migrate(url, "head")
        database = Database(create_engine(url=url))
        try:
            async with database.session(write=True) as session:
                await make_person(session)
            with pytest.raises(exc.DBAPIError, match="append-only"):
                async with database.session(write=True) as session:
                    await session.execute(text("DELETE FROM audit_events"))
        finally:
            await database.dispose()


class TestSchoolPagesOnAPopulatedDatabase:
    """The school pages revision: schools stored before it get slugs from their names, and local
    governors the school of their person (one with no school stays empty; other roles stay empty)."""

    BEFORE = "20261128_2000"
    schools = sa.table(
        "schools", sa.column("id", sa.Uuid()), sa.column("name", sa.String()),
        sa.column("name_key", sa.String()), sa.column("created_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    people = sa.table(
        "people", sa.column("id", sa.Uuid()), sa.column("email", sa.String()),
        sa.column("email_key", sa.String()), sa.column("full_name", sa.String()),
        sa.column("school_id", sa.Uuid()), sa.column("active", sa.Boolean()),
        sa.column("credentials_version", sa.Integer()), sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )  # fmt: skip
    appointments = sa.table(
        "appointments", sa.column("id", sa.Uuid()), sa.column("person_id", sa.Uuid()),
        sa.column("governance_role", sa.String()), sa.column("appointed_on", sa.Date()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )  # fmt: skip

    def _store(self, url: str, names: list[str], held: list[tuple[str, int | None]]) -> list[uuid.UUID]:
        """Schools (each a second younger than the one before) and people with one appointment each:
        (governance role, index of the person's school or None), stored as before the revision."""
        start = datetime(2026, 1, 1, tzinfo=UTC)
        school_ids = [uuid.uuid4() for _ in names]
        people_ids, appointment_ids = [uuid.uuid4() for _ in held], [uuid.uuid4() for _ in held]
        schools = [
            {
                "id": school_id,
                "name": name,
                "name_key": name.casefold(),
                "created_at": start + timedelta(seconds=n),
            }
            for n, (school_id, name) in enumerate(zip(school_ids, names, strict=True))
        ]
        people = [
            {"id": person_id, "email": f"p{n}@trust.test", "email_key": f"p{n}@trust.test",
             "full_name": f"Person {n}", "school_id": None if school is None else school_ids[school],
             "active": True, "credentials_version": 0, "created_at": start, "updated_at": start}
            for n, (person_id, (_, school)) in enumerate(zip(people_ids, held, strict=True))
        ]  # fmt: skip
        appointments = [
            {"id": appointment_id, "person_id": person_id, "governance_role": role,
             "appointed_on": date(2025, 9, 1), "created_at": start}
            for appointment_id, person_id, (role, _) in zip(appointment_ids, people_ids, held, strict=True)
        ]  # fmt: skip
        engine = create_sync_engine(sync_url(url))
        try:
            with engine.begin() as connection:
                connection.execute(sa.insert(self.schools), schools)
                connection.execute(sa.insert(self.people), people)
                connection.execute(sa.insert(self.appointments), appointments)
        finally:
            engine.dispose()
        return school_ids + appointment_ids

    async def test_schools_get_slugs_and_local_governors_their_persons_school(
        self, unmigrated_database: str
    ) -> None:
        url = unmigrated_database
        migrate(url, self.BEFORE)
        names = ["St Mary's School", "St. Mary's School", "École Saint-Étienne", "!!!", "St-Mary's School"]
        held = [("local_governor", 2), ("local_governor", None), ("trustee", 0), ("staff", 1)]
        ids = await anyio.to_thread.run_sync(self._store, url, names, held)
        school_ids, appointment_ids = ids[: len(names)], ids[len(names) :]
        migrate(url, "head")

        database = Database(create_engine(url=url))
        try:
            async with database.session(write=False) as session:
                slugs = dict(list(await session.execute(select(School.id, School.slug))))
                schools_of = dict(list(await session.execute(select(Appointment.id, Appointment.school_id))))
        finally:
            await database.dispose()
        assert [slugs[s] for s in school_ids] == [
            "st-mary-s-school", "st-mary-s-school-2", "ecole-saint-etienne", "school", "st-mary-s-school-3",
        ]  # fmt: skip
        assert [schools_of[a] for a in appointment_ids] == [school_ids[2], None, None, None]


class TestModelsMatchMigrations:
    def test_alembic_check_finds_no_drift(self, fresh_database: str) -> None:
        # Raises alembic.util.exc.AutogenerateDiffsDetected when a model and the migrations disagree.
        command.check(alembic_config(fresh_database))


class TestMigrateCommand:
    def test_probity_migrate_works_from_any_working_directory(
        self, tmp_path: Path, unmigrated_database: str
    ) -> None:
        result = run_probity("migrate", cwd=tmp_path, env=cli_env(PROBITY_DATABASE_URL=unmigrated_database))
        assert result.returncode == 0, result.stderr
        assert schema_of(unmigrated_database) == {
            "tables": TABLES,
            "revision": head_revision(unmigrated_database),
        }
        again = run_probity("migrate", cwd=tmp_path, env=cli_env(PROBITY_DATABASE_URL=unmigrated_database))
        assert again.returncode == 0, again.stderr

    def test_without_a_database_url_it_makes_an_sqlite_file_under_data(self, tmp_path: Path) -> None:
        result = run_probity("migrate", cwd=tmp_path, env=cli_env(PROBITY_DATABASE_URL=None))
        assert result.returncode == 0, result.stderr
        database = tmp_path / "data" / "probity.db"
        assert database.is_file()
        assert schema_of(f"sqlite:///{database}")["tables"] == TABLES

    def test_the_module_form_works_too(self, tmp_path: Path, unmigrated_database: str) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", "migrate"],
            cwd=tmp_path,
            env=cli_env(PROBITY_DATABASE_URL=unmigrated_database),
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert schema_of(unmigrated_database)["revision"] == head_revision(unmigrated_database)


class TestServeRefusesUnsafeKeys:
    GOOD_KEY = "a-production-key-that-is-long-enough-0123456789"

    @pytest.mark.parametrize(
        ("variable", "value"),
        [
            ("PROBITY_SECRET_KEY", None),
            ("PROBITY_AUDIT_KEY", None),
            ("PROBITY_SECRET_KEY", "short"),
            ("PROBITY_AUDIT_KEY", "probity-development-audit-key-do-not-use-in-production"),
        ],
        ids=["secret-missing", "audit-missing", "secret-too-short", "audit-published-default"],
    )
    def test_production_refuses_to_start_and_names_the_variable(
        self, tmp_path: Path, unmigrated_database: str, variable: str, value: str | None
    ) -> None:
        keys: dict[str, str | None] = {
            "PROBITY_SECRET_KEY": self.GOOD_KEY,
            "PROBITY_AUDIT_KEY": self.GOOD_KEY,
        }
        keys[variable] = value
        env = cli_env(PROBITY_ENV="production", PROBITY_DATABASE_URL=unmigrated_database, **keys)
        result = run_probity("serve", "--port", "0", cwd=tmp_path, env=env)
        assert result.returncode != 0
        assert variable in result.stderr
        assert "Traceback" not in result.stderr
        # Refused before touching the database.
        assert schema_of(unmigrated_database) == {"tables": set(), "revision": None}


class TestRekeying:
    """Conflict screening finds names by keys a migration cannot make (it never imports app): the
    revision starts them at key version 0, and `probity migrate` (or `serve`) rekeys."""

    BEFORE_SCREENING = "20261128_1600"

    async def _interest_stored_before_screening(self, url: str) -> uuid.UUID:
        """An interest as the register stored it before the screening revision: the first normal
        form's key ("st john s trust"), and no lookup keys."""
        database = Database(create_engine(url=url))
        try:
            async with database.session(write=True) as session:
                person = await make_person(session, governance_roles=(GovernanceRole.TRUSTEE,))
                interest_id = uuid.uuid4()
                await session.execute(
                    text(
                        "INSERT INTO interests (id, person_id, category, holder, financial, direct, "
                        "organisation_name, organisation_key, private, start_date, created_at, "
                        "submitted_at, updated_at) VALUES (:id, :person, 'trusteeship', 'self', false, "
                        "true, :name, 'st john s trust', false, :day, :now, :now, :now)"
                    ),
                    {"id": interest_id if dbutil.ON_POSTGRES else interest_id.hex, "person": person.id
                     if dbutil.ON_POSTGRES else person.id.hex, "name": "St John's Trust",
                     "day": date(2020, 1, 1), "now": datetime.now(UTC)},
                )  # fmt: skip
        finally:
            await database.dispose()
        return interest_id

    async def _found_by_a_typo(self, url: str, interest_id: uuid.UUID) -> bool:
        database = Database(create_engine(url=url))
        try:
            async with database.session(write=False) as session:
                query = matcher.Query.of("St Jhons Trust")
                found = await matcher.search(session, query, date(2026, 1, 1), threshold=0.85)
                return [f.interest.id for f in found] == [interest_id]
        finally:
            await database.dispose()

    async def test_probity_migrate_rekeys_interests_stored_before_screening(
        self, tmp_path: Path, unmigrated_database: str
    ) -> None:
        url = unmigrated_database
        migrate(url, self.BEFORE_SCREENING)
        interest_id = await self._interest_stored_before_screening(url)

        result = run_probity("migrate", cwd=tmp_path, env=cli_env(PROBITY_DATABASE_URL=url))
        assert result.returncode == 0, result.stderr
        assert f"rekeyed 1 interests with key version {normalise.KEY_VERSION}" in result.stdout
        assert "1 organisation keys changed" in result.stdout
        assert await self._found_by_a_typo(url, interest_id)
        engine = create_sync_engine(sync_url(url))
        try:
            with engine.connect() as connection:
                key = connection.execute(text("SELECT organisation_key FROM interests")).scalar()
                version = connection.execute(text("SELECT key_version FROM name_key_state")).scalar()
                rekeyed = connection.execute(
                    text("SELECT count(*) FROM audit_events WHERE action = 'interests.rekeyed'")
                ).scalar()
        finally:
            engine.dispose()
        assert (key, version, rekeyed) == ("st johns trust", normalise.KEY_VERSION, 1)

        again = run_probity("migrate", cwd=tmp_path, env=cli_env(PROBITY_DATABASE_URL=url))
        assert again.returncode == 0, again.stderr
        assert "organisation keys are up to date" in again.stdout

    async def test_probity_rekey_makes_every_key_again(
        self, tmp_path: Path, unmigrated_database: str
    ) -> None:
        url = unmigrated_database
        migrate(url, self.BEFORE_SCREENING)
        interest_id = await self._interest_stored_before_screening(url)
        migrate(url, "head")  # Alembic alone: the keys stay as they were
        assert not await self._found_by_a_typo(url, interest_id)

        result = run_probity("rekey", cwd=tmp_path, env=cli_env(PROBITY_DATABASE_URL=url))
        assert result.returncode == 0, result.stderr
        assert "rekeyed 1 interests" in result.stdout
        assert await self._found_by_a_typo(url, interest_id)
