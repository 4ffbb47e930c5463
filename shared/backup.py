"""SQLite backups with SQLite's online backup API: a consistent copy while the clinic runs.

The copy is taken inside one read transaction on the source, so in WAL mode writers go on
and the copy is the database as it was when the backup began (it never restarts). PostgreSQL
is backed up with pg_dump and pg_restore (README, "Backup and restore").
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shared.errors import InvalidInput

PAGES_PER_STEP = 1024
Progress = Callable[[int, int], None]  # (pages copied, pages in all)


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    pages: int
    bytes: int
    revision: str


def sqlite_file(database_url: str) -> Path:
    """The file of a sqlite:/// URL. Raises InvalidInput for any other database."""
    scheme, _, rest = database_url.partition("://")
    if scheme != "sqlite":
        raise InvalidInput(
            "clinic backup and restore are for SQLite; back up PostgreSQL with pg_dump and "
            "pg_restore (README: Backup and restore)",
            field="DATABASE_URL",
        )
    return Path(rest[1:])


def backup(database_url: str, target: Path, progress: Progress | None = None) -> BackupInfo:
    """Copy the live database to `target` (written whole, then renamed into place).
    Raises InvalidInput (not SQLite, no database there, not a clinic database)."""
    source_path = sqlite_file(database_url)
    if not source_path.is_file():
        raise InvalidInput(f"no database at {source_path}", field="DATABASE_URL")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, isolation_level=None, timeout=30)
    try:
        source.execute("BEGIN")  # one snapshot for the whole copy: writers go on in the WAL
        revision = _revision(source)
        pages = _copy(source, partial, progress)
        source.execute("COMMIT")
    finally:
        source.close()
    os.replace(partial, target)
    return BackupInfo(target, pages, target.stat().st_size, revision)


def restore(
    backup_file: Path, database_url: str, *, replace: bool = False, progress: Progress | None = None
) -> BackupInfo:
    """Copy a backup over the database (stop the services first). Raises InvalidInput (not
    SQLite, not a clinic backup, or a database with a clinic in it and no `replace`)."""
    target_path = sqlite_file(database_url)
    if not backup_file.is_file():
        raise InvalidInput(f"no backup at {backup_file}", field="backup")
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        _check(source)
        revision = _revision(source)
        if target_path.exists() and _holds_a_clinic(target_path) and not replace:
            raise InvalidInput(
                f"{target_path} already holds a clinic: add --replace to overwrite it",
                field="replace",
            )
        target_path.parent.mkdir(parents=True, exist_ok=True)
        pages = _copy(source, target_path, progress)
    finally:
        source.close()
    return BackupInfo(target_path, pages, target_path.stat().st_size, revision)


def _copy(source: sqlite3.Connection, target: Path, progress: Progress | None) -> int:
    """Copy page by page (the target's lock held throughout), check it; pages copied."""
    dest = sqlite3.connect(target, timeout=30)
    try:
        told = (lambda _s, left, total: progress(total - left, total)) if progress else None
        source.backup(dest, pages=PAGES_PER_STEP, progress=told)
        _check(dest)
        return int(dest.execute("PRAGMA page_count").fetchone()[0])
    finally:
        dest.close()


def _revision(conn: sqlite3.Connection) -> str:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None:
        raise InvalidInput("not a clinic database (no schema revision in it)", field="backup")
    return str(row[0])


def _check(conn: sqlite3.Connection) -> None:
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"not an SQLite database: {exc}", field="backup") from None
    if problems != ["ok"]:
        raise InvalidInput(f"the copy failed SQLite's integrity check: {problems[0]}")


def _holds_a_clinic(path: Path) -> bool:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'clinic'"
        ).fetchone()
        return found is not None and conn.execute("SELECT 1 FROM clinic").fetchone() is not None
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
