"""The `probity` command: serve, worker, send-reminders, migrate, rekey, create-admin, import-people,
backup, restore, openapi. No business rules here."""

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

import app as app_package
from app.core.migrations import alembic_config, migrate, migrations_path
from app.core.settings import ConfigurationError, get_settings, refuse_development_keys_beyond_loopback

PROJECT_ROOT = Path(app_package.__file__).resolve().parent.parent
# Re-exported: tests and benchmarks migrate their databases through the command module.
__all__ = ["alembic_config", "main", "migrate", "migrations_path"]


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    refuse_development_keys_beyond_loopback(get_settings(), args.host)
    migrate()
    _rekey(force=False)
    uvicorn.run(
        "app.main:create_app" if args.no_worker else "app.main:create_served_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # The app reads X-Forwarded-For itself, from PROBITY_TRUSTED_PROXIES only (uvicorn's own
        # handling would trust 127.0.0.1, or FORWARDED_ALLOW_IPS, behind our back).
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    migrate()
    return asyncio.run(_run_worker(once=args.once))


async def _run_worker(*, once: bool) -> int:
    """The sender until interrupted (or one round, with --once: today's reminders, then what is due)."""
    import signal

    from app.core.db import get_database
    from app.notifications.worker import Worker

    worker = Worker()
    try:
        if once:
            print(f"sent {await worker.step()} notifications")
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await worker.run(stop)
        return 0
    finally:
        await get_database().dispose()


def _send_reminders(_args: argparse.Namespace) -> int:
    migrate()
    print(f"queued {asyncio.run(_run_reminders())} declaration reminders")
    return 0


async def _run_reminders() -> int:
    """Today's reminders into the outbox (idempotent: nobody is reminded twice about a cycle in a day)."""
    from app.core.db import get_database, session_scope
    from app.notifications import reminders

    try:
        async with session_scope() as session:
            return await reminders.send_reminders(session)
    finally:
        await get_database().dispose()


def _create_admin(args: argparse.Namespace) -> int:
    from app.people.admin import create_admin

    if not args.password_stdin:
        print("create-admin: pass --password-stdin and the password on standard input", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\r\n")
    migrate()
    error = asyncio.run(create_admin(args.email, args.full_name, password))
    if error:
        print(f"create-admin: {error}", file=sys.stderr)
        return 1
    print(f"created governance_admin {args.email}")
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from app.main import create_app

    default = PROJECT_ROOT if (PROJECT_ROOT / "pyproject.toml").exists() else Path.cwd()
    target = Path(args.output) if args.output else default / "openapi" / "openapi.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_spec(create_app().openapi()))
    print(f"wrote {target}")
    return 0


def render_spec(spec: dict[str, object]) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def _import_people(args: argparse.Namespace) -> int:
    from app.people.admin import import_people_file

    try:
        content = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"import-people: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    migrate()
    ok, message = asyncio.run(import_people_file(content, dry_run=args.dry_run))
    print(message, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


def _backup(args: argparse.Namespace) -> int:
    from app.core.backup import BackupRefused, backup

    try:
        print(backup(Path(args.file).expanduser().resolve()))
    except BackupRefused as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    return 0


def _restore(args: argparse.Namespace) -> int:
    from app.core.backup import BackupRefused, restore

    try:
        print(restore(Path(args.file).expanduser().resolve(), force=args.force))
    except BackupRefused as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return 1
    return asyncio.run(_check_restored_trail())


async def _check_restored_trail() -> int:
    """The audit key is never in a backup: a restore checked with another key fails here, at once."""
    from app.audit import service as audit_service
    from app.core.db import get_database, session_scope

    try:
        async with session_scope(write=False) as session:
            result = await audit_service.verify(session)
            head = await audit_service.checkpoint(session)
    finally:
        await get_database().dispose()
    if not result.valid:
        print(
            f"restore: the audit trail does not verify from seq {result.first_bad_seq} with this "
            "PROBITY_AUDIT_KEY: is it the key the backup was made with?",
            file=sys.stderr,
        )
        return 3
    print(f"audit trail verified: {result.events_checked} events, the last seq {head.seq} hash {head.hash}")
    print("now check it against your newest kept checkpoint: GET /api/v1/audit-events/verify?checkpoint_seq=")
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    migrate()
    print("database is at the newest revision")
    _rekey(force=False)
    return 0


def _rekey(*, force: bool) -> None:
    """Organisation keys made again when app.interests.normalise changed (or always, with force)."""
    print(asyncio.run(_run_rekey(force)) or "organisation keys are up to date")


async def _run_rekey(force: bool) -> str | None:
    from app.conflicts import rekey
    from app.core.db import get_database, session_scope
    from app.main import wire_domains

    wire_domains()  # rekeying screens waiting hospitality requests again
    try:
        async with session_scope() as session:
            done = await (rekey.rekey(session) if force else rekey.rekey_if_stale(session))
    finally:
        await get_database().dispose()
    return None if done is None else str(done)


def _rekey_command(_args: argparse.Namespace) -> int:
    migrate()
    _rekey(force=True)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="probity", description="Probity: the register of interests.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply pending migrations, then serve HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--no-worker", action="store_true", help="do not send notifications here (run probity worker instead)"
    )
    serve.set_defaults(run=_serve)
    worker = commands.add_parser("worker", help="send email notifications and the daily reminders")
    worker.add_argument(
        "--once", action="store_true", help="one round (reminders, then what is due), then exit"
    )
    worker.set_defaults(run=_worker)
    commands.add_parser(
        "send-reminders", help="queue today's declaration reminders (at most one per person per cycle a day)"
    ).set_defaults(run=_send_reminders)
    commands.add_parser(
        "rekey", help="make every organisation name's matching keys again (after the normal form changed)"
    ).set_defaults(run=_rekey_command)
    commands.add_parser("migrate", help="upgrade the database to the newest revision").set_defaults(
        run=_migrate
    )
    admin = commands.add_parser("create-admin", help="create a person with the governance_admin role")
    admin.add_argument("--email", required=True)
    admin.add_argument("--full-name", required=True)
    admin.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    admin.set_defaults(run=_create_admin)
    people = commands.add_parser("import-people", help="upsert people by email from a CSV file")
    people.add_argument("file", help="CSV: email, full_name, school, job_title, governance_roles, roles")
    people.add_argument("--dry-run", action="store_true", help="report what would change; change nothing")
    people.set_defaults(run=_import_people)
    backup = commands.add_parser("backup", help="copy the whole database into FILE while the service runs")
    backup.add_argument("file", help="where to write the backup (replaced only once the new one is whole)")
    backup.set_defaults(run=_backup)
    restore = commands.add_parser("restore", help="replace the database with a backup, then migrate it")
    restore.add_argument("file", help="a file written by probity backup")
    restore.add_argument("--force", action="store_true", help="replace a database that is not empty")
    restore.set_defaults(run=_restore)
    spec = commands.add_parser("openapi", help="write openapi/openapi.json")
    spec.add_argument("--output", help="where to write the spec (default: openapi/openapi.json)")
    spec.set_defaults(run=_openapi)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    try:
        return int(args.run(args))
    except ConfigurationError as exc:
        print(f"probity: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
