"""The waiting-list API: join (idempotent), list in line order with cursors, remove; every bad
input a 4xx naming its field, with nothing written."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from tests.factories import MONDAY
from tests.integration.conftest import snapshot


def entry_body(clinic, **changes):
    body = {
        "treatment_type_id": clinic.facial.id,
        "client_id": clinic.client.id,
        "first_day": MONDAY.isoformat(),
        "last_day": (MONDAY + timedelta(days=4)).isoformat(),
        "mornings": True,
        "afternoons": False,
        "evenings": False,
        "weekdays": ["mon", "thu"],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_a_client_joins_the_waiting_list_and_is_listed_in_line_with_her_wishes(
    client, clinic, auth
):
    made = client.post("/api/v1/waitlist", json=entry_body(clinic), headers=auth)
    assert made.status_code == 201, made.json
    entry = made.json
    assert entry["status"] == "waiting"
    assert entry["client"]["name"] == "Eva Horvat"
    assert entry["treatment_type"] == {"id": clinic.facial.id, "name": "Facial rejuvenation"}
    assert entry["therapist"] is None
    assert (entry["mornings"], entry["afternoons"], entry["evenings"]) == (True, False, False)
    assert entry["weekdays"] == ["mon", "thu"]
    assert entry["offer"] is None

    listed = client.get("/api/v1/waitlist", headers=auth)
    assert listed.status_code == 200
    assert [e["id"] for e in listed.json["items"]] == [entry["id"]]


def test_a_new_client_given_by_name_and_email_joins_with_a_named_therapist(client, clinic, auth):
    body = entry_body(
        clinic,
        client_id=None,
        client={"name": "Mia Kos", "email": "mia@example.com"},
        therapist_id=clinic.anna.id,
    )
    made = client.post("/api/v1/waitlist", json=body, headers=auth)
    assert made.status_code == 201, made.json
    assert made.json["client"]["email"] == "mia@example.com"
    assert made.json["therapist"] == {"id": clinic.anna.id, "name": "Anna Novak"}


def test_the_list_pages_in_the_order_clients_joined(client, clinic, auth, db):
    for i in range(3):
        body = entry_body(
            clinic, client_id=None, client={"name": f"Client {i}", "email": f"c{i}@example.com"}
        )
        assert client.post("/api/v1/waitlist", json=body, headers=auth).status_code == 201
    first = client.get("/api/v1/waitlist?limit=2", headers=auth).json
    assert [e["client"]["name"] for e in first["items"]] == ["Client 0", "Client 1"]
    assert first["next"]
    nxt = urlsplit(first["next"])
    rest = client.get(f"{nxt.path}?{nxt.query}", headers=auth)
    assert [e["client"]["name"] for e in rest.json["items"]] == ["Client 2"]
    assert rest.json["next"] is None


def test_removing_an_entry_takes_it_off_the_list_and_a_second_removal_changes_nothing(
    client, clinic, auth
):
    made = client.post("/api/v1/waitlist", json=entry_body(clinic), headers=auth).json
    gone = client.delete(f"/api/v1/waitlist/{made['id']}", headers=auth)
    assert gone.status_code == 200, gone.json
    assert gone.json["status"] == "removed"
    assert client.delete(f"/api/v1/waitlist/{made['id']}", headers=auth).status_code == 200
    waiting = client.get("/api/v1/waitlist?status=waiting", headers=auth).json
    assert waiting["items"] == []
    assert client.post("/api/v1/waitlist", json=entry_body(clinic), headers=auth).status_code == 201


def test_joining_twice_for_the_same_treatment_is_refused_naming_the_entry(client, clinic, auth):
    first = client.post("/api/v1/waitlist", json=entry_body(clinic), headers=auth).json
    again = client.post("/api/v1/waitlist", json=entry_body(clinic), headers=auth)
    assert again.status_code == 409
    assert f"entry {first['id']}" in again.json["error"]["message"]


@pytest.mark.parametrize(
    ("changes", "field", "status"),
    [
        ({"first_day": "2027-03-10", "last_day": "2027-03-01"}, "last_day", 422),
        ({"first_day": "2020-01-01", "last_day": "2020-01-05"}, "last_day", 422),
        ({"first_day": "9999-01-01"}, "first_day", 422),
        ({"first_day": "2029-01-01", "last_day": "2029-01-05"}, "first_day", 422),
        ({"mornings": False}, "times", 422),
        ({"weekdays": []}, "weekdays", 422),
        ({"weekdays": ["someday"]}, "weekdays", 422),
        ({"therapist_id": 999999}, "therapist_id", 404),
        ({"treatment_type_id": 999999}, "treatment_type_id", 404),
        ({"client_id": 999999}, "client_id", 404),
        ({"notes": "x" * 2001}, "notes", 422),
        ({"notes": "bad\x00"}, "notes", 422),
        (
            {"client_id": None, "client": {"name": "Eve\r\nBcc: x", "email": "e@example.com"}},
            "name",
            422,
        ),
        ({"client_id": None, "client": {"name": "", "email": "e@example.com"}}, "client", 422),
        ({"client_id": None, "client": {"name": "Eve", "email": "not-mail"}}, "email", 422),
        ({"surprise": 1}, "surprise", 422),
    ],
)
def test_bad_input_is_refused_naming_its_field_and_writes_nothing(
    client, clinic, auth, db, changes, field, status
):
    with db.read() as session:
        before = snapshot(session)
    body = entry_body(clinic, **changes)
    if changes.get("mornings") is False:
        body["afternoons"] = body["evenings"] = False
    answer = client.post("/api/v1/waitlist", json=body, headers=auth)
    assert answer.status_code == status, answer.json
    assert any(field in name for name in answer.json["error"]["fields"]), answer.json
    with db.read() as session:
        assert snapshot(session) == before


def test_a_therapist_who_does_not_give_the_treatment_is_refused_by_name(client, clinic, auth):
    answer = client.post(
        "/api/v1/waitlist", json=entry_body(clinic, therapist_id=clinic.boris.id), headers=auth
    )
    assert answer.status_code == 422
    assert answer.json["error"]["fields"] == {
        "therapist_id": "Boris Li does not give Facial rejuvenation"
    }


def test_every_waiting_list_endpoint_needs_an_api_key(client, clinic):
    assert client.get("/api/v1/waitlist").status_code == 401
    assert client.post("/api/v1/waitlist", json=entry_body(clinic)).status_code == 401
    assert client.delete("/api/v1/waitlist/1").status_code == 401


def test_removing_an_unknown_entry_is_a_404(client, clinic, auth):
    assert client.delete("/api/v1/waitlist/12345", headers=auth).status_code == 404
    assert client.delete("/api/v1/waitlist/0", headers=auth).status_code == 404
