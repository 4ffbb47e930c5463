"""On PostgreSQL, `read_statements()` saves the BEGIN and ROLLBACK round trips, and leaves
the pooled connection as transactional as it found it (SQLite has no round trips to save:
there it is `read()`); an idle pooled connection is pinged before use, a busy one is not."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text

from shared.db import Database
from shared.errors import DatabaseUnavailable


@pytest.fixture
def pg(db):
    if db.is_sqlite:
        pytest.skip("read_statements() is read() on SQLite")
    return db


def test_each_statement_of_a_read_statements_session_is_its_own_transaction(pg):
    with pg.read_statements() as session:
        began = session.execute(text("SELECT now()")).scalar()
        time.sleep(0.01)
        began_again = session.execute(text("SELECT now()")).scalar()
    assert began_again > began  # now() is when the transaction began


def test_a_connection_back_from_read_statements_is_transactional_again(pg):
    for _ in range(3):  # the pool hands the same connection back each time
        with pg.read_statements() as session:
            session.execute(text("SELECT 1"))
    with pg.read() as session:
        began = session.execute(text("SELECT now()")).scalar()
        time.sleep(0.01)
        assert session.execute(text("SELECT now()")).scalar() == began


def _kill_backend(url: str, pid: int) -> None:
    """What a database restart does to a pooled connection: its server process is gone."""
    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as c:
        c.execute("SELECT pg_terminate_backend(%s)", (pid,))


def _pooled_pid(database: Database) -> int:
    with database.read() as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_an_idle_pooled_connection_left_dead_by_a_restart_is_replaced_before_use(pg):
    database = Database(pg.url, ping_after_idle=0, pool_size=1)
    try:
        pid = _pooled_pid(database)
        _kill_backend(pg.url, pid)
        assert _pooled_pid(database) != pid  # pinged on checkout, found dead, replaced
    finally:
        database.dispose()


def test_a_connection_in_steady_use_is_not_pinged_and_its_death_is_a_retryable_outage(pg):
    database = Database(pg.url, ping_after_idle=3600, pool_size=1)
    try:
        pid = _pooled_pid(database)
        _kill_backend(pg.url, pid)
        with pytest.raises(DatabaseUnavailable), database.transaction() as session:
            session.execute(text("SELECT 1"))
        assert _pooled_pid(database) != pid  # the next request gets a live connection
    finally:
        database.dispose()
