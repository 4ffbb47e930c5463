"""API keys and dashboard accounts: only hashes are stored, comparisons take constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from shared import validation
from shared.errors import AuthError, Conflict, DuplicateName, InvalidInput, NotFound
from shared.models import ApiKey, User, utcnow

KEY_PREFIX = "csk_"
ROLES = ("admin", "receptionist")
LOCK_AFTER_FAILURES = 5
LOCK_MINUTES = 5
_hasher = PasswordHasher()


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """The stored row and the key itself, which is never shown again. Raises DuplicateName."""
    name = validation.text(name, "name", max_len=120)
    if session.exec(select(ApiKey).where(ApiKey.name == name)).first():
        raise DuplicateName(f"An API key named {name!r} already exists", field="name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=_digest(key), prefix=key[: len(KEY_PREFIX) + 8])
    session.add(row)
    session.flush()
    return row, key


def revoke_api_key(session: Session, name: str) -> ApiKey:
    """Raises NotFound."""
    row = session.exec(select(ApiKey).where(ApiKey.name == name)).first()
    if row is None:
        raise NotFound(f"No API key named {name!r}", field="name")
    row.revoked_at = row.revoked_at or utcnow()
    session.flush()
    return row


@dataclass(frozen=True)
class ApiCaller:
    """Who a request's API key belongs to."""

    id: int
    name: str


_KEYS_WITH_PREFIX = select(
    col(ApiKey.id), col(ApiKey.name), col(ApiKey.key_hash), col(ApiKey.revoked_at)
).where(col(ApiKey.prefix) == bindparam("prefix"))


def authenticate_api_key(session: Session, key: str) -> ApiCaller:
    """The caller whose live key is `key` (one indexed read, every request). Raises AuthError."""
    if not key.startswith(KEY_PREFIX) or len(key) > 200:
        raise AuthError("Unknown or revoked API key")
    digest = _digest(key)
    found = None
    for row in session.connection().execute(
        _KEYS_WITH_PREFIX, {"prefix": key[: len(KEY_PREFIX) + 8]}
    ):
        if hmac.compare_digest(row.key_hash, digest):
            found = row
    if found is None or found.revoked_at is not None:
        raise AuthError("Unknown or revoked API key")
    return ApiCaller(found.id, found.name)


def create_user(session: Session, *, email: str, password: str, role: str) -> User:
    """Raises InvalidInput, DuplicateName."""
    address = validation.email(email)
    if role not in ROLES:
        raise InvalidInput("role must be admin or receptionist", field="role")
    if not isinstance(password, str) or len(password) < 10:
        raise InvalidInput("passwords need at least 10 characters", field="password")
    if session.exec(select(User).where(User.email == address)).first():
        raise DuplicateName(f"An account for {address} already exists", field="email")
    user = User(email=address, password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def authenticate_user(
    session: Session, email: str, password: str, *, now: datetime | None = None
) -> tuple[User | None, str]:
    """The user and "", or None and why not.

    Returns rather than raises so that the caller's transaction commits the failure count:
    repeated failures lock the account for a few minutes.
    """
    now = now or utcnow()
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active:
        _hasher.hash(password)  # spend the same time as a real check
        return None, "Wrong e-mail or password"
    if user.locked_until and user.locked_until > now:
        return None, "Too many failed attempts: try again in a few minutes"
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= LOCK_AFTER_FAILURES:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
        session.flush()
        return None, "Wrong e-mail or password"
    user.failed_logins = 0
    user.locked_until = None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    session.flush()
    return user, ""


def find_user(session: Session, user_id: int) -> User | None:
    """The account with this id, or None (e.g. for a log-in session of a deleted account)."""
    return session.get(User, user_id)


def update_user(
    session: Session,
    user_id: int,
    *,
    role: str,
    active: bool,
    password: str | None = None,
    unlock: bool = False,
    by_user_id: int | None = None,
) -> User:
    """Change an account's role, access or password; the last active admin always stays,
    and an admin (`by_user_id`, the one making the change) never demotes themselves.

    A new password ends the account's open sessions (they carry a fingerprint of the hash).
    Raises InvalidInput, NotFound, Conflict.
    """
    user = find_user(session, user_id)
    if user is None:
        raise NotFound(f"No account with id {user_id}", field="id")
    if role not in ROLES:
        raise InvalidInput("role must be admin or receptionist", field="role")
    if user.id == by_user_id and (role != "admin" or not active):
        raise Conflict(
            "You cannot take away your own admin access: ask another admin", field="role"
        )
    if user.role == "admin" and user.active and (role != "admin" or not active):
        admins = session.exec(
            select(User).where(User.role == "admin", User.active == True)  # noqa: E712
        ).all()
        if len(admins) <= 1:
            raise Conflict(
                "This is the last active admin account: make another admin first", field="role"
            )
    if password:
        if len(password) < 10:
            raise InvalidInput("passwords need at least 10 characters", field="password")
        user.password_hash = _hasher.hash(password)
    if unlock or password:
        user.failed_logins = 0
        user.locked_until = None
    user.role, user.active = role, active
    session.add(user)
    session.flush()
    return user
