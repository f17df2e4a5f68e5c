"""The --fleet options on the command line: the text a person reads, the JSON a pipeline reads.

On a fleet of SQLite files (no server needed); the same commands on PostgreSQL schemas and
MariaDB databases are in tests/fleet/.
"""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from ..conftest import Cli
from ..fleet.conftest import SIZE, FleetUnderTest
from .test_json_output import schema


@pytest.fixture
def files_fleet(tmp_path):
    fleet = FleetUnderTest("files", tmp_path / "project")
    fleet.write()
    fleet.create(*range(SIZE))
    return fleet


def valid(result, name: str) -> dict:
    found = json.loads(result.stdout)
    jsonschema.validate(found, schema(name))
    return found


@pytest.mark.parametrize("name", ["fleet_run", "fleet_status", "fleet_check", "fleet_plan"])
def test_every_fleet_schema_is_a_valid_json_schema(name):
    jsonschema.Draft202012Validator.check_schema(schema(name))


def test_every_fleet_document_matches_its_schema(files_fleet):
    cli = Cli(files_fleet.root)
    files_fleet.sql(3, "CREATE TABLE conflict (id INTEGER)")
    plan = valid(cli("plan", "--fleet", "tenants", "--json"), "fleet_plan")
    assert len(plan["plans"]) == 1 and len(plan["plans"][0]["targets"]) == SIZE and len(plan["plans"][0]["steps"]) == 5
    run = valid(cli("upgrade", "--all", "--fleet", "tenants", "--on-error", "continue", "--json"), "fleet_run")
    assert run["success"] is False and run["targets"][3]["failure"]["error"]["type"] == "MigrationFailed"
    status = valid(cli("status", "--fleet", "tenants", "--json"), "fleet_status")
    assert status["counts"]["behind"] == 1 and status["targets"][3]["behind"] == {"blog": [2]}
    check = cli("check", "--fleet", "tenants", "--json")
    assert check.exit_code == 1
    assert valid(check, "fleet_check")["failing"] == [{"target": "tenants/t03.db", "reasons": ["blog: 1 pending migration(s): 0002"]}]
    plan = valid(cli("plan", "--fleet", "tenants", "--json"), "fleet_plan")
    assert [(p["targets"], [s["name"] for s in p["steps"]]) for p in plan["plans"]] == [(["tenants/t03.db"], ["0002_conflict"])]


def test_a_run_prints_a_line_per_target_and_a_summary_with_each_failure(files_fleet):
    files_fleet.sql(3, "CREATE TABLE conflict (id INTEGER)")
    result = Cli(files_fleet.root)("upgrade", "--all", "--fleet", "tenants", "--on-error", "continue", "--parallel", "2")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("tenants/t00.db: migrated 5 step(s) in ") for line in lines)
    assert any(line.startswith("tenants/t03.db: FAILED (migration): blog:0002 failed: table conflict already exists (rolled back)") for line in lines)
    assert f"Fleet tenants: upgrade --all on {SIZE} target(s) in" in result.stdout
    assert f"  migrated {SIZE - 1}, up to date 0, failed 1, skipped 0, gone 0" in lines
    assert lines[lines.index("Failed (1):") + 1] == "  tenants/t03.db: migration: blog:0002 failed: table conflict already exists (rolled back)"
    assert "Once the cause is fixed, rerun what failed: modmig upgrade --all --fleet tenants --only-failed" in lines


def test_status_prints_the_matrix_and_the_targets_behind(files_fleet):
    cli = Cli(files_fleet.root)
    cli("upgrade", "blog", "--to", "1", "--fleet", "tenants")
    cli("upgrade", "--all", "--fleet", "tenants", "--canary", "2")
    files_fleet.create(SIZE)
    result = cli("status", "--fleet", "tenants")
    assert result.exit_code == 0
    assert f"Fleet tenants: {SIZE + 1} target(s), 2 distinct state(s)." in result.stdout
    assert "blog   2       2: 20, 0: 1" in result.stdout
    assert f"Behind (1):\n  tenants/t{SIZE}.db: blog: 2 pending (0001, 0002); log: 1 pending (0001); users: 2 pending (0001, 0002)" in result.stdout


def test_fleet_options_need_fleet_and_fleet_refuses_database(files_fleet):
    cli = Cli(files_fleet.root)
    alone = cli("upgrade", "--all", "--parallel", "3", "--canary", "1")
    assert alone.exit_code == 2 and "--parallel, --canary only go with --fleet NAME." in alone.stderr
    both = cli("status", "--fleet", "tenants", "--database", "sqlite:///x.db")
    assert both.exit_code == 2 and "use one or the other" in both.stderr
    unknown = cli("upgrade", "--all", "--fleet", "tenant", "--json")
    assert unknown.exit_code == 2 and json.loads(unknown.stdout)["error"]["type"] == "UnknownFleet"
    assert "Unknown fleet 'tenant'. Did you mean 'tenants'? Configured fleets: tenants." in unknown.stderr
    sql = cli("plan", "--fleet", "tenants", "--sql")
    assert sql.exit_code == 2 and "--sql does not go with --fleet: run it on one target with --database URL." in sql.stderr
    roundtrip = cli("check", "--fleet", "tenants", "--roundtrip")
    assert roundtrip.exit_code == 2 and "--roundtrip does not go with --fleet" in roundtrip.stderr
    nothing_recorded = cli("upgrade", "--all", "--fleet", "tenants", "--only-failed")
    assert nothing_recorded.exit_code == 2 and "no run of fleet 'tenants' is recorded" in nothing_recorded.stderr


def test_a_fleet_downgrade_asks_once_for_a_plan_that_reaches_into_other_apps(files_fleet):
    cli = Cli(files_fleet.root)
    cli("upgrade", "--all", "--fleet", "tenants")
    refused = cli("downgrade", "users", "--to", "1", "--fleet", "tenants", "--json")
    assert refused.exit_code == 2 and json.loads(refused.stdout)["error"]["type"] == "ConfirmationRequired"
    assert files_fleet.versions(0)["users"] == 2  # nothing ran
    done = valid(cli("downgrade", "users", "--to", "1", "--fleet", "tenants", "--yes", "--json"), "fleet_run")
    assert done["counts"]["migrated"] == SIZE and done["matrix"]["blog"]["versions"] == {"1": SIZE}
    assert files_fleet.versions(0) == {"log": 1, "users": 1, "blog": 1}
    again = valid(cli("downgrade", "users", "--to", "1", "--fleet", "tenants", "--json"), "fleet_run")
    assert again["counts"]["up_to_date"] == SIZE


def test_on_a_terminal_a_run_is_one_live_line_with_counts_rate_and_eta_and_failures_above_it(files_fleet):
    from ..terminal import run_in_terminal
    from .test_terminal_output import BAR, COLOUR, plain

    files_fleet.sql(3, "CREATE TABLE conflict (id INTEGER)")
    code, output = run_in_terminal(["upgrade", "--all", "--fleet", "tenants", "--on-error", "continue", "--parallel", "2"], files_fleet.root)
    assert code == 1
    assert BAR in output and COLOUR.search(output)
    text = plain(output).replace("\r", "\n")
    assert re.search(rf"tenants +━*.* \d+/{SIZE} done · \d+ failed · \d+ remaining · \d+\.\d/s · ETA", text)
    assert "tenants/t03.db: FAILED (migration): blog:0002 failed" in text
    assert f"migrated {SIZE - 1}, up to date 0, failed 1, skipped 0, gone 0" in text
    assert "tenants/t00.db: migrated" not in text  # on a terminal the live line replaces the per-target lines
