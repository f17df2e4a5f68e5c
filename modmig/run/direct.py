"""Run a migration's statements through the driver's cursor, when nothing listens to SQLAlchemy.

Why: ``Connection.exec_driver_sql`` costs about 25 microseconds of Python per statement on top of
the driver (events, result set-up, execution options). For a migration of a handful of DDL
statements that is nothing; for a data file of 50,000 INSERTs it was four times what SQLite
needed to run them (bench/bigfile.py). Inside the transaction modmig already opened, the driver's
own cursor runs the same statements on the same connection and transaction.

When not to: an embedding program that listens to statement events or turned on echo expects to
see every statement, so ``runner`` returns None then and the executor goes through SQLAlchemy.
A driver error is wrapped exactly as SQLAlchemy wraps it (``DBAPIError.instance``), so messages,
timeout hints and privilege hints read the same either way. A signal (Ctrl-C) during a statement
leaves the connection in an unknown state: it is invalidated, as SQLAlchemy would.

May import: nothing of modmig above ``modmig.model``.
"""

from __future__ import annotations

from typing import Callable

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from .cursor import driver_cursor, observed

def runner(connection: Connection) -> Callable[[str], None] | None:
    """A function executing one statement (no parameters) on ``connection``'s driver cursor, or
    None when SQLAlchemy must see the statements (listeners, echo, no open transaction)."""
    if not connection.in_transaction() or observed(connection):
        return None
    cursor = driver_cursor(connection)
    error_class = connection.dialect.loaded_dbapi.Error
    # psycopg prepares a query a connection ran five times. A fleet's shared connection runs the
    # same migration for target after target: that is not a query to keep on the server.
    options = {"prepare": False} if connection.dialect.driver == "psycopg" else {}

    def execute(sql: str) -> None:
        try:
            cursor.execute(sql, **options)
        except error_class as error:
            raise DBAPIError.instance(sql, None, error, error_class) from error
        except BaseException:
            connection.invalidate()
            raise

    return execute
