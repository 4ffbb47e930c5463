"""Builders for a small, known clinic; every row goes through the domain's own functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from shared import catalog, clinic_time
from shared.clients import create_client
from shared.models import Client, Room, Therapist, TreatmentType

TZ = ZoneInfo("Europe/Ljubljana")
# A Monday well in the future, so rules about the past and notice never interfere.
MONDAY = date(2027, 3, 1)
NOW = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)


def local(day: date, hhmm: str) -> datetime:
    """The UTC instant of a wall-clock time at the clinic."""
    return clinic_time.local_to_utc(day, time.fromisoformat(hhmm), TZ)


@dataclass
class Clinic:
    facial: TreatmentType  # 60 min, 10 before, 15 after, needs a facial couch
    consult: TreatmentType  # 45 min, no buffers, no features
    anna: Therapist  # gives both; Mon-Fri 09:00-17:00
    boris: Therapist  # consultation only; Mon-Fri 09:00-13:00
    room1: Room  # facial couch
    room2: Room  # plain
    client: Client
    other_client: Client


def make_clinic(session: Session, **settings: Any) -> Clinic:
    values: dict[str, Any] = {
        "name": "Test Clinic",
        "address": "Trubarjeva 1, Ljubljana",
        "phone": "+386 1 000 00 00",
        "timezone": "Europe/Ljubljana",
        "slot_step_minutes": 15,
        "booking_horizon_days": 365,
        "min_notice_minutes": 120,
    }
    values.update(settings)
    catalog.configure_clinic(session, **values)
    facial = catalog.save_treatment_type(
        session,
        name="Facial rejuvenation",
        duration_minutes=60,
        buffer_before_minutes=10,
        buffer_after_minutes=15,
        price="85.00",
        required_features=["facial couch"],
    )
    consult = catalog.save_treatment_type(session, name="TCM consultation", duration_minutes=45)
    room1 = catalog.save_room(session, name="Room 1", features=["facial couch"])
    room2 = catalog.save_room(session, name="Room 2", features=[])
    anna = catalog.save_therapist(
        session,
        name="Anna Novak",
        email="anna@clinic.example",
        treatment_type_ids=[facial.id, consult.id],  # type: ignore[list-item]
    )
    boris = catalog.save_therapist(
        session,
        name="Boris Li",
        email="boris@clinic.example",
        treatment_type_ids=[consult.id],  # type: ignore[list-item]
    )
    for weekday in range(5):
        catalog.add_working_hours(
            session,
            therapist_id=anna.id,
            weekday=weekday,  # type: ignore[arg-type]
            start_time=time(9),
            end_time=time(17),
        )
        catalog.add_working_hours(
            session,
            therapist_id=boris.id,
            weekday=weekday,  # type: ignore[arg-type]
            start_time=time(9),
            end_time=time(13),
        )
    client = create_client(session, name="Eva Horvat", email="eva@example.com", phone="+386 40 1")
    other = create_client(session, name="Žiga Kranjc", email="ziga@example.com")
    return Clinic(facial, consult, anna, boris, room1, room2, client, other)


def next_weekday(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)
