"""The bookkeeping tables, and nothing else: ``_schema_versions`` and ``_schema_history``.

* ``_schema_versions``: one row per app: the version it is at (0 = nothing applied), the name and
  checksum of that migration, and the *dirty* mark of a non-transactional migration that stopped
  part-way (which migration, how many statements succeeded, the checksum of those statements, the
  statement that failed and the database's message).
* ``_schema_history``: one row per executed step (up, down, stamp, repair), successful or not:
  who ran it, when, for how long, with which modmig, and the checksum of the file (with, for SQL
  files, the checksums of its up and down parts apart, so a failed down section can be fixed
  without the up part counting as edited).

Every write goes through the caller's connection and transaction, so a migration, its version
bump and its history row commit or roll back together. Timestamps are naive UTC.

Tables written by an earlier release lack the newest columns: ``upgrade_tables`` adds them in
place (every writing command calls it, through ``Backend.ensure_bookkeeping``), and reading copes
without them. What is read is checked: a version that is not a whole number >= 0 was not written
by modmig, and is reported as such (``DatabaseState.corrupt``) rather than crashing later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import MetaData, Table, inspect, select
from sqlalchemy.engine import Connection

from ..version import __version__
from ..model import DatabaseState, DirtyMark
from . import cursor
from .bookkeeping_rows import ADDED_COLUMNS, HISTORY_TABLE, RECORDING_DIRECTIONS, VERSIONS_TABLE, state_from_rows
from .bookkeeping_tables import Compiled, Tables


@dataclass(frozen=True)
class HistoryEntry:
    id: int
    app: str
    version: int
    name: str | None
    checksum: str | None
    direction: str
    started_at: datetime
    duration_ms: int | None
    success: bool
    executed_by: str | None
    modmig_version: str | None
    error: str | None


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Recorder:
    def __init__(self, schema: str | None = None) -> None:
        self.schema = schema
        #: The tables as SQLAlchemy objects, built when first needed (a fleet target never needs
        #: them: its writes and ``CREATE TABLE`` come compiled from ``Compiled``).
        self._tables: Tables | None = None
        #: The writes compiled for this schema, by (write, dialect, driver, columns).
        self._prepared: dict[tuple, cursor.Prepared] = {}
        #: Columns of ADDED that the tables in the database lack (None: not looked at yet).
        self._missing: set[tuple[str, str]] | None = None
        #: The tables as a catalog read under the lock found them (``assume_tables``), or None.
        self._known: dict[str, frozenset] | None = None

    @property
    def tables(self) -> Tables:
        if self._tables is None:
            self._tables = Tables(self.schema)
        return self._tables

    @property
    def metadata(self) -> MetaData:
        return self.tables.metadata

    @property
    def versions(self) -> Table:
        return self.tables.versions

    @property
    def history(self) -> Table:
        return self.tables.history

    def assume_tables(self, present: dict[str, frozenset]) -> None:
        """What a catalog query made under the migration lock found: each bookkeeping table that
        exists, with the columns of ``ADDED_COLUMNS`` it has. ``ensure`` then asks nothing more
        (a fleet reads it in the query that reads the target's state). Valid while the lock holds."""
        self._known = dict(present)
        self._missing = {(t, c) for t, columns in ADDED_COLUMNS.items() if t in present for c in columns if c not in present[t]}

    # -- the tables' own version ---------------------------------------------------------------

    def ensure(self, connection: Connection) -> None:
        """Create the tables if missing, and bring tables of an earlier release up to date."""
        if self._known is not None and not cursor.observed(connection):
            self._ensure_known(connection)
            return
        inspector = inspect(connection)
        fresh = not any(inspector.has_table(t, schema=self.schema) for t in (VERSIONS_TABLE, HISTORY_TABLE))
        self.metadata.create_all(connection, checkfirst=True)
        if fresh:  # created just now, by this release: every column is there (a fleet creates thousands)
            self._missing = set()
            return
        self.upgrade_tables(connection)

    def _ensure_known(self, connection: Connection) -> None:
        """``ensure`` when ``assume_tables`` said what exists: no catalog query, SQL compiled once."""
        known = self._known or {}
        if not known:
            for sql in Compiled.create_tables(connection.dialect, self.schema):
                cursor.execute(connection, sql)
            self._known = {t: frozenset(columns) for t, columns in ADDED_COLUMNS.items()}
            self._missing = set()
        elif set(known) != {VERSIONS_TABLE, HISTORY_TABLE}:  # one table without the other: look properly
            self._known = None
            self.ensure(connection)
        elif self._missing:
            self.upgrade_tables(connection)

    def upgrade_tables(self, connection: Connection) -> list[str]:
        """Add the columns later releases introduced to tables an earlier release created.

        In the caller's transaction (on MySQL each ALTER commits by itself, which is harmless: a
        nullable column nobody reads yet). Returns the ``table.column`` names added.
        """
        added = []
        self._missing = None  # look again: another process may have upgraded them meanwhile
        for table, column in sorted(self._missing_columns(connection)):
            definition = self.metadata.tables[self._qualified(table)].c[column]
            sql_type = definition.type.compile(dialect=connection.dialect)
            name = connection.dialect.identifier_preparer.format_table(self.metadata.tables[self._qualified(table)])
            connection.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {column} {sql_type}")
            added.append(f"{table}.{column}")
        self._missing = set()
        return added

    def _missing_columns(self, connection: Connection) -> set[tuple[str, str]]:
        if self._missing is None:
            inspector = inspect(connection)
            missing = set()
            for table, columns in ADDED_COLUMNS.items():
                if not inspector.has_table(table, schema=self.schema):
                    continue
                present = self._column_names(connection, table)
                missing |= {(table, column) for column in columns if column not in present}
            self._missing = missing
        return self._missing

    def _column_names(self, connection: Connection, table: str) -> set[str]:
        """The columns ``table`` has, from an empty result's description: one cheap query, where
        SQLAlchemy's reflection (``get_columns``) costs several catalog queries and ~2 ms of Python,
        paid per target by a fleet."""
        name = connection.dialect.identifier_preparer.format_table(self.metadata.tables[self._qualified(table)])
        return {column.lower() for column in connection.exec_driver_sql(f"SELECT * FROM {name} WHERE 1 = 0").keys()}

    def _qualified(self, table: str) -> str:
        return f"{self.schema}.{table}" if self.schema else table

    def _has(self, connection: Connection, table: str, column: str) -> bool:
        return (table, column) not in self._missing_columns(connection)

    # -- reading -------------------------------------------------------------------------------

    def has_tables(self, connection: Connection) -> bool:
        return inspect(connection).has_table(VERSIONS_TABLE, schema=self.schema)

    def read_state(self, connection: Connection) -> DatabaseState:
        """Versions, recorded checksums and dirty marks; an empty state before first use."""
        if not self.has_tables(connection):
            return DatabaseState(initialised=False)
        columns = [c for c in self.versions.c if self._has(connection, VERSIONS_TABLE, c.name)]
        history = self.history
        parts = self._has(connection, HISTORY_TABLE, "up_checksum")
        query = (
            select(
                history.c.app, history.c.version, history.c.checksum, history.c.name,
                *((history.c.up_checksum, history.c.down_checksum) if parts else ()),
            )
            .where(history.c.success.is_(True), history.c.direction.in_(RECORDING_DIRECTIONS))
            .where(history.c.checksum.is_not(None))
            .order_by(history.c.id)
        )
        return state_from_rows(connection.execute(select(*columns)).mappings(), connection.execute(query))

    def read_history(self, connection: Connection, app: str | None = None, limit: int | None = None) -> list[HistoryEntry]:
        """History rows, oldest first; with ``limit``, the most recent ``limit`` rows."""
        if not self.has_tables(connection):
            return []
        query = select(self.history).order_by(self.history.c.id.desc())
        if app is not None:
            query = query.where(self.history.c.app == app)
        if limit is not None:
            query = query.limit(limit)
        fields = set(HistoryEntry.__dataclass_fields__)
        rows = [HistoryEntry(**{k: v for k, v in row.items() if k in fields}) for row in connection.execute(query).mappings()]
        return rows[::-1]

    # -- writing -------------------------------------------------------------------------------

    def set_version(self, connection: Connection, app: str, version: int, name: str | None, checksum: str | None) -> None:
        """Record ``app`` at ``version`` and clear any dirty mark (the caller holds the lock)."""
        values = dict(version=version, name=name, checksum=checksum, updated_at=utcnow())
        if self._write(connection, "set_version", {"target_app": app, **values}) == 0:
            self._write(connection, "insert_version", {"app": app, **values, **_clean_dirty()})

    def mark_dirty(self, connection: Connection, mark: DirtyMark, current_version: int) -> None:
        """Record (or advance) the dirty mark of a non-transactional migration."""
        values = dict(
            version=current_version,
            dirty=True,
            dirty_version=mark.version,
            dirty_name=mark.name,
            dirty_direction=mark.direction,
            dirty_statements_done=mark.statements_done,
            dirty_prefix_checksum=mark.prefix_checksum,
            dirty_statement=mark.failed_statement,
            dirty_error=mark.error,
            dirty_session=mark.session,
            updated_at=utcnow(),
        )
        self._upsert(connection, mark.app, values)

    def clear_dirty(self, connection: Connection, app: str) -> None:
        connection.execute(
            self.versions.update().where(self.versions.c.app == app).values(updated_at=utcnow(), **_clean_dirty())
        )

    def add_history(
        self,
        connection: Connection,
        *,
        app: str,
        version: int,
        name: str | None,
        checksum: str | None,
        direction: str,
        started_at: datetime,
        duration_ms: int | None,
        success: bool,
        executed_by: str,
        error: str | None = None,
        part_checksums: tuple[str | None, str | None] = (None, None),
    ) -> None:
        self._write(
            connection,
            "insert_history",
            dict(
                up_checksum=part_checksums[0],
                down_checksum=part_checksums[1],
                app=app,
                version=version,
                name=name,
                checksum=checksum,
                direction=direction,
                started_at=started_at,
                duration_ms=duration_ms,
                success=success,
                executed_by=executed_by,
                modmig_version=__version__,
                error=error,
            ),
        )

    def _upsert(self, connection: Connection, app: str, values: dict) -> None:
        if self._write(connection, "update_version", {"target_app": app, **values}) == 0:
            values.setdefault("dirty", False)
            self._write(connection, "insert_version", {"app": app, **values})

    def _write(self, connection: Connection, statement: str, values: dict) -> int:
        """One bookkeeping write (one of ``WRITES``); on the DB-API cursor unless someone watches the statements."""
        if cursor.observed(connection):
            return connection.execute(self.tables.writes[statement], values).rowcount
        dialect = connection.dialect
        key = (statement, dialect.name, dialect.driver, tuple(values))  # each caller names them in one order
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = Compiled.write(statement, dialect, values, self.schema)
        return prepared.execute(connection, values)


def _clean_dirty() -> dict:
    return dict(
        dirty_session=None,
        dirty=False,
        dirty_version=None,
        dirty_name=None,
        dirty_direction=None,
        dirty_statements_done=None,
        dirty_prefix_checksum=None,
        dirty_statement=None,
        dirty_error=None,
    )
