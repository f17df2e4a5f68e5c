"""The bookkeeping tables' names and what their rows mean, without SQLAlchemy.

``Recorder`` (``recorder.py``) reads and writes the tables through SQLAlchemy; the fleet reads
many databases' rows in one query and ``quick_state`` reads one database through its driver
alone (for ``status`` and a no-op ``upgrade``, which should not pay for importing SQLAlchemy).
All three turn rows into a ``DatabaseState`` with ``state_from_rows``, so they agree on what the
rows mean.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from ..model import DatabaseState, DirtyMark

VERSIONS_TABLE = "_schema_versions"
HISTORY_TABLE = "_schema_history"
#: The lease lock's table (``run/backends/lease.py``); a bookkeeping table like the two above.
LEASE_TABLE = "_schema_lock"
#: Every table modmig creates in a migrated database: comparisons and drift leave them out.
BOOKKEEPING_TABLES = frozenset({VERSIONS_TABLE, HISTORY_TABLE, LEASE_TABLE})
#: History rows whose checksum becomes the recorded checksum of (app, version).
RECORDING_DIRECTIONS = ("up", "stamp", "repair")


def state_from_rows(version_rows: Iterable[Mapping], history_rows: Iterable[Sequence]) -> DatabaseState:
    """A ``DatabaseState`` from ``_schema_versions`` rows (mappings by column name; ``dirty_session``
    may be absent) and the recording history rows ``(app, version, checksum, name[, up_checksum,
    down_checksum])``, oldest first.

    ``Recorder.read_state`` reads one database with it; ``modmig.fleet`` reads many in one query
    and builds each target's state with it, and ``quick_state`` reads one through its driver
    alone: all agree on what the tables mean.
    """
    state = DatabaseState()
    for row in version_rows:
        app = row["app"]
        if not _is_version(row["version"]):
            state.corrupt[app] = f"version {row['version']!r}"
            continue
        state.versions[app] = row["version"]
        if row["dirty"]:
            if not _is_version(row["dirty_version"]) or row["dirty_direction"] not in ("up", "down"):
                state.corrupt[app] = f"dirty mark on version {row['dirty_version']!r} ({row['dirty_direction']!r})"
                continue
            state.dirty[app] = DirtyMark(
                app=app,
                version=row["dirty_version"],
                name=row["dirty_name"],
                direction=row["dirty_direction"],
                statements_done=row["dirty_statements_done"],
                prefix_checksum=row["dirty_prefix_checksum"],
                failed_statement=row["dirty_statement"],
                error=row["dirty_error"],
                session=row.get("dirty_session"),
            )
    for row in history_rows:
        key = (row[0], row[1])
        state.checksums[key] = row[2]
        state.names[key] = row[3]
        if len(row) > 4 and row[4] is not None:
            state.part_checksums[key] = (row[4], row[5])
        else:
            state.part_checksums.pop(key, None)
    return state


#: Columns added after the first release, per table: ``upgrade_tables`` adds them where missing.
ADDED_COLUMNS = {VERSIONS_TABLE: ("dirty_session",), HISTORY_TABLE: ("up_checksum", "down_checksum")}


def _is_version(value: object) -> bool:
    """What modmig writes as a version: a whole number, 0 or more."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
