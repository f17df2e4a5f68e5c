"""Whole databases that live for one test run: create, clone, drop, and find them again.

The pytest plugin's templates (``modmig.templates``) need four things of a database server, and
they are the only part of the templates that differs between databases, so they live here, with
the backends:

* ``create(name)``: a new empty database;
* ``clone(template, name)``: a new database holding exactly what ``template`` holds;
* ``drop(name)``;
* ``names(prefix)`` and the *run keeper*: a test run keeps a session open that marks it alive
  (``keep_alive(run)``), so that a later run finding databases of a dead run (killed, crashed,
  interrupted by a power cut) can drop them, and never drops those of a run still going
  (``alive(run)``): on PostgreSQL a connection whose ``application_name`` is ``modmig-run RUN``
  (``pg_stat_activity`` shows it to every user), on MySQL/MariaDB a named lock
  (``GET_LOCK('modmig-run RUN')``). Both end with the session, however the process ends.

How each database clones, and why (figures: a 1,000-migration project, 313 tables and 305
indexes, on the development machine; docs/testing.md has the full table):

* SQLite: a file copy of the closed template (1-2 ms; SQLite's backup API took 11 ms).
* PostgreSQL: ``CREATE DATABASE name TEMPLATE template``, the server's own file-level copy
  (0.2-0.8 s with fsync on; the ``FILE_COPY`` and ``WAL_LOG`` strategies of PostgreSQL 15 were
  within noise of each other, so the server's default is used).
* MySQL/MariaDB have no template databases: see ``mysql_clone.py``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Protocol

from ...errors import DatabaseUnavailable
from .base import driver_message, mask_url_text, scrub

#: The application_name / lock name that marks a test run alive (``{run}`` is its id).
KEEPER = "modmig-run {run}"


class ThrowawayDatabases(Protocol):
    """Databases a test run creates and drops, on one server (or in one folder, for SQLite)."""

    #: "sqlite", "postgresql" or "mysql".
    kind: str

    def url(self, name: str) -> str:
        """The URL of database ``name`` (with its password: it is handed to the test)."""

    def create(self, name: str) -> None: ...

    def clone(self, template: str, name: str) -> None: ...

    def drop(self, name: str) -> None: ...

    def names(self, prefix: str) -> list[str]:
        """The databases whose name starts with ``prefix``."""

    def keep_alive(self, run: str) -> None:
        """Mark test run ``run`` alive until ``close()`` (or until this process dies)."""

    def alive(self, run: str) -> bool: ...

    def close(self) -> None: ...


def open_throwaway(server: str | None, folder: Path) -> ThrowawayDatabases:
    """The throwaway databases of ``server`` (a URL), or SQLite files in ``folder`` when None."""
    if server is None or server.startswith("sqlite"):
        return SqliteFiles()
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(server)
    except ArgumentError:
        raise DatabaseUnavailable(mask_url_text(server), "not a valid SQLAlchemy URL") from None
    kind = url.get_backend_name()
    if kind == "postgresql":
        return PostgresDatabases(url)
    if kind in ("mysql", "mariadb"):
        from .mysql_clone import MysqlDatabases

        return MysqlDatabases(url)
    raise DatabaseUnavailable(
        url.render_as_string(hide_password=True),
        f"modmig cannot create test databases on {kind!r}; use PostgreSQL or MySQL/MariaDB (or SQLite files by default)",
    )


class SqliteFiles:
    """SQLite: a database is a file, named by its path; the test run's folder is its own."""

    kind = "sqlite"

    def url(self, name: str) -> str:
        return f"sqlite:///{name}"

    def create(self, name: str) -> None:
        self.drop(name)  # SQLite creates the file on first connection

    def clone(self, template: str, name: str) -> None:
        self.drop(name)
        shutil.copyfile(template, name)

    def drop(self, name: str) -> None:
        for suffix in ("", "-journal", "-wal", "-shm", ".modmig-lock"):
            try:
                os.unlink(name + suffix)
            except FileNotFoundError:
                pass

    def names(self, prefix: str) -> list[str]:
        return []  # files live in the run's own temporary folder: nothing to find from elsewhere

    def keep_alive(self, run: str) -> None:
        pass

    def alive(self, run: str) -> bool:
        return True

    def close(self) -> None:
        pass


