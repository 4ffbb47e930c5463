"""Booking on PostgreSQL: one client at a time, many at once, and the placement engine.

    .venv/bin/python -m bench.bookings [--only single|placement|concurrent]
                                       [--clients 32] [--seconds 20] [--rounds 300]

- single: one client books, POST after POST, each preceded by a /healthz on the same
  keep-alive connection (the ceiling, measured in the same moments); the statements one POST
  issues are counted in-process, through the same app, for a new and a known client.
- placement: a course of 12 weekly sessions placed in one pass against one session placed,
  in turn, inside the domain (no HTTP).
- concurrent: each client does what a booking page does (a random day's availability, then
  one of its slots, so clients collide as real ones do); afterwards a SQL self-join counts
  overlapping live bookings per therapist, room and client: it must find none. The ceiling is
  the same server's /healthz under the same concurrency.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import threading
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlmodel import select

from bench.harness import BENCH_ENV, fresh_postgres, get, gunicorn, table, throughput
from shared import accounts, demo, migrate
from shared.db import Database
from shared.models import Client

OVERLAPS = """
SELECT count(*) FROM booking a JOIN booking b
  ON a.id < b.id AND a.{col} = b.{col}
 AND a.status <> 'cancelled' AND b.status <> 'cancelled'
 AND a.blocked_start < b.blocked_end AND b.blocked_start < a.blocked_end
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=["single", "placement", "concurrent"])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    if args.only in (None, "single"):
        single(args.rounds)
    if args.only in (None, "placement"):
        placement(args.rounds)
    if args.only in (None, "concurrent"):
        concurrent(args.clients, args.seconds)


def _demo_clinic(name: str) -> tuple[str, str]:
    """A fresh PostgreSQL database with the demo clinic; its URL and an API key."""
    url = fresh_postgres(name)
    migrate.upgrade(url)
    database = Database(url)
    with database.transaction() as session:
        demo.load_demo(session)
        _, key = accounts.create_api_key(session, "bench")
    database.dispose()
    return url, key


def _free_starts(host: str, port: int, count: int) -> list[tuple[int, str]]:
    """(treatment type, start) pairs that stay free while booked in order: a few per day, each
    a free start of its own treatment type, three hours from the others that day."""
    picked: list[tuple[int, str]] = []
    today = datetime.now(UTC).date()
    for d in range(2, 85):
        day = (today + timedelta(days=d)).isoformat()
        chosen: list[datetime] = []
        for tt in range(1, 8):
            path = f"/api/v1/availability?treatment_type_id={tt}&start={day}&end={day}"
            for slot in json.loads(get(host, port, path)[1])["slots"]:
                at = datetime.fromisoformat(slot["start"])
                if all(abs(at - other) >= timedelta(hours=3) for other in chosen):
                    chosen.append(at)
                    picked.append((tt, slot["start"]))
                    break
            if len(picked) >= count:
                return picked
    return picked


def _statements_per_post(url: str, key: str) -> dict[str, int]:
    """Statements one booking POST issues, counted in-process on the same database."""
    from sqlalchemy import event

    from services.scheduler import create_app
    from shared.config import load_settings

    database = Database(url)
    app = create_app(
        {"DATABASE": database, "SETTINGS": load_settings({"DATABASE_URL": url, **BENCH_ENV})}
    )
    client = app.test_client()
    seen: list[str] = []
    event.listen(
        database.engine,
        "before_cursor_execute",
        lambda *a: seen.append(a[2]),  # statement
    )
    out: dict[str, int] = {}
    starts = _free_starts_in_process(client)
    for label, email in (
        ("warm-up", "bench-count-0@example.com"),
        ("new client", "bench-count-1@example.com"),
        ("known client", "bench-count-1@example.com"),
    ):
        tt, start = starts.pop()
        seen.clear()
        response = client.post(
            "/api/v1/bookings",
            json={"treatment_type_id": tt, "start": start, "client": {"name": "B", "email": email}},
            headers={"Authorization": f"Bearer {key}"},
        )
        if response.status_code != 201:
            raise RuntimeError(f"counting POST answered {response.status_code}")
        out[label] = len(seen)
    database.dispose()
    return out


def _free_starts_in_process(client: Any) -> list[tuple[int, str]]:
    """Three free starts on days the timed POSTs leave alone (the horizon's last days)."""
    today = datetime.now(UTC).date()
    out: list[tuple[int, str]] = []
    for d in range(86, 90):
        day = (today + timedelta(days=d)).isoformat()
        slots = client.get(f"/api/v1/availability?treatment_type_id=2&start={day}&end={day}")
        if slots.json["slots"]:
            out.append((2, slots.json["slots"][0]["start"]))
    return out[:3]


