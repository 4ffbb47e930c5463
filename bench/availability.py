"""A week's availability through gunicorn, with 10,000 and with 1,000,000 past bookings.

    .venv/bin/python -m bench.availability [--backends sqlite,postgresql] [--sizes 10000,1000000]

The ceiling is the same server's /healthz, measured in the same run.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bench.harness import fresh_postgres, fresh_sqlite, gunicorn, latency, table
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
    parser.add_argument("--rounds", type=int, default=210)
    args = parser.parse_args()
    rows = []
    for backend in args.backends.split(","):
        base_ratio = None
        for size in (int(s) for s in args.sizes.split(",")):
            name = f"bench_availability_{size}"
            url = fresh_sqlite(name) if backend == "sqlite" else fresh_postgres(name)
            types, first, fill_s = prepare(url, size)
            last = (datetime.fromisoformat(first) + timedelta(days=6)).date().isoformat()
            paths = [
                f"/api/v1/availability?treatment_type_id={t}&start={first}&end={last}"
                for t in types
            ]
            with gunicorn(url) as (host, port):
                health = latency(host, port, ["/healthz"], rounds=args.rounds)
                week = latency(host, port, paths, rounds=args.rounds)
            ratio = week.median_ms / health.median_ms
            base_ratio = base_ratio or week.median_ms
            rows.append(
                [
                    backend,
                    f"{size:,}",
                    f"{fill_s:.0f}",
                    f"{health.median_ms:.2f}",
                    f"{week.median_ms:.2f}",
                    f"{week.p95_ms:.2f}",
                    f"{ratio:.1f}x",
                    f"{(week.median_ms / base_ratio - 1) * 100:+.0f}%",
                ]
            )
            print(rows[-1], flush=True)
    print()
    print(
        table(
            "Availability for one week, every treatment type, all therapists (gunicorn, 4 workers)",
            [
                "backend",
                "past bookings",
                "fill s",
                "/healthz median ms",
                "week median ms",
                "week p95 ms",
                "week / healthz",
                "vs smallest",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
