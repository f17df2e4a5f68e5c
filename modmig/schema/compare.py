"""Describe what a database holds, and say how two such descriptions differ.

Used by squash verification: the originals and the squash are applied to two scratch databases,
and their *snapshots* must be equal. A snapshot is plain data (nested dicts and lists): tables with
their columns (type, nullability, default), primary key, foreign keys, unique constraints, check
constraints and indexes, all read with SQLAlchemy's inspector; views (the inspector too); triggers
(from the catalog, which the inspector does not cover); and every row of every table.
modmig's own bookkeeping tables are left out.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from ..run.bookkeeping_rows import BOOKKEEPING_TABLES

_BOOKKEEPING = BOOKKEEPING_TABLES
#: Catalog queries for triggers: (name, definition) rows. The inspector has no trigger API.
_TRIGGERS = {
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'",
    "postgresql": (
        "SELECT t.tgname, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
    ),
    "mysql": (
        "SELECT trigger_name, CONCAT(action_timing, ' ', event_manipulation, ' ON ', event_object_table, ' ', "
        "action_statement) FROM information_schema.triggers WHERE trigger_schema = DATABASE()"
    ),
}


def snapshot(connection: Connection, rows: bool = True) -> dict[str, Any]:
    """Everything a migration can leave behind in the connection's default schema."""
    with warnings.catch_warnings():
        # SQLite's expression indexes: SQLAlchemy skips them with a warning; _sqlite_indexes reads them
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        return _snapshot(connection, rows)


def _snapshot(connection: Connection, rows: bool) -> dict[str, Any]:
    inspector = inspect(connection)
    names = sorted(name for name in inspector.get_table_names() if name not in _BOOKKEEPING)
    tables: dict[str, Any] = {}
    if names:
        columns = inspector.get_multi_columns(filter_names=names)
        primary = inspector.get_multi_pk_constraint(filter_names=names)
        foreign = inspector.get_multi_foreign_keys(filter_names=names)
        unique = inspector.get_multi_unique_constraints(filter_names=names)
        indexes = inspector.get_multi_indexes(filter_names=names)
        checks = _checks(inspector, names)
        for name in names:
            key = (None, name)
            tables[name] = {
                "columns": [_column(c) for c in columns.get(key, [])],
                "primary key": list(primary.get(key, {}).get("constrained_columns") or []),
                "foreign keys": sorted((_foreign_key(f) for f in foreign.get(key, [])), key=repr),
                "unique constraints": sorted(
                    ({"name": u.get("name"), "columns": list(u["column_names"])} for u in unique.get(key, [])), key=repr
                ),
                "check constraints": sorted(checks.get(key, []), key=repr),
                "indexes": sorted((_index(i) for i in indexes.get(key, [])), key=repr),
            }
            if connection.dialect.name == "sqlite":
                tables[name]["indexes"] = sorted([*tables[name]["indexes"], *_sqlite_expression_indexes(connection, name, tables[name]["indexes"])], key=repr)
                tables[name]["unique constraints"] = _sqlite_uniques(inspector, name, tables[name])
    views = {
        name: " ".join((inspector.get_view_definition(name) or "").split())
        for name in sorted(inspector.get_view_names())
    }
    result: dict[str, Any] = {"tables": tables, "views": views, "triggers": _triggers(connection)}
    if rows:
        result["rows"] = {name: _rows(connection, name, tables[name]["columns"]) for name in names}
    return result


def differences(expected: dict[str, Any], actual: dict[str, Any], labels: tuple[str, str]) -> list[str]:
    """One line per difference between two snapshots (empty when they are equal)."""
    found: list[str] = []
    _compare(expected, actual, [], labels, found)
    return found


def is_empty(found: dict[str, Any]) -> bool:
    return not (found["tables"] or found["views"] or found["triggers"])


def _compare(a: Any, b: Any, path: list[str], labels: tuple[str, str], found: list[str]) -> None:
    where = " / ".join(path) or "database"
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in b:
                found.append(f"{where}: {key} only in {labels[0]}")
            elif key not in a:
                found.append(f"{where}: {key} only in {labels[1]}")
            else:
                _compare(a[key], b[key], [*path, str(key)], labels, found)
        return
    if path and path[-1] == "columns" and isinstance(a, list) and isinstance(b, list):
        _compare({c["name"]: c for c in a}, {c["name"]: c for c in b}, path, labels, found)
        if not found and [c["name"] for c in a] != [c["name"] for c in b]:
            found.append(f"{where}: column order {[c['name'] for c in a]} in {labels[0]}, {[c['name'] for c in b]} in {labels[1]}")
        return
    if a != b:
        if path and path[0] == "rows":
            found.append(f"{where}: {_describe_rows(a)} in {labels[0]}, {_describe_rows(b)} in {labels[1]}")
        else:
            found.append(f"{where}: {a!r} in {labels[0]}, {b!r} in {labels[1]}")


