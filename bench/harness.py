"""What the benchmarks share: databases to fill, gunicorn to serve, a load loop, a table.

Traffic goes only to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
VAR = ROOT / "var" / "bench"
# What the benchmarks' servers and in-process apps run with: logs as in production (one JSON
# line per request), written where the tables are not.
BENCH_ENV = {"LOG_FORMAT": "json", "SECRET_KEY": "bench-secret-key-0123456789abcdef0123"}
PG_ADMIN = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_sqlite(name: str) -> str:
    VAR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        (VAR / f"{name}.db{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{VAR / name}.db"


def fresh_postgres(name: str) -> str:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


@contextmanager
def gunicorn(
    database_url: str,
    *,
    workers: int = 4,
    app: str = "services.scheduler:create_app()",
    extra_env: dict[str, str] | None = None,
) -> Iterator[tuple[str, int]]:
    """Serve the app like production does (gthread workers, a JSON line per request)."""
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        **BENCH_ENV,
        **(extra_env or {}),
    )
    VAR.mkdir(parents=True, exist_ok=True)
    log = (VAR / f"gunicorn-{port}.log").open("wb")  # out of the tables' way; read on failure
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "2",
            "--log-level",
            "warning",
            app,
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get("127.0.0.1", port, "/healthz")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        yield "127.0.0.1", port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


def get(
    host: str, port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


@dataclass
class Latency:
    median_ms: float
    p95_ms: float
    count: int


def latency(
    host: str,
    port: int,
    paths: Sequence[str],
    *,
    rounds: int,
    warmup: int = 20,
    headers: dict[str, str] | None = None,
) -> Latency:
    """One client, keep-alive, requests in turn: how long one request takes."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    samples: list[float] = []
    for i in range(warmup + rounds):
        path = paths[i % len(paths)]
        started = time.perf_counter()
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if response.status >= 400:
            raise RuntimeError(f"{path} answered {response.status}")
        if i >= warmup:
            samples.append(elapsed * 1000)
    conn.close()
    samples.sort()
    return Latency(statistics.median(samples), samples[int(len(samples) * 0.95) - 1], len(samples))


def interleaved_latency(
    targets: dict[str, tuple[str, int, Sequence[str]]],
    *,
    rounds: int,
    burst: int = 14,
    warmup: int = 2,
) -> dict[str, Latency]:
    """`latency` for several servers and paths at once: each round sends `burst` requests in a
    row to each target in turn (the first of each burst only warms its connection and is not
    counted), so a slow moment of the machine falls on every case alike and ratios hold."""
    conns = {
        name: http.client.HTTPConnection(host, port, timeout=30)
        for name, (host, port, _) in targets.items()
    }
    samples: dict[str, list[float]] = {name: [] for name in targets}
    for round_ in range(warmup + rounds):
        for name, (_, _, paths) in targets.items():
            for i in range(burst + 1):
                path = paths[(round_ * burst + i) % len(paths)]
                started = time.perf_counter()
                conns[name].request("GET", path)
                response = conns[name].getresponse()
                response.read()
                elapsed = time.perf_counter() - started
                if response.status >= 400:
                    raise RuntimeError(f"{path} answered {response.status}")
                if round_ >= warmup and i > 0:
                    samples[name].append(elapsed * 1000)
    for conn in conns.values():
        conn.close()
    out = {}
    for name, values in samples.items():
        values.sort()
        out[name] = Latency(
            statistics.median(values), values[int(len(values) * 0.95) - 1], len(values)
        )
    return out


def throughput(worker: Callable[[int], int], *, clients: int, seconds: float) -> tuple[float, int]:
    """Run `worker(i)` in `clients` threads until `seconds` pass; it returns units done."""
    stop_at = time.monotonic() + seconds
    totals = [0] * clients

    def run(i: int) -> None:
        while time.monotonic() < stop_at:
            totals[i] += worker(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return sum(totals) / elapsed, sum(totals)


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    out = [f"### {title}", "", line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells[1:]]
    return "\n".join(out)
