"""An API app on each backend, a known clinic in it, and an API key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from services.scheduler import create_app
from shared.accounts import create_api_key
from tests.factories import Clinic, make_clinic


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
