"""The `clinic` command's operator tools: --version, db current/history/downgrade, purge,
and progress on long commands (a bar on a terminal, plain lines in a log)."""

from __future__ import annotations

import io
import os
import re
import subprocess

import pytest

from services.progress import Progress
from tests.integration.test_cli import clinic, counts, head_revision

LINE = re.compile(
    r"^demo-data: (?P<done>[\d,]+)/(?P<total>[\d,]+) bookings \(\d+%\), [\d,]+ bookings/s"
)


def revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    from shared.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_version_names_the_release_and_the_newest_migration(tmp_path) -> None:
    done = clinic(f"sqlite:///{tmp_path}/unused.db", "--version")

    assert done.returncode == 0, done.stderr
    assert re.fullmatch(rf"clinic-scheduler \S+ \(schema {head_revision()}\)\n", done.stdout)


def test_db_current_history_and_downgrade_say_where_the_schema_stands(empty_url) -> None:
    before, last = revisions()[-2:]
    assert clinic(empty_url, "db", "current").stdout.startswith("no schema")
    assert clinic(empty_url, "db", "upgrade").returncode == 0

    assert clinic(empty_url, "db", "current").stdout == f"{last} (head)\n"
    down = clinic(empty_url, "db", "downgrade", before)
    assert down.returncode == 0, down.stderr
    assert f"reverted {last}" in down.stderr
    assert clinic(empty_url, "db", "current").stdout.startswith(
        f"{before} (this code's head is {last})"
    )
    history = clinic(empty_url, "db", "history").stdout.splitlines()
    assert history[-3].startswith(f"* {before}")
    assert history[-2].startswith(f"  {last}")
    assert all(line.startswith("+ ") for line in history[:-3])

    again = clinic(empty_url, "db", "upgrade")
    applied = [line for line in again.stderr.splitlines() if " applied " in line]
    assert len(applied) == 1 and f"applied {last}" in applied[0]


def test_purge_dry_run_says_what_would_go_per_table_and_changes_nothing(empty_url) -> None:
    clinic(empty_url, "db", "upgrade")
    clinic(empty_url, "demo-data")
    before = counts(empty_url)

    done = clinic(empty_url, "purge", "--dry-run")

    assert done.returncode == 0, done.stderr
    tables = [line.split(":")[0] for line in done.stdout.splitlines()]
    assert tables == ["idempotency_record", "outbox_message", "worker_heartbeat"]
    assert all("would" in line for line in done.stdout.splitlines())
    assert counts(empty_url) == before


def test_a_long_demo_history_reports_progress_in_plain_lines_when_not_on_a_terminal(
    tmp_path,
) -> None:
    url = f"sqlite:///{tmp_path}/clinic.db"
    clinic(url, "db", "upgrade")
    clinic(url, "demo-data")

    done = clinic(url, "demo-data", "--bookings", "500", "--past-days", "30")

    assert done.returncode == 0, done.stderr
    progress = [m for m in map(LINE.match, done.stdout.splitlines()) if m]
    assert progress, done.stdout
    assert progress[-1]["done"] == progress[-1]["total"] == "500"
    assert "\r" not in done.stdout  # no bar drawn into a pipe


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_plain_progress_lines_give_the_rate_and_the_time_left_every_few_seconds() -> None:
    out, clock = io.StringIO(), Clock()

    with Progress(1000, "bookings", "demo-data", stream=out, every_seconds=5, clock=clock) as p:
        p.advance(100)  # at once: no line yet
        clock.now += 5
        p.advance(100)  # 200 in 5 s: 40/s, 800 left, 20 s
        clock.now += 1
        p.advance(100)  # within 5 s of the last line: none
        clock.now += 4
        p.advance(700)

    lines = out.getvalue().splitlines()
    assert lines[0] == "demo-data: 200/1,000 bookings (20%), 40 bookings/s, about 20s left"
    assert lines[1].startswith("demo-data: 1,000/1,000 bookings (100%), 100 bookings/s")
    assert lines[-1] == lines[1]  # the closing line once done, without an estimate
    assert len(lines) == 3


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_on_a_terminal_progress_is_a_bar_with_rate_and_time_left() -> None:
    main, follower = os.openpty()
    with os.fdopen(follower, "w") as terminal:
        with Progress(50, "pages", "backup", stream=terminal) as p:
            for _ in range(5):
                p.advance(10)
        terminal.flush()
    drawn = os.read(main, 65536).decode()
    os.close(main)

    final = drawn.split("\r")[-2]  # the bar is redrawn in place
    assert final.startswith("backup: 100%")
    assert re.search(r"50(\.0)?/50(\.0)?", final)
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d, .* pages/s\]", final)  # elapsed<left, rate


def test_the_worker_health_check_fails_without_a_recent_round(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/unused.db"
    beat = tmp_path / "heartbeat"

    def check() -> subprocess.CompletedProcess[str]:
        return clinic(url, "worker", "--check", "--heartbeat-file", str(beat), "--max-age", "60")

    missing = check()
    beat.touch()
    fresh = check()
    os.utime(beat, (beat.stat().st_atime, beat.stat().st_mtime - 3600))
    stale = check()

    assert missing.returncode == 1 and "has not finished a round" in missing.stderr
    assert fresh.returncode == 0 and fresh.stdout.startswith("worker alive")
    assert stale.returncode == 1 and "limit 60s" in stale.stderr
