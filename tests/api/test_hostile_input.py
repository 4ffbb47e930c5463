"""Every input that once answered 500 is a 4xx naming its field, and writes nothing.

Years 1 and 9999, ids beyond the database, NUL and half characters, cursors this API never
gave, JSON nested thousands deep; links built from PUBLIC_BASE_URL, never from Host.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest

from tests.factories import MONDAY, local
from tests.integration.conftest import everything


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode()


def booking_body(clinic: Any, **changes: Any) -> dict[str, Any]:
    body = {
        "treatment_type_id": clinic.facial.id,
        "start": local(MONDAY, "14:00").isoformat(),
        "client": {"name": "Maja Zupan", "email": "maja@example.com"},
    }
    body.update(changes)
    return body


# (label, method, path, json body or raw bytes, expected status, field named)
WRITES = [
    ("notes with a NUL", "post", "/api/v1/bookings", {"notes": "allergic\x00"}, 422, "notes"),
    ("notes with half a character", "post", "/api/v1/bookings", {"notes": "a\ud800"}, 422, "notes"),
    (
        "a start in year 1",
        "post",
        "/api/v1/bookings",
        {"start": "0001-01-01T00:30:00+01:00"},
        422,
        "start",
    ),
    (
        "a start in year 9999",
        "post",
        "/api/v1/bookings",
        {"start": "9999-12-31T23:30:00-01:00"},
        422,
        "start",
    ),
    (
        "a client id beyond 64 bits",
        "post",
        "/api/v1/bookings",
        {"client": None, "client_id": 2**64},
        422,
        "client_id",
    ),
    (
        "a name with a line separator",
        "post",
        "/api/v1/bookings",
        {"client": {"name": "Maja\u2028Zupan", "email": "maja@example.com"}},
        422,
        "name",
    ),
    (
        "a name with a next-line",
        "post",
        "/api/v1/bookings",
        {"client": {"name": "Maja\x85Zupan", "email": "maja@example.com"}},
        422,
        "name",
    ),
    (
        "a name with a vertical tab",
        "post",
        "/api/v1/bookings",
        {"client": {"name": "Maja\x0bZupan", "email": "maja@example.com"}},
        422,
        "name",
    ),
    ("a key with a NUL", "post", "/api/v1/bookings", {"\x00": 1}, 422, "body"),
    (
        "a move to year 1",
        "patch",
        "/api/v1/bookings/{id}",
        {"start": "0001-01-01T00:30:00+01:00"},
        422,
        "start",
    ),
    (
        "a move to year 9999",
        "patch",
        "/api/v1/bookings/{id}",
        {"start": "9999-12-31T23:30:00-01:00"},
        422,
        "start",
    ),
    (
        "a cancel reason with a NUL",
        "post",
        "/api/v1/bookings/{id}/cancel",
        {"reason": "ill\x00"},
        422,
        "reason",
    ),
    (
        "a cancel reason of 1,001 characters",
        "post",
        "/api/v1/bookings/{id}/cancel",
        {"reason": "x" * 1001},
        422,
        "reason",
    ),
    (
        "JSON nested 5,000 deep",
        "post",
        "/api/v1/bookings",
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        400,
        None,
    ),
    (
        "a list nested 5,000 deep",
        "patch",
        "/api/v1/bookings/{id}",
        b"[" * 5000 + b"]" * 5000,
        400,
        None,
    ),
    (
        "strings nested 33 deep",
        "post",
        "/api/v1/bookings",
        b'{"notes": ' + b"[" * 33 + b'"x"' + b"]" * 33 + b"}",
        400,
        None,
    ),
]


@pytest.mark.parametrize(
    ("label", "method", "path", "body", "status", "field"), WRITES, ids=[w[0] for w in WRITES]
)
def test_a_hostile_write_is_a_4xx_naming_the_field_and_writes_nothing(
    client, clinic, auth, db, booked, label, method, path, body, status, field
):
    before = everything(db)
    url = path.format(id=booked["id"])
    if isinstance(body, bytes):
        response = client.open(
            url, method=method.upper(), data=body, headers=auth, content_type="application/json"
        )
    else:
        payload = booking_body(clinic, **body) if url == "/api/v1/bookings" else body
        payload = {k: v for k, v in payload.items() if v is not None}
        response = client.open(url, method=method.upper(), json=payload, headers=auth)
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    if field is not None:
        assert field in error["fields"], error
        assert error["fields"][field]
    assert everything(db) == before


READS = [
    ("/api/v1/availability?treatment_type_id=1&start=0001-01-01&end=0001-01-02", "start"),
    ("/api/v1/availability?treatment_type_id=1&start=9999-12-30&end=9999-12-31", "start"),
    ("/api/v1/availability?treatment_type_id=1&start=2027-03-01&end=9999-12-31", "end"),
    (
        "/api/v1/availability?treatment_type_id=99999999999&start=2027-03-01&end=2027-03-01",
        "treatment_type_id",
    ),
    ("/api/v1/bookings?start=0001-01-01", "start"),
    ("/api/v1/bookings?end=9999-12-31", "end"),
    ("/api/v1/bookings?start=0001-01-01T00:00:00%2B14:00", "start"),
    ("/api/v1/bookings?client_id=99999999999999999999", "client_id"),
    ("/api/v1/bookings?status=booked%00", "status"),
    ("/api/v1/bookings?cursor=a%00b", "cursor"),
    (
        "/api/v1/bookings?cursor=" + cursor("2027-03-01T10:00:00+00:00|99999999999999999999"),
        "cursor",
    ),
    ("/api/v1/bookings?cursor=" + cursor("0001-01-01T00:00:00+14:00|1"), "cursor"),
    ("/api/v1/bookings?cursor=" + cursor("9999-12-31T23:59:59-14:00|1"), "cursor"),
    ("/api/v1/bookings?cursor=" + cursor("2027-03-01T10:00:00|1"), "cursor"),
    ("/api/v1/bookings?cursor=" + cursor("2027-03-01T10:00:00+00:00|-1"), "cursor"),
]


@pytest.mark.parametrize(("path", "field"), READS, ids=[r[0][8:60] for r in READS])
def test_a_hostile_query_is_a_422_naming_the_parameter(client, clinic, auth, path, field):
    response = client.get(path, headers=auth)
    assert response.status_code == 422, response.get_data(as_text=True)
    named = response.get_json()["error"]["fields"]
    assert any(name == field or name.startswith(f"{field}.") for name in named), named


@pytest.mark.parametrize("booking_id", ["99999999999", "9" * 30, "0"])
def test_an_id_beyond_the_database_in_the_path_is_404(client, clinic, auth, booking_id):
    response = client.get(f"/api/v1/bookings/{booking_id}", headers=auth)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_the_next_page_link_comes_from_public_base_url_whatever_host_the_request_names(
    client, clinic, auth, booked, settings
):
    second = {
        "treatment_type_id": clinic.consult.id,
        "start": local(MONDAY, "15:00").isoformat(),
        "client_id": clinic.other_client.id,
    }
    assert client.post("/api/v1/bookings", json=second, headers=auth).status_code == 201
    page = client.get(
        "/api/v1/bookings?limit=1",
        headers={**auth, "Host": "evil.example", "X-Forwarded-Proto": "http"},
    ).get_json()
    assert page["next"].startswith("https://clinic.example/api/v1/bookings?")
    assert settings.public_base_url == "https://clinic.example"
    assert "evil" not in page["next"]


def test_a_nul_in_the_reason_on_the_clients_own_page_is_refused_saying_so(client, db, booked):
    token = _access_token(db, booked["id"])
    page = client.get(f"/b/{token}").get_data(as_text=True)
    form_token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    before = everything(db)
    response = client.post(
        f"/b/{token}/cancel", data={"form_token": form_token, "reason": "ill\x00"}
    )
    assert response.status_code == 422
    assert "may not contain a NUL character" in response.get_data(as_text=True)
    assert everything(db) == before


def _access_token(db: Any, booking_id: int) -> str:
    from shared.models import Booking

    with db.read() as session:
        found = session.get(Booking, booking_id)
        assert found is not None
        return found.access_token
