"""Capability profiles: what ``status -v`` says, declarations modmig.yaml may and may not make,
and what the pgbouncer-transaction profile changes on PostgreSQL (declared on a direct server
here; tests/run/test_topologies*.py run through a real PgBouncer and Galera cluster)."""

import json

import pytest
from sqlalchemy import create_engine

from ..conftest import write_tree
from ..databases import topology_of
from .test_upgrade import USERS

#: Core scenarios: they run on the PgBouncer and Galera topologies too (tests/conftest.py).
pytestmark = pytest.mark.conformance

SESSION_LOCK = {"sqlite": "flock on a file beside the database", "postgresql": "pg_try_advisory_lock", "mysql": "GET_LOCK"}


def backend_of(url):
    return "mysql" if url.startswith("mysql") else url.split(":")[0].split("+")[0]


#: The topology modmig must detect on each conformance topology (tests/databases.py), by itself.
DETECTED = {"pgbouncer": "pgbouncer-transaction", "galera": "galera"}


def test_status_verbose_names_the_topology_the_guarantees_and_the_lock(tmp_path, database_url, run_cli):
    write_tree(tmp_path, {"users": USERS}, database_url, "lock: auto\n")
    backend = backend_of(database_url)
    topology = DETECTED.get(topology_of(database_url), "direct")
    result = run_cli(tmp_path)("status", "-v")
    assert result.exit_code == 0, result.output
    assert f"Topology: {topology} (" in result.output
    if topology == "direct":
        assert f"Lock: advisory ({SESSION_LOCK[backend]}; auto: the session lock holds on topology direct)" in result.output
    else:  # behind PgBouncer or on Galera no session lock holds cluster-wide: auto takes the lease
        assert "Lock: lease (" in result.output
        assert f"auto: no session lock holds cluster-wide on topology {topology})" in result.output
    assert f"transactional DDL: {'no' if backend == 'mysql' else 'yes'}" in result.output
    assert "Topology" not in run_cli(tmp_path)("status").output

    document = json.loads(run_cli(tmp_path)("status", "-v", "--json").output)
    profile = document["profile"]
    lock = "advisory" if topology == "direct" else "lease"
    assert (profile["backend"], profile["topology"], profile["lock"]) == (backend, topology, lock)
    assert profile["one_ddl_per_transaction"] is (backend == "mysql")
    assert (profile["lease_seconds"] is None) is (lock == "advisory")
    assert profile["prepared_statements"] is (topology != "pgbouncer-transaction")
    assert "profile" not in json.loads(run_cli(tmp_path)("status", "--json").output)


def test_a_declared_lease_is_used_and_shown_with_its_length(tmp_path, database_url, run_cli):
    write_tree(tmp_path, {"users": USERS}, database_url, "lock: lease\nlease: 12s\n")
    result = run_cli(tmp_path)("status", "-v")
    assert f"Lock: lease (12 s, a row in _schema_lock renewed by a heartbeat; declared in modmig.yaml ({tmp_path / 'modmig.yaml'}:" in result.output
    assert run_cli(tmp_path)("upgrade", "--all").exit_code == 0
    engine = create_engine(database_url)
    with engine.connect() as connection:  # released: no row left behind
        assert connection.exec_driver_sql("SELECT COUNT(*) FROM _schema_lock").scalar() == 0
    engine.dispose()


@pytest.mark.parametrize("text, message", [
    ("topology: bouncer\n", "'topology' must be one of auto, direct, pgbouncer-transaction, galera, not 'bouncer'."),
    ("lock: leases\n", "'lock' must be one of auto, advisory, lease, not 'leases'. Did you mean 'lease'?"),
    ("lease: 500ms\n", "'lease' must be at least 1 s (its heartbeat renews it every third of it), not 0.5 s"),
    ("lease: soon\n", "'lease' must be a positive duration"),
])
def test_bad_lock_settings_are_named_with_their_line(tmp_path, run_cli, text, message):
    write_tree(tmp_path, {"users": USERS}, "sqlite:///app.db", text)
    result = run_cli(tmp_path)("status")
    assert result.exit_code == 2
    assert message in result.stderr and "modmig.yaml:4" in result.stderr


