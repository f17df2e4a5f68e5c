"""Commands do what was asked, or say plainly why not (issue 10, item 8).

Each of these did something else before: a "no" at the prompt was reported as "no terminal to ask
on"; ``stamp --from-user-version`` lowered a recorded version silently; ``stamp`` wrote states
``status`` then called inconsistent; ``downgrade --to`` above the app suggested a version that
does not exist; ``squash --from 3 --to 1`` reported a range it never meant; ``upgrade -v`` on
MySQL said "one transaction"; ``check --roundtrip --database mysql://`` said OK after running on
a temporary SQLite file.
"""

import json
import sqlite3

import pytest

from ..conftest import write_tree
from ..terminal import run_in_terminal

#: The database tests here (check --roundtrip on the server given: scratch databases through the
#: pooler) run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance


def test_answering_no_at_the_prompt_says_the_user_declined(sample_project):
    assert run_in_terminal(["upgrade", "--all"], sample_project)[0] == 0
    code, output = run_in_terminal(["downgrade", "users", "--to", "1"], sample_project, env={"NO_COLOR": "1"}, stdin_text="n\n")
    assert code == 1, output
    assert "You declined the downgrade; nothing was changed." in output
    assert "no terminal" not in output


def test_without_a_terminal_the_refusal_says_so_and_how_to_confirm(sample_project, run_cli):
    cli = run_cli(sample_project)
    assert cli("upgrade", "--all").exit_code == 0
    result = cli("downgrade", "users", "--to", "1")
    assert result.exit_code == 2
    assert "Confirm it with --yes (there is no terminal to ask on)" in result.stderr
    assert "Nothing was changed" in result.stderr


def user_version_project(tmp_path):
    files = {f"{v:04d}_t{v}.sql": f"CREATE TABLE t{v} (id INTEGER PRIMARY KEY);\n" for v in range(1, 5)}
    write_tree(tmp_path, {"app": files}, "sqlite:///app.db")
    return tmp_path


def test_stamp_from_user_version_refuses_to_lower_the_recorded_version(tmp_path, run_cli):
    folder = user_version_project(tmp_path)
    cli = run_cli(folder)
    assert cli("upgrade", "app").exit_code == 0
    with sqlite3.connect(folder / "app.db") as connection:
        connection.execute("PRAGMA user_version = 2")
    result = cli("stamp", "app", "--from-user-version")
    assert result.exit_code == 2
    assert "PRAGMA user_version is 2, below the version modmig records for 'app' (4)" in result.stderr
    assert "Nothing was changed" in result.stderr
    assert json.loads(cli("status", "--json").stdout)["apps"][0]["version"] == 4
    forced = cli("stamp", "app", "--from-user-version", "--force")
    assert forced.exit_code == 0 and "Stamped app at 2 (was 4)" in forced.stdout


def test_stamp_refuses_a_state_status_would_call_inconsistent_and_says_why(tmp_path, run_cli):
    write_tree(tmp_path, {
        "users": {"0001_u.sql": "CREATE TABLE u (id INTEGER PRIMARY KEY);\n", "0002_u2.sql": "CREATE TABLE u2 (id INTEGER PRIMARY KEY);\n"},
        "blog": {"0001_b.sql": "-- modmig: depends users:0002\nCREATE TABLE b (id INTEGER PRIMARY KEY);\n"},
    }, "sqlite:///app.db")
    cli = run_cli(tmp_path)
    result = cli("stamp", "blog", "1")
    assert result.exit_code == 2
    assert "blog:0001 would be applied but its dependency users:0002 not (users at 0)" in result.stderr
    assert "stamp users first ('modmig stamp users 2')" in result.stderr and "--force" in result.stderr
    assert cli("stamp", "users", "2").exit_code == 0 and cli("stamp", "blog", "1").exit_code == 0
    lowering = cli("stamp", "users", "1")
    assert lowering.exit_code == 2 and "blog:0001 would be applied but its dependency users:0002 not" in lowering.stderr
    assert "Inconsistent" not in cli("status").stdout


def test_a_downgrade_target_past_the_last_file_does_not_suggest_it(scenario, run_cli):
    cli = run_cli(scenario("failing_migration"))
    result = cli("downgrade", "users", "--to", "5")
    assert result.exit_code == 2
    assert "there is no version 5" in result.stderr and "upgrade" not in result.stderr


def test_squash_with_from_after_to_says_so(sample_project, run_cli):
    result = run_cli(sample_project)("squash", "blog", "--from", "3", "--to", "1", "--no-verify")
    assert result.exit_code == 2
    assert "Cannot squash blog from 0003 to 0001: --from must not be after --to (did you mean --from 1 --to 3?)" in result.stderr


def test_upgrade_verbose_on_mysql_says_how_each_step_really_runs(sample_project, run_cli, mysql_url):
    result = run_cli(sample_project)("upgrade", "users", "-v", "--database", mysql_url)
    assert result.exit_code == 0, result.output
    assert "one transaction)" not in result.stdout.replace("one transaction for its data", "")
    assert "(sql, statement by statement, each with its progress: this database commits DDL implicitly)" in result.stdout


def test_check_roundtrip_runs_on_the_server_it_is_given(sample_project, run_cli, database_url):
    result = run_cli(sample_project)("check", "--roundtrip", "--database", database_url)
    assert result.exit_code == 0, result.output
    if database_url.startswith("sqlite"):
        assert result.stdout.startswith("OK on a temporary SQLite file:")
    else:
        scheme = database_url.split("+")[0]
        assert result.stdout.startswith(f"OK on {scheme}+") and "a scratch database modmig created on the configured server" in result.stdout
        assert "SQLite" not in result.stdout
