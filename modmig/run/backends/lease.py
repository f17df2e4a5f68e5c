"""The lease lock: a row in ``_schema_lock`` that works on every backend and every topology.

Why: a session lock (advisory lock, ``GET_LOCK``) is one lock only where every client talks to
one server session space. Behind PgBouncer in transaction mode the session holding it is not the
one the next transaction runs on; on Galera ``GET_LOCK`` holds on one node only. A row in a table
is one row everywhere, and Galera replicates its writes synchronously (a conflicting claim on
another node fails certification). Flyway moved its lock into a table for the same reason.

How (every step a short transaction, every time the *server's* clock, so the clocks of the
machines running modmig do not matter; times are milliseconds since the epoch):

* **claim**: read the row (no lock); if there is none, ``INSERT`` it (insert-or-ignore on the
  primary key); if it ran out, ``UPDATE`` it to this run's token ``WHERE expires_ms < now``. Either
  write changes one row or nothing: two claimers never both win (the primary key, the row lock,
  or Galera's certification of the two writes).
* **heartbeat**: a thread with its own connection renews the lease (``expires_ms = now + lease``)
  every third of the lease while the run lasts, ``WHERE token = this run's``.
* **fence**: before committing each step the executor renews it the same way *on the migrating
  connection, inside the step's transaction* (``Fence.verify``). No row changed means another run
  claimed the lease: the step rolls back (or, on MySQL, stops before its next statement) and the
  run ends with ``LockLost``. A lease that ran out but that nobody claimed yet is renewed (no other
  run can have started: a claim rewrites the token, and the fence's row lock orders the two).
* **release** deletes the row. A holder that died leaves it to expire after the lease.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import BigInteger, Column, MetaData, String, Table, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ...errors import DatabaseUnavailable
from ..bookkeeping_rows import LEASE_TABLE
from .base import WaitCallback, driver_message, open_connection, scrub, who_am_i
from .fence import Fence, Heartbeat, QueryFence
from .locking import wait_for_lock

#: The row's name: one lease per set of bookkeeping tables (the table is per schema/database).
LEASE_NAME = "migrations"
#: The server's clock in milliseconds since the epoch, per backend.
NOW_MS = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
    "mysql": "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)",
    "sqlite": "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
}
_INSERT = {"postgresql": "INSERT INTO", "mysql": "INSERT IGNORE INTO", "sqlite": "INSERT OR IGNORE INTO"}
#: How long one claim or renewal may wait for a row lock (ms): a holder paused between its fence
#: and its commit must not make waiters hang, only retry.
_ROW_WAIT_MS = 1000


def lease_table(metadata: MetaData) -> Table:
    return Table(
        LEASE_TABLE,
        metadata,
        Column("name", String(64), primary_key=True),
        Column("token", String(64), nullable=False),
        Column("holder", String(255)),
        Column("acquired_ms", BigInteger, nullable=False),
        Column("expires_ms", BigInteger, nullable=False),
    )


class LeaseLock:
    """The lease of one database's (or schema's) bookkeeping, for one backend."""

    def __init__(self, engine: Engine, display_url: str, backend: str, schema: str | None, lease: float) -> None:
        self.engine, self.display_url, self.backend = engine, display_url, backend
        self.lease_ms = int(round(lease * 1000))
        self.schema = schema
        self.table = lease_table(MetaData(schema=schema))
        name = engine.dialect.identifier_preparer.format_table(self.table)
        now = NOW_MS[backend]
        conflict = " ON CONFLICT (name) DO NOTHING" if backend == "postgresql" else ""
        self.sql_insert = (
            f"{_INSERT[backend]} {name} (name, token, holder, acquired_ms, expires_ms) "
            f"VALUES (:name, :token, :holder, {now}, {now} + :lease){conflict}"
        )
        self.sql_take_over = (
            f"UPDATE {name} SET token = :token, holder = :holder, acquired_ms = {now}, expires_ms = {now} + :lease "
            f"WHERE name = :name AND expires_ms < {now}"
        )
        self.sql_renew = f"UPDATE {name} SET expires_ms = {now} + :lease WHERE name = :name AND token = :token"
        self.sql_holder = f"SELECT holder, expires_ms - {now}, token FROM {name} WHERE name = :name"
        self.sql_release = f"DELETE FROM {name} WHERE name = :name AND token = :token"
        self._table_known = False

    @contextmanager
    def hold(self, timeout: float, on_wait: WaitCallback) -> Iterator[Fence]:
        """Claim the lease (waiting up to ``timeout`` s), keep it renewed, yield its fence, release it."""
        token = uuid.uuid4().hex
        params = {"name": LEASE_NAME, "token": token, "holder": who_am_i()[:255], "lease": self.lease_ms}
        connection = open_connection(self.engine, self.display_url)
        try:
            try:
                self._session(connection)
                wait_for_lock(lambda: self._claim(connection, params), lambda: self._holder(connection), timeout, on_wait)
            except DBAPIError as error:
                raise DatabaseUnavailable(  # the cause is kept: ``locked`` names a missing privilege
                    self.display_url,
                    "taking the migration lease failed: " + scrub(driver_message(error.orig), self.engine.url.password),
                ) from error
            fence = QueryFence(lambda c, alone: self._verify(c, params, alone))
            try:
                with Heartbeat(fence, lambda: self._beat(connection, params), self.lease_ms / 3000):
                    yield fence
            finally:
                self._release(connection, params)
        finally:
            connection.close()

    # -- the steps -------------------------------------------------------------------------------

    def _claim(self, connection: Connection, params: dict) -> bool:
        """One try: read the row without locking it, and write only when there is a lease to take
        (none, or one that ran out), each write its own transaction. Waiting runs so take no row
        lock while the lease is held, and hold none across two statements: InnoDB would otherwise
        pick the holder's fence as the victim of a deadlock between a claimer's shared and
        exclusive locks."""
        try:
            row = self._read(connection)
            if row is not None and row[1] >= 0:
                return False  # held, and not run out
            with connection.begin():
                self._row_wait(connection)
                sql = self.sql_insert if row is None else self.sql_take_over
                return connection.execute(text(sql), params).rowcount == 1
        except DBAPIError as error:
            if _contended(error):  # a row lock another claim or a fence holds, a certification conflict
                return False
            raise

    def _verify(self, connection: Connection, params: dict, alone: bool) -> str | None:
        """The fence. Inside a transaction that commits (a step, a progress counter): renew the
        lease, which locks its row until that commit. Alone, right before a MySQL statement: a plain
        read is enough while the lease is ours and has two thirds of its time left (a fresh snapshot:
        the check opens its transaction), saving a commit per statement."""
        if alone:
            row = connection.execute(text(self.sql_holder), {"name": LEASE_NAME}).first()
            if row is not None and row[2] == params["token"] and row[1] > self.lease_ms / 3:
                return None
        return self._renew_on(connection, params)

    def _renew_on(self, connection: Connection, params: dict) -> str | None:
        """Renew the lease on ``connection`` (the caller's transaction, or autocommit); None if
        renewed, else why the lease is gone."""
        if connection.execute(text(self.sql_renew), params).rowcount == 1:
            return None
        return self._lost_reason(connection)

    def _beat(self, connection: Connection, params: dict) -> str | None:
        with connection.begin():
            self._row_wait(connection)
            return self._renew_on(connection, params)

    def _release(self, connection: Connection, params: dict) -> None:
        try:
            with connection.begin():
                self._row_wait(connection)
                connection.execute(text(self.sql_release), params)
            self._session(connection, bounded=False)
        except DBAPIError:
            connection.invalidate()  # the row expires by itself after the lease

    def _lost_reason(self, connection: Connection) -> str:
        row = connection.execute(text(self.sql_holder), {"name": LEASE_NAME}).first()
        after = f"its lease ({self.lease_ms / 1000:g} s) ran out without being renewed (was the process paused, or the database unreachable?)"
        if row is None:
            return f"{after}, and another run took the lease over (and has released it since)"
        return f"{after}, and another run took the lease over: {row[0] or 'unknown'}"

    def _holder(self, connection: Connection) -> str | None:
        try:
            with connection.begin():
                row = connection.execute(text(self.sql_holder), {"name": LEASE_NAME}).first()
        except DBAPIError:
            return None
        if row is None:
            return None
        left = row[1] / 1000
        state = f"lease expires in {left:.1f} s" if left >= 0 else f"lease ran out {-left:.1f} s ago"
        return f"{row[0] or 'unknown'} ({state})"

    # -- the table and the session -------------------------------------------------------------

    def _read(self, connection: Connection):
        """The lease's row (holder, ms until it runs out, token), or None; creates the table the
        first time it is missing (no catalog query on every run: that cost 7 ms on PostgreSQL)."""
        try:
            with connection.begin():
                row = connection.execute(text(self.sql_holder), {"name": LEASE_NAME}).first()
        except DBAPIError:
            if self._table_known:
                raise
            self._ensure_table(connection)
            with connection.begin():
                row = connection.execute(text(self.sql_holder), {"name": LEASE_NAME}).first()
        self._table_known = True
        return row

    def _ensure_table(self, connection: Connection) -> None:
        """Create ``_schema_lock`` (and the schema) if missing; another process creating it at the same
        moment is fine."""
        with connection.begin():
            exists = inspect(connection).has_table(LEASE_TABLE, schema=self.schema)
        if not exists:
            try:
                with connection.begin():
                    if self.schema:
                        quoted = connection.dialect.identifier_preparer.quote(self.schema)
                        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quoted}")
                    self.table.create(connection, checkfirst=True)
            except DBAPIError:
                with connection.begin():
                    if not inspect(connection).has_table(LEASE_TABLE, schema=self.schema):
                        raise

    def _session(self, connection: Connection, bounded: bool = True) -> None:
        """Bound this connection's waits on a row lock (MySQL: per session; PostgreSQL: per
        transaction, ``_row_wait``), or (``bounded=False``) give the pooled connection its defaults back."""
        if self.backend == "mysql":
            value = max(1, _ROW_WAIT_MS // 1000) if bounded else "DEFAULT"
            connection.exec_driver_sql(f"SET SESSION innodb_lock_wait_timeout = {value}")
            connection.commit()
        elif self.backend == "sqlite":
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {_ROW_WAIT_MS // 4 if bounded else 5000}")
            connection.commit()

    def _row_wait(self, connection: Connection) -> None:
        if self.backend == "postgresql":
            connection.exec_driver_sql(f"SET LOCAL lock_timeout = '{_ROW_WAIT_MS}ms'")


def _contended(error: DBAPIError) -> bool:
    """A claim that lost a race, not a broken database: lock wait timeout, deadlock / Galera
    certification conflict, SQLite busy."""
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate in ("55P03", "40001", "40P01"):
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in (1205, 1213):
        return True
    return "database is locked" in str(orig)
