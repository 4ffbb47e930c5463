"""`clinic worker`: sends the outbox's calendar invitations and reminders until stopped.

Several may run at once (each message is sent by one of them); SIGTERM or Ctrl-C lets the
current message finish and gives the rest of the batch back at once.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import tempfile
import threading
from datetime import datetime, timedelta
from pathlib import Path

from services import cli
from shared import heartbeat, holds, offers, retention
from shared.config import Settings
from shared.db import Database
from shared.mailer import Mailer, MailerConfig
from shared.models import utcnow

DEFAULTS = MailerConfig()
HEARTBEAT_FILE = Path(tempfile.gettempdir()) / "clinic-worker.heartbeat"
log = logging.getLogger("clinic.worker")


class Housekeeping:
    """After each round: the heartbeat, lapsed holds let go, freed time offered to the waiting
    list, and now and then the retention purge."""

    def __init__(
        self, database: Database, settings: Settings, beat: heartbeat.Heartbeat, every: float
    ) -> None:
        self.database = database
        self.policy = retention.RetentionPolicy.from_settings(settings)
        self.beat = beat
        self.every = timedelta(seconds=every) if every > 0 else None
        self.last_purge: datetime | None = None

    def __call__(self, now: datetime) -> None:
        self.beat.beat(now)
        with self.database.transaction() as session:
            lapsed = len(holds.expire(session, now=now))
        if lapsed:
            log.info("holds lapsed", extra={"holds": lapsed})
        with self.database.transaction() as session:
            matched = offers.match(session, now=now)
        if matched.offered or matched.lapsed or matched.expired_entries:
            log.info(
                "waiting list matched",
                extra={
                    "offered": len(matched.offered),
                    "offers_lapsed": matched.lapsed,
                    "entries_expired": matched.expired_entries,
                },
            )
        if self.every is None or (self.last_purge and now - self.last_purge < self.every):
            return
        with self.database.transaction() as session:
            report = retention.purge(session, self.policy, now)
        self.last_purge = now
        if report.total:
            log.info("retention purge", extra={"purged": list(report.lines())})


def run_worker(args: argparse.Namespace, settings: Settings) -> int:
    if args.check:
        return check_heartbeat(args.heartbeat_file, args.max_age)
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
    database = Database(settings.database_url)
    mailer = Mailer(database, settings, config)
    stop = threading.Event()

    def _stop(*_: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    tls = ", STARTTLS" if settings.smtp_starttls else ""
    log.info(
        "mail worker: sending through %s:%s%s, checking every %gs",
        settings.smtp_host,
        settings.smtp_port,
        tls,
        config.poll_seconds,
    )
    beat = heartbeat.Heartbeat(database, file=args.heartbeat_file)
    housekeeping = Housekeeping(database, settings, beat, args.purge_every)
    try:
        if args.once:
            while mailer.run_once(stop=stop) == config.batch_size and not stop.is_set():
                pass
            housekeeping(utcnow())
        else:
            mailer.run(stop, after_round=housekeeping)
    finally:
        database.dispose()
    return 0


def check_heartbeat(path: Path, max_age: float) -> int:
    """`clinic worker --check`, the container's health check: 0 while the worker's last round
    ended less than `max_age` seconds ago."""
    age = heartbeat.file_age_seconds(path)
    if age is None:
        print(f"no heartbeat at {path}: the worker has not finished a round yet", file=sys.stderr)
        return 1
    if age > max_age:
        print(f"the worker's last round ended {age:.0f}s ago (limit {max_age:g}s)", file=sys.stderr)
        return 1
    print(f"worker alive: last round ended {age:.0f}s ago")
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
    p.add_argument(
        "--heartbeat-file",
        type=Path,
        default=HEARTBEAT_FILE,
        help="touched after every round; `--check` reads it",
    )
    p.add_argument(
        "--purge-every",
        type=float,
        default=3600,
        help="seconds between retention purges (0: never; see `clinic purge`)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="health check: exit 0 if a worker finished a round within --max-age seconds",
    )
    p.add_argument("--max-age", type=float, default=120, help="for --check")
    p.set_defaults(cmd="worker")


cli.COMMANDS["worker"] = run_worker
cli.EXTENSIONS.append(_extend)
