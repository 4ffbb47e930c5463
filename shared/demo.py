"""A demo clinic like the one in our brief, and large synthetic histories for benchmarks."""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, update
from sqlmodel import Session, col, func, select

from shared import accounts, booking, catalog, clinic_time
from shared.clients import create_client
from shared.errors import BookingConflict, BookingRefused, InvalidInput, NotFound
from shared.models import (
    Booking,
    BookingStatus,
    Client,
    Clinic,
    MessageStatus,
    OutboxMessage,
    Room,
    Therapist,
    TreatmentType,
)
from shared.models.types import pk

TREATMENTS: list[tuple[str, int, int, int, str, str, list[str], str]] = [
    # name, minutes, before, after, price, colour, features, description
    (
        "Facial rejuvenation acupuncture - first session",
        90,
        10,
        15,
        "120.00",
        "#c98bb9",
        ["facial couch"],
        "Intake, facial diagnosis and a full cosmetic acupuncture treatment for wrinkles, sagging "
        "skin, pigmentation and acne scars.",
    ),
    (
        "Facial rejuvenation acupuncture - follow-up",
        60,
        10,
        15,
        "85.00",
        "#d8a7ca",
        ["facial couch"],
        "Follow-up cosmetic acupuncture session of a course of treatment.",
    ),
    (
        "Acupuncture for acne",
        60,
        5,
        15,
        "75.00",
        "#e6b86a",
        ["facial couch"],
        "Facial and body points for inflammatory acne and the skin's healing.",
    ),
    (
        "TCM consultation",
        45,
        0,
        10,
        "50.00",
        "#7fb3a6",
        [],
        "Pulse and tongue diagnosis, health history, a treatment plan.",
    ),
    (
        "Body acupuncture",
        60,
        5,
        10,
        "70.00",
        "#6a9fb5",
        ["treatment table"],
        "Classical acupuncture for pain, sleep, digestion and stress.",
    ),
    (
        "Cupping",
        45,
        5,
        15,
        "55.00",
        "#b5736a",
        ["treatment table", "cupping set"],
        "Fire and silicone cupping for back and shoulder tension.",
    ),
    (
        "Deep relaxation session",
        75,
        5,
        10,
        "80.00",
        "#8c8fc9",
        ["treatment table", "dim lights"],
        "Acupuncture with moxibustion in a quiet, dimmed room.",
    ),
]

ROOMS: list[tuple[str, list[str]]] = [
    ("Room 1 - Lotus", ["facial couch", "treatment table", "dim lights"]),
    ("Room 2 - Bamboo", ["treatment table", "cupping set"]),
    ("Room 3 - Jade", ["facial couch", "treatment table"]),
]

THERAPISTS: list[tuple[str, str, str, list[int], list[tuple[int, str, str]]]] = [
    # name, email, colour, treatment indexes, weekly blocks (weekday, start, end)
    (
        "Mei Lin",
        "mei.lin@lotus-clinic.example",
        "#c0392b",
        [0, 1, 2, 3, 4],
        [(d, "09:00", "13:00") for d in range(5)] + [(d, "14:00", "18:00") for d in (0, 2, 4)],
    ),
    (
        "Ana Novak",
        "ana.novak@lotus-clinic.example",
        "#2980b9",
        [0, 1, 2, 6],
        [(d, "10:00", "18:00") for d in (1, 2, 3)] + [(5, "09:00", "14:00")],
    ),
    (
        "Luka Kovač",
        "luka.kovac@lotus-clinic.example",
        "#27ae60",
        [3, 4, 5, 6],
        [(d, "08:00", "12:00") for d in range(5)] + [(d, "13:00", "16:00") for d in range(5)],
    ),
    (
        "Sara Zhang",
        "sara.zhang@lotus-clinic.example",
        "#8e44ad",
        [1, 2, 3, 4, 5],
        [(d, "12:00", "20:00") for d in (0, 1, 3, 4)],
    ),
]

FIRST = [
    "Eva",
    "Maja",
    "Nina",
    "Tina",
    "Petra",
    "Jana",
    "Katja",
    "Lea",
    "Žiga",
    "Marko",
    "Helena",
    "Irena",
    "Vesna",
    "Mojca",
    "Alenka",
    "Urška",
    "Tomaž",
    "Barbara",
    "Ægir",
    "Lin",
]
LAST = [
    "Horvat",
    "Kranjc",
    "Zupan",
    "Potočnik",
    "Golob",
    "Vidmar",
    "Kos",
    "Mlakar",
    "Turk",
    "Božič",
    "Hočevar",
    "Zajc",
    "Li",
    "Wang",
    "Petek",
    "Jereb",
]

DEMO_LOGIN = ("reception@lotus-clinic.example", "lotus-demo-2026")
DEMO_ADMIN = ("admin@lotus-clinic.example", "lotus-admin-2026")


def is_empty(session: Session) -> bool:
    return session.get(Clinic, 1) is None


