"""Builders for the waiting-list tests of every layer: a Monday booked full, three clients
waiting for a Monday-morning facial, and one session cancelled to free its time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared import waitlist
from shared.availability import find_availability
from shared.booking import book, cancel
from shared.clients import create_client
from shared.db import Database
from shared.models import Booking
from tests.factories import MONDAY, NOW, Clinic

MORNINGS = waitlist.Wishes(
    first_day=MONDAY, last_day=MONDAY, mornings=True, afternoons=False, evenings=False
)
WAITING = ("Mia Kos", "Nina Zupan", "Olga Vidmar")


def fill_monday(db: Database, clinic: Clinic) -> list[Booking]:
    """Monday's facials booked back to back for another client, so no time fits anyone."""
    made: list[Booking] = []
    while True:
        with db.transaction() as session:
            free = find_availability(
                session, treatment_type_id=clinic.facial.id, start=MONDAY, end=MONDAY, now=NOW
            ).slots
            if not free:
                return made
            made.append(
                book(
                    session,
                    treatment_type_id=clinic.facial.id,
                    start=free[0].start,
                    client_id=clinic.other_client.id,  # type: ignore[arg-type]
                    actor="reception",
                    now=NOW,
                )
            )


def join_three(db: Database, clinic: Clinic, **wishes: Any) -> list[int]:
    """Mia, Nina and Olga join for a Monday-morning facial, a minute apart; their entry ids."""
    entries = []
    for minute, name in enumerate(WAITING):
        with db.transaction() as session:
            client = create_client(
                session, name=name, email=f"{name.split()[0].lower()}@example.com"
            )
            made = waitlist.join(
                session,
                client_id=client.id,  # type: ignore[arg-type]
                treatment_type_id=clinic.facial.id,  # type: ignore[arg-type]
                wishes=MORNINGS,
                actor="reception",
                now=NOW + timedelta(minutes=minute),
            )
            entries.append(made.id)
    return entries  # type: ignore[return-value]


def free_one(db: Database, sessions: list[Booking]) -> datetime:
    """The receptionist cancels the second session of the day; its start."""
    freed = sessions[1]
    with db.transaction() as session:
        cancel(session, freed.id, actor="reception", now=NOW)  # type: ignore[arg-type]
    return freed.start_at
