"""`clinic backup FILE` and `clinic restore FILE`: SQLite, while the clinic runs (restore with
the services stopped). PostgreSQL: pg_dump and pg_restore, as the README shows."""

from __future__ import annotations

import argparse
from pathlib import Path

from services import cli
from services.progress import Progress
from shared import backup
from shared.config import Settings


def run_backup(args: argparse.Namespace, settings: Settings) -> int:
    with Progress(0, "pages", "backup") as progress:
        info = backup.backup(settings.database_url, args.file, _pages(progress))
    print(f"backed up to {info.path}: {info.bytes:,} bytes, schema {info.revision}")
    return 0


def run_restore(args: argparse.Namespace, settings: Settings) -> int:
    with Progress(0, "pages", "restore") as progress:
        info = backup.restore(
            args.file, settings.database_url, replace=args.replace, progress=_pages(progress)
        )
    print(f"restored {args.file} into {info.path} (schema {info.revision})")
    print("run `clinic db upgrade` if this release is newer than the backup, then start it")
    return 0


def _pages(progress: Progress) -> backup.Progress:
    def told(copied: int, total: int) -> None:
        progress.total = total
        progress.advance(copied - progress.done)

    return told


def _extend(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    b = sub.add_parser(
        "backup", help="copy the SQLite database while it runs (PostgreSQL: pg_dump)"
    )
    b.add_argument("file", type=Path)
    b.set_defaults(cmd="backup")
    r = sub.add_parser("restore", help="put a SQLite backup in place (stop the services first)")
    r.add_argument("file", type=Path)
    r.add_argument("--replace", action="store_true", help="overwrite a database with a clinic")
    r.set_defaults(cmd="restore")


cli.COMMANDS.update({"backup": run_backup, "restore": run_restore})
cli.EXTENSIONS.append(_extend)
