"""The booking page's day-and-time step for a week against the API's /availability for the
same week, through one gunicorn, with 10,000 past bookings.

    .venv/bin/python -m bench.booking_page [--backends sqlite,postgresql] [--rounds 30]

The ceiling is the API's own answer for the same week and treatments, measured in the same
run: each round asks /healthz, the API's week and the page's week in turn (14 requests at a
time), so a slow moment of the machine falls on all three alike. Target: the page at most 2x
the API.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bench.harness import fresh_postgres, fresh_sqlite, gunicorn, interleaved_latency, table
from shared import clinic_time, demo, migrate
from shared.db import Database
from shared.models import Clinic, TreatmentType

PAST_BOOKINGS = 10_000
TARGET = 2.0


def prepare(database_url: str) -> tuple[list[int], str]:
    """The demo clinic with a history; its treatments and next week's Monday."""
    migrate.upgrade(database_url)
    database = Database(database_url)
    with database.transaction() as session:
        demo.load_demo(session)
    with database.transaction() as session:
        demo.make_history(session, bookings=PAST_BOOKINGS)
    with database.read() as session:
        types = [t for t in session.exec(select(TreatmentType.id).order_by(TreatmentType.id))]
        clinic = session.get(Clinic, 1)
        assert clinic is not None
        tz = clinic_time.zone(clinic.timezone)
    database.dispose()
    today = clinic_time.local_date(datetime.now(UTC), tz)
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    return [t for t in types if t is not None], monday.isoformat()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=30, help="rounds of 14 requests per case")
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        name = "bench_booking_page"
        url = fresh_sqlite(name) if backend == "sqlite" else fresh_postgres(name)
        types, monday = prepare(url)
        sunday = (datetime.fromisoformat(monday) + timedelta(days=6)).date().isoformat()
        print(f"{backend}: demo clinic with {PAST_BOOKINGS:,} past bookings", flush=True)
        # Connections kept open while the other cases run (gunicorn's default closes at 2 s idle).
        with gunicorn(url, extra_env={"GUNICORN_CMD_ARGS": "--keep-alive 60"}) as (host, port):
            measured = interleaved_latency(
                {
                    "health": (host, port, ["/healthz"]),
                    "api": (
                        host,
                        port,
                        [
                            f"/api/v1/availability?treatment_type_id={t}&start={monday}&end={sunday}"
                            for t in types
                        ],
                    ),
                    "page": (
                        host,
                        port,
                        [f"/book/times?treatment={t}&therapist=any&week={monday}" for t in types],
                    ),
                },
                rounds=args.rounds,
            )
        health, api, page = measured["health"], measured["api"], measured["page"]
        ratio = page.median_ms / api.median_ms
        rows.append(
            [
                backend,
                f"{health.median_ms:.2f}",
                f"{api.median_ms:.2f}",
                f"{api.p95_ms:.2f}",
                f"{page.median_ms:.2f}",
                f"{page.p95_ms:.2f}",
                f"{ratio:.2f}x",
                "yes" if ratio <= TARGET else "NO",
            ]
        )
    print()
    print(
        table(
            f"A week of free times for each treatment: the booking page (/book/times, HTML) vs "
            f"the API (/availability, JSON), gunicorn with 4 workers, {PAST_BOOKINGS:,} past "
            f"bookings; /healthz, API and page asked in turn, 14 requests at a time, "
            f"{args.rounds} rounds",
            [
                "backend",
                "/healthz median ms",
                "API median ms",
                "API p95 ms",
                "page median ms",
                "page p95 ms",
                "page / API",
                f"within {TARGET:.0f}x",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
