"""The courses API: preview, book as one (idempotent), read, list and cancel; every bad input a
422 or 409 naming its field, with nothing written."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.booking import book
from tests.factories import MONDAY, NOW, TZ, local
from tests.integration.conftest import snapshot


def week(n: int, at: str = "10:00") -> str:
    return local(MONDAY + timedelta(weeks=n), at).astimezone(TZ).isoformat()


def preview_body(clinic, **changes):
    body = {
        "treatment_type_id": clinic.facial.id,
        "client_id": clinic.client.id,
        "first_start": week(0),
        "rhythm": {"every_weeks": 1},
        "count": 10,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def course_body(clinic, starts, **changes):
    body = {
        "treatment_type_id": clinic.facial.id,
        "client_id": clinic.client.id,
        "sessions": [{"start": s} for s in starts],
    }
    body.update(changes)
    return body


def test_a_preview_shows_every_session_with_its_local_time_therapist_and_room(
    client, clinic, auth, db
):
    with db.read() as session:
        before = snapshot(session)
    response = client.post("/api/v1/courses/preview", json=preview_body(clinic), headers=auth)
    assert response.status_code == 200, response.json
    sessions = response.json["sessions"]
    assert len(sessions) == 10
    assert sessions[0] == {
        "start": "2027-03-01T10:00:00+01:00",
        "end": "2027-03-01T11:00:00+01:00",
        "therapist_id": clinic.anna.id,
        "room_id": clinic.room1.id,
        "free": True,
        "reason": None,
        "reason_code": None,
        "alternatives": [],
    }
    assert sessions[4]["start"] == "2027-03-29T10:00:00+02:00"  # summer time, still 10:00
    with db.read() as session:
        assert snapshot(session) == before  # a preview writes nothing


def test_a_course_is_booked_as_one_and_read_back_with_its_counts(client, clinic, auth, db):
    starts = [week(i) for i in range(10)]
    made = client.post(
        "/api/v1/courses",
        json=course_body(clinic, starts, notes="Course for the forehead"),
        headers={**auth, "Idempotency-Key": "course-1"},
    )
    assert made.status_code == 201, made.json
    course = made.json
    assert course["client"]["name"] == "Eva Horvat"
    assert course["treatment_type"] == {"id": clinic.facial.id, "name": "Facial rejuvenation"}
    assert [s["start"] for s in course["sessions"]] == starts
    assert {s["course_id"] for s in course["sessions"]} == {course["id"]}
    assert (course["done"], course["remaining"], course["cancelled"]) == (0, 10, 0)

    again = client.post(
        "/api/v1/courses",
        json=course_body(clinic, starts, notes="Course for the forehead"),
        headers={**auth, "Idempotency-Key": "course-1"},
    )
    assert again.status_code == 201 and again.json == course
    assert again.headers["Idempotent-Replayed"] == "true"

    one = client.get(f"/api/v1/bookings/{course['sessions'][3]['id']}", headers=auth)
    assert one.json["course_id"] == course["id"]
    shown = client.get(f"/api/v1/courses/{course['id']}", headers=auth)
    assert shown.status_code == 200 and shown.json == course
    listed = client.get(f"/api/v1/courses?client_id={clinic.client.id}", headers=auth)
    assert [c["id"] for c in listed.json["items"]] == [course["id"]]
    assert client.get(f"/api/v1/courses?client_id={clinic.other_client.id}", headers=auth).json == {
        "items": []
    }


def test_a_new_client_can_be_named_instead_of_an_id(client, clinic, auth):
    body = course_body(clinic, [week(i) for i in range(3)])
    del body["client_id"]
    body["client"] = {"name": "Maja Zupan", "email": "maja@example.com"}
    made = client.post("/api/v1/courses", json=body, headers=auth)
    assert made.status_code == 201, made.json
    assert made.json["client"]["email"] == "maja@example.com"


def test_cancelling_a_course_cancels_every_session_still_ahead(client, clinic, auth):
    made = client.post(
        "/api/v1/courses", json=course_body(clinic, [week(i) for i in range(4)]), headers=auth
    ).json
    cancelled = client.post(
        f"/api/v1/courses/{made['id']}/cancel", json={"reason": "Moving abroad"}, headers=auth
    )
    assert cancelled.status_code == 200, cancelled.json
    assert {s["status"] for s in cancelled.json["sessions"]} == {"cancelled"}
    assert cancelled.json["cancelled"] == 4 and cancelled.json["remaining"] == 0
    assert cancelled.json["cancel_reason"] == "Moving abroad"
    twice = client.post(
        f"/api/v1/courses/{made['id']}/cancel", json={"reason": "again"}, headers=auth
    )
    assert twice.status_code == 422
    assert (
        client.post("/api/v1/courses/999/cancel", json={"reason": "x"}, headers=auth).status_code
        == 404
    )


def test_a_time_taken_meanwhile_is_a_409_naming_the_session_and_nothing_is_written(
    client, clinic, auth, db
):
    starts = [week(i) for i in range(10)]
    with db.transaction() as session:
        book(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY + timedelta(weeks=5), "10:30"),
            client_id=clinic.other_client.id,
            actor="website",
            now=NOW,
        )
    with db.read() as session:
        before = snapshot(session)
    refused = client.post("/api/v1/courses", json=course_body(clinic, starts), headers=auth)
    assert refused.status_code == 409
    error = refused.json["error"]
    assert error["code"] == "course_session_conflict"
    assert list(error["fields"]) == ["sessions[5].start"]
    assert error["message"].startswith("Session 6 of 10 (Mon 05.04.2027 10:00-11:00): ")
    with db.read() as session:
        assert snapshot(session) == before


def _other_booking(db, clinic) -> int:
    with db.transaction() as session:
        return book(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY + timedelta(weeks=20), "10:00"),
            client_id=clinic.other_client.id,
            actor="website",
            now=NOW,
        ).id  # type: ignore[return-value]


PAST = "2026-01-05T10:00:00+01:00"  # before any day the tests run on

BAD_PREVIEWS = [
    ("count 0", {"count": 0}, 422, "count"),
    ("count 100", {"count": 100}, 422, "count"),
    ("unknown weekday", {"rhythm": {"weekdays": ["mon", "someday"]}}, 422, "rhythm.weekdays.1"),
    ("rhythm missing", {"rhythm": None}, 422, "rhythm"),
    ("two rhythms", {"rhythm": {"every_weeks": 1, "every_days": 2}}, 422, "rhythm"),
    ("first start in the past", {"first_start": "2026-01-05T10:00:00+01:00"}, 422, "first_start"),
    ("first start off the chosen weekdays", {"rhythm": {"weekdays": ["wed"]}}, 422, "first_start"),
    ("first start off the grid", {"first_start": week(0, "10:07")}, 422, "first_start"),
    ("unknown therapist", {"therapist_id": 999}, 404, "therapist_id"),
    ("unknown client", {"client_id": 999}, 404, "client_id"),
]


@pytest.mark.parametrize(
    ("case", "changes", "status", "field"), BAD_PREVIEWS, ids=[b[0] for b in BAD_PREVIEWS]
)
def test_a_bad_preview_is_refused_naming_the_field(
    client, clinic, auth, case, changes, status, field
):
    response = client.post(
        "/api/v1/courses/preview", json=preview_body(clinic, **changes), headers=auth
    )
    assert response.status_code == status, response.json
    assert field in response.json["error"]["fields"], response.json


def _bad_courses(clinic, other_booking: int):
    ok = [week(i) for i in range(4)]
    return [
        ("count 1", course_body(clinic, ok[:1]), 422, "sessions"),
        ("count 100", course_body(clinic, [week(i) for i in range(100)]), 422, "sessions"),
        ("out of order", course_body(clinic, [ok[0], ok[2], ok[1]]), 422, "sessions[2].start"),
        ("duplicated", course_body(clinic, [ok[0], ok[1], ok[1]]), 422, "sessions[2].start"),
        ("first in the past", course_body(clinic, [PAST, *ok[1:]]), 422, "sessions[0].start"),
        ("no client", {**course_body(clinic, ok), "client_id": None}, 422, "body"),
        (
            "another client's booking",
            {
                **course_body(clinic, ok),
                "sessions": [{"start": ok[0]}, {"booking_id": other_booking}],
            },
            422,
            "sessions[1].booking_id",
        ),
        (
            "unknown room",
            {
                **course_body(clinic, ok),
                "sessions": [{"start": ok[0], "room_id": 999}, {"start": ok[1]}],
            },
            404,
            "sessions[0].room_id",
        ),
        (
            "room without a couch",
            {
                **course_body(clinic, ok),
                "sessions": [{"start": ok[0], "room_id": clinic.room2.id}, {"start": ok[1]}],
            },
            422,
            "sessions[0].room_id",
        ),
    ]


def test_every_bad_course_is_refused_naming_the_field_and_writes_nothing(client, clinic, auth, db):
    other = _other_booking(db, clinic)
    for case, body, status, field in _bad_courses(clinic, other):
        with db.read() as session:
            before = snapshot(session)
        response = client.post("/api/v1/courses", json=body, headers=auth)
        assert response.status_code == status, (case, response.json)
        fields = response.json["error"]["fields"]
        assert any(f == field or f.startswith(field + ".") for f in fields), (case, fields)
        with db.read() as session:
            assert snapshot(session) == before, case


def test_the_openapi_document_describes_the_course_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert set(paths["/api/v1/courses"]) == {"get", "post"}
    assert set(paths["/api/v1/courses/preview"]) == {"post"}
    assert set(paths["/api/v1/courses/{course_id}"]) == {"get"}
    assert set(paths["/api/v1/courses/{course_id}/cancel"]) == {"post"}
    created = paths["/api/v1/courses"]["post"]["responses"]
    assert {"201", "409", "422"} <= set(created)
