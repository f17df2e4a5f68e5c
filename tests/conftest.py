"""Shared fixtures: an inline project-tree builder, scenario fixture trees, throwaway databases.

``database_url`` is parametrised over every backend in ``databases.BACKENDS``; a test that takes it
(directly or through ``make_project``) is part of the backend conformance suite and runs once per
database. Tests marked ``conformance`` (whole modules, by ``pytestmark``) run on the two production
topologies of ``databases.TOPOLOGIES`` as well (PgBouncer in transaction mode, a Galera cluster);
``MODMIG_TEST_TOPOLOGIES=all`` runs every conformance test on them, ``=none`` none.

No traceback anywhere in the suite's CLI output: every CLI run the helpers make (``run_cli``
in-process; ``modmig_process``, ``MODMIG`` and ``tests/terminal.py`` as child processes) is
checked, and a test fails if modmig printed one, unless it is marked ``traceback_expected``. A
child process reports an uncaught exception through ``sys.excepthook`` into a folder the
autouse fixture ``no_tracebacks`` looks at after the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from modmig.api import Project
from modmig.cli import cli

from .databases import BACKENDS, TOPOLOGIES, provision

FIXTURES = Path(__file__).parent / "fixtures" / "projects"
REPO = Path(__file__).resolve().parent.parent
TRACEBACK_FOLDER = "MODMIG_TEST_TRACEBACKS"
#: ``MODMIG_TEST_LOCK=lease pytest ...``: every project ``write_tree`` writes declares ``lock: lease``.
TEST_LOCK = "MODMIG_TEST_LOCK"
#: True in that run: a killed holder's lease keeps the next run waiting until it runs out.
LEASE_MODE = os.environ.get(TEST_LOCK) == "lease"
TRACEBACK = "Traceback (most recent call last)"

#: ``python -c`` program that runs ``python -m modmig`` and writes any uncaught exception's
#: traceback into $MODMIG_TEST_TRACEBACKS (it is still printed as usual).
_BOOTSTRAP = """\
import os, runpy, sys, traceback
def _report(kind, value, tb, _print=sys.excepthook):
    folder = os.environ.get("MODMIG_TEST_TRACEBACKS")
    if folder and os.path.isdir(folder):
        with open(os.path.join(folder, "pid-%d.txt" % os.getpid()), "a") as out:
            out.write("modmig " + " ".join(sys.argv[1:]) + "\\n" + "".join(traceback.format_exception(kind, value, tb)))
    _print(kind, value, tb)
sys.excepthook = _report
sys.argv[0] = "modmig"
runpy.run_module("modmig", run_name="__main__", alter_sys=True)
"""
#: The command line of the real CLI in a child process: ``[*MODMIG, "upgrade", "--all"]``.
MODMIG = [sys.executable, "-c", _BOOTSTRAP]
_allow_tracebacks = [False]


@pytest.fixture(autouse=True)
def no_tracebacks(request, tmp_path_factory, monkeypatch):
    """Fail a test whose CLI runs printed a traceback (unless marked ``traceback_expected``)."""
    folder = tmp_path_factory.mktemp("tracebacks")
    monkeypatch.setenv(TRACEBACK_FOLDER, str(folder))
    _allow_tracebacks[0] = request.node.get_closest_marker("traceback_expected") is not None
    yield
    found = sorted(folder.iterdir())
    if found and not _allow_tracebacks[0]:
        pytest.fail("modmig printed a traceback:\n" + "\n".join(path.read_text() for path in found), pytrace=False)


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``-n N --dist loadgroup``) the tests on the Galera cluster are meant to run
    on one worker, one after the other: the node-kill test takes a node down for a while. With
    pytest 9.2 and pytest-xdist 3.8 the group is not honoured (``tests/databases.galera_tests_lock``
    says why); that lock is what keeps the node-kill test apart, and the mark stays for an xdist
    that honours it."""
    for item in items:
        spec = getattr(item, "callspec", None)
        fixtures = getattr(item, "fixturenames", ())
        if (spec is not None and spec.params.get("database_url") == "galera") or "galera_url" in fixtures or "galera_url_alone" in fixtures:
            item.add_marker(pytest.mark.xdist_group("galera"))


def pytest_generate_tests(metafunc):
    """Parametrise ``database_url`` over the backends, plus the topologies for the tests that run there."""
    if "database_url" in metafunc.fixturenames:
        metafunc.parametrize("database_url", database_backends(metafunc.definition), indirect=True)


