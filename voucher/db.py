"""Database foundation: declarative base, naming convention, UTC timestamps, unit of work.

Services own their transactions through :func:`unit_of_work`; views and API handlers never
commit. On SQLite (the embedded default) write transactions start with ``BEGIN IMMEDIATE`` so
concurrent writers queue on ``busy_timeout`` instead of failing with "database is locked".
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from psycopg import IntegrityError as DriverIntegrityError
from psycopg.rows import tuple_row
from sqlalchemy import DateTime, Engine, MetaData, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.sql import Executable
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_IMMEDIATE = "voucher_sqlite_immediate"
SQLITE_BUSY_TIMEOUT_MS = 15_000


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def utcnow() -> datetime:
    """The current instant, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always returned timezone-aware (UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC instant is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, busy timeout, and BEGIN IMMEDIATE for write transactions."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(SQLITE_IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


#: Callables run after every committed unit of work (the audit sealer registers here).
after_commit_hooks: list[Callable[[], None]] = []


@contextmanager
def unit_of_work(*, run_hooks: bool = True) -> Iterator[Session]:
    """Run a write transaction: commit on success, roll back on any error, then run hooks.

    A read transaction the request may already hold (e.g. loading the signed-in user) is ended
    first on SQLite, so that the write transaction starts fresh and IMMEDIATE. PostgreSQL carries
    on with it: under READ COMMITTED every statement sees what is committed, and a COMMIT and a
    BEGIN are saved (a round trip each on every write, the redemption hot path included).
    """
    session = db.session()
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("unflushed changes outside a unit of work")
        if session.get_bind().dialect.name != "postgresql":
            session.commit()
    if not session.in_transaction():
        session.connection(execution_options={SQLITE_IMMEDIATE: True})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    if run_hooks:
        for hook in after_commit_hooks:
            hook()


@contextmanager
def driver_autocommit(*, run_hooks: bool = True) -> Iterator[Any]:
    """A pooled driver connection, outside the ORM session, on which each statement commits on
    its own (autocommit).

    For the redemption desk's hot path on PostgreSQL, whose statements run through
    :class:`DriverStatement` and whose one write is a single statement (a data-modifying CTE,
    atomic by itself): no Session, SessionTransaction or Connection objects per request, and no
    separate BEGIN and COMMIT round trips around it. The connection goes back to the pool in its
    usual transactional mode (dropping it, and every other pooled one, if the database closed
    it); the after-commit hooks run as after :func:`unit_of_work`.
    """
    fairy = db.engine.raw_connection()
    connection = fairy.driver_connection
    connection.autocommit = True
    try:
        yield connection
    except BaseException:
        if getattr(connection, "broken", False) or getattr(connection, "closed", False):
            # the database went away (restart, failover): drop this connection and every
            # other pooled one, as SQLAlchemy does when a statement of its own meets this
            fairy.invalidate()
            db.engine.dispose(close=False)
        raise
    finally:
        if fairy.is_valid:
            try:
                connection.autocommit = False
            except Exception:  # interrupted mid-statement, not idle: do not pool it
                fairy.invalidate()
        fairy.close()
    if run_hooks:
        for hook in after_commit_hooks:
            hook()


class DriverStatement:
    """A fixed statement run straight on a psycopg connection (see :func:`driver_autocommit`).

    For the few hot paths (a redemption at the desk) that run one or two fixed statements per
    request and would otherwise spend more time in SQLAlchemy's per-statement machinery (result
    metadata, type processing, ORM compile state) than in the database. The statement is built
    and compiled once for the engine's dialect; parameters go to the driver as given (plain
    values, no type processing: naive UTC timestamps) and rows come back as named tuples of
    plain driver values. A unique-key violation is raised as SQLAlchemy's ``IntegrityError``,
    like any other statement's.
    """

    def __init__(self, build: Callable[[], Executable]) -> None:
        self._build = build
        self._statement: Executable | None = None
        self._compiled: tuple[str, dict[str, Any]] | None = None
        #: the named-tuple type of its rows, from the first run (False: it returns no rows)
        self._row: Any = None

    def statement(self) -> Executable:
        """The statement itself (built on first use), for a session to run."""
        if self._statement is None:
            self._statement = self._build()
        return self._statement

    def _sql(self) -> tuple[str, dict[str, Any]]:
        if self._compiled is None:
            statement = self.statement().compile(dialect=db.engine.dialect)
            self._compiled = (str(statement), dict(statement.params))
        return self._compiled

    def read(self, params: dict[str, Any]) -> Any:
        """Run this read on its own and return its first row: on PostgreSQL on a pooled driver
        connection in autocommit (no session, no BEGIN and ROLLBACK round trips), elsewhere
        through the request's session."""
        if db.engine.dialect.name == "postgresql":
            with driver_autocommit(run_hooks=False) as connection:
                return self.first(connection, params)
        return db.session.execute(self.statement(), params).first()

    def first(self, connection: Any, params: dict[str, Any]) -> Any:
        """Execute with ``params`` (added to the statement's own literals); the first row."""
        sql, defaults = self._sql()
        with connection.cursor(row_factory=tuple_row) as cursor:
            try:
                # a fixed statement: prepared on its first run on a connection, not its fifth
                cursor.execute(sql, {**defaults, **params}, prepare=True)
            except DriverIntegrityError as exc:
                raise IntegrityError(sql, params, exc) from exc
            if self._row is None:  # a fixed statement's columns do not change between runs
                columns = cursor.description
                self._row = (
                    namedtuple("Row", [c.name for c in columns], rename=True) if columns else False
                )
            if not self._row:
                return None
            row = cursor.fetchone()
            return None if row is None else self._row._make(row)
