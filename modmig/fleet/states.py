"""Read the bookkeeping of every target: the hot path of a fleet run, in as few round trips as possible.

* PostgreSQL schemas of one database: one query for all of them (a ``UNION ALL`` over each
  initialised schema's ``_schema_versions`` and recording ``_schema_history`` rows), after the
  one catalog query of discovery that said which schemas are initialised.
* MySQL databases of one server: the same, one query for all of them (listed URLs on one server
  first ask the catalog which of their databases exist).
* SQLite files: each file once, with the standard library's ``sqlite3``, read-only (a vanished
  file is reported as gone, never created).
* Listed PostgreSQL databases: one connection each (a PostgreSQL connection is per database), read
  by the bookkeeping ``Recorder`` like a single database, several at once.

Every state is built by ``bookkeeping_rows.state_from_rows``, the function ``Recorder.read_state`` uses,
so a state read here is the state a single-database command would read.
"""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Iterable, Union

from ..errors import ModmigError, TargetMissing
from ..model import DatabaseState
from ..run.backends.base import driver_message
from ..run.bookkeeping_rows import ADDED_COLUMNS, HISTORY_TABLE, RECORDING_DIRECTIONS, VERSIONS_TABLE, state_from_rows
from .discovery import catalog
from .servers import engine_key

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .discovery import Bookkeeping, Discovery, Target
    from .servers import Servers

#: What reading one target gave: its state, or why it could not be read.
ReadOutcome = Union[DatabaseState, ModmigError]

#: Targets per query. A query over N schemas opens 4N relations (two tables, their keys) and
#: PostgreSQL's planning time grows faster than N: 25 per query read 200 schemas in 0.17 s where
#: one query for all 200 took 0.6 s (and 1,000 in one transaction would hold 4,000 locks of the
#: server's shared lock table, 6,400 slots by default). Each chunk's transaction ends before the
#: next, so the locks never pile up.
CHUNK = 25
_DIRTY = (
    "dirty", "dirty_version", "dirty_name", "dirty_direction", "dirty_statements_done",
    "dirty_prefix_checksum", "dirty_statement", "dirty_error",
)
_VERSION_COLUMNS = ("app", "version", *_DIRTY, "dirty_session")
_SQLITE_COLUMNS = (
    "SELECT m.name, p.name FROM sqlite_master AS m, pragma_table_info(m.name) AS p "
    f"WHERE m.type = 'table' AND m.name IN ('{VERSIONS_TABLE}', '{HISTORY_TABLE}')"
)
_RECORDING = ", ".join(f"'{direction}'" for direction in RECORDING_DIRECTIONS)


def read_states(discovery: "Discovery", servers: "Servers", parallel: int) -> dict[str, ReadOutcome]:
    """Every target's state (or the error that kept it from being read), by target name."""
    found: dict[str, ReadOutcome] = {}
    groups: dict[tuple, list[Target]] = {}
    for target in discovery.targets:
        if target.kind == "sqlite":
            groups.setdefault(("sqlite",), []).append(target)
        elif target.kind == "mysql" or target.schema is not None:
            groups.setdefault((target.kind, engine_key(target)), []).append(target)
        else:
            groups.setdefault(("listed",), []).append(target)
    for key, targets in groups.items():
        if key[0] == "sqlite":
            found.update(_in_parallel(_sqlite_state, targets, parallel))
        elif key[0] == "listed":
            found.update(_in_parallel(lambda t: _one_by_one(t, servers), targets, parallel))
        else:
            found.update(_on_one_server(targets, discovery.bookkeeping, servers))
    return found


