"""Capability profiles: what ``status -v`` says, declarations modmig.yaml may and may not make,
and what the pgbouncer-transaction profile changes on PostgreSQL (declared on a direct server
here; tests/topologies/ and the tests marked conformance run through a real PgBouncer and Galera cluster)."""

import json

import pytest
from sqlalchemy import create_engine

from ..conftest import write_tree
from .test_upgrade import USERS

SESSION_LOCK = {"sqlite": "flock on a file beside the database", "postgresql": "pg_try_advisory_lock", "mysql": "GET_LOCK"}


#: conformance backend -> (backend, topology detected, lock chosen by 'lock: auto', what the server told)
DETECTED = {
    "sqlite": ("sqlite", "direct", "advisory", "a database file"),
    "postgresql": ("postgresql", "direct", "advisory", "the server answers on the URL's port 5432"),
    "mysql": ("mysql", "direct", "advisory", "@@wsrep_on is OFF or absent: not a Galera node"),
    "pgbouncer": ("postgresql", "pgbouncer-transaction", "lease", "a pooler: the URL connects to port 6432, the server listens on 5432"),
    "galera": ("mysql", "galera", "lease", "@@wsrep_on = ON (a Galera cluster node; wsrep_OSU_method = TOI)"),
}


def backend_of(url):
    return "mysql" if url.startswith("mysql") else url.split(":")[0].split("+")[0]


@pytest.mark.conformance
def test_status_verbose_names_the_topology_the_guarantees_and_the_lock(request, tmp_path, database_url, run_cli):
    backend, topology, lock, evidence = DETECTED[request.node.callspec.params["database_url"]]
    write_tree(tmp_path, {"users": USERS}, database_url, "lock: auto\n")
    result = run_cli(tmp_path)("status", "-v")
    assert result.exit_code == 0, result.output
    assert f"Topology: {topology} ({evidence}" in result.output
    if lock == "advisory":
        assert f"Lock: advisory ({SESSION_LOCK[backend]}; auto: the session lock holds on topology direct)" in result.output
    else:
        assert f"Lock: lease (30 s, a row in _schema_lock renewed by a heartbeat; auto: no session lock holds cluster-wide on topology {topology})" in result.output
    assert f"transactional DDL: {'no' if backend == 'mysql' else 'yes'}" in result.output
    assert "Topology" not in run_cli(tmp_path)("status").output

    document = json.loads(run_cli(tmp_path)("status", "-v", "--json").output)
    profile = document["profile"]
    assert (profile["backend"], profile["topology"], profile["lock"]) == (backend, topology, lock)
    assert profile["one_ddl_per_transaction"] is (backend == "mysql")
    assert profile["prepared_statements"] is profile["session_state"] is (topology != "pgbouncer-transaction")
    assert "profile" not in json.loads(run_cli(tmp_path)("status", "--json").output)
    assert run_cli(tmp_path)("upgrade", "--all").exit_code == 0  # with that lock


@pytest.mark.conformance
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


@pytest.fixture
def pgbouncer_url(tmp_path):
    from ..databases import provision

    with provision("pgbouncer", tmp_path) as url:
        yield url


def test_through_pgbouncer_no_prepared_statement_outlives_its_transaction(tmp_path, pgbouncer_url):
    """psycopg prepares a query it ran five times, on the server session it ran on. Here two other
    clients take turns holding the server session modmig's connection just released (PgBouncer
    hands out the last released one first), so each of its transactions runs on another session:
    a statement prepared on one is missing (or already there) on the next. modmig's connections
    must not prepare there (without ``prepare_threshold = None`` this fails at the sixth query)."""
    import psycopg
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from modmig.api import Project

    write_tree(tmp_path, {"users": USERS}, pgbouncer_url)
    url = make_url(pgbouncer_url)
    others = [psycopg.connect(host=url.host, port=url.port, user=url.username, dbname=url.database) for _ in range(2)]
    sessions = set()
    try:
        others[1].execute("SELECT 1")
        with Project.load(tmp_path) as project, project.backend.engine.connect() as connection:
            assert project.backend.profile().topology == "pgbouncer-transaction"
            for number in range(10):
                with connection.begin():
                    query = text("SELECT CAST(:n AS INTEGER) + 1, pg_backend_pid()")
                    result, session = connection.execute(query, {"n": number}).one()
                assert result == number + 1
                sessions.add(session)
                others[number % 2].execute("SELECT 1")  # takes the session just released
                others[(number + 1) % 2].commit()  # frees the one the next transaction gets
    finally:
        for other in others:
            other.close()
    assert len(sessions) > 1  # the test did move modmig's transactions between server sessions


