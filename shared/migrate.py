"""Run the Alembic migrations from code, wherever the package is installed, and say where a
database stands."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from shared.db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["database_url"] = database_url
    return cfg


def code_head() -> str:
    """The newest revision this code knows."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head() or "none"


@dataclass(frozen=True)
class Step:
    """One revision applied (`upgrade`) or undone (`downgrade`)."""

    revision: str
    description: str
    upgrade: bool


OnStep = Callable[[Step], None]


def upgrade(database_url: str, revision: str = "head", on_step: OnStep | None = None) -> None:
    command.upgrade(_with_steps(alembic_config(database_url), on_step), revision)


def downgrade(database_url: str, revision: str, on_step: OnStep | None = None) -> None:
    command.downgrade(_with_steps(alembic_config(database_url), on_step), revision)


def _with_steps(cfg: Config, on_step: OnStep | None) -> Config:
    if on_step is not None:

        def _applied(*, step: Any, **_: Any) -> None:
            # the upper revision: the one applied going up, the one undone going down
            doc = (getattr(step.up_revision, "doc", "") or "").strip()
            on_step(Step(step.up_revision_id, doc, upgrade=step.is_upgrade))

        cfg.attributes["on_version_apply"] = [_applied]
    return cfg


@dataclass(frozen=True)
class Revision:
    revision: str
    description: str
    applied: bool
    current: bool


def current(database_url: str) -> tuple[str, ...]:
    """The revisions the database is at (none for an empty one)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return tuple(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def history(database_url: str) -> list[Revision]:
    """Every revision this code knows, oldest first, marked applied and current for the
    database."""
    script = ScriptDirectory.from_config(alembic_config(""))
    at = set(current(database_url))
    applied: set[str] = set()
    for head in at:
        if head in {r.revision for r in script.walk_revisions()}:
            applied.update(r.revision for r in script.iterate_revisions(head, "base"))
    return [
        Revision(r.revision, (r.doc or "").strip(), r.revision in applied, r.revision in at)
        for r in reversed(list(script.walk_revisions()))
    ]
