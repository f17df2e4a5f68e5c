"""What the PostgreSQL and MySQL backends share: engines for database servers and session locks.

``session_lock`` holds a session-level lock on a *dedicated* connection, in autocommit so it
never holds a transaction open (an open snapshot would make ``CREATE INDEX CONCURRENTLY`` wait
for it); the server releases it by itself when the connection ends, even when the process
holding it was killed. MySQL's ``GET_LOCK`` is held that way, the migrations running on another
connection; PostgreSQL holds its advisory lock on the migrating session itself (``postgresql.py``).
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from typing import Callable, Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError, NoSuchModuleError

from ...errors import DatabaseUnavailable
from .base import WaitCallback, driver_message, open_connection, scrub
from .fence import Fence, Heartbeat
from .locking import wait_for_lock

#: Seconds between two statements on a lock session, so server idle timeouts (PostgreSQL's
#: ``idle_session_timeout``, MySQL's ``wait_timeout``) longer than this never end it.
SESSION_HEARTBEAT = 10.0
#: pip extra -> the driver it installs.
SUPPORTED_DRIVERS = {"postgres": "psycopg", "mysql": "pymysql"}


def with_default_driver(url: URL, driver: str) -> URL:
    """``postgresql://`` -> ``postgresql+psycopg://``: the driver modmig installs, unless one is named."""
    if "+" in url.drivername:
        return url
    return url.set(drivername=f"{url.drivername}+{driver}")


def server_engine(url: URL, display_url: str, extra: str, connect_args: dict, **options) -> Engine:
    """An engine for ``url``; a clear error naming what to install when its driver is missing.

    ``options`` go to ``create_engine`` (a fleet sizes the pool it shares between targets)."""
    try:
        return create_engine(url, connect_args=connect_args, **options)
    except (ImportError, NoSuchModuleError) as error:
        supported = SUPPORTED_DRIVERS[extra]
        if url.get_driver_name() == supported:
            advice = f"install it with: pip install 'modmig[{extra}]'"
        else:
            advice = f"install it, or use {url.get_backend_name()}+{supported}:// (pip install 'modmig[{extra}]')"
        raise DatabaseUnavailable(display_url, f"its driver is not installed ({error}); {advice}") from None


def lock_name(*parts: str | None) -> str:
    """A stable digest of what identifies one project's bookkeeping (database, schema, table)."""
    return hashlib.sha256("\0".join(part or "" for part in parts).encode()).hexdigest()


@contextmanager
def session_lock(
    engine: Engine,
    display_url: str,
    try_acquire: Callable[[Connection], bool],
    release: Callable[[Connection], None],
    holder: Callable[[Connection], "str | None"],
    timeout: float,
    on_wait: WaitCallback,
    fence_for: "Callable[[Connection], Fence] | None" = None,
) -> Iterator[Fence]:
    """Hold a server-side session lock on a dedicated autocommit connection while the block runs.

    Yields the lock's ``Fence`` (``fence_for(lock_connection)``: a probe, run on the migrating
    connection, that the lock session still holds the lock). A heartbeat keeps the lock session
    from idling (``SESSION_HEARTBEAT``) and tells the fence when that session is gone.
    """
    connection = open_connection(engine, display_url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        try:
            wait_for_lock(lambda: try_acquire(connection), lambda: holder(connection), timeout, on_wait)
            fence = fence_for(connection) if fence_for is not None else Fence()
        except DBAPIError as error:
            raise DatabaseUnavailable(display_url, "taking the migration lock failed: " + scrub(driver_message(error.orig), engine.url.password)) from None
        try:
            with Heartbeat(fence, lambda: _ping(connection), SESSION_HEARTBEAT):
                yield fence
        finally:
            try:
                release(connection)
            except DBAPIError:
                # The connection broke; closing it for good makes the server drop the lock.
                connection.invalidate()
    finally:
        connection.close()


def _ping(connection: Connection) -> "str | None":
    """One heartbeat of a lock session: a statement, so the server's idle timeouts never end it."""
    try:
        connection.exec_driver_sql("SELECT 1")
    except DBAPIError as error:
        return f"the session holding the lock stopped answering ({driver_message(error.orig)}); the server released the lock with it"
    return None


def scalar(connection: Connection, sql: str, **params):
    return connection.execute(text(sql), params).scalar()


def timeout_hint(setting: str, seconds: float | None, doing: str) -> str:
    """What to tell the operator when a statement was stopped by a lock or statement timeout."""
    if seconds is None:
        return f"the database's own {setting} setting ran out while the statement was {doing}"
    return (
        f"stopped by timeouts.{setting} ({seconds:g} s in modmig.yaml) while {doing}, instead of "
        f"stalling other sessions; retry when the database is less busy, or raise timeouts.{setting}"
    )
