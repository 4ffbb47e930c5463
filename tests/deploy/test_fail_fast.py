"""A bad setting stops each real process at start, non-zero, with the variable's name on stderr."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.e2e.processes import BIN, ROOT, free_port, service_env

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("deploy")]

BAD = {
    "DATABASE_URL": {"DATABASE_URL": "postgresql://clinic@db:port/clinic"},
    "SECRET_KEY": {"CLINIC_ENV": "production", "SECRET_KEY": ""},
}


def gunicorn_cmd(service: str) -> list[str]:
    return [
        str(BIN / "gunicorn"),
        "-c",
        f"services/{service}/gunicorn.conf.py",
        f"services.{service}:create_app()",
    ]


def run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def env_for(variable: str, tmp_path: Path) -> dict[str, str]:
    port = str(free_port())
    env = service_env(
        "sqlite:///var/never-used.db",
        SCHEDULER_BIND=f"127.0.0.1:{port}",
        DASHBOARD_BIND=f"127.0.0.1:{port}",
        SCHEDULER_WORKERS="2",
        DASHBOARD_WORKERS="2",
        XDG_RUNTIME_DIR=str(tmp_path),
        SMTP_HOST="127.0.0.1",
        SMTP_PORT="1025",
    )
    env.update(BAD[variable])
    return env


@pytest.mark.parametrize("service", ["scheduler", "dashboard"])
@pytest.mark.parametrize("variable", sorted(BAD))
def test_gunicorn_stops_before_any_worker_starts_with_one_line_naming_the_variable(
    service: str, variable: str, tmp_path: Path
) -> None:
    done = run(gunicorn_cmd(service), env_for(variable, tmp_path))

    assert done.returncode == 2
    assert done.stderr.startswith(f"configuration error: {variable}: ")
    assert done.stderr.count("\n") == 1, done.stderr  # no traceback, no worker booted


@pytest.mark.parametrize("service", ["scheduler", "dashboard"])
def test_a_malformed_worker_count_is_named_too(service: str, tmp_path: Path) -> None:
    env = env_for("DATABASE_URL", tmp_path) | {"DATABASE_URL": "sqlite:///var/never-used.db"}
    env[f"{service.upper()}_WORKERS"] = "lots"

    done = run(gunicorn_cmd(service), env)

    assert done.returncode == 2
    assert done.stderr.startswith(f"configuration error: {service.upper()}_WORKERS: ")


@pytest.mark.parametrize("command", [["db", "upgrade"], ["worker"]], ids=["migrate", "worker"])
@pytest.mark.parametrize("variable", sorted(BAD))
def test_the_clinic_commands_exit_2_naming_the_variable(
    command: list[str], variable: str, tmp_path: Path
) -> None:
    done = run([str(BIN / "clinic"), *command], env_for(variable, tmp_path))

    assert done.returncode == 2
    assert done.stderr.startswith(f"configuration error: {variable}: ")