def _post_booking(conn: http.client.HTTPConnection, key: str, body: str) -> tuple[int, float]:
    """POST one booking; its status and how long it took in ms."""
    started = time.perf_counter()
    conn.request(
        "POST",
        "/api/v1/bookings",
        body=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    response.read()
    return response.status, (time.perf_counter() - started) * 1000


def single(rounds: int) -> None:
    """POSTs one after another, each after a /healthz on the same connection; every other
    POST books for a client already on file (a returning client), the rest for a new one."""
    url, key = _demo_clinic("bench_bookings_single")
    counts = _statements_per_post(url, key)
    with gunicorn(url, workers=4) as (host, port):
        targets = _free_starts(host, port, rounds + 20)
        conn = http.client.HTTPConnection(host, port, timeout=60)
        health_ms: list[float] = []
        post_ms: dict[str, list[float]] = {"new client": [], "known client": []}
        refused = 0
        for i, (tt, start) in enumerate(targets):
            started = time.perf_counter()
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            health = (time.perf_counter() - started) * 1000
            kind = "known client" if i % 2 else "new client"
            email = f"known{i % 10}@example.com" if i % 2 else f"single{i}@example.com"
            body = json.dumps(
                {
                    "treatment_type_id": tt,
                    "start": start,
                    "client": {"name": "Bench Client", "email": email},
                }
            )
            status, post = _post_booking(conn, key, body)
            if i < 20:
                continue  # warm-up: every worker's catalog cache and connections; known clients
            if status != 201:
                refused += 1
                continue
            health_ms.append(health)
            post_ms[kind].append(post)
    h = statistics.median(health_ms)
    every = sorted(post_ms["new client"] + post_ms["known client"])
    rows: list[list[object]] = [["/healthz median ms (ceiling, same moments)", f"{h:.2f}", ""]]
    for kind, values in (*post_ms.items(), ("all", every)):
        p = statistics.median(values)
        p95 = sorted(values)[int(len(values) * 0.95) - 1]
        rows.append(
            [f"booking POST, {kind}: median / p95 ms", f"{p:.2f} / {p95:.2f}", f"{p / h:.1f}x"]
        )
    rows.append(
        [
            "statements per POST, new client / known client",
            f"{counts['new client']} / {counts['known client']}",
            "",
        ]
    )
    rows.append(["POSTs timed (201) / refused", f"{len(every)} / {refused}", ""])
    print(
        table(
            "Booking POST, one client at a time (PostgreSQL, gunicorn 4 workers)",
            ["measure", "value", "vs /healthz"],
            rows,
        )
    )


def placement(rounds: int) -> None:
    """Passes of 1 and 12 weekly sessions, timed in turn: a course whose every session is free
    (at the first weekly time that is), and one at 10:00 that clashes with the demo's diary."""
    from shared.placement import PlacementRequest, place_many

    url, _ = _demo_clinic("bench_bookings_placement")
    database = Database(url)
    tz = ZoneInfo("Europe/Ljubljana")
    first = datetime.now(UTC).date() + timedelta(days=3)
    with database.transaction() as session:
        demo.make_history(session, bookings=20_000)
        client_id = session.exec(select(Client.id)).first()

    def course(day: date, at: dt_time) -> list[PlacementRequest]:
        return [
            PlacementRequest(1, datetime.combine(day + timedelta(weeks=w), at, tz), client_id)
            for w in range(12)
        ]

    def pass_(requests: list[PlacementRequest]) -> tuple[float, int]:
        started = time.perf_counter()
        with database.transaction() as session:
            outcomes = place_many(session, requests, now=datetime.now(UTC))
        placed = sum(1 for o in outcomes if o.placement is not None)
        return (time.perf_counter() - started) * 1000, placed

    free = next(
        c
        for c in (
            course(first + timedelta(days=d), dt_time(h, m))
            for d in range(7)
            for h in range(9, 18)
            for m in (0, 30)
        )
        if pass_(c)[1] == 12
    )
    cases = {
        "1 session": free[:1],
        "12 weekly sessions, all free": free,
        "12 weekly sessions at 10:00, some taken": course(first, dt_time(10)),
    }
    timings: dict[str, list[float]] = {name: [] for name in cases}
    placed: dict[str, int] = {}
    for i in range(rounds + 10):
        for name, requests in cases.items():
            elapsed, placed[name] = pass_(requests)
            if i >= 10:
                timings[name].append(elapsed)
    database.dispose()
    one = statistics.median(timings["1 session"])
    rows = []
    for name, values in timings.items():
        median = statistics.median(values)
        n = len(cases[name])
        rows.append([name, f"{median:.2f}", f"{placed[name]} of {n}", f"{median / one:.1f}x"])
    print(
        table(
            "Placement engine, one transaction per pass (PostgreSQL, 20,000 past bookings)",
            ["pass", "median ms", "placed", "vs one session"],
            rows,
        )
    )


def concurrent(clients: int, seconds: float) -> None:
    url, key = _demo_clinic("bench_bookings")
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

        health_rps, _ = throughput(health, clients=clients, seconds=5)
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
            status, elapsed = _post_booking(c, key, body)
            with lock:
                post_ms.append(elapsed)
                outcome[status] = outcome.get(status, 0) + 1
            return 1 if status == 201 else 0

        booked_per_s, booked = throughput(attempt, clients=clients, seconds=seconds)

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
            f"Bookings on PostgreSQL, {clients} concurrent clients, {seconds:.0f} s "
            "(gunicorn, 4 workers)",
            ["measure", "value"],
            [
                ["/healthz requests/s (ceiling)", f"{health_rps:.0f}"],
                ["booking attempts (POST)", attempts],
                ["booked (201)", booked],
                ["bookings/s", f"{booked_per_s:.1f}"],
                ["POSTs/s", f"{attempts / seconds:.1f}"],
                ["POSTs/s vs /healthz", f"{attempts / seconds / health_rps:.2f}"],
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
