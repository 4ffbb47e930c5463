"""`clinic dev`: migrate, load the demo clinic if empty, and run every service until Ctrl-C."""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from services import cli
from shared import accounts, demo, migrate
from shared.config import Settings
from shared.db import Database

DEV_KEY_NAME = "make-run"


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _conf(service: str) -> str:
    return str(Path(__file__).parent / service / "gunicorn.conf.py")


def _processes(settings: Settings) -> list[tuple[str, list[str]]]:
    bin_dir = Path(sys.executable).parent
    gunicorn = str(bin_dir / "gunicorn")
    clinic = str(bin_dir / "clinic")
    procs = [
        ("scheduler", [gunicorn, "-c", _conf("scheduler"), "services.scheduler:create_app()"]),
    ]
    if _has("services.dashboard"):
        procs.append(
            ("dashboard", [gunicorn, "-c", _conf("dashboard"), "services.dashboard:create_app()"])
        )
    if not settings.smtp_host and _has("services.mailcatcher"):
        procs.append(("mail catcher", [clinic, "mail-catcher"]))
    if _has("services.worker"):
        procs.append(("mail worker", [clinic, "worker"]))
    return procs


def run_dev(args: argparse.Namespace, settings: Settings) -> int:
    migrate.upgrade(settings.database_url)
    database = Database(settings.database_url)
    with database.transaction() as session:
        if demo.is_empty(session):
            info = demo.load_demo(session)
            print("Loaded the demo clinic.")
        else:
            info = {
                "receptionist": demo.DEMO_LOGIN[0],
                "receptionist_password": demo.DEMO_LOGIN[1],
                "admin": demo.DEMO_ADMIN[0],
                "admin_password": demo.DEMO_ADMIN[1],
            }
        _, info["api_key"] = accounts.replace_api_key(session, DEV_KEY_NAME)
    database.dispose()

    env = dict(os.environ)
    if "LOG_FORMAT" not in env and "LOG_JSON" not in env:
        env["LOG_FORMAT"] = "text"  # a person reads these; production keeps JSON
    if not settings.smtp_host:
        env.setdefault("SMTP_HOST", "127.0.0.1")
        env.setdefault("SMTP_PORT", "8025")
    procs = _processes(settings)
    print()
    print("  Clinic scheduler is running (Ctrl-C stops everything):")
    print(
        "    API:        http://127.0.0.1:8000/api/v1/treatment-types  (docs: /api/v1/openapi.json)"
    )
    if any(name == "dashboard" for name, _ in procs):
        print("    Dashboard:  http://127.0.0.1:8001/")
        print(
            f"    Login:      {info['receptionist']} / {info['receptionist_password']}"
            f"  (admin: {info['admin']} / {info['admin_password']})"
        )
    print(f"    API key:    {info['api_key']}")
    if any(name == "mail catcher" for name, _ in procs):
        print(
            "    Mail:       no SMTP_HOST set, so invitations go to a local catcher on "
            "127.0.0.1:8025 and are saved under var/mail/"
        )
    print(f"    Database:   {settings.database_url}")
    print()
    sys.stdout.flush()

    children = [(name, subprocess.Popen(cmd, env=env)) for name, cmd in procs]
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    while not stopping:
        for name, child in children:
            if child.poll() is not None:
                print(
                    f"{name} stopped (exit {child.returncode}); stopping the rest", file=sys.stderr
                )
                code = child.returncode or 1
                stopping = True
        time.sleep(0.3)
    for _, child in children:
        if child.poll() is None:
            child.terminate()
    for _, child in children:
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
    return code


def _extend(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    dev = sub.add_parser("dev", help="run the whole clinic locally (what `make run` does)")
    dev.set_defaults(cmd="dev")


cli.COMMANDS["dev"] = run_dev
cli.EXTENSIONS.append(_extend)
