"""Adopting databases with stamp, and scaffolding migrations with new."""

import pytest

from modmig.api import Project
from modmig.errors import UsageError

from ..conftest import table_names, versions
from .test_upgrade import USERS


def test_stamp_adopts_a_database_created_by_other_means(make_project):
    project = make_project({"users": USERS})
    with project.connect() as connection:
        connection.exec_driver_sql("CREATE TABLE users_user (id INTEGER PRIMARY KEY, email VARCHAR(100))")
        connection.commit()
    result = project.stamp("users", 2)
    assert (result.previous, result.version) == (0, 2)
    assert [(r.version, r.direction) for r in project.history()] == [(1, "stamp"), (2, "stamp")]
    assert project.upgrade().steps_done == 1
    assert table_names(project) == {"users_user", "users_profile"}


def test_stamped_migrations_are_checksum_checked_like_applied_ones(make_project):
    project = make_project({"users": USERS})
    project.stamp("users", 1)
    path = project.histories["users"].migrations[0].path
    path.write_text(path.read_text() + "-- edited\n")
    assert not Project.load(project.config.path).check().ok


def test_stamp_down_records_a_single_row_and_moves_the_version(make_project):
    project = make_project({"users": USERS})
    project.upgrade()
    project.stamp("users", 1)
    assert versions(project) == {"users": 1}
    assert project.history()[-1].direction == "stamp"


def test_stamp_outside_the_history_is_refused(make_project):
    project = make_project({"users": USERS})
    with pytest.raises(UsageError, match="from 0001 to 0003"):
        project.stamp("users", 4)


def test_new_writes_the_next_numbered_file_which_loads_as_a_migration(scenario, run_cli):
    folder = scenario("failing_migration")
    cli = run_cli(folder)
    result = cli("new", "blog", "add_tags")
    assert result.exit_code == 0 and "0004_add_tags.sql" in result.stdout
    python = cli("new", "blog", "backfill_tags", "--python")
    assert "0005_backfill_tags.py" in python.stdout
    project = Project.load(folder)
    migrations = project.histories["blog"].migrations
    assert [m.name for m in migrations[-2:]] == ["0004_add_tags", "0005_backfill_tags"]
    assert migrations[-1].kind == "python" and migrations[-1].reversible
    assert migrations[-2].dependencies == () and migrations[-2].reversible


def test_new_creates_the_migrations_folder_of_a_new_app(tmp_path, run_cli):
    (tmp_path / "apps" / "fresh").mkdir(parents=True)
    (tmp_path / "modmig.yaml").write_text("database: sqlite:///app.db\napps:\n  fresh: apps/fresh\n")
    result = run_cli(tmp_path)("new", "fresh", "initial")
    assert result.exit_code == 0
    assert (tmp_path / "apps/fresh/migrations/0001_initial.sql").is_file()


def test_new_refuses_a_slug_that_would_not_load(scenario, run_cli):
    result = run_cli(scenario("failing_migration"))("new", "blog", "Add Tags")
    assert result.exit_code == 2 and "Invalid slug 'Add Tags'" in result.stderr
