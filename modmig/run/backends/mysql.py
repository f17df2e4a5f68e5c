"""MySQL and MariaDB (PyMySQL): DDL that commits implicitly, ``GET_LOCK``, per-statement progress.

* MySQL commits before and after every DDL statement, so a migration cannot be rolled back as a
  whole (``transactional_ddl = False``). The executor therefore runs each statement in its own
  transaction together with the app's progress counter in ``_schema_versions``: after a failure or
  a crash the app is *dirty* with exactly how many statements succeeded, and the next upgrade
  resumes at the first one that did not (see docs/backends.md for the one window this cannot
  close: a DDL statement that committed just before the process died).
* The lock is ``GET_LOCK(name, 0)`` polled on a dedicated autocommit connection; the server
  releases it when that connection ends, also when the process was killed. The name is derived
  from the database and the bookkeeping table. The holder is shown as its connection id, user and
  client host:port (MySQL cannot tell the client's pid unless ``performance_schema`` is on; then
  it is shown too).
* ``timeouts.lock_timeout`` sets ``lock_wait_timeout`` (metadata locks: DDL waiting on a busy
  table) and ``innodb_lock_wait_timeout`` (row locks), in whole seconds;
  ``timeouts.statement_timeout`` sets ``max_statement_time`` on MariaDB and
  ``max_execution_time`` on MySQL (which limits only SELECT).
* A ``schema:`` is a PostgreSQL option: in MySQL a schema *is* a database, named in the URL.
* On a Galera cluster (``@@wsrep_on = ON``, or ``topology: galera``) ``GET_LOCK`` holds on one
  node only, so the lease lock is taken instead; DDL must run in Total Order Isolation
  (``wsrep_OSU_method = TOI``, replicated to every node in the same order): a session set to RSU
  (applied on this node only) is refused before anything runs (docs/backends.md, "Galera").
"""

from __future__ import annotations

import math
import re
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import DBAPIError

from ...errors import ConfigError, DatabaseUnavailable
from ..bookkeeping_rows import VERSIONS_TABLE
from ...files.splitter import Statement, split_statements
from .base import CONNECT_TIMEOUT, WaitCallback, open_connection
from .fence import QueryFence
from .profile import LockSettings
from .server import lock_name, scalar, server_engine, session_lock, timeout_hint, with_default_driver
from .strategy import ProfiledLock

#: Server error codes of a privilege the account lacks: command denied for a table or column,
#: access denied to a database, a statement needing SUPER (or another global privilege).
_PRIVILEGE_ERRORS = (1142, 1143, 1044, 1227, 1370)
#: Server error codes of a statement stopped by a timeout.
_LOCK_WAIT_TIMEOUT = 1205
_STATEMENT_TIMEOUTS = (1969, 3024)  # MariaDB max_statement_time, MySQL max_execution_time


