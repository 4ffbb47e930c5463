"""Booking, moving and cancelling sessions over HTTP, and every way a request can be wrong."""

from __future__ import annotations

import json

import pytest
from sqlmodel import func, select

from shared.accounts import replace_api_key, revoke_api_key
from shared.models import Booking, Client, Clinic, OutboxMessage
from tests.factories import MONDAY, local


def new_booking(clinic, start="10:00", **extra):
    body = {
        "treatment_type_id": clinic.facial.id,
        "start": local(MONDAY, start).isoformat(),
        "client": {"name": "Maja Zupan", "email": "maja@example.com", "phone": "+386 41 1"},
    }
    body.update(extra)
    return body


def count(db, model):
    with db.read() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_booking_a_free_slot_returns_201_with_the_whole_booking(client, clinic, auth, db):
    response = client.post("/api/v1/bookings", json=new_booking(clinic), headers=auth)
    assert response.status_code == 201
    b = response.get_json()
    assert b["status"] == "booked"
    assert b["start"] == f"{MONDAY}T10:00:00+01:00"
    assert b["end"] == f"{MONDAY}T11:00:00+01:00"
    assert b["treatment_type"] == {"id": clinic.facial.id, "name": "Facial rejuvenation"}
    assert b["therapist"]["name"] == "Anna Novak"
    assert b["room"]["name"] == "Room 1"
    assert b["client"]["email"] == "maja@example.com"
    assert b["sequence"] == 0
    assert b["uid"].endswith("@clinic-scheduler")
    assert count(db, OutboxMessage) >= 1  # the invitation is queued with the booking


def test_a_known_email_books_for_the_existing_client(client, clinic, auth, db):
    body = new_booking(clinic, client={"name": "Eva H.", "email": "EVA@example.com"})
    response = client.post("/api/v1/bookings", json=body, headers=auth)
    assert response.status_code == 201
    assert response.get_json()["client"]["id"] == clinic.client.id
    assert count(db, Client) == 2


def test_booking_by_client_id(client, clinic, auth):
    body = new_booking(clinic)
    del body["client"]
    body["client_id"] = clinic.other_client.id
    response = client.post("/api/v1/bookings", json=body, headers=auth)
    assert response.status_code == 201
    assert response.get_json()["client"]["name"] == "Žiga Kranjc"


def test_two_clients_wanting_one_slot_the_second_gets_409_naming_what_is_in_the_way(
    client, clinic, auth
):
    first = client.post("/api/v1/bookings", json=new_booking(clinic), headers=auth)
    assert first.status_code == 201
    second = client.post(
        "/api/v1/bookings",
        json=new_booking(
            clinic,
            therapist_id=clinic.anna.id,
            client={"name": "Nina Kos", "email": "nina@example.com"},
        ),
        headers=auth,
    )
    assert second.status_code == 409
    error = second.get_json()["error"]
    assert error["code"] == "therapist_busy"
    assert (
        error["message"]
        == "Anna Novak is booked Mon 01.03.2027 10:00-11:00 for Facial rejuvenation"
    )


@pytest.mark.parametrize(
    ("tag", "written"),
    [
        ("en-US", "Mon 03/01/2027 2:00 PM-3:00 PM"),
        ("sl-SI", "Mon 01.03.2027 14:00-15:00"),
        ("", "Mon 01.03.2027 14:00-15:00"),  # from the timezone, Europe/Ljubljana
    ],
)
def test_a_refusal_writes_the_date_and_time_as_the_clinics_locale_does(
    client, clinic, auth, db, tag, written
):
    with db.transaction() as s:
        s.get(Clinic, 1).locale = tag
    first = client.post("/api/v1/bookings", json=new_booking(clinic, "14:00"), headers=auth)
    assert first.status_code == 201
    second = client.post(
        "/api/v1/bookings",
        json=new_booking(
            clinic,
            "14:00",
            therapist_id=clinic.anna.id,
            client={"name": "Nina Kos", "email": "nina@example.com"},
        ),
        headers=auth,
    )
    assert second.status_code == 409
    assert second.get_json()["error"]["message"] == (
        f"Anna Novak is booked {written} for Facial rejuvenation"
    )


def test_a_named_busy_room_is_refused_with_its_name(client, clinic, auth):
    client.post("/api/v1/bookings", json=new_booking(clinic), headers=auth)
    body = new_booking(
        clinic,
        treatment_type_id=clinic.consult.id,
        therapist_id=clinic.boris.id,
        room_id=clinic.room1.id,
        client={"name": "Lea", "email": "lea@example.com"},
    )
    response = client.post("/api/v1/bookings", json=body, headers=auth)
    assert response.status_code == 409
    assert response.get_json()["error"]["message"].startswith(
        "Room 1 is booked Mon 01.03.2027 10:00-11:00"
    )


