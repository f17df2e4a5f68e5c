"""PostgreSQL (psycopg 3): transactional DDL, a polled advisory lock, a schema, and timeouts.

* Every migration, its version bump and its history row are one transaction: DDL included.
* The lock is ``pg_try_advisory_lock(key)``, held by the session that runs the migrations and
  polled in short transactions of its own, never a blocking ``pg_advisory_lock``: a blocked lock
  wait is a transaction that ``CREATE INDEX CONCURRENTLY`` in another session's ``transaction
  off`` migration would wait for (the deadlock known from Flyway and golang-migrate). One session
  for both means a step cannot commit once the lock is gone (``SessionFence``). The key is
  derived from the database, the schema and the bookkeeping table, so two projects in one
  database with different ``schema:`` do not block each other. Waiting processes read the holder
  from ``pg_locks`` / ``pg_stat_activity``; modmig's connections carry ``application_name =
  "modmig (pid N) user@host"`` so the holder is named.
* ``schema:`` puts the bookkeeping tables in that schema (created if missing) and puts the schema
  first on every connection's ``search_path``, so unqualified names in migrations land there too.
* ``timeouts:`` become ``SET LOCAL lock_timeout`` / ``statement_timeout`` at the start of every
  migration's transaction: a migration waiting on a busy table fails fast instead of queueing every
  other query on that table behind it.
* ``client_connection_check_interval`` (PostgreSQL 14+) makes the server cancel the statement of a
  modmig process that died (SIGKILL, lost VM), so its transaction rolls back and releases its
  locks within seconds instead of running on to the end.
* Behind a pooler in transaction mode (``topology: pgbouncer-transaction``, or detected: the
  server's ``inet_server_port()`` is not the port of the URL) nothing session-scoped is used:
  the lease lock instead of the advisory lock, ``SET LOCAL`` for the schema's ``search_path`` and
  the timeouts inside each transaction, and no server-side prepared statements
  (``prepare_threshold = None``: psycopg would otherwise prepare a query run five times, on a
  server session the next transaction may not have). A ``transaction off`` migration there runs
  statement by statement without session settings, and is refused when ``timeouts:`` or
  ``schema:`` would need them.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError

from ..bookkeeping_rows import VERSIONS_TABLE
from ...files.splitter import Statement, split_statements
from ...errors import DatabaseUnavailable
from .base import CONNECT_TIMEOUT, WaitCallback, driver_message, executed_by, open_connection, scrub
from .fence import Fence, SessionFence
from .locking import wait_for_lock
from .profile import LockSettings
from .server import (
    lock_name,
    server_engine,
    timeout_hint,
    with_default_driver,
)
from .strategy import ProfiledLock

T = TypeVar("T")

#: How often the server checks that a modmig client running a statement is still there.
CLIENT_CHECK_INTERVAL = "2s"
_MAX_APPLICATION_NAME = 63

_HOLDER_QUERY = """
SELECT a.pid, a.application_name, a.usename, host(a.client_addr) AS client, a.client_hostname
FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::bigint = :high AND l.objid::bigint = :low
"""

_TRY_LOCK = "SELECT pg_try_advisory_lock(%(key)s)"
_UNLOCK = "SELECT pg_advisory_unlock(%(key)s)"


class PostgresBackend(ProfiledLock):
    name = "postgresql"
    transactional_ddl = True

    def __init__(
        self,
        url: URL,
        engine: Engine | None = None,
        schema: str | None = None,
        timeouts: dict[str, float] | None = None,
        engine_options: dict | None = None,
        lock_settings: LockSettings | None = None,
    ) -> None:
        url = with_default_driver(url, "psycopg")
        self.display_url = url.render_as_string(hide_password=True)
        self.schema = schema
        self.timeouts = dict(timeouts or {})
        self.lock_settings = lock_settings or LockSettings()
        self.url = url
        #: (topology, evidence, server version), once the first connection told it.
        self._detected: tuple[str, str, str | None] | None = None
        #: False for an engine handed in by an embedding program: modmig must not change it
        #: (its session settings are applied by ``borrow`` instead, and undone afterwards).
        self.owns_engine = engine is None
        if engine is None:
            connect_args: dict = {}
            if "application_name" not in url.query:
                # pid first: PostgreSQL cuts application_name at 63 characters
                connect_args["application_name"] = f"modmig (pid {os.getpid()}) {executed_by()}"[:_MAX_APPLICATION_NAME]
            if "connect_timeout" not in url.query:
                connect_args["connect_timeout"] = CONNECT_TIMEOUT
            if "keepalives" not in url.query:  # a dead lock session or peer is noticed by the kernel too
                connect_args.update(keepalives=1, keepalives_idle=30, keepalives_interval=10, keepalives_count=3)
            if self.lock_settings.topology == "pgbouncer-transaction":
                connect_args["prepare_threshold"] = None
            engine = server_engine(url, self.display_url, "postgres", connect_args, **(engine_options or {}))
        self.engine = engine
        self._quote = engine.dialect.identifier_preparer.quote
        if self.owns_engine:
            event.listen(engine, "connect", self._configure_session, insert=True)
        key = int(lock_name(url.database or url.username, schema or "public", VERSIONS_TABLE)[:16], 16)
        self.lock_key = key - (1 << 64) if key >= 1 << 63 else key  # a signed bigint

    # -- the protocol --------------------------------------------------------------------------

    @contextmanager
    def session_lock(self, timeout: float, on_wait: WaitCallback, connection: Connection | None = None) -> Iterator[Fence]:
        """The advisory lock, held by the session of ``connection``: the one that migrates
        (without one, by a connection of its own, for a caller that only holds the lock).

        Its steps then commit on the session that holds the lock, so no step can commit once the
        lock is gone: no probe of ``pg_locks`` before each commit, no second connection per run.
        Polled in short transactions of their own, so no snapshot is held while waiting (``CREATE
        INDEX CONCURRENTLY`` in another run waits for snapshots, not for this session's locks)."""
        if connection is None:
            with open_connection(self.engine, self.display_url) as own, self.session_lock(timeout, on_wait, own) as fence:
                yield fence
            return
        key = self.lock_key

        def in_own_transaction(work: Callable[[], T]) -> T:
            try:
                return work()
            finally:
                if connection.in_transaction():
                    connection.commit()

        try:
            wait_for_lock(
                lambda: in_own_transaction(lambda: bool(connection.exec_driver_sql(_TRY_LOCK, {"key": key}).scalar())),
                lambda: in_own_transaction(lambda: self._holder(connection)),
                timeout,
                on_wait,
            )
        except DBAPIError as error:
            raise DatabaseUnavailable(self.display_url, "taking the migration lock failed: " + scrub(driver_message(error.orig), self.url.password)) from None
        dbapi_connection = connection.connection.dbapi_connection
        pid = dbapi_connection.info.backend_pid  # psycopg knows it from the connection's start
        fence = SessionFence(dbapi_connection, lambda: _session_gone(pid))
        try:
            yield fence
        finally:
            self._unlock(connection, fence)

    def _unlock(self, connection: Connection, fence: SessionFence) -> None:
        """Release the lock on its session; a session that is gone released it when it ended."""
        if fence.gone() is not None:
            return
        try:
            if connection.invalidated or connection.connection.dbapi_connection is not fence.dbapi_connection:
                return  # a new session: the one that held the lock ended, and the lock with it
            if connection.in_transaction():
                connection.rollback()
            connection.exec_driver_sql(_UNLOCK, {"key": self.lock_key})
            connection.commit()
        except DBAPIError:
            connection.invalidate()  # closing the session for good makes the server drop the lock

    def detect_topology(self) -> tuple[str, str, str | None]:
        """Behind a pooler or not, from where the server says it listens; and the server version."""
        if self._detected is None:
            with open_connection(self.engine, self.display_url) as connection:
                if self._detected is None:  # not seen by the connect listener (a caller's engine)
                    self._detected = self._detect(connection.connection.dbapi_connection)
        return self._detected

    def refuse_step(self, step) -> str | None:
        """Why a step cannot run on this topology (checked before anything runs), or None."""
        if step.migration.transaction or not self._pooled() or not (self.timeouts or self.schema):
            return None
        needs = " and ".join(
            what for what, needed in (("timeouts: (SET lock_timeout / statement_timeout)", self.timeouts),
                                      (f"schema: {self.schema} (SET search_path)", self.schema)) if needed
        )
        return (
            "runs with 'transaction off', and through PgBouncer in transaction mode (topology "
            "pgbouncer-transaction) each of its statements may run on another server session, so modmig "
            f"cannot apply the session settings {needs} to them. Run it in a transaction if it can, "
            "qualify its names and drop the timeouts, or run it against the server directly (a URL to "
            "PostgreSQL itself, topology: direct)"
        )

    def split(self, script: str, first_line: int = 1) -> list[Statement]:
        return split_statements(script, first_line, dialect="postgresql")

    def ensure_bookkeeping(self, connection: Connection, recorder) -> None:
        if self.schema:
            connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {self._quote(self.schema)}")
        recorder.ensure(connection)

    def prepare_transaction(self, connection: Connection) -> None:
        scope = "LOCAL " if connection.in_transaction() else ""
        if self._pooled():
            if not scope:
                return  # a statement of its own: no session to set (refuse_step refused it if it needed one)
            if self.schema:
                connection.exec_driver_sql(f"SET LOCAL search_path TO {self._quote(self.schema)}, public")
            if (connection.dialect.server_version_info or (0,)) >= (14,):
                # PgBouncer closes its server connection when its client dies mid-transaction: the
                # server then cancels the dead run's statement, as _configure_session has it directly.
                connection.exec_driver_sql(f"SET LOCAL client_connection_check_interval = '{CLIENT_CHECK_INTERVAL}'")
        for setting in ("lock_timeout", "statement_timeout"):
            seconds = self.timeouts.get(setting)
            if seconds is not None:
                connection.exec_driver_sql(f"SET {scope}{setting} = '{round(seconds * 1000)}ms'")

    def explain_failure(self, error: BaseException) -> str | None:
        sqlstate = getattr(getattr(error, "orig", None), "sqlstate", None)
        message = str(getattr(error, "orig", error))
        if sqlstate == "55P03" and "lock timeout" in message:
            return timeout_hint("lock_timeout", self.timeouts.get("lock_timeout"), "waiting for a lock another session holds on a table it needs")
        if sqlstate == "57014" and "statement timeout" in message:
            return timeout_hint("statement_timeout", self.timeouts.get("statement_timeout"), "running")
        return None

    def session_id(self, connection: Connection) -> None:
        return None  # the server cancels the statement of a client that died (client_connection_check_interval)

    def privilege_hint(self, error: BaseException) -> str | None:
        """For "permission denied" (SQLSTATE 42501): which privilege is missing, and the GRANT that gives it."""
        orig = getattr(error, "orig", error)
        if getattr(orig, "sqlstate", None) != "42501":
            return None
        message = str(getattr(getattr(orig, "diag", None), "message_primary", None) or orig).splitlines()[0]
        user = self.engine.url.username or "the current role"
        database = self.engine.url.database
        found = re.match(r"permission denied for (schema|table|database|sequence|relation) (\S+)", message)
        if found is not None:
            kind, name = found.groups()
            privilege = {"schema": "CREATE", "database": "CREATE", "table": "SELECT, INSERT, UPDATE, DELETE",
                         "relation": "SELECT, INSERT, UPDATE, DELETE", "sequence": "USAGE, SELECT"}[kind]
            target = "TABLE" if kind == "relation" else kind.upper()
            return (
                f"role {user} lacks {privilege} on {kind} {name} of database {database}; grant it with "
                f"'GRANT {privilege} ON {target} {name} TO {user};'"
                + (" or set schema: in modmig.yaml to a schema it may create tables in" if kind == "schema" else "")
            )
        found = re.match(r"must be (?:the )?owner of (\w+) (\S+)", message)
        if found is not None:
            return (
                f"role {user} does not own {found.group(1)} {found.group(2)} of database {database}, and only its "
                f"owner may alter it: run this once as the owner, or 'ALTER {found.group(1).upper()} {found.group(2)} OWNER TO {user};'"
            )
        return f"role {user} lacks a privilege on database {database} ({message})"

    def running_statement(self, connection: Connection, session: str) -> None:
        return None  # the server cancels the statement of a client that died

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def borrow(self, connection: Connection) -> Iterator[None]:
        """modmig's session settings on a caller's connection while modmig uses it, then the caller's again."""
        if self.owns_engine:
            yield
            return
        dbapi_connection = connection.connection.dbapi_connection
        saved = self._session_values(dbapi_connection)
        self._configure_session(dbapi_connection, None)
        try:
            yield
        finally:
            if connection.in_transaction():
                connection.rollback()
            self._run_in_autocommit(
                dbapi_connection, [f"SELECT set_config('{name}', %s, false)" for name in saved], list(saved.values())
            )

    # -- internals -----------------------------------------------------------------------------

    def _configure_session(self, dbapi_connection, _record) -> None:
        """Session settings for every new connection (before SQLAlchemy's own first queries).

        The first connection also tells the topology; behind a transaction pooler there is no
        session to configure, and psycopg must not prepare statements on it."""
        if self._detected is None:
            self._detected = self._detect(dbapi_connection)
        if self._pooled():
            if hasattr(dbapi_connection, "prepare_threshold"):
                dbapi_connection.prepare_threshold = None
            return
        settings = []
        if self.schema:
            settings.append(f"SET search_path TO {self._quote(self.schema)}, public")
        info = getattr(dbapi_connection, "info", dbapi_connection)  # psycopg 3, or psycopg2
        if getattr(info, "server_version", 0) >= 140000:
            settings.append(f"SET client_connection_check_interval = '{CLIENT_CHECK_INTERVAL}'")
        self._run_in_autocommit(dbapi_connection, settings)

    @staticmethod
    def _session_values(dbapi_connection) -> dict[str, str]:
        """The settings ``_configure_session`` may change, as the session has them now."""
        values = {}
        with dbapi_connection.cursor() as cursor:
            for name in ("search_path", "client_connection_check_interval"):
                cursor.execute("SELECT current_setting(%s, true)", (name,))
                value = cursor.fetchone()[0]
                if value is not None:
                    values[name] = value
        dbapi_connection.rollback()
        return values

    @staticmethod
    def _run_in_autocommit(dbapi_connection, statements: list[str], parameters: list | None = None) -> None:
        if not statements:
            return
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        with dbapi_connection.cursor() as cursor:
            for index, statement in enumerate(statements):
                if parameters is None:
                    cursor.execute(statement)
                else:
                    cursor.execute(statement, (parameters[index],))
        dbapi_connection.autocommit = autocommit

    def _pooled(self) -> bool:
        if self.lock_settings.topology != "auto":
            return self.lock_settings.topology == "pgbouncer-transaction"
        return self._detected is not None and self._detected[0] == "pgbouncer-transaction"

    def _detect(self, dbapi_connection) -> tuple[str, str, str | None]:
        """``inet_server_port()`` is where the server listens for this session: not the URL's port,
        or NULL (a local socket) for a URL over TCP, means something in between (a pooler)."""
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT inet_server_port(), current_setting('server_version')")
            port, version = cursor.fetchone()
        if not dbapi_connection.autocommit:
            dbapi_connection.rollback()
        host = self.url.host or self.url.query.get("host")
        tcp = bool(host) and not str(host).startswith("/")
        url_port = self.url.port or 5432
        if port is not None and int(port) != url_port:
            return ("pgbouncer-transaction", f"a pooler: the URL connects to port {url_port}, the server listens on {port}", version)
        if port is None and tcp:
            return ("pgbouncer-transaction", "a pooler: the URL connects over TCP, the server was reached over a local socket", version)
        return ("direct", f"the server answers on the URL's port {url_port}" if tcp else "a local socket", version)

    def _holder(self, connection: Connection) -> str | None:
        key = self.lock_key & 0xFFFFFFFFFFFFFFFF
        row = connection.execute(text(_HOLDER_QUERY), {"high": key >> 32, "low": key & 0xFFFFFFFF}).mappings().first()
        if row is None:
            return None
        where = row["client_hostname"] or row["client"] or "a local socket"
        session = f"server pid {row['pid']}, user {row['usename']}, from {where}"
        return f"{row['application_name']} [{session}]" if row["application_name"] else session


def _session_gone(pid: int) -> str:
    return (
        f"the session that ran the migrations and held the migration lock (server pid {pid}) is gone: "
        "terminated on the server (pg_terminate_backend), ended by a timeout, or cut off from the network; "
        "the migration lock went with it"
    )