def test_through_pgbouncer_a_transaction_off_migration_runs_without_session_settings(tmp_path, pgbouncer_url, run_cli):
    apps = {"app": {
        "0001_t.sql": "CREATE TABLE t (x INTEGER);\n",
        "0002_index.sql": "-- modmig: transaction off\nCREATE INDEX CONCURRENTLY t_x ON t (x);\n",
    }}
    write_tree(tmp_path, apps, pgbouncer_url, "timeouts: {statement_timeout: 1min}\n")
    refused = run_cli(tmp_path)("upgrade", "--all")
    assert refused.exit_code == 2 and "cannot apply the session settings timeouts:" in refused.stderr
    write_tree(tmp_path, apps, pgbouncer_url)
    result = run_cli(tmp_path)("upgrade", "--all")
    assert result.exit_code == 0, result.output
    assert "Applying app:0002_index ... OK" in result.output


@pytest.mark.conformance
def test_every_table_modmig_creates_has_a_primary_key(tmp_path, database_url, run_cli):
    """Galera replicates rows by primary key (and refuses to certify writes to a table without one)."""
    from sqlalchemy import inspect

    write_tree(tmp_path, {"users": USERS}, database_url, "lock: lease\n")
    assert run_cli(tmp_path)("upgrade", "--all").exit_code == 0
    engine = create_engine(database_url)
    with engine.connect() as connection:
        inspector = inspect(connection)
        ours = sorted(name for name in inspector.get_table_names() if name.startswith("_schema_"))
        keys = {name: inspector.get_pk_constraint(name)["constrained_columns"] for name in ours}
    engine.dispose()
    assert keys == {"_schema_history": ["id"], "_schema_lock": ["name"], "_schema_versions": ["app"]}


@pytest.fixture
def galera_url(tmp_path):
    from ..databases import provision

    with provision("galera", tmp_path) as url:
        yield url


def test_a_galera_session_in_rsu_is_refused_before_anything_runs(tmp_path, galera_url, run_cli):
    rsu = galera_url + "?init_command=SET%20SESSION%20wsrep_OSU_method%3D'RSU'"
    write_tree(tmp_path, {"users": USERS}, rsu)
    result = run_cli(tmp_path)("upgrade", "--all")
    assert result.exit_code == 2, result.output
    assert "this Galera session has wsrep_OSU_method = RSU: DDL would change this node only" in result.stderr
    engine = create_engine(galera_url)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SHOW TABLES").all() == []  # nothing ran, nothing was created
    engine.dispose()


@pytest.mark.parametrize("topology", ["pgbouncer", "galera"])
def test_an_advisory_lock_is_refused_where_the_server_shows_it_cannot_hold(tmp_path, run_cli, topology):
    """Not declared: detected (PgBouncer by its port, Galera by wsrep_on); refused all the same."""
    from ..databases import provision

    with provision(topology, tmp_path) as url:
        write_tree(tmp_path / "project", {"users": USERS}, url, "lock: advisory\n")
        result = run_cli(tmp_path / "project")("upgrade", "--all")
        assert result.exit_code == 2, result.output
        detected = {"pgbouncer": "pgbouncer-transaction", "galera": "galera"}[topology]
        assert f"'lock: advisory' ({tmp_path / 'project' / 'modmig.yaml'}:4) cannot hold on topology {detected}" in result.stderr
        engine = create_engine(url)
        # this database only: other tests' databases on the same server have their own tables
        here = "DATABASE()" if topology == "galera" else "current_schema()"
        with engine.connect() as connection:  # refused before anything ran
            assert "_schema_versions" not in connection.exec_driver_sql(
                f"SELECT table_name FROM information_schema.tables WHERE table_schema = {here} AND table_name LIKE '\\_schema%%'"
            ).scalars().all()
        engine.dispose()
