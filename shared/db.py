"""The database: one engine per process and one transaction boundary for every write.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
`BEGIN IMMEDIATE`, so the check-then-insert of a booking holds the write lock from the first
read: two processes can never both see a slot free. PostgreSQL relies on its exclusion
constraints instead (see the migrations).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Engine,
    Select,
    Text,
    bindparam,
    cast,
    create_engine,
    event,
    func,
    insert,
    literal_column,
    select,
    true,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, SQLModel

from shared.config import sqlalchemy_url
from shared.errors import DatabaseUnavailable

SQLITE_BUSY_TIMEOUT_MS = 30_000
M = TypeVar("M", bound=SQLModel)
# SQLite's operational errors that mean "not now" rather than a bug in a statement.
_SQLITE_UNAVAILABLE = ("locked", "busy", "unable to open", "disk i/o", "readonly", "no space")


def outage(exc: BaseException) -> DatabaseUnavailable | None:
    """The typed, retryable refusal when `exc` means the database cannot be reached (down,
    restarting, a dropped connection, the pool exhausted, SQLite's file locked past the busy
    timeout), or None when it is something else (a bug keeps its 500)."""
    if isinstance(exc, DatabaseUnavailable):
        return exc
    unreachable = isinstance(exc, sa_exc.TimeoutError) or (
        isinstance(exc, sa_exc.DBAPIError)
        and (
            exc.connection_invalidated
            or (
                isinstance(exc, sa_exc.OperationalError)
                and (
                    type(exc.orig).__module__.startswith("psycopg")
                    or any(word in str(exc.orig).lower() for word in _SQLITE_UNAVAILABLE)
                )
            )
        )
    )
    if not unreachable:
        return None
    return DatabaseUnavailable(
        "The clinic's database cannot be reached just now; nothing was changed. "
        "Try again in a few seconds."
    )


@contextmanager
def _outages_refused() -> Iterator[None]:
    """An unreachable database becomes DatabaseUnavailable (503 with Retry-After at the edges)."""
    try:
        yield
    except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
        refusal = outage(exc)
        if refusal is None:
            raise
        raise refusal from exc


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    url = make_url(sqlalchemy_url(database_url))
    # Parameters hold tokens and clients' data: keep them out of error messages and logs.
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(url.database)), exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 5)
    ping_after_idle = kwargs.pop("ping_after_idle", PING_AFTER_IDLE_SECONDS)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine, ping_after_idle)
    return engine


# A pooled PostgreSQL connection that has sat unused this long is pinged before it is handed
# out (a database restarted overnight leaves every idle connection dead). One in steady use
# is not: the round trip would cost every request, and one that died under use is caught as
# an outage (503 with Retry-After) while the pool replaces its connections.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_when_idle(engine: Engine, after: float) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < after:
            return  # new, or in steady use
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:  # a dead connection: the pool connects anew and retries
            raise sa_exc.DisconnectionError() from exc


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def append_rows(session: Session, model: type[SQLModel], rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert new rows that nothing reads back in this transaction (history, outbox) with
    one Core INSERT, skipping model construction and the unit of work (the booking path's
    largest costs). Columns left out take the model's own defaults."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]
    session.connection().execute(insert(table), [_filled(model, row) for row in rows])


def as_loaded(session: Session, model: type[M], row: Mapping[str, Any]) -> M:
    """A row that a Core statement returned, as the session's object for it: the one already
    in the session, refreshed (as `populate_existing` would), or a new one as if loaded, so
    that later changes flush as updates and lookups by key cost no statement."""
    found = session.identity_map.get(session.identity_key(model, row["id"]))
    if found is None:
        return adopt(session, new_row(model, row))
    for name, value in row.items():
        set_committed_value(found, name, value)
    return found


def adopt(session: Session, obj: M) -> M:
    """An object whose row is already in the database (written by a Core statement), taken
    into the session as if loaded: later changes flush as updates, never as a second insert."""
    make_transient_to_detached(obj)
    session.add(obj)
    return obj


def new_row(model: type[M], row: Mapping[str, Any]) -> M:
    """An instance holding `row` and the model's defaults for the columns it leaves out, built
    as the ORM builds what it loads: no validation and no change history, for values the
    caller has checked or the database returned (five times cheaper than the constructor)."""
    obj = model.__mapper__.class_manager.new_instance()  # type: ignore[attr-defined]
    obj.__dict__.update(_filled(model, row), id=row.get("id"))
    return obj


# A parent model and each child model with the column that holds the parent's id.
_Family = tuple[type[SQLModel], tuple[tuple[type[SQLModel], str], ...]]


def insert_family(
    session: Session,
    model: type[SQLModel],
    row: Mapping[str, Any],
    children: Sequence[tuple[type[SQLModel], str, Sequence[Mapping[str, Any]]]],
) -> int:
    """Insert a row and the new rows that name it (each child model with the column that
    holds the parent's id), and return the parent's id. On PostgreSQL this is one statement
    (a data-modifying WITH whose children select the parent's RETURNING id), so a booking,
    its history and its messages cost one round trip, not three; SQLite, in process, runs
    them one by one. Columns left out take the model's own defaults."""
    parent = _filled(model, row)
    kids = [
        (child, key, [_filled(child, r, without=key) for r in rows])
        for child, key, rows in children
    ]
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        table = model.__table__  # type: ignore[attr-defined]
        new_id = int(conn.execute(insert(table).returning(table.c.id), parent).scalar_one())
        for child, key, rows in kids:
            append_rows(session, child, [{**r, key: new_id} for r in rows])
        return new_id
    params = {"parent": _as_json([parent])}  # each table's new rows as one JSON document
    for i, (_, _, rows) in enumerate(kids):
        params[f"c{i}"] = _as_json(rows)
    shape = (model, tuple((child, key) for child, key, _ in kids))
    return int(conn.execute(_family_statement(shape), params).scalar_one())


def _as_json(rows: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(rows, default=_json_value, ensure_ascii=False)


def _json_value(value: Any) -> Any:
    if isinstance(value, date):  # and datetime, PostgreSQL reads ISO 8601 back
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no JSON form for a new row")


@cache
def _family_statement(shape: _Family) -> Select[Any]:
    """Built once per family and reused: each table's new rows come as one JSON document that
    PostgreSQL reads as rows of that table's own type (`json_populate_recordset`), so the
    text, which SQLAlchemy compiles once and PostgreSQL prepares, is the same for any number
    of rows, and converting its parameters costs next to nothing."""
    model, kids = shape
    table = model.__table__  # type: ignore[attr-defined]
    names = [name for name, _ in _defaults(model)]
    given = _json_rows(table, "parent", names, "given")
    parent = (
        insert(table)
        .from_select(names, select(*(given.c[n] for n in names)))
        .returning(table.c.id)
        .cte("parent")
    )
    statement = select(parent.c.id)
    for i, (child, key) in enumerate(kids):
        child_table = child.__table__  # type: ignore[attr-defined]
        names = _columns(child, key)
        rows = _json_rows(child_table, f"c{i}", names, f"rows{i}")
        source = select(parent.c.id, *(rows.c[n] for n in names)).select_from(
            parent.join(rows, true())
        )
        statement = statement.add_cte(
            insert(child_table).from_select([key, *names], source).cte(f"child{i}")
        )
    return statement


def _json_rows(table: Any, param: str, names: Sequence[str], alias: str) -> Any:
    """The rows a JSON array parameter holds, typed as `table`'s rows (no column list: the
    row type names its own columns)."""
    return (
        func.json_populate_recordset(
            literal_column(f'NULL::"{table.name}"'), cast(bindparam(param, type_=Text), JSON)
        )
        .table_valued(*names)
        .alias(alias)
    )


@cache
def _columns(model: type[SQLModel], key: str) -> list[str]:
    return [name for name, _ in _defaults(model) if name != key]


def _filled(model: type[SQLModel], row: Mapping[str, Any], *, without: str = "") -> dict[str, Any]:
    """Every non-key column of `model` with its value in `row` or its default."""
    return {
        name: row[name] if name in row else make()
        for name, make in _defaults(model)
        if name != without
    }


@cache
def _defaults(model: type[SQLModel]) -> tuple[tuple[str, Callable[[], Any]], ...]:
    """(column, maker of its default) for every non-key column; a required one raises."""
    out = []
    for name, info in model.model_fields.items():
        if name == "id":
            continue
        if info.default_factory is not None:
            out.append((name, info.default_factory))
        elif info.is_required():
            out.append((name, _required(model, name)))
        else:
            out.append((name, lambda value=info.default: value))
    return tuple(out)  # type: ignore[arg-type]


def _required(model: type[SQLModel], name: str) -> Callable[[], Any]:
    def missing() -> Any:
        raise TypeError(f"{model.__name__}.{name} needs a value")

    return missing


class Database:
    """Owns the engine; hands out sessions that commit on success and roll back on error."""

    def __init__(self, database_url: str, **engine_kwargs: Any) -> None:
        self.url = database_url
        self.engine = make_engine(database_url, **engine_kwargs)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._write_engine = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE")
            if self.is_sqlite
            else self.engine
        )
        self._autocommit_engine = (
            self.engine
            if self.is_sqlite
            else self.engine.execution_options(isolation_level="AUTOCOMMIT")
        )

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """The one place writes are committed: commit if the block succeeds, else roll back.
        Raises DatabaseUnavailable when the database cannot be reached."""
        with (
            _outages_refused(),
            Session(self._write_engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads only: never committed; its objects stay readable after it closes."""
        with _outages_refused(), Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def read_statements(self) -> Iterator[Session]:
        """A session for reads whose every statement stands on its own: autocommit on
        PostgreSQL, which saves the BEGIN and ROLLBACK round trips (each statement still sees
        one consistent snapshot). For reads whose statements need not agree with each other;
        on SQLite, which has no round trips, it is `read()`."""
        with _outages_refused(), Session(self._autocommit_engine, expire_on_commit=False) as s:
            yield s

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
