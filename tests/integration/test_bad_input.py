"""Bad input to every domain function: a typed error naming the field, and not a row changed.

Each case runs inside a transaction that catches the error and then commits, as a careless
caller might: a refusal must leave nothing behind even then (tests/integration/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

import pytest

from shared import accounts, booking, booking_queries, catalog, clients, demo, outbox_queries
from shared.availability import available_slots, find_availability
from shared.booking import book, cancel, get_booking, mark_completed, mark_no_show, reschedule
from shared.errors import (
    AuthError,
    Conflict,
    DuplicateName,
    InactiveResource,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from tests.factories import MONDAY, NOW, TZ, local, make_clinic
from tests.integration.conftest import assert_writes_nothing

NAIVE = datetime(2027, 3, 1, 10, 0)
YEAR_1 = datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1)))
YEAR_9999 = datetime(9999, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-1)))


@dataclass
class Case:
    name: str
    error: type[Exception]
    field: str | None
    call: object  # (session, ids) -> object


@pytest.fixture(scope="module")
def ids(module_db):
    """A clinic with something inactive of each kind, a live and a cancelled booking.

    Built once per backend: every case leaves it exactly as it was (that is the point)."""
    with module_db.transaction() as session:
        c = make_clinic(session)
        old = catalog.save_treatment_type(
            session, name="Old facial", duration_minutes=30, active=False
        )
        ivo = catalog.save_therapist(
            session,
            name="Ivo Retired",
            email="ivo@clinic.example",
            active=False,
            treatment_type_ids=[c.consult.id],
        )
        room3 = catalog.save_room(session, name="Room 3", active=False)
        live = book(
            session,
            treatment_type_id=c.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=c.client.id,
            actor="test",
            now=NOW,
        )
        gone = book(
            session,
            treatment_type_id=c.consult.id,
            start=local(MONDAY, "12:00"),
            client_id=c.other_client.id,
            therapist_id=c.boris.id,
            actor="test",
            now=NOW,
        )
        cancel(session, gone.id, actor="test", now=NOW)
        accounts.create_api_key(session, "website")
        accounts.create_user(
            session,
            email="reception@clinic.example",
            password="long enough pw",
            role="receptionist",
        )
        boss = accounts.create_user(
            session, email="boss@clinic.example", password="long enough pw", role="admin"
        )
        off = catalog.add_time_off(session, therapist_id=c.boris.id, **span())
        closure = catalog.add_closure(session, room_id=c.room2.id, **span())
        return SimpleNamespace(
            facial=c.facial.id,
            consult=c.consult.id,
            old=old.id,
            anna=c.anna.id,
            boris=c.boris.id,
            ivo=ivo.id,
            room1=c.room1.id,
            room2=c.room2.id,
            room3=room3.id,
            client=c.client.id,
            other=c.other_client.id,
            live=live.id,
            gone=gone.id,
            boss=boss.id,
            off=off.id,
            closure=closure.id,
        )


def booking_args(i, **changes):
    args = {
        "treatment_type_id": i.consult,
        "start": local(MONDAY, "14:00"),
        "client_id": i.other,
        "actor": "reception",
        "now": NOW,
    }
    args.update(changes)
    return args


def tt_args(**changes):
    args = {"name": "Cupping", "duration_minutes": 45}
    args.update(changes)
    return args


def therapist_args(**changes):
    args = {"name": "Mei Lin", "email": "mei@clinic.example"}
    args.update(changes)
    return args


def hours_args(i, **changes):
    args = {"therapist_id": i.boris, "weekday": 5, "start_time": time(9), "end_time": time(12)}
    args.update(changes)
    return args


def span(**changes):
    args = {"start": local(MONDAY, "09:00"), "end": local(MONDAY, "12:00")}
    args.update(changes)
    return args


CASES = [
    # -- book ---------------------------------------------------------------------------------
    Case(
        "book unknown treatment type",
        NotFound,
        "treatment_type_id",
        lambda s, i: book(s, **booking_args(i, treatment_type_id=999)),
    ),
    Case(
        "book inactive treatment type",
        InactiveResource,
        "treatment_type_id",
        lambda s, i: book(s, **booking_args(i, treatment_type_id=i.old)),
    ),
    Case(
        "book treatment type id 0",
        InvalidInput,
        "treatment_type_id",
        lambda s, i: book(s, **booking_args(i, treatment_type_id=0)),
    ),
    Case(
        "book treatment type id as text",
        InvalidInput,
        "treatment_type_id",
        lambda s, i: book(s, **booking_args(i, treatment_type_id="1")),
    ),
    Case(
        "book treatment type id True",
        InvalidInput,
        "treatment_type_id",
        lambda s, i: book(s, **booking_args(i, treatment_type_id=True)),
    ),
    Case(
        "book naive start",
        InvalidInput,
        "start",
        lambda s, i: book(s, **booking_args(i, start=NAIVE)),
    ),
    Case(
        "book start as text",
        InvalidInput,
        "start",
        lambda s, i: book(s, **booking_args(i, start="2027-03-01T10:00:00Z")),
    ),
    Case(
        "book start as a date",
        InvalidInput,
        "start",
        lambda s, i: book(s, **booking_args(i, start=MONDAY)),
    ),
    Case("book naive now", InvalidInput, "now", lambda s, i: book(s, **booking_args(i, now=NAIVE))),
    Case(
        "book unknown client",
        NotFound,
        "client_id",
        lambda s, i: book(s, **booking_args(i, client_id=999)),
    ),
    Case(
        "book client id negative",
        InvalidInput,
        "client_id",
        lambda s, i: book(s, **booking_args(i, client_id=-1)),
    ),
    Case(
        "book unknown therapist",
        NotFound,
        "therapist_id",
        lambda s, i: book(s, **booking_args(i, therapist_id=999)),
    ),
    Case(
        "book inactive therapist",
        InactiveResource,
        "therapist_id",
        lambda s, i: book(s, **booking_args(i, therapist_id=i.ivo)),
    ),
    Case(
        "book unknown room",
        NotFound,
        "room_id",
        lambda s, i: book(s, **booking_args(i, room_id=999)),
    ),
    Case(
        "book inactive room",
        InactiveResource,
        "room_id",
        lambda s, i: book(s, **booking_args(i, room_id=i.room3)),
    ),
    Case(
        "book unknown source",
        InvalidInput,
        "source",
        lambda s, i: book(s, **booking_args(i, source="fax")),
    ),
    Case(
        "book without actor",
        InvalidInput,
        "actor",
        lambda s, i: book(s, **booking_args(i, actor="")),
    ),
    Case(
        "book actor of spaces",
        InvalidInput,
        "actor",
        lambda s, i: book(s, **booking_args(i, actor="   ")),
    ),
    Case(
        "book notes too long",
        InvalidInput,
        "notes",
        lambda s, i: book(s, **booking_args(i, notes="x" * 5001)),
    ),
    Case(
        "book notes with a NUL",
        InvalidInput,
        "notes",
        lambda s, i: book(s, **booking_args(i, notes="allergic\x00")),
    ),
    Case(
        "book in year 1",
        InvalidInput,
        "start",
        lambda s, i: book(s, **booking_args(i, start=YEAR_1)),
    ),
    Case(
        "book in year 9999",
        InvalidInput,
        "start",
        lambda s, i: book(s, **booking_args(i, start=YEAR_9999)),
    ),
    Case(
        "book a client id beyond the database",
        InvalidInput,
        "client_id",
        lambda s, i: book(s, **booking_args(i, client_id=99_999_999_999)),
    ),
    # -- reschedule ---------------------------------------------------------------------------
    Case(
        "reschedule unknown booking",
        NotFound,
        "booking_id",
        lambda s, i: reschedule(s, 999, actor="r", start=local(MONDAY, "14:00"), now=NOW),
    ),
    Case(
        "reschedule booking id 0",
        InvalidInput,
        "booking_id",
        lambda s, i: reschedule(s, 0, actor="r", start=local(MONDAY, "14:00"), now=NOW),
    ),
    Case(
        "reschedule naive start",
        InvalidInput,
        "start",
        lambda s, i: reschedule(s, i.live, actor="r", start=NAIVE, now=NOW),
    ),
    Case(
        "reschedule with nothing to change",
        InvalidInput,
        "start",
        lambda s, i: reschedule(s, i.live, actor="r", now=NOW),
    ),
    Case(
        "reschedule without actor",
        InvalidInput,
        "actor",
        lambda s, i: reschedule(s, i.live, actor="", start=local(MONDAY, "14:00"), now=NOW),
    ),
    Case(
        "reschedule cancelled booking",
        InvalidTransition,
        None,
        lambda s, i: reschedule(s, i.gone, actor="r", start=local(MONDAY, "14:00"), now=NOW),
    ),
    Case(
        "reschedule to unknown therapist",
        NotFound,
        "therapist_id",
        lambda s, i: reschedule(s, i.live, actor="r", therapist_id=999, now=NOW),
    ),
    Case(
        "reschedule to inactive therapist",
        InactiveResource,
        "therapist_id",
        lambda s, i: reschedule(s, i.live, actor="r", therapist_id=i.ivo, now=NOW),
    ),
    Case(
        "reschedule to unknown room",
        NotFound,
        "room_id",
        lambda s, i: reschedule(s, i.live, actor="r", room_id=999, now=NOW),
    ),
    Case(
        "reschedule from a version that is no version",
        InvalidInput,
        "expected_sequence",
        lambda s, i: reschedule(
            s, i.live, actor="r", start=local(MONDAY, "14:00"), now=NOW, expected_sequence=-1
        ),
    ),
    Case(
        "reschedule to year 1",
        InvalidInput,
        "start",
        lambda s, i: reschedule(s, i.live, actor="r", start=YEAR_1, now=NOW),
    ),
    Case(
        "reschedule to year 9999",
        InvalidInput,
        "start",
        lambda s, i: reschedule(s, i.live, actor="r", start=YEAR_9999, now=NOW),
    ),
    # -- cancel, complete, no-show ----------------------------------------------------------
    Case(
        "cancel unknown booking",
        NotFound,
        "booking_id",
        lambda s, i: cancel(s, 999, actor="r", now=NOW),
    ),
    Case(
        "cancel booking id as text",
        InvalidInput,
        "booking_id",
        lambda s, i: cancel(s, "1", actor="r", now=NOW),
    ),
    Case(
        "cancel reason too long",
        InvalidInput,
        "reason",
        lambda s, i: cancel(s, i.live, actor="r", reason="x" * 1001, now=NOW),
    ),
    Case(
        "cancel reason with a NUL",
        InvalidInput,
        "reason",
        lambda s, i: cancel(s, i.live, actor="r", reason="ill\x00", now=NOW),
    ),
    Case(
        "cancel from a version that is no version",
        InvalidInput,
        "expected_sequence",
        lambda s, i: cancel(s, i.live, actor="r", now=NOW, expected_sequence=True),
    ),
    Case(
        "cancel without actor",
        InvalidInput,
        "actor",
        lambda s, i: cancel(s, i.live, actor="", now=NOW),
    ),
    Case(
        "cancel naive now",
        InvalidInput,
        "now",
        lambda s, i: cancel(s, i.live, actor="r", now=NAIVE),
    ),
    Case(
        "cancel twice", InvalidTransition, None, lambda s, i: cancel(s, i.gone, actor="r", now=NOW)
    ),
    Case(
        "complete unknown booking",
        NotFound,
        "booking_id",
        lambda s, i: mark_completed(s, 999, actor="r", now=NOW),
    ),
    Case(
        "complete before it starts",
        InvalidTransition,
        None,
        lambda s, i: mark_completed(s, i.live, actor="r", now=NOW),
    ),
    Case(
        "complete without actor",
        InvalidInput,
        "actor",
        lambda s, i: mark_completed(s, i.live, actor="", now=local(MONDAY, "12:00")),
    ),
    Case(
        "no-show a cancelled booking",
        InvalidTransition,
        None,
        lambda s, i: mark_no_show(s, i.gone, actor="r", now=local(MONDAY, "13:00")),
    ),
    Case(
        "no-show naive now",
        InvalidInput,
        "now",
        lambda s, i: mark_no_show(s, i.live, actor="r", now=NAIVE),
    ),
    Case(
        "unmark a booked session",
        InvalidTransition,
        None,
        lambda s, i: booking.unmark(s, i.live, actor="r", tz=TZ, now=local(MONDAY, "13:00")),
    ),
    Case(
        "unmark naive now",
        InvalidInput,
        "now",
        lambda s, i: booking.unmark(s, i.live, actor="r", tz=TZ, now=NAIVE),
    ),
    Case(
        "unmark stale version",
        InvalidInput,
        "expected_sequence",
        lambda s, i: booking.unmark(s, i.live, actor="r", tz=TZ, expected_sequence=-1),
    ),
    Case("get booking id None", InvalidInput, "booking_id", lambda s, i: get_booking(s, None)),
    Case(
        "get booking id beyond the database",
        InvalidInput,
        "booking_id",
        lambda s, i: get_booking(s, 99_999_999_999),
    ),
    # -- availability ---------------------------------------------------------------------
    Case(
        "slots end before start",
        InvalidInput,
        "end",
        lambda s, i: available_slots(
            s, treatment_type_id=i.facial, start=MONDAY, end=MONDAY - timedelta(days=1), now=NOW
        ),
    ),
    Case(
        "slots for 32 days",
        InvalidInput,
        "end",
        lambda s, i: available_slots(
            s, treatment_type_id=i.facial, start=MONDAY, end=MONDAY + timedelta(days=31), now=NOW
        ),
    ),
    Case(
        "slots naive now",
        InvalidInput,
        "now",
        lambda s, i: available_slots(
            s, treatment_type_id=i.facial, start=MONDAY, end=MONDAY, now=NAIVE
        ),
    ),
    Case(
        "slots start as a datetime",
        InvalidInput,
        "start",
        lambda s, i: available_slots(s, treatment_type_id=i.facial, start=NOW, end=MONDAY, now=NOW),
    ),
    Case(
        "slots end as text",
        InvalidInput,
        "end",
        lambda s, i: available_slots(
            s, treatment_type_id=i.facial, start=MONDAY, end="2027-03-02", now=NOW
        ),
    ),
    Case(
        "slots unknown treatment type",
        NotFound,
        "treatment_type_id",
        lambda s, i: available_slots(s, treatment_type_id=999, start=MONDAY, end=MONDAY, now=NOW),
    ),
    Case(
        "slots inactive treatment type",
        InactiveResource,
        "treatment_type_id",
        lambda s, i: available_slots(s, treatment_type_id=i.old, start=MONDAY, end=MONDAY, now=NOW),
    ),
    Case(
        "slots treatment type id as text",
        InvalidInput,
        "treatment_type_id",
        lambda s, i: available_slots(s, treatment_type_id="x", start=MONDAY, end=MONDAY, now=NOW),
    ),
    Case(
        "slots unknown therapist",
        NotFound,
        "therapist_id",
        lambda s, i: available_slots(
            s, treatment_type_id=i.facial, start=MONDAY, end=MONDAY, now=NOW, therapist_id=999
        ),
    ),
    Case(
        "slots therapist id 0",
        InvalidInput,
        "therapist_id",
        lambda s, i: available_slots(
            s, treatment_type_id=i.facial, start=MONDAY, end=MONDAY, now=NOW, therapist_id=0
        ),
    ),
    Case(
        "availability with its zone for 32 days",
        InvalidInput,
        "end",
        lambda s, i: find_availability(
            s, treatment_type_id=i.facial, start=MONDAY, end=MONDAY + timedelta(days=31), now=NOW
        ),
    ),
    Case(
        "availability with its zone, unknown therapist",
        NotFound,
        "therapist_id",
        lambda s, i: find_availability(
            s, treatment_type_id=i.facial, start=MONDAY, end=MONDAY, now=NOW, therapist_id=999
        ),
    ),
    Case(
        "availability on the last day of year 9999 (beyond the calendar's reach)",
        InvalidInput,
        "start",
        lambda s, i: find_availability(
            s, treatment_type_id=i.facial, start=date(9999, 12, 31), end=date(9999, 12, 31), now=NOW
        ),
    ),
    Case(
        "availability on the first day of year 1",
        InvalidInput,
        "start",
        lambda s, i: find_availability(
            s, treatment_type_id=i.facial, start=date(1, 1, 1), end=date(1, 1, 1), now=NOW
        ),
    ),
    # -- clinic settings ------------------------------------------------------------------
    Case(
        "clinic timezone that does not exist",
        InvalidInput,
        "timezone",
        lambda s, i: catalog.configure_clinic(s, name="Renamed", timezone="Mars/Olympus_Mons"),
    ),
    Case(
        "clinic timezone empty",
        InvalidInput,
        "timezone",
        lambda s, i: catalog.configure_clinic(s, timezone=""),
    ),
    Case(
        "clinic slot step 7",
        InvalidInput,
        "slot_step_minutes",
        lambda s, i: catalog.configure_clinic(s, slot_step_minutes=7),
    ),
    Case(
        "clinic slot step 0",
        InvalidInput,
        "slot_step_minutes",
        lambda s, i: catalog.configure_clinic(s, slot_step_minutes=0),
    ),
    Case(
        "clinic slot step negative",
        InvalidInput,
        "slot_step_minutes",
        lambda s, i: catalog.configure_clinic(s, slot_step_minutes=-15),
    ),
    Case(
        "clinic slot step True",
        InvalidInput,
        "slot_step_minutes",
        lambda s, i: catalog.configure_clinic(s, slot_step_minutes=True),
    ),
    Case(
        "clinic horizon 0 days",
        InvalidInput,
        "booking_horizon_days",
        lambda s, i: catalog.configure_clinic(s, booking_horizon_days=0),
    ),
    Case(
        "clinic negative notice",
        InvalidInput,
        "min_notice_minutes",
        lambda s, i: catalog.configure_clinic(s, min_notice_minutes=-5),
    ),
    Case(
        "clinic notice as text",
        InvalidInput,
        "min_notice_minutes",
        lambda s, i: catalog.configure_clinic(s, min_notice_minutes="60"),
    ),
    Case(
        "clinic negative cancellation notice",
        InvalidInput,
        "cancellation_notice_hours",
        lambda s, i: catalog.configure_clinic(s, cancellation_notice_hours=-1),
    ),
    Case(
        "clinic unknown setting",
        InvalidInput,
        "colour",
        lambda s, i: catalog.configure_clinic(s, colour="#ffffff"),
    ),
    Case(
        "clinic empty name",
        InvalidInput,
        "name",
        lambda s, i: catalog.configure_clinic(s, name="  "),
    ),
    Case(
        "clinic flag as text",
        InvalidInput,
        "invite_therapists",
        lambda s, i: catalog.configure_clinic(s, name="Renamed", invite_therapists="yes"),
    ),
    # -- treatment types ----------------------------------------------------------------------
    Case(
        "treatment zero duration",
        InvalidInput,
        "duration_minutes",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(duration_minutes=0)),
    ),
    Case(
        "treatment negative duration",
        InvalidInput,
        "duration_minutes",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(duration_minutes=-30)),
    ),
    Case(
        "treatment duration over 8 hours",
        InvalidInput,
        "duration_minutes",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(duration_minutes=481)),
    ),
    Case(
        "treatment fractional duration",
        InvalidInput,
        "duration_minutes",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(duration_minutes=30.5)),
    ),
    Case(
        "treatment duration as text",
        InvalidInput,
        "duration_minutes",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(duration_minutes="60")),
    ),
    Case(
        "treatment negative buffer",
        InvalidInput,
        "buffer_before_minutes",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(buffer_before_minutes=-5)),
    ),
    Case(
        "treatment buffer too long",
        InvalidInput,
        "buffer_after_minutes",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(buffer_after_minutes=121)),
    ),
    Case(
        "treatment price not a number",
        InvalidInput,
        "price",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(price="abc")),
    ),
    Case(
        "treatment negative price",
        InvalidInput,
        "price",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(price="-1")),
    ),
    Case(
        "treatment price NaN",
        InvalidInput,
        "price",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(price="NaN")),
    ),
    Case(
        "treatment price infinite",
        InvalidInput,
        "price",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(price=Decimal("Infinity"))),
    ),
    Case(
        "treatment price too high",
        InvalidInput,
        "price",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(price=100_000_000)),
    ),
    Case(
        "treatment currency of four letters",
        InvalidInput,
        "currency",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(currency="EURO")),
    ),
    Case(
        "treatment currency symbols",
        InvalidInput,
        "currency",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(currency="€€€")),
    ),
    Case(
        "treatment colour name",
        InvalidInput,
        "colour",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(colour="red")),
    ),
    Case(
        "treatment duplicate name",
        DuplicateName,
        "name",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(name="TCM consultation")),
    ),
    Case(
        "treatment empty name",
        InvalidInput,
        "name",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(name=" ")),
    ),
    Case(
        "treatment unknown id",
        NotFound,
        "id",
        lambda s, i: catalog.save_treatment_type(s, treatment_type_id=999, **tt_args()),
    ),
    Case(
        "treatment features as one string",
        InvalidInput,
        "required_features",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(required_features="couch")),
    ),
    Case(
        "treatment empty feature name",
        InvalidInput,
        "required_features",
        lambda s, i: catalog.save_treatment_type(s, **tt_args(required_features=["cups", ""])),
    ),
    Case(
        "treatment update with a bad duration changes nothing",
        InvalidInput,
        "duration_minutes",
        lambda s, i: catalog.save_treatment_type(
            s,
            treatment_type_id=i.consult,
            name="Renamed",
            duration_minutes=0,
            required_features=["new feature"],
        ),
    ),
    # -- rooms ----------------------------------------------------------------------------------
    Case("room empty name", InvalidInput, "name", lambda s, i: catalog.save_room(s, name="")),
    Case(
        "room duplicate name",
        DuplicateName,
        "name",
        lambda s, i: catalog.save_room(s, name="Room 1"),
    ),
    Case(
        "room unknown id",
        NotFound,
        "id",
        lambda s, i: catalog.save_room(s, room_id=999, name="Room 9"),
    ),
    Case(
        "room active as text",
        InvalidInput,
        "active",
        lambda s, i: catalog.save_room(s, name="Room 9", features=["new feature"], active="yes"),
    ),
    Case(
        "room features as one string",
        InvalidInput,
        "features",
        lambda s, i: catalog.save_room(s, name="Room 9", features="couch"),
    ),
    Case(
        "room update with a bad flag changes nothing",
        InvalidInput,
        "active",
        lambda s, i: catalog.save_room(s, room_id=i.room1, name="Renamed", active=None),
    ),
    # -- therapists -----------------------------------------------------------------------------
    Case(
        "therapist e-mail without domain",
        InvalidInput,
        "email",
        lambda s, i: catalog.save_therapist(s, **therapist_args(email="mei@")),
    ),
    Case(
        "therapist e-mail of words",
        InvalidInput,
        "email",
        lambda s, i: catalog.save_therapist(s, **therapist_args(email="not an e-mail")),
    ),
    Case(
        "therapist e-mail empty",
        InvalidInput,
        "email",
        lambda s, i: catalog.save_therapist(s, **therapist_args(email="")),
    ),
    Case(
        "therapist duplicate e-mail",
        DuplicateName,
        "email",
        lambda s, i: catalog.save_therapist(s, **therapist_args(email="ANNA@clinic.example")),
    ),
    Case(
        "therapist unknown treatment type",
        NotFound,
        "treatment_type_ids",
        lambda s, i: catalog.save_therapist(s, **therapist_args(treatment_type_ids=[999])),
    ),
    Case(
        "therapist treatment type id 0",
        InvalidInput,
        "treatment_type_ids",
        lambda s, i: catalog.save_therapist(s, **therapist_args(treatment_type_ids=[0])),
    ),
    Case(
        "therapist treatment types as one id",
        InvalidInput,
        "treatment_type_ids",
        lambda s, i: catalog.save_therapist(s, **therapist_args(treatment_type_ids=1)),
    ),
    Case(
        "therapist bad colour",
        InvalidInput,
        "colour",
        lambda s, i: catalog.save_therapist(s, **therapist_args(colour="#zzzzzz")),
    ),
    Case(
        "therapist empty name",
        InvalidInput,
        "name",
        lambda s, i: catalog.save_therapist(s, **therapist_args(name="")),
    ),
    Case(
        "therapist unknown id",
        NotFound,
        "id",
        lambda s, i: catalog.save_therapist(s, therapist_id=999, **therapist_args()),
    ),
    Case(
        "therapist update with a bad colour changes nothing",
        InvalidInput,
        "colour",
        lambda s, i: catalog.save_therapist(
            s,
            therapist_id=i.boris,
            name="Renamed",
            email="renamed@clinic.example",
            colour="blue",
            treatment_type_ids=[i.facial],
        ),
    ),
    # -- working hours, time off, closures ------------------------------------------------------
    Case(
        "hours unknown therapist",
        NotFound,
        "therapist_id",
        lambda s, i: catalog.add_working_hours(s, **hours_args(i, therapist_id=999)),
    ),
    Case(
        "hours weekday 7",
        InvalidInput,
        "weekday",
        lambda s, i: catalog.add_working_hours(s, **hours_args(i, weekday=7)),
    ),
    Case(
        "hours weekday -1",
        InvalidInput,
        "weekday",
        lambda s, i: catalog.add_working_hours(s, **hours_args(i, weekday=-1)),
    ),
    Case(
        "hours weekday as text",
        InvalidInput,
        "weekday",
        lambda s, i: catalog.add_working_hours(s, **hours_args(i, weekday="0")),
    ),
    Case(
        "hours start as text",
        InvalidInput,
        "start_time",
        lambda s, i: catalog.add_working_hours(s, **hours_args(i, start_time="09:00")),
    ),
    Case(
        "hours with a timezone",
        InvalidInput,
        "end_time",
        lambda s, i: catalog.add_working_hours(s, **hours_args(i, end_time=time(12, tzinfo=UTC))),
    ),
    Case(
        "hours end before start",
        InvalidInput,
        "end_time",
        lambda s, i: catalog.add_working_hours(s, **hours_args(i, end_time=time(8))),
    ),
    Case(
        "hours of no length",
        InvalidInput,
        "end_time",
        lambda s, i: catalog.add_working_hours(s, **hours_args(i, end_time=time(9))),
    ),
    Case(
        "hours overlapping a block",
        InvalidInput,
        "start_time",
        lambda s, i: catalog.add_working_hours(
            s, **hours_args(i, weekday=0, start_time=time(12), end_time=time(14))
        ),
    ),
    Case(
        "hours valid to before valid from",
        InvalidInput,
        "valid_to",
        lambda s, i: catalog.add_working_hours(
            s, **hours_args(i, valid_from=date(2027, 5, 1), valid_to=date(2027, 4, 1))
        ),
    ),
    Case(
        "hours valid from as text",
        InvalidInput,
        "valid_from",
        lambda s, i: catalog.add_working_hours(s, **hours_args(i, valid_from="2027-05-01")),
    ),
    Case(
        "hours unknown block",
        NotFound,
        "id",
        lambda s, i: catalog.add_working_hours(s, **hours_args(i, working_hours_id=999)),
    ),
    Case(
        "time off unknown therapist",
        NotFound,
        "therapist_id",
        lambda s, i: catalog.add_time_off(s, therapist_id=999, **span()),
    ),
    Case(
        "time off naive start",
        InvalidInput,
        "start",
        lambda s, i: catalog.add_time_off(s, therapist_id=i.anna, **span(start=NAIVE)),
    ),
    Case(
        "time off ends before it starts",
        InvalidInput,
        "end",
        lambda s, i: catalog.add_time_off(
            s, therapist_id=i.anna, **span(end=local(MONDAY, "08:00"))
        ),
    ),
    Case(
        "time off of no length",
        InvalidInput,
        "end",
        lambda s, i: catalog.add_time_off(
            s, therapist_id=i.anna, **span(end=local(MONDAY, "09:00"))
        ),
    ),
    Case(
        "time off reason too long",
        InvalidInput,
        "reason",
        lambda s, i: catalog.add_time_off(s, therapist_id=i.anna, reason="x" * 501, **span()),
    ),
    Case(
        "closure unknown room",
        NotFound,
        "room_id",
        lambda s, i: catalog.add_closure(s, room_id=999, **span()),
    ),
    Case(
        "closure naive end",
        InvalidInput,
        "end",
        lambda s, i: catalog.add_closure(s, **span(end=NAIVE)),
    ),
    Case(
        "closure ends before it starts",
        InvalidInput,
        "end",
        lambda s, i: catalog.add_closure(s, **span(end=local(MONDAY, "08:00"))),
    ),
    Case(
        "change unknown time off",
        NotFound,
        "id",
        lambda s, i: catalog.add_time_off(s, therapist_id=i.anna, time_off_id=999, **span()),
    ),
    Case(
        "change time off to end before it starts",
        InvalidInput,
        "end",
        lambda s, i: catalog.add_time_off(
            s, therapist_id=i.anna, time_off_id=i.off, **span(end=local(MONDAY, "08:00"))
        ),
    ),
    Case(
        "change time off to an unknown therapist",
        NotFound,
        "therapist_id",
        lambda s, i: catalog.add_time_off(s, therapist_id=999, time_off_id=i.off, **span()),
    ),
    Case(
        "change unknown closure",
        NotFound,
        "id",
        lambda s, i: catalog.add_closure(s, closure_id=999, **span()),
    ),
    Case(
        "change closure to an unknown room",
        NotFound,
        "room_id",
        lambda s, i: catalog.add_closure(s, closure_id=i.closure, room_id=999, **span()),
    ),
    Case(
        "change closure with a reason too long",
        InvalidInput,
        "reason",
        lambda s, i: catalog.add_closure(s, closure_id=i.closure, reason="x" * 501, **span()),
    ),
    Case(
        "remove unknown working hours",
        NotFound,
        "id",
        lambda s, i: catalog.remove_working_hours(s, 999),
    ),
    Case(
        "remove working hours id 0",
        InvalidInput,
        "id",
        lambda s, i: catalog.remove_working_hours(s, 0),
    ),
    Case("remove unknown time off", NotFound, "id", lambda s, i: catalog.remove_time_off(s, 999)),
    Case(
        "remove time off id as text",
        InvalidInput,
        "id",
        lambda s, i: catalog.remove_time_off(s, str(i.off)),
    ),
    Case("remove unknown closure", NotFound, "id", lambda s, i: catalog.remove_closure(s, 999)),
    Case(
        "remove closure id None", InvalidInput, "id", lambda s, i: catalog.remove_closure(s, None)
    ),
    Case(
        "rotate a feed of an unknown kind",
        NotFound,
        "kind",
        lambda s, i: catalog.rotate_feed(s, "planet", 1),
    ),
    Case(
        "rotate the feed of an unknown room",
        NotFound,
        "owner_id",
        lambda s, i: catalog.rotate_feed(s, "room", 999),
    ),
    Case(
        "rotate a therapist's feed with id -1",
        InvalidInput,
        "owner_id",
        lambda s, i: catalog.rotate_feed(s, "therapist", -1),
    ),
    Case(
        "deactivate unknown therapist",
        NotFound,
        "therapist_id",
        lambda s, i: catalog.deactivate_therapist(s, 999),
    ),
    Case(
        "deactivate a therapist with sessions ahead",
        Conflict,
        "active",
        lambda s, i: catalog.deactivate_therapist(s, i.anna),
    ),
    # -- clients -----------------------------------------------------------------------------
    Case(
        "client name with a line separator U+2028",
        InvalidInput,
        "name",
        lambda s, i: clients.create_client(s, name="Nina\u2028Horvat"),
    ),
    Case(
        "client name with a next-line U+0085",
        InvalidInput,
        "name",
        lambda s, i: clients.create_client(s, name="Nina\x85Horvat"),
    ),
    Case(
        "client name with a vertical tab",
        InvalidInput,
        "name",
        lambda s, i: clients.create_client(s, name="Nina\x0bHorvat"),
    ),
    Case(
        "client name with a paragraph separator U+2029",
        InvalidInput,
        "name",
        lambda s, i: clients.create_client(s, name="Nina\u2029Horvat"),
    ),
    Case(
        "therapist name with a line separator",
        InvalidInput,
        "name",
        lambda s, i: catalog.save_therapist(s, **therapist_args(name="Mei\u2028Lin")),
    ),
    Case(
        "room name with a control character",
        InvalidInput,
        "name",
        lambda s, i: catalog.save_room(s, name="Room\x1b[31m 4"),
    ),
    Case(
        "client invalid e-mail",
        InvalidInput,
        "email",
        lambda s, i: clients.create_client(s, name="Nina", email="nina@@example.com"),
    ),
    Case(
        "client e-mail without dot",
        InvalidInput,
        "email",
        lambda s, i: clients.create_client(s, name="Nina", email="nina@localhost"),
    ),
    Case(
        "client empty name",
        InvalidInput,
        "name",
        lambda s, i: clients.create_client(s, name="", email="nina@example.com"),
    ),
    Case(
        "client name with a line break",
        InvalidInput,
        "name",
        lambda s, i: clients.create_client(s, name="Nina\nHorvat"),
    ),
    Case(
        "client duplicate e-mail in capitals",
        DuplicateName,
        "email",
        lambda s, i: clients.create_client(s, name="Eva Two", email="EVA@Example.com"),
    ),
    Case(
        "client phone too long",
        InvalidInput,
        "phone",
        lambda s, i: clients.create_client(s, name="Nina", phone="1" * 51),
    ),
    Case(
        "find or create with an invalid e-mail",
        InvalidInput,
        "email",
        lambda s, i: clients.find_or_create_client(s, name="Nina", email="nina"),
    ),
    Case(
        "a client given for a booking with an invalid e-mail",
        InvalidInput,
        "email",
        lambda s, i: clients.registration(name="Nina", email="nina"),
    ),
    Case(
        "a client given for a booking with an empty name",
        InvalidInput,
        "name",
        lambda s, i: clients.registration(name=" ", email="nina@example.com"),
    ),
    Case(
        "a client given for a booking with a phone number too long",
        InvalidInput,
        "phone",
        lambda s, i: clients.registration(name="Nina", email="nina@example.com", phone="1" * 51),
    ),
    Case(
        "update unknown client",
        NotFound,
        "client_id",
        lambda s, i: clients.update_client(s, 999, name="Nina"),
    ),
    Case(
        "update client with an invalid e-mail",
        InvalidInput,
        "email",
        lambda s, i: clients.update_client(s, i.client, name="Eva Horvat", email="eva@"),
    ),
    Case(
        "update client to another client's e-mail",
        DuplicateName,
        "email",
        lambda s, i: clients.update_client(s, i.client, name="Eva", email="ziga@example.com"),
    ),
    Case(
        "update client with an empty name",
        InvalidInput,
        "name",
        lambda s, i: clients.update_client(s, i.client, name="", email="eva@example.com"),
    ),
    Case("get unknown client", NotFound, "client_id", lambda s, i: clients.get_client(s, 999)),
    Case("delete unknown client", NotFound, "id", lambda s, i: clients.delete_client(s, 999)),
    Case("delete client id 0", InvalidInput, "id", lambda s, i: clients.delete_client(s, 0)),
    Case(
        "delete a client with a session booked",
        Conflict,
        None,
        lambda s, i: clients.delete_client(s, i.client),
    ),
    Case(
        "delete a client whose only session was cancelled",
        Conflict,
        None,
        lambda s, i: clients.delete_client(s, i.other),
    ),
    Case(
        "look a client up by an invalid e-mail",
        InvalidInput,
        "email",
        lambda s, i: clients.client_by_email(s, "nina"),
    ),
    Case(
        "search clients for a number",
        InvalidInput,
        "q",
        lambda s, i: clients.search_clients(s, 386),
    ),
    Case(
        "search clients for a NUL",
        InvalidInput,
        "q",
        lambda s, i: clients.search_clients(s, "ev\x00a"),
    ),
    Case(
        "search clients with no limit",
        InvalidInput,
        "limit",
        lambda s, i: clients.search_clients(s, "eva", limit=0),
    ),
    Case(
        "search clients with a huge limit",
        InvalidInput,
        "limit",
        lambda s, i: clients.search_clients(s, "eva", limit=10**6),
    ),
    # -- accounts ----------------------------------------------------------------------------
    Case("api key empty name", InvalidInput, "name", lambda s, i: accounts.create_api_key(s, "")),
    Case(
        "api key duplicate name",
        DuplicateName,
        "name",
        lambda s, i: accounts.create_api_key(s, "website"),
    ),
    Case(
        "api key name too long",
        InvalidInput,
        "name",
        lambda s, i: accounts.create_api_key(s, "k" * 121),
    ),
    Case(
        "revoke unknown api key",
        NotFound,
        "name",
        lambda s, i: accounts.revoke_api_key(s, "nobody"),
    ),
    Case(
        "authenticate a made-up key",
        AuthError,
        None,
        lambda s, i: accounts.authenticate_api_key(s, "csk_" + "x" * 43),
    ),
    Case(
        "authenticate a key of the wrong form",
        AuthError,
        None,
        lambda s, i: accounts.authenticate_api_key(s, "Bearer nonsense"),
    ),
    Case(
        "user invalid e-mail",
        InvalidInput,
        "email",
        lambda s, i: accounts.create_user(
            s, email="admin", password="long enough pw", role="admin"
        ),
    ),
    Case(
        "user short password",
        InvalidInput,
        "password",
        lambda s, i: accounts.create_user(
            s, email="admin@clinic.example", password="short", role="admin"
        ),
    ),
    Case(
        "user unknown role",
        InvalidInput,
        "role",
        lambda s, i: accounts.create_user(
            s, email="admin@clinic.example", password="long enough pw", role="boss"
        ),
    ),
    Case(
        "user duplicate e-mail",
        DuplicateName,
        "email",
        lambda s, i: accounts.create_user(
            s, email="reception@clinic.example", password="long enough pw", role="admin"
        ),
    ),
    Case(
        "user name with a line break",
        InvalidInput,
        "name",
        lambda s, i: accounts.create_user(
            s, email="ana@clinic.example", password="long enough pw", role="admin", name="A\nna"
        ),
    ),
    Case(
        "user renamed beyond the name's length",
        InvalidInput,
        "name",
        lambda s, i: accounts.update_user(
            s, i.boss, role="admin", active=True, name="x" * (accounts.NAME_MAX + 1)
        ),
    ),
    Case(
        "an admin takes away their own admin access",
        Conflict,
        "role",
        lambda s, i: accounts.update_user(
            s, i.boss, role="receptionist", active=True, by_user_id=i.boss
        ),
    ),
    Case(
        "an admin locks themselves out",
        Conflict,
        "role",
        lambda s, i: accounts.update_user(s, i.boss, role="admin", active=False, by_user_id=i.boss),
    ),
    # -- reads for the dashboard --------------------------------------------------------------
    Case(
        "booking with history, unknown booking",
        NotFound,
        "booking_id",
        lambda s, i: booking_queries.booking_with_history(s, 999),
    ),
    Case(
        "booking with history, booking id as text",
        InvalidInput,
        "booking_id",
        lambda s, i: booking_queries.booking_with_history(s, "1"),
    ),
    Case(
        "live sessions in a span with a naive start",
        InvalidInput,
        "start",
        lambda s, i: booking_queries.live_sessions_between(s, NAIVE, local(MONDAY, "12:00")),
    ),
    Case(
        "live sessions in a span that ends before it starts",
        InvalidInput,
        "end",
        lambda s, i: booking_queries.live_sessions_between(
            s, local(MONDAY, "12:00"), local(MONDAY, "09:00")
        ),
    ),
    Case(
        "live sessions of therapist 0",
        InvalidInput,
        "therapist_id",
        lambda s, i: booking_queries.live_sessions_between(s, **span(), therapist_id=0),
    ),
    Case(
        "live sessions of a room given as text",
        InvalidInput,
        "room_id",
        lambda s, i: booking_queries.live_sessions_between(s, **span(), room_id="2"),
    ),
    Case(
        "messages of booking id 0",
        InvalidInput,
        "booking_id",
        lambda s, i: outbox_queries.booking_messages(s, 0),
    ),
    # -- benchmark histories -------------------------------------------------------------------
    Case(
        "history of negative size",
        InvalidInput,
        "bookings",
        lambda s, i: demo.make_history(s, bookings=-1),
    ),
    Case(
        "history over zero days",
        InvalidInput,
        "past_days",
        lambda s, i: demo.make_history(s, bookings=10, past_days=0),
    ),
    Case(
        "history that does not fit its days",
        InvalidInput,
        "past_days",
        lambda s, i: demo.make_history(s, bookings=10_000, past_days=2),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_with_a_typed_error_and_writes_nothing(case, module_db, ids):
    err = assert_writes_nothing(module_db, case.error, lambda session: case.call(session, ids))
    assert type(err) is case.error, repr(err)
    assert err.field == case.field, err.message
    assert err.message and "Traceback" not in err.message


def test_every_public_domain_function_has_a_bad_input_case():
    """A new public function in the domain modules needs a case above."""
    import inspect

    import shared.accounts
    import shared.availability
    import shared.booking
    import shared.catalog
    import shared.clients

    covered = {
        "book",
        "reschedule",
        "cancel",
        "mark_completed",
        "mark_no_show",
        "unmark",
        "get_booking",
        "available_slots",
        "find_availability",
        "configure_clinic",
        "save_treatment_type",
        "save_room",
        "save_therapist",
        "add_working_hours",
        "add_time_off",
        "add_closure",
        "deactivate_therapist",
        "remove_working_hours",
        "remove_time_off",
        "remove_closure",
        "rotate_feed",
        "create_client",
        "find_or_create_client",
        "registration",
        "client_by_email",
        "get_client",
        "update_client",
        "delete_client",
        "search_clients",
        "create_api_key",
        "revoke_api_key",
        "authenticate_api_key",
        "create_user",
    }
    takes_no_ids = {
        # pure or read-only helpers, or functions whose only argument is a loaded row
        "best_fit",
        "find_slots",
        "get_clinic",
        "get_treatment",
        "treatment_of",
        "suitable_room_ids",
        "qualified_therapist_ids",
        "working_intervals",
        "write_booking",  # takes a Placement the engine made; `book` covers its inputs
        "register",  # takes a checked Registration; `registration` covers its inputs
        "registered",  # takes a row the registering statement returned
        "register_statement",  # a statement per dialect
        "guarded_flush",  # a flush; its callers' inputs are covered
        "record_event",  # takes a loaded row; shared.holds' cases are in test_holds.py
        "fetch_calendar_data",
        "assemble_calendars",
        "compute_slots",
        "search_bounds",
        "features_named",
        "future_bookings_count",
        "rotate_feed_token",
        "new_feed_token",
        "check_password",
        "matching",  # a query condition; search_clients covers its input
        "ids_matching",  # the same condition as a subquery
        "calling_code",  # reads the clinic row only
        "may_enter_time_off",  # pure: a clinic row and a role
    }
    public = set()
    for module in (shared.booking, shared.availability, shared.catalog, shared.clients):
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                public.add(name)
    missing = public - covered - takes_no_ids
    assert not missing, f"add bad-input cases for {sorted(missing)}"
    assert shared.accounts  # accounts: covered above; its newer functions belong to the dashboard


def test_a_clinic_that_is_not_set_up_yet_says_so(db):
    with pytest.raises(NotFound) as err, db.transaction() as session:
        book(
            session,
            treatment_type_id=1,
            start=local(MONDAY, "10:00"),
            client_id=1,
            actor="reception",
            now=NOW,
        )
    assert "not set up yet" in err.value.message


def test_an_api_key_is_shown_once_and_only_its_hash_is_stored(db):
    import hashlib

    from sqlmodel import select

    from shared.models import ApiKey

    with db.transaction() as session:
        row, key = accounts.create_api_key(session, "website")
    with db.read() as session:
        stored = session.exec(select(ApiKey)).one()
        assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
        assert key not in repr(stored.model_dump())
        assert accounts.authenticate_api_key(session, key).name == "website"
    with db.transaction() as session:
        accounts.revoke_api_key(session, "website")
    with pytest.raises(AuthError), db.read() as session:
        accounts.authenticate_api_key(session, key)
    assert row.prefix == key[:12]
    assert TZ  # the clinic's zone is Europe/Ljubljana in every case above
