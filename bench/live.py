"""What an open day view's poll costs: the change marker, against a history of booking events.

    .venv/bin/python -m bench.live [--backends sqlite,postgresql] [--calls 2000]

Every open day or week view asks `day_data.change_marker` every 2 s. In the same run and on the
same connection: `SELECT 1` as the ceiling (a statement that reads nothing), the marker with
the demo clinic's few hundred events, then again after a million more, and reading a whole
day (`load_day`, what a redraw costs) for scale. The marker should stay near the ceiling
whatever the history, since it reads the newest events by primary key only.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import Session, select

from bench.harness import fresh_postgres, fresh_sqlite, table
from shared import clinic_time, day_data, demo, migrate
from shared.db import Database
from shared.models import Booking

HISTORY = 1_000_000
TZ = clinic_time.zone("Europe/Ljubljana")


def _timed(call: Callable[[], object], calls: int) -> tuple[float, float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1_000_000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def _add_history(db: Database, backend: str, booking_id: int) -> None:
    """A million more events of one booking, in one statement."""
    series = (
        "SELECT n FROM generate_series(1, :n) AS n"
        if backend == "postgresql"
        else "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :n) "
        "SELECT n FROM s"
    )
    with db.transaction() as s:
        s.execute(
            text(
                "INSERT INTO booking_event (booking_id, at, actor, action, changes) "
                f"SELECT :b, :at, 'bench', 'moved', '{{}}' FROM ({series}) AS series"
            ),
            {"b": booking_id, "at": datetime.now(UTC), "n": HISTORY},
        )


def run(backend: str, calls: int) -> list[list[str]]:
    url = fresh_postgres("bench_live") if backend == "postgresql" else fresh_sqlite("bench_live")
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as s:
        demo.load_demo(s)
    today = clinic_time.local_date(datetime.now(UTC), TZ)
    rows: list[list[str]] = []

    def measure(history: str, session: Session) -> None:
        ceiling = _timed(lambda: session.execute(text("SELECT 1")).all(), calls)
        marker = _timed(lambda: day_data.change_marker(session), calls)
        day = _timed(
            lambda: day_data.load_day(session, day=today, tz=TZ, show_cancelled=False),
            max(calls // 20, 20),
        )
        for case, (median, p95) in (
            ("SELECT 1 (ceiling)", ceiling),
            ("change_marker", marker),
            ("load_day (a redraw)", day),
        ):
            rows.append(
                [
                    backend,
                    history,
                    case,
                    f"{median:.0f}",
                    f"{p95:.0f}",
                    f"{median / ceiling[0]:.1f}x",
                ]
            )

    with db.read() as s:
        events = s.execute(text("SELECT count(*) FROM booking_event")).scalar_one()
        measure(f"{events:,} events", s)
        first = s.exec(select(Booking.id)).first()
    assert first is not None
    _add_history(db, backend, first)
    with db.read() as s:
        events = s.execute(text("SELECT count(*) FROM booking_event")).scalar_one()
        measure(f"{events:,} events", s)
    db.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    calls = min(max(args.calls, 100), 20_000)
    rows: list[list[str]] = []
    for backend in args.backends.split(","):
        rows += run(backend, calls)
    print(
        table(
            f"The day view's poll: change_marker vs SELECT 1 on one connection, {calls} calls "
            "each (load_day: 1/20 of them), median and p95 in microseconds",
            ["db", "history", "case", "median µs", "p95 µs", "vs ceiling"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
