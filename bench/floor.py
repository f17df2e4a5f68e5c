"""The floor: the least any migration tool can do to apply the workload to SQLite.

Run as its own process (``python bench/floor.py WORKLOAD_JSON DATABASE``) so that it is timed the
same way as ``modmig upgrade --all``: interpreter start-up included. It uses nothing but
``sqlite3`` and runs, per migration, one transaction holding the migration's SQL and the same
bookkeeping writes modmig makes (an UPDATE of the app's row in ``_schema_versions``, an INSERT
when the app has no row yet, and an INSERT into ``_schema_history`` with the same columns
filled), into tables created with the same DDL (``tests/test_bench_floor.py`` checks both).
Migrations run in the order ``workload.json`` lists them: modmig's order (the order matters to
SQLite: each DDL statement costs in proportion to the schema so far).
The database settings are SQLite's defaults, as for modmig (rollback journal, synchronous=FULL).

It prints one JSON line: the seconds spent applying (after start-up) and the migration count.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
import sqlite3
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS _schema_versions (
    app VARCHAR(64) NOT NULL, version INTEGER NOT NULL, name VARCHAR(255), checksum VARCHAR(64),
    dirty BOOLEAN NOT NULL, dirty_version INTEGER, dirty_name VARCHAR(255),
    dirty_direction VARCHAR(8), dirty_statements_done INTEGER, dirty_prefix_checksum VARCHAR(64),
    dirty_statement TEXT, dirty_error TEXT, updated_at DATETIME NOT NULL, dirty_session VARCHAR(64),
    PRIMARY KEY (app));
CREATE TABLE IF NOT EXISTS _schema_history (
    id INTEGER NOT NULL, app VARCHAR(64) NOT NULL, version INTEGER NOT NULL,
    name VARCHAR(255), checksum VARCHAR(64), direction VARCHAR(8) NOT NULL,
    started_at DATETIME NOT NULL, duration_ms INTEGER, success BOOLEAN NOT NULL,
    executed_by VARCHAR(255), modmig_version VARCHAR(32), error TEXT, up_checksum VARCHAR(64),
    down_checksum VARCHAR(64), PRIMARY KEY (id));
"""
_UPDATE = (
    "UPDATE _schema_versions SET version = ?, name = ?, checksum = ?, updated_at = ?, dirty = 0, "
    "dirty_version = NULL, dirty_name = NULL, dirty_direction = NULL, dirty_statements_done = NULL, "
    "dirty_prefix_checksum = NULL, dirty_statement = NULL, dirty_error = NULL, dirty_session = NULL WHERE app = ?"
)
_INSERT_VERSION = (
    "INSERT INTO _schema_versions (app, version, name, checksum, updated_at, dirty) VALUES (?, ?, ?, ?, ?, 0)"
)
_INSERT_HISTORY = (
    "INSERT INTO _schema_history (app, version, name, checksum, direction, started_at, duration_ms, "
    "success, executed_by, modmig_version, error, up_checksum, down_checksum) "
    "VALUES (?, ?, ?, ?, 'up', ?, ?, 1, ?, 'floor', NULL, ?, ?)"
)


def apply(steps: list, database: Path) -> None:
    connection = sqlite3.connect(database, isolation_level=None)  # we issue BEGIN/COMMIT ourselves
    apply_on(connection, steps)
    connection.close()


def apply_on(connection, steps: list) -> None:
    """The floor's loop on an open connection in autocommit mode (``isolation_level=None``):
    ``bench/bound_without_sqlalchemy.py`` runs it on connections of its own."""
    connection.executescript(_BOOKKEEPING)
    who = f"{getpass.getuser()}@{socket.gethostname()}"
    for app, number, name, statements in steps:
        started = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(" ")
        clock = time.perf_counter()
        checksum = hashlib.sha256("\n".join(statements).encode()).hexdigest()
        # modmig also records the checksums of the file's up and down parts; workload.json has
        # no down statements, so the floor hashes as much text to stand for it.
        down_checksum = hashlib.sha256(f"down of {name}".encode()).hexdigest()
        connection.execute("BEGIN")
        for statement in statements:
            connection.execute(statement)
        if connection.execute(_UPDATE, (number, name, checksum, started, app)).rowcount == 0:
            connection.execute(_INSERT_VERSION, (app, number, name, checksum, started))
        elapsed = int((time.perf_counter() - clock) * 1000)
        connection.execute(_INSERT_HISTORY, (app, number, name, checksum, started, elapsed, who, checksum, down_checksum))
        connection.execute("COMMIT")


def main(argv: list[str]) -> None:
    workload_json, database = Path(argv[0]), Path(argv[1])
    clock = time.perf_counter()
    steps = json.loads(workload_json.read_text(encoding="utf-8"))["steps"]
    apply(steps, database)
    print(json.dumps({"seconds": time.perf_counter() - clock, "migrations": len(steps)}))


if __name__ == "__main__":
    main(sys.argv[1:])
