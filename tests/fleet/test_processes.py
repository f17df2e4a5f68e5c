"""Real fleet runs as processes: a SIGKILLed run loses nothing, and two racing runs share the work.

Both start the actual CLI (``python -m modmig``). Synchronisation is by reading a run's output and
the databases' own view of what is running, never by sleeping.
"""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from ..conftest import LEASE_MODE, modmig_process
from ..run.test_processes import wait_for
from .conftest import APPS, LOGGED, SIZE

#: A statement that runs for minutes in a target that has a ``block_here`` table, and at once elsewhere.
BLOCKING = {
    "schemas": "SELECT pg_sleep(CASE WHEN to_regclass('block_here') IS NULL THEN 0 ELSE 300 END)",
    "databases": "SELECT SLEEP(IF(EXISTS(SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                 "AND TABLE_NAME = 'block_here'), 300, 0))",
    "files": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < (SELECT CASE WHEN EXISTS "
             "(SELECT 1 FROM sqlite_master WHERE name = 'block_here') THEN 2000000000 ELSE 1 END)) SELECT COUNT(*) FROM c",
}


def test_a_killed_fleet_run_loses_nothing_and_the_rerun_finishes_the_rest(fleet):
    apps = {**APPS, "slow": {"0001_wait.sql": (
        "-- modmig: depends log:0001\nINSERT INTO run_log (migration) VALUES ('slow:1');\n" + BLOCKING[fleet.kind] + ";\n"
    )}}
    fleet.write(apps)
    blocked = (SIZE // 2, SIZE // 2 + 1)
    for number in blocked:
        fleet.sql(number, "CREATE TABLE block_here (id INTEGER)")
    victim = modmig_process(["upgrade", "--all", "--fleet", "tenants", "--parallel", "2"], fleet.root,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen, first_half = [], {fleet.target(n) for n in range(SIZE // 2)}
    for line in victim.stdout:  # the targets before the blocked ones finish first (they are taken in order)
        seen.append(line)
        first_half.discard(line.split(": migrated")[0])
        if not first_half:
            break
    else:
        pytest.fail("the run ended before the blocked targets: " + "".join(seen))
    # Kill while both workers sit in the blocked statement: mid-migration, and (for MySQL, whose DDL
    # commits by itself) not in the instant between a DDL statement and its progress mark, which no
    # tool can close (docs/backends.md).
    wait_for(lambda: _running_blocked(fleet), "the blocked migrations did not start")
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)

    for number in range(SIZE // 2):  # what finished before the kill is recorded as applied
        assert fleet.log(number) == sorted([*LOGGED, "slow:1"])
    for number in blocked:
        fleet.sql(number, "DROP TABLE block_here")
    rerun = _upgrade(fleet)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    document = json.loads(rerun.stdout)
    assert document["counts"]["failed"] == 0 and document["counts"]["up_to_date"] >= SIZE // 2
    for number in range(SIZE):  # every migration ran once in every target: nothing lost, nothing twice
        assert fleet.log(number) == sorted([*LOGGED, "slow:1"]), number
        assert len(fleet.up_rows(number)) == len(set(fleet.up_rows(number))) == 6


def test_two_racing_fleet_runs_migrate_every_target_exactly_once_and_each_reports_what_it_did(fleet):
    runs = [
        modmig_process(["upgrade", "--all", "--fleet", "tenants", "--parallel", "2", "--json"], fleet.root,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    documents = [json.loads(out) for out, _ in outputs]
    migrated = [{t["target"] for t in d["targets"] if t["status"] == "migrated"} for d in documents]
    assert not migrated[0] & migrated[1]  # no target migrated by both
    assert migrated[0] | migrated[1] == {fleet.target(n) for n in range(SIZE)}
    for document, mine in zip(documents, migrated):
        assert {t["target"] for t in document["targets"] if t["status"] == "up_to_date"} == {fleet.target(n) for n in range(SIZE)} - mine
    for number in range(SIZE):
        assert fleet.log(number) == LOGGED
        assert len(fleet.up_rows(number)) == 5


def _upgrade(fleet) -> subprocess.CompletedProcess:
    process = modmig_process(["upgrade", "--all", "--fleet", "tenants", "--json", "--lock-timeout", "30"], fleet.root,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def _running_blocked(fleet) -> bool:
    """Whether both blocked migrations are running now (the database's or the lock files' view)."""
    if fleet.kind == "files" and LEASE_MODE:  # held by the lease's row (MODMIG_TEST_LOCK=lease), not a lock file
        return all(_lease_held(fleet, n) for n in (SIZE // 2, SIZE // 2 + 1))
    if fleet.kind == "files":
        locks = [fleet.root / (fleet.target(n) + ".modmig-lock") for n in (SIZE // 2, SIZE // 2 + 1)]
        return all(lock.exists() and lock.read_text().strip() for lock in locks)
    if fleet.kind == "schemas":
        found = fleet.sql(0, "SELECT COUNT(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(CASE%%' AND state = 'active'")
    else:
        found = fleet.sql(0, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(IF%%'")
    return found[0][0] == 2


def _lease_held(fleet, number) -> bool:
    import sqlite3

    try:
        return fleet.sql(number, "SELECT COUNT(*) FROM _schema_lock")[0][0] == 1
    except sqlite3.Error:  # not created yet
        return False
