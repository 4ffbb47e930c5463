"""`clinic purge [--dry-run]`: what the retention rules (shared.retention) delete or empty now;
the worker does the same every hour."""

from __future__ import annotations

import argparse

from services import cli
from shared import retention
from shared.config import Settings
from shared.db import Database
from shared.models import utcnow


def run_purge(args: argparse.Namespace, settings: Settings) -> int:
    policy = retention.RetentionPolicy.from_settings(settings)
    database = Database(settings.database_url)
    try:
        if args.dry_run:
            with database.read() as session:
                report = retention.purge(session, policy, utcnow(), dry_run=True)
        else:
            with database.transaction() as session:
                report = retention.purge(session, policy, utcnow())
    finally:
        database.dispose()
    for line in report.lines():
        print(line)
    return 0


def _extend(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("purge", help="delete or empty data past its retention (README)")
    p.add_argument("--dry-run", action="store_true", help="say what would go, change nothing")
    p.set_defaults(cmd="purge")


cli.COMMANDS["purge"] = run_purge
cli.EXTENSIONS.append(_extend)