class ServerDatabases:
    """What the PostgreSQL and MySQL implementations share: an autocommit admin engine."""

    kind = ""
    _driver = ""
    _extra = ""

    def __init__(self, url) -> None:
        from .server import server_engine, with_default_driver

        self.server = with_default_driver(url, self._driver)
        self.display_url = self.server.render_as_string(hide_password=True)
        self.engine = server_engine(self.server, self.display_url, self._extra, {}).execution_options(
            isolation_level="AUTOCOMMIT"
        )
        self._keeper = None

    def url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def quote(self, name: str) -> str:
        return self.engine.dialect.identifier_preparer.quote_identifier(name)

    def run_sql(self, *statements: str, params: dict | None = None):
        """Run ``statements`` on one admin connection; the last one's rows (a list)."""
        from sqlalchemy import text
        from sqlalchemy.exc import DBAPIError

        try:
            with self.engine.connect() as connection:
                result = None
                for statement in statements:
                    result = connection.execute(text(statement), params or {})
                return result.fetchall() if result is not None and result.returns_rows else []
        except DBAPIError as error:
            raise self.failure(error.orig or error, statements[-1]) from None
        except self.engine.dialect.loaded_dbapi.Error as error:  # a refused connection, unwrapped
            raise self.failure(error, statements[-1]) from None

    def failure(self, error: BaseException, doing: str) -> DatabaseUnavailable:
        """The driver's ``error`` as a DatabaseUnavailable naming the server (password masked)."""
        message = scrub(driver_message(error), self.server.password)
        return DatabaseUnavailable(self.display_url, f"{message} (while running: {' '.join(doing.split())[:200]})")

    def names(self, prefix: str) -> list[str]:
        escaped = prefix.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
        return sorted(row[0] for row in self.run_sql(self._list_query, params={"pattern": escaped + "%"}))

    def create(self, name: str) -> None:
        self.run_sql(f"CREATE DATABASE {self.quote(name)}")

    def keep_alive(self, run: str) -> None:
        """Hold the run's mark on a connection of its own (never given back to the pool)."""
        from .base import open_connection

        keeper = open_connection(self.engine, self.display_url)
        keeper.exec_driver_sql(self._hold_keeper, {"name": KEEPER.format(run=run)})
        self._keeper = keeper

    def close(self) -> None:
        if self._keeper is not None:
            try:
                self._keeper.exec_driver_sql(self._release_keeper)  # at once, not when the server notices
            except Exception:  # noqa: BLE001 - the session is going anyway, and the mark with it
                pass
            self._keeper.invalidate()
            self._keeper.close()
            self._keeper = None
        self.engine.dispose()

    #: SQL that lists databases named LIKE :pattern; that marks the run alive (``%(name)s``); that unmarks it.
    _list_query = ""
    _hold_keeper = ""
    _release_keeper = ""


class PostgresDatabases(ServerDatabases):
    kind = "postgresql"
    _driver = "psycopg"
    _extra = "postgres"
    _list_query = "SELECT datname FROM pg_database WHERE datname LIKE :pattern"
    _hold_keeper = "SELECT set_config('application_name', %(name)s, false)"
    _release_keeper = "SELECT set_config('application_name', '', false)"

    def clone(self, template: str, name: str) -> None:
        # The server waits up to 5 s for sessions still closing in the template to go away.
        self.run_sql(f"CREATE DATABASE {self.quote(name)} TEMPLATE {self.quote(template)}")

    def drop(self, name: str) -> None:
        self.run_sql(f"DROP DATABASE IF EXISTS {self.quote(name)} WITH (FORCE)")

    def alive(self, run: str) -> bool:
        query = "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name"
        return self.run_sql(query, params={"name": KEEPER.format(run=run)})[0][0] > 0
