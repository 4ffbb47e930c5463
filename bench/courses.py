"""Previewing a 12-session course with clashes, against one week's availability, through gunicorn.

    .venv/bin/python -m bench.courses [--backends sqlite,postgresql] [--rounds 30]

The demo clinic with 10,000 past bookings; twelve weekly Mondays at 10:00 with Mei Lin from
next week, where the demo's own bookings, two days of time off and the demo's holiday make some
sessions clash (the preview explains each and finds and checks up to three alternatives). The
ceiling is a single week's availability for the same treatment from the same server, measured
in the same run: each round sends 14 week requests and then 14 previews on kept-alive
connections, so both share whatever else the machine is doing. The issue's bar: a preview costs
at most 3x the week.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock

from sqlmodel import select

from bench.harness import Latency, fresh_postgres, fresh_sqlite, gunicorn, table
from shared import accounts, catalog, clinic_time, demo, migrate
from shared.db import Database
from shared.models import Client, Clinic, Therapist, TreatmentType

TREATMENT = "Facial rejuvenation acupuncture - follow-up"
THERAPIST = "Mei Lin"
SESSIONS = 12
CEILING = 3.0
BURST = 14


def prepare(database_url: str) -> tuple[str, dict[str, object], str, str]:
    """The clinic, an API key, and the preview's body and the week's path."""
    migrate.upgrade(database_url)
    database = Database(database_url)
    with database.transaction() as session:
        demo.load_demo(session)
    with database.transaction() as session:
        demo.make_history(session, bookings=10_000)
    with database.transaction() as session:
        tz = clinic_time.zone(session.get(Clinic, 1).timezone)  # type: ignore[union-attr]
        tt = session.exec(select(TreatmentType).where(TreatmentType.name == TREATMENT)).one()
        mei = session.exec(select(Therapist).where(Therapist.name == THERAPIST)).one()
        client = session.exec(select(Client).order_by(Client.id)).first()
        assert client is not None and tt.id is not None and mei.id is not None
        today = clinic_time.local_date(datetime.now(UTC), tz)
        first = today + timedelta(days=7 + (7 - today.weekday()) % 7)
        for week in (3, 7):  # Mei Lin away on the 4th and 8th Mondays
            day = first + timedelta(weeks=week)
            catalog.add_time_off(
                session,
                therapist_id=mei.id,
                start=clinic_time.day_start(day, tz),
                end=clinic_time.day_start(day + timedelta(days=1), tz),
                reason="Seminar",
            )
        _, key = accounts.create_api_key(session, "bench-courses")
    database.dispose()
    body = {
        "treatment_type_id": tt.id,
        "client_id": client.id,
        "therapist_id": mei.id,
        "first_start": clinic_time.local_to_utc(first, clock(10), tz).isoformat(),
        "rhythm": {"every_weeks": 1},
        "count": SESSIONS,
    }
    last = first + timedelta(days=6)
    week = f"/api/v1/availability?treatment_type_id={tt.id}&start={first}&end={last}"
    return key, body, week, first.isoformat()


def measure(
    host: str, port: int, key: str, body: dict[str, object], week: str, rounds: int
) -> tuple[Latency, Latency, int, int]:
    """Week and preview latencies, interleaved in bursts; also the preview's clash and
    alternative counts (checked to be non-zero: a preview without clashes proves little)."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    payload = json.dumps(body)
    weeks = http.client.HTTPConnection(host, port, timeout=30)
    previews = http.client.HTTPConnection(host, port, timeout=30)
    samples: dict[str, list[float]] = {"week": [], "preview": []}
    clashes = alternatives = 0
    for round_ in range(rounds + 2):
        for name in ("week", "preview"):
            conn = weeks if name == "week" else previews
            for i in range(BURST + 1):
                started = time.perf_counter()
                if name == "week":
                    conn.request("GET", week)
                else:
                    conn.request("POST", "/api/v1/courses/preview", body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                elapsed = (time.perf_counter() - started) * 1000
                if response.status != 200:
                    raise RuntimeError(f"{name} answered {response.status}: {data[:300]!r}")
                if round_ >= 2 and i > 0:
                    samples[name].append(elapsed)
                if name == "preview" and round_ == 0 and i == 0:
                    sessions = json.loads(data)["sessions"]
                    clashes = sum(not s["free"] for s in sessions)
                    alternatives = sum(len(s["alternatives"]) for s in sessions)
    weeks.close()
    previews.close()
    out = {}
    for name, values in samples.items():
        values.sort()
        out[name] = Latency(
            statistics.median(values), values[int(len(values) * 0.95) - 1], len(values)
        )
    return out["week"], out["preview"], clashes, alternatives


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=30, help="rounds of 14 requests per case")
    args = parser.parse_args()
    rows = []
    verdicts = []
    for backend in args.backends.split(","):
        name = "bench_courses"
        url = fresh_sqlite(name) if backend == "sqlite" else fresh_postgres(name)
        key, body, week, first = prepare(url)
        with gunicorn(url) as (host, port):
            week_l, preview_l, clashes, alternatives = measure(
                host, port, key, body, week, args.rounds
            )
        ratio = preview_l.median_ms / week_l.median_ms
        verdicts.append(ratio <= CEILING)
        rows.append(
            [
                backend,
                first,
                f"{clashes} / {SESSIONS}",
                alternatives,
                f"{week_l.median_ms:.2f}",
                f"{week_l.p95_ms:.2f}",
                f"{preview_l.median_ms:.2f}",
                f"{preview_l.p95_ms:.2f}",
                f"{ratio:.2f}x",
                "yes" if ratio <= CEILING else "NO",
            ]
        )
        if clashes == 0:
            raise SystemExit(f"{backend}: the preview had no clash; the benchmark proves nothing")
    print()
    print(
        table(
            f"Previewing a {SESSIONS}-session weekly course with clashes vs one week's "
            f"availability (same treatment, same gunicorn: 4 workers; demo clinic + 10,000 past "
            f"bookings; {BURST} requests per burst, {args.rounds} rounds, interleaved)",
            [
                "backend",
                "first Monday",
                "clashes",
                "alternatives",
                "week median ms",
                "week p95 ms",
                "preview median ms",
                "preview p95 ms",
                "preview / week",
                f"within {CEILING:.0f}x",
            ],
            rows,
        )
    )
    if not all(verdicts):
        raise SystemExit(f"a preview cost more than {CEILING:.0f}x a week's availability")


if __name__ == "__main__":
    main()