def test_an_idempotent_retry_returns_the_first_booking_and_books_once(client, clinic, auth, db):
    headers = {**auth, "Idempotency-Key": "order-42"}
    first = client.post("/api/v1/bookings", json=new_booking(clinic), headers=headers)
    again = client.post("/api/v1/bookings", json=new_booking(clinic), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert count(db, Booking) == 1


def test_the_same_idempotency_key_with_another_body_is_422(client, clinic, auth, db):
    headers = {**auth, "Idempotency-Key": "order-43"}
    client.post("/api/v1/bookings", json=new_booking(clinic), headers=headers)
    other = client.post(
        "/api/v1/bookings", json=new_booking(clinic, start="14:00"), headers=headers
    )
    assert other.status_code == 422
    assert other.get_json()["error"]["code"] == "idempotency_key_reused"
    assert count(db, Booking) == 1


def test_a_refused_booking_with_an_idempotency_key_writes_nothing(client, clinic, auth, db):
    headers = {**auth, "Idempotency-Key": "order-44"}
    response = client.post(
        "/api/v1/bookings", json=new_booking(clinic, start="10:05"), headers=headers
    )
    assert response.status_code == 422
    assert count(db, Booking) == 0
    retry = client.post("/api/v1/bookings", json=new_booking(clinic), headers=headers)
    assert retry.status_code == 201


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"start": "2027-03-01T10:05:00+01:00"}, 422, "start"),
        ({"start": "2027-03-01T10:00:00"}, 422, "start"),
        ({"start": "next monday"}, 422, "start"),
        ({"start": "2027-03-01T07:00:00+01:00", "therapist_id": 1}, 422, "start"),
        ({"start": "2027-03-01T07:00:00+01:00"}, 409, "therapist_id"),
        ({"client": {"name": "X", "email": "not-an-email"}}, 422, "email"),
        ({"client": {"name": "", "email": "x@example.com"}}, 422, "client.name"),
        ({"treatment_type_id": "one"}, 422, "treatment_type_id"),
        ({"treatment_type_id": 999}, 404, "treatment_type_id"),
        ({"therapist_id": 999}, 404, "therapist_id"),
        ({"therapist_id": 2}, 422, "therapist_id"),
        ({"room_id": 2}, 422, "room_id"),
        ({"colour": "red"}, 422, "colour"),
        ({"client_id": 1}, 422, "body"),
    ],
)
def test_bad_booking_requests_are_refused_naming_the_field_and_write_nothing(
    client, clinic, auth, db, change, status, field
):
    body = new_booking(clinic)
    body.update(change)
    response = client.post("/api/v1/bookings", json=body, headers=auth)
    assert response.status_code == status, response.get_json()
    fields = response.get_json()["error"]["fields"]
    assert any(field in name for name in fields), fields
    assert count(db, Booking) == 0
    assert count(db, OutboxMessage) == 0


