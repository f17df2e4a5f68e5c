"""Scratch databases, and replaying migrations on one: for squash verification and the ownership map.

``scratch_database(url, base_dir)`` yields a backend on an empty throwaway database: SQLite in
memory by default; with a server URL (``postgresql://...``, ``mysql://...``) a database created
on that server for the occasion and dropped afterwards. All it needs from the server's backend is
the ordinary ``Backend`` protocol.

``replay(backend, migrations)`` runs migrations on it: their statements and Python steps, nothing
else. No bookkeeping is written and everything runs in one transaction (a migration marked
``transaction off`` runs in autocommit, as it would for real): the scratch database only has to
end up with what the migrations produce, and this keeps replaying 1,000 migrations fast. It can
also *record* the statements chosen migrations send to the database (every one, whether through
``ctx.execute`` or ``ctx.connection``), with the line of the migration file that sent it: that is
how the ownership map reads what a Python migration does. (A driver's ``%s`` placeholders are
recorded as ``NULL``, so the text parses as SQL.)
"""

from __future__ import annotations

import re
import secrets
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Collection, Iterator

from ..errors import DatabaseUnavailable, UsageError
from ..model import Key, Migration, Step
from ..run.backends.base import mask_url_text

if TYPE_CHECKING:
    from ..run.backends import Backend

#: What messages show for the default scratch database.
IN_MEMORY = "SQLite in memory"
_FORMAT_PLACEHOLDER = re.compile(r"%%|%\([^)]*\)s|%s")


@dataclass(frozen=True)
class RecordedStatement:
    """A statement a migration sent, and the line of the migration file that sent it."""

    line: int | None
    text: str


class ReplayFailed(Exception):
    """``migration`` raised (or its ``statement`` failed) on the scratch database."""

    def __init__(self, migration: Migration, statement, error: BaseException, recorded: dict[Key, list[RecordedStatement]]) -> None:
        super().__init__(str(error))
        self.migration, self.statement, self.error = migration, statement, error
        #: What was recorded before the failure (the failing migration's statements included).
        self.recorded = recorded

    def describe(self) -> str:
        """``blog:0003_x at 0003_x.sql:4: <the database's message>``, and the statement if any."""
        from sqlalchemy.exc import DBAPIError

        error = self.error
        message = " ".join(str(error.orig if isinstance(error, DBAPIError) and error.orig is not None else error).split())
        statement = self.statement
        where = f"{self.migration.path.name}:{statement.line}" if statement is not None else self.migration.path.name
        text = f"{self.migration.label} at {where}: {message}"
        if statement is not None:
            text += f"\n  statement: {' '.join(statement.text.split())[:300]}"
        return text


def replay(
    backend, migrations: list[Migration], direction: str = "up", record: Collection[Key] = ()
) -> dict[Key, list[RecordedStatement]]:
    """Run ``migrations`` in order; return the statements of those whose key is in ``record``.

    Raises ReplayFailed when one fails: the migration's own code or SQL, so any exception counts.
    """
    from ..files.pyfile import load_module
    from ..run.executor import MigrationContext, step_statements

    recorded: dict[Key, list[RecordedStatement]] = {}
    with backend.engine.connect() as connection:
        for migration in migrations:
            step = Step(migration, direction)
            statement = None
            recorder = _Recorder(migration, recorded) if migration.key in record else None
            if recorder is not None:
                recorder.listen(connection)
            try:
                with _transaction(connection, migration.transaction):
                    if migration.kind == "python":
                        module = load_module(migration)
                        function = getattr(module, "upgrade" if direction == "up" else "downgrade")
                        function(MigrationContext(connection, backend.name, migration))
                    else:
                        for statement in step_statements(backend, step):
                            connection.exec_driver_sql(statement.text, execution_options={"no_parameters": True})
            except KeyboardInterrupt:
                raise  # Ctrl-C / SIGTERM stops the command; it is not the migration's failure
            except BaseException as error:  # noqa: BLE001 (the migration's failure, whatever it raised: sys.exit() too)
                raise ReplayFailed(migration, statement, error, recorded) from None
            finally:
                if recorder is not None:
                    recorder.forget(connection)
        if connection.in_transaction():
            connection.commit()
    return recorded


class _Recorder:
    """Listens to one connection's cursor executions while one migration runs."""

    def __init__(self, migration: Migration, into: dict[Key, list[RecordedStatement]]) -> None:
        self.filename = str(migration.path)
        self.found = into.setdefault(migration.key, [])

    def listen(self, connection) -> None:
        from sqlalchemy import event

        event.listen(connection, "before_cursor_execute", self.heard)

    def forget(self, connection) -> None:
        from sqlalchemy import event

        event.remove(connection, "before_cursor_execute", self.heard)

    def heard(self, connection, cursor, statement, parameters, context, executemany) -> None:
        if parameters and connection.dialect.paramstyle in ("format", "pyformat"):
            # %s / %(name)s are the driver's, not SQL: NULL stands in, so the text parses
            statement = _FORMAT_PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else "NULL", statement)
        self.found.append(RecordedStatement(self._line(), statement))

    def _line(self) -> int | None:
        frame = sys._getframe(1)
        while frame is not None:
            if frame.f_code.co_filename == self.filename:
                return frame.f_lineno
            frame = frame.f_back  # type: ignore[assignment]
        return None


@contextmanager
def _transaction(connection, transactional: bool):
    if transactional:
        if not connection.in_transaction():
            connection.begin()
        yield
        return
    if connection.in_transaction():
        connection.commit()
    yield
    if connection.in_transaction():
        connection.commit()


_DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}


@contextmanager
def scratch_database(url: str | None, base_dir: Path, option: str = "--verify-url") -> Iterator:
    """A backend on an empty throwaway database, dropped afterwards (``option``: for messages)."""
    from ..run.backends import open_backend

    if url is None:
        backend = open_backend("sqlite://", base_dir)
        try:
            yield backend
        finally:
            backend.dispose()
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError

    try:
        server = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(mask_url_text(url), "not a valid SQLAlchemy URL") from None
    kind = server.get_backend_name()
    if kind in _DRIVERS:  # postgresql:// means psycopg, as everywhere else in modmig
        from ..run.backends.server import with_default_driver

        server = with_default_driver(server, _DRIVERS[kind])
    if kind == "sqlite":
        if server.database not in (None, "", ":memory:"):
            raise UsageError(f"{option}: a SQLite scratch database is always in memory; pass 'sqlite://' or leave it out.")
        with scratch_database(None, base_dir, option) as backend:
            yield backend
        return
    if kind not in ("postgresql", "mysql", "mariadb"):
        raise UsageError(f"{option}: modmig cannot create a scratch database on {kind!r}; use PostgreSQL or MySQL/MariaDB.")
    name = f"modmig_verify_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
    except DBAPIError as error:
        admin.dispose()
        raise DatabaseUnavailable(
            server.render_as_string(hide_password=True),
            f"cannot create a scratch database there for {option}: {' '.join(str(error.orig).split())}",
        ) from None
    backend: Backend | None = None
    try:
        backend = open_backend(server.set(database=name).render_as_string(hide_password=False), base_dir)
        yield backend
    finally:
        if backend is not None:
            backend.dispose()
        # PostgreSQL: FORCE, because a pooler in front of the server (PgBouncer) keeps its server
        # connection to the scratch database open after modmig closed its own.
        force = " WITH (FORCE)" if admin.dialect.name == "postgresql" else ""
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}{force}")
        admin.dispose()