def _describe_rows(rows: list) -> str:
    shown = ", ".join(repr(row) for row in rows[:3]) + (", ..." if len(rows) > 3 else "")
    return f"{len(rows)} row(s) [{shown}]"


def _column(column: dict) -> dict:
    default = column.get("default")
    return {
        "name": column["name"],
        "type": str(column["type"]),
        "nullable": bool(column.get("nullable", True)),
        "default": None if default is None else " ".join(str(default).split()),
    }


def _foreign_key(fk: dict) -> dict:
    return {
        "name": fk.get("name"),
        "columns": list(fk["constrained_columns"]),
        "references": f"{fk['referred_table']}({', '.join(fk['referred_columns'])})",
        "options": {k: v for k, v in sorted((fk.get("options") or {}).items())},
    }


def _index(index: dict) -> dict:
    return {
        "name": index["name"],
        "columns": [c if c is not None else e for c, e in zip(index.get("column_names") or [], _expressions(index))],
        "unique": bool(index.get("unique")),
        "where": _partial_index_condition(index),
    }


def _sqlite_uniques(inspector, table: str, found: dict) -> list[dict]:
    """Unique constraints, with those written on a column (``email TEXT UNIQUE``), which SQLAlchemy
    does not reflect: their automatic index shows them. Unnamed, as SQLite keeps them."""
    uniques = list(found["unique constraints"])
    covered = [u["columns"] for u in uniques] + [found["primary key"]]
    for index in inspector.get_indexes(table, include_auto_indexes=True):
        columns = list(index.get("column_names") or [])
        if (index.get("name") or "").startswith("sqlite_autoindex") and columns and columns not in covered:
            uniques.append({"name": None, "columns": columns})
            covered.append(columns)
    return sorted(uniques, key=repr)


def _sqlite_expression_indexes(connection: Connection, table: str, reflected: list[dict]) -> list[dict]:
    """The indexes SQLAlchemy cannot reflect from SQLite (on expressions), by their SQL."""
    known = {index["name"] for index in reflected}
    query = text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL")
    return [
        {"name": name, "columns": [], "unique": None, "where": " ".join(sql.split())}
        for name, sql in connection.execute(query, {"t": table}) if name not in known
    ]


def _expressions(index: dict) -> list:
    names = index.get("column_names") or []
    expressions = index.get("expressions") or [None] * len(names)
    return list(expressions) + [None] * (len(names) - len(expressions))


def _checks(inspector, names: list[str]) -> dict:
    try:
        found = inspector.get_multi_check_constraints(filter_names=names)
    except NotImplementedError:
        return {}
    return {key: [{"name": c.get("name"), "sql": " ".join(c["sqltext"].split())} for c in value] for key, value in found.items()}


def _triggers(connection: Connection) -> dict[str, str]:
    query = _TRIGGERS.get(connection.dialect.name)
    if query is None:
        return {}
    return {name: " ".join((definition or "").split()) for name, definition in connection.exec_driver_sql(query)}


def _rows(connection: Connection, table: str, columns: list[dict]) -> list:
    """Every row, sorted; columns defaulting to the current time are masked (they say *when*)."""
    quote = connection.dialect.identifier_preparer.quote
    masked = [_CLOCK.search((c["default"] or "").lower()) is not None for c in columns]
    listed = ", ".join(quote(c["name"]) for c in columns) or "*"
    rows = [
        tuple("<time>" if mask else value for mask, value in zip(masked, row)) if any(masked) else tuple(row)
        for row in connection.execute(text(f"SELECT {listed} FROM {quote(table)}"))
    ]
    return sorted(rows, key=repr)


_CLOCK = re.compile(r"current_timestamp|current_date|current_time|localtimestamp|localtime|now\(|'now'|getdate|sysdate|utc_timestamp")


def _partial_index_condition(index: dict) -> str:
    """The WHERE of a partial index, as text. The inspector gives a SQL clause, whose truth value
    is undefined (``or`` on it raised TypeError), so it is compared as its text."""
    options = index.get("dialect_options") or {}
    for key in ("sqlite_where", "postgresql_where"):
        condition = options.get(key)
        if condition is not None:
            return " ".join(str(condition).split())
    return ""
