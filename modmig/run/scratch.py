"""Throwaway databases: empty, used by one check, dropped afterwards.

Squash verification and ``check --roundtrip`` prove things by running migrations on a database
nobody else uses. By default that is SQLite in memory; given a server URL (PostgreSQL,
MySQL/MariaDB), modmig creates a database with a random name there and drops it afterwards, so a
check about a server's SQL runs on that server. All it needs from the server's backend is the
ordinary ``Backend`` protocol.
"""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import DatabaseUnavailable, UsageError
from .backends.base import mask_url_text

#: The driver modmig installs for each server, used when a URL names none (``postgresql://``).
SERVER_DRIVERS = {"postgresql": "psycopg", "mysql": "pymysql", "mariadb": "pymysql"}


@contextmanager
def scratch_database(url: str | None, base_dir: Path, option: str = "--verify-url") -> Iterator:
    """A backend on an empty throwaway database, dropped afterwards (``url``: the server to use,
    None for SQLite in memory; ``option`` names where the URL came from, for messages)."""
    from .backends import open_backend

    if url is None:
        backend = open_backend("sqlite://", base_dir)
        try:
            yield backend
        finally:
            backend.dispose()
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from .backends.server import with_default_driver

    try:
        server = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(mask_url_text(url), "not a valid SQLAlchemy URL") from None
    kind = server.get_backend_name()
    if kind in SERVER_DRIVERS:
        server = with_default_driver(server, SERVER_DRIVERS[kind])
    if kind == "sqlite":
        if server.database not in (None, "", ":memory:"):
            raise UsageError(f"{option}: a SQLite scratch database is always in memory; pass 'sqlite://' or leave it out.")
        with scratch_database(None, base_dir, option) as backend:
            yield backend
        return
    if kind not in ("postgresql", "mysql", "mariadb"):
        raise UsageError(f"{option}: modmig cannot create a scratch database on {kind!r}; use PostgreSQL or MySQL/MariaDB.")
    name = f"modmig_verify_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    quoted = admin.dialect.identifier_preparer.quote(name)
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
    except DBAPIError as error:
        admin.dispose()
        raise DatabaseUnavailable(
            server.render_as_string(hide_password=True),
            f"cannot create a scratch database there for {option}: {' '.join(str(error.orig).split())}",
        ) from None
    backend = None
    try:
        backend = open_backend(server.set(database=name).render_as_string(hide_password=False), base_dir)
        yield backend
    finally:
        if backend is not None:
            backend.dispose()
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}")
        admin.dispose()
