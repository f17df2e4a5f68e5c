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


@pytest.mark.parametrize("command", [["status"], ["upgrade", "--all"]])
@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql+psycopg://admin:s3cret@127.0.0.1:1/app", "postgresql+psycopg://admin:***@127.0.0.1:1/app"),
        ("mysql+pymysql://admin:s3cret@127.0.0.1:1/app", "mysql+pymysql://admin:***@127.0.0.1:1/app"),
        ("postgresql://admin:s3cret@127.0.0.1:1/app", "postgresql+psycopg://admin:***@127.0.0.1:1/app"),
    ],
)
def test_a_server_that_does_not_answer_is_reported_without_the_password(scenario, run_cli, url, shown, command):
    result = run_cli(scenario("failing_migration"))(*command, "--database", url)
    assert result.exit_code == 2, result.output
    assert f"Cannot use database {shown}: " in result.stderr
    assert "s3cret" not in result.output and "Traceback" not in result.output


def test_a_wrong_mysql_password_is_reported_without_it(scenario, run_cli, mysql_url):
    from sqlalchemy.engine import make_url

    url = make_url(mysql_url).set(password="s3cret-wrong").render_as_string(hide_password=False)
    result = run_cli(scenario("failing_migration"))("upgrade", "--all", "--database", url)
    assert result.exit_code == 2, result.output
    assert ":***@" in result.stderr and "Access denied" in result.stderr
    assert "s3cret" not in result.output


def test_a_missing_postgresql_database_is_named_without_the_password(scenario, run_cli, postgres_url):
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url).set(password="s3cret", database="no_such_db_here").render_as_string(hide_password=False)
    result = run_cli(scenario("failing_migration"))("status", "--database", url)
    assert result.exit_code == 2, result.output
    assert ":***@" in result.stderr and 'database "no_such_db_here" does not exist' in result.stderr
    assert "s3cret" not in result.output


def test_an_unsupported_database_lists_the_supported_urls(scenario, run_cli):
    result = run_cli(scenario("failing_migration"))("status", "--database", "oracle://scott:tiger@db/orcl")
    assert result.exit_code == 2
    assert "no backend for 'oracle'" in result.stderr and "postgresql+psycopg://" in result.stderr
    assert "tiger" not in result.output


def test_a_schema_option_on_sqlite_is_refused(scenario, run_cli):
    folder = scenario("failing_migration")
    with open(folder / "modmig.yaml", "a") as config:
        config.write("schema: tenant\n")
    result = run_cli(folder)("upgrade", "--all")
    assert result.exit_code == 2 and "'schema: tenant' is a PostgreSQL option" in result.stderr


def test_a_driver_that_is_not_installed_is_named_with_what_to_install(scenario, run_cli):
    result = run_cli(scenario("failing_migration"))("status", "--database", "postgresql+pg8000://app:s3cret@db/prod")
    assert result.exit_code == 2
    assert "its driver is not installed (No module named 'pg8000')" in result.stderr
    assert "postgresql+psycopg:// (pip install 'modmig[postgres]')" in result.stderr
    assert "s3cret" not in result.output
