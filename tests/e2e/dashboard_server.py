"""The dashboard as a real gunicorn process (its own gunicorn.conf.py), and headless Chromium."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.e2e.processes import BIN, ROOT, free_port, service_env, stop, wait_until_up

CONF = ROOT / "services" / "dashboard" / "gunicorn.conf.py"
SCREENSHOTS = ROOT / "var" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@contextmanager
def dashboard(database_url: str, log_path: Path) -> Iterator[str]:
    """Serve `services.dashboard:create_app()` on a free port; yield its base URL."""
    port = free_port()
    env = service_env(
        database_url, DASHBOARD_BIND=f"127.0.0.1:{port}", DASHBOARD_WORKERS="2", LOG_JSON="false"
    )
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(CONF), "services.dashboard:create_app()"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base + "/healthz", proc)
            yield base
        finally:
            stop(proc)
