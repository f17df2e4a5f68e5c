"""Real processes: concurrent deploys apply each migration once; a SIGKILL loses nothing.

These start the actual CLI (``python -m modmig``) so the lock is exercised across processes.
Synchronisation is by reading the child's output, never by sleeping.
"""

import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from modmig.api import Project

from ..conftest import LEASE_MODE, MODMIG, modmig_process, write_tree
from ..databases import topology_of
from ..topologies.racing import APPS, STEPS, logging_project

#: Core scenarios: they run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance

PROCESSES = 8
#: A statement that runs for minutes, for the kill test.
SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1000000000) SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(300)",
    "mysql": "SELECT SLEEP(300)",
}


def rows(database_url, query, commit=False):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            result = connection.execute(text(query))
            if commit:
                connection.commit()
                return None
            return result.all()
    finally:
        engine.dispose()


@pytest.mark.parametrize("strategy", ["advisory", "lease"])
def test_concurrent_upgrades_apply_every_migration_exactly_once(tmp_path, database_url, strategy):
    if strategy == "advisory" and topology_of(database_url):
        pytest.skip("lock: advisory is refused on PgBouncer and Galera (tests/run/test_locking.py asserts it)")
    folder = logging_project(tmp_path / "project", database_url, f"lock: {strategy}\n")
    processes = [
        modmig_process(["upgrade", "--all", "--lock-timeout", "120"], folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(PROCESSES)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    assert [p.returncode for p in processes] == [0] * PROCESSES, outputs
    logged = rows(database_url, "SELECT migration, COUNT(*) FROM run_log GROUP BY migration")
    assert sorted(logged) == sorted((f"app{a}:{v}", 1) for a in range(APPS) for v in range(1, STEPS + 1))
    history = rows(database_url, "SELECT app, version, COUNT(*) FROM _schema_history WHERE direction = 'up' GROUP BY app, version")
    assert len(history) == APPS * STEPS + 1 and all(count == 1 for _, _, count in history)
    assert sum("Applying" in out for out in outputs) >= 1


def test_a_process_killed_mid_migration_is_rolled_back_and_the_rerun_completes(tmp_path, database_url):
    if database_url.startswith("mysql"):
        pytest.skip("MySQL cannot roll back DDL: a killed migration is resumed instead (next test)")
    apps = {"app": {
        "0001_log.sql": "CREATE TABLE run_log (migration VARCHAR(40) NOT NULL);\n",
        "0002_slow.py": (
            "import os\n"
            f"SLOW = {SLOW!r}\n"
            "def upgrade(ctx):\n"
            "    ctx.execute('CREATE TABLE half_done (id INTEGER PRIMARY KEY)')\n"
            "    ctx.execute(\"INSERT INTO run_log (migration) VALUES ('app:2')\")\n"
            "    if not os.environ.get('MODMIG_TEST_FAST'):\n"
            "        print('MIGRATION-STARTED', flush=True)\n"
            "        ctx.execute(SLOW[ctx.dialect])\n"
        ),
        "0003_after.sql": "INSERT INTO run_log (migration) VALUES ('app:3');\n",
    }}
    folder = tmp_path / "project"
    # On a topology that takes the lease lock, the killed run's lease blocks the rerun until it
    # expires (a session lock is freed at once): a short lease, and the rerun may wait for it.
    leased = LEASE_MODE or topology_of(database_url) is not None
    write_tree(folder, apps, database_url, "lease: 3\n" if leased else "")
    victim = modmig_process(["upgrade", "--all"], folder, stdout=subprocess.PIPE, text=True)
    for line in victim.stdout:
        if "MIGRATION-STARTED" in line:
            break
    else:
        pytest.fail("the slow migration never started")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)

    assert rows(database_url, "SELECT version, dirty FROM _schema_versions WHERE app = 'app'") == [(1, False)]
    assert rows(database_url, "SELECT migration FROM run_log") == []

    rerun = rerun_upgrade(folder, MODMIG_TEST_FAST="1")
    assert rerun.returncode == 0, rerun.stderr
    # A lease waits to run out; PostgreSQL's advisory lock is held by the killed run's own session,
    # which the server ends once client_connection_check_interval (2 s) finds its client gone.
    assert leased or database_url.startswith("postgresql") or "Waiting for the migration lock" not in rerun.stderr
    assert sorted(rows(database_url, "SELECT migration FROM run_log")) == [("app:2",), ("app:3",)]
    assert rows(database_url, "SELECT version FROM _schema_versions WHERE app = 'app'") == [(3,)]
    assert rows(database_url, UP_ROWS) == [(1, 1), (2, 1), (3, 1)]


def test_a_mysql_process_killed_mid_migration_resumes_at_the_interrupted_statement(tmp_path, database_url):
    if not database_url.startswith("mysql"):
        pytest.skip("PostgreSQL and SQLite roll a killed migration back instead (previous test)")
    apps = {"app": {
        "0001_log.sql": "CREATE TABLE run_log (migration VARCHAR(40) NOT NULL);\nCREATE TABLE go_fast (id INTEGER);\n",
        "0002_slow.sql": (
            "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\n"
            "INSERT INTO run_log (migration) VALUES ('app:2 before');\n"
            "SELECT SLEEP(IF(EXISTS(SELECT 1 FROM go_fast), 0, 300));\n"
            "INSERT INTO run_log (migration) VALUES ('app:2 after');\n"
        ),
        "0003_after.sql": "INSERT INTO run_log (migration) VALUES ('app:3');\n",
    }}
    folder = tmp_path / "project"
    leased = LEASE_MODE or topology_of(database_url) is not None  # the killed run's lease blocks the rerun until it expires
    write_tree(folder, apps, database_url, "lease: 3\n" if leased else "")
    victim = modmig_process(["upgrade", "--all"], folder, stdout=subprocess.DEVNULL)
    database = make_url(database_url).database
    sleeping = (
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
        f"WHERE DB = '{database}' AND INFO LIKE 'SELECT SLEEP%'"
    )
    wait_for(lambda: rows(database_url, sleeping) == [(1,)], "the slow statement never started")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)

    project = Project.load(folder)
    status = project.status().apps[0]
    assert (status.version, status.dirty.version, status.dirty.statements_done) == (1, 2, 2)
    assert rows(database_url, "SELECT migration FROM run_log") == [("app:2 before",)]

    rows(database_url, "INSERT INTO go_fast VALUES (1)", commit=True)
    rerun = rerun_upgrade(folder)
    assert rerun.returncode == 0, rerun.stderr
    assert "Applying app:0002_slow (resuming after statement 2) ... OK" in rerun.stdout
    # A lease waits to run out; PostgreSQL's advisory lock is held by the killed run's own session,
    # which the server ends once client_connection_check_interval (2 s) finds its client gone.
    assert leased or database_url.startswith("postgresql") or "Waiting for the migration lock" not in rerun.stderr
    assert sorted(rows(database_url, "SELECT migration FROM run_log")) == [("app:2 after",), ("app:2 before",), ("app:3",)]
    assert rows(database_url, "SELECT version, dirty FROM _schema_versions WHERE app = 'app'") == [(3, False)]
    assert rows(database_url, UP_ROWS) == [(1, 1), (2, 1), (3, 1)]
    project.close()


UP_ROWS = "SELECT version, COUNT(*) FROM _schema_history WHERE direction = 'up' AND success = TRUE GROUP BY version ORDER BY version"


def rerun_upgrade(folder, **env):
    return subprocess.run(
        [*MODMIG, "upgrade", "--all", "--lock-timeout", "10"],
        cwd=folder, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )


def wait_for(condition, failure: str, timeout: float = 60) -> None:
    """Poll ``condition`` until it holds (a state another process reaches), failing after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(failure)
        time.sleep(0.05)
