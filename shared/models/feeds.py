"""What each iCal feed last served, so every server process gives it the same Last-Modified."""

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from shared.models.types import UTCDateTime


class FeedVersion(SQLModel, table=True):
    """The ETag of a feed's current bytes and the time they first appeared (whole seconds)."""

    __tablename__ = "feed_version"

    kind: str = Field(sa_type=String(16), primary_key=True)
    owner_id: int = Field(primary_key=True)
    etag: str = Field(sa_type=String(80))
    last_modified: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
