"""People import from CSV: upsert by email, all or nothing, idempotent, with a report of every row."""

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from httpx import AsyncClient, Response

from app.auth.permissions import Role
from tests import dbutil
from tests.factories import assert_problem

IMPORT = "/api/v1/people/import"
HEADER = "email,full_name,school,job_title,governance_roles,roles\n"


# ---------------------------------------------------------------- helpers


async def upload(
    client: AsyncClient, caller_: Any, content: str | bytes, *, dry_run: bool = False
) -> Response:
    body = content.encode() if isinstance(content, str) else content
    return await client.post(
        IMPORT,
        files={"file": ("people.csv", body, "text/csv")},
        params={"dry_run": "true"} if dry_run else {},
        headers=caller_.headers if caller_ is not None else {},
    )


async def imported(client: AsyncClient, admin: Any, content: str, *, dry_run: bool = False) -> dict[str, Any]:
    response = await upload(client, admin, content, dry_run=dry_run)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def total(client: AsyncClient, admin: Any, url: str, **params: str) -> int:
    response = await client.get(url, params={"limit": 1, **params}, headers=admin.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


async def counts(client: AsyncClient, admin: Any) -> tuple[int, int, int]:
    """People, schools and audit events: what an import may change."""
    return (
        await total(client, admin, "/api/v1/people"),
        await total(client, admin, "/api/v1/schools"),
        await total(client, admin, "/api/v1/audit-events"),
    )


async def person_by_email(client: AsyncClient, admin: Any, email: str) -> dict[str, Any]:
    response = await client.get("/api/v1/people", params={"email": email}, headers=admin.headers)
    items = response.json()["items"]
    assert len(items) == 1, items
    return dict(items[0])


async def school_names(client: AsyncClient, admin: Any) -> list[str]:
    response = await client.get("/api/v1/schools", params={"limit": 200}, headers=admin.headers)
    return [s["name"] for s in response.json()["items"]]


def by_line(report: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {row["row"]: row for row in report["rows"]}


def error_lines(problem: dict[str, Any]) -> dict[int, str]:
    return {e["loc"][-1]: e["msg"] for e in problem["errors"]}


VALID = (
    HEADER
    + "ann.able@trust.test,Ann Able,Hillside Primary,Teacher,local_governor,\n"
    + "bob.baker@trust.test,Bob Baker,,Chair of the board,trustee;member,chair\n"
)


# ---------------------------------------------------------------- creating


class TestImportCreates:
    async def test_new_people_are_created_with_every_field(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        report = await imported(client, admin, VALID)
        assert report["valid"] is True and report["dry_run"] is False
        assert (report["created"], report["updated"], report["unchanged"], report["invalid"]) == (2, 0, 0, 0)
        assert [(r["row"], r["email"], r["action"]) for r in report["rows"]] == [
            (2, "ann.able@trust.test", "create"),
            (3, "bob.baker@trust.test", "create"),
        ]
        ann = await person_by_email(client, admin, "ann.able@trust.test")
        bob = await person_by_email(client, admin, "bob.baker@trust.test")
        assert ann["full_name"] == "Ann Able" and ann["job_title"] == "Teacher"
        assert ann["governance_roles"] == ["local_governor"] and ann["roles"] == []
        assert bob["governance_roles"] == ["member", "trustee"] and bob["roles"] == ["chair"]
        assert bob["school_id"] is None
        school = await client.get(f"/api/v1/schools/{ann['school_id']}", headers=admin.headers)
        assert school.json()["name"] == "Hillside Primary"

    async def test_schools_named_in_the_file_are_created_once_and_reported(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        existing = await client.post("/api/v1/schools", json={"name": "Oak Academy"}, headers=admin.headers)
        assert existing.status_code == 201
        content = (
            HEADER
            + "c1@trust.test,Cee One,Riverside School,,,\n"
            + "c2@trust.test,Cee Two,RIVERSIDE SCHOOL,,,\n"
            + "c3@trust.test,Cee Three,oak academy,,,\n"
        )
        report = await imported(client, admin, content)
        assert report["schools_created"] == ["Riverside School"]
        names = await school_names(client, admin)
        assert names.count("Riverside School") == 1 and "RIVERSIDE SCHOOL" not in names
        one = await person_by_email(client, admin, "c1@trust.test")
        two = await person_by_email(client, admin, "c2@trust.test")
        three = await person_by_email(client, admin, "c3@trust.test")
        assert one["school_id"] == two["school_id"] and three["school_id"] == existing.json()["id"]

    async def test_roles_may_be_written_as_words_and_separated_by_commas_or_bars(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        content = (
            HEADER + 'd@trust.test,Dee,Hillside Primary,,"Local governor|staff","HR director, auditor"\n'
        )
        await imported(client, admin, content)
        dee = await person_by_email(client, admin, "d@trust.test")
        assert dee["governance_roles"] == ["local_governor", "staff"]
        assert dee["roles"] == ["auditor", "hr_director"]

    async def test_only_email_and_full_name_are_required(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        report = await imported(client, admin, "Full_Name,EMAIL\nEve Example,eve@trust.test\n")
        assert report["created"] == 1
        eve = await person_by_email(client, admin, "eve@trust.test")
        assert eve["full_name"] == "Eve Example" and eve["roles"] == [] and eve["school_id"] is None

    async def test_a_byte_order_mark_and_blank_lines_are_accepted(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        content = "\ufeff" + HEADER + "\nf@trust.test,Eff,,,,\n\n"
        report = await imported(client, admin, content)
        assert [(r["row"], r["action"]) for r in report["rows"]] == [(3, "create")]


# ---------------------------------------------------------------- dry run


class TestDryRun:
    async def test_a_dry_run_reports_what_would_happen_and_changes_nothing(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        before = await counts(client, admin)
        report = await imported(client, admin, VALID, dry_run=True)
        assert report["dry_run"] is True and report["valid"] is True
        assert report["created"] == 2 and report["schools_created"] == ["Hillside Primary"]
        assert await counts(client, admin) == before
        assert "Hillside Primary" not in await school_names(client, admin)
        again = await imported(client, admin, VALID)
        assert again["created"] == 2, "the dry run must not have created anyone"

    async def test_a_dry_run_reports_every_rows_errors(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        content = (
            HEADER
            + "good@trust.test,Good Row,,,,\n"
            + "not-an-email,Bad Email,,,,\n"
            + f"two.errors@trust.test,{'N' * 201},,,wizard,\n"
            + "no.name@trust.test,,,,,pope\n"
        )
        before = await counts(client, admin)
        report = await imported(client, admin, content, dry_run=True)
        assert report["valid"] is False and report["invalid"] == 3 and report["created"] == 1
        rows = by_line(report)
        assert rows[2]["action"] == "create" and rows[2]["errors"] == []
        assert rows[3]["action"] == "error" and rows[3]["errors"][0].startswith("email:")
        assert rows[4]["action"] == "error" and len(rows[4]["errors"]) == 2
        assert any(e.startswith("full_name:") for e in rows[4]["errors"])
        assert any("wizard" in e for e in rows[4]["errors"])
        assert any(e.startswith("full_name:") for e in rows[5]["errors"])
        assert any("pope" in e for e in rows[5]["errors"])
        assert await counts(client, admin) == before


# ---------------------------------------------------------------- all or nothing


class TestAllOrNothing:
    async def test_one_invalid_row_and_nothing_is_imported(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        content = (
            HEADER
            + "first@trust.test,First,New School One,,trustee,\n"
            + "second@trust.test,Second,,,not_a_role,\n"
            + "third@trust.test,Third,,,member,\n"
        )
        before = await counts(client, admin)
        response = await upload(client, admin, content)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 422 and "nothing was imported" in problem["detail"]
        assert [e["loc"] for e in problem["errors"]] == [["file", 3]]
        assert "not_a_role" in problem["errors"][0]["msg"]
        assert await counts(client, admin) == before
        assert "New School One" not in await school_names(client, admin)

    async def test_an_invalid_update_keeps_the_valid_updates_from_happening(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await imported(client, admin, HEADER + "keep@trust.test,Kept Name,,,,\n")
        response = await upload(
            client, admin, HEADER + "keep@trust.test,Changed Name,,,,\nbroken,Broken,,,,\n"
        )
        assert response.status_code == 422
        assert (await person_by_email(client, admin, "keep@trust.test"))["full_name"] == "Kept Name"

    async def test_error_lines_count_blank_lines_and_cells_spanning_lines(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        content = (
            HEADER  # line 1
            + "a@trust.test,Aye,,,,\n"  # line 2
            + "\n"  # line 3
            + 'b@trust.test,Bee,,,"member;\ntrustee",\n'  # lines 4-5
            + "c@trust.test,Cee,,,unknown_role,\n"  # line 6
        )
        response = await upload(client, admin, content)
        assert response.status_code == 422
        assert list(error_lines(response.json())) == [6]

    async def test_a_duplicate_email_in_the_file_is_an_error(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        content = HEADER + "twin@trust.test,Twin One,,,,\nTWIN@Trust.Test,Twin Two,,,,\n"
        response = await upload(client, admin, content)
        assert response.status_code == 422
        errors = error_lines(response.json())
        assert list(errors) == [3] and "more than once" in errors[3]
        assert await total(client, admin, "/api/v1/people", email="twin@trust.test") == 0

    async def test_a_row_with_more_cells_than_the_header_is_an_error(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        # An unquoted comma in a name shifts every later cell: refused, not silently misread.
        content = "email,full_name,job_title\nshift@trust.test,Smith, John,Teacher\n"
        response = await upload(client, admin, content)
        assert response.status_code == 422
        assert "more cells" in error_lines(response.json())[2]


# ---------------------------------------------------------------- upsert


class TestUpsert:
    async def test_importing_the_same_file_twice_changes_nothing_the_second_time(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        first = await imported(client, admin, VALID)
        assert first["created"] == 2
        before = await counts(client, admin)
        second = await imported(client, admin, VALID)
        assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 2)
        assert second["schools_created"] == []
        assert all(r["action"] == "unchanged" and r["changes"] == [] for r in second["rows"])
        assert await counts(client, admin) == before, "no new people, schools or audit events"

    async def test_changed_fields_are_reported_as_an_update(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await imported(client, admin, VALID)
        changed = (
            HEADER
            + "ann.able@trust.test,Ann Able-Baker,Hillside Primary,Deputy head,trustee,hr_director\n"
            + "bob.baker@trust.test,Bob Baker,,Chair of the board,trustee;member,chair\n"
        )
        report = await imported(client, admin, changed)
        assert (report["created"], report["updated"], report["unchanged"]) == (0, 1, 1)
        rows = by_line(report)
        assert rows[2]["action"] == "update"
        assert rows[2]["changes"] == ["full_name", "governance_roles", "job_title", "roles"]
        assert rows[3]["action"] == "unchanged"
        ann = await person_by_email(client, admin, "ann.able@trust.test")
        assert ann["full_name"] == "Ann Able-Baker" and ann["job_title"] == "Deputy head"
        assert ann["roles"] == ["hr_director"] and ann["governance_roles"] == ["trustee"]
        appointments = await client.get(f"/api/v1/people/{ann['id']}/appointments", headers=admin.headers)
        held = {a["governance_role"]: a["stepped_down_on"] for a in appointments.json()["items"]}
        assert held["local_governor"] is not None and held["trustee"] is None
        trail = await client.get(
            "/api/v1/audit-events",
            params={"entity_id": ann["id"], "action": "person.updated"},
            headers=admin.headers,
        )
        assert trail.json()["total"] == 1
        # The trail keeps the person as the API shows them, before and after, as a PATCH would.
        event = trail.json()["items"][0]
        assert event["after"] == {
            **{name: value for name, value in ann.items() if name != "created_at"},
            "password_changed": False,
        }
        assert event["before"]["full_name"] == "Ann Able" and event["before"]["job_title"] == "Teacher"
        assert event["before"]["roles"] == [] and event["before"]["governance_roles"] == ["local_governor"]

    async def test_a_changed_school_is_reported_as_an_update(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await imported(client, admin, VALID)
        moved = HEADER + "ann.able@trust.test,Ann Able,Valley School,Teacher,local_governor,\n"
        report = await imported(client, admin, moved)
        assert report["rows"][0]["changes"] == ["school_id"] and report["schools_created"] == [
            "Valley School"
        ]
        ann = await person_by_email(client, admin, "ann.able@trust.test")
        school = await client.get(f"/api/v1/schools/{ann['school_id']}", headers=admin.headers)
        assert school.json()["name"] == "Valley School"

    async def test_people_are_matched_by_email_case_insensitively(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        created = await client.post(
            "/api/v1/people",
            json={"email": "Mixed.Case@Trust.test", "full_name": "Mixed Case"},
            headers=admin.headers,
        )
        assert created.status_code == 201
        before = await total(client, admin, "/api/v1/people")
        report = await imported(client, admin, HEADER + "mixed.case@TRUST.TEST,Mixed Case,,Clerk,,\n")
        assert report["rows"][0]["action"] == "update" and report["rows"][0]["changes"] == ["job_title"]
        assert await total(client, admin, "/api/v1/people") == before
        person = await person_by_email(client, admin, "mixed.case@trust.test")
        assert person["id"] == created.json()["id"] and person["job_title"] == "Clerk"

    async def test_columns_left_out_of_the_file_leave_those_fields_alone(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await imported(client, admin, VALID)
        report = await imported(client, admin, "email,full_name\nbob.baker@trust.test,Bob Baker\n")
        assert report["rows"][0]["action"] == "unchanged"
        bob = await person_by_email(client, admin, "bob.baker@trust.test")
        assert bob["roles"] == ["chair"] and bob["governance_roles"] == ["member", "trustee"]
        assert bob["job_title"] == "Chair of the board"


# ---------------------------------------------------------------- unusable files


class TestUnusableFiles:
    @pytest.mark.parametrize(
        ("content", "says"),
        [
            (b"email,full_name,favourite_colour\nx@trust.test,X,blue\n", "favourite_colour"),
            (b"email,job_title\nx@trust.test,Teacher\n", "full_name"),
            (b"email,full_name,email\nx@trust.test,X,y@trust.test\n", "repeated"),
            ("email,full_name\nx@trust.test,Zo\u00eb\n".encode("latin-1"), "UTF-8"),
            (b"", "empty"),
        ],
        ids=["unknown-column", "missing-required-column", "repeated-column", "not-utf-8", "empty-file"],
    )
    async def test_a_file_that_cannot_be_read_is_a_422_and_changes_nothing(
        self, client: AsyncClient, caller, content: bytes, says: str
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        before = await counts(client, admin)
        for dry_run in (False, True):
            response = await upload(client, admin, content, dry_run=dry_run)
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"
            problem = response.json()
            assert says in problem["detail"]
            assert problem["errors"] == [{"loc": ["file"], "msg": problem["detail"]}]
        assert await counts(client, admin) == before

    async def test_no_file_is_a_422(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.post(IMPORT, data={"other": "x"}, headers=admin.headers)
        assert response.status_code == 422


# ---------------------------------------------------------------- who may import


class TestWhoMayImport:
    @pytest.mark.parametrize("roles", [(), (Role.AUDITOR,), (Role.HR_DIRECTOR,), (Role.CEO, Role.CHAIR)])
    async def test_only_the_governance_admin_may_import(
        self, client: AsyncClient, caller, roles: tuple[Role, ...]
    ) -> None:
        someone = await caller(*roles)
        admin = await caller(Role.GOVERNANCE_ADMIN)
        before = await counts(client, admin)
        for dry_run in (False, True):
            response = await upload(client, someone, VALID, dry_run=dry_run)
            assert response.status_code == 403
            assert response.headers["content-type"] == "application/problem+json"
        assert await counts(client, admin) == before

    async def test_an_anonymous_caller_gets_a_401(self, client: AsyncClient) -> None:
        response = await upload(client, None, VALID)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"

    async def test_the_admins_own_row_may_not_change_their_own_roles(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN, email="clerk.self@trust.test", full_name="Clerk Self")
        content = HEADER + "other@trust.test,Other,,,,\nCLERK.SELF@trust.test,Clerk Self,,,,auditor\n"
        response = await upload(client, admin, content)
        assert response.status_code == 422
        errors = error_lines(response.json())
        assert list(errors) == [3] and "own roles" in errors[3]
        me = await client.get("/api/v1/me", headers=admin.headers)
        assert me.json()["roles"] == ["governance_admin"]
        assert await total(client, admin, "/api/v1/people", email="other@trust.test") == 0

    async def test_the_admins_own_row_may_change_other_fields(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN, email="clerk.two@trust.test", full_name="Clerk Two")
        content = HEADER + "clerk.two@trust.test,Clerk Two,,Governance professional,,governance_admin\n"
        report = await imported(client, admin, content)
        assert report["rows"][0]["changes"] == ["job_title"]


# ---------------------------------------------------------------- the command line

PROBITY = str(Path(sys.executable).parent / "probity")
APP_ROOT = str(Path(__file__).resolve().parent.parent)


@pytest.fixture(scope="module")
def cli_database() -> Iterator[str]:
    url = dbutil.create_database()
    yield url
    dbutil.drop_database(url)


def probity(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROBITY, *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PROBITY_DATABASE_URL": database_url, "PYTHONPATH": APP_ROOT},
    )


def write(tmp_path: Path, content: str, name: str = "people.csv") -> str:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


class TestImportPeopleCommand:
    def test_imports_and_prints_a_json_report(self, cli_database: str, tmp_path: Path) -> None:
        file = write(tmp_path, HEADER + "cli.one@trust.test,Cli One,Cli School,,trustee,\n"
                     "cli.two@trust.test,Cli Two,,,member,\n")  # fmt: skip
        result = probity(cli_database, "import-people", file)
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["created"] == 2 and report["schools_created"] == ["Cli School"]
        again = probity(cli_database, "import-people", file)
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout)["unchanged"] == 2 and json.loads(again.stdout)["created"] == 0

    def test_a_dry_run_changes_nothing(self, cli_database: str, tmp_path: Path) -> None:
        file = write(tmp_path, HEADER + "cli.dry@trust.test,Cli Dry,Dry School,,,\n")
        dry = probity(cli_database, "import-people", "--dry-run", file)
        assert dry.returncode == 0, dry.stderr
        report = json.loads(dry.stdout)
        assert report["dry_run"] is True and report["created"] == 1
        real = probity(cli_database, "import-people", file)
        assert real.returncode == 0, real.stderr
        real_report = json.loads(real.stdout)
        assert real_report["created"] == 1 and real_report["schools_created"] == ["Dry School"]

    def test_an_invalid_file_exits_1_with_the_errors_on_stderr(
        self, cli_database: str, tmp_path: Path
    ) -> None:
        content = HEADER + "cli.valid@trust.test,Cli Valid,,,,\ncli.bad,Cli Bad,,,,\n"
        result = probity(cli_database, "import-people", write(tmp_path, content))
        assert result.returncode == 1
        assert result.stdout == ""
        assert "nothing was imported" in result.stderr and "line 3: email:" in result.stderr
        dry = probity(cli_database, "import-people", "--dry-run", write(tmp_path, content, "again.csv"))
        assert dry.returncode == 1
        report = json.loads(dry.stderr[dry.stderr.index("{\n") :])  # after the migration's log lines
        assert report["valid"] is False and report["invalid"] == 1
        fixed = probity(
            cli_database,
            "import-people",
            write(tmp_path, HEADER + "cli.valid@trust.test,Cli Valid,,,,\n", "fixed.csv"),
        )
        assert fixed.returncode == 0, fixed.stderr
        assert json.loads(fixed.stdout)["created"] == 1, "the rejected file must have created nobody"

    def test_an_unusable_file_is_explained(self, cli_database: str, tmp_path: Path) -> None:
        result = probity(cli_database, "import-people", write(tmp_path, "name,phone\nX,1\n"))
        assert result.returncode == 1
        assert "import-people: Columns must be" in result.stderr and "  line " not in result.stderr
        missing = probity(cli_database, "import-people", str(tmp_path / "absent.csv"))
        assert missing.returncode == 1 and "cannot read" in missing.stderr


class TestANewSchoolForSomeoneWithoutOne:
    async def test_the_person_is_moved_into_the_school_the_file_creates(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await imported(client, admin, "email,full_name\nno.school@trust.test,No School\n")
        report = await imported(
            client, admin, "email,full_name,school\nno.school@trust.test,No School,Brand New Academy\n"
        )
        assert report["updated"] == 1 and report["schools_created"] == ["Brand New Academy"]
        school_id = (await person_by_email(client, admin, "no.school@trust.test"))["school_id"]
        school = await client.get(f"/api/v1/schools/{school_id}", headers=admin.headers)
        assert school.json()["name"] == "Brand New Academy"


class TestLocalGovernorsSchools:
    """A local governor's appointment names its school, the one the row leaves the person in."""

    async def test_a_local_governor_with_no_school_is_a_row_error_and_nothing_is_written(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await imported(client, admin, HEADER + "nomad@trust.test,No Mad,,,trustee,\n")
        content = (
            HEADER
            + "fine@trust.test,Fine,New School,,local_governor,\n"
            + "lost@trust.test,Lost,,,local_governor;staff,\n"  # a new person with no school
            + "nomad@trust.test,No Mad,,,trustee;local_governor,\n"  # has none, and the row gives none
        )
        before = await counts(client, admin)
        report = await imported(client, admin, content, dry_run=True)
        assert report["valid"] is False and report["invalid"] == 2
        rows = by_line(report)
        assert rows[2]["action"] == "create" and rows[2]["errors"] == []
        assert (
            rows[3]["errors"]
            == rows[4]["errors"]
            == [
                "governance_roles: a local governor's appointment names its school: "
                "fill in the school column, or give the person a school first"
            ]
        )
        refused = await upload(client, admin, content)
        assert_problem(refused, 422)
        assert list(error_lines(refused.json())) == [3, 4]
        assert await counts(client, admin) == before

    async def test_local_governors_get_the_school_of_the_row_or_the_one_they_have(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        await imported(client, admin, HEADER + "stays@trust.test,Stays,Oak Academy,,staff,\n")
        content = (
            HEADER
            + "new@trust.test,New,Riverside School,,local_governor;trustee,\n"  # a school the file creates
            + "stays@trust.test,Stays,,,staff;local_governor,\n"  # keeps Oak Academy
        )
        report = await imported(client, admin, content)
        assert report["schools_created"] == ["Riverside School"]
        held = {
            "new@trust.test": {"local_governor", "trustee"},
            "stays@trust.test": {"staff", "local_governor"},
        }
        for email, slug in (("new@trust.test", "riverside-school"), ("stays@trust.test", "oak-academy")):
            person = await person_by_email(client, admin, email)
            found = await client.get(f"/api/v1/schools/{person['school_id']}", headers=admin.headers)
            assert found.status_code == 200 and found.json()["slug"] == slug
            listed = await client.get(f"/api/v1/people/{person['id']}/appointments", headers=admin.headers)
            assert listed.status_code == 200
            schools = {a["governance_role"]: a["school_id"] for a in listed.json()["items"]}
            # The trustee's appointment is the trust's; a local governor's and staff's, their school's.
            assert schools == {
                role: None if role == "trustee" else person["school_id"] for role in held[email]
            }
