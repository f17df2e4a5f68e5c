"""SQLite: transactional DDL through pysqlite, and a lock the operating system releases.

pysqlite's own transaction handling commits before DDL, so a failed ``CREATE TABLE`` would stay
behind. Following SQLAlchemy's notes on pysqlite transactional DDL, the driver is put in
autocommit and SQLAlchemy's ``begin`` emits a real ``BEGIN``, which makes a migration, its
version bump and its history row one atomic unit.

modmig does this on the engine it creates itself. An engine or connection handed in by an
embedding program is not changed: ``borrow`` switches pysqlite's transaction handling off on the
one connection modmig is using, for as long as it uses it, and restores it before the connection
goes back to its owner.

The lock is ``flock`` on a file beside the database (``app.db.modmig-lock``): the kernel drops it
when the process dies, even by SIGKILL, so a crashed deploy never leaves a stale lock. The holder
writes its ``user@host (pid)`` into that file for waiting processes to print. ``lock: lease``
takes the lease lock instead (the conformance suite runs with it too: ``MODMIG_TEST_LOCK=lease``).
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine

from ...errors import DatabaseUnavailable
from ...files.splitter import Statement, split_statements
from .. import cursor
from .base import WaitCallback, who_am_i
from .fence import Fence
from .locking import wait_for_lock
from .profile import LockSettings
from .strategy import ProfiledLock

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

LOCK_SUFFIX = ".modmig-lock"


class SqliteBackend(ProfiledLock):
    name = "sqlite"
    transactional_ddl = True

    def __init__(self, url: URL, base_dir: Path, engine: Engine | None = None, lock_settings: LockSettings | None = None) -> None:
        self.lock_settings = lock_settings or LockSettings()
        self.database_path = _database_path(url, base_dir)
        if self.database_path is not None:
            url = url.set(database=str(self.database_path))
        self.display_url = url.render_as_string(hide_password=True)
        if self.database_path is not None and not self.database_path.parent.is_dir():
            raise DatabaseUnavailable(self.display_url, f"folder {self.database_path.parent} does not exist")
        #: False for an engine handed in by the caller: modmig must not change it.
        self.owns_engine = engine is None
        self.engine = engine if engine is not None else create_engine(url)
        if self.owns_engine:
            event.listen(self.engine, "connect", _driver_autocommit)
            event.listen(self.engine, "begin", _emit_begin)

    @contextmanager
    def borrow(self, connection: Connection) -> Iterator[None]:
        """Transactional DDL on a caller's connection while modmig uses it, then as it was."""
        if self.owns_engine:
            yield
            return
        driver = connection.connection.driver_connection
        saved = driver.isolation_level
        driver.isolation_level = None
        event.listen(connection, "begin", _emit_begin)
        try:
            yield
        finally:
            event.remove(connection, "begin", _emit_begin)
            if connection.in_transaction():
                connection.rollback()
            connection.connection.driver_connection.isolation_level = saved

    def detect_topology(self) -> tuple[str, str, str | None]:
        import sqlite3

        return ("direct", "a database file" if self.database_path else "in memory", sqlite3.sqlite_version)

    @contextmanager
    def lock(self, timeout: float, on_wait: WaitCallback, connection: Connection | None = None) -> Iterator[Fence]:
        if self.database_path is None or fcntl is None:
            yield Fence()  # an in-memory database belongs to this process alone
            return
        with ProfiledLock.lock(self, timeout, on_wait) as fence:
            yield fence

    @contextmanager
    def session_lock(self, timeout: float, on_wait: WaitCallback, connection: Connection | None = None) -> Iterator[Fence]:
        """``flock``: the kernel releases it only when the process dies, so it cannot be lost."""
        if self.database_path is None:
            yield Fence()  # in memory: no other process can reach the database
            return
        lock_path = Path(str(self.database_path) + LOCK_SUFFIX)
        handle = open(lock_path, "a+")
        try:
            wait_for_lock(
                lambda: _try_flock(handle), lambda: _read_holder(lock_path), timeout, on_wait
            )
            handle.seek(0)
            handle.truncate()
            handle.write(who_am_i())
            handle.flush()
            try:
                yield Fence()
            finally:
                handle.truncate(0)
                fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            handle.close()

    def split(self, script: str, first_line: int = 1) -> list[Statement]:
        return split_statements(script, first_line, dialect="sqlite")

    def ensure_bookkeeping(self, connection: Connection, recorder) -> None:
        recorder.ensure(connection)

    def prepare_transaction(self, connection: Connection) -> None:
        pass  # ``timeouts:`` are server settings; a SQLite file has no other sessions to wait on

    def explain_failure(self, error: BaseException) -> None:
        return None

    def privilege_hint(self, error: BaseException) -> None:
        return None  # a file's permissions: the driver's message ("readonly database") says it

    def session_id(self, connection: Connection) -> None:
        return None  # a statement dies with its process

    def running_statement(self, connection: Connection, session: str) -> None:
        return None  # a statement dies with its process

    def dispose(self) -> None:
        self.engine.dispose()


def _database_path(url: URL, base_dir: Path) -> Path | None:
    """The database file, with a relative path resolved against ``base_dir``; None in memory."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    path = Path(database)
    return path if path.is_absolute() else (base_dir / path).resolve()


def _driver_autocommit(dbapi_connection, _record) -> None:
    dbapi_connection.isolation_level = None


def _emit_begin(connection: Connection) -> None:
    if connection.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
        if cursor.observed(connection):
            connection.exec_driver_sql("BEGIN")
        else:
            cursor.execute(connection, "BEGIN")  # once per migration: the lean path (cursor.py)


def _try_flock(handle) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


def _read_holder(lock_path: Path) -> str | None:
    try:
        return lock_path.read_text().strip() or None
    except OSError:
        return None
