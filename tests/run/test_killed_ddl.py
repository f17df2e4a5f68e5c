"""MariaDB finishes a DDL statement whose client was killed (issue 10, item 14).

A kill at any moment during a long DDL statement (here: a CREATE TABLE ... SELECT waiting for a
row lock the test holds, which MariaDB goes on waiting for, and then completes, after its client
died) left the progress counter one statement behind, and the rerun repeated the statement
("Table 'big' already exists"). Now the rerun waits for the dead session's statement, reads the
catalog, and continues after it; where the catalog cannot tell, it says so and ``repair`` offers
the choices that are true.
"""

import signal
import subprocess

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from modmig.api import Project

from ..conftest import modmig_process, write_tree
from .test_processes import rows, wait_for


def long_ddl_project(folder, url, statement):
    write_tree(folder, {"app": {
        "0001_gate.sql": "CREATE TABLE gate (id INTEGER PRIMARY KEY);\nINSERT INTO gate VALUES (1);\n",
        "0002_long.sql": (
            "CREATE TABLE before_long (id INTEGER PRIMARY KEY);\n"
            f"{statement};\n"
            "CREATE TABLE after_long (id INTEGER PRIMARY KEY);\n"
        ),
    }}, url)
    with Project.load(folder) as project:
        project.upgrade("app", to=1)


def kill_during_the_long_statement(folder, url, holder, statement_start):
    """Start an upgrade, SIGKILL it while its long statement waits for the row lock ``holder`` keeps."""
    holder.exec_driver_sql("BEGIN")
    holder.exec_driver_sql("SELECT * FROM gate WHERE id = 1 FOR UPDATE").all()  # held until COMMIT
    victim = modmig_process(["upgrade", "app"], folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    database = make_url(url).database
    waiting = f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{database}' AND INFO LIKE '{statement_start}%'"
    wait_for(lambda: rows(url, waiting) == [(1,)], "the long statement never started")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    with Project.load(folder) as project:
        assert project.status().apps[0].dirty.statements_done == 1  # one behind, once the statement finishes


@pytest.fixture
def holder(mysql_url):
    engine = create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    connection = engine.connect()
    yield connection
    connection.close()
    engine.dispose()


def test_the_rerun_waits_for_the_dead_sessions_statement_and_continues_after_it(tmp_path, mysql_url, holder):
    folder = tmp_path / "project"
    long_ddl_project(folder, mysql_url, "CREATE TABLE big AS SELECT id FROM gate WHERE id = 1 FOR UPDATE")
    kill_during_the_long_statement(folder, mysql_url, holder, "CREATE TABLE big")
    rerun = modmig_process(["upgrade", "app", "--lock-timeout", "30"], folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    notice = rerun.stderr.readline()
    while notice.startswith("Waiting for the migration lock"):  # a killed holder's lease (MODMIG_TEST_LOCK=lease)
        notice = rerun.stderr.readline()
    holder.exec_driver_sql("COMMIT")  # the dead session's statement can finish now
    out, err = rerun.communicate(timeout=120)
    assert "Waiting for a statement the stopped run left running on the server to finish" in notice, notice + err
    assert "CREATE TABLE big AS SELECT" in notice
    assert rerun.returncode == 0, err
    assert "Applying app:0002_long (resuming after statement 2) ... OK" in out
    assert "already exists" not in out + err
    tables = {name for (name,) in rows(mysql_url, "SHOW TABLES")}
    assert {"before_long", "big", "after_long"} <= tables
    assert rows(mysql_url, "SELECT version, dirty FROM _schema_versions WHERE app = 'app'") == [(2, False)]


def test_where_the_catalog_cannot_tell_it_says_so_and_repair_records_the_answer(tmp_path, mysql_url, holder, run_cli):
    folder = tmp_path / "project"
    long_ddl_project(folder, mysql_url, "ALTER TABLE gate COMMENT = 'checked'")
    kill_during_the_long_statement(folder, mysql_url, holder, "ALTER TABLE gate")
    holder.exec_driver_sql("COMMIT")
    cli = run_cli(folder)
    result = cli("upgrade", "app", "--lock-timeout", "30")
    assert result.exit_code == 1, result.output
    assert "Statement 2 (ALTER TABLE gate COMMENT = 'checked'" in result.stderr
    assert "modmig cannot tell whether it took effect" in result.stderr and "Look at table gate" in result.stderr
    assert "'modmig repair app --statements-done 2' if it took effect" in result.stderr
    refused = cli("repair", "app", "--not-applied")
    assert refused.exit_code == 2 and "statement 1 of the upgrade of app:0002_long" in refused.stderr and "table before_long" in refused.stderr
    assert cli("repair", "app", "--statements-done", "2").exit_code == 0
    again = cli("upgrade", "app")
    assert again.exit_code == 0, again.output
    assert "(resuming after statement 2)" in again.stdout
    assert "after_long" in {name for (name,) in rows(mysql_url, "SHOW TABLES")}
