"""Every bad input: a clear one-paragraph message, the right exit code, no traceback, no change.

Each scenario is a fixture tree under tests/fixtures/projects/<name>, run through the real CLI.
"""

from pathlib import Path

import pytest


def no_database_written(folder: Path) -> bool:
    return not (folder / "app.db").exists()


@pytest.mark.parametrize(
    "name, command, expected",
    [
        ("no_config", ["status"], ["No modmig.yaml found in", "modmig init"]),
        ("bad_yaml", ["status"], ["modmig.yaml", "YAML syntax error at line 4, column"]),
        ("unknown_key", ["status"], ["modmig.yaml:1:", "unknown key 'databse'", "Did you mean 'database'"]),
        ("invalid_label", ["status"], ["modmig.yaml:3:", "invalid app label 'Blog-App'"]),
        ("missing_app_folder", ["upgrade", "--all"], ["app 'ghost'", "apps/ghost does not exist"]),
        ("missing_migrations_folder", ["upgrade", "--all"], ["app 'blog'", "no migrations/ folder"]),
        (
            "duplicate_version",
            ["upgrade", "--all"],
            ["two migrations with version 2", "0002_add_tags.sql and", "0002_add_title.sql"],
        ),
        ("version_gap", ["upgrade", "--all"], ["App 'blog' has no migration 0002", "0003_add_title.sql"]),
        (
            "unknown_dependency_app",
            ["upgrade", "--all"],
            ["0001_create_posts.sql:1", "'user:0001'", "Did you mean 'users'"],
        ),
        (
            "unknown_dependency_version",
            ["plan"],
            ["0001_create_posts.sql:2", "'users:0009' does not exist", "users only goes up to 0001"],
        ),
        ("cycle", ["upgrade", "--all"], ["Dependency cycle: blog:0002 -> users:0003 -> blog:0002"]),
        ("malformed_directive", ["upgrade", "--all"], ["0001_create_posts.sql:2:", "'transaction' takes on or off"]),
        ("python_syntax_error", ["upgrade", "--all"], ["0001_seed.py:3:", "syntax error"]),
        ("python_no_upgrade", ["status"], ["0001_seed.py:", "must define 'def upgrade(ctx):'"]),
    ],
)
def test_bad_project_files_exit_2_with_a_message_naming_the_culprit(scenario, run_cli, name, command, expected):
    folder = scenario(name)
    result = run_cli(folder)(*command)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    for words in expected:
        assert words in result.stderr
    assert "Traceback" not in result.output
    assert no_database_written(folder)


def test_an_unknown_app_on_the_command_line_suggests_the_closest(scenario, run_cli):
    result = run_cli(scenario("failing_migration"))("upgrade", "blgo")
    assert result.exit_code == 2
    assert "Unknown app 'blgo'. Did you mean 'blog'?" in result.stderr


def test_a_downgrade_target_above_the_current_version_is_refused(scenario, run_cli):
    cli = run_cli(scenario("failing_migration"))
    assert cli("upgrade", "users").exit_code == 0
    result = cli("downgrade", "blog", "--to", "1")
    assert result.exit_code == 2
    assert "Cannot downgrade 'blog' to 1: it is at version 0, below the target" in result.stderr


def test_a_malformed_database_url_is_refused_without_its_password(scenario, run_cli):
    result = run_cli(scenario("failing_migration"))("status", "--database", "postgresql://admin:s3cret@[bad")
    assert result.exit_code == 2
    assert "s3cret" not in result.output
    assert "admin:***@" in result.stderr


def test_an_unreachable_database_is_reported_without_its_password(scenario, run_cli):
    result = run_cli(scenario("failing_migration"))(
        "status", "--database", "sqlite:////proc/no/such/folder/app.db"
    )
    assert result.exit_code == 2
    assert "Cannot use database sqlite:////proc/no/such/folder/app.db" in result.stderr
    assert "Traceback" not in result.output


def test_upgrade_without_an_app_or_all_is_a_usage_error(scenario, run_cli):
    result = run_cli(scenario("failing_migration"))("upgrade")
    assert result.exit_code == 2
    assert "Name one app or pass --all" in result.output
