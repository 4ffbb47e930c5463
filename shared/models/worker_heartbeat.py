"""When each mail worker last finished a round, so operators can see a worker that stopped."""

from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from shared.models.types import UTCDateTime, utcnow


class WorkerHeartbeat(SQLModel, table=True):
    __tablename__ = "worker_heartbeat"

    # host and process id: one row per running worker, kept a week after it stops
    worker: str = Field(sa_type=String(200), primary_key=True)
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
    last_run_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime, nullable=False)
    )
