"""One test's database: created when first needed, copied from a template while it is pristine.

A test database is *pristine* while nothing outside modmig can have changed it: the test has not
been given its URL, its engine or its Project, only moves (``migrate_to``, ``migrate_to_latest``)
have been made on it. While it is pristine its content is exactly what those moves give a fresh
database, so:

* a move whose resulting state has a template swaps the database for a copy of the template
  (under a new name on a server: nobody has seen the old one) and runs no migration;
* a move without one runs on the database, which is then copied into the template of the new
  state for the tests that come after;
* the database itself is created only when something needs it (``modmig_db`` starts from a copy
  of the latest state, never from an empty database).

Once the test has touched the database (asked for its URL, engine or Project), moves run for
real: the test may have inserted rows that the migrations must now carry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Hashable

from ..api import Project
from .files import ProjectFiles
from .store import Key, TemplateStore

#: What a move does to the test database's Project (it runs the migrations).
Move = Callable[[Project], object]


class TestDatabase:
    __test__ = False  # not a test class, whatever pytest's collection thinks of the name

    def __init__(self, store: TemplateStore, files: ProjectFiles, sqlite_path: Path) -> None:
        self.store, self.files = store, files
        self.sqlite_path = sqlite_path
        self.name: str | None = None
        #: The moves from a fresh database that gave the current content; None once touched.
        self.moves: tuple[Hashable, ...] | None = () if files.histories is not None else None
        self._project: Project | None = None

    # -- what the test sees --------------------------------------------------------------------

    def touch(self) -> Project:
        """The Project on the database, which from now on may hold anything the test put there."""
        project = self.project()
        self.moves = None
        return project

    @property
    def url(self) -> str:
        """The database's URL (creating it if need be)."""
        self.touch()
        return self.store.url(self._database())

    def project(self) -> Project:
        """The Project on the database, creating the database if needed (does not touch it)."""
        name = self._database()
        if self._project is None:
            self._project = Project(self.files.config, database=self.store.url(name), histories=self.files.histories)
        return self._project

    # -- moves ---------------------------------------------------------------------------------

    def move(self, label: Hashable, run: Move) -> None:
        """Make the move ``label`` (``run`` does it on a Project), from a template when it can."""
        if self.moves is None:
            run(self.project())
            return
        key = self._key(self.moves + (label,))
        if self.store.has(key):
            self._close_project()
            self._replace(self.store.clone(key, self.sqlite_path))
        else:
            project = self.project()
            try:
                run(project)
            except BaseException:
                self.moves = None  # whatever the failed move left is not a known state
                raise
            project.close()  # no session may stay open on a database being copied
            if self.store.usable(key):
                self.store.snapshot(self._database(), key)
        self.moves = key[1]

    def close(self) -> None:
        self._close_project()
        if self.name is not None:
            self.store.discard(self.name)

    # -- internals -----------------------------------------------------------------------------

    def _key(self, moves: tuple[Hashable, ...]) -> Key:
        return (self.files.fingerprint, moves)

    def _database(self) -> str:
        """The database's name, created (in the empty state, the only one it can be in before its
        first move) on first use."""
        if self.name is None:
            self.name = self.store.create(self.sqlite_path)
        return self.name

    def _close_project(self) -> None:
        if self._project is not None:
            self._project.close()
            self._project = None

    def _replace(self, name: str) -> None:
        old = self.name
        self.name = name
        if old is not None and old != name:
            self.store.discard(old)
