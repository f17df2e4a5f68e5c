"""The database side of a Project: which database, how to reach it, and the migration lock.

``ProjectDatabase`` owns the choice of database (a caller's Connection or Engine, a URL, the
environment, or ``modmig.yaml``), the backend made for it, the bookkeeping ``Recorder``, and the
connections modmig opens or borrows. ``modmig.api.Project`` adds the migration files and the
operations on top. Nothing here reads a migration file.
"""

from __future__ import annotations

import os
import re
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Iterator, Mapping

from .. import config as config_module
from ..errors import ConnectionInTransaction
from ..events import EventCallback, LockWaiting
from ..model import DatabaseState

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from .backends import Backend
    from .backends.fence import Fence
    from .backends.profile import LockSettings
    from .recorder import Recorder

DEFAULT_LOCK_TIMEOUT = 60.0
_SCHEME = re.compile(r"\s*([A-Za-z0-9_]+)(?:\+[^:/]*)?://")


class ProjectDatabase:
    """The target database of a project (see ``Project`` for the precedence of its sources)."""

    def __init__(
        self,
        config: config_module.ProjectConfig,
        *,
        database: str | None = None,
        engine: "Engine | None" = None,
        connection: "Connection | None" = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self._database = database
        self._connection = connection
        self._engine = connection.engine if connection is not None else engine
        self._environ = os.environ if environ is None else environ
        self._backend: Backend | None = None
        self._recorder: Recorder | None = None
        #: The fence of the lock ``locked()`` holds, for the executor (None outside ``locked()``).
        self.fence: "Fence | None" = None

    @property
    def backend(self) -> "Backend":
        if self._backend is None:
            from .backends import open_backend

            url, base_dir = (None, self.config.root)
            if self._engine is None:
                url, base_dir = config_module.choose_database_url(self.config, self._database, self._environ)
            self._backend = open_backend(
                url, base_dir, engine=self._engine, schema=self.config.schema, timeouts=self.config.timeouts,
                lock_settings=self.lock_settings(),
            )
        return self._backend

    @property
    def display_url(self) -> str:
        """The database's URL as output shows it (password hidden), without opening a backend when
        the URL is a plain one (``quick_state.parse_plain_url``)."""
        if self._backend is None and self._engine is None:
            location = self._plain_url()
            if location is not None:
                return location.display_url
        return self.backend.display_url

    @property
    def transactional_ddl(self) -> bool:
        """Does a migration's DDL roll back with it? (Every backend but MySQL/MariaDB's.)"""
        if self._backend is None:
            return self.dialect() != "mysql"
        return self.backend.transactional_ddl

    def quick_state(self) -> DatabaseState | None:
        """The state read through the DB-API driver alone (``run/quick_state.py``), or None.

        For commands that only look (``status``, ``plan``, ``lint``, a no-op ``upgrade``): they
        then never import SQLAlchemy. None whenever the plain read does not apply (an embedding
        program's engine, a URL with options, any error): the caller reads the usual way, which
        reports errors as always.
        """
        if self._engine is not None or self._backend is not None:
            return None  # already open: reading through it costs nothing more
        location = self._plain_url()
        if location is None:
            return None
        from .quick_state import read_state_directly

        return read_state_directly(location, self.config.schema)

    def read_state_unlocked(self) -> DatabaseState:
        """The state as it stands, read without the lock (for the commands that only look):
        through the driver alone where it can (``quick_state``), else through SQLAlchemy."""
        state = self.quick_state()
        if state is not None:
            return state
        with self.connect() as connection:
            return self.read_state(connection)

    def _plain_url(self):
        from ..errors import ConfigError
        from .quick_state import parse_plain_url

        try:
            url, base_dir = config_module.choose_database_url(self.config, self._database, self._environ)
        except ConfigError:
            return None
        return parse_plain_url(url, base_dir)

    def lock_settings(self) -> "LockSettings":
        """``topology:``, ``lock:`` and ``lease:`` of modmig.yaml, with where each is written."""
        from .backends.profile import settings_from

        return settings_from(self.config)

    @property
    def recorder(self) -> "Recorder":
        if self._recorder is None:
            from .recorder import Recorder

            self._recorder = Recorder(schema=self.config.schema)
        return self._recorder

    @contextmanager
    def connect(self) -> Iterator["Connection"]:
        """A connection to the target database; a clear error if it cannot be reached.

        With a caller's ``connection``, that one (it must not be inside a transaction; modmig
        leaves it outside one). With a caller's ``engine``, a connection from its pool, adjusted
        for modmig only while modmig holds it (``Backend.borrow``).
        """
        from .backends.base import open_connection

        backend = self.backend
        if self._connection is not None:
            if self._connection.in_transaction():
                raise ConnectionInTransaction()
            try:
                with backend.borrow(self._connection):
                    yield self._connection
            finally:
                if self._connection.in_transaction():
                    self._connection.rollback()  # modmig's own reads; its writes always commit
            return
        connection = open_connection(backend.engine, backend.display_url)
        try:
            if self._engine is not None:
                with backend.borrow(connection):
                    yield connection
            else:
                yield connection
        finally:
            connection.close()

    def read_state(self, connection: "Connection") -> DatabaseState:
        from .privileges import bookkeeping_errors

        with bookkeeping_errors(self.backend, "reading the bookkeeping tables"):
            state = self.recorder.read_state(connection)
        if connection.in_transaction():
            connection.commit()
        return state

    @contextmanager
    def locked(self, lock_timeout: float | None, on_event: EventCallback) -> Iterator["Connection"]:
        """Hold the migration lock and a connection; the state must be (re)read inside."""
        from ..errors import DatabaseUnavailable, Interrupted, RunInterrupted

        timeout = self._lock_timeout(lock_timeout)
        with ExitStack() as stack:
            # connected first: PostgreSQL's advisory lock is held by the session that migrates
            connection = stack.enter_context(self.connect())
            try:
                fence = stack.enter_context(
                    self.backend.lock(timeout, lambda holder, waited: on_event(LockWaiting(holder, waited)), connection)
                )
            except KeyboardInterrupt as error:
                interrupt = error if isinstance(error, Interrupted) else Interrupted(2)
                raise RunInterrupted(interrupt, where="while waiting for the migration lock; nothing was changed") from None
            except DatabaseUnavailable as error:  # the lease's table: an account that may not create it
                from .privileges import privilege_error

                cause = error.__cause__
                denied = privilege_error(self.backend, cause, "creating the lease lock's table _schema_lock") if cause else None
                raise (denied or error) from None
            self.fence = fence
            stack.callback(setattr, self, "fence", None)
            yield connection

    def state_if_configured(self) -> DatabaseState | None:
        """The database's state, or None when the project has no database configured at all."""
        if self._engine is None and not (self._database or self.config.database or self._environ.get(config_module.ENV_DATABASE)):
            return None
        return self.read_state_unlocked()

    def dialect(self, url: str | None = None) -> str:
        """The SQL dialect of ``url``, else of the configured database ("sqlite" when none is).

        Reads no database: squash uses it to know which SQL the app's migrations are written in.
        """
        from ..errors import ConfigError

        if url is None and self._engine is not None:
            return {"mariadb": "mysql"}.get(self._engine.dialect.name, self._engine.dialect.name)
        if url is None:
            try:
                url, _ = config_module.choose_database_url(self.config, self._database, self._environ)
            except ConfigError:
                return "sqlite"
        # the URL's scheme, as SQLAlchemy reads it (without importing it: 0.2 s for 'modmig owners')
        scheme = _SCHEME.match(url)
        if scheme is None:
            return "sqlite"
        name = scheme.group(1).lower()
        return {"mariadb": "mysql"}.get(name, name)

    def server_url(self) -> str:
        """The configured database's URL, password included (to create scratch databases beside it)."""
        if self._engine is not None:
            return self._engine.url.render_as_string(hide_password=False)
        return config_module.choose_database_url(self.config, self._database, self._environ)[0]

    def close(self) -> None:
        if self._backend is not None and self._engine is None:
            self._backend.dispose()
        self._backend = None

    def _lock_timeout(self, given: float | None) -> float:
        if given is not None:
            return given
        if self.config.lock_timeout is not None:
            return float(self.config.lock_timeout)
        return DEFAULT_LOCK_TIMEOUT
