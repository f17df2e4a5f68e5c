"""The lean apply path (modmig.run.cursor, modmig.run.direct): statements and bookkeeping on the
DB-API cursor behave exactly as they did through SQLAlchemy's execution, on every backend."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from modmig.errors import MigrationFailed
from modmig.run import cursor
from modmig.run.recorder import Recorder

from ..conftest import versions

PERCENT = {
    "0001_notes.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body VARCHAR(40));\n"
    "INSERT INTO notes (id, body) VALUES (1, '100% sure? %s %(x)s :name');\n"
    "-- modmig: down\nDROP TABLE notes;\n",
}


def test_placeholder_characters_in_a_statement_are_plain_text(make_project):
    project = make_project({"app": PERCENT})
    project.upgrade()
    with project.connect() as connection:
        assert connection.execute(text("SELECT body FROM notes")).scalar() == "100% sure? %s %(x)s :name"


def test_history_and_version_rows_read_back_with_their_types(make_project):
    project = make_project({"app": PERCENT})
    before = datetime.utcnow().replace(microsecond=0)
    project.upgrade()
    [row] = project.history()
    assert row.success is True and row.direction == "up"
    assert isinstance(row.started_at, datetime) and row.started_at >= before
    assert row.duration_ms >= 0 and row.error is None
    state = project.status().apps[0]
    assert (state.version, state.current_name) == (1, "0001_notes")


def test_sqlite_stores_bookkeeping_values_in_sqlalchemys_formats(sqlite_url, tmp_path):
    """The values SQLAlchemy's types would have written: DateTime as text with microseconds."""
    engine = create_engine(sqlite_url)
    recorder = Recorder()
    with engine.begin() as connection:
        recorder.metadata.create_all(connection)
        recorder.add_history(
            connection, app="a", version=1, name="0001_x", checksum="c", direction="up",
            started_at=datetime(2026, 1, 2, 3, 4, 5), duration_ms=7, success=True, executed_by="me",
        )
        recorder.set_version(connection, "a", 1, "0001_x", "c")
    with engine.connect() as connection:
        raw = connection.exec_driver_sql("SELECT started_at, success FROM _schema_history").one()
        dirty = connection.exec_driver_sql("SELECT dirty FROM _schema_versions").scalar()
    engine.dispose()
    assert tuple(raw) == ("2026-01-02 03:04:05.000000", 1)
    assert dirty == 0


def test_a_driver_error_is_raised_as_sqlalchemys_with_the_original_inside(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            with pytest.raises(DBAPIError) as raised:
                cursor.execute(connection, "SELECT * FROM no_such_table")
            assert raised.value.orig is not None
            assert "no_such_table" in str(raised.value.orig)
    finally:
        engine.dispose()


FAILS_AFTER_ONE = {
    "0001_ok.sql": "CREATE TABLE kept (id INTEGER PRIMARY KEY);\n",
    "0002_fails.sql": "INSERT INTO kept (id) VALUES (1);\nINSERT INTO missing_table (id) VALUES (1);\n",
}


def test_a_failed_statement_is_reported_with_the_databases_message_and_the_run_stops(make_project):
    project = make_project({"app": FAILS_AFTER_ONE})
    with pytest.raises(MigrationFailed) as raised:
        project.upgrade()
    assert "missing_table" in str(raised.value) and "INSERT INTO missing_table" in str(raised.value)
    assert versions(project) == {"app": 1}
    [ok, failed] = project.history()
    assert ok.success and not failed.success and "missing_table" in failed.error


@pytest.mark.parametrize("listening", ["engine", "connection", "every engine"])
def test_a_statement_listener_sees_every_statement_modmig_runs(database_url, tmp_path, listening):
    """Embedding: with a listener on the caller's engine, on its connection itself, or on every
    engine (the ``Engine`` class), nothing goes around SQLAlchemy (``observed``)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from modmig.api import Project

    from ..conftest import write_tree

    seen: list[str] = []

    def listen(conn, cur, statement, *rest):
        seen.append(statement)

    engine = create_engine(database_url)
    config = write_tree(tmp_path / "embedded", {"app": PERCENT}, None)
    try:
        with engine.connect() as connection:
            target = {"engine": engine, "connection": connection, "every engine": Engine}[listening]
            event.listen(target, "before_cursor_execute", listen)
            given = {"connection": connection} if listening == "connection" else {"engine": engine}
            try:
                with Project.load(config, **given) as project:
                    project.upgrade()
            finally:
                event.remove(target, "before_cursor_execute", listen)
    finally:
        engine.dispose()
    assert any(statement.startswith("CREATE TABLE notes") for statement in seen)
    assert any("INSERT INTO _schema_history" in statement for statement in seen)
    assert any(statement.startswith("UPDATE _schema_versions") or "INSERT INTO _schema_versions" in statement for statement in seen)


def test_a_listener_on_every_engine_sees_the_statements_of_the_engine_modmig_creates(sqlite_url, tmp_path):
    """modmig's own SQLite engine carries its ``begin`` listener, so SQLAlchemy's "has listeners"
    flag is always up there: ``observed`` must still find an ``after_cursor_execute`` listener
    added to the ``Engine`` class before modmig made its engine."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from modmig.api import Project

    from ..conftest import write_tree

    seen: list[str] = []

    def listen(conn, cur, statement, *rest):
        seen.append(statement)

    config = write_tree(tmp_path / "own", {"app": PERCENT}, None)
    event.listen(Engine, "after_cursor_execute", listen)
    try:
        with Project.load(config, database=sqlite_url) as project:
            project.upgrade()
    finally:
        event.remove(Engine, "after_cursor_execute", listen)
    assert any("CREATE TABLE notes" in statement for statement in seen)
    assert any("_schema_history" in statement for statement in seen)


def test_a_listener_added_between_two_runs_hears_the_second(sqlite_url, tmp_path):
    """A pooled connection that a first upgrade used unobserved must not stay unobserved once a
    program starts listening (``observed`` is asked afresh, never remembered)."""
    from sqlalchemy import event

    from modmig.api import Project

    from ..conftest import write_tree

    files = {**PERCENT, "0002_more.sql": "CREATE TABLE more_notes (id INTEGER PRIMARY KEY);\n"}
    engine = create_engine(sqlite_url)
    config = write_tree(tmp_path / "embedded", {"app": files}, None)
    seen: list[str] = []
    try:
        with Project.load(config, engine=engine) as project:
            project.upgrade("app", to=1)
            event.listen(engine, "before_cursor_execute", lambda conn, cur, statement, *rest: seen.append(statement))
            project.upgrade()
    finally:
        engine.dispose()
    assert any(statement.startswith("CREATE TABLE more_notes") for statement in seen)
    assert any("INSERT INTO _schema_history" in statement for statement in seen)
    assert not any(statement.startswith("CREATE TABLE notes") for statement in seen)  # the first run's, unheard
