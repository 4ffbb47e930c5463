"""A week's availability through gunicorn, with 10,000 and with 1,000,000 past bookings.

    .venv/bin/python -m bench.availability [--backends sqlite,postgresql] [--sizes 10000,1000000]

The ceiling is the same server's /healthz, measured in the same run: every size's server is up
at once, and each round asks each server's /healthz and week in turn, so the ratios and the
comparison between sizes share whatever else the machine was doing (14 requests at a time, so
switching between servers is not what is measured).
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bench.harness import fresh_postgres, fresh_sqlite, gunicorn, interleaved_latency, table
from shared import clinic_time, demo, migrate
from shared.db import Database
from shared.models import Clinic, TreatmentType


def prepare(database_url: str, bookings: int) -> tuple[list[int], str, float]:
    migrate.upgrade(database_url)
    database = Database(database_url)
    started = time.perf_counter()
    with database.transaction() as session:
        demo.load_demo(session)
    with database.transaction() as session:
        demo.make_history(session, bookings=bookings)
    with database.read() as session:
        types = list(session.exec(select(TreatmentType.id).order_by(TreatmentType.id)))
        clinic = session.get(Clinic, 1)
        assert clinic is not None
        tz = clinic_time.zone(clinic.timezone)
    database.dispose()
    first = clinic_time.local_date(datetime.now(UTC), tz) + timedelta(days=1)
    return types, first.isoformat(), time.perf_counter() - started  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--rounds", type=int, default=30, help="rounds of 14 requests per case")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for backend in args.backends.split(","):
        prepared = {}
        for size in sizes:
            name = f"bench_availability_{size}"
            url = fresh_sqlite(name) if backend == "sqlite" else fresh_postgres(name)
            prepared[size] = (url, *prepare(url, size))
            print(f"{backend}: {size:,} past bookings in {prepared[size][3]:.0f} s", flush=True)
        with ExitStack() as servers:
            targets = {}
            for size, (url, types, first, _) in prepared.items():
                host, port = servers.enter_context(gunicorn(url))
                last = (date.fromisoformat(first) + timedelta(days=6)).isoformat()
                paths = [
                    f"/api/v1/availability?treatment_type_id={t}&start={first}&end={last}"
                    for t in types
                ]
                targets[f"health {size}"] = (host, port, ["/healthz"])
                targets[f"week {size}"] = (host, port, paths)
            measured = interleaved_latency(targets, rounds=args.rounds)
        base = measured[f"week {sizes[0]}"].median_ms
        for size, (_, _, _, fill_s) in prepared.items():
            health, week = measured[f"health {size}"], measured[f"week {size}"]
            rows.append(
                [
                    backend,
                    f"{size:,}",
                    f"{fill_s:.0f}",
                    f"{health.median_ms:.2f}",
                    f"{week.median_ms:.2f}",
                    f"{week.p95_ms:.2f}",
                    f"{week.median_ms / health.median_ms:.1f}x",
                    f"{(week.median_ms / base - 1) * 100:+.0f}%",
                ]
            )
    print()
    print(
        table(
            "Availability for one week, every treatment type, all therapists (gunicorn, "
            f"4 workers per size; each size's /healthz and week asked in turn, 14 requests at "
            f"a time, {args.rounds} rounds)",
            [
                "backend",
                "past bookings",
                "fill s",
                "/healthz median ms",
                "week median ms",
                "week p95 ms",
                "week / healthz",
                f"vs {sizes[0]:,}",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
