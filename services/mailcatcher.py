"""`clinic mail-catcher`: a local SMTP server that keeps every message as an .eml file.

For development without a mail server: `make run` starts it when SMTP_HOST is unset, and the
worker sends there, so a newcomer can open the invitations (any mail program opens .eml).
It listens on 127.0.0.1 only and delivers nothing anywhere.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from services import cli
from shared.config import Settings


class EmlWriter:
    """aiosmtpd handler: one file per message, written whole (temp file, then rename)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            number = next(self._numbers)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{os.getpid()}-{number:05d}.eml"
        content: bytes = envelope.original_content or envelope.content
        trace = (
            f"X-Envelope-From: <{envelope.mail_from}>\r\n"
            f"X-Envelope-To: {', '.join(f'<{r}>' for r in envelope.rcpt_tos)}\r\n"
        ).encode("utf-8", "replace")
        final = self.directory / name
        partial = self.directory / f".{name}.part"
        partial.write_bytes(trace + content)
        os.replace(partial, final)
        return "250 Message accepted for delivery"


def start(host: str, port: int, directory: Path) -> Controller:
    controller = Controller(
        EmlWriter(directory), hostname=host, port=port, enable_SMTPUTF8=True, ready_timeout=10
    )
    controller.start()
    return controller


def run_catcher(args: argparse.Namespace, settings: Settings) -> int:
    directory = Path(args.dir)
    try:
        controller = start(args.host, args.port, directory)
    except (OSError, RuntimeError) as exc:
        print(f"mail catcher: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(
        f"mail catcher: SMTP on {args.host}:{args.port}, saving each message under "
        f"{directory}/ (nothing is delivered)",
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    finally:
        controller.stop()
    return 0


def _extend(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("mail-catcher", help="local SMTP server saving messages as .eml files")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8025)
    p.add_argument("--dir", default="var/mail", help="where the .eml files go")
    p.set_defaults(cmd="mail-catcher")


cli.COMMANDS["mail-catcher"] = run_catcher
cli.EXTENSIONS.append(_extend)
