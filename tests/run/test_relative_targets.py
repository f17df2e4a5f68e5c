"""Relative targets, as Alembic users type them: ``--to -1``, ``--to +2``, ``--steps K``.

``--to -K`` / ``+K`` count versions from where the app stands; ``--steps K`` counts migration
files (a squash file is one step spanning several versions). Both resolve once, before the plan
is shown, so a confirmed downgrade means the versions that were shown.
"""

import pytest

from modmig.errors import UsageError

from ..conftest import versions

FILES = {
    f"{v:04d}_t{v}.sql": f"CREATE TABLE t{v} (id INTEGER PRIMARY KEY);\n-- modmig: down\nDROP TABLE t{v};\n"
    for v in range(1, 5)
}


def test_downgrade_by_one_version_and_by_steps(make_project):
    project = make_project({"app": FILES})
    project.upgrade("app")
    assert project.downgrade("app", by=-1).steps_done == 1 and versions(project) == {"app": 3}
    assert project.downgrade("app", steps=2).steps_done == 2 and versions(project) == {"app": 1}


def test_upgrade_two_forward_by_version_and_by_steps(make_project):
    project = make_project({"app": FILES})
    project.upgrade("app", by=2)
    assert versions(project) == {"app": 2}
    project.upgrade("app", steps=1)
    assert versions(project) == {"app": 3}


def test_targets_past_either_end_are_refused_with_where_the_app_is(make_project):
    project = make_project({"app": FILES})
    project.upgrade("app", to=1)
    with pytest.raises(UsageError, match="Cannot go 2 version\\(s\\) down from 'app': it is at version 1"):
        project.downgrade("app", by=-2)
    with pytest.raises(UsageError, match="it is at version 1 and only 3 are pending"):
        project.upgrade("app", steps=4)
    with pytest.raises(UsageError, match="this is an upgrade: use 'modmig downgrade app --to -1'"):
        project.upgrade("app", by=-1)
    assert versions(project) == {"app": 1}


def test_a_squash_is_one_step(tmp_path, run_cli, database_url):
    from ..conftest import write_tree

    squash = "-- modmig: replaces 0001-0003\n" + "".join(f"CREATE TABLE t{v} (id INTEGER PRIMARY KEY);\n" for v in range(1, 4))
    squash += "-- modmig: down\n" + "".join(f"DROP TABLE t{v};\n" for v in range(3, 0, -1))
    write_tree(tmp_path, {"app": {"0001_squashed_0003.sql": squash, "0004_t4.sql": FILES["0004_t4.sql"]}}, database_url)
    cli = run_cli(tmp_path)
    assert cli("upgrade", "app", "--steps", "1").exit_code == 0
    assert cli("status", "--json").stdout.count('"version": 3') == 1
    down = cli("downgrade", "app", "--steps", "1")
    assert down.exit_code == 0 and "Unapplying app:0001_squashed_0003" in down.stdout


def test_the_cli_reads_minus_and_plus(sample_project, run_cli):
    cli = run_cli(sample_project)
    assert cli("upgrade", "users", "--to", "+2").exit_code == 0
    plan = cli("plan", "users", "--to", "+1")
    assert "apply users:0003" in plan.stdout
    result = cli("downgrade", "users", "--to", "-1")
    assert result.exit_code == 0 and "Unapplying users:0002" in result.stdout
    bad = cli("downgrade", "users", "--to", "one")
    assert bad.exit_code == 2 and "--to 'one' is not a version" in bad.stderr
    both = cli("downgrade", "users")
    assert both.exit_code == 2 and "--steps K" in both.stderr
