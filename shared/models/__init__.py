"""SQLModel tables, one module per aggregate; importing this registers them all."""

from shared.models.accounts import ApiKey, User
from shared.models.bookings import LIVE_STATUSES, Booking, BookingEvent, BookingStatus
from shared.models.catalog import (
    Feature,
    Room,
    RoomFeature,
    TherapistSkill,
    TreatmentFeature,
    TreatmentType,
)
from shared.models.catalog_version import CatalogVersion
from shared.models.clients import Client
from shared.models.clinic import Clinic
from shared.models.courses import Course
from shared.models.feeds import FeedVersion
from shared.models.idempotency import IdempotencyRecord
from shared.models.logins import LoginThrottle, StaffLoginAddress, StaffSession
from shared.models.outbox import MessageKind, MessageStatus, OutboxMessage
from shared.models.staff import Closure, Therapist, TimeOff, WorkingHours
from shared.models.types import UTCDateTime, utcnow
from shared.models.waitlist import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from shared.models.worker_heartbeat import WorkerHeartbeat

__all__ = [
    "LIVE_STATUSES",
    "ApiKey",
    "Booking",
    "BookingEvent",
    "BookingStatus",
    "CatalogVersion",
    "Client",
    "Clinic",
    "Closure",
    "Course",
    "EntryStatus",
    "Feature",
    "FeedVersion",
    "IdempotencyRecord",
    "LoginThrottle",
    "MessageKind",
    "MessageStatus",
    "OfferStatus",
    "OutboxMessage",
    "Room",
    "RoomFeature",
    "StaffLoginAddress",
    "StaffSession",
    "Therapist",
    "TherapistSkill",
    "TimeOff",
    "TreatmentFeature",
    "TreatmentType",
    "UTCDateTime",
    "User",
    "WaitlistEntry",
    "WaitlistOffer",
    "WorkerHeartbeat",
    "WorkingHours",
    "utcnow",
]
