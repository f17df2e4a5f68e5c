"""Throwaway databases (modmig.run.backends.throwaway): a clone holds exactly what its template holds."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine

from modmig.run.backends.mysql_clone import CloneUnsupported
from modmig.run.backends.throwaway import SqliteFiles, open_throwaway
from modmig.schema.compare import differences, snapshot

from ..databases import BACKENDS, SERVERS, admin_engine

PORTABLE_SCHEMA = [
    "CREATE TABLE authors (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)",
    "CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors (id), "
    "title VARCHAR(80) NOT NULL DEFAULT 'untitled')",
    "CREATE INDEX books_title ON books (title)",
    "CREATE VIEW book_titles AS SELECT title FROM books",
    "INSERT INTO authors (id, name) VALUES (1, 'Ann'), (2, 'Bo')",
    "INSERT INTO books (id, author_id, title) VALUES (10, 1, 'First'), (11, 2, 'Second')",
]


def throwaway_for(backend: str, tmp_path):
    if backend == "sqlite":
        return SqliteFiles(), str(tmp_path / "template.db"), str(tmp_path / "clone.db")
    admin_engine(backend)  # skips (or fails under CI=true) when the server is down
    server = os.environ.get(SERVERS[backend][0]) or SERVERS[backend][1]
    suffix = uuid.uuid4().hex[:8]
    return open_throwaway(server, tmp_path), f"modmig_ttpl_{suffix}", f"modmig_tclone_{suffix}"


def fill(databases, name: str, statements: list[str]) -> None:
    """Create database ``name`` holding what ``statements`` make."""
    databases.create(name)
    engine = create_engine(databases.url(name))
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()


def content(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return snapshot(connection)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_clone_holds_the_templates_tables_rows_indexes_and_views(backend, tmp_path):
    databases, template, clone = throwaway_for(backend, tmp_path)
    try:
        fill(databases, template, PORTABLE_SCHEMA)

        databases.clone(template, clone)

        expected, found = content(databases.url(template)), content(databases.url(clone))
        assert found["tables"]["books"]["indexes"], "the index is part of what is compared"
        assert differences(expected, found, ("template", "clone")) == []
        assert databases.kind == "sqlite" or clone in databases.names("modmig_tclone_")
    finally:
        databases.drop(clone)
        databases.drop(template)
        assert databases.kind == "sqlite" or databases.names("modmig_tclone_" + clone[-8:]) == []
        databases.close()


MARIADB_OBJECTS = [
    "CREATE TABLE counters (id INTEGER AUTO_INCREMENT PRIMARY KEY, n INTEGER NOT NULL, "
    "doubled INTEGER AS (n * 2) VIRTUAL)",
    "CREATE TABLE audit (id INTEGER AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40), "
    "counter_id INTEGER, FOREIGN KEY (counter_id) REFERENCES counters (id))",
    "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')",
    "INSERT INTO counters (id, n) VALUES (0, 5), (7, 1)",
    "CREATE VIEW big AS SELECT id, n FROM counters WHERE n > 2",
    "CREATE VIEW bigger AS SELECT id FROM big",
    "CREATE TRIGGER counters_audit AFTER INSERT ON counters FOR EACH ROW "
    "INSERT INTO audit (note, counter_id) VALUES ('inserted', NEW.id)",
    "CREATE FUNCTION triple(x INTEGER) RETURNS INTEGER DETERMINISTIC RETURN x * 3",
]


def test_a_mysql_clone_keeps_ids_counters_generated_columns_views_on_views_triggers_and_routines(tmp_path):
    databases, template, clone = throwaway_for("mysql", tmp_path)
    try:
        fill(databases, template, MARIADB_OBJECTS)

        databases.clone(template, clone)

        assert differences(content(databases.url(template)), content(databases.url(clone)), ("template", "clone")) == []
        engine = create_engine(databases.url(clone))
        with engine.begin() as connection:
            assert connection.exec_driver_sql("SELECT id, n, doubled FROM counters ORDER BY id").all() == [(0, 5, 10), (7, 1, 2)]
            assert connection.exec_driver_sql("SELECT id FROM bigger").all() == [(0,)]
            connection.exec_driver_sql("INSERT INTO counters (n) VALUES (9)")  # the counter continues at 8
            assert connection.exec_driver_sql("SELECT counter_id FROM audit").all() == [(8,)]
            assert connection.exec_driver_sql("SELECT triple(2)").scalar() == 6
        engine.dispose()
    finally:
        databases.drop(clone)
        databases.drop(template)
        databases.close()


def test_a_mysql_template_with_a_sequence_cannot_be_cloned_and_nothing_is_left(tmp_path):
    databases, template, clone = throwaway_for("mysql", tmp_path)
    try:
        fill(databases, template, ["CREATE SEQUENCE ticket_numbers"])
        with pytest.raises(CloneUnsupported, match=r"a sequence \(ticket_numbers\)"):
            databases.clone(template, clone)
        assert databases.names(clone) == []
    finally:
        databases.drop(template)
        databases.close()


@pytest.mark.parametrize("backend", ["postgresql", "mysql"])
def test_a_run_is_alive_while_its_keeper_is_open(backend, tmp_path):
    databases, _, _ = throwaway_for(backend, tmp_path)
    watcher, _, _ = throwaway_for(backend, tmp_path)
    run = uuid.uuid4().hex[:10]
    try:
        assert not watcher.alive(run)
        databases.keep_alive(run)
        assert watcher.alive(run)
        databases.close()
        assert not watcher.alive(run)
    finally:
        databases.close()
        watcher.close()


def test_a_server_that_cannot_be_reached_is_named_without_its_password(tmp_path):
    from modmig.errors import DatabaseUnavailable

    databases = open_throwaway("postgresql+psycopg://ann:s3cret@127.0.0.1:1/postgres", tmp_path)
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            databases.create("modmig_never")
        assert "s3cret" not in str(raised.value)
        assert "postgresql+psycopg://ann:***@127.0.0.1:1/postgres" in str(raised.value)
    finally:
        databases.close()
