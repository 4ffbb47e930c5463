"""A therapist's iCal feed of 2,000 sessions through gunicorn: full, 304, and the ceilings.

    .venv/bin/python -m bench.feeds [--backends sqlite,postgresql] [--seconds 5] [--clients 4]

In the same run and the same server: the same bytes as a static file (`send_file`, which
gunicorn serves with sendfile) as the ceiling for a full feed, and /healthz as the ceiling for
a 304. The database also holds 6,000 older sessions of the same therapist, outside the window,
so the numbers show that a feed's cost does not grow with the clinic's history.
"""

from __future__ import annotations

import argparse
import http.client
import os
import secrets
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from flask import Flask, send_file
from sqlalchemy import insert

from bench.harness import (
    VAR,
    Latency,
    fresh_postgres,
    fresh_sqlite,
    gunicorn,
    latency,
    table,
    throughput,
)
from shared import catalog, clinic_time, feeds, migrate
from shared.clients import create_client
from shared.db import Database
from shared.feed_cache import FeedCache
from shared.models import Booking

SESSIONS = 2_000
ROUNDS = 5
HISTORY = 6_000
STATIC_ENV = "BENCH_FEED_STATIC_FILE"
TZ_NAME = "Europe/Ljubljana"


def bench_app() -> Flask:
    """The scheduler plus one static route serving the feed's bytes from a file."""
    from services.scheduler import create_app

    app = create_app()
    path = Path(os.environ[STATIC_ENV])

    @app.get("/bench/static.ics")
    def static_feed() -> Any:
        return send_file(path, mimetype="text/calendar", conditional=False, etag=False)

    return app


