"""`clinic db upgrade|current|history|downgrade`: the schema, one revision at a time."""

from __future__ import annotations

import argparse
import logging

from services import cli
from shared import migrate
from shared.config import Settings

log = logging.getLogger("clinic.migrate")


def _report(step: migrate.Step) -> None:
    verb = "applied" if step.upgrade else "reverted"
    log.info(
        "%s %s: %s",
        verb,
        step.revision,
        step.description,
        extra={"revision": step.revision, "action": verb},
    )


def db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings.database_url, args.revision, on_step=_report)
    at = ", ".join(migrate.current(settings.database_url)) or "no revision"
    log.info("database at %s (%s)", args.revision, at, extra={"revision": at})
    return 0


def db_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    migrate.downgrade(settings.database_url, args.revision, on_step=_report)
    at = ", ".join(migrate.current(settings.database_url)) or "no revision (empty)"
    log.info("database at %s", at, extra={"revision": at})
    return 0


def db_current(args: argparse.Namespace, settings: Settings) -> int:
    at = migrate.current(settings.database_url)
    head = migrate.code_head()
    if not at:
        print(f"no schema: run `clinic db upgrade` (this code's head is {head})")
        return 1
    for revision in at:
        state = "head" if revision == head else f"this code's head is {head}"
        print(f"{revision} ({state})")
    return 0


def db_history(args: argparse.Namespace, settings: Settings) -> int:
    for revision in migrate.history(settings.database_url):
        mark = "*" if revision.current else ("+" if revision.applied else " ")
        print(f"{mark} {revision.revision}  {revision.description}")
    print("(* the database is here, + applied, blank not applied)")
    return 0


def _extend(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="action", required=True)
    up = db.add_parser("upgrade", help="apply migrations, saying each revision applied")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(cmd="db-upgrade")
    down = db.add_parser(
        "downgrade", help="undo migrations down to REV (back up first: columns and rows go)"
    )
    down.add_argument("revision", metavar="REV")
    down.set_defaults(cmd="db-downgrade")
    db.add_parser("current", help="the revision the database is at").set_defaults(cmd="db-current")
    db.add_parser("history", help="every revision, marked applied or not").set_defaults(
        cmd="db-history"
    )


cli.COMMANDS.update(
    {
        "db-upgrade": db_upgrade,
        "db-downgrade": db_downgrade,
        "db-current": db_current,
        "db-history": db_history,
    }
)
cli.EXTENSIONS.append(_extend)
