"""``timeouts:``: a migration waiting on a busy table fails fast, saying which limit stopped it."""

import pytest
from sqlalchemy import create_engine

from modmig.config import parse_config
from modmig.errors import ConfigError, MigrationFailed

from ..conftest import versions
from ..databases import topology_of

#: Core scenarios: they run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance

BUSY = {
    "0001_busy.sql": "CREATE TABLE busy (id INTEGER);\n",
    "0002_alter.sql": "ALTER TABLE busy ADD COLUMN note VARCHAR(20);\n",
}


@pytest.fixture
def server_url(database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("timeouts: are server settings; a SQLite file has no other sessions to wait for")
    return database_url


def test_a_migration_waiting_on_a_busy_table_fails_fast_naming_the_lock_timeout(make_project, server_url):
    if topology_of(server_url) == "galera":
        pytest.skip("Galera runs DDL in Total Order Isolation: it aborts the transaction holding the table, never waits")
    project = make_project({"app": BUSY}, extra="timeouts:\n  lock_timeout: 1s\n")
    project.upgrade("app", to=1)
    engine = create_engine(server_url)
    try:
        with engine.connect() as reader:
            reader.exec_driver_sql("SELECT * FROM busy").all()  # an open transaction holds the table
            with pytest.raises(MigrationFailed) as caught:
                project.upgrade("app")
    finally:
        engine.dispose()
    message = str(caught.value)
    assert "app:0002 failed" in message and "ALTER TABLE busy" in message
    assert "stopped by timeouts.lock_timeout (1 s in modmig.yaml) while waiting for a lock" in message
    assert versions(project) == {"app": 1}
    project.upgrade("app")  # once the table is free, the same migration goes through
    assert versions(project) == {"app": 2} and project.check().ok


def test_a_statement_running_too_long_is_stopped_by_the_statement_timeout(make_project, server_url):
    sleep = "SELECT pg_sleep(30)" if server_url.startswith("postgresql") else "SELECT SLEEP(30)"
    project = make_project({"app": {"0001_slow.sql": f"{sleep};\n"}}, extra="timeouts:\n  statement_timeout: 300ms\n")
    with pytest.raises(MigrationFailed, match=r"stopped by timeouts.statement_timeout \(0.3 s in modmig.yaml\) while running"):
        project.upgrade("app")
    assert versions(project) == {"app": 0}


@pytest.mark.parametrize("given, seconds", [(5, 5.0), (2.5, 2.5), ("500ms", 0.5), ("5s", 5.0), ("2min", 120.0), ("1h", 3600.0)])
def test_timeouts_are_seconds_or_numbers_with_a_unit(given, seconds):
    config = parse_config({"apps": {}, "timeouts": {"lock_timeout": given}}, None)
    assert config.timeouts == {"lock_timeout": seconds}


@pytest.mark.parametrize("given", ["soon", "5 days", 0, -1, True, "0s"])
def test_a_timeout_that_is_not_a_positive_duration_is_refused(given):
    with pytest.raises(ConfigError, match=r"'timeouts.statement_timeout' must be a positive duration"):
        parse_config({"apps": {}, "timeouts": {"statement_timeout": given}}, None)
