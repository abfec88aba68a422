"""A client generated from the committed spec works: openapi-python-client builds one from
openapi/openapi.json, and the README's curl walk-through runs through its functions against the
app, in the test's rolled-back transaction."""

import csv
import importlib
import io
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from datetime import UTC, date, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.permissions import Role
from tests.factories import make_person

SPEC_FILE = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
PACKAGE = "probity_client"
BASE_URL = "http://testserver"
CLERK = ("clerk@trust.example", "correct horse battery staple")
TRUSTEE = ("tom.trustee@trust.example", "another long password")
# The day the README's dates were written for: the ended interest and the cycle's due date fit it.
README_DAY = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
PEOPLE_CSV = (
    "email,full_name,school,job_title,governance_roles,roles\n"
    "gina.gov@trust.example,Gina Governor,Hillside Primary,,local_governor,\n"
    "fred.fd@trust.example,Fred Finance,,Director of Finance and Governance,staff,finance_director\n"
)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package, generated once per run (no formatter hooks: they only cost time)."""
    root = tmp_path_factory.mktemp("generated-client")
    config = root / "config.yaml"
    config.write_text("post_hooks: []\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    command = [generator, "generate", "--path", SPEC_FILE, "--meta", "none", "--config", config]
    run = subprocess.run(
        [*map(str, command), "--output-path", str(root / PACKAGE)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = run.stdout + run.stderr
    # The generator leaves out, with a warning, whatever part of a spec it cannot read.
    assert run.returncode == 0 and "warning" not in output.lower(), output
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))
        for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
            del sys.modules[name]


class Api:
    """The generated functions by operation id (`api.create_person`), the models, and clients."""

    def __init__(self, package: ModuleType, app: FastAPI, clients: AsyncExitStack) -> None:
        self.models = importlib.import_module(f"{PACKAGE}.models")
        self.types = importlib.import_module(f"{PACKAGE}.types")
        self._package = package
        self._transport = httpx.ASGITransport(app=app)
        self._clients = clients
        self._modules = {
            path.stem: f"{PACKAGE}.api.{path.parent.name}.{path.stem}"
            for path in Path(package.__file__ or "").parent.glob("api/*/*.py")
            if path.stem != "__init__"
        }

    def __getattr__(self, operation_id: str) -> Any:
        return importlib.import_module(self._modules[operation_id]).asyncio_detailed

    async def client(self, token: str | None = None) -> Any:
        """The generated Client, or AuthenticatedClient with this bearer token, talking to the app."""
        args: dict[str, Any] = {"base_url": BASE_URL, "httpx_args": {"transport": self._transport}}
        if token is None:
            made = self._package.Client(**args)
        else:
            made = self._package.AuthenticatedClient(token=token, **args)
        return await self._clients.enter_async_context(made)


@pytest.fixture
async def api(generated: ModuleType, app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[Api]:
    """The generated client; the `client` fixture routes every request into the test's transaction."""
    async with AsyncExitStack() as clients:
        yield Api(generated, app, clients)


def ok(response: Any, status: int = 200) -> Any:
    """The parsed body of a response that must have this status."""
    assert response.status_code == status, response.content[:400]
    return response.parsed


async def sign_in(api: Any, anonymous: Any, email: str, password: str) -> Any:
    body = api.models.IssueTokenRequest(username=email, password=password)
    token = ok(await api.issue_token(client=anonymous, body=body))
    assert token.token_type == "bearer" and token.expires_in > 0
    return await api.client(token.access_token)


class TestTheReadmeWalkThrough:
    async def test_a_generated_client_runs_every_step(
        self, api: Any, session: AsyncSession, fixed_clock: Any
    ) -> None:
        fixed_clock(README_DAY)
        await make_person(
            session, Role.GOVERNANCE_ADMIN, email=CLERK[0], full_name="Clara Clerk", password=CLERK[1]
        )
        anonymous = await api.client()
        clerk = await sign_in(api, anonymous, *CLERK)
        me = ok(await api.get_me(client=clerk))
        assert me.email == CLERK[0] and [role.value for role in me.roles] == ["governance_admin"]

        school_id = await people_and_audit(api, clerk)
        trustee = await sign_in(api, anonymous, *TRUSTEE)
        assert ok(await api.get_me(client=trustee)).full_name == "Tom Trustee"
        await interests(api, trustee)
        await annual_declaration(api, clerk, trustee)
        await published_register(api, anonymous)
        await people_import(api, clerk, school_id)


async def people_and_audit(api: Any, clerk: Any) -> Any:
    """Steps 3 to 7: a school, a trustee who can sign in, a headteacher, and the audit trail."""
    m = api.models
    school = ok(await api.create_school(client=clerk, body=m.SchoolCreate(name="Hillside Primary")), 201)
    trustee = m.PersonCreate(
        email=TRUSTEE[0], full_name="Tom Trustee", school_id=school.id,
        governance_roles=[m.GovernanceRole.TRUSTEE], password=TRUSTEE[1],
    )  # fmt: skip
    tom = ok(await api.create_person(client=clerk, body=trustee), 201)
    assert [role.value for role in tom.governance_roles] == ["trustee"]
    head = m.PersonCreate(
        email="hana.head@trust.example", full_name="Hana Head", school_id=school.id,
        job_title="Headteacher", roles=[m.Role.HEADTEACHER], governance_roles=[m.GovernanceRole.STAFF],
    )  # fmt: skip
    ok(await api.create_person(client=clerk, body=head), 201)
    people = ok(await api.list_people(client=clerk, limit=10))
    assert {"Clara Clerk", "Tom Trustee", "Hana Head"} <= {p.full_name for p in people.items}

    events = ok(await api.list_audit_events(client=clerk, entity_type="person"))
    assert events.total >= 2 and {e.entity_id for e in events.items} >= {str(tom.id)}
    verification = ok(await api.verify_audit_trail(client=clerk))
    assert verification.valid is True and verification.first_bad_seq is None
    checkpoint = ok(await api.get_audit_checkpoint(client=clerk))
    assert checkpoint.seq >= events.total and len(checkpoint.hash_) == 64
    return school.id


