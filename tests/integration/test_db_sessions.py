"""On PostgreSQL, `read_statements()` saves the BEGIN and ROLLBACK round trips, and leaves
the pooled connection as transactional as it found it (SQLite has no round trips to save:
there it is `read()`)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text


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
