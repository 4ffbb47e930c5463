"""The dashboard as a real gunicorn process (its own gunicorn.conf.py), the demo clinic on a
fresh database file, and headless Chromium: what the browser tests share."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from shared import demo, migrate
from shared.db import Database
from tests.e2e.processes import (
    BIN,
    ROOT,
    free_port,
    gunicorn,
    service_env,
    stop,
    wait_until_up,
)

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


@contextmanager
def demo_clinic(tmp_path: Path) -> Iterator[tuple[str, Database, dict[str, str]]]:
    """The demo clinic on a new SQLite file: its URL, its database and the demo's logins."""
    url = f"sqlite:///{tmp_path / 'clinic.db'}"
    migrate.upgrade(url)
    database = Database(url)
    with database.transaction() as session:
        logins = demo.load_demo(session)
    try:
        yield url, database, logins
    finally:
        database.dispose()


@contextmanager
def desk_and_api(database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The dashboard and the scheduler API as real gunicorns on one database: their base URLs."""
    with (
        dashboard(database_url, tmp_path / "dashboard.log") as desk,
        gunicorn(
            "services.scheduler:create_app()",
            database_url,
            workers=1,
            env=service_env(database_url),
            log_path=tmp_path / "api.log",
        ) as api,
    ):
        yield desk, api


@contextmanager
def headless_chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright; the test is skipped on a machine without it."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(chromium_path()).exists():
        pytest.skip(f"no Chromium at {chromium_path()} (apt-get install chromium)")
    with playwright.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def logged_in_tab(
    chromium: Any, desk: str, login: tuple[str, str], **context_options: Any
) -> Iterator[Any]:
    """A tab signed in to the dashboard at `desk`; an error in the page fails the test."""
    tab = chromium.new_context(**context_options).new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(tab, desk, login)
    yield tab
    assert errors == [], errors


def sign_in(tab: Any, desk: str, login: tuple[str, str]) -> None:
    """Sign in as a person does: the dashboard sends a stranger to its log-in page, and back
    to the day view after it."""
    tab.goto(desk + "/")
    assert "/login" in tab.url
    tab.fill("#email", login[0])
    tab.fill("#password", login[1])
    tab.click("button[type=submit]")
    tab.wait_for_url(desk + "/")
