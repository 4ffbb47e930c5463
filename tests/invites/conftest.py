"""A real SMTP server (aiosmtpd) on a free port, and helpers to read back what it received."""

from __future__ import annotations

import asyncio
import dataclasses
import email
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from typing import Any

import icalendar
import pytest
from aiosmtpd.controller import Controller

from shared import booking
from shared.config import Settings
from shared.db import Database
from shared.mailer import Mailer, MailerConfig
from shared.models import OutboxMessage
from tests.factories import NOW, Clinic, make_clinic


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Inbox:
    """aiosmtpd handler: keeps every message; can be slow, or refuse some recipients."""

    delay: float = 0.0
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP answer
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        answer = self.refuse.get(address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 Message accepted"

    def messages(self) -> list[Received]:
        with self.lock:
            return list(self.received)


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that a test can stop and start again on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.inbox.messages()
            if len(got) >= count:
                return got
            time.sleep(0.05)
        raise AssertionError(f"expected {count} messages, got {len(self.inbox.messages())}")


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    return dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=smtp.port)


FAST = MailerConfig(
    poll_seconds=0.05,
    batch_size=20,
    lease_seconds=30,
    max_attempts=5,
    backoff_base_seconds=0.05,
    backoff_cap_seconds=0.2,
    smtp_timeout_seconds=5,
)


@pytest.fixture
def mailer(db: Database, mail_settings: Settings) -> Mailer:
    return Mailer(db, mail_settings, FAST)


@pytest.fixture
def clinic(db: Database) -> Clinic:
    with db.transaction() as session:
        return make_clinic(session)


def book(db: Database, clinic: Clinic, start: datetime, **kwargs: Any) -> int:
    kwargs.setdefault("treatment_type_id", clinic.facial.id)
    kwargs.setdefault("client_id", clinic.client.id)
    with db.transaction() as session:
        made = booking.book(session, start=start, actor="reception", now=NOW, **kwargs)
        assert made.id is not None
        return made.id


def outbox_rows(db: Database, booking_id: int | None = None) -> list[OutboxMessage]:
    from sqlmodel import col, select

    with db.read() as session:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if booking_id is not None:
            query = query.where(OutboxMessage.booking_id == booking_id)
        return list(session.exec(query))


def parts(msg: EmailMessage) -> list[str]:
    """The MIME tree as indented content types, to compare the structure exactly."""
    out: list[str] = []

    def walk(part: EmailMessage, depth: int) -> None:
        out.append("  " * depth + part.get_content_type())
        if part.is_multipart():
            for sub in part.iter_parts():
                walk(sub, depth + 1)  # type: ignore[arg-type]

    walk(msg, 0)
    return out


def calendar_part(msg: EmailMessage) -> EmailMessage:
    return next(p for p in msg.walk() if p.get_content_type() == "text/calendar")  # type: ignore[return-value]


def attachment_part(msg: EmailMessage) -> EmailMessage:
    return next(p for p in msg.iter_attachments())  # type: ignore[return-value]


def vcalendar(msg: EmailMessage) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(calendar_part(msg).get_payload(decode=True))


def vevent(msg: EmailMessage) -> icalendar.Event:
    return vcalendar(msg).walk("VEVENT")[0]


def text_body(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


def html_body(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]


def drain(mailer: Mailer, now: datetime | None = None, rounds: int = 10) -> None:
    """Run the worker until nothing due is left (or `rounds` batches)."""
    for _ in range(rounds):
        if mailer.run_once(now) == 0:
            return


Clock = Callable[[], datetime]
