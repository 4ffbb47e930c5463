"""`clinic worker`: sends the outbox's calendar invitations and reminders until stopped.

Several may run at once (each message is sent by one of them); SIGTERM or Ctrl-C lets the
current message finish and gives the rest of the batch back at once.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from typing import Any

from services import cli
from shared.config import Settings
from shared.db import Database
from shared.mailer import Mailer, MailerConfig

DEFAULTS = MailerConfig()


class _JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "service": "worker",
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _configure_logging(json_lines: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _JsonLines() if json_lines else logging.Formatter("%(asctime)s %(levelname)s %(message)s")
    )
    logger = logging.getLogger("clinic.mailer")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.smtp_host:
        print(
            "SMTP_HOST is not set: point it at your mail server, or run `clinic mail-catcher` "
            "and set SMTP_HOST=127.0.0.1 SMTP_PORT=8025",
            file=sys.stderr,
        )
        return 2
    try:
        config = MailerConfig(
            poll_seconds=args.poll,
            batch_size=args.batch,
            lease_seconds=args.lease,
            max_attempts=args.max_attempts,
            backoff_base_seconds=args.backoff,
            backoff_cap_seconds=args.backoff_cap,
            smtp_timeout_seconds=args.smtp_timeout,
        )
    except ValueError as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    _configure_logging(settings.log_json)
    database = Database(settings.database_url)
    mailer = Mailer(database, settings, config)
    stop = threading.Event()

    def _stop(*_: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    tls = ", STARTTLS" if settings.smtp_starttls else ""
    print(
        f"mail worker: sending through {settings.smtp_host}:{settings.smtp_port}{tls}, "
        f"checking every {config.poll_seconds:g}s",
        flush=True,
    )
    try:
        if args.once:
            while mailer.run_once(stop=stop) == config.batch_size and not stop.is_set():
                pass
        else:
            mailer.run(stop)
    finally:
        database.dispose()
    return 0


def _extend(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("worker", help="send calendar invitations and reminders from the outbox")
    p.add_argument("--once", action="store_true", help="send what is due now, then exit")
    p.add_argument(
        "--poll", type=float, default=DEFAULTS.poll_seconds, help="seconds between checks"
    )
    p.add_argument("--batch", type=int, default=DEFAULTS.batch_size, help="messages per claim")
    p.add_argument(
        "--lease",
        type=float,
        default=DEFAULTS.lease_seconds,
        help="seconds a claim lasts; a killed worker's messages are retaken after it",
    )
    p.add_argument("--max-attempts", type=int, default=DEFAULTS.max_attempts)
    p.add_argument(
        "--backoff", type=float, default=DEFAULTS.backoff_base_seconds, help="first retry delay"
    )
    p.add_argument("--backoff-cap", type=float, default=DEFAULTS.backoff_cap_seconds)
    p.add_argument("--smtp-timeout", type=float, default=DEFAULTS.smtp_timeout_seconds)
    p.set_defaults(cmd="worker")


cli.COMMANDS["worker"] = run_worker
cli.EXTENSIONS.append(_extend)
