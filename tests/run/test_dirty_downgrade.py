"""A downgrade that stops part-way: the dirty mark knows it was a downgrade, and everything says so.

Before, on MySQL, the failure said "the next upgrade resumes"; ``upgrade APP`` then answered "up
to date" with exit 0 while the app stayed dirty; fixing the failing down statement was refused
as an edited file; and ``repair --applied`` recorded a version while the object was still there.
``transaction off`` gives every backend the same statement-by-statement downgrade MySQL always
has, so these run on all three.
"""

import pytest

from modmig.api import Project
from modmig.errors import DirtyState, MigrationFailed, UsageError

from ..conftest import table_names, versions

DOWN_FAILS = (
    "-- modmig: transaction off\n"
    "CREATE TABLE t_one (id INTEGER PRIMARY KEY);\n"
    "CREATE TABLE t_two (id INTEGER PRIMARY KEY);\n"
    "-- modmig: down\n"
    "DROP TABLE t_two;\n"
    "DROP TABLE t_missing;\n"
    "DROP TABLE t_one;\n"
)
APP = {"0001_base.sql": "CREATE TABLE t_base (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE t_base;\n", "0002_pair.sql": DOWN_FAILS}


def stopped_downgrade(make_project):
    project = make_project({"app": APP})
    project.upgrade("app")
    with pytest.raises(MigrationFailed) as caught:
        project.downgrade("app", to=1)
    return project, caught.value


def test_the_failure_says_that_a_downgrade_resumes_it_not_an_upgrade(make_project):
    project, error = stopped_downgrade(make_project)
    text = str(error)
    assert "Downgrade of app:0002 failed at" in text and error.line == 6
    assert "marked dirty at 0002 after 1 statement(s) of its down section succeeded" in text
    assert "'modmig downgrade app --to 1' resumes it at statement 2" in text
    assert "upgrade" not in text.split("error:")[1]
    mark = project.status().apps[0].dirty
    assert (mark.direction, mark.version, mark.statements_done) == ("down", 2, 1)


def test_upgrade_refuses_instead_of_saying_up_to_date(make_project, run_cli):
    project, _ = stopped_downgrade(make_project)
    with pytest.raises(DirtyState, match="An upgrade cannot start on top of it, but 'modmig downgrade app --to 1' resumes it"):
        project.upgrade("app")
    result = run_cli(project.config.path.parent)("upgrade", "app")
    assert result.exit_code == 1 and "Nothing to apply" not in result.output
    assert "--applied' (the downgrade of app:0002_pair took full effect" in result.stderr


def test_status_says_dirty_not_up_to_date_and_exits_1(make_project, run_cli):
    project, _ = stopped_downgrade(make_project)
    result = run_cli(project.config.path.parent)("status")
    assert result.exit_code == 1
    assert "DIRTY: downgrade of 0002 stopped part-way" in result.stdout and "up to date" not in result.stdout
    assert "'modmig downgrade app --to 1' resumes it" in result.stderr


def test_the_failed_down_statement_can_be_fixed_and_the_downgrade_resumed(make_project):
    project, _ = stopped_downgrade(make_project)
    path = project.histories["app"].migrations[1].path
    path.write_text(DOWN_FAILS.replace("DROP TABLE t_missing", "SELECT 1"))
    fixed = Project.load(project.config.path)
    events = []
    fixed.downgrade("app", to=1, on_event=events.append)
    started = [e for e in events if type(e).__name__ == "StepStarted"]
    assert started[0].resumed_from == 1
    assert versions(fixed) == {"app": 1} and fixed.status().apps[0].dirty is None
    assert "t_one" not in table_names(fixed) and "t_two" not in table_names(fixed)
    fixed.close()


def test_editing_the_down_statements_that_already_ran_is_refused(make_project):
    project, _ = stopped_downgrade(make_project)
    path = project.histories["app"].migrations[1].path
    path.write_text(DOWN_FAILS.replace("DROP TABLE t_two", "DROP TABLE IF EXISTS t_two"))
    edited = Project.load(project.config.path)
    with pytest.raises(DirtyState, match="statement\\(s\\) that already ran have changed in the down section"):
        edited.downgrade("app", to=1)
    edited.close()


def test_editing_the_up_part_during_a_stopped_downgrade_is_still_an_edit(make_project):
    project, _ = stopped_downgrade(make_project)
    path = project.histories["app"].migrations[1].path
    path.write_text(DOWN_FAILS.replace("t_one (id", "t_one (pk"))
    edited = Project.load(project.config.path)
    assert edited.status().apps[0].changed
    edited.close()


def test_repair_says_what_each_choice_records_for_a_downgrade(make_project):
    project, _ = stopped_downgrade(make_project)
    with pytest.raises(UsageError) as caught:
        project.repair("app")
    text = str(caught.value)
    assert "'modmig repair app --applied' (the downgrade of app:0002_pair took full effect (what it undoes is gone): records app at 1)" in text
    assert "'modmig repair app --not-applied' (none of the downgrade took effect, or you redid it: records app at 2)" in text
    assert "Neither is true if only some of its statements took effect: 'modmig repair app --statements-done N' records that its first N did (the run recorded 1)" in text
    with project.connect() as connection:  # the operator recreates what the down section dropped
        connection.exec_driver_sql("CREATE TABLE t_two (id INTEGER PRIMARY KEY)")
        connection.commit()
    project.repair("app", applied=False)
    assert versions(project) == {"app": 2} and project.status().apps[0].dirty is None


def test_repair_refuses_an_answer_the_catalog_shows_false(make_project):
    project, _ = stopped_downgrade(make_project)
    with pytest.raises(UsageError) as caught:
        project.repair("app", applied=False)  # but DROP TABLE t_two did take effect
    text = str(caught.value)
    assert "statement 1 of the down section of app:0002_pair" in text and "table t_two" in text
    assert "'modmig repair app --statements-done 1'" in text
    assert project.status().apps[0].dirty is not None  # nothing was recorded
    project.repair("app", statements_done=1)
    mark = project.status().apps[0].dirty
    assert mark.statements_done == 1
    path = project.histories["app"].migrations[1].path
    path.write_text(DOWN_FAILS.replace("DROP TABLE t_missing", "SELECT 1"))
    with Project.load(project.config.path) as fixed:
        fixed.downgrade("app", to=1)
        assert versions(fixed) == {"app": 1}


def test_a_downgrade_refuses_to_start_on_a_stopped_upgrade(make_project, run_cli):
    project = make_project({"app": {**APP, "0002_pair.sql": DOWN_FAILS.replace("CREATE TABLE t_two", "INSERT INTO t_missing VALUES (1)")}})
    with pytest.raises(MigrationFailed):
        project.upgrade("app")
    result = run_cli(project.config.path.parent)("downgrade", "app", "--to", "1")
    assert result.exit_code == 1 and "Nothing to undo" not in result.output
    assert "'modmig upgrade app --to 2' resumes it" in result.stderr