@pytest.mark.parametrize(
    ("data", "content_type"),
    [("{not json", "application/json"), ("[1, 2]", "application/json"), ("a=b", "text/plain")],
)
def test_a_body_that_is_not_a_json_object_is_400(client, clinic, auth, data, content_type):
    response = client.post("/api/v1/bookings", data=data, content_type=content_type, headers=auth)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_bookings_need_a_valid_api_key(client, clinic, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/bookings", json=new_booking(clinic), headers=headers)
    assert response.status_code == 401


def test_a_revoked_key_stops_working_at_once(client, clinic, auth, db):
    assert client.get("/api/v1/bookings", headers=auth).status_code == 200
    with db.transaction() as session:
        revoke_api_key(session, "website")
    assert client.get("/api/v1/bookings", headers=auth).status_code == 401


def test_a_replaced_key_stops_working_and_its_successor_works(client, clinic, auth, db):
    with db.transaction() as session:
        _, key = replace_api_key(session, "website")
    assert client.get("/api/v1/bookings", headers=auth).status_code == 401
    fresh = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/bookings", headers=fresh).status_code == 200


def test_listing_filters_and_pages_through_bookings(client, clinic, auth):
    for hhmm in ("09:00", "10:30", "12:00", "13:30", "15:00"):
        assert (
            client.post(
                "/api/v1/bookings", json=new_booking(clinic, start=hhmm), headers=auth
            ).status_code
            == 201
        )
    page = client.get(
        f"/api/v1/bookings?start={MONDAY}&end={MONDAY}&limit=2", headers=auth
    ).get_json()
    assert [b["start"][11:16] for b in page["items"]] == ["09:00", "10:30"]
    seen = [b["id"] for b in page["items"]]
    while page["next"]:
        page = client.get(page["next"], headers=auth).get_json()
        seen += [b["id"] for b in page["items"]]
    assert len(seen) == len(set(seen)) == 5
    other_day = client.get("/api/v1/bookings?start=2027-03-02&end=2027-03-02", headers=auth)
    assert other_day.get_json() == {"items": [], "next": None}
    by_therapist = client.get(f"/api/v1/bookings?therapist_id={clinic.boris.id}", headers=auth)
    assert by_therapist.get_json()["items"] == []
    by_status = client.get(
        "/api/v1/bookings?status=booked&start=2027-03-01T12:00:00%2B01:00", headers=auth
    ).get_json()
    assert len(by_status["items"]) == 3


@pytest.mark.parametrize(
    "query", ["status=lost", "cursor=zzz", "limit=0", "start=2027-03-01T10:00"]
)
def test_bad_listing_queries_are_422(client, clinic, auth, query):
    assert client.get(f"/api/v1/bookings?{query}", headers=auth).status_code == 422


def test_showing_an_unknown_booking_is_404(client, clinic, auth):
    response = client.get("/api/v1/bookings/12345", headers=auth)
    assert response.status_code == 404
    assert client.get("/api/v1/bookings/abc", headers=auth).status_code == 404


def test_moving_a_session_bumps_its_sequence_and_keeps_its_uid(client, clinic, auth):
    made = client.post("/api/v1/bookings", json=new_booking(clinic), headers=auth).get_json()
    moved = client.patch(
        f"/api/v1/bookings/{made['id']}",
        json={"start": local(MONDAY, "14:00").isoformat()},
        headers=auth,
    )
    assert moved.status_code == 200
    body = moved.get_json()
    assert body["start"] == f"{MONDAY}T14:00:00+01:00"
    assert body["sequence"] == 1
    assert body["uid"] == made["uid"]


def test_moving_onto_a_taken_time_is_409_and_changes_nothing(client, clinic, auth):
    a = client.post("/api/v1/bookings", json=new_booking(clinic), headers=auth).get_json()
    client.post(
        "/api/v1/bookings",
        json=new_booking(
            clinic, start="14:00", client={"name": "Nina", "email": "nina@example.com"}
        ),
        headers=auth,
    )
    response = client.patch(
        f"/api/v1/bookings/{a['id']}",
        json={"start": local(MONDAY, "14:15").isoformat()},
        headers=auth,
    )
    assert response.status_code == 409
    again = client.get(f"/api/v1/bookings/{a['id']}", headers=auth).get_json()
    assert again["start"] == a["start"] and again["sequence"] == 0


@pytest.mark.parametrize("body", [{}, {"start": None}, {"start": "2027-03-01T14:00:00"}, {"x": 1}])
def test_a_move_without_a_valid_change_is_422(client, clinic, auth, body):
    made = client.post("/api/v1/bookings", json=new_booking(clinic), headers=auth).get_json()
    assert (
        client.patch(f"/api/v1/bookings/{made['id']}", json=body, headers=auth).status_code == 422
    )


def test_cancelling_frees_the_slot_and_cannot_be_done_twice(client, clinic, auth):
    made = client.post("/api/v1/bookings", json=new_booking(clinic), headers=auth).get_json()
    cancelled = client.post(
        f"/api/v1/bookings/{made['id']}/cancel", json={"reason": "Client has a cold"}, headers=auth
    )
    assert cancelled.status_code == 200
    body = cancelled.get_json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "Client has a cold"
    assert body["sequence"] == 1
    twice = client.post(f"/api/v1/bookings/{made['id']}/cancel", headers=auth)
    assert twice.status_code == 422
    rebook = client.post(
        "/api/v1/bookings",
        json=new_booking(clinic, client={"name": "Nina", "email": "nina@example.com"}),
        headers=auth,
    )
    assert rebook.status_code == 201


def test_cancel_without_a_body_works(client, clinic, auth):
    made = client.post("/api/v1/bookings", json=new_booking(clinic), headers=auth).get_json()
    response = client.post(f"/api/v1/bookings/{made['id']}/cancel", headers=auth)
    assert response.status_code == 200


def test_unknown_routes_and_methods_answer_json(client, clinic, auth):
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong = client.delete("/api/v1/bookings/1", headers=auth)
    assert wrong.status_code == 405
    assert json.loads(wrong.data)["error"]["code"] == "method_not_allowed"
