"""A worker's waiting-list round when nothing suits anyone, against the availability lookups
it is made of, in the same run.

    .venv/bin/python -m bench.waitlist [--backends sqlite,postgresql] [--rounds 5]

The demo clinic with 10,000 past bookings and N clients waiting (50, then 200), each for one
of the demo's treatments over the next four weeks, Sunday evenings only (the clinic is closed
then): every round looks at every entry and offers nothing, which is what most rounds are. The
ceiling is N times one entry's lookup (a four-week availability of its treatment, measured
alone in the same run) plus half again for the round's own reads and locks.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bench.harness import fresh_postgres, fresh_sqlite, table
from shared import clinic_time, demo, migrate, offers, waitlist
from shared.availability import find_availability
from shared.clients import create_client
from shared.db import Database
from shared.models import Clinic, TreatmentType

SIZES = (50, 200)
CEILING = 1.5
SUNDAY = 6


def prepare(database_url: str) -> Database:
    migrate.upgrade(database_url)
    database = Database(database_url)
    with database.transaction() as session:
        demo.load_demo(session)
    with database.transaction() as session:
        demo.make_history(session, bookings=10_000)
    return database


def add_entries(database: Database, count: int, start: int) -> None:
    now = datetime.now(UTC)
    with database.transaction() as session:
        tz = clinic_time.zone(session.get(Clinic, 1).timezone)  # type: ignore[union-attr]
        today = clinic_time.local_date(now, tz)
        types = [t.id for t in session.exec(select(TreatmentType)) if t.active]
        for i in range(start, start + count):
            client = create_client(session, name=f"Waiting {i}", email=f"wait{i}@example.com")
            waitlist.join(
                session,
                client_id=client.id,  # type: ignore[arg-type]
                treatment_type_id=types[i % len(types)],  # type: ignore[arg-type]
                wishes=waitlist.Wishes(
                    first_day=today + timedelta(days=1),
                    last_day=today + timedelta(days=28),
                    mornings=False,
                    afternoons=False,
                    evenings=True,
                    weekdays=frozenset({SUNDAY}),
                ),
                actor="bench",
                now=now,
            )


def median_ms(fn: object, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def run(backend: str, database_url: str, rounds: int) -> list[list[object]]:
    database = prepare(database_url)
    rows: list[list[object]] = []
    try:
        with database.read() as session:
            types = [t.id for t in session.exec(select(TreatmentType)) if t.active]
            tz = clinic_time.zone(session.get(Clinic, 1).timezone)  # type: ignore[union-attr]
        today = clinic_time.local_date(datetime.now(UTC), tz)

        def lookups() -> None:  # one entry's worth, for each treatment in turn
            with database.read() as session:
                for tt in types:
                    find_availability(
                        session,
                        treatment_type_id=tt,  # type: ignore[arg-type]
                        start=today + timedelta(days=1),
                        end=today + timedelta(days=28),
                        now=datetime.now(UTC),
                    )

        def round_() -> None:
            with database.transaction() as session:
                made = offers.match(session, now=datetime.now(UTC))
            assert not made.offered, "a Sunday evening was free"

        added = 0
        for size in SIZES:
            add_entries(database, size - added, added)
            added = size
            round_()  # warm the catalog cache
            one = median_ms(lookups, rounds) / len(types)
            whole = median_ms(round_, rounds)
            ceiling = size * one * CEILING
            rows.append(
                [
                    backend,
                    size,
                    f"{one:.2f}",
                    f"{whole:.1f}",
                    f"{ceiling:.1f}",
                    f"{whole / (size * one):.2f}x",
                    "ok" if whole <= ceiling else "OVER",
                ]
            )
    finally:
        database.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    rows: list[list[object]] = []
    for backend in args.backends.split(","):
        url = fresh_sqlite("waitlist") if backend == "sqlite" else fresh_postgres("bench_waitlist")
        rows += run(backend, url, args.rounds)
    print(
        table(
            "A waiting-list round offering nothing vs N four-week lookups (same run)",
            [
                "backend",
                "waiting",
                "one lookup ms",
                "round ms",
                f"ceiling ms (N x lookup x {CEILING})",
                "round / N lookups",
                "",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
