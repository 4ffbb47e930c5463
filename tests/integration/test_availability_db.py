"""available_slots end to end, on random clinics stored through the domain's own functions,
against the brute-force reference (tests/unit/reference.py)."""

from __future__ import annotations

import secrets

from hypothesis import HealthCheck, given, settings
from sqlalchemy import delete
from sqlmodel import SQLModel

from shared import catalog
from shared.availability import available_slots
from shared.clients import create_client
from shared.models import Booking
from tests.unit.reference import World, reference_slots
from tests.unit.worlds import describe, worlds


def wipe(db) -> None:
    with db.transaction() as session:
        for table in reversed(SQLModel.metadata.sorted_tables):
            session.execute(delete(table))


def store(db, world: World) -> tuple[int, dict[int, int], dict[int, int]]:
    """The world as rows; the treatment type's id and the database ids of therapists and rooms."""
    with db.transaction() as session:
        catalog.configure_clinic(
            session,
            name="Random clinic",
            timezone=world.timezone,
            slot_step_minutes=world.step,
            min_notice_minutes=world.notice,
            booking_horizon_days=world.horizon,
        )
        tt = catalog.save_treatment_type(
            session,
            name="Session",
            duration_minutes=world.duration,
            buffer_before_minutes=world.before,
            buffer_after_minutes=world.after,
            required_features=["couch"],
        )
        therapists = {
            t: catalog.save_therapist(
                session,
                name=f"Therapist {t}",
                email=f"t{t}@clinic.example",
                active=active,
                treatment_type_ids=[tt.id] if gives else [],
            ).id
            for t, (active, gives) in world.therapists.items()
        }
        rooms = {
            r: catalog.save_room(
                session, name=f"Room {r}", features=["couch"] if fits else ["table"], active=active
            ).id
            for r, (active, fits) in world.rooms.items()
        }
        for b in world.blocks:
            catalog.add_working_hours(
                session,
                therapist_id=therapists[b.therapist_id],
                weekday=b.weekday,
                start_time=b.start_time,
                end_time=b.end_time,
                valid_from=b.valid_from,
                valid_to=b.valid_to,
            )
        for off in world.time_off:
            catalog.add_time_off(
                session, therapist_id=therapists[off.therapist_id], start=off.start, end=off.end
            )
        for c in world.closures:
            catalog.add_closure(
                session,
                room_id=rooms[c.room_id] if c.room_id else None,
                start=c.start,
                end=c.end,
            )
        clients = {
            c: create_client(session, name=f"Client {c}", email=f"c{c}@example.com").id
            for c in world.clients
        }
        for b in world.bookings:
            session.add(
                Booking(
                    uid=f"{secrets.token_hex(8)}@test",
                    treatment_type_id=tt.id,
                    therapist_id=therapists[b.therapist_id],
                    room_id=rooms[b.room_id],
                    client_id=clients[b.client_id],
                    start_at=b.start,
                    end_at=b.end,
                    blocked_start=b.blocked_start,
                    blocked_end=b.blocked_end,
                    status=b.status,
                    access_token=secrets.token_urlsafe(16),
                )
            )
        return tt.id, therapists, rooms


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds(max_days=2))
def test_available_slots_match_the_reference_on_random_clinics(db, world):
    wipe(db)
    tt_id, therapists, rooms = store(db, world)
    with db.read() as session:
        found = available_slots(
            session, treatment_type_id=tt_id, start=world.first, end=world.last, now=world.now
        )
    back_t = {v: k for k, v in therapists.items()}
    back_r = {v: k for k, v in rooms.items()}
    got = sorted((s.start, back_t[s.therapist_id], s.end, back_r[s.room_id]) for s in found)
    assert got == reference_slots(world), describe(world)
