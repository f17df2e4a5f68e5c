"""Faults that must not stop the others: an unreachable target, a vanished one, an unreadable
schema; and the server's connection limit, which a fleet reads and stays under."""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from ..conftest import Cli, write_tree
from ..databases import admin_engine, provision
from .conftest import APPS, LOGGED

BACKENDS = ["postgresql", "mysql", "sqlite"]
#: A server that refuses connections (nothing listens on port 1), with a password that must never show.
UNREACHABLE = {
    "postgresql": "postgresql+psycopg://app:s3cret@127.0.0.1:1/nowhere",
    "mysql": "mysql+pymysql://app:s3cret@127.0.0.1:1/nowhere",
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unreachable_and_a_vanished_target_are_reported_and_the_others_are_migrated(backend, tmp_path):
    with provision(backend, tmp_path / "a") as first, provision(backend, tmp_path / "b") as second:
        if backend == "sqlite":
            unreachable = f"sqlite:///{tmp_path / 'corrupt.db'}"
            (tmp_path / "corrupt.db").write_bytes(b"this is not a database" * 100)
            missing = f"sqlite:///{tmp_path / 'missing.db'}"
            (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
            for url in (first, second):
                create_engine(url).connect().close()
        else:
            unreachable = UNREACHABLE[backend]
            missing = make_url(first).set(database="modmig_no_such_database").render_as_string(hide_password=False)
        urls = "".join(f"      - {url}\n" for url in (first, unreachable, missing, second))
        root = tmp_path / "project"
        write_tree(root, APPS, None, f"fleets:\n  shards:\n    urls:\n{urls}")
        cli = Cli(root)

        stopped = cli("upgrade", "--all", "--fleet", "shards", "--json")
        run = json.loads(stopped.stdout)
        assert stopped.exit_code == 1 and run["stopped"] == "on_error"
        assert run["counts"] == {"targets": 4, "migrated": 0, "up_to_date": 0, "failed": 1, "skipped": 2, "gone": 1}

        result = cli("upgrade", "--all", "--fleet", "shards", "--on-error", "continue")
        assert result.exit_code == 1
        assert "s3cret" not in result.stdout + result.stderr
        assert "migrated 2, up to date 0, failed 1, skipped 0, gone 1" in result.stdout
        shown = make_url(unreachable).render_as_string(hide_password=True)
        assert f"{shown}: unreachable: Cannot use database {shown}" in result.stdout
        assert "does not exist (any more)" in result.stdout
        for url in (first, second):
            engine = create_engine(url)
            with engine.connect() as connection:
                assert sorted(r[0] for r in connection.exec_driver_sql("SELECT migration FROM run_log")) == LOGGED
            engine.dispose()
        if backend == "sqlite":
            assert not (tmp_path / "missing.db").exists()  # a vanished file is reported, never created


@contextmanager
def role_database(tmp_path, connection_limit: int = -1):
    """A database owned by a new login role (not a superuser), and that role's URL."""
    role = f"mmf_role_{uuid.uuid4().hex[:8]}"
    admin = admin_engine("postgresql")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT {connection_limit}")
    try:
        with provision("postgresql", tmp_path) as url:
            database = make_url(url).database
            with admin.connect() as connection:
                connection.exec_driver_sql(f'ALTER DATABASE "{database}" OWNER TO {role}')
            yield url, make_url(url).set(username=role).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")


def test_a_schema_the_role_cannot_read_is_reported_and_the_others_are_read_and_migrated(tmp_path):
    with role_database(tmp_path) as (admin_url, role_url):
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        role = make_url(role_url).username
        with engine.connect() as connection:
            for name in ("t0", "t1", "t2"):
                connection.exec_driver_sql(f"CREATE SCHEMA {name} AUTHORIZATION {role}")
            connection.exec_driver_sql("CREATE SCHEMA t3")  # the postgres superuser's; the role may not use it
            connection.exec_driver_sql("CREATE TABLE t3._schema_versions (app TEXT)")
            connection.exec_driver_sql("CREATE TABLE t3._schema_history (app TEXT)")
        engine.dispose()
        root = tmp_path / "project"
        write_tree(root, APPS, None, f'fleets:\n  tenants:\n    schemas: "t*"\n    database: {role_url}\n')
        result = Cli(root)("upgrade", "--all", "--fleet", "tenants", "--on-error", "continue", "--json")
        run = json.loads(result.stdout)
        assert {t["target"]: t["status"] for t in run["targets"]} == {"t0": "migrated", "t1": "migrated", "t2": "migrated", "t3": "failed"}
        assert "permission denied for schema t3" in run["targets"][3]["failure"]["message"]


def test_a_fleet_stays_under_the_connection_limit_it_reads_from_the_server(tmp_path):
    with role_database(tmp_path, connection_limit=5) as (admin_url, role_url):
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        role = make_url(role_url).username
        with engine.connect() as connection:
            for number in range(8):
                connection.exec_driver_sql(f"CREATE SCHEMA t{number} AUTHORIZATION {role}")
        engine.dispose()
        root = tmp_path / "project"
        write_tree(root, APPS, None, f'fleets:\n  tenants:\n    schemas: "t*"\n    database: {role_url}\n')
        result = Cli(root)("upgrade", "--all", "--fleet", "tenants", "--parallel", "8", "--json")
        run = json.loads(result.stdout)
        assert result.exit_code == 0, result.stdout  # no target was refused a connection
        assert run["counts"]["migrated"] == 8
        (server,) = run["servers"].values()
        # 5 allowed, 1 in use when read: 4 targets, each one connection (its session holds its lock)
        assert server["parallel"] == 4
        assert server["limited_by"] == "the role's connection limit 5, 1 in use"
