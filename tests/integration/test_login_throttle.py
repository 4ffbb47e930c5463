"""Log-in throttling and server-side sessions on both databases: counted before checking,
growing delays, one answer for real and unknown accounts, an account's usual address never
kept out, and sessions that end for every copy of their cookie."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from shared import accounts, login_throttle, staff_login, staff_sessions
from shared.errors import AuthError, TooManyAttempts
from shared.login_throttle import ACCOUNT, ADDRESS, delay

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
TWELVE_HOURS = timedelta(hours=12)
DESK = ("desk@clinic.example", "reception-password-1")


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch):
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def desk(db):
    with db.transaction() as s:
        return accounts.create_user(s, email=DESK[0], password=DESK[1], role="receptionist").id


def attempt(db, email, password, address, now=NOW):
    """What a log-in answers: 'ok', 'wrong' or the seconds to wait."""
    try:
        staff_login.log_in(
            db, email=email, password=password, address=address, now=now, longest=TWELVE_HOURS
        )
    except TooManyAttempts as exc:
        return exc.retry_after
    except AuthError:
        return "wrong"
    return "ok"


def test_delays_start_after_the_free_attempts_double_and_stop_at_fifteen_minutes():
    assert [delay(n, 5).total_seconds() for n in range(1, 10)] == [0, 0, 0, 0, 1, 2, 4, 8, 16]
    assert delay(40, 5) == timedelta(minutes=15)
    assert delay(10**6, 5) == timedelta(minutes=15)


def test_real_and_unknown_accounts_are_counted_and_answered_alike(db, desk):
    real = [attempt(db, DESK[0], "wrong", "203.0.113.1") for _ in range(7)]
    unknown = [attempt(db, "nobody@clinic.example", "wrong", "203.0.113.2") for _ in range(7)]
    assert real == unknown == ["wrong"] * 5 + [1, 1]


def test_one_address_guessing_many_accounts_waits_after_twenty(db, desk):
    answers = [attempt(db, f"guess{i}@clinic.example", "x", "203.0.113.7") for i in range(22)]
    assert answers[: ADDRESS.free] == ["wrong"] * ADDRESS.free
    assert answers[ADDRESS.free :] == [1, 1]


def test_an_hour_without_failures_forgets_them(db, desk):
    for _ in range(6):
        attempt(db, DESK[0], "wrong", "203.0.113.1")
    assert attempt(db, DESK[0], *DESK[1:], "203.0.113.1") == 1
    assert attempt(db, DESK[0], DESK[1], "203.0.113.1", NOW + timedelta(minutes=61)) == "ok"


def test_the_usual_address_logs_in_while_the_account_waits_elsewhere(db, desk):
    assert attempt(db, *DESK, "192.0.2.10") == "ok"
    for _ in range(ACCOUNT.free):
        assert attempt(db, DESK[0], "wrong", "203.0.113.9") == "wrong"
    assert attempt(db, *DESK, "198.51.100.1") == 1  # a new address waits with the attacker
    assert attempt(db, *DESK, "192.0.2.10") == "ok"  # her own desk does not


def test_addresses_in_one_ipv6_block_share_a_counter():
    one = login_throttle.address_key("2001:db8:1:2::1")
    assert one == login_throttle.address_key("2001:db8:1:2:ffff::9")
    assert one != login_throttle.address_key("2001:db8:1:3::1")
    assert login_throttle.address_key("192.0.2.1") != login_throttle.address_key("192.0.2.2")


def test_a_success_gives_the_address_its_attempt_back_and_clears_the_account(db, desk):
    for _ in range(4):
        attempt(db, DESK[0], "wrong", "192.0.2.10")
    assert attempt(db, *DESK, "192.0.2.10") == "ok"
    assert [attempt(db, DESK[0], "wrong", "192.0.2.10") for _ in range(6)] == ["wrong"] * 5 + [1]


def test_a_session_ends_on_logout_for_every_copy_and_after_twelve_hours(db, desk):
    user, token = staff_login.log_in(
        db, email=DESK[0], password=DESK[1], address="192.0.2.10", now=NOW, longest=TWELVE_HOURS
    )
    with db.read() as s:
        assert staff_sessions.user_of(s, token, now=NOW, longest=TWELVE_HOURS).id == user.id
        assert staff_sessions.user_of(s, token, now=NOW + TWELVE_HOURS, longest=TWELVE_HOURS)
        late = NOW + TWELVE_HOURS + timedelta(seconds=1)
        assert staff_sessions.user_of(s, token, now=late, longest=TWELVE_HOURS) is None
        assert staff_sessions.user_of(s, token + "x", now=NOW, longest=TWELVE_HOURS) is None
    with db.transaction() as s:
        staff_sessions.end(s, token, now=NOW)
    with db.read() as s:
        assert staff_sessions.user_of(s, token, now=NOW, longest=TWELVE_HOURS) is None


@pytest.mark.parametrize("change", [{"password": "a-brand-new-password"}, {"active": False}])
def test_a_new_password_or_switching_the_account_off_ends_its_sessions(db, desk, change):
    _, token = staff_login.log_in(
        db, email=DESK[0], password=DESK[1], address="192.0.2.10", now=NOW, longest=TWELVE_HOURS
    )
    with db.transaction() as s:
        accounts.update_user(s, desk, role="receptionist", **{"active": True, **change})
    with db.read() as s:
        assert staff_sessions.user_of(s, token, now=NOW, longest=TWELVE_HOURS) is None


def test_only_a_digest_of_the_session_token_is_stored(db, desk):
    from sqlalchemy import text

    _, token = staff_login.log_in(
        db, email=DESK[0], password=DESK[1], address="192.0.2.10", now=NOW, longest=TWELVE_HOURS
    )
    with db.read() as s:
        stored = [tuple(r) for r in s.execute(text("SELECT * FROM staff_session"))]
        addresses = [tuple(r) for r in s.execute(text("SELECT * FROM staff_login_address"))]
        counters = [tuple(r) for r in s.execute(text("SELECT * FROM login_throttle"))]
    assert token not in repr(stored)
    assert "192.0.2.10" not in repr(addresses + counters) and DESK[0] not in repr(counters)


def test_requests_racing_from_one_address_within_the_free_attempts_are_never_told_to_wait(db):
    """Two booking-page requests from one address run at once: the one whose clock was read a
    moment earlier commits second. Within the free attempts neither may be refused."""
    earlier, later = NOW, NOW + timedelta(milliseconds=3)
    for now in (later, earlier, later + timedelta(seconds=1), later):  # none raises
        with db.transaction() as s:
            login_throttle.count_booking_request(s, address="203.0.113.9", now=now)
