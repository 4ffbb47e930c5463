"""The `clinic` command for operators; every subcommand works against DATABASE_URL."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import OperationalError, ProgrammingError

from services.progress import Progress
from shared import accounts, demo, logs, migrate
from shared.config import ConfigError, Settings, load_settings
from shared.db import Database
from shared.errors import ClinicError

Command = Callable[[argparse.Namespace, Settings], int]
COMMANDS: dict[str, Command] = {}
# The `service` of a command's log lines, where it runs as a service of its own (compose).
LOG_SERVICE = {"db-upgrade": "migrate", "db-downgrade": "migrate", "worker": "worker"}


def command(name: str) -> Callable[[Command], Command]:
    def register(fn: Command) -> Command:
        COMMANDS[name] = fn
        return fn

    return register


@command("demo-data")
def demo_data(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    with db.transaction() as session:
        if demo.is_empty(session):
            info = demo.load_demo(session)
            print("demo clinic loaded")
            for key, value in info.items():
                print(f"  {key}: {value}")
        elif not args.bookings:
            print("the database already holds a clinic: demo data not loaded")
    if args.bookings:
        with (
            Progress(args.bookings, "bookings", "demo-data") as progress,
            db.transaction() as session,
        ):
            made = demo.make_history(
                session,
                bookings=args.bookings,
                past_days=args.past_days,
                progress=progress.advance,
            )
        print(f"{made} past bookings added")
    return 0


@command("api-key-create")
def api_key_create(args: argparse.Namespace, settings: Settings) -> int:
    with Database(settings.database_url).transaction() as session:
        _, key = accounts.create_api_key(session, args.name)
    print(key)
    return 0


@command("api-key-revoke")
def api_key_revoke(args: argparse.Namespace, settings: Settings) -> int:
    with Database(settings.database_url).transaction() as session:
        accounts.revoke_api_key(session, args.name)
    print(f"API key {args.name!r} revoked")
    return 0


@command("user-create")
def user_create(args: argparse.Namespace, settings: Settings) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        import getpass

        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("passwords differ", file=sys.stderr)
            return 2
    with Database(settings.database_url).transaction() as session:
        user = accounts.create_user(
            session, email=args.email, password=password, role=args.role, name=args.name
        )
    print(f"{user.role} {user.email} ({user.name}) created")
    return 0


def version() -> str:
    """The installed release and the newest migration it carries."""
    from importlib.metadata import version as installed

    return f"clinic-scheduler {installed('clinic-scheduler')} (schema {migrate.code_head()})"


class _Version(argparse.Action):
    """`--version`, computed only when asked (it reads the migrations)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(version())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clinic", description=__doc__)
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="group", required=True)

    dd = sub.add_parser("demo-data", help="load the demo clinic into an empty database")
    dd.add_argument("--bookings", type=int, default=0, help="also add N past bookings")
    dd.add_argument("--past-days", type=int, default=None, help="spread them over D days")
    dd.set_defaults(cmd="demo-data")

    key = sub.add_parser("api-key", help="API keys").add_subparsers(dest="action", required=True)
    kc = key.add_parser("create", help="create a key and print it once")
    kc.add_argument("name")
    kc.set_defaults(cmd="api-key-create")
    kr = key.add_parser("revoke", help="revoke a key at once")
    kr.add_argument("name")
    kr.set_defaults(cmd="api-key-revoke")

    user = sub.add_parser("user", help="dashboard accounts").add_subparsers(
        dest="action", required=True
    )
    uc = user.add_parser("create", help="create a dashboard account")
    uc.add_argument("email")
    uc.add_argument("--role", choices=accounts.ROLES, default="receptionist")
    uc.add_argument("--password-stdin", action="store_true")
    uc.add_argument(
        "--name", default="", help="as the booking history shows it (default: from the e-mail)"
    )
    uc.set_defaults(cmd="user-create")

    for extend in EXTENSIONS:
        extend(sub)
    return parser


# Other modules (feeds, worker, dev server) add their subcommands here.
EXTENSIONS: list[Callable[[argparse._SubParsersAction], None]] = []  # type: ignore[type-arg]


def main(argv: Sequence[str] | None = None) -> int:
    _load_extensions()
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    # Answers go to stdout as plain text; logs (and crashes) to stderr in the one log format.
    logs.configure(LOG_SERVICE.get(args.cmd, "clinic"), settings.log_format, catch_uncaught=True)
    try:
        return COMMANDS[args.cmd](args, settings)
    except ClinicError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"error{where}: {exc.message}", file=sys.stderr)
        return 1
    except (OperationalError, ProgrammingError) as exc:
        # No parameters: they may hold client data or tokens.
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        print(
            f"database error: {first}\n(is DATABASE_URL right, and has `clinic db upgrade` run?)",
            file=sys.stderr,
        )
        return 1


def _load_extensions() -> None:
    """Import the modules that register subcommands (kept optional so each stays small)."""
    import importlib

    for module in (
        "services.cli_db",
        "services.cli_retention",
        "services.cli_backup",
        "services.cli_feeds",
        "services.worker",
        "services.mailcatcher",
        "services.devserver",
    ):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


if __name__ == "__main__":
    raise SystemExit(main())
