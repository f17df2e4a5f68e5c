"""Throwaway databases for the backend conformance suite.

``provision(backend, tmp_path)`` is a context manager that creates an empty database with a unique
name, yields its URL, and drops it afterwards (other test runs may share the same servers).

The servers are found through ``MODMIG_TEST_POSTGRES_URL`` / ``MODMIG_TEST_MYSQL_URL`` (a URL of
an account that may create and drop databases), else the default local ones. When a server does
not answer, its tests are skipped with the reason; under ``CI=true`` that is a failure instead,
so a CI run can never pass without having run the whole suite.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy.engine import make_url

BACKENDS = ["sqlite", "postgresql", "mysql"]

#: backend -> (environment variable, default URL of the server's admin account)
SERVERS = {
    "postgresql": ("MODMIG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    "mysql": ("MODMIG_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/"),
}


@contextmanager
def provision(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if backend not in SERVERS:
        raise ValueError(f"unknown backend {backend!r}")
    admin = admin_engine(backend)
    name = f"modmig_t{os.getpid()}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(_CREATE[backend].format(name=name))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(backend, name)


_CREATE = {
    "postgresql": 'CREATE DATABASE "{name}"',
    "mysql": "CREATE DATABASE `{name}` CHARACTER SET utf8mb4",
}


def drop_database(backend: str, name: str) -> None:
    """Drop a test database, first ending sessions a killed test process left running in it."""
    from sqlalchemy.exc import DBAPIError

    with admin_engine(backend).connect() as connection:
        if backend == "postgresql":
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        leftovers = connection.exec_driver_sql(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s AND ID <> CONNECTION_ID()", (name,)
        ).scalars().all()
        for session in leftovers:
            try:
                connection.exec_driver_sql(f"KILL {int(session)}")
            except DBAPIError as error:  # 1094: the session ended between the query and the KILL
                if getattr(error.orig, "args", [None])[0] != 1094:
                    raise
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")


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
        message = f"{backend} server not available ({reason}); set {variable} to run these tests"
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
    url = os.environ.get(variable) or default
    try:
        engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except ImportError as error:
        return None, f"driver missing: {error}; pip install -e '.[test]'"
    except DBAPIError as error:
        return None, " ".join(str(error.orig).split())
    return engine, None