def _on_one_server(targets: list["Target"], known: dict[str, "Bookkeeping"], servers: "Servers") -> dict[str, ReadOutcome]:
    """The schemas of one PostgreSQL database, or the databases of one MySQL server: one query per CHUNK."""
    from sqlalchemy.exc import DBAPIError

    first = targets[0]
    found: dict[str, ReadOutcome] = {}
    try:
        with servers.connection(first) as connection:
            where = {t.name: (t.schema if t.schema is not None else t.database) or "" for t in targets}
            if not all(t.name in known for t in targets):
                names = catalog(connection, first.kind)
                known = {t.name: names[where[t.name]] for t in targets if where[t.name] in names}
            quote = connection.dialect.identifier_preparer.quote_identifier
            ready = [t for t in targets if t.name in known and known[t.name].ready]
            for start in range(0, len(ready), CHUNK):
                chunk = ready[start : start + CHUNK]
                parts = [(quote(where[t.name]) + ".", known[t.name].columns) for t in chunk]
                found.update(_read_chunk(connection, chunk, parts))
            connection.rollback()
    except DBAPIError as error:
        from .servers import unavailable

        failure = unavailable(first, error)
        return {t.name: failure for t in targets}
    except ModmigError as error:
        return {t.name: error for t in targets}
    for target in targets:
        if target.name not in found:
            found[target.name] = DatabaseState(initialised=False) if target.name in known else TargetMissing(target.display_url, _what(target))
    return found


def _read_chunk(connection: "Connection", chunk: list["Target"], prefixes: list[tuple[str, frozenset]]) -> dict[str, ReadOutcome]:
    """One query for the chunk; if it fails (one schema the role may not read), each target alone,
    so that one unreadable target is reported and the others are read."""
    from sqlalchemy.exc import DBAPIError

    from ..errors import DatabaseUnavailable

    try:
        rows = connection.exec_driver_sql(_union(prefixes)).all()
        connection.rollback()  # reading only: end the transaction and its locks
        return dict(zip((t.name for t in chunk), _states(rows, len(chunk))))
    except DBAPIError as error:
        connection.rollback()
        if len(chunk) == 1:
            reason = "cannot read its bookkeeping tables: " + driver_message(error.orig)
            return {chunk[0].name: DatabaseUnavailable(chunk[0].display_url, reason)}
    found: dict[str, ReadOutcome] = {}
    for target, prefix in zip(chunk, prefixes):
        found.update(_read_chunk(connection, [target], [prefix]))
    return found


def _one_by_one(target: "Target", servers: "Servers") -> ReadOutcome:
    """A listed PostgreSQL database: read like a single database, then its engine is closed."""
    from .servers import is_missing

    database = None
    try:
        with servers.server(target).slot():
            database = servers.database(target)
            with database.connect() as connection:
                return database.read_state(connection)
    except ModmigError as error:
        return TargetMissing(target.display_url) if is_missing(error) else error
    finally:
        servers.release(target, database)


def _sqlite_state(target: "Target") -> ReadOutcome:
    from urllib.request import pathname2url

    path = target.url[len("sqlite:///"):]
    try:
        connection = sqlite3.connect(f"file:{pathname2url(path)}?mode=ro", uri=True)
    except sqlite3.OperationalError:
        return TargetMissing(target.display_url, "file")
    try:
        columns: dict[str, set[str]] = {}
        for table, column in connection.execute(_SQLITE_COLUMNS):
            columns.setdefault(table, set()).add(column)
        if not {VERSIONS_TABLE, HISTORY_TABLE} <= set(columns):
            return DatabaseState(initialised=False)
        present = frozenset(columns[VERSIONS_TABLE] | columns[HISTORY_TABLE])
        return next(iter(_states(connection.execute(_union([("", present)])), 1)))
    except sqlite3.DatabaseError as error:
        from ..errors import DatabaseUnavailable

        return DatabaseUnavailable(target.display_url, str(error))
    finally:
        connection.close()


