"""Start the clinic's real processes (gunicorn, workers) for end-to-end tests, and stop them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "CLINIC_"))}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="e2e-secret-key-0123456789abcdef0123456789",
        PUBLIC_BASE_URL="https://clinic.example",
        MAIL_FROM="reception@clinic.example",
    )
    env.update(extra)
    return env


@contextmanager
def gunicorn(
    app: str,
    database_url: str,
    *,
    workers: int = 3,
    env: Mapping[str, str] | None = None,
    log_path: Path | None = None,
) -> Iterator[str]:
    """Serve `app` (e.g. 'services.scheduler:create_app()') and yield its base URL."""
    port = free_port()
    cmd = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        "4",
        "--timeout",
        "60",
        app,
    ]
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=dict(env or service_env(database_url)),
        stdout=out,
        stderr=out,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", proc)
        yield base
    finally:
        stop(proc)
        if log_path:
            out.close()  # type: ignore[union-attr]


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    """Polls until the server answers; the deadline is generous (a machine busy with other
    tests once took over 30 s to start four workers) and costs nothing when it is quick."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
