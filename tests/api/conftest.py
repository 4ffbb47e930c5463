"""An API app on each backend, a known clinic in it, and an API key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.scheduler import create_app
from shared.accounts import create_api_key
from tests.factories import MONDAY, Clinic, local, make_clinic


@pytest.fixture
def app(settings: Any, db: Any) -> Iterator[Flask]:
    yield create_app({"SETTINGS": settings, "DATABASE": db, "TESTING": True})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def clinic(db: Any) -> Clinic:
    with db.transaction() as session:
        return make_clinic(session)


@pytest.fixture
def api_key(db: Any) -> str:
    with db.transaction() as session:
        _, key = create_api_key(session, "website")
    return key


@pytest.fixture
def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


@pytest.fixture
def booked(client: FlaskClient, clinic: Clinic, auth: dict[str, str]) -> dict[str, Any]:
    """Eva's facial, Monday 12:00, booked through the API (its JSON)."""
    body = {
        "treatment_type_id": clinic.facial.id,
        "start": local(MONDAY, "12:00").isoformat(),
        "client_id": clinic.client.id,
    }
    made = client.post("/api/v1/bookings", json=body, headers=auth)
    assert made.status_code == 201, made.get_json()
    return made.get_json()  # type: ignore[no-any-return]
