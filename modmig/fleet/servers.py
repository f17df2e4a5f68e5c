"""Connections for a fleet: one shared pool per server, sized under the server's connection limit.

A thousand tenants on one PostgreSQL database must not mean a thousand connection pools, nor a
thousand new connections: every target of a ``schemas`` fleet borrows from one engine (its
backend sets the tenant's ``search_path`` while it holds a connection and restores it after), and
every database of a MySQL server borrows from one engine per server (``USE`` picks the database).
SQLite files and listed PostgreSQL databases get an engine per target, closed when it is done.

A PostgreSQL target being migrated holds one connection (its session holds the advisory lock);
a MySQL target, or one under a lease, two (the lock lives on a connection of its own, see
``run/backends/server.py``). Before the first target of a server runs, the server's limit is
read (``max_connections`` and what is in use, the role's and the database's own limits on
PostgreSQL; ``max_connections``, ``max_user_connections`` and ``Threads_connected`` on MySQL) and
the number of targets running at once on that server is capped so that the fleet never takes
more than the limit minus a headroom left for the applications.
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from ..config import ProjectConfig
from ..errors import DatabaseUnavailable, TargetMissing
from ..run.backends.base import driver_message, scrub
from ..run.backends.mysql import MysqlBackend
from ..run.backends.postgresql import PostgresBackend
from ..run.backends.profile import settings_from
from ..model import DatabaseState
from ..run.database import ProjectDatabase
from ..run.recorder import Recorder

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from ..run.backends import Backend
    from .discovery import Target

#: Connections a running target holds, by kind: PostgreSQL's migrations run on the session that
#: holds the advisory lock; MySQL's ``GET_LOCK`` (and a lease) holds a connection of its own.
PER_TARGET = {"postgresql": 1, "mysql": 2}
#: Connections left free for everyone else: this share of max_connections, and at least this many.
HEADROOM_SHARE, HEADROOM_MIN = 0.1, 3

_PG_LIMITS = """
SELECT current_setting('max_connections')::int,
       current_setting('superuser_reserved_connections')::int
         + COALESCE(NULLIF(current_setting('reserved_connections', true), ''), '0')::int,
       (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),
       r.rolsuper, r.rolconnlimit, (SELECT count(*) FROM pg_stat_activity WHERE usename = current_user),
       d.datconnlimit, (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database())
