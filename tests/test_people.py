"""Schools, people and appointments: admin-only writes, unique emails, write-only passwords."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Role
from app.core import clock
from app.core.errors import NotFound
from app.core.schemas import SLUG_MAX
from app.people import schools as schools_service
from tests.factories import assert_problem


async def add_school(client: AsyncClient, admin: Any, name: str, **fields: str) -> dict[str, Any]:
    response = await client.post("/api/v1/schools", json={"name": name, **fields}, headers=admin.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


class TestSchools:
    async def test_the_admin_creates_a_school_and_everyone_reads_it(
        self, client: AsyncClient, caller
    ) -> None:
        admin, declarant = await caller(Role.GOVERNANCE_ADMIN), await caller()
        created = await client.post(
            "/api/v1/schools", json={"name": "Hillside Primary"}, headers=admin.headers
        )
        assert created.status_code == 201
        school = created.json()
        assert school["name"] == "Hillside Primary" and uuid.UUID(school["id"])
        listed = await client.get("/api/v1/schools", headers=declarant.headers)
        assert listed.status_code == 200
        assert school["id"] in [s["id"] for s in listed.json()["items"]]
        one = await client.get(f"/api/v1/schools/{school['id']}", headers=declarant.headers)
        assert one.json()["name"] == "Hillside Primary"

    async def test_a_declarant_may_not_create_a_school(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        response = await client.post("/api/v1/schools", json={"name": "Rogue"}, headers=declarant.headers)
        assert response.status_code == 403
        assert response.headers["content-type"] == "application/problem+json"

    async def test_school_names_are_unique(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        assert (
            await client.post("/api/v1/schools", json={"name": "Oak"}, headers=admin.headers)
        ).status_code == 201
        again = await client.post("/api/v1/schools", json={"name": "oak"}, headers=admin.headers)
        assert again.status_code == 409

    async def test_school_names_are_unique_whatever_their_case_beyond_ascii(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        first = await client.post(
            "/api/v1/schools", json={"name": "École Saint-Étienne"}, headers=admin.headers
        )
        assert first.status_code == 201
        again = await client.post(
            "/api/v1/schools", json={"name": "ÉCOLE SAINT-ÉTIENNE"}, headers=admin.headers
        )
        assert again.status_code == 409

    async def test_an_unknown_school_is_a_404(self, client: AsyncClient, caller) -> None:
        declarant = await caller()
        response = await client.get(f"/api/v1/schools/{uuid.uuid4()}", headers=declarant.headers)
        assert response.status_code == 404


class TestCreatePerson:
    async def test_required_fields_and_defaults(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.post(
            "/api/v1/people", json={"email": "Ann@Trust.test", "full_name": "Ann Able"}, headers=admin.headers
        )
        assert response.status_code == 201
        person = response.json()
        assert person["email"] == "Ann@Trust.test"
        assert person["roles"] == [] and person["governance_roles"] == []
        assert person["active"] is True and person["school_id"] is None and person["job_title"] is None

    async def test_the_password_is_write_only(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"email": "pw@trust.test", "full_name": "P W", "password": "twelve chars!"}
        response = await client.post("/api/v1/people", json=body, headers=admin.headers)
        assert response.status_code == 201
        assert "password" not in response.json() and "password_hash" not in response.json()
        fetched = await client.get(f"/api/v1/people/{response.json()['id']}", headers=admin.headers)
        assert "password" not in fetched.text and "argon2" not in fetched.text
        trail = await client.get(
            "/api/v1/audit-events", params={"entity_id": response.json()["id"]}, headers=admin.headers
        )
        assert "twelve chars!" not in trail.text and "argon2" not in trail.text

    async def test_a_password_shorter_than_12_characters_is_refused(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"email": "short@trust.test", "full_name": "S", "password": "eleven char"}
        response = await client.post("/api/v1/people", json=body, headers=admin.headers)
        assert response.status_code == 422
        assert any(e["loc"][-1] == "password" for e in response.json()["errors"])

    async def test_emails_are_unique_case_insensitively(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        first = await client.post(
            "/api/v1/people", json={"email": "dup@trust.test", "full_name": "One"}, headers=admin.headers
        )
        assert first.status_code == 201
        second = await client.post(
            "/api/v1/people", json={"email": "DUP@Trust.TEST", "full_name": "Two"}, headers=admin.headers
        )
        assert second.status_code == 409

    async def test_a_person_created_with_a_password_can_log_in(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"email": "login@trust.test", "full_name": "L", "password": "correct horse battery"}
        await client.post("/api/v1/people", json=body, headers=admin.headers)
        token = await client.post(
            "/api/v1/auth/token", data={"username": "LOGIN@trust.test", "password": "correct horse battery"}
        )
        assert token.status_code == 200
        me = await client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
        )
        assert me.json()["email"] == "login@trust.test"

    async def test_a_person_without_a_password_cannot_log_in(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        created = await client.post(
            "/api/v1/people", json={"email": "nopw@trust.test", "full_name": "N"}, headers=admin.headers
        )
        assert created.status_code == 201, created.text
        token = await client.post(
            "/api/v1/auth/token", data={"username": "nopw@trust.test", "password": "x" * 12}
        )
        assert token.status_code == 401

    async def test_governance_roles_open_appointments_from_today(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"email": "gov@trust.test", "full_name": "G", "governance_roles": ["trustee", "member"]}
        person = (await client.post("/api/v1/people", json=body, headers=admin.headers)).json()
        assert person["governance_roles"] == ["member", "trustee"]
        appointments = await client.get(f"/api/v1/people/{person['id']}/appointments", headers=admin.headers)
        items = appointments.json()["items"]
        assert {a["governance_role"] for a in items} == {"trustee", "member"}
        assert all(
            a["appointed_on"] == clock.today().isoformat() and a["stepped_down_on"] is None for a in items
        )

    async def test_an_unknown_school_is_a_422(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"email": "s@trust.test", "full_name": "S", "school_id": str(uuid.uuid4())}
        assert (await client.post("/api/v1/people", json=body, headers=admin.headers)).status_code == 422

    @pytest.mark.parametrize(
        "extra",
        [
            {"id": str(uuid.uuid4())},
            {"created_at": "2026-01-01T00:00:00Z"},
            {"password_hash": "x"},
            {"status": "ok"},
        ],
    )
    async def test_server_owned_and_unknown_fields_are_refused(
        self, client: AsyncClient, caller, extra
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"email": "ro@trust.test", "full_name": "R", **extra}
        assert (await client.post("/api/v1/people", json=body, headers=admin.headers)).status_code == 422

    @pytest.mark.parametrize("role", [Role.CEO, Role.AUDITOR, Role.FINANCE_DIRECTOR, None])
    async def test_only_the_admin_creates_people(self, client: AsyncClient, caller, role) -> None:
        other = await caller(role) if role else await caller()
        body = {"email": "x@trust.test", "full_name": "X"}
        assert (await client.post("/api/v1/people", json=body, headers=other.headers)).status_code == 403

    async def test_creating_a_person_is_audited(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = (
            await client.post(
                "/api/v1/people", json={"email": "a@trust.test", "full_name": "A"}, headers=admin.headers
            )
        ).json()
        events = (
            await client.get(
                "/api/v1/audit-events",
                params={"entity_type": "person", "entity_id": person["id"]},
                headers=admin.headers,
            )
        ).json()["items"]
        assert [e["action"] for e in events] == ["person.created"]
        assert events[0]["actor_id"] == str(admin.id) and events[0]["after"]["email"] == "a@trust.test"


class TestReadingPeople:
    async def test_a_declarant_sees_only_themselves(self, client: AsyncClient, caller) -> None:
        alice, bob = await caller(), await caller()
        assert (await client.get(f"/api/v1/people/{alice.id}", headers=alice.headers)).status_code == 200
        assert (await client.get(f"/api/v1/people/{bob.id}", headers=alice.headers)).status_code == 404
        listed = (await client.get("/api/v1/people", headers=alice.headers)).json()
        assert [p["id"] for p in listed["items"]] == [str(alice.id)] and listed["total"] == 1
        assert (
            await client.get(f"/api/v1/people/{bob.id}/appointments", headers=alice.headers)
        ).status_code == 404

    @pytest.mark.parametrize(
        "role",
        [Role.GOVERNANCE_ADMIN, Role.AUDITOR, Role.FINANCE_DIRECTOR, Role.HR_DIRECTOR, Role.CEO, Role.COO],
    )
    async def test_keepers_auditors_and_trust_wide_deciders_see_everyone(
        self, client: AsyncClient, caller, role
    ) -> None:
        reader, other = await caller(role), await caller()
        assert (await client.get(f"/api/v1/people/{other.id}", headers=reader.headers)).status_code == 200


class TestAHeadteacherSeesTheirOwnSchool:
    """Contract, "Who sees what": a headteacher sees the people of their own school (finding 9: they
    saw everyone in the trust, with emails and roles)."""

    async def _school(self, client: AsyncClient, admin_headers: dict[str, str], name: str) -> str:
        response = await client.post("/api/v1/schools", json={"name": name}, headers=admin_headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def test_their_own_schools_people_and_nobody_else(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        hillside = await self._school(client, admin.headers, "Hillside Primary")
        valley = await self._school(client, admin.headers, "Valley Academy")
        head = await caller(Role.HEADTEACHER, school_id=hillside)
        teacher = await caller(school_id=hillside)
        elsewhere = await caller(school_id=valley)
        central = await caller()
        assert (await client.get(f"/api/v1/people/{teacher.id}", headers=head.headers)).status_code == 200
        appointments = await client.get(f"/api/v1/people/{teacher.id}/appointments", headers=head.headers)
        assert appointments.status_code == 200
        for hidden in (elsewhere, central, admin):
            response = await client.get(f"/api/v1/people/{hidden.id}", headers=head.headers)
            assert response.status_code == 404
            listed = await client.get(f"/api/v1/people/{hidden.id}/appointments", headers=head.headers)
            assert listed.status_code == 404
        listed = await client.get("/api/v1/people", params={"limit": 200}, headers=head.headers)
        assert listed.status_code == 200
        assert {p["id"] for p in listed.json()["items"]} == {str(head.id), str(teacher.id)}
        assert listed.json()["total"] == 2
        other_school = await client.get("/api/v1/people", params={"school_id": valley}, headers=head.headers)
        assert other_school.status_code == 200 and other_school.json() == {"items": [], "total": 0}

    async def test_a_headteacher_with_no_school_sees_only_themselves(
        self, client: AsyncClient, caller
    ) -> None:
        head, someone = await caller(Role.HEADTEACHER), await caller()
        assert (await client.get(f"/api/v1/people/{someone.id}", headers=head.headers)).status_code == 404
        listed = await client.get("/api/v1/people", headers=head.headers)
        assert listed.status_code == 200
        assert [p["id"] for p in listed.json()["items"]] == [str(head.id)]

    async def test_filters_and_paging(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        auditor = await caller(Role.AUDITOR)
        found = (await client.get("/api/v1/people", params={"role": "auditor"}, headers=admin.headers)).json()
        assert str(auditor.id) in [p["id"] for p in found["items"]]
        assert all("auditor" in p["roles"] for p in found["items"])
        by_email = await client.get(
            "/api/v1/people", params={"email": auditor.person.email.upper()}, headers=admin.headers
        )
        assert [p["id"] for p in by_email.json()["items"]] == [str(auditor.id)]
        page = (
            await client.get("/api/v1/people", params={"limit": 1, "offset": 1}, headers=admin.headers)
        ).json()
        assert len(page["items"]) == 1 and page["total"] >= 2

    @pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": "x"}])
    async def test_paging_out_of_range_is_a_422_not_clamped(
        self, client: AsyncClient, caller, params
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.get("/api/v1/people", params=params, headers=admin.headers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"


class TestUpdatePerson:
    async def test_only_sent_fields_change(self, client: AsyncClient, caller) -> None:
        admin, person = await caller(Role.GOVERNANCE_ADMIN), await caller()
        response = await client.patch(
            f"/api/v1/people/{person.id}", json={"job_title": "Bursar"}, headers=admin.headers
        )
        assert response.status_code == 200
        assert (
            response.json()["job_title"] == "Bursar"
            and response.json()["full_name"] == person.person.full_name
        )

    async def test_nobody_changes_their_own_roles_not_even_the_admin(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.patch(
            f"/api/v1/people/{admin.id}",
            json={"roles": ["governance_admin", "auditor"]},
            headers=admin.headers,
        )
        assert response.status_code == 403
        dropped = await client.patch(f"/api/v1/people/{admin.id}", json={"roles": []}, headers=admin.headers)
        assert dropped.status_code == 403

    async def test_the_admin_changes_someone_elses_roles(self, client: AsyncClient, caller) -> None:
        admin, person = await caller(Role.GOVERNANCE_ADMIN), await caller()
        response = await client.patch(
            f"/api/v1/people/{person.id}", json={"roles": ["coo"]}, headers=admin.headers
        )
        assert response.status_code == 200 and response.json()["roles"] == ["coo"]
        me = await client.get("/api/v1/me", headers=person.headers)
        assert me.json()["roles"] == ["coo"]

    async def test_a_deactivated_persons_access_ends_at_once(self, client: AsyncClient, caller) -> None:
        admin, person = await caller(Role.GOVERNANCE_ADMIN), await caller()
        assert (await client.get("/api/v1/me", headers=person.headers)).status_code == 200
        await client.patch(f"/api/v1/people/{person.id}", json={"active": False}, headers=admin.headers)
        response = await client.get("/api/v1/me", headers=person.headers)
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        login = await client.post(
            "/api/v1/auth/token",
            data={"username": person.person.email, "password": "a perfectly long password"},
        )
        assert login.status_code == 401

    async def test_a_duplicate_email_on_update_is_a_409(self, client: AsyncClient, caller) -> None:
        admin, one, two = await caller(Role.GOVERNANCE_ADMIN), await caller(), await caller()
        response = await client.patch(
            f"/api/v1/people/{two.id}", json={"email": one.person.email.upper()}, headers=admin.headers
        )
        assert response.status_code == 409

    async def test_required_fields_cannot_be_nulled(self, client: AsyncClient, caller) -> None:
        admin, person = await caller(Role.GOVERNANCE_ADMIN), await caller()
        response = await client.patch(
            f"/api/v1/people/{person.id}", json={"full_name": None}, headers=admin.headers
        )
        assert response.status_code == 422

    async def test_changing_governance_roles_steps_down_and_appoints(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await caller(governance_roles=("trustee",))
        response = await client.patch(
            f"/api/v1/people/{person.id}", json={"governance_roles": ["member"]}, headers=admin.headers
        )
        assert response.json()["governance_roles"] == ["member"]
        items = (await client.get(f"/api/v1/people/{person.id}/appointments", headers=admin.headers)).json()[
            "items"
        ]
        trustee = next(a for a in items if a["governance_role"] == "trustee")
        assert trustee["stepped_down_on"] == clock.today().isoformat()

    async def test_updates_are_audited_with_before_and_after(self, client: AsyncClient, caller) -> None:
        admin, person = await caller(Role.GOVERNANCE_ADMIN), await caller()
        await client.patch(
            f"/api/v1/people/{person.id}", json={"full_name": "New Name"}, headers=admin.headers
        )
        events = (
            await client.get(
                "/api/v1/audit-events",
                params={"entity_id": str(person.id), "action": "person.updated"},
                headers=admin.headers,
            )
        ).json()["items"]
        assert events[-1]["before"]["full_name"] == person.person.full_name
        assert events[-1]["after"]["full_name"] == "New Name"


class TestAppointments:
    async def test_the_admin_appoints_and_records_a_stepping_down(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await caller(school_id=(await add_school(client, admin, "Hillside Primary"))["id"])
        body = {
            "governance_role": "local_governor",
            "body": "Hillside LGB",
            "appointed_by": "Trust board",
            "appointed_on": "2025-09-01",
            "term_ends_on": "2029-08-31",
        }
        created = await client.post(
            f"/api/v1/people/{person.id}/appointments", json=body, headers=admin.headers
        )
        assert created.status_code == 201
        appointment = created.json()
        assert appointment["person_id"] == str(person.id) and appointment["body"] == "Hillside LGB"
        assert (await client.get("/api/v1/me", headers=person.headers)).json()["governance_roles"] == [
            "local_governor"
        ]
        yesterday = (clock.today() - timedelta(days=1)).isoformat()
        stepped = await client.patch(
            f"/api/v1/appointments/{appointment['id']}",
            json={"stepped_down_on": yesterday},
            headers=admin.headers,
        )
        assert stepped.status_code == 200 and stepped.json()["stepped_down_on"] == yesterday
        assert (await client.get("/api/v1/me", headers=person.headers)).json()["governance_roles"] == []

    async def test_dates_may_not_run_backwards(self, client: AsyncClient, caller) -> None:
        admin, person = await caller(Role.GOVERNANCE_ADMIN), await caller()
        body = {"governance_role": "trustee", "appointed_on": "2025-09-01", "term_ends_on": "2025-08-31"}
        response = await client.post(
            f"/api/v1/people/{person.id}/appointments", json=body, headers=admin.headers
        )
        assert response.status_code == 422

    async def test_a_future_appointment_is_not_yet_held(
        self, client: AsyncClient, caller, fixed_clock
    ) -> None:
        start = clock.now()
        fixed_clock(start)
        admin, person = await caller(Role.GOVERNANCE_ADMIN), await caller()
        later = clock.today() + timedelta(days=30)
        created = await client.post(
            f"/api/v1/people/{person.id}/appointments",
            json={"governance_role": "member", "appointed_on": later.isoformat()},
            headers=admin.headers,
        )
        assert created.status_code == 201, created.text
        assert created.json()["appointed_on"] == later.isoformat()
        me = await client.get("/api/v1/me", headers=person.headers)
        assert me.status_code == 200 and me.json()["governance_roles"] == []
        # The control: on the day of the appointment it is held.
        fixed_clock(start + timedelta(days=30))
        me = await client.get("/api/v1/me", headers=person.headers)
        assert me.status_code == 200 and me.json()["governance_roles"] == ["member"]

    async def test_a_declarant_may_not_appoint_themselves(self, client: AsyncClient, caller) -> None:
        person = await caller()
        response = await client.post(
            f"/api/v1/people/{person.id}/appointments",
            json={"governance_role": "trustee"},
            headers=person.headers,
        )
        assert response.status_code == 403

    async def test_an_unknown_appointment_is_a_404(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.patch(
            f"/api/v1/appointments/{uuid.uuid4()}", json={"body": "x"}, headers=admin.headers
        )
        assert response.status_code == 404


class TestARefusedRequestChangesNothing:
    async def test_a_patch_refused_halfway_leaves_the_person_as_they_were(
        self, client: AsyncClient, caller
    ) -> None:
        admin, person = await caller(Role.GOVERNANCE_ADMIN), await caller()
        body = {
            "email": "renamed@trust.test",
            "school_id": str(uuid.uuid4()),
        }  # the email applies, the school fails
        refused = await client.patch(f"/api/v1/people/{person.id}", json=body, headers=admin.headers)
        assert refused.status_code == 422
        after = await client.get(f"/api/v1/people/{person.id}", headers=admin.headers)
        assert after.json()["email"] == person.person.email
        events = await client.get(
            "/api/v1/audit-events",
            params={"entity_id": str(person.id), "action": "person.updated"},
            headers=admin.headers,
        )
        assert events.json()["total"] == 0


class TestKeysLongerThanTheirNames:
    async def test_a_school_name_that_folds_longer_is_accepted(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        name = "ﬃ" * 200  # casefold makes each one three letters
        assert (
            await client.post("/api/v1/schools", json={"name": name}, headers=admin.headers)
        ).status_code == 201
        again = await client.post("/api/v1/schools", json={"name": name}, headers=admin.headers)
        assert again.status_code == 409

    async def test_an_appointment_body_may_name_the_person_in_the_path(
        self, client: AsyncClient, caller
    ) -> None:
        admin, person, other = await caller(Role.GOVERNANCE_ADMIN), await caller(), await caller()
        url = f"/api/v1/people/{person.id}/appointments"
        same = await client.post(
            url, json={"person_id": str(person.id), "governance_role": "trustee"}, headers=admin.headers
        )
        assert same.status_code == 201 and same.json()["person_id"] == str(person.id)
        wrong = await client.post(
            url, json={"person_id": str(other.id), "governance_role": "trustee"}, headers=admin.headers
        )
        assert wrong.status_code == 422


class TestSlugs:
    @pytest.mark.parametrize(
        ("name", "slug"),
        [
            ("Hillside Primary", "hillside-primary"),
            ("École Saint-Étienne", "ecole-saint-etienne"),
            ("St. Mary's C of E (VA) -- Infants", "st-mary-s-c-of-e-va-infants"),
            ("ﬃ Academy", "ffi-academy"),
            ("学校", "school"),
            ("!!!", "school"),
            ("word " * 30, "-".join(["word"] * 16)),  # cut at a hyphen: 79 characters, not a broken word
            ("x" * 100, "x" * SLUG_MAX),  # no hyphen to cut at
        ],
    )
    def test_slugify(self, name: str, slug: str) -> None:
        assert schools_service.slugify(name) == slug

    async def test_a_slug_is_derived_from_the_name_and_shown_everywhere(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        school = await add_school(client, admin, "École Saint-Étienne")
        assert school["slug"] == "ecole-saint-etienne"
        one = await client.get(f"/api/v1/schools/{school['id']}", headers=admin.headers)
        assert one.status_code == 200 and one.json()["slug"] == "ecole-saint-etienne"
        listed = await client.get("/api/v1/schools", params={"limit": 200}, headers=admin.headers)
        assert listed.status_code == 200
        assert {s["id"]: s["slug"] for s in listed.json()["items"]}[school["id"]] == "ecole-saint-etienne"

    async def test_names_that_give_a_taken_slug_are_numbered(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        slugs = [
            (await add_school(client, admin, name))["slug"] for name in ("Oak", "Oak!", "O.A.K.", "Oak?")
        ]
        assert slugs == ["oak", "oak-2", "o-a-k", "oak-3"]

    async def test_an_explicit_slug_is_kept_and_a_taken_one_is_a_409(
        self, client: AsyncClient, caller, session: AsyncSession
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        school = await add_school(client, admin, "Hillside Primary Academy", slug="hillside")
        assert school["slug"] == "hillside"
        found = await schools_service.get_school_by_slug(session, "hillside")
        assert str(found.id) == school["id"]
        with pytest.raises(NotFound):
            await schools_service.get_school_by_slug(session, "hillside-primary-academy")
        taken = await client.post(
            "/api/v1/schools", json={"name": "Hill Side", "slug": "hillside"}, headers=admin.headers
        )
        assert_problem(taken, 409)
        # A derived slug steps round an explicit one.
        assert (await add_school(client, admin, "Hillside"))["slug"] == "hillside-2"

    async def test_a_slug_out_of_the_pattern_is_a_422(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        for slug in (
            "Hillside",
            "hill--side",
            "-hillside",
            "hill_side",
            "hill side",
            "",
            "x" * (SLUG_MAX + 1),
        ):
            response = await client.post(
                "/api/v1/schools", json={"name": "Hillside", "slug": slug}, headers=admin.headers
            )
            assert_problem(response, 422)
            assert [e["loc"] for e in response.json()["errors"]] == [["body", "slug"]], slug


class TestUpdateSchool:
    async def test_renaming_keeps_the_slug_and_is_audited(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        school = await add_school(client, admin, "Hillside Primary")
        renamed = await client.patch(
            f"/api/v1/schools/{school['id']}", json={"name": "Hillside Academy"}, headers=admin.headers
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["name"] == "Hillside Academy" and renamed.json()["slug"] == "hillside-primary"
        moved = await client.patch(
            f"/api/v1/schools/{school['id']}", json={"slug": "hillside-academy"}, headers=admin.headers
        )
        assert moved.status_code == 200 and moved.json()["slug"] == "hillside-academy"
        trail = await client.get(
            "/api/v1/audit-events",
            params={"entity_id": school["id"], "action": "school.updated"},
            headers=admin.headers,
        )
        assert trail.status_code == 200
        assert [(e["before"], e["after"]) for e in trail.json()["items"]] == [
            ({"name": "Hillside Primary", "slug": "hillside-primary"},
             {"name": "Hillside Academy", "slug": "hillside-primary"}),
            ({"name": "Hillside Academy", "slug": "hillside-primary"},
             {"name": "Hillside Academy", "slug": "hillside-academy"}),
        ]  # fmt: skip
        assert trail.json()["items"][0]["actor_id"] == str(admin.id)

    async def test_an_unchanged_patch_is_not_audited(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        school = await add_school(client, admin, "Hillside Primary")
        for body in ({}, {"name": "Hillside Primary", "slug": "hillside-primary"}):
            same = await client.patch(f"/api/v1/schools/{school['id']}", json=body, headers=admin.headers)
            assert same.status_code == 200 and same.json() == school
        trail = await client.get(
            "/api/v1/audit-events", params={"entity_id": school["id"]}, headers=admin.headers
        )
        assert trail.status_code == 200
        assert [e["action"] for e in trail.json()["items"]] == ["school.created"]

    async def test_a_taken_name_or_slug_is_a_409(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        oak, elm = await add_school(client, admin, "Oak"), await add_school(client, admin, "Elm")
        url = f"/api/v1/schools/{elm['id']}"
        assert_problem(await client.patch(url, json={"name": "OAK"}, headers=admin.headers), 409)
        assert_problem(await client.patch(url, json={"slug": oak["slug"]}, headers=admin.headers), 409)
        own_case = await client.patch(url, json={"name": "ELM"}, headers=admin.headers)
        assert own_case.status_code == 200 and own_case.json()["name"] == "ELM"

    @pytest.mark.parametrize(
        "body", [{"name": None}, {"slug": None}, {"slug": "Elm"}, {"id": str(uuid.uuid4())}]
    )
    async def test_nulls_bad_slugs_and_unknown_fields_are_a_422(
        self, client: AsyncClient, caller, body
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        school = await add_school(client, admin, "Elm")
        response = await client.patch(f"/api/v1/schools/{school['id']}", json=body, headers=admin.headers)
        assert_problem(response, 422)

    async def test_an_unknown_school_is_a_404(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        response = await client.patch(
            f"/api/v1/schools/{uuid.uuid4()}", json={"name": "X"}, headers=admin.headers
        )
        assert_problem(response, 404)


NEEDS_SCHOOL = (
    "A local governor's appointment names its school: give school_id, or give the person a school first"
)


def refused_for_school_id(response: Response, says: str) -> None:
    assert_problem(response, 422)
    assert response.json()["errors"] == [{"loc": ["body", "school_id"], "msg": says}]


class TestAppointmentSchools:
    """A local governor's appointment names its school (given, else the person's); the trust-level
    roles name none; staff default to the person's school."""

    async def _appoint(self, client: AsyncClient, admin: Any, person_id: object, **body: Any) -> Response:
        return await client.post(f"/api/v1/people/{person_id}/appointments", json=body, headers=admin.headers)

    async def test_a_local_governor_names_the_school_given_else_the_persons(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        oak, elm = await add_school(client, admin, "Oak"), await add_school(client, admin, "Elm")
        person = await caller(school_id=oak["id"])
        given = await self._appoint(
            client, admin, person.id, governance_role="local_governor", school_id=elm["id"]
        )
        assert given.status_code == 201 and given.json()["school_id"] == elm["id"]
        defaulted = await self._appoint(client, admin, person.id, governance_role="local_governor")
        assert defaulted.status_code == 201 and defaulted.json()["school_id"] == oak["id"]
        staff = await self._appoint(client, admin, person.id, governance_role="staff")
        assert staff.status_code == 201 and staff.json()["school_id"] == oak["id"]

    async def test_a_local_governor_with_no_school_at_all_is_a_422(self, client: AsyncClient, caller) -> None:
        admin, person = await caller(Role.GOVERNANCE_ADMIN), await caller()
        refused_for_school_id(
            await self._appoint(client, admin, person.id, governance_role="local_governor"), NEEDS_SCHOOL
        )
        staff = await self._appoint(client, admin, person.id, governance_role="staff")
        assert staff.status_code == 201 and staff.json()["school_id"] is None

    @pytest.mark.parametrize("role", ["member", "trustee", "accounting_officer"])
    async def test_trust_level_roles_name_no_school(self, client: AsyncClient, caller, role: str) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        oak = await add_school(client, admin, "Oak")
        person = await caller(school_id=oak["id"])
        refused = await self._appoint(client, admin, person.id, governance_role=role, school_id=oak["id"])
        assert_problem(refused, 422)
        assert [e["loc"] for e in refused.json()["errors"]] == [["body", "school_id"]]
        plain = await self._appoint(client, admin, person.id, governance_role=role)
        assert plain.status_code == 201 and plain.json()["school_id"] is None

    async def test_an_unknown_school_is_a_422_as_on_a_person(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        person = await caller(school_id=(await add_school(client, admin, "Oak"))["id"])
        unknown = str(uuid.uuid4())
        on_person = await client.patch(
            f"/api/v1/people/{person.id}", json={"school_id": unknown}, headers=admin.headers
        )
        refused_for_school_id(on_person, "No such school")
        created = await self._appoint(
            client, admin, person.id, governance_role="local_governor", school_id=unknown
        )
        refused_for_school_id(created, "No such school")
        appointment = await self._appoint(client, admin, person.id, governance_role="local_governor")
        assert appointment.status_code == 201
        moved = await client.patch(
            f"/api/v1/appointments/{appointment.json()['id']}",
            json={"school_id": unknown},
            headers=admin.headers,
        )
        refused_for_school_id(moved, "No such school")

    async def test_a_patch_moves_a_local_governor_by_the_same_rule(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        oak, elm = await add_school(client, admin, "Oak"), await add_school(client, admin, "Elm")
        person = await caller(school_id=oak["id"])
        governor = (await self._appoint(client, admin, person.id, governance_role="local_governor")).json()
        trustee = await self._appoint(client, admin, person.id, governance_role="trustee")
        assert trustee.status_code == 201
        url = f"/api/v1/appointments/{governor['id']}"
        moved = await client.patch(url, json={"school_id": elm["id"]}, headers=admin.headers)
        assert moved.status_code == 200 and moved.json()["school_id"] == elm["id"]
        kept = await client.patch(url, json={"body": "Elm LGB"}, headers=admin.headers)
        assert kept.status_code == 200 and kept.json()["school_id"] == elm["id"]
        back = await client.patch(url, json={"school_id": None}, headers=admin.headers)
        assert back.status_code == 200 and back.json()["school_id"] == oak["id"]
        refused = await client.patch(
            f"/api/v1/appointments/{trustee.json()['id']}",
            json={"school_id": elm["id"]},
            headers=admin.headers,
        )
        assert_problem(refused, 422)
        trail = await client.get(
            "/api/v1/audit-events",
            params={"entity_id": governor["id"], "action": "appointment.updated"},
            headers=admin.headers,
        )
        assert trail.status_code == 200
        first = trail.json()["items"][0]
        assert (first["before"]["school_id"], first["after"]["school_id"]) == (oak["id"], elm["id"])

    async def test_a_patch_with_no_school_left_is_a_422(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        oak = await add_school(client, admin, "Oak")
        person = await caller(governance_roles=("local_governor",), school_id=oak["id"])
        cleared = await client.patch(
            f"/api/v1/people/{person.id}", json={"school_id": None}, headers=admin.headers
        )
        assert cleared.status_code == 200 and cleared.json()["school_id"] is None
        listed = await client.get(f"/api/v1/people/{person.id}/appointments", headers=admin.headers)
        assert listed.status_code == 200
        (appointment,) = listed.json()["items"]
        assert appointment["school_id"] == oak["id"], "changing a person's school leaves their appointments"
        refused = await client.patch(
            f"/api/v1/appointments/{appointment['id']}", json={"school_id": None}, headers=admin.headers
        )
        refused_for_school_id(refused, NEEDS_SCHOOL)


class TestGovernanceRolesShorthandSchools:
    async def test_creating_a_local_governor_opens_the_appointment_at_their_school(
        self, client: AsyncClient, caller
    ) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        oak = await add_school(client, admin, "Oak")
        body = {"email": "lg@trust.test", "full_name": "L G", "school_id": oak["id"],
                "governance_roles": ["local_governor", "trustee", "staff"]}  # fmt: skip
        created = await client.post("/api/v1/people", json=body, headers=admin.headers)
        assert created.status_code == 201, created.text
        listed = await client.get(
            f"/api/v1/people/{created.json()['id']}/appointments", headers=admin.headers
        )
        assert listed.status_code == 200
        assert {a["governance_role"]: a["school_id"] for a in listed.json()["items"]} == {
            "local_governor": oak["id"], "trustee": None, "staff": oak["id"],
        }  # fmt: skip

    async def test_a_local_governor_with_no_school_is_not_created(self, client: AsyncClient, caller) -> None:
        admin = await caller(Role.GOVERNANCE_ADMIN)
        body = {"email": "lg@trust.test", "full_name": "L G", "governance_roles": ["local_governor"]}
        refused_for_school_id(
            await client.post("/api/v1/people", json=body, headers=admin.headers), NEEDS_SCHOOL
        )
        found = await client.get("/api/v1/people", params={"email": "lg@trust.test"}, headers=admin.headers)
        assert found.status_code == 200 and found.json()["total"] == 0

    async def test_a_patch_making_a_local_governor_needs_a_school(self, client: AsyncClient, caller) -> None:
        admin, person = await caller(Role.GOVERNANCE_ADMIN), await caller(governance_roles=("trustee",))
        oak = await add_school(client, admin, "Oak")
        url = f"/api/v1/people/{person.id}"
        wanted = ["local_governor", "trustee"]
        refused_for_school_id(
            await client.patch(url, json={"governance_roles": wanted}, headers=admin.headers), NEEDS_SCHOOL
        )
        after_refusal = await client.get(url, headers=admin.headers)
        assert after_refusal.status_code == 200 and after_refusal.json()["governance_roles"] == ["trustee"]
        made = await client.patch(
            url, json={"governance_roles": wanted, "school_id": oak["id"]}, headers=admin.headers
        )
        assert made.status_code == 200 and made.json()["governance_roles"] == wanted
        listed = await client.get(f"{url}/appointments", headers=admin.headers)
        assert listed.status_code == 200
        assert {a["governance_role"]: a["school_id"] for a in listed.json()["items"]} == {
            "local_governor": oak["id"], "trustee": None,
        }  # fmt: skip
