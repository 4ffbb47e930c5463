"""A crash is logged in the one format too: gunicorn's own error log, when an app cannot even
start, is JSON lines with the exception's type and stack, and none of its text."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.processes import BIN, ROOT, free_port, service_env

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("deploy")]

MARKER = "Philippa Crashmarker <philippa.crash@marker.example>"


def broken_app() -> None:
    """An app factory that fails the way a bad deploy might, with client data in its text."""
    raise RuntimeError(f"cannot start: the first client is {MARKER}")


def test_a_worker_that_cannot_boot_is_logged_as_json_without_the_exceptions_text(
    tmp_path: Path,
) -> None:
    env = service_env(
        f"sqlite:///{tmp_path / 'unused.db'}",
        SCHEDULER_BIND=f"127.0.0.1:{free_port()}",
        SCHEDULER_WORKERS="1",
        LOG_FORMAT="json",
    )

    done = subprocess.run(
        [
            str(BIN / "gunicorn"),
            "-c",
            "services/scheduler/gunicorn.conf.py",
            "tests.deploy.test_crash_logs:broken_app()",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode != 0
    entries = [json.loads(line) for line in done.stderr.splitlines()]  # every line is JSON
    crashes = [e for e in entries if e.get("exc_type") == "RuntimeError"]
    assert crashes, done.stderr
    assert any("test_crash_logs.py" in frame for frame in crashes[0]["stack"])
    assert {e["logger"] for e in entries} <= {"gunicorn.error", "clinic.stderr"}
    # gunicorn also prints the exception's text: held back, only its length said
    assert any(e["message"] == "unformatted output held back" for e in entries)
    assert "Crashmarker" not in done.stderr and "philippa" not in done.stderr.lower()