class MysqlBackend(ProfiledLock):
    name = "mysql"
    transactional_ddl = False
    #: This Galera node's name (``wsrep_node_name``), once detected; None elsewhere.
    _node: str | None = None

    def __init__(
        self,
        url: URL,
        engine: Engine | None = None,
        schema: str | None = None,
        timeouts: dict[str, float] | None = None,
        engine_options: dict | None = None,
        lock_settings: LockSettings | None = None,
    ) -> None:
        url = with_default_driver(url, "pymysql")
        self.display_url = url.render_as_string(hide_password=True)
        self.lock_settings = lock_settings or LockSettings()
        if schema:
            raise ConfigError(
                f"'schema: {schema}' is a PostgreSQL option. In MySQL and MariaDB a schema is a "
                f"database: name it in the URL ({url.set(database=schema).render_as_string(hide_password=True)})."
            )
        self.timeouts = dict(timeouts or {})
        if engine is None:
            connect_args = {} if "connect_timeout" in url.query else {"connect_timeout": CONNECT_TIMEOUT}
            # PyMySQL's connect_timeout ends at the TCP handshake: a port that accepts and never
            # sends the server's greeting (a wedged proxy) hung the run for ever. The greeting gets
            # a read timeout; once connected, reads are unbounded again (a migration may run long).
            bounded_greeting = url.get_driver_name() == "pymysql" and "read_timeout" not in url.query
            if bounded_greeting:
                connect_args["read_timeout"] = CONNECT_TIMEOUT
            engine = server_engine(url, self.display_url, "mysql", connect_args, **(engine_options or {}))
            if bounded_greeting:
                event.listen(engine, "connect", _unbounded_reads, insert=True)
        self.engine = engine
        self.lock_name = "modmig." + lock_name(url.database, VERSIONS_TABLE)[:40]

    # -- the protocol --------------------------------------------------------------------------

    @contextmanager
    def session_lock(self, timeout: float, on_wait: WaitCallback, connection: Connection | None = None) -> Iterator[QueryFence]:
        """``GET_LOCK`` on a connection of its own (``connection`` is not used): MySQL commits DDL
        implicitly, so the fence is asked before each statement anyway."""
        name = self.lock_name
        with session_lock(
            self.engine,
            self.display_url,
            lambda c: scalar(c, "SELECT GET_LOCK(:name, 0)", name=name) == 1,
            lambda c: scalar(c, "SELECT RELEASE_LOCK(:name)", name=name),
            self._holder,
            timeout,
            on_wait,
            self._fence,
        ) as fence:
            yield fence

    def detect_topology(self) -> tuple[str, str, str | None]:
        """A Galera node or not (``wsrep_on``), and the server version; refuses a session set to RSU."""
        with open_connection(self.engine, self.display_url) as connection:
            found = {
                str(name).lower(): str(value)
                for name, value in connection.exec_driver_sql(
                    "SHOW VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_osu_method', 'wsrep_node_name', 'version')"
                )
            }
            connection.rollback()
        version = found.get("version")
        if found.get("wsrep_on", "OFF").upper() != "ON":
            return ("direct", "@@wsrep_on is OFF or absent: not a Galera node", version)
        method = found.get("wsrep_osu_method", "TOI").upper()
        if method != "TOI":
            raise DatabaseUnavailable(
                self.display_url,
                f"this Galera session has wsrep_OSU_method = {method}: DDL would change this node only "
                f"(Rolling Schema Upgrade) while modmig records it as applied for the whole cluster. "
                f"modmig runs DDL in Total Order Isolation only: use TOI (the default) for modmig's "
                f"sessions; for a large table, see docs/backends.md (Galera: TOI and RSU)",
            )
        self._node = found.get("wsrep_node_name") or None
        return ("galera", "@@wsrep_on = ON (a Galera cluster node; wsrep_OSU_method = TOI)", version)

    def split(self, script: str, first_line: int = 1) -> list[Statement]:
        return split_statements(script, first_line, dialect="mysql")

    def ensure_bookkeeping(self, connection: Connection, recorder) -> None:
        recorder.ensure(connection)

    def prepare_transaction(self, connection: Connection) -> None:
        lock_timeout = self.timeouts.get("lock_timeout")
        if lock_timeout is not None:
            seconds = max(1, math.ceil(lock_timeout))
            connection.exec_driver_sql(f"SET SESSION lock_wait_timeout = {seconds}")
            connection.exec_driver_sql(f"SET SESSION innodb_lock_wait_timeout = {seconds}")
        statement_timeout = self.timeouts.get("statement_timeout")
        if statement_timeout is not None:
            if self.engine.dialect.is_mariadb:
                connection.exec_driver_sql(f"SET SESSION max_statement_time = {statement_timeout:.3f}")
            else:
                connection.exec_driver_sql(f"SET SESSION max_execution_time = {round(statement_timeout * 1000)}")

    def explain_failure(self, error: BaseException) -> str | None:
        args = getattr(getattr(error, "orig", None), "args", ())
        code = args[0] if args else None
        if code == _LOCK_WAIT_TIMEOUT:
            return timeout_hint("lock_timeout", self.timeouts.get("lock_timeout"), "waiting for a lock another session holds")
        if code in _STATEMENT_TIMEOUTS:
            return timeout_hint("statement_timeout", self.timeouts.get("statement_timeout"), "running")
        return None

    def privilege_hint(self, error: BaseException) -> str | None:
        """For "command denied" / "access denied" errors: which privilege is missing, on which database."""
        args = getattr(getattr(error, "orig", error), "args", ())
        if not args or args[0] not in _PRIVILEGE_ERRORS:
            return None
        message = str(args[1]) if len(args) > 1 else ""
        database = self.engine.url.database
        account = re.search(r"user '([^']*)'@'([^']*)'", message)
        who = f"'{account.group(1)}'@'{account.group(2)}'" if account else f"'{self.engine.url.username}'"
        command = re.match(r"(\w+(?: \w+)*) command denied", message)
        privilege = command.group(1).upper() if command else "the privileges modmig needs (CREATE, ALTER, SELECT, INSERT, UPDATE)"
        return f"user {who} lacks {privilege} on database {database}; grant it with 'GRANT {privilege} ON `{database}`.* TO {who};'"

    @contextmanager
    def borrow(self, connection: Connection) -> Iterator[None]:
        """Nothing to adjust: MySQL's session settings are set per migration (prepare_transaction)."""
        yield

    def session_id(self, connection: Connection) -> str | None:
        """The connection id: a statement whose client died keeps running under it (``ddl_effects``)."""
        dbapi = connection.connection.dbapi_connection
        thread_id = getattr(dbapi, "thread_id", None)
        if not callable(thread_id):
            return None
        # on Galera a connection id means something on its own node only: "id@node"
        return f"{thread_id()}@{self._node}"[:64] if self._node else str(thread_id())

    def running_statement(self, connection: Connection, session: str) -> str | None:
        """What session ``session`` is running now, or None: MariaDB finishes a DDL statement whose
        client was killed, so a resume waits for it before judging its effect. A session of another
        Galera node cannot be seen from here (its DDL ran in TOI, on every node alike): None."""
        session, _, node = session.partition("@")
        if node and node != self._node:
            return None
        row = connection.execute(
            text("SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = :id AND COMMAND <> 'Sleep'"),
            {"id": int(session)},
        ).first()
        if connection.in_transaction():
            connection.commit()
        return row[0] if row is not None and row[0] else None

    def dispose(self) -> None:
        self.engine.dispose()

    # -- internals -----------------------------------------------------------------------------

    def _fence(self, lock_connection: Connection) -> QueryFence:
        """The probe run on the migrating connection: does the lock session still own the lock?"""
        owner = scalar(lock_connection, "SELECT CONNECTION_ID()")
        name = self.lock_name

        def probe(connection: Connection, alone: bool = False) -> str | None:
            now = scalar(connection, "SELECT IS_USED_LOCK(:name)", name=name)
            if now == owner:
                return None
            held = f"; the lock is now held by connection {now}" if now is not None else ""
            return (
                f"the connection holding GET_LOCK (connection id {owner}) is gone: killed on the server (KILL), "
                f"ended by wait_timeout, or cut off from the network{held}"
            )

        return QueryFence(probe)

    def _holder(self, connection: Connection) -> str | None:
        owner = scalar(connection, "SELECT IS_USED_LOCK(:name)", name=self.lock_name)
        if owner is None:
            return None
        row = connection.execute(
            text("SELECT USER, HOST FROM information_schema.PROCESSLIST WHERE ID = :id"), {"id": owner}
        ).first()
        who = f"connection {owner}" + (f" of {row[0]} from {row[1]}" if row else "")
        pid = self._client_pid(connection, owner)
        return f"{who}, client pid {pid}" if pid else who

    @staticmethod
    def _client_pid(connection: Connection, owner: int) -> str | None:
        """The client's pid from performance_schema, where it is enabled (PyMySQL sends ``_pid``)."""
        try:
            return scalar(
                connection,
                "SELECT ATTR_VALUE FROM performance_schema.session_connect_attrs "
                "WHERE PROCESSLIST_ID = :id AND ATTR_NAME = '_pid' LIMIT 1",
                id=owner,
            )
        except DBAPIError:  # performance_schema absent or not readable: the pid is unknown
            return None


def _unbounded_reads(dbapi_connection, _record) -> None:
    """Connected: no read timeout any more (PyMySQL applies ``_read_timeout`` before each read)."""
    if hasattr(dbapi_connection, "_read_timeout"):
        dbapi_connection._read_timeout = None
