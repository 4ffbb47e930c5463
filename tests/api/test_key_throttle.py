"""Failed API key checks are throttled per address like staff log-ins: after twenty, the
address waits (429 with Retry-After) before any key it sends is even looked at, while the
website's own address keeps working."""

from __future__ import annotations

import pytest

from shared import login_throttle
from tests.integration.conftest import everything

ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}
WEBSITE = {"REMOTE_ADDR": "192.0.2.80"}


@pytest.mark.parametrize(
    "wrong",
    [
        "csk_" + "x" * 43,  # well formed, no such key
        "Bearer-less nonsense",  # not even shaped like a key
    ],
)
def test_after_twenty_wrong_keys_an_address_waits_even_with_the_right_key(
    client, clinic, api_key, wrong
):
    headers = {"Authorization": f"Bearer {wrong}"}
    for _ in range(login_throttle.API_ADDRESS.free):
        response = client.get("/api/v1/bookings", headers=headers, environ_base=ATTACKER)
        assert response.status_code == 401
    right = {"Authorization": f"Bearer {api_key}"}
    waiting = client.get("/api/v1/bookings", headers=right, environ_base=ATTACKER)
    assert waiting.status_code == 429
    assert int(waiting.headers["Retry-After"]) >= 1
    assert waiting.get_json()["error"]["code"] == "too_many_attempts"
    assert client.get("/api/v1/bookings", headers=right, environ_base=WEBSITE).status_code == 200


def test_a_waiting_address_writes_nothing_however_often_it_tries(client, clinic, db):
    headers = {"Authorization": "Bearer csk_" + "x" * 43}
    for _ in range(login_throttle.API_ADDRESS.free):
        client.get("/api/v1/bookings", headers=headers, environ_base=ATTACKER)
    before = everything(db)
    for _ in range(10):
        response = client.get("/api/v1/bookings", headers=headers, environ_base=ATTACKER)
        assert response.status_code == 429
    assert everything(db) == before
