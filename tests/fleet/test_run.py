"""A fleet run on each kind of fleet (PostgreSQL schemas, MariaDB databases, SQLite files).

Every scenario of the issue on SIZE targets: a fresh upgrade, a run with nothing to do, one
failing target under ``--on-error stop`` and ``continue``, ``--only-failed``, a failing canary,
a target added between runs, one that disappeared, and one whose lock another process holds.
The ``run_log`` table of each target counts how often each migration ran.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine

from modmig.api import Project
from modmig.events import ignore
from modmig.fleet.servers import Servers

from ..conftest import Cli
from .conftest import LOGGED, MIGRATIONS, SIZE


def upgrade(fleet, *options: str):
    result = Cli(fleet.root)("upgrade", "--all", "--fleet", "tenants", "--json", *options)
    return result, json.loads(result.stdout)


def statuses(document) -> dict[str, str]:
    return {t["target"]: t["status"] for t in document["targets"]}


def test_a_fresh_fleet_is_migrated_and_the_next_run_has_nothing_to_do(fleet):
    result, run = upgrade(fleet, "--parallel", "3")
    assert result.exit_code == 0, result.output
    assert run["counts"] == {"targets": SIZE, "migrated": SIZE, "up_to_date": 0, "failed": 0, "skipped": 0, "gone": 0}
    assert run["distinct_states"] == 1  # every target was fresh: planned once
    assert all(t["steps_done"] == MIGRATIONS and t["versions"] == {"log": 1, "users": 2, "blog": 2} for t in run["targets"])
    assert run["matrix"]["blog"] == {"latest": 2, "versions": {"2": SIZE}}
    for number in range(SIZE):
        assert fleet.log(number) == LOGGED

    again, noop = upgrade(fleet)
    assert again.exit_code == 0 and noop["counts"]["up_to_date"] == SIZE and noop["distinct_states"] == 1
    assert fleet.log(7) == LOGGED  # nothing ran twice


def test_one_failing_target_stops_the_run_under_on_error_stop(fleet):
    fleet.sql(5, "CREATE TABLE conflict (id INTEGER)")
    result, run = upgrade(fleet, "--parallel", "1")
    assert result.exit_code == 1
    found = statuses(run)
    assert [found[fleet.target(n)] for n in range(SIZE)] == ["migrated"] * 5 + ["failed"] + ["skipped"] * (SIZE - 6)
    failed = run["targets"][5]
    assert failed["failure"]["kind"] == "migration" and "blog:0002 failed" in failed["failure"]["message"]
    if fleet.kind == "databases":  # MySQL commits DDL: the INSERT before the failed CREATE stays, marked dirty
        assert failed["failure"]["state"] == "dirty" and fleet.log(5) == ["blog:1", "blog:2", "users:1", "users:2"]
    else:
        assert failed["failure"]["state"] == "rolled back" and fleet.log(5) == ["blog:1", "users:1", "users:2"]
    assert failed["failure"]["resume"] == "modmig upgrade --all --fleet tenants --only-failed"
    assert failed["versions"] == {"log": 1, "users": 2, "blog": 1}
    assert run["stopped"] == "on_error" and "first failure" in run["targets"][6]["reason"]
    assert fleet.sql(6, "SELECT COUNT(*) FROM " + ("information_schema.tables WHERE table_name = 'run_log' AND table_schema = current_schema()"
                                                    if fleet.kind == "schemas" else "information_schema.TABLES WHERE TABLE_NAME = 'run_log' AND TABLE_SCHEMA = DATABASE()"
                                                    if fleet.kind == "databases" else "sqlite_master WHERE name = 'run_log'"))[0][0] == 0
    assert "tenants" in result.stderr or "FAILED" not in result.stderr  # the document is the report; no traceback
    assert "Traceback" not in result.output


def test_one_failing_target_does_not_stop_the_others_under_continue_and_only_failed_reruns_it(fleet):
    fleet.sql(5, "CREATE TABLE conflict (id INTEGER)")
    result, run = upgrade(fleet, "--on-error", "continue", "--parallel", "4")
    assert result.exit_code == 1 and run["stopped"] is None
    assert run["counts"]["migrated"] == SIZE - 1 and run["counts"]["failed"] == 1
    assert statuses(run)[fleet.target(5)] == "failed"

    fleet.sql(5, "DROP TABLE conflict")
    rerun, again = upgrade(fleet, "--only-failed")
    assert rerun.exit_code == 0, rerun.output
    assert statuses(again) == {fleet.target(5): "migrated"}  # only what failed last time
    assert fleet.log(5) == LOGGED  # blog:2 ran once in all (on MySQL the rerun resumed after the INSERT)
    assert fleet.up_rows(5).count(("blog", 2)) == 1

    nothing, last = upgrade(fleet, "--only-failed")
    assert nothing.exit_code == 0 and last["targets"] == []


def test_a_failing_canary_stops_the_run_and_a_passing_one_lets_it_go_on(fleet):
    fleet.sql(1, "CREATE TABLE conflict (id INTEGER)")
    result, run = upgrade(fleet, "--canary", "3", "--on-error", "continue")
    assert result.exit_code == 1 and run["stopped"] == "canary"
    found = statuses(run)
    assert [found[fleet.target(n)] for n in range(4)] == ["migrated", "failed", "migrated", "skipped"]
    assert run["counts"]["skipped"] == SIZE - 3
    assert "canary" in run["targets"][3]["reason"]

    fleet.sql(1, "DROP TABLE conflict")
    result, run = upgrade(fleet, "--canary", "3")
    assert result.exit_code == 0 and run["stopped"] is None
    assert run["counts"]["migrated"] == SIZE - 2 and run["counts"]["up_to_date"] == 2


def test_a_target_added_between_runs_is_migrated_and_one_that_disappeared_is_reported_once(fleet):
    assert upgrade(fleet)[0].exit_code == 0
    fleet.create(SIZE)
    fleet.drop(3)
    result, run = upgrade(fleet)
    assert result.exit_code == 0, result.output  # a vanished target is no error for the others
    assert [t["target"] for t in run["targets"] if t["status"] == "migrated"] == [fleet.target(SIZE)]
    assert fleet.log(SIZE) == LOGGED
    gone = [t for t in run["targets"] if t["status"] == "gone"]
    assert [t["target"] for t in gone] == [fleet.target(3)] and "no longer found" in gone[0]["reason"]
    assert run["counts"]["up_to_date"] == SIZE - 1

    result, run = upgrade(fleet)
    assert fleet.target(3) not in statuses(run)  # reported once, not on every run
    assert run["counts"] == {"targets": SIZE, "migrated": 0, "up_to_date": SIZE, "failed": 0, "skipped": 0, "gone": 0}


def test_a_locked_target_is_waited_for_then_reported_and_the_others_are_migrated(fleet):
    with Project.load(fleet.root) as project:
        api = project.fleet("tenants")
        target = next(t for t in api.targets() if t.name == fleet.target(2))
        servers = Servers(project.config, 1)
        try:
            with servers.database(target).locked(5, ignore):
                result, run = upgrade(fleet, "--lock-timeout", "0.5")
        finally:
            servers.close()
    assert result.exit_code == 1
    locked = run["targets"][2]
    assert locked["status"] == "failed" and locked["failure"]["kind"] == "locked"
    assert "Gave up waiting for the migration lock after 0.5 s" in locked["failure"]["message"]
    assert run["counts"]["migrated"] == SIZE - 1  # the others did not wait for it

    result, run = upgrade(fleet, "--only-failed")
    assert result.exit_code == 0 and statuses(run) == {fleet.target(2): "migrated"}


@pytest.mark.parametrize("fleet", ["schemas"], indirect=True)
def test_the_python_api_returns_each_targets_result(fleet):
    with Project.load(fleet.root) as project:
        result = project.fleet("tenants").upgrade(parallel=2)
        assert result.ok and result.counts["migrated"] == SIZE
        assert {t.target for t in result.targets} == {fleet.target(n) for n in range(SIZE)}
        status = project.fleet("tenants").status()
    assert status.behind == [] and status.as_dict()["matrix"]["users"]["versions"] == {"2": SIZE}


def test_a_fleet_targets_bookkeeping_is_what_a_single_database_run_writes(fleet):
    """The tables are created, and the rows written, from SQL compiled once for every target."""
    from modmig.run.recorder import Recorder

    result, _run = upgrade(fleet, "--parallel", "2")
    assert result.exit_code == 0, result.output
    columns = {
        "schemas": "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()",
        "databases": "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = DATABASE()",
        "files": "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p WHERE m.type = 'table'",
    }[fleet.kind]
    found: dict[str, set] = {}
    for table, column in fleet.sql(0, columns):
        found.setdefault(table.lower(), set()).add(column.lower())
    recorder = Recorder()
    assert found["_schema_versions"] == {c.name for c in recorder.versions.c}
    assert found["_schema_history"] == {c.name for c in recorder.history.c}
    rows = fleet.sql(0, "SELECT app, version, dirty, dirty_version, dirty_session, dirty_error FROM _schema_versions ORDER BY app")
    assert [(app, version, bool(dirty), rest) for app, version, dirty, *rest in rows] == [
        ("blog", 2, False, [None, None, None]), ("log", 1, False, [None, None, None]), ("users", 2, False, [None, None, None]),
    ]
    history = fleet.sql(0, "SELECT COUNT(*) FROM _schema_history WHERE success = TRUE AND up_checksum IS NOT NULL")
    assert history[0][0] == MIGRATIONS


@pytest.mark.parametrize("fleet", ["schemas"], indirect=True)
def test_a_schema_whose_name_needs_quoting_gets_its_own_bookkeeping(fleet):
    fleet._admin_sql('CREATE SCHEMA "t-quoted"')
    try:
        result, run = upgrade(fleet)
        assert result.exit_code == 0, result.output
        assert statuses(run)["t-quoted"] == "migrated"
        engine = create_engine(fleet.container)
        with engine.connect() as connection:
            versions = dict(connection.exec_driver_sql('SELECT app, version FROM "t-quoted"._schema_versions').all())
        engine.dispose()
        assert versions == {"log": 1, "users": 2, "blog": 2}
    finally:
        fleet._admin_sql('DROP SCHEMA "t-quoted" CASCADE')


@pytest.mark.parametrize("fleet", ["schemas"], indirect=True)
def test_a_schema_with_an_earlier_releases_bookkeeping_is_upgraded_in_place_and_migrated(fleet):
    """The catalog read under the lock sees the columns the earlier release lacked; they are added."""
    from sqlalchemy.dialects import postgresql

    from modmig.run.recorder import ADDED_COLUMNS, Recorder

    recorder, dialect = Recorder(), postgresql.dialect()
    for table in (recorder.versions, recorder.history):
        kept = [c for c in table.columns if c.name not in ADDED_COLUMNS[table.name]]
        definition = ", ".join(
            f"{c.name} {'SERIAL' if c.autoincrement is True else c.type.compile(dialect=dialect)}{' PRIMARY KEY' if c.primary_key else ''}"
            for c in kept
        )
        fleet.sql(0, f"CREATE TABLE {table.name} ({definition})")
    result, run = upgrade(fleet)
    assert result.exit_code == 0, result.output
    assert statuses(run)[fleet.target(0)] == "migrated"
    assert fleet.versions(0) == {"log": 1, "users": 2, "blog": 2}
    added = fleet.sql(0, "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                         "AND column_name IN ('dirty_session', 'up_checksum', 'down_checksum')")
    assert sorted(row[0] for row in added) == ["dirty_session", "down_checksum", "up_checksum"]
