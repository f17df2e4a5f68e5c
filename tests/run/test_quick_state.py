"""Commands that only look read the bookkeeping through the driver alone, and see what SQLAlchemy sees.

``status``, ``plan``, ``lint`` and a no-op ``upgrade`` read the state with ``sqlite3``, psycopg or
PyMySQL directly (``run/quick_state.py``) instead of importing SQLAlchemy. These tests hold that
read to the ``Recorder``'s on every backend, in every state the tables can be in, and show what a
user notices: the same output, sooner, and a no-op upgrade that does not queue behind a lock.
"""

import socket

import pytest

from modmig.api import Project
from modmig.errors import LockTimeout, MigrationFailed
from modmig.run.backends import open_backend
from modmig.run.quick_state import parse_plain_url

from .test_bookkeeping_upgrade import previous_release_tables
from .test_dirty_resume import HALF
from ..conftest import write_tree
from ..test_layers import imported_by_cli

pytestmark = pytest.mark.conformance

def base(table: str) -> dict[str, str]:
    return {"0001_base.sql": f"CREATE TABLE {table} (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE {table};\n"}


def both_reads(project: Project):
    """(the state read through the driver alone, the state the Recorder reads through SQLAlchemy).

    SQLAlchemy's read first: on SQLite it creates the file, which the driver read leaves to it."""
    with project.connect() as connection:
        full = project.read_state(connection)
    fresh = Project.load(project.config.path)
    try:
        return fresh.quick_state(), full
    finally:
        fresh.close()


def test_the_driver_read_equals_the_recorders_in_every_state_of_the_tables(make_project):
    project = make_project({"app": {**base("t_base"), "0002_half.sql": HALF}, "other": base("t_other")})
    quick, full = both_reads(project)
    assert quick is not None and quick == full and not quick.initialised  # no tables yet

    project.upgrade("other")
    with pytest.raises(MigrationFailed):
        project.upgrade("app")  # app:0002 stops half-way: a dirty mark with its progress
    quick, full = both_reads(project)
    assert quick == full
    assert quick.versions == {"app": 1, "other": 1} and quick.dirty["app"].statements_done == 2
    assert quick.checksums[("app", 1)] and quick.part_checksums[("app", 1)]


def test_tables_of_an_earlier_release_are_read_alike(make_project):
    project = make_project({"app": base("t_base")})
    previous_release_tables(project)
    project.stamp("app", 1)
    quick, full = both_reads(project)
    assert quick == full and quick.versions == {"app": 1}


def test_a_no_op_upgrade_answers_without_waiting_for_a_lock_someone_holds(make_project):
    """The commonest deploy has nothing to do: it says so at once, even while another run holds
    the lock; with work to do, it waits for the lock as before (and here gives up)."""
    project = make_project({"app": base("t_base"), "later": base("t_later")})
    project.upgrade("app")
    other = Project.load(project.config.path)
    try:
        with project.locked(1.0, lambda event: None):
            assert other.upgrade("app", lock_timeout=0.2).steps_done == 0
            with pytest.raises(LockTimeout):
                other.upgrade("later", lock_timeout=0.2)
    finally:
        other.close()


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///var/app.db",
        "sqlite+pysqlite:////tmp/app.db",
        "postgresql://app@db.example.com:5433/shop",
        "postgresql+psycopg://app:s3cret%40x@10.0.0.1/shop",
        "postgresql+psycopg://postgres@/shop",
        "mysql+pymysql://root:pw@127.0.0.1:3306/shop",
        "mariadb://root@localhost/shop",
    ],
)
def test_a_plain_url_is_shown_exactly_as_the_backend_shows_it(url, tmp_path):
    (tmp_path / "var").mkdir()
    location = parse_plain_url(url, tmp_path)
    assert location is not None
    assert location.display_url == open_backend(url, tmp_path).display_url
    assert "s3cret" not in location.display_url


@pytest.mark.parametrize(
    "url",
    ["sqlite://", "sqlite:///:memory:", "sqlite:///app.db?timeout=5", "postgresql+psycopg2://u@h/db",
     "postgresql+psycopg://u@h/db?sslmode=require", "mysql+pymysql://root@localhost/", "sqlite:///my%20app.db"],
)
def test_anything_but_a_plain_url_is_left_to_sqlalchemy(url, tmp_path):
    assert parse_plain_url(url, tmp_path) is None


def test_status_plan_and_a_no_op_upgrade_never_import_sqlalchemy(sample_project, run_cli):
    assert run_cli(sample_project)("upgrade", "--all").exit_code == 0
    for command in (["status"], ["plan"], ["upgrade", "--all"], ["upgrade", "--all", "-v"]):
        printed, imported = imported_by_cli(command, sample_project, ("sqlalchemy",))
        assert imported == [], command
    assert "Nothing to apply" in printed and "Database: sqlite:///" in printed


def test_a_look_at_a_sqlite_database_nothing_migrated_yet_creates_no_file(sample_project, run_cli):
    cli = run_cli(sample_project)
    database = sample_project / "var" / "app.db"
    status = cli("status")
    assert status.exit_code == 0 and "3 pending" in status.stdout and not database.exists()
    assert cli("plan").exit_code == 0 and not database.exists()
    assert cli("upgrade", "--all").exit_code == 0 and database.exists()


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"])
def test_a_server_that_never_answers_is_reported_after_one_timeout_not_two(scheme, tmp_path, monkeypatch):
    """A host that accepts the connection and then says nothing (or drops packets) costs the
    connect timeout once: the driver read reports it, worded as always, and the SQLAlchemy path
    is not tried again. The SQLAlchemy path gives up after the timeout too (PyMySQL waited for
    the server's greeting for ever)."""
    from modmig.errors import DatabaseUnavailable
    from modmig.run import quick_state
    from modmig.run.database import ProjectDatabase

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the kernel completes the handshake; nobody ever answers
    try:
        url = f"{scheme}://app:secret@127.0.0.1:{silent.getsockname()[1]}/shop"
        write_tree(tmp_path, {"app": base("t_base")}, url)
        monkeypatch.setattr(quick_state, "CONNECT_TIMEOUT", 1)
        with monkeypatch.context() as once:
            once.setattr(ProjectDatabase, "connect", lambda self: pytest.fail("connected a second time"))
            with Project.load(tmp_path) as project, pytest.raises(DatabaseUnavailable) as caught:
                project.status()
        # The SQLAlchemy path (here: status -v, which asks the server for its profile) gives up too.
        for backend in ("postgresql", "mysql"):
            monkeypatch.setattr(f"modmig.run.backends.{backend}.CONNECT_TIMEOUT", 2)
        with Project.load(tmp_path) as project, pytest.raises(DatabaseUnavailable) as through_sqlalchemy:
            project.status(profile=True)
    finally:
        silent.close()
    for error in (caught.value, through_sqlalchemy.value):
        assert f"{scheme}://app:***@127.0.0.1:" in str(error) and "secret" not in str(error)


def test_on_mysql_only_the_greeting_is_bounded_a_long_statement_still_runs(make_project, database_url, monkeypatch):
    if not database_url.startswith("mysql"):
        pytest.skip("PyMySQL's read timeout: the other drivers bound the connection alone")
    monkeypatch.setattr("modmig.run.backends.mysql.CONNECT_TIMEOUT", 1)
    project = make_project({"app": {"0001_slow.sql": "SELECT SLEEP(2);\n"}})
    assert project.upgrade("app").steps_done == 1
