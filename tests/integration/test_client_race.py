"""Two requests booking for the same new e-mail at once register one client, and neither fails."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlmodel import func, select

from shared.clients import find_or_create_client
from shared.db import Database
from shared.models import Client

RACERS = 8


def test_concurrent_requests_for_one_new_email_all_get_the_same_client(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite takes the write lock at BEGIN: its writers never interleave")
    barrier = threading.Barrier(RACERS)

    def register(i: int) -> int:
        database = Database(database_url)
        try:
            with database.transaction() as session:
                session.exec(select(func.count()).select_from(Client)).one()  # start the snapshot
                barrier.wait()
                client = find_or_create_client(
                    session, name=f"Maja {i}", email="maja@example.com", phone=""
                )
                return int(client.id)  # type: ignore[arg-type]
        finally:
            database.dispose()

    with ThreadPoolExecutor(RACERS) as pool:
        ids = list(pool.map(register, range(RACERS)))

    assert len(set(ids)) == 1
    database = Database(database_url)
    with database.read() as session:
        assert session.exec(select(func.count()).select_from(Client)).one() == 1
    database.dispose()
