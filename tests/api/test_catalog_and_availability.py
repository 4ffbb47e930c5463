"""What a booking page reads without a key: treatment types, therapists, rooms, free slots."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.booking import book
from shared.models import utcnow
from tests.factories import MONDAY, local


def test_treatment_types_are_public_and_list_only_active_ones(client, clinic, db):
    with db.transaction() as session:
        from shared.catalog import save_treatment_type

        save_treatment_type(session, name="Retired", duration_minutes=30, active=False)
    body = client.get("/api/v1/treatment-types").get_json()
    names = [t["name"] for t in body["items"]]
    assert names == ["Facial rejuvenation", "TCM consultation"]
    facial = body["items"][0]
    assert facial["duration_minutes"] == 60
    assert facial["buffer_before_minutes"] == 10
    assert facial["price"] == "85.00"
    assert facial["required_features"] == ["facial couch"]


def test_therapists_and_rooms_are_listed_without_private_data(client, clinic):
    therapists = client.get("/api/v1/therapists").get_json()["items"]
    assert [t["name"] for t in therapists] == ["Anna Novak", "Boris Li"]
    assert "email" not in therapists[0]
    assert therapists[1]["treatment_type_ids"] == [clinic.consult.id]
    rooms = client.get("/api/v1/rooms").get_json()["items"]
    assert rooms == [
        {"id": clinic.room1.id, "name": "Room 1", "features": ["facial couch"]},
        {"id": clinic.room2.id, "name": "Room 2", "features": []},
    ]


@pytest.mark.parametrize("path", ["/api/v1/therapists/1", "/api/v1/rooms/1"])
def test_a_therapists_or_rooms_private_details_need_a_key(client, clinic, path):
    response = client.get(path)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_availability_lists_slots_with_the_clinics_offset_sorted(client, clinic):
    response = client.get(
        f"/api/v1/availability?treatment_type_id={clinic.facial.id}&start={MONDAY}&end={MONDAY}"
    )
    assert response.status_code == 200
    slots = response.get_json()["slots"]
    # Anna works 09:00-17:00; the session is 60 minutes: 09:00 ... 16:00 every 15 minutes.
    assert slots[0] == {
        "start": f"{MONDAY}T09:00:00+01:00",
        "end": f"{MONDAY}T10:00:00+01:00",
        "therapist_id": clinic.anna.id,
        "room_id": clinic.room1.id,
    }
    assert slots[-1]["start"] == f"{MONDAY}T16:00:00+01:00"
    assert len(slots) == 29
    assert [s["start"] for s in slots] == sorted(s["start"] for s in slots)


def test_availability_leaves_out_times_a_booking_and_its_buffers_hold(client, clinic, db):
    with db.transaction() as session:
        book(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "12:00"),
            client_id=clinic.client.id,
            actor="test",
        )
    slots = client.get(
        f"/api/v1/availability?treatment_type_id={clinic.facial.id}&start={MONDAY}&end={MONDAY}"
    ).get_json()["slots"]
    starts = {s["start"][11:16] for s in slots}
    # Booked 11:50-13:15 with buffers; a new one needs 10 min before and 15 after.
    assert "10:30" in starts and "10:45" not in starts
    assert "13:15" not in starts and "13:30" in starts


def test_availability_of_one_therapist_lists_only_theirs(client, clinic):
    slots = client.get(
        f"/api/v1/availability?treatment_type_id={clinic.consult.id}&start={MONDAY}"
        f"&end={MONDAY}&therapist_id={clinic.boris.id}"
    ).get_json()["slots"]
    assert slots and {s["therapist_id"] for s in slots} == {clinic.boris.id}


def test_availability_on_the_day_dst_starts_uses_summer_time(client, clinic):
    day = "2027-03-29"  # the Monday after DST started (2027-03-28)
    slots = client.get(
        f"/api/v1/availability?treatment_type_id={clinic.consult.id}&start={day}&end={day}"
        f"&therapist_id={clinic.boris.id}"
    ).get_json()["slots"]
    assert slots[0]["start"] == f"{day}T09:00:00+02:00"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("treatment_type_id=1&start=2027-03-01&end=2027-04-15", "end"),
        ("treatment_type_id=1&start=2027-03-05&end=2027-03-01", "end"),
        ("treatment_type_id=abc&start=2027-03-01&end=2027-03-01", "treatment_type_id"),
        ("treatment_type_id=1&start=01/03/2027&end=2027-03-01", "start"),
        ("treatment_type_id=1&start=2027-03-01", "end"),
        ("treatment_type_id=1&start=2027-03-01&end=2027-03-01&colour=red", "colour"),
        ("treatment_type_id=0&start=2027-03-01&end=2027-03-01", "treatment_type_id"),
    ],
)
def test_bad_availability_queries_are_422_naming_the_field(client, clinic, query, field):
    response = client.get(f"/api/v1/availability?{query}")
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_input"
    assert field in error["fields"]


def test_availability_of_an_unknown_treatment_is_404(client, clinic):
    response = client.get(
        "/api/v1/availability?treatment_type_id=999&start=2027-03-01&end=2027-03-01"
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["fields"] == {
        "treatment_type_id": "No treatment type with id 999"
    }


def test_availability_respects_notice_today(client, clinic):
    today = utcnow().date()
    response = client.get(
        f"/api/v1/availability?treatment_type_id={clinic.consult.id}&start={today}&end={today}"
    )
    assert response.status_code == 200
    cutoff = utcnow() + timedelta(minutes=120)
    for slot in response.get_json()["slots"]:
        assert datetime.fromisoformat(slot["start"]) >= cutoff


def test_health_and_readiness(client, clinic):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200


def test_readiness_is_503_when_the_database_is_unreachable(settings):
    from services.scheduler import create_app
    from shared.db import Database

    broken = Database("postgresql://nobody@127.0.0.1:1/nothing")
    app = create_app({"SETTINGS": settings, "DATABASE": broken})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "database_unavailable"


def test_cors_allows_listed_origins_on_public_endpoints_only(settings, db, clinic):
    from dataclasses import replace

    from services.scheduler import create_app

    app = create_app(
        {
            "SETTINGS": replace(settings, cors_origins=("https://book.clinic.example",)),
            "DATABASE": db,
        }
    )
    client = app.test_client()
    origin = {"Origin": "https://book.clinic.example"}
    public = client.get("/api/v1/treatment-types", headers=origin)
    assert public.headers["Access-Control-Allow-Origin"] == "https://book.clinic.example"
    other = client.get("/api/v1/treatment-types", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    private = client.get("/api/v1/bookings", headers=origin)
    assert "Access-Control-Allow-Origin" not in private.headers
