"""A dashboard app on each backend with a known clinic, two staff accounts and a fake clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from services.dashboard import create_app
from shared import accounts, booking
from tests.factories import MONDAY, NOW, Clinic, local, make_clinic

ADMIN = ("boss@clinic.example", "admin-password-1")
RECEPTION = ("desk@clinic.example", "reception-password-1")
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Clock:
    """The app's `now`; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(autouse=True)
def cheap_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with its lowest costs: still the real hashing code, 100x faster per log-in."""
    monkeypatch.setattr(
        accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(settings: Any, db: Any, clock: Clock) -> Iterator[Flask]:
    yield create_app({"SETTINGS": settings, "DATABASE": db, "CLOCK": clock, "TESTING": True})


@pytest.fixture
def clinic(db: Any) -> Clinic:
    with db.transaction() as session:
        made = make_clinic(session)
        for (email, password), role in ((ADMIN, "admin"), (RECEPTION, "receptionist")):
            accounts.create_user(session, email=email, password=password, role=role)
        return made


@dataclass
class Staff:
    """A logged-in browser-like client: every POST carries the session's CSRF token."""

    client: FlaskClient
    email: str

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def token(self) -> str:
        page = self.client.get("/book/")
        found = CSRF.search(page.get_data(as_text=True))
        assert found, "no CSRF token on the booking form"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> TestResponse:
        body = {"csrf_token": self.token(), **(data or {})}
        return self.client.post(path, data=body, **kwargs)


def log_in(client: FlaskClient, email: str, password: str) -> TestResponse:
    page = client.get("/login")
    token = CSRF.search(page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


@pytest.fixture
def reception(app: Flask, clinic: Clinic) -> Staff:
    client = app.test_client()
    response = log_in(client, *RECEPTION)
    assert response.status_code == 302, response.get_data(as_text=True)
    return Staff(client, RECEPTION[0])


@pytest.fixture
def admin(app: Flask, clinic: Clinic) -> Staff:
    client = app.test_client()
    response = log_in(client, *ADMIN)
    assert response.status_code == 302, response.get_data(as_text=True)
    return Staff(client, ADMIN[0])


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def facial_at_ten(db: Any, clinic: Clinic) -> int:
    """Eva's facial with Anna in Room 1, Monday 10:00 (booking 1)."""
    with db.transaction() as s:
        made = booking.book(
            s,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="t",
            now=NOW,
        )
        assert made.id is not None
        return made.id


# Pages a receptionist opens every day (the headers tests walk them).
RECEPTION_PAGES_FOR_HEADERS = ["/", "/book/", "/clients/", "/outbox/", "/settings/", "/feeds/"]
