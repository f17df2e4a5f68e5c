"""modmig's pytest plugin (loaded automatically through the ``pytest11`` entry point).

Fixtures, each on a fresh database of its own (a SQLite file in the test's tmp folder, or a
throwaway database created on the server given by ``--modmig-database``):

* ``modmig_db``: a :class:`Migrator` with every migration applied;
* ``modmig_migrator``: a :class:`Migrator` with nothing applied, to walk to the state a test
  needs (``migrate_to("blog", 3)``, insert rows, ``migrate_to("blog", 4)``, check the data);

and two helpers: :func:`assert_roundtrip`, that fails a test when a migration's down does not undo
its up (the check behind ``modmig check --roundtrip``), and :func:`assert_lint_clean`, that fails
it when ``modmig lint`` finds an error-level problem in the migrations.

The project is found from ``--modmig-config PATH`` or the ``modmig_config`` ini option, else by
searching upwards for ``modmig.yaml`` from the folder of the test file. Importing this module is cheap:
SQLAlchemy and the rest of modmig load only when a fixture is used.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Union

import pytest

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from .api import Project
    from .lint.report import LintReport
    from .schema.roundtrip import RoundtripReport
    from .templates.files import FileReader
    from .templates.store import TemplateStore
    from .templates.testdb import TestDatabase

__all__ = ["Migrator", "assert_lint_clean", "assert_roundtrip"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modmig", "modmig migrations")
    group.addoption("--modmig-config", metavar="PATH", help="modmig.yaml of the project under test.")
    group.addoption(
        "--modmig-database", metavar="URL",
        help="A server to create throwaway test databases on (PostgreSQL or MySQL URL); default: SQLite files.",
    )
    parser.addini("modmig_config", "modmig.yaml of the project under test (relative to the ini file).")
    parser.addini("modmig_database", "Server URL for throwaway test databases (default: SQLite files).")


class Migrator:
    """A modmig project bound to one fresh test database, with moves a test needs.

    Moves made before the test has seen the database (its ``url``, ``engine`` or ``project``)
    are copies of template databases (see docs/testing.md); after that they run the migrations.
    """

    def __init__(self, database: "TestDatabase") -> None:
        self._database = database

    @property
    def project(self) -> "Project":
        """The ``modmig.Project`` on the test database."""
        return self._database.touch()

    @property
    def url(self) -> str:
        """The test database's URL."""
        return self._database.url

    @property
    def engine(self) -> "Engine":
        """A SQLAlchemy Engine on the test database (``with migrator.engine.begin() as c: ...``)."""
        return self.project.backend.engine

    def versions(self) -> dict[str, int]:
        """Every app's current version."""
        return {status.app: status.version for status in self._database.project().status().apps}

    def migrate_to(self, app: str, version: int) -> None:
        """Bring ``app`` to ``version``, up or down (other apps move only as dependencies require)."""
        self._database.move(("to", app, version), lambda project: _walk(project, app, version))

    def migrate_to_latest(self) -> None:
        """Apply every pending migration of every app."""
        self._database.move(("latest",), lambda project: project.upgrade())


def _walk(project: "Project", app: str, version: int) -> None:
    current = {status.app: status.version for status in project.status().apps}[project.require_app(app)]
    if version >= current:
        project.upgrade(app, to=version)
    else:
        project.downgrade(app, to=version, confirm=lambda plan: True)


def assert_roundtrip(project: Union["Project", Migrator, str, Path], migration: str | None = None, *, scratch: str | None = None) -> "RoundtripReport":
    """Fail unless ``migration`` (``"blog:0003"``; default: every migration) round-trips.

    Runs on a scratch database (a temporary SQLite file, or the empty database ``scratch``):
    up, down, up again, comparing the schema each time. Returns the report when it passes.
    """
    from .api import Project
    from .schema.roundtrip import check_roundtrip

    if isinstance(project, Migrator):
        project = project.project
    if not isinstance(project, Project):
        project = Project.load(project)
    report = check_roundtrip(project.config, project.graph, scratch, only=migration)
    if not report.ok:
        raise AssertionError(report.describe())
    return report


