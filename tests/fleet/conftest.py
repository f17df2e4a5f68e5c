"""Fleets to test on: PostgreSQL schemas, MariaDB databases and SQLite files, created and dropped here.

``fleet`` is parametrised over the three kinds, so every test that takes it runs on each. It
writes a project whose migrations log each run into a ``run_log`` table of the target (so
"exactly once" can be counted) and a ``fleets:`` entry named ``tenants`` for the kind, then
creates ``SIZE`` empty targets ``t00`` .. ``t19`` (names prefixed per test on the shared
MariaDB server). Everything is dropped afterwards.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

from ..conftest import write_tree
from ..databases import admin_engine, drop_database, provision

SIZE = 20
KINDS = ["schemas", "databases", "files"]

#: log:0001 creates run_log; users and blog log every migration they run; blog:0002 creates a
#: table a test may create beforehand in one target, to make that one target fail.
APPS = {
    "log": {"0001_run_log.sql": "CREATE TABLE run_log (migration VARCHAR(40) NOT NULL);\n"},
    "users": {
        "0001_users.sql": "-- modmig: depends log:0001\nCREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(40));\n"
                          "INSERT INTO run_log (migration) VALUES ('users:1');\n",
        "0002_email.sql": "ALTER TABLE users ADD COLUMN email VARCHAR(80);\nINSERT INTO run_log (migration) VALUES ('users:2');\n"
                          "-- modmig: down\nALTER TABLE users DROP COLUMN email;\n",
    },
    "blog": {
        "0001_posts.sql": "-- modmig: depends users:0001\nCREATE TABLE posts (id INTEGER PRIMARY KEY, author INTEGER);\n"
                          "INSERT INTO run_log (migration) VALUES ('blog:1');\n",
        "0002_conflict.sql": "-- modmig: depends users:0002\nINSERT INTO run_log (migration) VALUES ('blog:2');\nCREATE TABLE conflict (id INTEGER);\n"
                             "-- modmig: down\nDROP TABLE conflict;\n",
    },
}
#: Migrations (and run_log rows) per fully migrated target.
MIGRATIONS = 5
LOGGED = sorted(["users:1", "users:2", "blog:1", "blog:2"])


class FleetUnderTest:
    """A project with a fleet ``tenants`` of one kind, and ways to reach each target directly."""

    def __init__(self, kind: str, root: Path, container: str | None = None) -> None:
        self.kind, self.root, self.container = kind, root, container
        self.prefix = f"mmf{uuid.uuid4().hex[:8]}_" if kind == "databases" else ""
        self.created: set[str] = set()
        self.extra_fleets = ""

    # -- the project -----------------------------------------------------------------------------

    def write(self, apps: dict | None = None, fleet_extra: str = "") -> Path:
        spec = {
            "schemas": f'    schemas: "t*"\n    database: {self.container}\n',
            "databases": f'    databases: "{self.prefix}t*"\n    server: {self.container}\n',
            "files": '    files: "tenants/*.db"\n',
        }[self.kind]
        extra = "fleets:\n  tenants:\n" + spec + fleet_extra + self.extra_fleets
        return write_tree(self.root, apps or APPS, None, extra)

    def target(self, number: int) -> str:
        """How the fleet names target ``number``: its schema, database, or file relative to the project."""
        if self.kind == "files":
            return f"tenants/t{number:02d}.db"
        return f"{self.prefix}t{number:02d}"

    # -- targets -------------------------------------------------------------------------------

    def create(self, *numbers: int) -> None:
        for number in numbers:
            name = self.target(number)
            if self.kind == "schemas":
                self._admin_sql(f'CREATE SCHEMA "{name}"')
            elif self.kind == "databases":
                self._admin_sql(f"CREATE DATABASE `{name}`")
            else:
                (self.root / "tenants").mkdir(exist_ok=True)
                sqlite3.connect(self.root / name).close()
            self.created.add(name)

    def drop(self, number: int) -> None:
        name = self.target(number)
        if self.kind == "schemas":
            self._admin_sql(f'DROP SCHEMA "{name}" CASCADE')
        elif self.kind == "databases":
            drop_database("mysql", name)
        else:
            (self.root / name).unlink()
        self.created.discard(name)

    def sql(self, number: int, statement: str):
        """Run ``statement`` inside target ``number`` (its schema, database or file); rows if any."""
        name = self.target(number)
        if self.kind == "files":
            connection = sqlite3.connect(self.root / name)
            try:
                rows = connection.execute(statement).fetchall()
                connection.commit()
                return rows
            finally:
                connection.close()
        engine = create_engine(self.container, isolation_level="AUTOCOMMIT") if self.kind == "schemas" else admin_engine("mysql")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(f'SET search_path TO "{name}"' if self.kind == "schemas" else f"USE `{name}`")
                result = connection.exec_driver_sql(statement)
                return result.all() if result.returns_rows else None
        finally:
            if self.kind == "schemas":
                engine.dispose()

    def log(self, number: int) -> list[str]:
        """What ran in target ``number``, one entry per migration run (duplicates would show)."""
        return sorted(row[0] for row in self.sql(number, "SELECT migration FROM run_log"))

    def versions(self, number: int) -> dict[str, int]:
        return dict(self.sql(number, "SELECT app, version FROM _schema_versions"))

    def up_rows(self, number: int) -> list[tuple]:
        return sorted(self.sql(number, "SELECT app, version FROM _schema_history WHERE direction = 'up' AND success = TRUE"))

    def cleanup(self) -> None:
        if self.kind == "databases" and self.created:
            with admin_engine("mysql").connect() as connection:  # one connection for all: dropping is the slow part
                leftovers = connection.exec_driver_sql(
                    "SELECT ID FROM information_schema.PROCESSLIST WHERE DB LIKE %s AND ID <> CONNECTION_ID()", (self.prefix + "%",)
                ).scalars().all()
                for session in leftovers:  # a killed fleet run's statement may still be sleeping
                    try:
                        connection.exec_driver_sql(f"KILL {int(session)}")
                    except DBAPIError:  # it ended meanwhile
                        pass
                for name in sorted(self.created):
                    connection.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")

    def _admin_sql(self, statement: str) -> None:
        engine = create_engine(self.container, isolation_level="AUTOCOMMIT") if self.kind == "schemas" else admin_engine("mysql")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(statement)
        finally:
            if self.kind == "schemas":
                engine.dispose()


@pytest.fixture(params=KINDS)
def fleet(request, tmp_path):
    """A project with fleet ``tenants`` of SIZE empty targets, on each kind in turn."""
    kind = request.param
    root = tmp_path / "project"
    if kind == "schemas":
        with provision("postgresql", tmp_path) as url:
            built = FleetUnderTest(kind, root, url)
            yield _ready(built)
        return
    container = None
    if kind == "databases":
        container = admin_engine("mysql").url.render_as_string(hide_password=False)
    built = FleetUnderTest(kind, root, container)
    try:
        yield _ready(built)
    finally:
        built.cleanup()


def _ready(built: FleetUnderTest) -> FleetUnderTest:
    built.write()
    built.create(*range(SIZE))
    return built


def env_without_database() -> dict:
    env = {**os.environ}
    env.pop("MODMIG_DATABASE_URL", None)
    return env
