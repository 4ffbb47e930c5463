"""An unreachable database is a 503 with Retry-After, never a 500: clients can tell a
retryable outage from a bug. The process itself stays alive (/healthz) and says it is not
ready (/readyz)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from services.scheduler import create_app
from shared.config import Settings
from shared.db import Database


def unreachable_url(kind: str, tmp_path: Path) -> str:
    """A database that cannot be opened: PostgreSQL on a port nobody listens on, or a SQLite
    "file" that is a directory."""
    if kind == "postgresql":
        return "postgresql://postgres@127.0.0.1:9/clinic?connect_timeout=2"
    folder = tmp_path / "clinic.db"
    folder.mkdir()
    return f"sqlite:///{folder}"


@pytest.fixture(params=["sqlite", "postgresql"])
def down(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FlaskClient]:
    url = unreachable_url(request.param, tmp_path)
    settings = Settings(
        database_url=url,
        secret_key="test-secret-key-0123456789abcdef0123456789",
        public_base_url="https://clinic.example",
        log_format="text",
    )
    database = Database(url)
    yield create_app({"SETTINGS": settings, "DATABASE": database, "TESTING": True}).test_client()
    database.dispose()


KEY = {"Authorization": "Bearer csk_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"}
REQUESTS = [
    ("get", "/api/v1/treatment-types", None),
    ("get", "/api/v1/availability?treatment_type_id=1&start=2027-03-01&end=2027-03-01", None),
    ("get", "/api/v1/bookings", KEY),
    ("post", "/api/v1/bookings", KEY),
    ("patch", "/api/v1/bookings/1", KEY),
    ("get", "/b/some-booking-link", None),
]


@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS, ids=[r[1] for r in REQUESTS])
def test_an_unreachable_database_is_a_503_with_retry_after_never_a_500(down, method, path, headers):
    body = {"start": "2027-03-01T10:00:00+01:00"} if method != "get" else None
    response = down.open(path, method=method.upper(), json=body, headers=headers or {})
    assert response.status_code == 503, response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    if path.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "database_unavailable"
    else:
        assert "try again" in response.get_data(as_text=True).lower()


def test_while_the_database_is_down_the_process_is_alive_but_not_ready(down):
    assert down.get("/healthz").status_code == 200
    assert down.get("/readyz").status_code == 503
