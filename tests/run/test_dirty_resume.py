"""Migrations that cannot be rolled back as a whole: dirty marks, resume, and repair.

``transaction off`` runs each statement in autocommit on every backend, so a failure half-way
leaves the app dirty with exactly how far it got; the next upgrade resumes from the failed
statement, unless the statements that already ran were edited.
"""

import pytest

from modmig.api import Project
from modmig.errors import DirtyState, MigrationFailed, UsageError

from ..conftest import table_names, versions

#: Core scenarios: they run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance

HALF = (
    "-- modmig: transaction off\n"
    "CREATE TABLE t_one (id INTEGER PRIMARY KEY);\n"
    "CREATE TABLE t_two (id INTEGER PRIMARY KEY);\n"
    "INSERT INTO t_missing VALUES (1);\n"
    "CREATE TABLE t_four (id INTEGER PRIMARY KEY);\n"
)


def fail_half_way(make_project):
    project = make_project({"app": {"0001_base.sql": "CREATE TABLE t_base (id INTEGER PRIMARY KEY);\n", "0002_half.sql": HALF}})
    with pytest.raises(MigrationFailed) as caught:
        project.upgrade("app")
    return project, caught.value


def test_a_failure_without_transaction_marks_the_app_dirty_with_its_progress(make_project):
    project, error = fail_half_way(make_project)
    assert not error.rolled_back and error.line == 4 and "marked dirty" in str(error)
    status = project.status().apps[0]
    assert status.version == 1
    assert (status.dirty.version, status.dirty.statements_done) == (2, 2)
    assert "t_missing" in status.dirty.failed_statement and status.dirty.error
    assert {"t_one", "t_two"} <= table_names(project) and "t_four" not in table_names(project)
    assert any("dirty" in reason for reason in project.check().reasons)


def test_the_next_upgrade_resumes_at_the_failed_statement(make_project):
    project, _ = fail_half_way(make_project)
    path = project.histories["app"].migrations[1].path
    path.write_text(HALF.replace("INSERT INTO t_missing VALUES (1)", "CREATE TABLE t_three (id INTEGER PRIMARY KEY)"))
    project = Project.load(project.config.path)
    events = []
    project.upgrade("app", on_event=events.append)
    started = [e for e in events if type(e).__name__ == "StepStarted"]
    assert started[0].resumed_from == 2
    assert {"t_one", "t_two", "t_three", "t_four"} <= table_names(project)
    status = project.status().apps[0]
    assert status.version == 2 and status.dirty is None
    project.close()


def test_resume_is_refused_when_the_statements_that_ran_were_edited(make_project):
    project, _ = fail_half_way(make_project)
    path = project.histories["app"].migrations[1].path
    path.write_text(HALF.replace("t_two", "t_2"))
    project = Project.load(project.config.path)
    with pytest.raises(DirtyState, match="statement\\(s\\) that already ran have changed"):
        project.upgrade("app")
    project.close()


def test_the_same_failure_again_reports_the_same_state(make_project):
    project, first = fail_half_way(make_project)
    with pytest.raises(MigrationFailed) as again:
        project.upgrade("app")
    assert again.value.line == first.line
    assert project.status().apps[0].dirty.statements_done == 2


def test_repair_needs_the_operators_decision_and_records_it(make_project):
    project, _ = fail_half_way(make_project)
    with pytest.raises(UsageError, match="--applied"):
        project.repair("app")
    with pytest.raises(UsageError, match="took effect and was not undone: the catalog shows table t_one"):
        project.repair("app", applied=False)  # the next upgrade would create t_one again, and fail
    with project.connect() as connection:  # the operator undoes the two statements by hand
        connection.exec_driver_sql("DROP TABLE t_one")
        connection.exec_driver_sql("DROP TABLE t_two")
        connection.commit()
    result = project.repair("app", applied=False)
    assert result.resolved == "not applied" and versions(project) == {"app": 1}
    assert project.status().apps[0].dirty is None
    assert project.history()[-1].direction == "repair"


def test_repair_as_applied_moves_the_version_past_the_dirty_migration(make_project):
    project, _ = fail_half_way(make_project)
    with pytest.raises(UsageError, match="statement 4 of the upgrade of app:0002_half .* did not take effect"):
        project.repair("app", applied=True)  # t_four was never created
    with project.connect() as connection:  # the operator finishes it by hand
        connection.exec_driver_sql("CREATE TABLE t_four (id INTEGER PRIMARY KEY)")
        connection.commit()
    assert project.repair("app", applied=True).version == 2
    assert versions(project) == {"app": 2} and project.check().ok
