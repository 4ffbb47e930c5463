"""Slowing down password and API key guessing without letting anyone lock staff out.

Every attempt is counted before it is checked, in its own short transaction: the counters are
rows every replica shares, locked while counted, so forty guesses at once are forty counts
in turn and only the first few are ever checked. After a scope's free attempts each further
one waits twice as long as the last (1 s, 2 s, 4 s ... at most 15 minutes); an hour without
failures forgets them.

Scopes: the client's address (any account), and the account (any address). An account's own
counter is skipped for an address it has logged in from before: there, only that address's
counters apply, so guesses made elsewhere never keep a receptionist out of her own desk.
Unknown and real accounts are counted and answered alike (nothing tells them apart).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from shared.errors import TooManyAttempts
from shared.models import LoginThrottle, StaffLoginAddress, User

WINDOW = timedelta(hours=1)  # failures older than this are forgotten
FIRST_DELAY = timedelta(seconds=1)
LONGEST_DELAY = timedelta(minutes=15)


@dataclass(frozen=True)
class Rule:
    scope: str
    free: int  # attempts checked at once before the delays start


ADDRESS = Rule("address", 20)  # staff log-ins from one address, any account
ACCOUNT = Rule("account", 5)  # one account, from addresses it never logged in from
ACCOUNT_AT_ADDRESS = Rule("account@address", 5)  # one account from one of its addresses
API_ADDRESS = Rule("api_address", 20)  # API key checks from one address
BOOKING_ADDRESS = Rule("booking_address", 10)  # holds asked for on the booking page


@dataclass(frozen=True)
class Ticket:
    """What `admit` counted for one log-in attempt, for `settle` to finish."""

    account: str
    address: str
    counted: tuple[tuple[str, str], ...]


def delay(failures: int, free: int) -> timedelta:
    """How long after its `failures`-th counted attempt a scope waits."""
    if failures < free:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(failures - free, 20), LONGEST_DELAY)


def address_key(address: str | None) -> str:
    """The digest an address is counted under: IPv6 by its /64 (one subscriber's block)."""
    raw = (address or "").strip()
    try:
        ip = ipaddress.ip_address(raw)
        raw = str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
    except ValueError:
        raw = raw[:100] or "unknown"
    return _digest("address", raw)


def account_key(email: str) -> str:
    return _digest("account", (email or "").strip().lower()[:254])


def admit(session: Session, *, email: str, address: str | None, now: datetime) -> Ticket:
    """Count one log-in attempt before its password is checked. Raises TooManyAttempts
    (nothing counted) while a scope must still wait."""
    account, where = account_key(email), address_key(address)
    scopes: list[tuple[Rule, str]] = [(ADDRESS, where)]
    if _known(session, email, where):
        scopes.append((ACCOUNT_AT_ADDRESS, _digest("pair", account + where)))
    else:
        scopes.append((ACCOUNT, account))
    _count(session, scopes, now)
    return Ticket(account, where, tuple((rule.scope, key) for rule, key in scopes))


def settle(session: Session, ticket: Ticket, *, user_id: int | None, now: datetime) -> None:
    """After the check: a failure stays counted; a success clears the account's counters,
    gives the address its attempt back, and makes the address one the account logs in from."""
    if user_id is None:
        return
    for scope, key in ticket.counted:
        row = session.get(LoginThrottle, (scope, key), with_for_update=True)
        if row is None:
            continue
        if scope == ADDRESS.scope:
            row.failures = max(row.failures - 1, 0)
            row.not_before = min(
                row.not_before, _wait_until(now, delay(row.failures, ADDRESS.free))
            )
        else:
            session.delete(row)
    known = session.get(StaffLoginAddress, (user_id, ticket.address))
    if known is None:
        session.add(StaffLoginAddress(user_id=user_id, address=ticket.address, last_login_at=now))
    else:
        known.last_login_at = now
    session.flush()


def forget_account(session: Session, email: str) -> None:
    """An admin unlocks an account: its counter, wherever the guesses came from, restarts."""
    session.execute(
        delete(LoginThrottle).where(
            col(LoginThrottle.scope) == ACCOUNT.scope, col(LoginThrottle.key) == account_key(email)
        )
    )


def api_blocked_until(not_before: datetime | None, now: datetime) -> None:
    """Raises TooManyAttempts while an address must still wait before its next key check
    (`not_before` comes with the key's own lookup: `shared.accounts`)."""
    if not_before is not None and not_before > now:
        raise TooManyAttempts(
            "Too many failed API key checks from this address: wait and try again",
            retry_after=_seconds(not_before - now),
        )


def count_api_failure(session: Session, *, address: str | None, now: datetime) -> None:
    """One more failed API key check from this address (the next ones may have to wait)."""
    _count(session, [(API_ADDRESS, api_address_key(address))], now, refuse=False)


def api_address_key(address: str | None) -> str:
    return _digest("api", address_key(address))


# -- internals -----------------------------------------------------------------------------


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def _known(session: Session, email: str, address: str) -> bool:
    query = (
        select(StaffLoginAddress.user_id)  # type: ignore[call-overload]
        .join(User, col(User.id) == col(StaffLoginAddress.user_id))
        .where(
            col(User.email) == (email or "").strip().lower(),
            col(StaffLoginAddress.address) == address,
        )
    )
    return session.execute(query).first() is not None


def count_booking_request(session: Session, *, address: str | None, now: datetime) -> None:
    """One more hold asked for on the booking page from this address, counted whether or not
    it is then placed. Raises TooManyAttempts (nothing counted) while the address must wait."""
    _count(
        session,
        [(BOOKING_ADDRESS, _digest("booking", address_key(address)))],
        now,
        refusal="Too many bookings asked for from here: wait a little and try again",
    )


def _count(
    session: Session,
    scopes: Sequence[tuple[Rule, str]],
    now: datetime,
    *,
    refuse: bool = True,
    refusal: str = "Too many failed log-ins from here or for this account: wait and try again",
) -> None:
    """Add one attempt to every scope, or (with `refuse`) to none while any must still wait.
    Each row is locked first, so concurrent attempts are counted one after another."""
    rows: list[tuple[Rule, LoginThrottle]] = []
    for rule, key in sorted(scopes, key=lambda s: (s[0].scope, s[1])):  # one lock order
        _insert_missing(session, rule.scope, key, now)
        row = session.get(LoginThrottle, (rule.scope, key), with_for_update=True)
        assert row is not None  # inserted above, and never deleted by a concurrent attempt
        rows.append((rule, row))
    waiting = [row.not_before for _, row in rows if row.not_before > now]
    if refuse and waiting:
        raise TooManyAttempts(refusal, retry_after=_seconds(max(waiting) - now))
    for rule, row in rows:
        if row.last_at < now - WINDOW:
            row.failures = 0
        row.failures += 1
        row.last_at = now
        row.not_before = max(row.not_before, _wait_until(now, delay(row.failures, rule.free)))
    session.flush()


def _insert_missing(session: Session, scope: str, key: str, now: datetime) -> None:
    values = {
        "scope": scope,
        "key": key,
        "failures": 0,
        "not_before": _wait_until(now, timedelta(0)),
        "last_at": now,
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(LoginThrottle).values(**values).on_conflict_do_nothing())


def _wait_until(now: datetime, wait: timedelta) -> datetime:
    """When a scope that must wait `wait` from `now` may try again. With no wait, a time long
    past rather than `now`: a concurrent attempt whose clock was read a moment earlier must not
    be told to wait for this one."""
    return now + wait if wait else now - WINDOW


def _seconds(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))
