"""Logging a staff member in: throttled, the same answer for every wrong e-mail or password,
and a server-side session that logging out ends for every copy of the cookie.

Three short transactions on purpose: the attempt is counted (and committed) before the
password is checked, and no row stays locked while argon2 works, so concurrent guesses are
counted one after another and only the allowed few are ever checked.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared import accounts, login_throttle, staff_sessions
from shared.db import Database
from shared.errors import AuthError
from shared.models import User
from shared.models.types import pk

WRONG = "Wrong e-mail or password"


def log_in(
    database: Database,
    *,
    email: str,
    password: str,
    address: str | None,
    now: datetime,
    longest: timedelta,
) -> tuple[User, str]:
    """The account and its new session's token. Raises TooManyAttempts (Retry-After) and
    AuthError (wrong e-mail or password, or an account switched off: one answer for all)."""
    with database.transaction() as session:
        ticket = login_throttle.admit(session, email=email, address=address, now=now)
    with database.read() as session:
        user = accounts.check_password(session, email, password)
    if user is None:
        raise AuthError(WRONG, field="password")
    with database.transaction() as session:
        login_throttle.settle(session, ticket, user_id=pk(user.id), now=now)
        accounts.rehash_if_needed(session, user, password)
        token = staff_sessions.start(session, pk(user.id), now=now, longest=longest)
    return user, token
