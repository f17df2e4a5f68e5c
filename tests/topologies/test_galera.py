"""Proofs for a three-node MariaDB Galera cluster (scripts/galera.sh, nodes on 127.0.0.1:3311-3313).

The control shows why GET_LOCK cannot serialise deploys there: it holds only on the node that
granted it, so two nodes grant the same lock at once. The race shows that modmig, which detects
Galera (``@@wsrep_on``) and takes the lease lock (a replicated row) instead, applies each migration
exactly once with 8 deploys spread over the three nodes. The node-kill test shows that a node dying
under a run loses nothing: the lease of the dead run expires, and the rerun through another node
resumes where the dirty mark says.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pymysql
import pytest
from sqlalchemy.engine import make_url

from ..conftest import MODMIG, write_tree
from ..databases import galera_nodes, galera_tests_lock, node_url, provision
from .racing import PROCESSES, assert_each_migration_ran_once, logging_project, race, rows

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "galera.sh"
LEASE = 3  # seconds: short, so the node-kill test's rerun does not wait long for the dead run's lease


@pytest.fixture
def galera_url(tmp_path):
    with _cluster_database(tmp_path) as url:
        yield url


@contextmanager
def _cluster_database(tmp_path, exclusive: bool = False):
    """A database on the cluster, under the Galera tests' lock (``exclusive``: no other test on it)."""
    with galera_tests_lock(exclusive):  # first: while the node-kill test runs, a node is down on purpose
        _every_node_answers()
        with provision("galera", tmp_path) as url:
            yield url


def _every_node_answers() -> None:
    """A node down before a test starts is the cluster's failure, not the test's: say which node, and
    show the end of its error log (``scripts/galera.sh stop`` deletes it when CI ends)."""
    for number, admin in enumerate(galera_nodes(), start=1):
        parsed = make_url(admin)
        try:
            pymysql.connect(host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password or "",
                            connect_timeout=5).close()
        except pymysql.err.OperationalError as error:
            log = Path(os.environ.get("MODMIG_GALERA_DIR", "/var/tmp/modmig-galera")) / f"node{number}" / "error.log"
            tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-40:]) if log.exists() else "(no error log)"
            pytest.fail(f"Galera node {number} ({parsed.host}:{parsed.port}) is down before the test: {error}\n"
                        f"end of {log}:\n{tail}", pytrace=False)


def get_lock(url: str, session_holder: list) -> int:
    """GET_LOCK('modmig_control', 0) in a new session on the node of ``url``, kept open in ``session_holder``."""
    parsed = make_url(url)
    connection = pymysql.connect(host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password or "")
    session_holder.append(connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT GET_LOCK('modmig_control', 0)")
        return cursor.fetchone()[0]


def test_control_two_galera_nodes_both_grant_the_same_get_lock(galera_url):
    sessions: list = []
    try:
        first = get_lock(node_url(galera_url, 1), sessions)
        same_node = get_lock(node_url(galera_url, 1), sessions)
        other_node = get_lock(node_url(galera_url, 2), sessions)
    finally:
        for session in sessions:
            session.close()
    assert (first, same_node) == (1, 0)  # on one node GET_LOCK excludes: the control can tell
    assert other_node == 1  # ... but node 2 grants the lock node 1 holds: two deploys would both run


def test_eight_racing_upgrades_over_the_three_nodes_apply_each_migration_exactly_once(tmp_path, galera_url):
    folder = logging_project(tmp_path / "project", galera_url)
    urls = [node_url(galera_url, 1 + i % len(galera_nodes())) for i in range(PROCESSES)]
    finished = race(folder, urls, "--lock-timeout", "120")
    assert_each_migration_ran_once(galera_url, finished)


KILLABLE = {
    "0001_log.sql": "CREATE TABLE run_log (migration VARCHAR(40) NOT NULL);\nCREATE TABLE go_fast (id INTEGER PRIMARY KEY);\n",
    "0002_slow.sql": (
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\n"
        "INSERT INTO run_log (migration) VALUES ('app:2 before');\n"
        "SELECT SLEEP(IF(EXISTS(SELECT 1 FROM go_fast), 0, 300));\n"
        "INSERT INTO run_log (migration) VALUES ('app:2 after');\n"
    ),
    "0003_after.sql": "INSERT INTO run_log (migration) VALUES ('app:3');\n",
}
UP_ROWS = "SELECT version, COUNT(*) FROM _schema_history WHERE direction = 'up' AND success = TRUE GROUP BY version ORDER BY version"


def galera_script(*args: str) -> None:
    done = subprocess.run([str(SCRIPT), *args], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, f"scripts/galera.sh {' '.join(args)}: {done.stdout}{done.stderr}"


def wait_for(condition, failure: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(failure)
        time.sleep(0.05)


@pytest.fixture
def galera_url_alone(tmp_path):
    """A database on the cluster while no other test uses the cluster (this test kills a node)."""
    with _cluster_database(tmp_path, exclusive=True) as url:
        yield url


def test_a_node_killed_under_a_run_loses_nothing_and_the_rerun_through_another_node_finishes(tmp_path, galera_url_alone):
    galera_url = galera_url_alone
    if os.environ.get("MODMIG_TEST_GALERA_URLS"):
        pytest.skip("kills a node: only on the local cluster of scripts/galera.sh")
    on_node2, on_node3 = node_url(galera_url, 2), node_url(galera_url, 3)
    folder = tmp_path / "project"
    write_tree(folder, {"app": KILLABLE}, on_node3, f"lock: lease\nlease: {LEASE}\n")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    victim = subprocess.Popen(
        [*MODMIG, "upgrade", "--all", "--database", on_node2], cwd=folder, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        database = make_url(galera_url).database
        sleeping = f"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = '{database}' AND INFO LIKE 'SELECT SLEEP%'"
        wait_for(lambda: rows(on_node2, sleeping) == [(1,)], "the slow statement never started on node 2")
        galera_script("kill-node", "2")
        victim_output = victim.communicate(timeout=120)[0]
        assert victim.returncode == 1, victim_output  # its node died under it: the run failed, said so

        # Nothing lost: what node 2 committed before it died (statements 1-2 and the dirty mark) is on node 3.
        assert rows(on_node3, "SELECT migration FROM run_log") == [("app:2 before",)]
        assert [tuple(r) for r in rows(on_node3, "SELECT version, dirty FROM _schema_versions WHERE app = 'app'")] == [(1, 1)]

        rows_commit(on_node3, "INSERT INTO go_fast VALUES (1)")
        rerun = subprocess.run(
            [*MODMIG, "upgrade", "--all", "--lock-timeout", "60"], cwd=folder, env=env,
            capture_output=True, text=True, timeout=180,
        )
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert "Applying app:0002_slow (resuming after statement 2) ... OK" in rerun.stdout
        # ... and nothing doubled.
        assert sorted(rows(on_node3, "SELECT migration FROM run_log")) == [("app:2 after",), ("app:2 before",), ("app:3",)]
        assert [tuple(r) for r in rows(on_node3, "SELECT version, dirty FROM _schema_versions WHERE app = 'app'")] == [(3, 0)]
        assert rows(on_node3, UP_ROWS) == [(1, 1), (2, 1), (3, 1)]
    finally:
        if victim.poll() is None:
            victim.send_signal(signal.SIGKILL)
            victim.wait()
        galera_script("start-node", "2")  # the next tests need all three nodes


def rows_commit(url: str, statement: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()
