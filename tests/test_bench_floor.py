"""The benchmark's floor writes the same bookkeeping as modmig, so "x floor" compares like with like.

Per migration both write one version row (an UPDATE, an INSERT the first time) and one history
row, with the same columns filled, in one transaction with the migration's statement.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from modmig.api import Project

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import floor  # noqa: E402
from workload import generate, write_modmig_project  # noqa: E402


def bookkeeping(database: Path) -> dict:
    connection = sqlite3.connect(database)
    try:
        shape = {}
        for table in ("_schema_versions", "_schema_history"):
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            rows = connection.execute(f"SELECT * FROM {table}").fetchall()
            filled = sorted({column for row in rows for column, value in zip(columns, row) if value is not None})
            shape[table] = {"columns": columns, "rows": len(rows), "filled": filled}
        shape["versions"] = sorted(connection.execute("SELECT app, version, name FROM _schema_versions").fetchall())
        shape["history"] = connection.execute("SELECT app, version, name, direction, success FROM _schema_history ORDER BY id").fetchall()
        return shape
    finally:
        connection.close()


def test_the_floor_writes_a_version_row_and_a_history_row_per_migration_like_modmig(tmp_path):
    workload = generate(3, 4, seed=1)
    project = write_modmig_project(workload, tmp_path / "modmig")
    with Project.load(project, database=f"sqlite:///{tmp_path / 'modmig.db'}") as migrated:
        migrated.upgrade()
    steps = [[m.app, m.number, m.name, [m.sql]] for m in workload.in_order()]
    floor.apply(steps, tmp_path / "floor.db")

    mine, theirs = bookkeeping(tmp_path / "modmig.db"), bookkeeping(tmp_path / "floor.db")
    assert theirs["_schema_history"]["rows"] == mine["_schema_history"]["rows"] == 12
    assert theirs["versions"] == mine["versions"]
    assert theirs["history"] == mine["history"]
    for table in ("_schema_versions", "_schema_history"):
        assert theirs[table]["columns"] == mine[table]["columns"]
        assert theirs[table]["filled"] == mine[table]["filled"]
