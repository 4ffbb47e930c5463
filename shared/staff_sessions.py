"""Dashboard log-in sessions kept in the database, so they can be ended for every copy of
the cookie at once: on logging out, on a new password, when an account is switched off."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlmodel import Session, col

from shared.models import StaffSession, User

TOKEN_BYTES = 32


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, user_id: int, *, now: datetime, longest: timedelta) -> str:
    """A new session for the account; returns the token its cookie carries (stored only as
    a digest). The account's ended or expired sessions are cleared away meanwhile."""
    session.execute(
        StaffSession.__table__.delete().where(  # type: ignore[attr-defined]
            col(StaffSession.user_id) == user_id,
            or_(
                col(StaffSession.ended_at).is_not(None),
                col(StaffSession.created_at) < now - longest,
            ),
        )
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(StaffSession(id=_digest(token), user_id=user_id, created_at=now))
    session.flush()
    return token


def user_of(session: Session, token: str, *, now: datetime, longest: timedelta) -> User | None:
    """The active account whose live session `token` is, or None (ended, expired, unknown,
    or the account switched off). One read."""
    if not token or len(token) > 200:
        return None
    query = (
        select(User)
        .join(StaffSession, col(StaffSession.user_id) == col(User.id))
        .where(
            col(StaffSession.id) == _digest(token),
            col(StaffSession.ended_at).is_(None),
            col(StaffSession.created_at) >= now - longest,
            col(User.active).is_(True),
        )
    )
    return session.execute(query).scalars().first()


def end(session: Session, token: str, *, now: datetime) -> None:
    """Logging out: this session ends for every copy of its cookie."""
    session.execute(
        update(StaffSession)
        .where(col(StaffSession.id) == _digest(token), col(StaffSession.ended_at).is_(None))
        .values(ended_at=now)
    )


def end_all(session: Session, user_id: int, *, now: datetime) -> None:
    """A new password or a switched-off account: every open session of the account ends."""
    session.execute(
        update(StaffSession)
        .where(col(StaffSession.user_id) == user_id, col(StaffSession.ended_at).is_(None))
        .values(ended_at=now)
    )
