"""Log-in state every replica shares: staff sessions that can be ended at once, counters of
failed log-ins and API key checks, and the addresses each account logs in from."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from shared.models.types import UTCDateTime, utcnow


class StaffSession(SQLModel, table=True):
    """One dashboard log-in. The cookie holds a random token; only its SHA-256 is stored, so
    a copy of this table opens nothing. Logging out, a new password or a deactivated account
    ends it for every copy of the cookie at once."""

    __tablename__ = "staff_session"

    id: str = Field(sa_type=String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class LoginThrottle(SQLModel, table=True):
    """Recent failures in one scope (an address, an account, an account at an address, API
    key checks from an address) and the instant before which no attempt there is checked.
    Keys are SHA-256 digests: no address or e-mail is stored here."""

    __tablename__ = "login_throttle"

    scope: str = Field(sa_type=String(16), primary_key=True)
    key: str = Field(sa_type=String(64), primary_key=True)
    failures: int = 0
    not_before: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class StaffLoginAddress(SQLModel, table=True):
    """Where an account last logged in from (a digest of the address): from there, guesses
    made elsewhere against the account never keep its owner out."""

    __tablename__ = "staff_login_address"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    )
    address: str = Field(sa_type=String(64), primary_key=True)
    last_login_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
