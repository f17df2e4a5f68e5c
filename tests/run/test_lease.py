"""The lease lock with real processes: a dead holder's lease is taken over, a paused one is fenced.

Every backend (``lock: lease`` works on SQLite, PostgreSQL and MariaDB alike), with a 3 s lease so
a takeover happens within seconds. Waiting for a lease to run out is inherent; everything else is
synchronised on the child's output, files, or the database, polled with a deadline.

PostgreSQL and SQLite run the slow step as a Python migration that waits for a file (an atomic
step: a killed or fenced holder's step rolls back and the next run reruns it). MariaDB runs SQL
with a sleeping statement (a per-statement step: the next run resumes at the dirty mark).
"""

import os
import signal
import subprocess

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ..conftest import MODMIG, modmig_process, write_tree
from .test_processes import UP_ROWS, rows, wait_for

#: Core scenarios: they run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance

LEASE = "lock: lease\nlease: 3s\n"
#: The lease on every backend and topology (PgBouncer in transaction mode, Galera) too.
pytestmark = pytest.mark.conformance


def project(folder, database_url, go_file, write_first: bool):
    """app:0001 log table; app:0002 slow (waits for ``go_file`` unless MODMIG_TEST_FAST); app:0003."""
    if database_url.startswith("mysql"):
        slow = {"0002_slow.sql": (
            "INSERT INTO run_log (migration) VALUES ('app:2 before');\n"
            "SELECT SLEEP(IF(EXISTS(SELECT 1 FROM go_fast), 0, 4));\n"
            "INSERT INTO run_log (migration) VALUES ('app:2 after');\n"
        )}
    else:
        insert = "    ctx.execute(\"INSERT INTO run_log (migration) VALUES ('app:2')\")\n"
        slow = {"0002_slow.py": (
            "import os, time\n"
            "def upgrade(ctx):\n"
            + (insert if write_first else "")
            + "    if not os.environ.get('MODMIG_TEST_FAST'):\n"
            "        print('MIGRATION-STARTED', flush=True)\n"
            f"        while not os.path.exists({str(go_file)!r}):\n"
            "            time.sleep(0.02)\n"
            + ("" if write_first else insert)
        )}
    apps = {"app": {
        "0001_log.sql": "CREATE TABLE run_log (migration VARCHAR(40) NOT NULL);\nCREATE TABLE go_fast (id INTEGER);\n",
        **slow,
        "0003_after.sql": "INSERT INTO run_log (migration) VALUES ('app:3');\n",
    }}
    write_tree(folder, apps, database_url, LEASE)
    return folder


def start_holder(folder, database_url):
    """The first run, stopped in its slow step (returns once the step is running)."""
    holder = modmig_process(["upgrade", "--all"], folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if database_url.startswith("mysql"):
        database = make_url(database_url).database
        sleeping = f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{database}' AND INFO LIKE 'SELECT SLEEP%'"
        wait_for(lambda: rows(database_url, sleeping) == [(1,)], "the slow statement never started")
        rows(database_url, "INSERT INTO go_fast VALUES (1)", commit=True)  # the next run's sleep is 0 s
        return holder
    for line in holder.stdout:
        if "MIGRATION-STARTED" in line:
            return holder
    pytest.fail("the slow migration never started: " + holder.stderr.read())


def start_waiter(folder):
    env = {**os.environ, "MODMIG_TEST_FAST": "1", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [*MODMIG, "upgrade", "--all", "--lock-timeout", "60"], cwd=folder, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def assert_each_migration_once(database_url, lease=True):
    logged = sorted(row[0] for row in rows(database_url, "SELECT migration FROM run_log"))
    if database_url.startswith("mysql"):
        assert logged == ["app:2 after", "app:2 before", "app:3"]
    else:
        assert logged == ["app:2", "app:3"]
    assert rows(database_url, UP_ROWS) == [(1, 1), (2, 1), (3, 1)]
    assert rows(database_url, "SELECT version, dirty FROM _schema_versions WHERE app = 'app'") == [(3, False)]
    if lease:
        assert rows(database_url, "SELECT COUNT(*) FROM _schema_lock") == [(0,)]  # released


def test_a_killed_holders_lease_runs_out_and_the_waiting_run_takes_over(tmp_path, database_url):
    go = tmp_path / "go"
    folder = project(tmp_path / "project", database_url, go, write_first=True)
    holder = start_holder(folder, database_url)
    waiter = start_waiter(folder)
    waiting = waiter.stderr.readline()  # it waits for the live holder's lease before the kill
    assert "Waiting for the migration lock held by" in waiting and f"(pid {holder.pid})" in waiting, waiting
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)

    out, err = waiter.communicate(timeout=120)
    assert waiter.returncode == 0, err
    if database_url.startswith("mysql"):  # resumed at the dirty mark: the first statement is not run again
        assert "Applying app:0002_slow (resuming after statement 1) ... OK" in out
    else:  # the killed step rolled back and ran again
        assert "Applying app:0002_slow ... OK" in out
    assert_each_migration_once(database_url)


def test_a_paused_holder_is_fenced_when_it_wakes_and_changes_nothing(tmp_path, database_url):
    go = tmp_path / "go"
    folder = project(tmp_path / "project", database_url, go, write_first=False)
    holder = start_holder(folder, database_url)
    holder.send_signal(signal.SIGSTOP)
    try:
        waiter = start_waiter(folder)
        out, err = waiter.communicate(timeout=120)  # takes the lease over once it ran out, and finishes
        assert waiter.returncode == 0, err
    finally:
        go.touch()
        holder.send_signal(signal.SIGCONT)
    _, holder_err = holder.communicate(timeout=60)
    assert holder.returncode == 1, holder_err
    assert "This run lost the migration lock after 1 completed step(s)" in holder_err
    assert "another run took the lease over" in holder_err
    assert "Traceback" not in holder_err
    assert_each_migration_once(database_url)


def test_a_waiter_whose_connection_the_server_cuts_says_so_without_a_traceback(tmp_path, database_url, request):
    """The server drops the connection of a run waiting for the lease: the run ends with modmig's
    message alone. SQLAlchemy's pool, failing to roll that connection back when it came back, used
    to print its own traceback above it ('Exception during reset or similar')."""
    if request.node.callspec.params["database_url"] != "mysql":
        pytest.skip("cuts connections with MySQL's KILL: the plain MySQL/MariaDB server shows it")
    folder = project(tmp_path / "project", database_url, tmp_path / "go", write_first=True)
    holder = start_holder(folder, database_url)
    waiter = start_waiter(folder)
    try:
        assert "Waiting for the migration lock held by" in waiter.stderr.readline()
        database = make_url(database_url).database
        others = (f"SELECT ID FROM information_schema.PROCESSLIST WHERE DB = '{database}' "
                  "AND (INFO IS NULL OR INFO NOT LIKE 'SELECT SLEEP%') AND ID <> CONNECTION_ID()")
        for (connection_id,) in rows(database_url, others):  # the waiter's, and the holder's idle ones
            try:
                rows(database_url, f"KILL {connection_id}", commit=True)
            except OperationalError as error:  # it ended between the listing and the KILL
                if error.orig.args[0] != 1094:  # ER_NO_SUCH_THREAD
                    raise
        out, err = waiter.communicate(timeout=60)
    finally:
        for process in (waiter, holder):
            if process.poll() is None:
                process.kill()
            process.communicate()
    assert waiter.returncode != 0, out + err
    assert "Lost connection" in err and err.count("\n") <= 2, err
    assert "Traceback" not in err, err