def load_demo(session: Session, *, now: datetime | None = None, seed: int = 7) -> dict[str, str]:
    """Fill an empty database with the demo clinic; returns the demo logins and an API key."""
    rng = random.Random(seed)
    now = now or datetime.now(UTC)
    clinic = catalog.configure_clinic(
        session,
        name="Lotus TCM & Facial Acupuncture",
        address="Trubarjeva cesta 12, 1000 Ljubljana, Slovenia",
        phone="+386 1 234 56 78",
        timezone="Europe/Ljubljana",
        slot_step_minutes=15,
        booking_horizon_days=90,
        min_notice_minutes=120,
        online_booking=True,
    )
    tz = clinic_time.zone(clinic.timezone)
    types = [
        catalog.save_treatment_type(
            session,
            name=name,
            duration_minutes=minutes,
            buffer_before_minutes=before,
            buffer_after_minutes=after,
            price=price,
            colour=colour,
            required_features=features,
            description=description,
            online_booking=True,
        )
        for name, minutes, before, after, price, colour, features, description in TREATMENTS
    ]
    for name, features in ROOMS:
        catalog.save_room(session, name=name, features=features)
    therapists = []
    for name, email, colour, skills, blocks in THERAPISTS:
        therapist = catalog.save_therapist(
            session,
            name=name,
            email=email,
            colour=colour,
            treatment_type_ids=[pk(types[i].id) for i in skills],
        )
        therapists.append(therapist)
        for weekday, start, end in blocks:
            catalog.add_working_hours(
                session,
                therapist_id=pk(therapist.id),
                weekday=weekday,
                start_time=time.fromisoformat(start),
                end_time=time.fromisoformat(end),
            )
    today = clinic_time.local_date(now, tz)
    next_monday = today + timedelta(days=7 - today.weekday())
    catalog.add_time_off(
        session,
        therapist_id=pk(therapists[1].id),
        start=clinic_time.day_start(next_monday + timedelta(days=1), tz),
        end=clinic_time.day_start(next_monday + timedelta(days=3), tz),
        reason="Training in Beijing",
    )
    catalog.add_closure(
        session,
        start=clinic_time.day_start(today + timedelta(days=35), tz),
        end=clinic_time.day_start(today + timedelta(days=36), tz),
        reason="Public holiday",
    )

    clients = [
        create_client(
            session,
            name=f"{first} {rng.choice(LAST)}",
            email=f"{first.lower()}.{i}@example.com".replace("ž", "z").replace("æ", "ae"),
            phone=f"+386 40 {rng.randint(100, 999)} {rng.randint(100, 999)}",
        )
        for i, first in enumerate(FIRST * 2)
    ]
    _demo_bookings(session, rng, now, tz, types, clients)

    for email, password, role in ((*DEMO_LOGIN, "receptionist"), (*DEMO_ADMIN, "admin")):
        accounts.create_user(session, email=email, password=password, role=role)
    _, key = accounts.create_api_key(session, "demo")
    return {
        "receptionist": DEMO_LOGIN[0],
        "receptionist_password": DEMO_LOGIN[1],
        "admin": DEMO_ADMIN[0],
        "admin_password": DEMO_ADMIN[1],
        "api_key": key,
    }


def _demo_bookings(
    session: Session,
    rng: random.Random,
    now: datetime,
    tz: ZoneInfo,
    types: list[TreatmentType],
    clients: list[Client],
) -> None:
    """Past sessions as history; future ones through the booking rules themselves."""
    today = clinic_time.local_date(now, tz)
    for offset in range(-14, 22):
        day = today + timedelta(days=offset)
        for _ in range(10):
            tt = rng.choice(types)
            start = clinic_time.local_to_utc(
                day, time(rng.randint(8, 18), rng.choice((0, 15, 30, 45))), tz
            )
            client = rng.choice(clients)
            try:
                if start > now + timedelta(hours=2):
                    booking.book(
                        session,
                        treatment_type_id=pk(tt.id),
                        start=start,
                        client_id=pk(client.id),
                        actor="demo",
                        source="demo",
                        now=now,
                    )
                else:
                    _past_booking(session, rng, tt, start, client, now)
            except (BookingConflict, BookingRefused):
                continue
    session.execute(
        update(OutboxMessage).values(status=MessageStatus.SKIPPED.value, last_error="demo data")
    )


def _past_booking(
    session: Session,
    rng: random.Random,
    tt: TreatmentType,
    start: datetime,
    client: Client,
    now: datetime,
) -> None:
    """A past session placed by the rules as if booked a week before it."""
    when = start - timedelta(days=7)
    with session.begin_nested():
        made = booking.book(
            session,
            treatment_type_id=pk(tt.id),
            start=start,
            client_id=pk(client.id),
            actor="demo",
            source="demo",
            now=when,
        )
        if start + timedelta(minutes=tt.duration_minutes) < now:
            status = rng.choice(
                [BookingStatus.COMPLETED] * 8 + [BookingStatus.NO_SHOW, BookingStatus.CANCELLED]
            )
            if status == BookingStatus.CANCELLED:
                booking.cancel(session, pk(made.id), actor="demo", reason="Client is ill", now=when)
            else:
                booking._close(session, pk(made.id), status, "demo", now)


