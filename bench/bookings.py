"""Bookings per second on PostgreSQL with 32 concurrent clients, then a hunt for overlaps.

    .venv/bin/python -m bench.bookings [--clients 32] [--seconds 20]

Each client does what a booking page does: reads a random day's availability for a random
treatment type, then books one of the slots it saw (so clients collide as real ones do).
Afterwards a SQL self-join counts overlapping live bookings per therapist, room and client:
it must find none. The ceiling is the same server's /healthz under the same concurrency.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg

from bench.harness import fresh_postgres, gunicorn, table, throughput
from shared import accounts, demo, migrate
from shared.db import Database

OVERLAPS = """
SELECT count(*) FROM booking a JOIN booking b
  ON a.id < b.id AND a.{col} = b.{col}
 AND a.status <> 'cancelled' AND b.status <> 'cancelled'
 AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()

    url = fresh_postgres("bench_bookings")
    migrate.upgrade(url)
    database = Database(url)
    with database.transaction() as session:
        demo.load_demo(session)
        _, key = accounts.create_api_key(session, "bench")
    database.dispose()
    today = datetime.now(UTC).date()
    days = [today + timedelta(days=d) for d in range(2, 60)]

    with gunicorn(url, workers=4) as (host, port):
        local = threading.local()

        def conn() -> http.client.HTTPConnection:
            if not hasattr(local, "conn"):
                local.conn = http.client.HTTPConnection(host, port, timeout=60)
            return local.conn  # type: ignore[no-any-return]

        def health(_: int) -> int:
            c = conn()
            c.request("GET", "/healthz")
            c.getresponse().read()
            return 1

        health_rps, _ = throughput(health, clients=args.clients, seconds=5)
        local = threading.local()
        outcome: dict[int, int] = {}
        post_ms: list[float] = []
        lock = threading.Lock()

        def attempt(i: int) -> int:
            rng = random.Random()
            c = conn()
            tt = rng.randint(1, 7)
            day = rng.choice(days).isoformat()
            c.request("GET", f"/api/v1/availability?treatment_type_id={tt}&start={day}&end={day}")
            slots = json.loads(c.getresponse().read())["slots"]
            if not slots:
                return 0
            slot = rng.choice(slots)
            body = json.dumps(
                {
                    "treatment_type_id": tt,
                    "start": slot["start"],
                    "client": {
                        "name": "Bench Client",
                        "email": f"bench{rng.randint(1, 400)}@example.com",
                    },
                }
            )
            started = time.perf_counter()
            c.request(
                "POST",
                "/api/v1/bookings",
                body=body,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
            response = c.getresponse()
            response.read()
            with lock:
                post_ms.append((time.perf_counter() - started) * 1000)
                outcome[response.status] = outcome.get(response.status, 0) + 1
            return 1 if response.status == 201 else 0

        booked_per_s, booked = throughput(attempt, clients=args.clients, seconds=args.seconds)

    attempts = sum(outcome.values())
    with psycopg.connect(url) as pg:
        overlaps = {
            col: pg.execute(OVERLAPS.format(col=col)).fetchone()[0]  # type: ignore[index]
            for col in ("therapist_id", "room_id", "client_id")
        }
    post_ms.sort()
    p95 = post_ms[int(len(post_ms) * 0.95) - 1]
    print(
        table(
            f"Bookings on PostgreSQL, {args.clients} concurrent clients, {args.seconds:.0f} s "
            "(gunicorn, 4 workers)",
            ["measure", "value"],
            [
                ["/healthz requests/s (ceiling)", f"{health_rps:.0f}"],
                ["booking attempts (POST)", attempts],
                ["booked (201)", booked],
                ["bookings/s", f"{booked_per_s:.1f}"],
                ["POSTs/s", f"{attempts / args.seconds:.1f}"],
                ["POSTs/s vs /healthz", f"{attempts / args.seconds / health_rps:.2f}"],
                ["refused as taken (409)", outcome.get(409, 0)],
                ["other statuses", {k: v for k, v in outcome.items() if k not in (201, 409)}],
                [
                    "POST median / p95 ms",
                    f"{statistics.median(post_ms):.1f} / {p95:.1f}",
                ],
                [
                    "overlapping live bookings (therapist, room, client)",
                    f"{overlaps['therapist_id']}, {overlaps['room_id']}, {overlaps['client_id']}",
                ],
            ],
        )
    )
    if any(overlaps.values()):
        raise SystemExit("DOUBLE BOOKINGS FOUND")


if __name__ == "__main__":
    main()
