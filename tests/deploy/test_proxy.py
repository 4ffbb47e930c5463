"""deploy/Caddyfile, run by a real Caddy in front of a real scheduler (skipped without `caddy`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from shared import migrate
from tests.deploy.compose import CADDYFILE, ROOT
from tests.e2e.processes import BIN, free_port, service_env, stop, wait_until_up

CADDY = shutil.which("caddy")
TOKEN = "Zq3v9Xc_Kd2-pL7mWn4rTb8sYh1eJf6a"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("deploy"),
    pytest.mark.skipif(CADDY is None, reason="caddy is not installed (apt-get install caddy)"),
]


def caddy_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_UPSTREAM", "_LISTEN"))}
    env.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    env.update(extra)
    return env


def test_the_caddyfile_finds_replicas_by_their_service_name_and_keeps_no_access_log(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [str(CADDY), "adapt", "--adapter", "caddyfile", "--config", str(CADDYFILE)],
        env=caddy_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    servers = json.loads(done.stdout)["apps"]["http"]["servers"].values()

    found = {}
    for server in servers:
        assert "logs" not in server  # no access log: URLs hold feed tokens and booking links
        hidden, route = server["routes"]
        assert hidden["match"] == [{"path": ["/metrics"]}]  # metrics stay off the public door
        assert hidden["handle"][0]["status_code"] == 404
        [proxy] = route["handle"]
        upstreams = proxy["dynamic_upstreams"]
        assert upstreams["source"] == "a"
        found[server["listen"][0]] = (upstreams["name"], upstreams["port"])
    assert found == {":8000": ("scheduler", "8000"), ":8001": ("dashboard", "8001")}


def logged(path: Path, request_id: str, timeout: float = 5) -> dict[str, object]:
    """The request-log entry with this id (written once the response has been sent)."""
    deadline = time.monotonic() + timeout
    while True:
        for line in path.read_text().splitlines():
            entry = json.loads(line)
            if entry.get("request_id") == request_id and entry["message"] == "request":
                return entry  # type: ignore[no-any-return]
        if time.monotonic() > deadline:
            raise AssertionError(f"no log line for request {request_id} in {path}")
        time.sleep(0.05)


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[tuple[str, str, Path, Path]]:
    """Caddy with the repository's Caddyfile: the scheduler side in front of a real gunicorn,
    the dashboard side in front of a port where nothing listens."""
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    migrate.upgrade(url)
    app_port, proxy_port, dead_proxy_port = free_port(), free_port(), free_port()
    app_log, caddy_log = tmp_path / "scheduler.log", tmp_path / "caddy.log"
    with app_log.open("wb") as app_out, caddy_log.open("wb") as caddy_out:
        app = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-c",
                "services/scheduler/gunicorn.conf.py",
                "services.scheduler:create_app()",
            ],
            cwd=ROOT,
            env=service_env(
                url,
                SCHEDULER_BIND=f"127.0.0.1:{app_port}",
                SCHEDULER_WORKERS="1",
                XDG_RUNTIME_DIR=str(tmp_path),
            ),
            stdout=app_out,
            stderr=app_out,
            start_new_session=True,
        )
        caddy = subprocess.Popen(
            [str(CADDY), "run", "--adapter", "caddyfile", "--config", str(CADDYFILE)],
            env=caddy_env(
                tmp_path,
                SCHEDULER_LISTEN=str(proxy_port),
                SCHEDULER_UPSTREAM="127.0.0.1",
                SCHEDULER_UPSTREAM_PORT=str(app_port),
                DASHBOARD_LISTEN=str(dead_proxy_port),
                DASHBOARD_UPSTREAM="127.0.0.1",
                DASHBOARD_UPSTREAM_PORT=str(free_port()),
                PROXY_TRY_DURATION="1s",
            ),
            stdout=caddy_out,
            stderr=caddy_out,
            start_new_session=True,
        )
        try:
            wait_until_up(f"http://127.0.0.1:{app_port}/healthz", app)
            wait_until_up(f"http://127.0.0.1:{proxy_port}/healthz", caddy)
            yield (
                f"http://127.0.0.1:{proxy_port}",
                f"http://127.0.0.1:{dead_proxy_port}",
                app_log,
                caddy_log,
            )
        finally:
            stop(caddy)
            stop(app)


def test_caddy_forwards_to_the_replica_and_hands_back_its_request_id(proxy) -> None:
    base, _, app_log, _ = proxy

    response = requests.get(
        f"{base}/readyz", headers={"X-Request-ID": "e2e-proxy-0001"}, timeout=10
    )

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "e2e-proxy-0001"
    entry = logged(app_log, "e2e-proxy-0001")
    assert (entry["path"], entry["status"]) == ("/readyz", 200)


def test_metrics_are_not_served_on_the_public_address(proxy) -> None:
    base, _, app_log, _ = proxy

    through_proxy = requests.get(f"{base}/metrics", timeout=10)

    assert through_proxy.status_code == 404
    assert "clinic_" not in through_proxy.text
    assert '"/metrics"' not in app_log.read_text()  # Caddy answered: the replica never saw it


def test_with_no_replica_up_caddy_answers_502_and_logs_neither_url_nor_client(proxy) -> None:
    _, dead, _, caddy_log = proxy
    started = time.monotonic()

    response = requests.get(
        f"{dead}/b/{TOKEN}?email=eva.horvat@example.com",
        headers={"X-Request-ID": "e2e-proxy-0002"},
        timeout=20,
    )

    assert response.status_code == 502
    assert time.monotonic() - started < 10
    time.sleep(0.3)  # let Caddy flush its log line
    text = caddy_log.read_text()
    errors = [json.loads(line) for line in text.splitlines() if '"http.log.error"' in line]
    assert errors and errors[-1]["status"] == 502
    for secret in (TOKEN, "eva.horvat", "example.com", "e2e-proxy-0002", '127.0.0.1","remote'):
        assert secret not in text