def make_history(
    session: Session,
    *,
    bookings: int,
    past_days: int | None = None,
    batch: int = 20_000,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert `bookings` past sessions (bulk, non-overlapping) before today; returns the count.
    `progress` is told how many were written after each batch.

    For benchmarks: lanes pair each therapist with a room of their own, back to back, spread
    evenly over `past_days` days (as few as they fit in, if not given) that end two months
    ago, or before the oldest booking already there, so a second run never overlaps the first.
    Raises InvalidInput when they do not fit in `past_days`.
    """
    if isinstance(bookings, bool) or not isinstance(bookings, int) or bookings < 0:
        raise InvalidInput("expected a number of bookings, 0 or more", field="bookings")
    if past_days is not None and (
        isinstance(past_days, bool) or not isinstance(past_days, int) or past_days < 1
    ):
        raise InvalidInput("expected a number of days, 1 or more", field="past_days")
    now = now or datetime.now(UTC)
    clinic = session.get(Clinic, 1)
    tt = session.exec(select(TreatmentType).order_by(col(TreatmentType.id))).first()
    if clinic is None or tt is None:
        raise NotFound("load the demo clinic first: a history needs its therapists and rooms")
    tz = clinic_time.zone(clinic.timezone)

    therapist_ids = [pk(i) for i in session.exec(select(Therapist.id).order_by(col(Therapist.id)))]
    room_ids = [pk(i) for i in session.exec(select(Room.id).order_by(col(Room.id)))]
    lanes = list(zip(therapist_ids, room_ids, strict=False))
    span = tt.buffer_before_minutes + tt.duration_minutes + tt.buffer_after_minutes
    per_lane_day = (12 * 60) // span
    per_day = per_lane_day * len(lanes)
    if per_day == 0:
        raise InvalidInput(
            "the clinic needs a therapist and a room for a history", field="bookings"
        )
    needed = max(1, -(-bookings // per_day))
    if past_days is not None and past_days < needed:
        raise InvalidInput(
            f"{bookings} bookings need at least {needed} days "
            f"({per_day} a day with {len(lanes)} therapist-room pairs)",
            field="past_days",
        )
    days = past_days or needed
    quota = -(-bookings // days)  # per day, spread evenly

    last_day = clinic_time.local_date(now, tz) - timedelta(days=60)
    oldest_booking = session.exec(select(func.min(Booking.blocked_start))).one()
    if oldest_booking is not None:
        last_day = min(last_day, clinic_time.local_date(oldest_booking, tz) - timedelta(days=1))
    first_day = last_day - timedelta(days=days - 1)

    client_count = session.exec(select(func.count()).select_from(Client)).one()
    need_clients = max(0, 2000 - client_count)
    if need_clients:
        session.execute(
            insert(Client),
            [
                {
                    "name": f"History Client {i}",
                    "email": f"history{i}.{uuid.uuid4().hex[:8]}@example.com",
                    "phone": "",
                    "notes": "",
                    "created_at": now,
                }
                for i in range(need_clients)
            ],
        )
    client_ids = [pk(i) for i in session.exec(select(Client.id).order_by(col(Client.id)))]
    rows: list[dict[str, object]] = []
    made = 0
    day = first_day
    while made < bookings:
        base = clinic_time.local_to_utc(day, time(8), tz)
        today_made = 0
        for slot in range(per_lane_day):
            for lane, (t_id, r_id) in enumerate(lanes):
                if made >= bookings or today_made >= quota:
                    break
                blocked_start = base + timedelta(minutes=slot * span)
                start = blocked_start + timedelta(minutes=tt.buffer_before_minutes)
                end = start + timedelta(minutes=tt.duration_minutes)
                rows.append(
                    {
                        "uid": f"{uuid.uuid4()}@clinic-scheduler",
                        "treatment_type_id": tt.id,
                        "therapist_id": t_id,
                        "room_id": r_id,
                        # Distinct clients at any one time: lanes never share one.
                        "client_id": client_ids[(made + lane) % len(client_ids)],
                        "start_at": start,
                        "end_at": end,
                        "blocked_start": blocked_start,
                        "blocked_end": end + timedelta(minutes=tt.buffer_after_minutes),
                        "status": BookingStatus.COMPLETED.value,
                        "sequence": 0,
                        "source": "import",
                        "notes": "",
                        "access_token": secrets.token_urlsafe(24),
                        "created_at": start - timedelta(days=7),
                        "updated_at": end,
                        "cancelled_at": None,
                        "cancel_reason": "",
                    }
                )
                made += 1
                today_made += 1
        day += timedelta(days=1)
        if len(rows) >= batch:
            session.execute(insert(Booking), rows)
            if progress is not None:
                progress(len(rows))
            rows = []
    if rows:
        session.execute(insert(Booking), rows)
        if progress is not None:
            progress(len(rows))
    return made
