"""Who may use the clinic's systems: API keys for programs, user accounts for the dashboard."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, String
from sqlmodel import Field, SQLModel

from shared.models.types import UTCDateTime, utcnow


class ApiKey(SQLModel, table=True):
    """Only a SHA-256 of the key is stored; the key itself is shown once, at creation."""

    __tablename__ = "api_key"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_type=String(120), unique=True)
    key_hash: str = Field(sa_type=String(64), unique=True)
    prefix: str = Field(sa_type=String(16))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))


class User(SQLModel, table=True):
    """A dashboard account (admin or receptionist)."""

    __tablename__ = "app_user"
    __table_args__ = (CheckConstraint("role IN ('admin', 'receptionist')", name="user_role"),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=String(254), unique=True)
    # How the booking history names the person ("Ana (reception)"); the server default is for
    # accounts the code one version back creates (shown as their e-mail's name).
    name: str = Field(default="", sa_type=String(120), sa_column_kwargs={"server_default": ""})
    password_hash: str = Field(sa_type=String(255))
    role: str = Field(default="receptionist", sa_type=String(16))
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )

    def __str__(self) -> str:
        return self.email
