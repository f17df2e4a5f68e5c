"""SIGINT and SIGTERM during a run: the current step ends the safe way and modmig says so.

Before, SIGINT printed only "Aborted!" and SIGTERM nothing. Now a transactional step is rolled
back ("app stays at version 1", exit 130 / 143); on MySQL, whose DDL cannot be rolled back, the
running statement finishes first, so the dirty mark says exactly how far the step got, and the
next upgrade resumes from there. Real processes; synchronised by reading their output and the
server's process list, never by sleeping.
"""

import os
import signal
import subprocess

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from modmig.api import Project

from ..conftest import modmig_process, write_tree
from .test_processes import rerun_upgrade, rows, wait_for

#: Core scenarios: they run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance

STEPS = {
    "0001_log.sql": "CREATE TABLE run_log (migration VARCHAR(40) NOT NULL);\n",
    "0002_slow.py": (
        "import time\n"
        "def upgrade(ctx):\n"
        "    ctx.execute(\"INSERT INTO run_log (migration) VALUES ('app:2')\")\n"
        "    print('MIGRATION-STARTED', flush=True)\n"
        "    while True:\n"
        "        time.sleep(0.05)  # the migration's own work, until the signal arrives\n"
    ),
    "0003_after.sql": "INSERT INTO run_log (migration) VALUES ('app:3');\n",
}


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_rolls_the_running_migration_back_and_says_so(tmp_path, database_url, signum, code):
    if database_url.startswith("mysql"):
        pytest.skip("MySQL cannot roll a migration back: the next test")
    folder = tmp_path / "project"
    write_tree(folder, {"app": STEPS}, database_url)
    victim = modmig_process(["upgrade", "--all"], folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in victim.stdout:
        if "MIGRATION-STARTED" in line:
            break
    victim.send_signal(signum)
    _, err = victim.communicate(timeout=60)
    name = signal.Signals(signum).name
    assert victim.returncode == code, err
    assert f"Interrupted by {name} during app:0002, at apps/app/migrations/0002_slow.py:" in err  # the line it was on
    assert "It was rolled back; app stays at version 1. Nothing after it ran." in err
    assert "Traceback" not in err and "Aborted!" not in err
    assert rows(database_url, "SELECT version, dirty FROM _schema_versions") == [(1, False)]
    assert rows(database_url, "SELECT migration FROM run_log") == []
    assert rows(database_url, "SELECT version, success FROM _schema_history ORDER BY id")[-1] == (2, False)


#: Server-wide lock name: unique per test run, so two suites on one MariaDB server never share it.
GATE = f"modmig_test_gate_{os.getpid()}"
MYSQL_STEPS = {
    "0001_log.sql": "CREATE TABLE run_log (migration VARCHAR(40) NOT NULL);\n",
    "0002_gated.sql": (
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO run_log (migration) VALUES ('app:2 first');\n"
        f"SELECT GET_LOCK('{GATE}', 300);\n"
        "INSERT INTO run_log (migration) VALUES ('app:2 last');\n"
    ),
    "0003_after.sql": "INSERT INTO run_log (migration) VALUES ('app:3');\n",
}


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_on_mysql_a_signal_waits_for_the_running_statement_and_leaves_an_exact_mark(tmp_path, mysql_url, signum, code):
    folder = tmp_path / "project"
    write_tree(folder, {"app": MYSQL_STEPS}, mysql_url)
    gate = create_engine(mysql_url, isolation_level="AUTOCOMMIT")
    holder = gate.connect()
    try:
        assert holder.exec_driver_sql(f"SELECT GET_LOCK('{GATE}', 0)").scalar() == 1
        victim = modmig_process(["upgrade", "--all"], folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        database = make_url(mysql_url).database
        waiting = f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{database}' AND INFO LIKE 'SELECT GET_LOCK%'"
        wait_for(lambda: rows(mysql_url, waiting) == [(1,)], "the gated statement never started")
        victim.send_signal(signum)
        notice = victim.stderr.readline() + victim.stderr.readline()
        assert "received: stopping after the running statement of app:0002_gated finishes" in notice
        holder.exec_driver_sql(f"SELECT RELEASE_LOCK('{GATE}')")
        _, err = victim.communicate(timeout=60)
    finally:
        holder.close()
        gate.dispose()
    name = signal.Signals(signum).name
    assert victim.returncode == code, err
    assert f"Interrupted by {name} during app:0002" in err
    assert "app is marked dirty at 0002 after 3 statement(s) succeeded" in err
    assert "'modmig upgrade app' resumes it at statement 4" in err
    assert "Traceback" not in err
    with Project.load(folder) as project:
        mark = project.status().apps[0].dirty
        assert (mark.version, mark.statements_done, mark.direction) == (2, 3, "up")
    assert rows(mysql_url, "SELECT migration FROM run_log") == [("app:2 first",)]

    rerun = rerun_upgrade(folder)
    assert rerun.returncode == 0, rerun.stderr
    assert "Applying app:0002_gated (resuming after statement 3) ... OK" in rerun.stdout
    assert sorted(rows(mysql_url, "SELECT migration FROM run_log")) == [("app:2 first",), ("app:2 last",), ("app:3",)]