@pytest.mark.parametrize("topology, backend_url", [
    ("pgbouncer-transaction", "postgresql://nobody@127.0.0.1:1/none"),
    ("galera", "mysql+pymysql://nobody@127.0.0.1:1/none"),
])
def test_an_advisory_lock_is_refused_where_it_cannot_hold(tmp_path, run_cli, topology, backend_url):
    """Refused from modmig.yaml alone, before connecting (nothing answers on port 1)."""
    write_tree(tmp_path, {"users": USERS}, backend_url, f"topology: {topology}\nlock: advisory\n")
    result = run_cli(tmp_path)("upgrade", "--all")
    assert result.exit_code == 2, result.output
    assert f"'lock: advisory' ({tmp_path / 'modmig.yaml'}:5) cannot hold on topology {topology}" in result.stderr
    assert "Use 'lock: lease'" in result.stderr


def test_a_topology_of_another_database_is_refused(tmp_path, run_cli):
    write_tree(tmp_path, {"users": USERS}, "sqlite:///app.db", "topology: galera\n")
    result = run_cli(tmp_path)("upgrade", "--all")
    assert result.exit_code == 2
    assert f"'topology: galera' ({tmp_path / 'modmig.yaml'}:4) does not apply to a sqlite database" in result.stderr


def test_declared_galera_on_mariadb_takes_the_lease(tmp_path, mysql_url, run_cli):
    write_tree(tmp_path, {"users": USERS}, mysql_url, "topology: galera\n")
    profile = json.loads(run_cli(tmp_path)("status", "-v", "--json").output)["profile"]
    assert (profile["topology"], profile["lock"], profile["cluster_wide_session_lock"]) == ("galera", "lease", False)
    assert profile["evidence"].startswith("declared in modmig.yaml")
    assert run_cli(tmp_path)("upgrade", "--all").exit_code == 0


POOLED = "topology: pgbouncer-transaction\n"


def test_behind_a_transaction_pooler_the_schema_is_set_in_each_transaction(tmp_path, postgres_url, run_cli):
    write_tree(tmp_path, {"users": USERS}, postgres_url, POOLED + "schema: tenant\ntimeouts: {lock_timeout: 5s}\n")
    result = run_cli(tmp_path)("upgrade", "--all")
    assert result.exit_code == 0, result.output
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        tables = connection.exec_driver_sql(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('tenant', 'public')"
        ).all()
    engine.dispose()
    assert {schema for schema, _ in tables} == {"tenant"}  # the migrations' unqualified names landed in it
    assert ("tenant", "_schema_lock") in tables


def test_behind_a_transaction_pooler_a_transaction_off_migration_needing_session_settings_is_refused(
    tmp_path, postgres_url, run_cli
):
    apps = {"app": {
        "0001_t.sql": "CREATE TABLE t (x INTEGER);\n",
        "0002_index.sql": "-- modmig: transaction off\nCREATE INDEX CONCURRENTLY t_x ON t (x);\n",
    }}
    write_tree(tmp_path, apps, postgres_url, POOLED + "timeouts: {lock_timeout: 5s}\n")
    result = run_cli(tmp_path)("upgrade", "--all")
    assert result.exit_code == 2, result.output
    assert "0002_index.sql" in result.stderr and "runs with 'transaction off'" in result.stderr
    assert "cannot apply the session settings timeouts:" in result.stderr
    assert run_cli(tmp_path)("status").output.count("pending") >= 1  # refused before anything ran

    write_tree(tmp_path, apps, postgres_url, POOLED)  # without session settings it runs
    result = run_cli(tmp_path)("upgrade", "--all")
    assert result.exit_code == 0, result.output