FROM pg_roles AS r, pg_database AS d WHERE r.rolname = current_user AND d.datname = current_database()
"""
#: PostgreSQL: the database does not exist; MySQL: unknown database.
_MISSING_SQLSTATE, _MISSING_MYSQL = "3D000", 1049
_PG_NO_DATABASE = re.compile(r'FATAL:\s+database ".*" does not exist')


@dataclass
class Server:
    """One database server's share of the fleet: how many targets may run on it at once, and why."""

    display_url: str
    slots: int
    #: Why ``slots`` is below the requested parallelism (the limit read from the server), if it is.
    limited_by: str | None = None

    def __post_init__(self) -> None:
        self._semaphore = threading.BoundedSemaphore(self.slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._semaphore:
            yield


class Servers:
    """The engines and per-server budgets of one fleet operation; ``close()`` ends them all."""

    def __init__(self, config: ProjectConfig, parallel: int) -> None:
        self.config, self.parallel = config, parallel
        #: ``topology:``, ``lock:``, ``lease:`` for every target's backend (read once, not per target).
        self.lock_settings = settings_from(config)
        self._shared: dict[str, Backend] = {}
        self._servers: dict[str, Server] = {}
        self._lock = threading.RLock()

    # -- what the other modules use ------------------------------------------------------------

    def server(self, target: "Target") -> Server:
        """The target's server, its budget read on first use."""
        key = _server_key(target)
        with self._lock:
            if key not in self._servers:
                self._servers[key] = self._measure(target)
            return self._servers[key]

    def database(self, target: "Target") -> ProjectDatabase:
        """The ``ProjectDatabase`` that migrates ``target`` (``release`` it when done)."""
        if target.kind == "sqlite":
            return ProjectDatabase(self.config, database=target.url)
        shared = self._shared_backend(target)
        engine = shared.engine
        if target.kind == "postgresql":
            schema = target.schema or self.config.schema
            backend: Backend = SchemaOnServer(
                _url(target.url), engine=engine, schema=schema, timeouts=self.config.timeouts,
                lock_settings=self.lock_settings, topology_of=shared, schema_is_target=target.schema is not None,
            )
            return TargetDatabase(self.config, backend, engine, schema, schema_target=target.schema, display_url=target.display_url)
        backend = DatabaseOnServer(_url(target.url), engine, target.database or "", self.config, self.lock_settings)
        return TargetDatabase(self.config, backend, engine, target.database)

    def release(self, target: "Target", database: ProjectDatabase | None = None) -> None:
        """Done with ``target``: close what belongs to it alone (a SQLite file's or a listed database's engine)."""
        if database is not None:
            database.close()
        if target.kind == "postgresql" and target.schema is None:
            with self._lock:
                backend = self._shared.pop(engine_key(target), None)
            if backend is not None:
                backend.dispose()

    @contextmanager
    def connection(self, target: "Target") -> Iterator["Connection"]:
        """A plain connection to the target's server (or database), for discovery and state reads."""
        from sqlalchemy.exc import DBAPIError

        engine = self._engine(target)
        try:
            connection = engine.connect()
        except DBAPIError as error:
            raise unavailable(target, error) from None
        try:
            yield connection
        finally:
            connection.close()

    @property
    def limits(self) -> dict[str, Server]:
        return dict(self._servers)

    def close(self) -> None:
        with self._lock:
            backends, self._shared = list(self._shared.values()), {}
        for backend in backends:
            backend.dispose()

    # -- internals -----------------------------------------------------------------------------

    def _engine(self, target: "Target") -> "Engine":
        return self._shared_backend(target).engine

    def _shared_backend(self, target: "Target") -> "Backend":
        key = engine_key(target)
        with self._lock:
            backend = self._shared.get(key)
            if backend is None:
                backend = self._shared[key] = self._server_backend(target)
            return backend

    def _server_backend(self, target: "Target") -> "Backend":
        # Big enough for every target the server may run at once (the budget caps them below it);
        # a pool only opens connections when they are asked for.
        pool = {"pool_size": 2 * self.parallel + 1, "max_overflow": 0}  # a lease holds a second one
        if target.kind == "postgresql":
            # psycopg prepares a statement on the server once a connection ran it five times: a
            # target's version and history writes (named with its schema) run once per migration,
            # so a target with more than five to apply stops paying their parse and plan (15 % of
            # a fresh fleet's time at 30 migrations). Behind a transaction pooler the backend
            # turns preparing off itself.
            return PostgresBackend(
                _url(target.url), timeouts=self.config.timeouts, engine_options=pool, lock_settings=self.lock_settings
            )
        return MysqlBackend(
            _url(target.url)._replace(database=None), timeouts=self.config.timeouts, engine_options=pool,
            lock_settings=self.lock_settings,
        )

    def _measure(self, target: "Target") -> Server:
        if target.kind == "sqlite":
            return Server("sqlite", self.parallel)
        from sqlalchemy.exc import DBAPIError

        display = _url(target.url)._replace(database=None).render_as_string(hide_password=True)
        with self.connection(target) as connection:
            try:
                available, limit = (_postgres_budget if target.kind == "postgresql" else _mysql_budget)(connection)
            except DBAPIError as error:
                raise unavailable(target, error) from None
        per_target = PER_TARGET[target.kind] if self._shared_backend(target).profile().lock != "lease" else 2
        slots = min(self.parallel, available // per_target)
        if slots < 1:
            raise DatabaseUnavailable(
                display,
                f"only {max(available, 0)} more connection(s) may be opened ({limit}); a target being "
                f"migrated needs {per_target}{' (one holds its lock)' if per_target > 1 else ''}. Free some, or raise the limit.",
            )
        return Server(display, slots, limit if slots < self.parallel else None)


class TargetDatabase(ProjectDatabase):
    """One fleet target: a ``ProjectDatabase`` whose backend borrows its server's shared engine.

    Its bookkeeping tables are named with the target's schema (PostgreSQL) or database (MySQL,
    where a schema is a database), so they never depend on what the shared connection's current
    schema or database happens to be.
    """

    def __init__(
        self, config: ProjectConfig, backend: "Backend", engine: "Engine", schema: str | None,
        schema_target: str | None = None, display_url: str | None = None,
    ) -> None:
        super().__init__(config, engine=engine)
        self._target_backend = backend
        self._target_recorder = Recorder(schema=schema)
        #: The PostgreSQL schema that is the target (a ``schemas:`` fleet), read the fleet's way,
        #: and how the fleet shows the target (``ProjectDatabase.display_url`` is the server's).
        self.schema_target, self.target_display_url = schema_target, display_url

    def read_state(self, connection: "Connection") -> DatabaseState:
        """The target's state, read under its lock; a schema target's in two queries at most
        (``states.read_schema_under_lock``), which also tell the recorder which tables exist."""
        if self.schema_target is None:
            return super().read_state(connection)
        from ..run.privileges import bookkeeping_errors
        from .states import read_schema_under_lock

        if connection.in_transaction():
            connection.commit()
        try:
            with bookkeeping_errors(self.backend, "reading the bookkeeping tables"), connection.begin():
                found = read_schema_under_lock(connection, self.schema_target)
        except TargetMissing:
            raise TargetMissing(self.target_display_url or self.schema_target, "schema") from None
        if found is None:
            return super().read_state(connection)
        state, tables = found
        self.recorder.assume_tables(tables)
        return state

    @property
    def backend(self) -> "Backend":
        return self._target_backend

    @property
    def recorder(self) -> Recorder:
        return self._target_recorder


class SchemaOnServer(PostgresBackend):
    """A PostgreSQL target reached through its database's shared engine.

    Every connection of that engine is the fleet's own, opened by a backend that configured it
    (``application_name``, ``client_connection_check_interval``), so a borrow only has to put the
    target's schema first on the ``search_path``: one statement, where an embedding program's
    connection needs its settings saved and restored (six more round trips per target).
    """

    def __init__(self, url, *, topology_of: PostgresBackend, schema_is_target: bool = False, **options) -> None:
        super().__init__(url, **options)
        # Where the database is reached (directly, or through a pooler) is the database's, asked
        # once on the shared engine; a borrowed engine would ask it again per target (a connection
        # and a query each).
        self._detected = topology_of.detect_topology()
        self.schema_is_target = schema_is_target

    def ensure_bookkeeping(self, connection: "Connection", recorder) -> None:
        """A tenant's schema is the target, seen to exist under the lock: it is never created
        (a tenant dropped meanwhile stays dropped); ``schema:`` of a listed database still is."""
        if self.schema_is_target:
            recorder.ensure(connection)
        else:
            super().ensure_bookkeeping(connection, recorder)

    @contextmanager
    def borrow(self, connection: "Connection") -> Iterator[None]:
        if connection.in_transaction():
            connection.commit()
        search_path = f"SET search_path TO {self._quote(self.schema)}, public" if self.schema else "SET search_path TO DEFAULT"
        self._run_in_autocommit(connection.connection.dbapi_connection, [search_path])
        yield


class DatabaseOnServer(MysqlBackend):
    """A MySQL database reached through its server's shared engine: ``USE`` it on every borrow.

    Everything else (the lock named after this database, per-statement progress, timeouts) is
    the MySQL backend's own.
    """

    def __init__(self, url, engine: "Engine", database: str, config: ProjectConfig, lock_settings=None) -> None:
        super().__init__(url, engine=engine, schema=config.schema, timeouts=config.timeouts, lock_settings=lock_settings)
        #: The lease's table is named with the database, like the bookkeeping (the engine has none).
        self.lease_schema = database
        self._use = f"USE {engine.dialect.identifier_preparer.quote_identifier(database)}"

    @contextmanager
    def borrow(self, connection: "Connection") -> Iterator[None]:
        from sqlalchemy.exc import DBAPIError

        try:
            connection.exec_driver_sql(self._use)
            connection.commit()
        except DBAPIError as error:
            if _is_missing(error):
                raise TargetMissing(self.display_url) from None
            raise DatabaseUnavailable(self.display_url, scrub(driver_message(error.orig), self.engine.url.password)) from None
        yield


def unavailable(target: "Target", error) -> DatabaseUnavailable:
    """The error for a target that refused a connection: TargetMissing when it does not exist."""
    if _is_missing(error):
        return TargetMissing(target.display_url)
    return DatabaseUnavailable(target.display_url, scrub(driver_message(error.orig), _url(target.url).password))


def is_missing(error: BaseException) -> bool:
    """Whether ``error`` (or the driver error it was raised from) says the database does not exist."""
    while error is not None:
        if _is_missing(error):
            return True
        error = error.__context__  # type: ignore[assignment]
    return False


def _is_missing(error) -> bool:
    orig = getattr(error, "orig", error)
    args = getattr(orig, "args", ())
    if getattr(orig, "sqlstate", None) == _MISSING_SQLSTATE or bool(args and args[0] == _MISSING_MYSQL):
        return True
    # libpq refuses the connection before any session exists, so psycopg has no SQLSTATE for it
    return _PG_NO_DATABASE.search(str(orig)) is not None


def _postgres_budget(connection: "Connection") -> tuple[int, str]:
    limit, reserved, used, superuser, role_limit, role_used, db_limit, db_used = connection.exec_driver_sql(_PG_LIMITS).one()
    headroom = max(HEADROOM_MIN, int(limit * HEADROOM_SHARE))
    candidates = [(limit - (0 if superuser else reserved) - used - headroom,
                   f"max_connections {limit}, {used} in use, {headroom} left free")]
    if role_limit >= 0:
        candidates.append((role_limit - role_used, f"the role's connection limit {role_limit}, {role_used} in use"))
    if db_limit >= 0:
        candidates.append((db_limit - db_used, f"the database's connection limit {db_limit}, {db_used} in use"))
    return min(candidates)


def _mysql_budget(connection: "Connection") -> tuple[int, str]:
    limit, user_limit = connection.exec_driver_sql("SELECT @@max_connections, @@max_user_connections").one()
    used = int(connection.exec_driver_sql("SHOW GLOBAL STATUS LIKE 'Threads_connected'").one()[1])
    headroom = max(HEADROOM_MIN, int(limit * HEADROOM_SHARE))
    candidates = [(limit - used - headroom, f"max_connections {limit}, {used} in use, {headroom} left free")]
    if user_limit:
        user_used = connection.exec_driver_sql(
            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = SUBSTRING_INDEX(CURRENT_USER(), '@', 1)"
        ).scalar()
        candidates.append((user_limit - user_used, f"max_user_connections {user_limit}, {user_used} in use"))
    return min(candidates)


def _url(text: str):
    from sqlalchemy.engine import make_url

    return make_url(text)


def engine_key(target: "Target") -> str:
    """Targets with one key share an engine: a PostgreSQL database's schemas, a MySQL server's databases."""
    if target.kind == "mysql":
        return _url(target.url)._replace(database=None).render_as_string(hide_password=False)
    return target.url


def _server_key(target: "Target") -> str:
    if target.kind == "sqlite":
        return "sqlite"
    url = _url(target.url)
    return url._replace(database=None, username=None, password=None).render_as_string(hide_password=False)
