"""Throwaway databases for the backend conformance suite.

``provision(backend, tmp_path)`` is a context manager that creates an empty database with a unique
name, yields its URL, and drops it afterwards (other test runs may share the same servers).

The servers are found through ``MODMIG_TEST_POSTGRES_URL`` / ``MODMIG_TEST_MYSQL_URL`` (a URL of
an account that may create and drop databases), else the default local ones. When a server does
not answer, its tests are skipped with the reason; under ``CI=true`` that is a failure instead,
so a CI run can never pass without having run the whole suite.

Two more backends are production *topologies* in front of those servers (issue 14):

- ``pgbouncer``: PgBouncer in transaction pooling mode (``scripts/pgbouncer.sh``, 127.0.0.1:6432)
  in front of the local PostgreSQL. Databases are created on PostgreSQL directly; the URL handed to
  the test goes through the pooler (``MODMIG_TEST_PGBOUNCER_URL`` overrides it).
- ``galera``: a three-node MariaDB Galera cluster (``scripts/galera.sh``, 127.0.0.1:3311-3313).
  Databases are created through node 1; each test gets the URL of one node, rotating over the three
  (``MODMIG_TEST_GALERA_URLS``: comma-separated admin URLs, node 1 first).

modmig detects both topologies itself (the URL carries nothing special), so a test passes on them
only if modmig's own detection and lock strategy work there. Which tests run on them is chosen in
tests/conftest.py (``TOPOLOGIES``).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import uuid
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.engine import make_url

BACKENDS = ["sqlite", "postgresql", "mysql"]
#: Production topologies in front of the servers above (issue 14): conformance backends too.
TOPOLOGIES = ["pgbouncer", "galera"]

#: backend -> (environment variable, default URL of the server's admin account)
SERVERS = {
    "postgresql": ("MODMIG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "mysql": ("MODMIG_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/"),
    "pgbouncer": ("MODMIG_TEST_PGBOUNCER_URL", "postgresql+psycopg://postgres@127.0.0.1:6432/postgres"),
    "galera": ("MODMIG_TEST_GALERA_URLS", "mysql+pymysql://root@127.0.0.1:3311/"),
}
#: How to start what a topology backend needs, said when it is missing.
START = {"pgbouncer": "run scripts/pgbouncer.sh start", "galera": "run scripts/galera.sh start"}
_GALERA_NODES = "mysql+pymysql://root@127.0.0.1:3311/,mysql+pymysql://root@127.0.0.1:3312/,mysql+pymysql://root@127.0.0.1:3313/"
_rotation = [0]
#: URL -> topology backend, for every database ``provision`` handed out on one.
_TOPOLOGY_OF: dict[str, str] = {}


def topology_of(url: str) -> str | None:
    """"pgbouncer" or "galera" if ``url`` is a database ``provision`` made on that topology, else None:
    for the few tests whose expectation differs there (each says why)."""
    return _TOPOLOGY_OF.get(url)


def galera_nodes() -> list[str]:
    """The admin URLs of the Galera cluster's nodes, node 1 first."""
    return [url.strip() for url in (os.environ.get("MODMIG_TEST_GALERA_URLS") or _GALERA_NODES).split(",") if url.strip()]


def node_url(url: str, node: int) -> str:
    """``url`` (a database on the Galera cluster) pointed at node ``node`` (1-based) instead."""
    base = make_url(galera_nodes()[node - 1])
    return make_url(url).set(host=base.host, port=base.port).render_as_string(hide_password=False)


#: Held shared by every test on the Galera cluster, exclusively by the one that kills a node.
_GALERA_TESTS_LOCK = Path(tempfile.gettempdir()) / "modmig-galera-tests.lock"
_galera_lock_held: list[str] = []