def database_backends(definition) -> list[str]:
    """The backends one conformance test runs on: see the module docstring."""
    chosen = os.environ.get("MODMIG_TEST_TOPOLOGIES", "marked").strip().lower()
    if chosen not in ("marked", "all", "none"):
        raise pytest.UsageError(f"MODMIG_TEST_TOPOLOGIES={chosen!r}: say marked, all or none")
    if chosen == "all" or (chosen == "marked" and definition.get_closest_marker("conformance") is not None):
        return BACKENDS + TOPOLOGIES
    return list(BACKENDS)


@pytest.fixture
def database_url(request, tmp_path):
    """A fresh, empty database on one backend (or topology), dropped after the test."""
    with provision(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'app.db'}"


@pytest.fixture
def postgres_url(tmp_path):
    """A fresh PostgreSQL database, for tests of what only PostgreSQL does."""
    with provision("postgresql", tmp_path) as url:
        yield url


@pytest.fixture
def mysql_url(tmp_path):
    """A fresh MariaDB / MySQL database, for tests of what only MySQL does."""
    with provision("mysql", tmp_path) as url:
        yield url


def write_tree(root: Path, apps: dict[str, dict[str, str]], database: str | None, extra: str = "") -> Path:
    """Write a project: ``apps`` maps label -> {file name: text}; returns the modmig.yaml path."""
    root.mkdir(parents=True, exist_ok=True)
    lines = []
    if database is not None:
        lines.append(f"database: {database}")
    lines.append("apps:" if apps else "apps: {}")
    for app, files in apps.items():
        lines.append(f"  {app}: apps/{app}")
        folder = root / "apps" / app / "migrations"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
    text = "\n".join(lines) + "\n" + extra
    if os.environ.get(TEST_LOCK) and not re.search(r"^lock:", extra, re.M):
        # MODMIG_TEST_LOCK=lease: the suite on the lease lock (last, so the lines of ``extra`` stay put)
        text += ("" if text.endswith("\n") else "\n") + f"lock: {os.environ[TEST_LOCK]}\n"
        if LEASE_MODE and not re.search(r"^lease:", extra, re.M):
            text += "lease: 5s\n"  # a killed holder's rerun waits for it to run out, within --lock-timeout 10
    config = root / "modmig.yaml"
    config.write_text(text, encoding="utf-8")
    return config


class ProjectBuilder:
    """``build(apps, extra="", folder="project")``: write an inline project on ``url`` and load it."""

    def __init__(self, root: Path, url: str) -> None:
        self.root, self.url = root, url
        self.opened: list[Project] = []

    def __call__(self, apps: dict[str, dict[str, str]], extra: str = "", folder: str = "project") -> Project:
        config = write_tree(self.root / folder, apps, self.url, extra)
        project = Project.load(config)
        self.opened.append(project)
        return project

    def close(self) -> None:
        for project in self.opened:
            project.close()


@pytest.fixture
def make_project(tmp_path, database_url):
    """Build an inline project on the test's database; returns a loaded ``Project``."""
    build = ProjectBuilder(tmp_path, database_url)
    yield build
    build.close()


@pytest.fixture
def scenario(tmp_path):
    """Copy a fixture tree from tests/fixtures/projects/<name> into tmp_path; returns its folder."""

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy


@pytest.fixture
def sample_project(tmp_path):
    """A private copy of sample_project/ (without any database a previous run left behind)."""
    target = tmp_path / "sample_project"
    shutil.copytree(REPO / "sample_project", target, ignore=shutil.ignore_patterns("*.db", "*.db-*", "*.modmig-lock"))
    return target


class Cli:
    """Runs ``modmig`` in-process with click's CliRunner, in a given folder."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None):
        runner = CliRunner()
        old = Path.cwd()
        os.chdir(self.cwd)
        try:
            result = runner.invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
        finally:
            os.chdir(old)
        if TRACEBACK in result.output and not _allow_tracebacks[0]:
            pytest.fail(f"modmig {' '.join(args)} printed a traceback:\n{result.output}", pytrace=False)
        return result


@pytest.fixture
def run_cli():
    return Cli


def modmig_process(args: list[str], cwd: Path, **kwargs) -> subprocess.Popen:
    """Start the real CLI as a separate process (for locking and crash tests)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("MODMIG_DATABASE_URL", None)
    return subprocess.Popen([*MODMIG, *args], cwd=cwd, env=env, **kwargs)


def table_names(project: Project) -> set[str]:
    """User tables in the project's database (bookkeeping tables left out)."""
    from sqlalchemy import inspect

    with project.connect() as connection:
        names = set(inspect(connection).get_table_names())
    return {name for name in names if not name.startswith("_schema_")}


def versions(project: Project) -> dict[str, int]:
    return {status.app: status.version for status in project.status().apps}
