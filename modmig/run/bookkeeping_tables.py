"""The bookkeeping tables' definitions, and their SQL compiled once per dialect, not per schema.

A fleet migrates a thousand schemas of one database, each with its own ``_schema_versions`` and
``_schema_history``. Building the SQLAlchemy ``Table`` objects for each schema, then compiling
the version and history writes and the ``CREATE TABLE`` statements for each, cost about 4 ms of
Python per target: as much as the floor's whole per-target work. The SQL of two schemas differs
only in the schema's name, so it is compiled once, for a placeholder schema, and each schema gets
a copy with its own (quoted) name put in (``Compiled``). ``Tables`` for a given schema are still
built when something needs them as objects (SQLAlchemy reads, ``create_all``, reflection).

May import: nothing of modmig above ``modmig.model`` (``run.cursor`` compiles the statements).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Iterable

from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, Text, bindparam, false, null

from . import cursor
from .bookkeeping_rows import HISTORY_TABLE, VERSIONS_TABLE

if TYPE_CHECKING:
    from sqlalchemy.engine import Dialect

#: A schema name no project uses and no dialect quotes: compiled SQL names it where a schema's
#: name goes, and ``Compiled.for_schema`` puts the real one in its place.
PLACEHOLDER = "modmig_schema_placeholder_5f1c"
#: The writes a migration makes, by name (``Tables.writes``).
WRITES = ("update_version", "set_version", "insert_version", "insert_history")
#: The columns of a dirty mark: cleared when a migration is recorded as applied.
DIRTY_COLUMNS = (
    "dirty_version", "dirty_name", "dirty_direction", "dirty_statements_done", "dirty_prefix_checksum",
    "dirty_statement", "dirty_error", "dirty_session",
)


class Tables:
    """``_schema_versions`` and ``_schema_history`` in ``schema`` (None: the connection's default)."""

    def __init__(self, schema: str | None) -> None:
        self.metadata = MetaData(schema=schema)
        self.versions = Table(
            VERSIONS_TABLE,
            self.metadata,
            Column("app", String(64), primary_key=True),
            Column("version", Integer, nullable=False),
            Column("name", String(255)),
            Column("checksum", String(64)),
            Column("dirty", Boolean, nullable=False, default=False),
            Column("dirty_version", Integer),
            Column("dirty_name", String(255)),
            Column("dirty_direction", String(8)),
            Column("dirty_statements_done", Integer),
            Column("dirty_prefix_checksum", String(64)),
            Column("dirty_statement", Text),
            Column("dirty_error", Text),
            Column("updated_at", DateTime, nullable=False),
            # added after the first release (upgraded in place by ``Recorder.upgrade_tables``):
            Column("dirty_session", String(64)),
        )
        self.history = Table(
            HISTORY_TABLE,
            self.metadata,
            Column("id", Integer, primary_key=True, autoincrement=True),
            Column("app", String(64), nullable=False),
            Column("version", Integer, nullable=False),
            Column("name", String(255)),
            Column("checksum", String(64)),
            Column("direction", String(8), nullable=False),
            Column("started_at", DateTime, nullable=False),
            Column("duration_ms", Integer),
            Column("success", Boolean, nullable=False),
            Column("executed_by", String(255)),
            Column("modmig_version", String(32)),
            Column("error", Text),
            # added after the first release (upgraded in place by ``Recorder.upgrade_tables``):
            Column("up_checksum", String(64)),
            Column("down_checksum", String(64)),
        )
        # Built once: SQLAlchemy then finds their compiled form by a key memoised on the statement
        # object (when something watches the statements and they go through SQLAlchemy).
        self.writes = {
            "update_version": self.versions.update().where(self.versions.c.app == bindparam("target_app")),
            # the version row of an applied migration: the cleared dirty mark written as constants,
            # so each of the thousands of these writes sends 5 parameters rather than 14
            "set_version": self.versions.update()
            .where(self.versions.c.app == bindparam("target_app"))
            .values(dirty=false(), **{column: null() for column in DIRTY_COLUMNS}),
            "insert_version": self.versions.insert(),
            # inline: nothing reads a new row's id, so no ``RETURNING id`` is sent, returned and
            # parsed per migration (PostgreSQL)
            "insert_history": self.history.insert().inline(),
        }


class Compiled:
    """SQL compiled once per dialect (and set of columns), for any schema."""

    _lock = threading.Lock()
    _prepared: dict[tuple, cursor.Prepared] = {}
    _created: dict[tuple, list[str]] = {}
    _tables: dict[bool, Tables] = {}

    @classmethod
    def write(cls, name: str, dialect: "Dialect", keys: Iterable[str], schema: str | None) -> cursor.Prepared:
        """The write ``name`` (one of ``WRITES``) with the columns ``keys``, for ``schema``."""
        keys = tuple(sorted(keys))
        key = (name, dialect.name, dialect.driver, keys, schema is None)
        template = cls._prepared.get(key)
        if template is None:
            template = cursor.Prepared(cls._template(schema is None).writes[name], dialect, keys)
            with cls._lock:
                cls._prepared[key] = template
        return template if schema is None else template.with_sql(_in_schema(template.sql, dialect, schema))

    @classmethod
    def create_tables(cls, dialect: "Dialect", schema: str | None) -> list[str]:
        """``CREATE TABLE`` for both tables, as ``metadata.create_all`` would emit them."""
        from sqlalchemy.schema import CreateTable

        key = (dialect.name, dialect.driver, schema is None)
        found = cls._created.get(key)
        if found is None:
            tables = cls._template(schema is None)
            found = [str(CreateTable(t).compile(dialect=dialect)).strip() for t in (tables.versions, tables.history)]
            with cls._lock:
                cls._created[key] = found
        return found if schema is None else [_in_schema(sql, dialect, schema) for sql in found]

    @classmethod
    def _template(cls, default_schema: bool) -> Tables:
        tables = cls._tables.get(default_schema)
        if tables is None:
            tables = Tables(None if default_schema else PLACEHOLDER)
            with cls._lock:
                cls._tables[default_schema] = tables
        return tables


def _in_schema(sql: str, dialect: "Dialect", schema: str) -> str:
    return sql.replace(PLACEHOLDER + ".", dialect.identifier_preparer.quote_schema(schema) + ".")