def _rows(
    therapist_id: int,
    room_id: int,
    client_ids: list[int],
    tt_id: int,
    tz: Any,
    first_day: Any,
    count: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """`count` one-hour sessions, six a day from `first_day`; some future ones cancelled."""
    rows = []
    starts = (dtime(8), dtime(9, 30), dtime(11), dtime(12, 30), dtime(14), dtime(15, 30))
    day = first_day
    while len(rows) < count:
        for at in starts:
            if len(rows) == count:
                break
            start = clinic_time.local_to_utc(day, at, tz)
            end = start + timedelta(hours=1)
            cancelled = start > now and len(rows) % 20 == 7  # kept in the feed
            changed = min(now, start - timedelta(days=2))
            rows.append(
                {
                    "uid": f"{uuid.uuid4()}@clinic-scheduler",
                    "treatment_type_id": tt_id,
                    "therapist_id": therapist_id,
                    "room_id": room_id,
                    "client_id": client_ids[len(rows) % len(client_ids)],
                    "start_at": start,
                    "end_at": end,
                    "blocked_start": start,
                    "blocked_end": end,
                    "status": "cancelled" if cancelled else "booked",
                    "sequence": 1 if cancelled else 0,
                    "source": "import",
                    "notes": "",
                    "access_token": secrets.token_urlsafe(24),
                    "created_at": changed - timedelta(days=5),
                    "updated_at": changed,
                    "cancelled_at": changed if cancelled else None,
                    "cancel_reason": "",
                }
            )
        day += timedelta(days=1)
    return rows


def prepare(database_url: str) -> tuple[str, dict[str, float]]:
    """Fill the database; the feed's token and how long rendering took, cold and warm."""
    migrate.upgrade(database_url)
    database = Database(database_url)
    now = datetime.now(UTC)
    with database.transaction() as session:
        catalog.configure_clinic(
            session,
            name="Lotus TCM",
            address="Trubarjeva 1, Ljubljana",
            timezone="Europe/Ljubljana",
        )
        tt = catalog.save_treatment_type(session, name="Facial rejuvenation", duration_minutes=60)
        room = catalog.save_room(session, name="Room 1")
        anna = catalog.save_therapist(
            session,
            name="Anna Novak",
            email="anna@clinic.example",
            treatment_type_ids=[tt.id],  # type: ignore[list-item]
        )
        clients = [
            create_client(session, name=f"Client{i} Surname", phone=f"+386 40 {i:03d}").id
            for i in range(200)
        ]
        tz = clinic_time.zone(TZ_NAME)
        today = now.astimezone(tz).date()
        ids = (anna.id, room.id, clients, tt.id, tz)
        history = _rows(*ids, today - timedelta(days=4 * 365), HISTORY, now)  # type: ignore[arg-type]
        window = _rows(*ids, today - timedelta(days=55), SESSIONS, now)  # type: ignore[arg-type]
        for chunk in range(0, len(history) + len(window), 1000):
            session.execute(insert(Booking), (history + window)[chunk : chunk + 1000])
        token = anna.feed_token
    timings = {}
    with database.read() as session:
        feed = feeds.find_feed(session, "therapist", token)
        cache = FeedCache(database)
        started = time.perf_counter()
        doc = cache.document(session, feed)
        timings["cold render in-process (ms)"] = time.perf_counter() - started
        cache.recheck_after = 0
        started = time.perf_counter()
        cache.document(session, feed)
        timings["re-render, events cached (ms)"] = time.perf_counter() - started
        assert doc.body.count(b"BEGIN:VEVENT") == SESSIONS, doc.body.count(b"BEGIN:VEVENT")
    database.dispose()
    VAR.mkdir(parents=True, exist_ok=True)
    (VAR / "feed-static.ics").write_bytes(doc.body)
    return token, timings


def _worker(host: str, port: int, path: str, headers: dict[str, str], status: int) -> Any:
    local: dict[int, http.client.HTTPConnection] = {}

    def one(i: int) -> int:
        conn = local.get(i)
        if conn is None:
            conn = local[i] = http.client.HTTPConnection(host, port, timeout=30)
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != status:
            raise RuntimeError(f"{path} answered {response.status}, expected {status}")
        return 1

    return one


def _warm(host: str, port: int, path: str) -> None:
    """New connections from several threads for a few seconds, so each worker gets some."""

    def one(i: int) -> int:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.request("GET", path)
        conn.getresponse().read()
        conn.close()
        return 1

    throughput(one, clients=8, seconds=4)


def run(backend: str, seconds: float, clients: int) -> list[list[str]]:
    url = fresh_sqlite("bench_feeds") if backend == "sqlite" else fresh_postgres("bench_feeds")
    token, timings = prepare(url)
    static = VAR / "feed-static.ics"
    feed_path = f"/feeds/therapist/{token}.ics"
    env = {
        STATIC_ENV: str(static),
        "PUBLIC_BASE_URL": "https://clinic.example",
        "MAIL_FROM": "reception@clinic.example",
    }
    rows: list[list[str]] = []
    with gunicorn(url, app="bench.feeds:bench_app()", extra_env=env) as (host, port):
        conn = http.client.HTTPConnection(host, port, timeout=60)
        conn.request("GET", feed_path)
        first = conn.getresponse()
        body = first.read()
        etag, modified = first.getheader("ETag") or "", first.getheader("Last-Modified") or ""
        assert first.status == 200 and body == static.read_bytes(), "feed differs from the file"
        conn.close()
        _warm(host, port, feed_path)  # every worker renders its copy once, before measuring
        cases = [
            ("/healthz (ceiling for 304)", "/healthz", {}, 200),
            ("/readyz (one trivial DB query)", "/readyz", {}, 200),
            ("static file, same bytes (ceiling)", "/bench/static.ics", {}, 200),
            ("feed, full 200", feed_path, {}, 200),
            ("feed, 304 If-None-Match", feed_path, {"If-None-Match": etag}, 304),
            ("feed, 304 If-Modified-Since", feed_path, {"If-Modified-Since": modified}, 304),
        ]
        # Cases take turns in short slices, and each reports its median slice: a machine
        # whose load drifts during the run then weighs on every case alike.
        slices: dict[str, list[tuple[float, int, Latency]]] = {c[0]: [] for c in cases}
        for _ in range(ROUNDS):
            for label, path, headers, status in cases:
                rps, count = throughput(
                    _worker(host, port, path, headers, status),
                    clients=clients,
                    seconds=seconds / ROUNDS,
                )
                one = latency(host, port, [path], rounds=40, warmup=5, headers=headers)
                slices[label].append((rps, count, one))
        measured = {}
        for label, runs in slices.items():
            rps = statistics.median(r[0] for r in runs)
            count = sum(r[1] for r in runs)
            median_ms = statistics.median(r[2].median_ms for r in runs)
            p95_ms = statistics.median(r[2].p95_ms for r in runs)
            measured[label] = (rps, count, Latency(median_ms, p95_ms, 0))
    static_rps = measured["static file, same bytes (ceiling)"][0]
    health_rps = measured["/healthz (ceiling for 304)"][0]
    for label, (rps, count, one) in measured.items():
        if label.startswith("feed, full"):
            ratio = f"{rps / static_rps:.2f} of static"
        elif label.startswith("feed, 304"):
            ratio = f"{rps / health_rps:.2f} of /healthz"
        else:
            ratio = ""
        rows.append(
            [
                backend,
                label,
                f"{rps:,.0f}",
                f"{count:,}",
                f"{one.median_ms:.2f}",
                f"{one.p95_ms:.2f}",
                ratio,
            ]
        )
    size = len(static.read_bytes())
    for key, value in timings.items():
        rows.append([backend, key, "", "", f"{value * 1000:.0f}", "", ""])
    rows.append([backend, f"feed size: {size:,} bytes, {SESSIONS:,} events", "", "", "", "", ""])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=5.0, help="per case (bounded)")
    parser.add_argument("--clients", type=int, default=4, help="keep-alive client threads")
    args = parser.parse_args()
    seconds = min(max(args.seconds, 1.0), 30.0)
    clients = min(max(args.clients, 1), 16)
    rows: list[list[str]] = []
    for backend in args.backends.split(","):
        rows += run(backend, seconds, clients)
    print(
        table(
            f"Therapist feed of {SESSIONS:,} sessions through gunicorn (4 gthread workers x 2 "
            f"threads; {clients} keep-alive clients, {seconds:.0f} s per case in {ROUNDS} "
            "interleaved slices, median slice; 127.0.0.1)",
            ["db", "case", "req/s", "requests", "median ms (1 client)", "p95 ms", "ratio"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
