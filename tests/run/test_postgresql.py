"""PostgreSQL: dollar-quoted bodies, the ``schema:`` option, and an advisory lock that never deadlocks."""

import os
import subprocess

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from modmig.api import Project
from modmig.errors import ConnectionLost

from ..conftest import ProjectBuilder, modmig_process, versions, write_tree
from ..databases import admin_engine
from .test_upgrade import USERS


@pytest.fixture
def pg_project(tmp_path, postgres_url):
    build = ProjectBuilder(tmp_path, postgres_url)
    yield build
    build.close()


def test_functions_with_dollar_quoted_bodies_run_as_one_statement(pg_project):
    project = pg_project({"app": {"0001_bodies.sql": (
        "CREATE TABLE t (x INTEGER, note TEXT);\n"
        "CREATE FUNCTION t_clamp() RETURNS trigger AS $body$\n"
        "BEGIN\n"
        "  IF NEW.x < 0 THEN NEW.x := 0; END IF;\n"
        "  NEW.note := $$it's; fine$$;\n"
        "  RETURN NEW;\n"
        "END;\n"
        "$body$ LANGUAGE plpgsql;\n"
        "CREATE TRIGGER t_clamp BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION t_clamp();\n"
        "INSERT INTO t (x) VALUES (-1); -- a comment; with a semicolon\n"
        "INSERT INTO t (x, note) VALUES (2, 'C:\\'); /* standard strings: that backslash is a character */\n"
        "-- modmig: down\n"
        "DROP TABLE t;\n"
        "DROP FUNCTION t_clamp();\n"
    )}})
    project.upgrade("app")
    with project.connect() as connection:
        assert connection.exec_driver_sql("SELECT x, note FROM t ORDER BY x").all() == [(0, "it's; fine"), (2, "it's; fine")]
    project.downgrade("app", to=0)
    assert versions(project) == {"app": 0}


def test_the_schema_option_holds_the_bookkeeping_tables_and_the_migrations_tables(pg_project, postgres_url):
    project = pg_project({"users": USERS}, extra="schema: tenant_a\n")
    project.upgrade()
    engine = create_engine(postgres_url)
    try:
        inspector = inspect(engine)
        assert {"_schema_versions", "_schema_history", "users_user", "users_profile"} <= set(inspector.get_table_names(schema="tenant_a"))
        assert inspector.get_table_names(schema="public") == []
    finally:
        engine.dispose()
    assert versions(project) == {"users": 3}


def test_two_schemas_in_one_database_have_separate_versions_and_locks(pg_project):
    first = pg_project({"users": USERS}, extra="schema: tenant_a\n", folder="a")
    second = pg_project({"users": USERS}, extra="schema: tenant_b\n", folder="b")
    first.upgrade(to=1, app="users")
    with first.backend.lock(5, lambda *_: None):
        assert second.upgrade(lock_timeout=0).steps_done == 3
    assert versions(first) == {"users": 1} and versions(second) == {"users": 3}


def test_the_lock_holder_is_named_by_its_application_name_and_server_pid(pg_project):
    project = pg_project({"users": USERS}, "lock: advisory\n")
    other = Project.load(project.config.path)
    seen = []
    with project.backend.lock(5, lambda *_: None):
        with pytest.raises(Exception, match="Gave up waiting"):
            with other.backend.lock(0.2, lambda holder, waited: seen.append(holder)):
                pass
    other.close()
    assert seen and seen[0].startswith(f"modmig (pid {os.getpid()}) ")
    assert "server pid " in seen[0] and "user postgres" in seen[0]


def test_a_waiting_run_does_not_deadlock_with_create_index_concurrently(pg_project):
    """The waiting process polls and holds no snapshot, so the index build does not wait for it."""
    project = pg_project({"app": {
        "0001_table.sql": "CREATE TABLE t (x INTEGER);\n",
        "0002_index.sql": "-- modmig: transaction off\nCREATE INDEX CONCURRENTLY t_x ON t (x);\n",
    }})
    project.upgrade(to=1, app="app")
    waiting = []

    def start_a_waiting_deploy(event):
        if type(event).__name__ == "StepStarted":
            process = modmig_process(["upgrade", "--all", "--lock-timeout", "60"], project.config.path.parent,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            assert "Waiting for the migration lock" in process.stderr.readline()
            waiting.append(process)

    project.upgrade(on_event=start_a_waiting_deploy)
    out, _ = waiting[0].communicate(timeout=120)
    assert waiting[0].returncode == 0 and "Nothing to apply" in out
    assert versions(project) == {"app": 2}


def test_a_broken_connection_that_cannot_be_reopened_is_reported_not_a_traceback(pg_project, postgres_url):
    database = make_url(postgres_url).database
    admin_url = admin_engine("postgresql").url.render_as_string(hide_password=False)
    project = pg_project({"app": {
        "0001_ok.sql": "CREATE TABLE t_ok (id INTEGER);\n",
        "0002_cut.py": (
            "from sqlalchemy import create_engine\n"
            "def upgrade(ctx):\n"
            f"    with create_engine({admin_url!r}, isolation_level='AUTOCOMMIT').connect() as admin:\n"
            f"        admin.exec_driver_sql('ALTER DATABASE {database} ALLOW_CONNECTIONS false')\n"
            "    ctx.execute('SELECT pg_terminate_backend(pg_backend_pid())')\n"
        ),
    }})
    try:
        # the session that ran the step held the lock: nothing is written through another one
        with pytest.raises(ConnectionLost, match=r"broke during the run, after 1 completed step\(s\): terminating connection "
                           r"due to administrator command \(the session that ran the migrations and held the migration lock \(server pid \d+\) is gone.*the migration lock went with it\)"):
            project.upgrade()
    finally:
        with admin_engine("postgresql").connect() as admin:
            admin.exec_driver_sql(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
    assert versions(project) == {"app": 1}
    assert project.status().apps[0].dirty is None  # the migration's transaction was rolled back


def test_a_callers_engine_keeps_its_own_search_path_while_modmig_uses_the_schema(tmp_path, postgres_url):
    engine = create_engine(postgres_url)
    try:
        project = Project.load(write_tree(tmp_path / "embedded", {"users": USERS}, None, "schema: tenant_b\n"), engine=engine)
        project.upgrade()
        assert "users_user" in inspect(engine).get_table_names(schema="tenant_b")
        with engine.connect() as connection:  # the pooled connection is the caller's again
            assert connection.exec_driver_sql("SHOW search_path").scalar() == '"$user", public'
        project.close()
    finally:
        engine.dispose()
