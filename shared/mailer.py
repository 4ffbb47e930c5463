"""The mail worker: takes due outbox messages, renders each from its booking as it is now,
sends it through `shared.smtp` and records the result.
"""

from __future__ import annotations

import logging
import random
import re
import secrets
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlalchemy.orm import joinedload
from sqlmodel import Session, col, select

from shared import course_mail, invites, offer_mail
from shared.config import Settings
from shared.course_outbox import COURSE_KINDS
from shared.db import Database
from shared.models import Booking, BookingStatus, Clinic, MessageKind, MessageStatus, OutboxMessage
from shared.models.types import utcnow
from shared.outbox import CALENDAR_KINDS
from shared.smtp import (
    PermanentFailure,
    ServerUnavailable,
    SmtpTransport,
    TemporaryFailure,
    Transport,
)

log = logging.getLogger("clinic.mailer")


@dataclass(frozen=True)
class MailerConfig:
    poll_seconds: float = 1.0
    batch_size: int = 20
    lease_seconds: float = 300.0
    max_attempts: int = 10
    backoff_base_seconds: float = 30.0
    backoff_cap_seconds: float = 3600.0
    smtp_timeout_seconds: float = 30.0

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.max_attempts < 1:
            raise ValueError("batch_size and max_attempts must be at least 1")
        if self.poll_seconds <= 0 or self.backoff_base_seconds <= 0:
            raise ValueError("poll and backoff base must be positive")
        if self.lease_seconds < 2 * self.smtp_timeout_seconds:
            raise ValueError("the claim lease must be at least twice the SMTP timeout")

    def backoff(self, attempts: int, rng: random.Random) -> timedelta:
        """Exponential, capped, with 'equal jitter': half fixed, half random."""
        delay = min(self.backoff_cap_seconds, self.backoff_base_seconds * 2 ** max(attempts - 1, 0))
        return timedelta(seconds=delay / 2 + rng.random() * delay / 2)


# -- what to send ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """A rendered message, ready to send after the claim transaction has committed."""

    outbox_id: int
    booking_id: int
    kind: str
    email: EmailMessage
    recipient: str
    sequence: int  # the row's booking_sequence when rendered


def _plan(
    session: Session, msg: OutboxMessage, settings: Settings, now: datetime
) -> tuple[EmailMessage, dict[str, Any] | None] | str:
    """The e-mail for `msg` from the booking's current state, or why it is not to be sent."""
    booking = session.exec(
        select(Booking)
        .where(Booking.id == msg.booking_id)
        .options(*(joinedload(getattr(Booking, name)) for name in _DETAILS))
    ).first()
    clinic = session.get(Clinic, 1)
    if booking is None or clinic is None:
        return "booking no longer exists"
    recipient = invites.Recipient(msg.recipient, msg.recipient_role, _recipient_name(booking, msg))
    mid = invites.message_id(msg.id, booking, settings.mail_from)  # type: ignore[arg-type]
    common = {
        "recipient": recipient,
        "mail_from": settings.mail_from,
        "message_id": mid,
        "now": now,
        "base_url": settings.public_base_url,
    }
    if msg.kind == MessageKind.REMINDER.value:
        if booking.status != BookingStatus.BOOKED.value:
            return f"session is {booking.status.replace('_', '-')}"
        if booking.start_at <= now:
            return "session has already started"
        return invites.reminder_message(booking, clinic, **common), None  # type: ignore[arg-type]
    if msg.kind == MessageKind.HOLD.value:
        if booking.status != BookingStatus.HELD.value:
            return f"the hold is {booking.status.replace('_', '-')}"
        if booking.hold_expires_at is None or booking.hold_expires_at <= now:
            return "the hold has lapsed"
        return invites.hold_message(booking, clinic, **common), None  # type: ignore[arg-type]
    if msg.kind == MessageKind.OFFER.value:
        offer = offer_mail.plan(session, msg, booking, clinic, **common)  # type: ignore[arg-type]
        return offer if isinstance(offer, str) else (offer, None)
    if msg.kind in COURSE_KINDS:
        return course_mail.plan(session, msg, clinic, **common)  # type: ignore[arg-type]

    newer = _newer_calendar_message(session, msg)
    if newer is not None:
        return f"superseded by message #{newer}"
    attending = booking.status != BookingStatus.CANCELLED.value and (
        msg.recipient_role == "client"
        or (booking.therapist is not None and booking.therapist.email == msg.recipient)
    )
    method = invites.REQUEST if attending else invites.CANCEL
    previous = _last_sent(session, msg, booking)
    on_calendar = previous is not None and previous.get("method") == invites.REQUEST
    if method == invites.CANCEL and not on_calendar:
        return "nothing was sent about this booking, so there is nothing to cancel"
    current = invites.snapshot(booking, method)
    if (
        method == invites.REQUEST
        and previous is not None
        and on_calendar
        and not invites.changes(previous, current, ZoneInfo(clinic.timezone))
    ):
        return "nothing changed since the last message"
    email = invites.calendar_message(
        booking,
        clinic,
        method=method,
        previous=previous if on_calendar else None,
        **common,  # type: ignore[arg-type]
    )
    return email, current


