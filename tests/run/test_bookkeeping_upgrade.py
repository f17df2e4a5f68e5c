"""Bookkeeping tables written by the previous release keep working, and are upgraded in place.

This release records the checksums of a SQL file's up and down parts apart, and the session of a
dirty migration. A database migrated by the previous release has tables without those columns:
reading them works as before, and the first writing command adds the columns.
"""

from sqlalchemy import Column, MetaData, Table, inspect

from modmig.run.recorder import ADDED_COLUMNS, Recorder

from .test_dirty_resume import HALF
from ..conftest import versions

APP = {"0001_base.sql": "CREATE TABLE t_base (id INTEGER PRIMARY KEY);\n", "0002_half.sql": HALF}


def previous_release_tables(project):
    """Create the bookkeeping tables as the previous release did (without the added columns)."""
    current = Recorder(schema=project.config.schema)
    metadata = MetaData(schema=project.config.schema)
    for table in (current.versions, current.history):
        added = ADDED_COLUMNS[table.name]
        Table(table.name, metadata, *[
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, autoincrement=c.autoincrement)
            for c in table.columns if c.name not in added
        ])
    with project.connect() as connection:
        metadata.create_all(connection)
        connection.commit()


def columns(project, table):
    with project.connect() as connection:
        return {c["name"] for c in inspect(connection).get_columns(table)}


def test_a_database_of_the_previous_release_is_read_and_then_upgraded_in_place(make_project):
    project = make_project({"app": {"0001_base.sql": APP["0001_base.sql"]}})
    previous_release_tables(project)
    assert "up_checksum" not in columns(project, "_schema_history")
    assert versions(project) == {"app": 0}  # status reads the old tables
    project.upgrade("app")
    assert versions(project) == {"app": 1}
    assert {"up_checksum", "down_checksum"} <= columns(project, "_schema_history")
    assert "dirty_session" in columns(project, "_schema_versions")
    assert project.history()[-1].success and project.check().ok


def test_a_stamp_or_repair_on_old_tables_upgrades_them_too(make_project):
    project = make_project({"app": APP})
    previous_release_tables(project)
    project.stamp("app", 1)
    assert "up_checksum" in columns(project, "_schema_history") and versions(project) == {"app": 1}
