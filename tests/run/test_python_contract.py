"""Python migrations that break the contract fail like any other migration, on every backend.

Calling ``ctx.connection.commit()`` (or rollback, close), ``sys.exit()``, or raising any
BaseException inside ``upgrade(ctx)`` is that migration's failure: a message naming the file and
line, rolled back where the database can, a ``failed`` history row, the lock released, exit 1
(130 for Ctrl-C). Before, commit() made the migration's work permanent with no history row, and
``sys.exit(3)`` ended modmig with exit 3 and no message.
"""

import pytest

from modmig.errors import MigrationFailed

from ..conftest import table_names, versions

BASE = {"0001_base.sql": "CREATE TABLE t_base (id INTEGER PRIMARY KEY);\n"}


def python_migration(body: str) -> dict:
    return {**BASE, "0002_data.py": (
        "import sys\n"
        "def upgrade(ctx):\n"
        "    ctx.execute('INSERT INTO t_base (id) VALUES (1)')\n"
        f"    {body}\n"
    )}


@pytest.mark.parametrize("call", ["ctx.connection.commit()", "ctx.connection.rollback()", "ctx.connection.close()", "ctx.connection.begin()"])
def test_a_migration_that_ends_modmigs_transaction_itself_fails_and_nothing_is_committed(make_project, call):
    project = make_project({"app": python_migration(call)})
    with pytest.raises(MigrationFailed) as caught:
        project.upgrade("app")
    error = caught.value
    assert error.line == 4 and str(error.path).endswith("0002_data.py")
    assert f"ctx.connection.{call.split('.')[-1].rstrip('()')}()" in error.error and "ContractBroken" in error.error
    assert versions(project) == {"app": 1}
    with project.connect() as connection:
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM t_base").scalar() == 0  # the INSERT was not committed
    last = project.history()[-1]
    assert (last.version, last.success) == (2, False) and "ContractBroken" in last.error


def test_sys_exit_in_a_migration_is_its_failure_with_exit_1(make_project, run_cli):
    project = make_project({"app": python_migration("sys.exit(3)")})
    result = run_cli(project.config.path.parent)("upgrade", "app")
    assert result.exit_code == 1, result.output
    assert "0002_data.py:4" in result.stderr and "sys.exit(3)" in result.stderr
    assert versions(project) == {"app": 1}
    assert project.history()[-1].success is False
    # the lock was released: a second run does not wait for it
    again = run_cli(project.config.path.parent)("upgrade", "app", "--lock-timeout", "0")
    assert again.exit_code == 1 and "Gave up waiting" not in again.stderr


def test_ctrl_c_inside_a_migration_exits_130_with_the_same_message(make_project, run_cli):
    project = make_project({"app": python_migration("raise KeyboardInterrupt")})
    result = run_cli(project.config.path.parent)("upgrade", "app")
    assert result.exit_code == 130, result.output
    assert "Interrupted by SIGINT during app:0002, at" in result.stderr and "0002_data.py:4" in result.stderr
    assert versions(project) == {"app": 1}
    assert project.history()[-1].success is False


def test_a_transaction_off_migration_may_commit_but_not_close_the_connection(make_project):
    project = make_project({"app": {**BASE, "0002_data.py": (
        "transaction = False\n"
        "def upgrade(ctx):\n"
        "    ctx.execute('INSERT INTO t_base (id) VALUES (1)')\n"
        "    ctx.connection.commit()\n"
    ), "0003_close.py": "transaction = False\ndef upgrade(ctx):\n    ctx.connection.close()\n"}})
    with pytest.raises(MigrationFailed) as caught:
        project.upgrade("app")
    assert caught.value.version == 3 and "ctx.connection.close()" in caught.value.error
    assert versions(project) == {"app": 2}
    assert "t_base" in table_names(project)
