"""The user schema of a SQLite file, to check that every tool built the same one.

Tables with their columns (name, declared type, not-null, default) and indexes with their table and
columns, read from ``sqlite_master`` and the ``pragma`` functions. Each tool's own bookkeeping
tables (``_schema_*``, ``django_migrations``, ``alembic_version``, ``_yoyo_*``, ``yoyo_lock``)
are left out, as are SQLite's internal ones.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

BOOKKEEPING = ("_schema_", "django_", "alembic_", "_yoyo", "yoyo_", "sqlite_")


def snapshot(database: Path) -> dict:
    """``{"tables": {name: [[column, type, notnull, default], ...]}, "indexes": {name: [table, [cols]]}}``."""
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        objects = connection.execute("SELECT type, name, tbl_name FROM sqlite_master").fetchall()
        tables, indexes = {}, {}
        for kind, name, table in objects:
            if table.startswith(BOOKKEEPING):
                continue
            if kind == "table":
                rows = connection.execute("SELECT name, type, \"notnull\", dflt_value FROM pragma_table_info(?)", (name,))
                tables[name] = [list(row) for row in rows]
            elif kind == "index":
                columns = [row[0] for row in connection.execute("SELECT name FROM pragma_index_info(?)", (name,))]
                indexes[name] = [table, columns]
        return {"tables": tables, "indexes": indexes}
    finally:
        connection.close()


def differences(expected: dict, found: dict, limit: int = 5) -> list[str]:
    """What ``found`` lacks, has extra or has differently from ``expected`` (at most ``limit``)."""
    problems = []
    for part in ("tables", "indexes"):
        want, have = expected[part], found[part]
        for name in sorted(set(want) - set(have)):
            problems.append(f"missing {part[:-1] if part == 'tables' else 'index'} {name}")
        for name in sorted(set(have) - set(want)):
            problems.append(f"extra {part[:-1] if part == 'tables' else 'index'} {name}")
        for name in sorted(set(want) & set(have)):
            if want[name] != have[name]:
                problems.append(f"{name} differs: {have[name]} instead of {want[name]}")
    return problems[:limit] + ([f"... and {len(problems) - limit} more"] if len(problems) > limit else [])


def summary(shape: dict) -> str:
    return f"{len(shape['tables'])} tables, {len(shape['indexes'])} indexes"
