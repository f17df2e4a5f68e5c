"""The templates of one test session: which exist, their names, clones made ahead, and cleanup.

One store per pytest process (each pytest-xdist worker has its own, so workers never share or
race for a database). Keys are ``(fingerprint, moves)``: the project's files and the moves that
took a fresh database to the state (``("latest",)``, ``("to", "blog", 3)``, ...). A template is
made by copying a test database right after such a move (``snapshot``), so making one costs one
copy more than the move itself.

On a server every database of the session is named ``modmig_test_RUN_N`` (a test's) or
``modmig_tpl_RUN_N`` (a template), where RUN is the session's random id, and the session keeps
its *keeper* (see ``modmig.run.backends.throwaway``) open from before the first database to
after the last drop. ``close()`` drops them all; a session that never got to ``close()``
(SIGKILL, a crash) leaves them behind, and the next session on that server drops the databases
of every run whose keeper is gone (``sweep``).

On a server, copies take a while (PostgreSQL 0.2-0.8 s, MariaDB about 1 s at 1,000 migrations),
so the store works ahead: once a template has been cloned for a test, the next clone of it is
made in a background thread while the test runs, and the test after takes it ready-made; the
databases tests are done with are dropped in another background thread.
"""

from __future__ import annotations

import itertools
import re
import secrets
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Hashable

from ..run.backends.throwaway import ThrowawayDatabases

PREFIX = "modmig_"
_OURS = re.compile(r"^modmig_(?:test|tpl)_([0-9a-f]{10})_[0-9]+$")

Key = tuple[str, tuple[Hashable, ...]]


class TemplateStore:
    def __init__(self, databases: ThrowawayDatabases, folder: Path) -> None:
        self.databases = databases
        #: Where SQLite templates are kept (the session's temporary folder).
        self.folder = folder
        #: This session's id, in the name of every database it creates on a server.
        self.run = secrets.token_hex(5)
        self._numbers = itertools.count(1)
        self._templates: dict[Key, str] = {}
        #: Keys whose template could not be made (the database cannot clone what it holds).
        self._unclonable: set[Key] = set()
        self._spares: dict[Key, Future] = {}
        self._ahead: ThreadPoolExecutor | None = None
        self._dropper: ThreadPoolExecutor | None = None
        self.on_server = databases.kind != "sqlite"
        if self.on_server:
            self.sweep()
            databases.keep_alive(self.run)
            self._ahead = ThreadPoolExecutor(1, thread_name_prefix="modmig-clone-ahead")
            self._dropper = ThreadPoolExecutor(1, thread_name_prefix="modmig-drop")

    # -- names ---------------------------------------------------------------------------------

    def new_name(self, sqlite_path: Path | None = None) -> str:
        """A name for a new test database (on SQLite, the file the test asked for, else one in the session's folder)."""
        if not self.on_server:
            return str(sqlite_path or self.folder / f"test_{next(self._numbers)}.db")
        return f"{PREFIX}test_{self.run}_{next(self._numbers)}"

    def url(self, name: str) -> str:
        return self.databases.url(name)

    # -- templates -----------------------------------------------------------------------------

    def has(self, key: Key) -> bool:
        return key in self._templates

    def usable(self, key: Key) -> bool:
        """False once the database said it cannot copy this state: migrate instead."""
        return key not in self._unclonable

    def snapshot(self, source: str, key: Key) -> None:
        """Make ``source`` (a test database just moved to ``key``'s state, no session open) the template of ``key``."""
        from ..run.backends.mysql_clone import CloneUnsupported

        if self.on_server:
            name = f"{PREFIX}tpl_{self.run}_{next(self._numbers)}"
        else:
            name = str(self.folder / f"template-{next(self._numbers)}.db")
        try:
            self.databases.clone(source, name)
        except CloneUnsupported:
            self.databases.drop(name)
            self._unclonable.add(key)
            return
        self._templates[key] = name

    def clone(self, key: Key, sqlite_path: Path | None = None) -> str:
        """A new database in the state of ``key``'s template; returns its name."""
        template = self._templates[key]
        if not self.on_server:
            name = self.new_name(sqlite_path)
            self.databases.clone(template, name)
            return name
        name = None
        spare = self._spares.pop(key, None)
        if spare is not None:
            try:
                name = spare.result()
            except Exception:  # noqa: BLE001 - made again below, where its error is raised
                name = None
        if name is None:
            name = self.new_name()
            self.databases.clone(template, name)
        if self._ahead is not None:  # (always, on a server) the next test's copy, made meanwhile
            self._spares[key] = self._ahead.submit(self._make_spare, template)
        return name

    def create(self, sqlite_path: Path | None = None) -> str:
        """A new empty database; returns its name."""
        name = self.new_name(sqlite_path)
        self.databases.create(name)
        return name

    def discard(self, name: str) -> None:
        """Drop a test database the test is done with (on a server, in the background)."""
        if self._dropper is None:
            return  # a SQLite file stays in the test's tmp_path, for looking at after a failure
        self._dropper.submit(self.databases.drop, name)

    def _make_spare(self, template: str) -> str:
        name = self.new_name()
        self.databases.clone(template, name)
        return name

    # -- the end of the session ----------------------------------------------------------------

    def close(self) -> None:
        """Drop every database of this session (waiting for the background work first)."""
        try:
            for pool in (self._ahead, self._dropper):
                if pool is not None:
                    pool.shutdown(wait=True, cancel_futures=True)
            if self.on_server:
                for name in self.databases.names(f"{PREFIX}"):
                    match = _OURS.match(name)
                    if match and match.group(1) == self.run:
                        self.databases.drop(name)
            else:
                for name in self._templates.values():
                    self.databases.drop(name)
            self._templates.clear()
            self._spares.clear()
        finally:
            self.databases.close()

    def sweep(self) -> list[str]:
        """Drop the databases of earlier runs that ended without cleaning up; returns their names."""
        dead: dict[str, bool] = {}
        dropped = []
        for name in self.databases.names(PREFIX):
            match = _OURS.match(name)
            if match is None or match.group(1) == self.run:
                continue
            run = match.group(1)
            if run not in dead:
                dead[run] = not self.databases.alive(run)
            if dead[run]:
                self.databases.drop(name)
                dropped.append(name)
        return dropped