def assert_lint_clean(
    project: Union["Project", Migrator, str, Path],
    *apps: str,
    base: str | None = None,
    dialect: str | None = None,
    strict: bool = False,
) -> "LintReport":
    """Fail unless ``modmig lint`` passes on ``apps``' migrations (every app's by default).

    Lints every migration (``modmig lint --all``), or with ``base="origin/main"`` those added or
    changed since that git ref. A finding at error level fails the test; with ``strict=True`` a
    warning does too. The failure message lists each finding as ``file:line: ID level: message``.
    Returns the report when it passes. modmig.yaml's ``lint:`` settings and the inline
    ``-- modmig: allow`` directives apply as they do on the command line.
    """
    from .api import Project

    if isinstance(project, Migrator):
        project = project.project
    if not isinstance(project, Project):
        project = Project.load(project)
    report = project.lint(apps, everything=base is None, base=base, dialect=dialect)
    if not report.ok or (strict and report.findings):
        raise AssertionError(report.describe())
    return report


@pytest.fixture
def modmig_config(request: pytest.FixtureRequest) -> Path:
    """The path of the project's modmig.yaml."""
    from .config import find_config

    option = request.config.getoption("modmig_config")
    if option:
        return find_config(explicit=Path(option).resolve())
    ini = request.config.getini("modmig_config")
    if ini:
        base = request.config.inipath.parent if request.config.inipath else request.config.rootpath
        return find_config(explicit=base / str(ini))
    return find_config(start=Path(request.path).parent)


@pytest.fixture(scope="session")
def _modmig_templates(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator["TemplateStore"]:
    """This session's template databases (one store per process, so per pytest-xdist worker)."""
    from .run.backends.throwaway import open_throwaway
    from .templates.store import TemplateStore

    server = request.config.getoption("modmig_database") or request.config.getini("modmig_database") or None
    folder = tmp_path_factory.mktemp("modmig-templates")
    store = TemplateStore(open_throwaway(server, folder), folder)
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(scope="session")
def _modmig_files() -> "FileReader":
    from .templates.files import FileReader

    return FileReader()


@pytest.fixture
def modmig_migrator(
    modmig_config: Path, _modmig_templates: "TemplateStore", _modmig_files: "FileReader", tmp_path: Path
) -> Iterator[Migrator]:
    """A Migrator on a fresh database with nothing applied."""
    from .templates.testdb import TestDatabase

    database = TestDatabase(_modmig_templates, _modmig_files.read(modmig_config), tmp_path / "modmig-test.db")
    try:
        yield Migrator(database)
    finally:
        database.close()


@pytest.fixture
def modmig_db(modmig_migrator: Migrator) -> Migrator:
    """A Migrator on a fresh database with every migration applied."""
    modmig_migrator.migrate_to_latest()
    return modmig_migrator


@pytest.fixture
def modmig_database_url(request: pytest.FixtureRequest, modmig_migrator: Migrator) -> str:
    """The URL of the test's database: fresh and empty, or migrated when the test uses ``modmig_db``."""
    if "modmig_db" in request.fixturenames:
        request.getfixturevalue("modmig_db")
    return modmig_migrator.url


@contextmanager
def throwaway_database(server: str | None, tmp_path: Path) -> Iterator[str]:
    """A new empty database: a SQLite file in ``tmp_path``, or one created on ``server`` and dropped after."""
    if server is None or server.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'modmig-test.db'}"
        return
    from .run.backends.throwaway import open_throwaway

    databases = open_throwaway(server, tmp_path)
    name = f"modmig_test_{uuid.uuid4().hex[:12]}"
    try:
        databases.create(name)
        try:
            yield databases.url(name)
        finally:
            databases.drop(name)
    finally:
        databases.close()