def _union(prefixes: list[tuple[str, frozenset]]) -> str:
    """One query returning the version rows and recording history rows of every (schema prefix,
    added columns it has).

    Columns: target index, 0 for a version row / 1 for a history row, history id, app, version,
    checksum, name, the dirty columns, dirty_session, up_checksum, down_checksum (NULL where a
    table of an earlier release lacks them). Ordered by target, then version rows, then history
    oldest first (the last recording row of a version wins, as in ``Recorder.read_state``).
    """
    parts = []
    nulls = ", ".join(f"NULL AS {column}" for column in _DIRTY)
    for index, (prefix, added) in enumerate(prefixes):
        session, up, down = (c if c in added else "NULL" for c in ("dirty_session", "up_checksum", "down_checksum"))
        parts.append(
            f"SELECT {index} AS t, 0 AS h, 0 AS id, app, version, NULL AS checksum, name, {', '.join(_DIRTY)}, "
            f"{session} AS dirty_session, NULL AS up_checksum, NULL AS down_checksum FROM {prefix}{VERSIONS_TABLE}"
        )
        parts.append(
            f"SELECT {index}, 1, id, app, version, checksum, name, {nulls}, NULL, {up}, {down} FROM {prefix}{HISTORY_TABLE} "
            f"WHERE success = TRUE AND direction IN ({_RECORDING}) AND checksum IS NOT NULL"
        )
    return " UNION ALL ".join(parts) + " ORDER BY 1, 2, 3"


def _states(rows: Iterable, count: int) -> list[DatabaseState]:
    """Split the rows of ``_union`` into one state per prefix, in order."""
    versions: list[list[dict]] = [[] for _ in range(count)]
    history: list[list[tuple]] = [[] for _ in range(count)]
    for row in rows:
        index, kind, _id, app, version, checksum, name, *dirty, session, up, down = row
        if kind == 0:
            versions[index].append(dict(zip(_VERSION_COLUMNS, (app, version, *dirty, session))))
        else:
            history[index].append((app, version, checksum, name, up, down))
    return [state_from_rows(versions[i], history[i]) for i in range(count)]


def read_schema_under_lock(connection: "Connection", schema: str) -> tuple[DatabaseState, dict[str, frozenset]] | None:
    """A PostgreSQL schema target's state, read again under its lock: one catalog query (does the
    schema exist, which bookkeeping tables and added columns it has) and, if it is initialised, the
    query of ``_union`` for it alone. Returns the state and the tables found (for
    ``Recorder.assume_tables``); None when only one of the two tables exists (the caller reads it
    the single-database way). Raises TargetMissing when the schema is gone.

    Run in the caller's transaction, on the driver's cursor: the single-database way (reflection,
    SQLAlchemy queries) cost a fleet target 2 ms of Python and four round trips.
    """
    from ..run.cursor import rows

    found = rows(connection, _PG_SCHEMA_CATALOG, {"schema": schema})
    if not found:
        raise TargetMissing(schema, "schema")
    present: dict[str, set] = {}
    for table, column in found:
        if table is not None:
            columns = present.setdefault(table, set())
            if column is not None:
                columns.add(column)
    tables = {table: frozenset(columns) for table, columns in present.items()}
    if not tables:
        return DatabaseState(initialised=False), tables
    if len(tables) < 2:
        return None
    prefix = connection.dialect.identifier_preparer.quote_identifier(schema) + "."
    history = rows(connection, _union([(prefix, frozenset().union(*tables.values()))]))
    return _states(history, 1)[0], tables


_PG_SCHEMA_CATALOG = f"""
SELECT c.relname, a.attname FROM pg_namespace AS n
LEFT JOIN pg_class AS c ON c.relnamespace = n.oid AND c.relname IN ('{VERSIONS_TABLE}', '{HISTORY_TABLE}') AND c.relkind IN ('r', 'p')
LEFT JOIN pg_attribute AS a ON a.attrelid = c.oid AND NOT a.attisdropped
  AND a.attname IN ({", ".join(f"'{c}'" for columns in ADDED_COLUMNS.values() for c in columns)})
WHERE n.nspname = %(schema)s
"""


def _in_parallel(read, targets: list["Target"], parallel: int) -> dict[str, ReadOutcome]:
    if len(targets) == 1 or parallel <= 1:
        return {t.name: read(t) for t in targets}
    with ThreadPoolExecutor(max_workers=min(parallel, len(targets)), thread_name_prefix="modmig-read") as pool:
        return dict(zip((t.name for t in targets), pool.map(read, targets)))


def _what(target: "Target") -> str:
    return "schema" if target.schema is not None else "database"
