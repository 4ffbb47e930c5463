"""API keys and dashboard accounts: only hashes are stored, comparisons take constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import and_, bindparam, literal
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from shared import login_throttle, staff_sessions, validation
from shared.errors import AuthError, Conflict, DuplicateName, InvalidInput, NotFound
from shared.models import ApiKey, LoginThrottle, User, utcnow
from shared.models.types import pk

KEY_PREFIX = "csk_"
ROLES = ("admin", "receptionist")
NAME_MAX = 120  # a staff member's name, as the history shows it
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


def replace_api_key(session: Session, name: str) -> tuple[ApiKey, str]:
    """A new key under `name`, the old one of that name (if any) deleted: `clinic dev` prints
    a fresh key at every start instead of piling up keys. Raises InvalidInput."""
    old = session.exec(select(ApiKey).where(ApiKey.name == name)).first()
    if old is not None:
        session.delete(old)
        session.flush()
    return create_api_key(session, name)


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


# The keys with this prefix and, in the same read, whether the caller's address must still
# wait after failed checks (every row carries it; with no such key, one row carries only it).
_PROBE = core_select(literal(1).label("probe")).subquery("probe")
_KEYS_WITH_PREFIX = core_select(
    col(ApiKey.id),
    col(ApiKey.name),
    col(ApiKey.key_hash),
    col(ApiKey.revoked_at),
    col(LoginThrottle.not_before),
).select_from(
    _PROBE.outerjoin(ApiKey, col(ApiKey.prefix) == bindparam("prefix")).outerjoin(
        LoginThrottle,
        and_(
            col(LoginThrottle.scope) == login_throttle.API_ADDRESS.scope,
            col(LoginThrottle.key) == bindparam("address"),
        ),
    )
)


def authenticate_api_key(
    session: Session, key: str, *, address: str | None = None, now: datetime | None = None
) -> ApiCaller:
    """The caller whose live key is `key` (one indexed read, every request). Raises
    TooManyAttempts (before checking the key) while `address` must wait after failed checks
    (`login_throttle.count_api_failure`), else AuthError for a wrong key."""
    well_formed = key.startswith(KEY_PREFIX) and len(key) <= 200
    digest = _digest(key)
    found = None
    params = {  # a malformed key matches no prefix, but still waits its turn
        "prefix": key[: len(KEY_PREFIX) + 8] if well_formed else "",
        "address": login_throttle.api_address_key(address),
    }
    for row in session.connection().execute(_KEYS_WITH_PREFIX, params):
        login_throttle.api_blocked_until(row.not_before, now or utcnow())
        if row.key_hash is not None and hmac.compare_digest(row.key_hash, digest):
            found = row
    if found is None or found.revoked_at is not None:
        raise AuthError("Unknown or revoked API key")
    return ApiCaller(found.id, found.name)


def shown_name(name: str, email: str) -> str:
    """How an account is named on screen and in booking histories: its name, or (none given)
    its e-mail's."""
    return name or default_name(email)


def default_name(email: str) -> str:
    """An account's name until someone gives it one: "ana@clinic.example" -> "Ana"."""
    local = email.split("@", 1)[0]
    return (local[:1].upper() + local[1:])[:NAME_MAX]


def _staff_name(name: str | None, email: str) -> str:
    """The name as given, or (empty) the e-mail's name. Raises InvalidInput."""
    return validation.text(name or "", "name", max_len=NAME_MAX, required=False) or (
        default_name(email)
    )


def create_user(session: Session, *, email: str, password: str, role: str, name: str = "") -> User:
    """A dashboard account; without a `name`, named after its e-mail (`default_name`).
    Raises InvalidInput, DuplicateName."""
    address = validation.email(email)
    shown = _staff_name(name, address)
    if role not in ROLES:
        raise InvalidInput("role must be admin or receptionist", field="role")
    if not isinstance(password, str) or len(password) < 10:
        raise InvalidInput("passwords need at least 10 characters", field="password")
    if session.exec(select(User).where(User.email == address)).first():
        raise DuplicateName(f"An account for {address} already exists", field="email")
    user = User(email=address, name=shown, password_hash=_hasher.hash(password), role=role)
    session.add(user)
    session.flush()
    return user


def check_password(session: Session, email: str, password: str) -> User | None:
    """The active account with this e-mail and password, or None; an unknown e-mail costs
    the same time as a real check. Counting and slowing down failures is
    `shared.login_throttle`'s (see `shared.staff_login.log_in`)."""
    address = (email or "").strip().lower()
    user = session.exec(select(User).where(User.email == address)).first() if address else None
    if user is None or not user.active:
        _hasher.hash(password or "")  # spend the same time as a real check
        return None
    try:
        _hasher.verify(user.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return None
    return user


def rehash_if_needed(session: Session, user: User, password: str) -> None:
    """Store the password's hash again when the hasher's costs have changed."""
    if _hasher.check_needs_rehash(user.password_hash):
        row = session.get(User, user.id)
        if row is not None:
            row.password_hash = _hasher.hash(password)
            session.flush()


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
    name: str | None = None,
) -> User:
    """Change an account's role, access, password or name (None keeps it, empty gives back the
    e-mail's); the last active admin always stays, and an admin (`by_user_id`, the one making
    the change) never demotes themselves.

    A new password, or switching the account off, ends its open sessions at once.
    Raises InvalidInput, NotFound, Conflict.
    """
    user = find_user(session, user_id)
    if user is None:
        raise NotFound(f"No account with id {user_id}", field="id")
    if role not in ROLES:
        raise InvalidInput("role must be admin or receptionist", field="role")
    shown = user.name if name is None else _staff_name(name, user.email)
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
        user.failed_logins = 0  # what the code one version back reads
        user.locked_until = None
        login_throttle.forget_account(session, user.email)
    if password or not active:
        staff_sessions.end_all(session, pk(user.id), now=utcnow())
    user.role, user.active, user.name = role, active, shown
    session.add(user)
    session.flush()
    return user
