"""MySQL / MariaDB: DDL commits implicitly, so an ordinary migration is tracked statement by statement.

No ``transaction off`` here: these are the migrations users write every day. A failure half-way
leaves the app dirty with its progress; the next upgrade resumes at the failed statement.
"""

import pytest

from modmig.api import Project
from modmig.errors import ConfigError, DirtyState, MigrationFailed, MigrationFileError, UsageError

from ..conftest import ProjectBuilder, table_names, versions

HALF = (
    "CREATE TABLE t_one (id INTEGER PRIMARY KEY);\n"
    "INSERT INTO t_one VALUES (1);\n"
    "INSERT INTO t_missing VALUES (1);\n"
    "CREATE TABLE t_four (id INTEGER PRIMARY KEY);\n"
)
APP = {"0001_base.sql": "CREATE TABLE t_base (id INTEGER PRIMARY KEY);\n", "0002_half.sql": HALF}


@pytest.fixture
def mysql_project(tmp_path, mysql_url):
    build = ProjectBuilder(tmp_path, mysql_url)
    yield build
    build.close()


def fail_half_way(mysql_project):
    project = mysql_project({"app": APP})
    with pytest.raises(MigrationFailed) as caught:
        project.upgrade("app")
    return project, caught.value


def test_a_failure_half_way_leaves_the_app_dirty_with_its_progress_and_keeps_what_succeeded(mysql_project):
    project, error = fail_half_way(mysql_project)
    assert not error.rolled_back and error.line == 3
    assert "mysql commits DDL implicitly" in str(error) and "after 2 statement(s) succeeded" in str(error)
    status = project.status().apps[0]
    assert status.version == 1
    assert (status.dirty.version, status.dirty.statements_done) == (2, 2)
    assert "t_missing" in status.dirty.failed_statement and "doesn't exist" in status.dirty.error
    assert "t_one" in table_names(project) and "t_four" not in table_names(project)
    with project.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM t_one").scalar() == 1


def test_status_shows_the_dirty_migration(mysql_project, run_cli):
    project, _ = fail_half_way(mysql_project)
    result = run_cli(project.config.path.parent)("status")
    assert "DIRTY" in result.stdout
    assert "app is dirty: up of app:0002_half stopped after 2 statement(s) succeeded" in result.stdout
    assert "INSERT INTO t_missing VALUES (1)" in result.stdout


def test_the_same_failure_again_reports_the_same_state_and_runs_nothing_twice(mysql_project):
    project, first = fail_half_way(mysql_project)
    mark = project.status().apps[0].dirty
    with pytest.raises(MigrationFailed) as again:
        project.upgrade("app")
    assert (again.value.line, again.value.statement) == (first.line, first.statement)
    assert project.status().apps[0].dirty == mark
    with project.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM t_one").scalar() == 1


def test_the_next_upgrade_resumes_at_the_failed_statement_once_it_is_fixed(mysql_project):
    project, _ = fail_half_way(mysql_project)
    path = project.histories["app"].migrations[1].path
    path.write_text(HALF.replace("INSERT INTO t_missing VALUES (1)", "INSERT INTO t_one VALUES (3)"))
    fixed = Project.load(project.config.path)
    events = []
    fixed.upgrade("app", on_event=events.append)
    assert [e.resumed_from for e in events if type(e).__name__ == "StepStarted"] == [2]
    with fixed.connect() as connection:
        assert connection.exec_driver_sql("SELECT id FROM t_one ORDER BY id").scalars().all() == [1, 3]
    assert "t_four" in table_names(fixed)
    assert versions(fixed) == {"app": 2} and fixed.check().ok
    fixed.close()


def test_resume_is_refused_when_a_statement_that_already_ran_was_edited(mysql_project):
    project, _ = fail_half_way(mysql_project)
    path = project.histories["app"].migrations[1].path
    path.write_text(HALF.replace("INSERT INTO t_one VALUES (1)", "INSERT INTO t_one VALUES (2)"))
    edited = Project.load(project.config.path)
    with pytest.raises(DirtyState, match=r"The 2 statement\(s\) that already ran have changed"):
        edited.upgrade("app")
    edited.close()


def test_repair_resolves_the_dirty_migration_as_the_operator_says(mysql_project):
    project, _ = fail_half_way(mysql_project)
    with pytest.raises(UsageError, match="statement 1 of the upgrade of app:0002_half .* took effect and was not undone"):
        project.repair("app", applied=False)  # t_one is still there: "none of it took effect" is false
    with project.connect() as connection:  # the operator undoes it by hand
        connection.exec_driver_sql("DROP TABLE t_one")
    assert project.repair("app", applied=False).version == 1
    assert project.status().apps[0].dirty is None and versions(project) == {"app": 1}
    assert project.history()[-1].direction == "repair"


def test_a_python_migration_that_failed_needs_repair_not_resume(mysql_project):
    project = mysql_project({"app": {"0001_data.py": "def upgrade(ctx):\n    ctx.execute('CREATE TABLE t_py (id INTEGER)')\n    raise ValueError('half done')\n"}})
    with pytest.raises(MigrationFailed, match="A Python migration cannot resume part-way"):
        project.upgrade("app")
    with pytest.raises(DirtyState, match=r"app:0001_data \(a Python migration\) did not finish"):
        project.upgrade("app")
    assert project.repair("app", applied=True).version == 1 and project.check().ok


def test_triggers_and_procedures_with_begin_end_bodies_run_as_one_statement(mysql_project):
    project = mysql_project({"app": {"0001_bodies.sql": (
        "CREATE TABLE t (x INTEGER, note VARCHAR(20)); -- a comment; with a semicolon\n"
        "# a MySQL comment; also with one\n"
        "CREATE TRIGGER t_clamp BEFORE INSERT ON t FOR EACH ROW\n"
        "BEGIN\n"
        "  IF NEW.x < 0 THEN SET NEW.x = 0; END IF;\n"
        "  SET NEW.note = 'it\\'s; fine';\n"
        "END;\n"
        "CREATE PROCEDURE fill(n INTEGER)\n"
        "BEGIN\n"
        "  DECLARE i INTEGER DEFAULT 0;\n"
        "  REPEAT SET i = i + 1; INSERT INTO t (x) VALUES (-i); UNTIL i >= n END REPEAT;\n"
        "END;\n"
        "CALL fill(3);\n"
    )}})
    project.upgrade("app")
    with project.connect() as connection:
        assert connection.exec_driver_sql("SELECT x, note FROM t").all() == [(0, "it's; fine")] * 3


def test_a_delimiter_line_is_refused_before_anything_runs(mysql_project):
    project = mysql_project({"app": {
        "0001_first.sql": "CREATE TABLE t_first (id INTEGER);\n",
        "0002_proc.sql": "DELIMITER //\nCREATE PROCEDURE p() BEGIN SELECT 1; END//\nDELIMITER ;\n",
    }})
    with pytest.raises(MigrationFileError) as caught:
        project.upgrade("app")
    assert caught.value.line == 1 and "0002_proc.sql:1" in str(caught.value)
    assert "'DELIMITER //' is a command of the mysql command-line client" in str(caught.value)
    assert table_names(project) == set()


def test_a_schema_option_is_refused_with_the_url_to_use_instead(mysql_project):
    project = mysql_project({"app": APP}, extra="schema: tenant\n")
    with pytest.raises(ConfigError, match=r"'schema: tenant' is a PostgreSQL option.*/tenant\)"):
        project.upgrade("app")