async def interests(api: Any, trustee: Any) -> None:
    """Steps 8 and 9: two interests declared, an old one ended with a date and another with no body."""
    m = api.models
    directorship = m.InterestCreate(
        category=m.InterestCategory.DIRECTORSHIP, organisation_name="Acme Widgets Ltd",
        company_number="1234567", start_date=date(2021, 4, 1),
    )  # fmt: skip
    assert ok(await api.declare_interest(client=trustee, body=directorship), 201).company_number == "01234567"
    wife = m.InterestCreate(
        category=m.InterestCategory.EMPLOYMENT, holder=m.Holder.SPOUSE_PARTNER, holder_name="Sue Trustee",
        relationship="wife", organisation_name="Hillside Catering Ltd", description="Head chef", private=True,
    )  # fmt: skip
    ok(await api.declare_interest(client=trustee, body=wife), 201)
    for organisation, start in (("Old Co PLC", date(2015, 3, 1)), ("Older Co PLC", date(2012, 1, 1))):
        old = m.InterestCreate(
            category=m.InterestCategory.SHAREHOLDING, organisation_name=organisation, start_date=start
        )
        created = ok(await api.declare_interest(client=trustee, body=old), 201)
        if organisation == "Old Co PLC":
            body = m.InterestEnd(end_date=date(2026, 10, 31))
            ended = ok(await api.end_interest(created.id, client=trustee, body=body))
            assert ended.end_date == date(2026, 10, 31)
        else:  # no body at all: it ends today
            assert ok(await api.end_interest(created.id, client=trustee)).end_date == README_DAY.date()
    listed = ok(await api.list_interests(client=trustee, ended=False))
    assert sorted(i.organisation_name for i in listed.items) == ["Acme Widgets Ltd", "Hillside Catering Ltd"]


async def annual_declaration(api: Any, clerk: Any, trustee: Any) -> None:
    """Steps 10 and 11: the cycle, the trustee's declaration, and who is outstanding (JSON and CSV)."""
    m = api.models
    roles = [m.GovernanceRole(r) for r in ("member", "trustee", "local_governor", "accounting_officer")]
    opened = m.CycleCreate(
        name="Annual declarations 2026/27", due_on=date(2026, 12, 31), governance_roles=roles
    )
    cycle = ok(await api.open_cycle(client=clerk, body=opened), 201)
    submission = m.DeclarationCreate(cycle_id=cycle.id, nil_return=False, code_of_conduct_accepted=True)
    declaration = ok(await api.submit_declaration(client=trustee, body=submission), 201)
    assert len(declaration.interests) == 2

    status = ok(await api.get_cycle_status(cycle.id, client=clerk))
    assert [(i.full_name, i.status.value) for i in status.items] == [("Tom Trustee", "submitted")]
    outstanding = ok(
        await api.get_cycle_status(cycle.id, client=clerk, status=m.DeclarationState.OUTSTANDING)
    )
    assert outstanding.total == 0 and outstanding.items == []
    download = ok(await api.get_cycle_status_csv(cycle.id, client=clerk))
    rows = list(csv.DictReader(io.StringIO(download)))
    assert [(r["full_name"], r["status"], r["declaration_id"]) for r in rows] == [
        ("Tom Trustee", "submitted", str(declaration.id))
    ]


async def published_register(api: Any, anonymous: Any) -> None:
    """Step 12: the published register as JSON and CSV, with no login; never the wife's name."""
    register = ok(await api.get_public_register(client=anonymous))
    assert register.as_of == README_DAY.date() and register.total == 1
    (tom,) = register.items
    assert tom.full_name == "Tom Trustee" and [a.governance_role.value for a in tom.appointments] == [
        "trustee"
    ]
    published = {(i.organisation_name, i.holder.value, i.description) for i in tom.interests}
    assert published == {
        ("Acme Widgets Ltd", "self", None),
        ("Hillside Catering Ltd", "spouse_partner", None),  # private: no description
    }
    download = ok(await api.get_public_register_csv(client=anonymous))
    rows = list(csv.DictReader(io.StringIO(download)))
    assert sorted(r["organisation_name"] for r in rows) == ["Acme Widgets Ltd", "Hillside Catering Ltd"]
    assert "Sue Trustee" not in download and "Head chef" not in download


async def people_import(api: Any, clerk: Any, school_id: Any) -> None:
    """The people import, sending a file: a dry run first changes nothing, then the real one."""
    m, types = api.models, api.types

    def upload() -> Any:
        payload = types.File(
            payload=io.BytesIO(PEOPLE_CSV.encode()), file_name="people.csv", mime_type="text/csv"
        )
        return m.ImportPeopleRequest(file=payload)

    dry = ok(await api.import_people(client=clerk, body=upload(), dry_run=True))
    assert dry.dry_run is True and dry.valid is True and dry.created == 2
    assert ok(await api.list_people(client=clerk, email="gina.gov@trust.example")).total == 0
    done = ok(await api.import_people(client=clerk, body=upload()))
    assert done.dry_run is False and (done.created, done.invalid, done.schools_created) == (2, 0, [])
    gina = ok(await api.list_people(client=clerk, email="gina.gov@trust.example")).items
    assert [(p.full_name, p.school_id) for p in gina] == [("Gina Governor", school_id)]