@contextmanager
def galera_tests_lock(exclusive: bool = False) -> Iterator[None]:
    """Keep the node-kill test apart from every other test on the Galera cluster, across xdist workers.

    ``--dist loadgroup`` was meant to do it (``xdist_group("galera")``, tests/conftest.py), but
    pytest-xdist 3.8 marks the group by rewriting ``item._nodeid``, which pytest 9.2 no longer
    reads: the Galera tests ran on both workers, and the node-kill test took node 2 down under the
    racing test on the other one (a red CI). A file lock holds whatever the scheduler does: shared
    for the tests that use the cluster, exclusive for the one that takes a node down.
    """
    if _galera_lock_held and (_galera_lock_held[-1] == "exclusive" or not exclusive):
        yield  # this process already holds the lock, as strongly as asked
        return
    if _galera_lock_held:
        raise RuntimeError("galera_tests_lock: cannot go from shared to exclusive in one process")
    with open(_GALERA_TESTS_LOCK, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        _galera_lock_held.append("exclusive" if exclusive else "shared")
        try:
            yield
        finally:
            _galera_lock_held.pop()  # closing the file releases the lock


@contextmanager
def provision(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if backend not in SERVERS:
        raise ValueError(f"unknown backend {backend!r}")
    with galera_tests_lock() if backend == "galera" else nullcontext():
        yield from _provisioned(backend)


def _provisioned(backend: str) -> Iterator[str]:
    admin = admin_engine(backend)
    if backend == "pgbouncer":  # the pooler cannot create databases: PostgreSQL does, the URL goes through it
        admin_engine("postgresql")
    name = f"modmig_t{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with _creator(backend).connect() as connection:
        connection.exec_driver_sql(_CREATE[backend].format(name=name))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    if backend == "galera":
        _rotation[0] += 1
        url = node_url(url, 1 + _rotation[0] % len(galera_nodes()))
        _wait_replicated(url, name)
    if backend in TOPOLOGIES:
        _TOPOLOGY_OF[url] = backend
    try:
        yield url
    finally:
        _TOPOLOGY_OF.pop(url, None)
        drop_database(backend, name)


_CREATE = {
    "postgresql": 'CREATE DATABASE "{name}"',
    "mysql": "CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
    "pgbouncer": 'CREATE DATABASE "{name}"',
    "galera": "CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
}


def _creator(backend: str):
    """The engine that creates and drops a backend's test databases (PostgreSQL itself for pgbouncer)."""
    return admin_engine("postgresql" if backend == "pgbouncer" else backend)


def _wait_replicated(url: str, name: str) -> None:
    """Wait (deadline 30 s) until the node of ``url`` has applied the CREATE DATABASE made on node 1:
    Galera applies DDL on the other nodes asynchronously to the client that ran it."""
    import time

    from sqlalchemy import create_engine

    engine = create_engine(make_url(url).set(database=""), isolation_level="AUTOCOMMIT")
    deadline = time.monotonic() + 30
    try:
        with engine.connect() as connection:
            while not connection.exec_driver_sql("SHOW DATABASES LIKE %s", (name,)).first():
                if time.monotonic() > deadline:
                    pytest.fail(f"database {name} made on Galera node 1 did not reach {make_url(url).port} in 30 s")
                time.sleep(0.05)
    finally:
        engine.dispose()


def drop_database(backend: str, name: str) -> None:
    """Drop a test database, first ending sessions a killed test process left running in it."""
    if backend == "galera":  # sessions are per node: end the leftovers on every node that answers
        _kill_leftovers_on_other_nodes(name)
    with _creator(backend).connect() as connection:
        if backend in ("postgresql", "pgbouncer"):
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        _kill_sessions_in(connection, name)
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")


def _kill_sessions_in(connection, name: str) -> None:
    """End the sessions a killed test process left in database ``name`` (on this server or node)."""
    from sqlalchemy.exc import DBAPIError

    leftovers = connection.exec_driver_sql(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> CONNECTION_ID()", (name,)
    ).scalars().all()
    for session in leftovers:
        try:
            connection.exec_driver_sql(f"KILL {int(session)}")
        except DBAPIError as error:  # 1094: the session ended between the query and the KILL
            if getattr(error.orig, "args", [None])[0] != 1094:
                raise


def _kill_leftovers_on_other_nodes(name: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    for url in galera_nodes()[1:]:
        engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2})
        try:
            with engine.connect() as connection:
                _kill_sessions_in(connection, name)
        except DBAPIError:  # a node a test killed: its sessions are gone with it
            pass
        finally:
            engine.dispose()


@contextmanager
def limited_account(backend: str, url: str) -> Iterator[str]:
    """``url`` as an account without the privileges modmig needs, dropped afterwards: a PostgreSQL
    role that may not create tables in ``public``, a MySQL/MariaDB account with SELECT only."""
    name = f"modmig_ltd_{uuid.uuid4().hex[:8]}"
    database = make_url(url).database
    with admin_engine(backend).connect() as connection:
        if backend == "postgresql":
            connection.exec_driver_sql(f"CREATE ROLE {name} LOGIN PASSWORD 's3cret'")
        else:
            connection.exec_driver_sql(f"CREATE USER '{name}'@'%%' IDENTIFIED BY 's3cret'")
            connection.exec_driver_sql(f"GRANT SELECT ON `{database}`.* TO '{name}'@'%%'")
    try:
        yield make_url(url).set(username=name, password="s3cret").render_as_string(hide_password=False)
    finally:
        with admin_engine(backend).connect() as connection:
            drop = f"DROP ROLE IF EXISTS {name}" if backend == "postgresql" else f"DROP USER IF EXISTS '{name}'@'%%'"
            connection.exec_driver_sql(drop)


def admin_engine(backend: str):
    """The server's admin engine (autocommit); skips the test, or fails it in CI, if it is down."""
    engine, reason = _server(backend)
    if engine is None:
        variable = SERVERS[backend][0]
        how = f"{START[backend]}, or set {variable}" if backend in START else f"set {variable}"
        message = f"{backend} server not available ({reason}); {how} to run these tests"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}. CI=true: the conformance suite must run on every backend.")
        pytest.skip(message)
    return engine


@lru_cache(maxsize=None)
def _server(backend: str):
    """(engine, None) if the server answers, else (None, why not): asked once per test run."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    variable, default = SERVERS[backend]
    url = galera_nodes()[0] if backend == "galera" else os.environ.get(variable) or default
    try:
        engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
        if backend == "galera":
            _check_cluster()
    except ImportError as error:
        return None, f"driver missing: {error}; pip install -e '.[test]'"
    except DBAPIError as error:
        return None, " ".join(str(error.orig).split())
    except RuntimeError as error:
        return None, str(error)
    return engine, None


def _check_cluster() -> None:
    """Every node answers, as a synced member of one cluster of them all (RuntimeError otherwise)."""
    from sqlalchemy import create_engine

    nodes = galera_nodes()
    for url in nodes:
        engine = create_engine(url, connect_args={"connect_timeout": 5})
        try:
            with engine.connect() as connection:
                size = connection.exec_driver_sql("SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'").first()
                state = connection.exec_driver_sql("SHOW GLOBAL STATUS LIKE 'wsrep_local_state_comment'").first()
        finally:
            engine.dispose()
        if size is None or int(size[1]) != len(nodes) or state[1] != "Synced":
            found = "wsrep off" if size is None else f"cluster size {size[1]}, {state[1]}"
            raise RuntimeError(f"{make_url(url).port} is not a synced node of a {len(nodes)}-node cluster ({found})")