_DETAILS = ("treatment_type", "therapist", "room", "client")


def _recipient_name(booking: Booking, msg: OutboxMessage) -> str:
    if msg.recipient_role == "therapist":
        if booking.therapist is not None and booking.therapist.email == msg.recipient:
            return booking.therapist.name
        return ""
    return booking.client.name if booking.client is not None else ""


def _newer_calendar_message(session: Session, msg: OutboxMessage) -> int | None:
    return session.exec(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.booking_id == msg.booking_id,
            OutboxMessage.recipient == msg.recipient,
            col(OutboxMessage.kind).in_(CALENDAR_KINDS),
            col(OutboxMessage.id) > msg.id,
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    ).first()


def _last_sent(session: Session, msg: OutboxMessage, booking: Booking) -> dict[str, Any] | None:
    """What the last calendar message this recipient got about this booking said (a course's
    session may have been told of in its course's message)."""
    if booking.course_id is not None:
        return course_mail.last_told(session, [booking], msg.recipient).get(booking.id)  # type: ignore[arg-type]
    row = session.exec(
        select(OutboxMessage.rendered)
        .where(
            OutboxMessage.booking_id == msg.booking_id,
            OutboxMessage.recipient == msg.recipient,
            col(OutboxMessage.kind).in_(CALENDAR_KINDS),
            OutboxMessage.status == MessageStatus.SENT.value,
            col(OutboxMessage.rendered).is_not(None),
        )
        .order_by(col(OutboxMessage.sent_at).desc(), col(OutboxMessage.id).desc())
        .limit(1)
    ).first()
    return row if isinstance(row, dict) else None


# -- the worker --------------------------------------------------------------------------------


