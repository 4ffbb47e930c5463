"""A booking's version is its ETag: a move or cancel based on an older one is a 412 that
shows the booking as it is now, and writes nothing. If-Match stays optional for old clients."""

from __future__ import annotations

import pytest

from tests.factories import MONDAY, local
from tests.integration.conftest import everything


def at(hhmm):
    return local(MONDAY, hhmm).isoformat()


def test_a_booking_shows_its_version_as_an_etag_and_in_the_json(client, auth, booked):
    shown = client.get(f"/api/v1/bookings/{booked['id']}", headers=auth)
    assert shown.status_code == 200
    assert shown.headers["ETag"] == '"0"'
    assert shown.get_json()["sequence"] == 0


def test_a_new_booking_answers_its_etag_and_address_and_a_replay_answers_the_same(
    client, auth, clinic
):
    body = {
        "treatment_type_id": clinic.facial.id,
        "start": at("14:00"),
        "client_id": clinic.client.id,
    }
    headers = {**auth, "Idempotency-Key": "etag-on-create"}
    made = client.post("/api/v1/bookings", json=body, headers=headers)
    replayed = client.post("/api/v1/bookings", json=body, headers=headers)
    assert made.status_code == replayed.status_code == 201
    assert replayed.headers["Idempotent-Replayed"] == "true"
    for response in (made, replayed):
        assert response.headers["ETag"] == '"0"'
        assert response.headers["Location"] == f"/api/v1/bookings/{made.get_json()['id']}"
    shown = client.get(made.headers["Location"], headers=auth)
    assert shown.headers["ETag"] == made.headers["ETag"]


def test_a_move_naming_the_current_version_goes_through_and_answers_the_new_etag(
    client, auth, booked
):
    moved = client.patch(
        f"/api/v1/bookings/{booked['id']}",
        json={"start": at("15:00")},
        headers={**auth, "If-Match": '"0"'},
    )
    assert moved.status_code == 200, moved.get_json()
    assert moved.headers["ETag"] == '"1"'
    assert moved.get_json()["start"] == f"{MONDAY}T15:00:00+01:00"


def test_a_move_based_on_a_version_someone_else_changed_is_412_with_the_booking_as_it_is_now(
    client, auth, booked, db
):
    path = f"/api/v1/bookings/{booked['id']}"
    etag = client.get(path, headers=auth).headers["ETag"]
    first = client.patch(path, json={"start": at("15:00")}, headers={**auth, "If-Match": etag})
    assert first.status_code == 200
    before = everything(db)

    stale = client.patch(
        path,
        json={"therapist_id": booked["therapist"]["id"], "start": at("12:00")},
        headers={**auth, "If-Match": etag},
    )

    assert stale.status_code == 412
    body = stale.get_json()
    assert body["error"]["code"] == "changed_meanwhile"
    assert "changed by someone else meanwhile" in body["error"]["message"]
    assert body["current"]["start"] == f"{MONDAY}T15:00:00+01:00"
    assert body["current"]["sequence"] == 1
    assert stale.headers["ETag"] == '"1"'
    assert everything(db) == before


def test_cancelling_a_version_someone_else_moved_is_412_and_the_session_stays_booked(
    client, auth, booked, db
):
    path = f"/api/v1/bookings/{booked['id']}"
    client.patch(path, json={"start": at("15:00")}, headers=auth)
    before = everything(db)
    stale = client.post(
        f"{path}/cancel", json={"reason": "ill"}, headers={**auth, "If-Match": '"0"'}
    )
    assert stale.status_code == 412
    assert stale.get_json()["current"]["status"] == "booked"
    assert everything(db) == before
    fresh = client.post(
        f"{path}/cancel", json={"reason": "ill"}, headers={**auth, "If-Match": '"1"'}
    )
    assert fresh.status_code == 200
    assert fresh.headers["ETag"] == '"2"'


def test_without_if_match_a_move_applies_to_the_booking_as_it_is_as_before(client, auth, booked):
    path = f"/api/v1/bookings/{booked['id']}"
    assert client.patch(path, json={"start": at("15:00")}, headers=auth).status_code == 200
    assert client.patch(path, json={"start": at("14:00")}, headers=auth).status_code == 200
    assert (
        client.patch(
            path, json={"start": at("13:00")}, headers={**auth, "If-Match": "*"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize("value", ["0", 'W/"0"', '"zero"', '"0", "1"', '"99999999999"', ""])
def test_an_if_match_that_is_no_etag_of_this_api_is_422_naming_it_and_writes_nothing(
    client, auth, booked, db, value
):
    before = everything(db)
    response = client.patch(
        f"/api/v1/bookings/{booked['id']}",
        json={"start": at("15:00")},
        headers={**auth, "If-Match": value},
    )
    assert response.status_code == 422
    assert "If-Match" in response.get_json()["error"]["fields"]
    assert everything(db) == before


def test_the_openapi_document_describes_if_match_the_etag_and_the_412(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    patch = doc["paths"]["/api/v1/bookings/{booking_id}"]["patch"]
    header = next(p for p in patch["parameters"] if p["name"] == "If-Match")
    assert header["in"] == "header" and header["required"] is False
    assert "412" in patch["responses"]
    assert "ETag" in patch["responses"]["200"]["headers"]
    assert patch["responses"]["412"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChangedOut"
    }
    show = doc["paths"]["/api/v1/bookings/{booking_id}"]["get"]
    assert "ETag" in show["responses"]["200"]["headers"]
