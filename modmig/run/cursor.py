"""modmig's bookkeeping writes and ``BEGIN`` straight on the DB-API cursor under a SQLAlchemy Connection.

A migration's statement and its two bookkeeping writes are most of what an upgrade executes (four
statements per migration, with ``BEGIN``). Through ``Connection.execute`` each one pays
SQLAlchemy's execution machinery (an execution context, parameter processing, a result object,
events): about 1.2 s of profiled Python in a 1,000-migration upgrade (issue 15). Here the writes
go to the cursor of the very DB-API connection SQLAlchemy holds, so they stay inside the
transaction ``connection.begin()`` opened, on every backend alike (the migration's own statements
take the same road through ``direct.runner``). Two things SQLAlchemy did are kept:

* a driver error is raised as SQLAlchemy's ``DBAPIError`` (with ``.orig``), so the executor's
  failure reports and the backends' explanations see exactly what they saw before;
* bookkeeping values go through the column types' bind processors (SQLite stores a ``DateTime``
  as SQLAlchemy's text format, a ``Boolean`` as 0/1), so rows read back the same.

When an embedding program listens to statement events or turned on ``echo`` (``observed``),
everything goes through SQLAlchemy, so it still sees every statement.
"""

from __future__ import annotations

from operator import attrgetter, methodcaller
from typing import Any, Callable, Iterable

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement


def observed(connection: Connection) -> bool:
    """True when something listens to this connection's statements (events or ``echo``).

    Asked afresh each time (four times a migration): a listener added at any moment hears what
    follows. SQLAlchemy's own ``_has_events`` flags say whether any listener was ever added to the
    connection, its engine or their classes (modmig's SQLite engine has one, for ``BEGIN``); only
    then are the statement events looked at, on the engine's own dispatch unless the connection
    has listeners of its own (reading them through the connection's joined dispatch cost three
    times as much).
    """
    engine = connection.engine
    if engine.echo:
        return True
    if getattr(connection, "_has_events", True):
        dispatch = connection.dispatch
    elif getattr(engine, "_has_events", True):
        dispatch = engine.dispatch
    else:
        return False  # no listener of any kind
    return bool(
        dispatch.before_execute or dispatch.after_execute or dispatch.before_cursor_execute or dispatch.after_cursor_execute
    )


def execute(connection: Connection, sql: str, parameters: Any = None) -> int:
    """Run ``sql`` on the connection's DB-API cursor; returns its rowcount."""
    return _on_cursor(connection, sql, parameters, attrgetter("rowcount"))


def driver_cursor(connection: Connection):
    """The DB-API cursor modmig reuses on ``connection``'s DB-API connection, for as long as that
    connection lives (a cursor per statement cost a psycopg cursor's set-up four times a migration).
    Every statement run on it is read to the end or has no rows, so it is always ready for the next."""
    pooled = connection.connection
    dbapi_connection = pooled.dbapi_connection
    found = pooled.info.get("modmig.cursor")
    if found is None or found[0] is not dbapi_connection:
        found = pooled.info["modmig.cursor"] = (dbapi_connection, dbapi_connection.cursor())
    return found[1]


def rows(connection: Connection, sql: str, parameters: Any = None, prepare: bool = False) -> list[tuple]:
    """Run the query ``sql`` on the DB-API cursor and return every row (through SQLAlchemy when
    something watches the statements). For the statements modmig runs many times per target, such
    as the lock and its fence: ``Connection.execute(text(...))`` cost ten times the driver's work.

    ``prepare``: psycopg 3 prepares the statement on the server (once per connection), for a query
    run before every step whose planning costs more than its execution (the PostgreSQL fence)."""
    if observed(connection):
        return [tuple(row) for row in connection.exec_driver_sql(sql, parameters)]
    return _on_cursor(connection, sql, parameters, methodcaller("fetchall"), prepare)


def _on_cursor(connection: Connection, sql: str, parameters: Any, read: Callable[[Any], Any], prepare: bool = False) -> Any:
    """Run ``sql`` on the reused DB-API cursor and ``read`` what it gives; a driver error becomes
    SQLAlchemy's ``DBAPIError`` (with ``.orig``), as ``Connection.execute`` would raise it."""
    cursor = driver_cursor(connection)
    dbapi_error = connection.dialect.loaded_dbapi.Error
    try:
        if prepare:
            cursor.execute(sql, parameters, prepare=True)
        elif parameters is None:
            cursor.execute(sql)  # no parameters: a '%' or '?' in the SQL is just a character
        else:
            cursor.execute(sql, parameters)
        return read(cursor)
    except dbapi_error as error:
        raise DBAPIError.instance(sql, parameters, error, dbapi_error, dialect=connection.dialect) from error


class Prepared:
    """A statement compiled once for one dialect: its SQL, parameter order and bind processors."""

    def __init__(self, statement: ClauseElement, dialect: Dialect, keys: Iterable[str]) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
        self.sql = compiled.string
        names = list(compiled.positiontup or []) if compiled.positional else list(compiled.binds)
        #: Parameter names in the order a positional paramstyle needs them (else any order).
        self.names = names
        self.positional = compiled.positional
        #: Each parameter with its bind processor (or None), in ``names`` order: a write builds its
        #: parameters in one pass.
        self.binds = tuple(
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names
        )

    def with_sql(self, sql: str) -> "Prepared":
        """The same statement with another SQL text (another schema's name in it)."""
        copy = object.__new__(Prepared)
        copy.__dict__.update(self.__dict__, sql=sql)
        return copy

    def execute(self, connection: Connection, values: dict[str, Any]) -> int:
        """Run with ``values`` (a value for every parameter); returns the rowcount."""
        if self.positional:
            bound: Any = tuple([values[name] if process is None else process(values[name]) for name, process in self.binds])
        else:
            bound = {name: values[name] if process is None else process(values[name]) for name, process in self.binds}
        return execute(connection, self.sql, bound)
