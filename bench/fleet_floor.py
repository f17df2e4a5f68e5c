"""The fleet floor: the least a tool can do to migrate every target of a fleet, with the same parallelism.

Run as its own process (``python bench/fleet_floor.py SPEC_JSON``), so it is timed like ``modmig
upgrade --all --fleet``, interpreter start-up included. It uses the bare driver (psycopg,
PyMySQL or sqlite3) and N worker threads, each with one connection of its own for the whole run
(PostgreSQL: ``SET search_path`` per schema; MySQL: ``USE`` per database; SQLite: a connection
per file). Per target it creates the same bookkeeping tables modmig creates, then, per
migration, runs one transaction with the migration's DDL, the version row (UPDATE, or INSERT
when the app has none) and the history row: what modmig writes, without the lock, the state
read, the plan, or anything else.

It prints one JSON line: the seconds spent (after start-up) and the number of targets.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import sys
import threading
import time
from datetime import datetime, timezone

_VERSIONS = (
    "CREATE TABLE IF NOT EXISTS _schema_versions (app VARCHAR(64) NOT NULL PRIMARY KEY, version INTEGER NOT NULL, "
    "name VARCHAR(255), checksum VARCHAR(64), dirty BOOLEAN NOT NULL, dirty_version INTEGER, dirty_name VARCHAR(255), "
    "dirty_direction VARCHAR(8), dirty_statements_done INTEGER, dirty_prefix_checksum VARCHAR(64), dirty_statement TEXT, "
    "dirty_error TEXT, updated_at {datetime} NOT NULL, dirty_session VARCHAR(64))"
)
_HISTORY = (
    "CREATE TABLE IF NOT EXISTS _schema_history (id {serial} PRIMARY KEY, app VARCHAR(64) NOT NULL, version INTEGER NOT NULL, "
    "name VARCHAR(255), checksum VARCHAR(64), direction VARCHAR(8) NOT NULL, started_at {datetime} NOT NULL, "
    "duration_ms INTEGER, success BOOLEAN NOT NULL, executed_by VARCHAR(255), modmig_version VARCHAR(32), error TEXT, "
    "up_checksum VARCHAR(64), down_checksum VARCHAR(64))"
)
_TYPES = {
    "postgresql": {"datetime": "TIMESTAMP WITHOUT TIME ZONE", "serial": "SERIAL"},
    "mysql": {"datetime": "DATETIME", "serial": "INTEGER AUTO_INCREMENT"},
    "sqlite": {"datetime": "DATETIME", "serial": "INTEGER"},
}
_UPDATE = (
    "UPDATE _schema_versions SET version = {p}, name = {p}, checksum = {p}, updated_at = {p}, dirty = FALSE, dirty_session = NULL, "
    "dirty_version = NULL, dirty_name = NULL, dirty_direction = NULL, dirty_statements_done = NULL, "
    "dirty_prefix_checksum = NULL, dirty_statement = NULL, dirty_error = NULL WHERE app = {p}"
)
_INSERT_VERSION = "INSERT INTO _schema_versions (app, version, name, checksum, updated_at, dirty) VALUES ({p}, {p}, {p}, {p}, {p}, FALSE)"
_INSERT_HISTORY = (
    "INSERT INTO _schema_history (app, version, name, checksum, direction, started_at, duration_ms, success, "
    "executed_by, modmig_version, error, up_checksum, down_checksum) "
    "VALUES ({p}, {p}, {p}, {p}, 'up', {p}, {p}, TRUE, 'floor', 'floor', NULL, {p}, {p})"
)


def connect(kind: str, url: str):
    if kind == "postgresql":
        import psycopg

        return psycopg.connect(url, autocommit=True)
    if kind == "mysql":
        import pymysql

        return pymysql.connect(**json.loads(url), autocommit=True)
    return None


def migrate(kind: str, connection, target: str, steps: list) -> None:
    """One target: bookkeeping tables, then each migration in its own transaction."""
    p = "?" if kind == "sqlite" else "%s"
    if kind == "sqlite":
        connection = sqlite3.connect(target, isolation_level=None)
    cursor = connection.cursor()
    if kind == "postgresql":
        cursor.execute(f'SET search_path TO "{target}"')
    elif kind == "mysql":
        cursor.execute(f"USE `{target}`")
    for ddl in (_VERSIONS, _HISTORY):
        cursor.execute(ddl.format(**_TYPES[kind]))
    update, insert, history = (_UPDATE.format(p=p), _INSERT_VERSION.format(p=p), _INSERT_HISTORY.format(p=p))
    for app, number, name, statements in steps:
        started = datetime.now(timezone.utc).replace(tzinfo=None)
        clock = time.perf_counter()
        cursor.execute("BEGIN")
        for statement in statements:
            cursor.execute(statement)
        cursor.execute(update, (number, name, "c" * 64, started, app))
        if cursor.rowcount == 0:
            cursor.execute(insert, (app, number, name, "c" * 64, started))
        cursor.execute(history, (app, number, name, "c" * 64, started, int((time.perf_counter() - clock) * 1000), "u" * 64, "d" * 64))
        cursor.execute("COMMIT")
    if kind == "sqlite":
        connection.close()


def main(spec_path: str) -> None:
    spec = json.loads(open(spec_path, encoding="utf-8").read())
    clock = time.perf_counter()
    work: queue.Queue = queue.Queue()
    for target in spec["targets"]:
        work.put(target)
    failures: list[str] = []

    def worker() -> None:
        connection = connect(spec["kind"], spec["url"])
        try:
            while True:
                try:
                    target = work.get_nowait()
                except queue.Empty:
                    return
                try:
                    migrate(spec["kind"], connection, target, spec["steps"])
                except Exception as error:  # noqa: BLE001 - report and go on, like a fleet under 'continue'
                    failures.append(f"{target}: {error}")
        finally:
            if connection is not None:
                connection.close()

    threads = [threading.Thread(target=worker) for _ in range(spec["parallel"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        print("\n".join(failures[:10]), file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"seconds": time.perf_counter() - clock, "targets": len(spec["targets"])}))


if __name__ == "__main__":
    main(sys.argv[1])