class Mailer:
    """Claims, renders, sends and records outbox messages; `run()` loops until stopped.

    Claims: a worker marks the messages it takes with a lease (`claimed_until`) and its own
    `claim_token`; PostgreSQL hands rows to one worker only (`FOR UPDATE SKIP LOCKED`), SQLite by
    the write lock every transaction takes. A worker killed mid-batch leaves its leases to run out,
    and another worker (or the same one restarted) takes the messages again. Before each send the
    worker renews its lease and checks it still holds the claim, so two workers never send one
    message while both are alive; a message sent just before a kill and sent again carries the same
    deterministic Message-ID, so the resend is recognisable.

    Order: for one booking and one recipient only the newest calendar message is sent (older ones
    are marked skipped), and only while no other message for them is in flight, so a stale update
    never arrives after a newer one. The message is rendered at send time, so three moves before
    the worker runs end in one update with the latest time.

    Failures: a refused recipient (5xx) or a refused message is marked failed at once with the
    server's answer; anything else (server down, 4xx, timeout) is retried with exponential backoff
    and jitter, and marked failed after the last attempt, for a receptionist to retry.
    """

    def __init__(
        self,
        db: Database,
        settings: Settings,
        config: MailerConfig | None = None,
        *,
        transport: Callable[[], Transport] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.config = config or MailerConfig()
        self._transport = transport or (
            lambda: SmtpTransport(settings, self.config.smtp_timeout_seconds)
        )
        self.rng = rng or random.Random()
        self.token = secrets.token_hex(8)  # this worker run's name on its claims
        self.sent = 0
        self._lock: bool | None = None if db.is_sqlite else True  # SQLite: the write lock

    # claims ---------------------------------------------------------------------------------

    def claim(self, now: datetime | None = None) -> list[int]:
        """Take up to a batch of due messages; skip those superseded by a newer message."""
        now = now or utcnow()
        lease = now + timedelta(seconds=self.config.lease_seconds)
        with self.db.transaction() as session:
            query = (
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == MessageStatus.PENDING.value,
                    col(OutboxMessage.next_attempt_at) <= now,
                    or_(
                        col(OutboxMessage.claimed_until).is_(None),
                        col(OutboxMessage.claimed_until) < now,
                    ),
                )
                .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                .limit(self.config.batch_size)
            )
            if not self.db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            candidates = list(session.exec(query))
            siblings = self._calendar_siblings(session, candidates)
            course_waits = course_mail.waiting(session, candidates)
            claimed: list[int] = []
            for msg in candidates:
                if msg.id in course_waits:
                    continue  # an older message about the same course goes first
                if msg.kind in CALENDAR_KINDS:
                    mine = siblings.get((msg.booking_id, msg.recipient), [])
                    newer = [s for s in mine if s.id > msg.id]  # type: ignore[operator]
                    if newer:
                        msg.status = MessageStatus.SKIPPED.value
                        msg.last_error = f"superseded by message #{max(s.id for s in newer)}"  # type: ignore[type-var]
                        msg.claimed_until = None
                        continue
                    busy = [
                        s
                        for s in mine
                        if s.id != msg.id
                        and s.status == MessageStatus.PENDING.value
                        and s.claimed_until is not None
                        and s.claimed_until >= now
                    ]
                    if busy:
                        continue  # an older one is being sent; this one waits its turn
                msg.claimed_until = lease
                msg.claim_token = self.token
                claimed.append(msg.id)  # type: ignore[arg-type]
        return claimed

    @staticmethod
    def _calendar_siblings(
        session: Session, candidates: Sequence[OutboxMessage]
    ) -> dict[tuple[int, str], list[OutboxMessage]]:
        bookings = {m.booking_id for m in candidates if m.kind in CALENDAR_KINDS}
        if not bookings:
            return {}
        rows = session.exec(
            select(OutboxMessage).where(
                col(OutboxMessage.booking_id).in_(bookings),
                col(OutboxMessage.kind).in_(CALENDAR_KINDS),
            )
        )
        out: dict[tuple[int, str], list[OutboxMessage]] = {}
        for row in rows:
            out.setdefault((row.booking_id, row.recipient), []).append(row)
        return out

    def _prepare(self, outbox_id: int, now: datetime) -> Outgoing | None:
        """Renew this worker's claim and render the message; None if skipped or no longer ours."""
        with self.db.transaction() as session:
            msg = session.get(OutboxMessage, outbox_id, with_for_update=self._lock)
            if (
                msg is None
                or msg.status != MessageStatus.PENDING.value
                or msg.claim_token != self.token
                or msg.claimed_until is None
                or msg.claimed_until < now
            ):
                log.warning(
                    "outbox message %s: claim lost before sending; left to others", outbox_id
                )
                return None
            try:
                plan = _plan(session, msg, self.settings, now)
            except (ValueError, TypeError) as exc:  # a message that cannot be rendered
                msg.status = MessageStatus.FAILED.value
                msg.last_error = f"cannot render: {exc}"
                msg.attempts += 1
                self._release(msg)
                log.error(
                    "outbox message %s failed: cannot render (%s)", outbox_id, type(exc).__name__
                )
                return None
            if isinstance(plan, str):
                msg.status = MessageStatus.SKIPPED.value
                msg.last_error = plan
                self._release(msg)
                log.info("outbox message %s skipped: %s", outbox_id, plan)
                return None
            email, rendered = plan
            msg.message_id = str(email["Message-ID"])
            msg.rendered = rendered
            msg.claimed_until = now + timedelta(seconds=self.config.lease_seconds)
            return Outgoing(
                outbox_id, msg.booking_id, msg.kind, email, msg.recipient, msg.booking_sequence
            )

    @staticmethod
    def _release(msg: OutboxMessage) -> None:
        msg.claimed_until = None
        msg.claim_token = ""

    def _record(
        self, outbox_id: int, now: datetime, error: Exception | None, sequence: int | None = None
    ) -> None:
        """Mark sent, or count the failed attempt and schedule the next one.

        A reminder whose session was moved while it was being sent stays pending: it was
        rescheduled for the new time, and goes out again then.
        """
        with self.db.transaction() as session:
            msg = session.get(OutboxMessage, outbox_id, with_for_update=self._lock)
            if msg is None:
                return
            if msg.claim_token != self.token:
                log.warning("outbox message %s: claim taken over by another worker", outbox_id)
                if error is not None or msg.status != MessageStatus.PENDING.value:
                    return
            msg.attempts += 1
            self._release(msg)
            if error is None and sequence is not None and msg.booking_sequence != sequence:
                log.info("outbox message %s: moved while sending; kept for its new time", outbox_id)
                return
            if error is None:
                msg.status = MessageStatus.SENT.value
                msg.sent_at = now
                msg.last_error = ""
                return
            msg.last_error = str(error)[:2000]
            if isinstance(error, PermanentFailure) or msg.attempts >= self.config.max_attempts:
                msg.status = MessageStatus.FAILED.value
                return
            msg.next_attempt_at = now + self.config.backoff(msg.attempts, self.rng)

    # the loop -------------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None, stop: threading.Event | None = None) -> int:
        """One batch: claim, then render and send each message; the number claimed."""
        claimed = self.claim(now or utcnow())
        if claimed:
            self.deliver(claimed, now=now, stop=stop)
        return len(claimed)

    def deliver(
        self,
        claimed: Sequence[int],
        *,
        now: datetime | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Render and send messages this worker has claimed, one SMTP connection for all."""

        def clock() -> datetime:
            return now if now is not None else utcnow()

        transport = self._transport()
        try:
            for index, outbox_id in enumerate(claimed):
                if stop is not None and stop.is_set():
                    self._unclaim(claimed[index:])
                    return
                outgoing = self._prepare(outbox_id, clock())
                if outgoing is None:
                    continue
                try:
                    transport.send(outgoing.email, self.settings.mail_from, outgoing.recipient)
                except ServerUnavailable as exc:
                    log.warning("SMTP server unavailable: %s", _redacted(exc))
                    for rest in claimed[index:]:
                        self._record(rest, clock(), exc)
                    return
                except (PermanentFailure, TemporaryFailure) as exc:
                    log.warning("outbox message %s not sent: %s", outbox_id, _answer(exc))
                    self._record(outbox_id, clock(), exc)
                    continue
                self._record(outbox_id, clock(), None, outgoing.sequence)
                self.sent += 1
                log.info(
                    "outbox message %s sent (%s, booking %s)",
                    outbox_id,
                    outgoing.kind,
                    outgoing.booking_id,
                )
        finally:
            transport.close()

    def _unclaim(self, ids: Sequence[int]) -> None:
        """Give claims back at once (on shutdown), so another worker need not wait the lease."""
        with self.db.transaction() as session:
            for outbox_id in ids:
                msg = session.get(OutboxMessage, outbox_id, with_for_update=self._lock)
                if msg is not None and msg.claim_token == self.token:
                    self._release(msg)

    def run(
        self, stop: threading.Event, after_round: Callable[[datetime], None] | None = None
    ) -> None:
        """Poll until `stop` is set; a failing database is waited out, never fatal.
        `after_round` (the heartbeat, the purge) runs after every round that worked."""
        failures = 0
        while not stop.is_set():
            try:
                claimed = self.run_once(stop=stop)
                if after_round is not None:
                    after_round(utcnow())
                failures = 0
            except Exception:
                failures += 1
                log.exception("mail worker round failed (database down?); trying again")
                stop.wait(min(60.0, self.config.poll_seconds * 2**failures))
                continue
            if claimed < self.config.batch_size:
                stop.wait(self.config.poll_seconds)


def _answer(exc: Exception) -> str:
    """The SMTP reply codes of a refusal, for the log: the reply's text may quote the address
    or the name (the whole text stays on the message row, for reception)."""
    codes = _REPLY_CODE.findall(str(exc))
    return " ".join(dict.fromkeys(codes)) or type(exc).__name__


_REPLY_CODE = re.compile(r"\b[245]\d\d(?:[ .-][245]\.\d{1,3}\.\d{1,3})?\b")


def _redacted(exc: Exception) -> str:
    """The error without addresses, for the log (the full text is kept on the message row)."""
    return re.sub(r"[^\s<>@]+@[^\s<>@]+", "[address]", str(exc))
