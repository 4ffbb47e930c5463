"""When the database goes away under a logged-in receptionist, every page is a 503 saying to
try again in a moment (with Retry-After), never a 500; /healthz stays up, /readyz says no."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from tests.dashboard.conftest import CSRF, RECEPTION, text


@contextmanager
def database_down(db, database_url: str) -> Iterator[None]:
    """Makes the test's database refuse every new connection, and brings it back after."""
    db.dispose()
    if database_url.startswith("sqlite"):
        path = Path(make_url(database_url).database or "")
        path.rename(path.with_suffix(".away"))
        path.mkdir()  # a "database file" that is a directory: unable to open it
        try:
            yield
        finally:
            path.rmdir()
            path.with_suffix(".away").rename(path)
        return
    name = make_url(database_url).database
    admin = os.environ["TEST_DATABASE_URL"]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
    try:
        yield
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


PAGES = ["/", "/bookings/", "/clients/", "/booking/{id}", "/book/?treatment_type_id=1"]


def test_every_page_is_a_503_with_retry_after_while_the_database_is_down(
    reception, facial_at_ten, db, database_url, app
):
    token = reception.token()
    anonymous = app.test_client()
    login_token = CSRF.search(text(anonymous.get("/login"))).group(1)
    with database_down(db, database_url):
        answers = [reception.get(path.format(id=facial_at_ten)) for path in PAGES]
        answers.append(
            reception.client.post(
                f"/booking/{facial_at_ten}/cancel", data={"csrf_token": token, "version": "0"}
            )
        )
        answers.append(
            anonymous.post(
                "/login",
                data={"csrf_token": login_token, "email": RECEPTION[0], "password": RECEPTION[1]},
            )
        )
        for response in answers:
            assert response.status_code == 503, text(response)[:500]
            assert int(response.headers["Retry-After"]) > 0
            assert "try again" in text(response).lower()
        assert app.test_client().get("/healthz").status_code == 200
        assert app.test_client().get("/readyz").status_code == 503
    assert reception.get("/").status_code == 200  # and back, with the same log-in
