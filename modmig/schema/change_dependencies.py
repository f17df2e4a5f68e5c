"""What an app's new migration needs first: ``-- modmig: depends other:NNNN`` from its foreign keys.

For every foreign key the operations add to another app's table or column, the version of that
app whose migration created it (from the ownership map), or a migration generated earlier in the
same run. A foreign key to a table no app's migrations created is an ownership error with a hint:
modmig never writes a dependency it cannot name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from ..errors import OwnershipViolation
from .changes import Requirement

if TYPE_CHECKING:
    from .ownership_map import OwnershipMap



def foreign_keys(ops: Iterable[Any]) -> list[tuple[str, str, str, list[str]]]:
    """``(table, column(s), referred table, referred columns)`` for each foreign key the operations add."""
    from alembic.operations import ops as alembic

    found = []
    for op in ops:
        if isinstance(op, alembic.ModifyTableOps):
            found.extend(foreign_keys(op.ops))
        elif isinstance(op, alembic.CreateTableOp):
            table = op.to_table()
            for constraint in table.foreign_key_constraints:
                found.append(_fk(table.name, constraint))
        elif isinstance(op, alembic.AddColumnOp):
            for fk in op.column.foreign_keys:
                target_table, _, target_column = fk.target_fullname.rpartition(".")
                found.append((op.table_name, op.column.name, target_table.rsplit(".", 1)[-1], [target_column]))
        elif isinstance(op, alembic.CreateForeignKeyOp):
            found.append((op.source_table, ", ".join(op.local_cols), op.referent_table, list(op.remote_cols)))
        elif isinstance(op, alembic.AlterColumnOp) and op.modify_name is not None:
            continue
    return found


def _fk(table: str, constraint: Any) -> tuple[str, str, str, list[str]]:
    targets = [element.target_fullname for element in constraint.elements]
    referred = targets[0].rpartition(".")[0].rsplit(".", 1)[-1]
    return (table, ", ".join(constraint.column_keys), referred, [t.rpartition(".")[2] for t in targets])


def dependencies(app: str, ops: list[Any], owners: "OwnershipMap", pending: dict[str, tuple[str, int]]) -> list[Requirement]:
    """The versions of other apps this app's new migration needs: one per app, the highest.

    ``pending`` maps tables created by migrations generated earlier in this run to (app, version).
    A foreign key to a table no app's migrations created raises OwnershipViolation.
    """
    needed: dict[str, Requirement] = {}
    problems = []
    for table, columns, referred, referred_columns in foreign_keys(ops):
        where = f"{table}.{columns} -> {referred}({', '.join(referred_columns)})"
        if referred in pending:
            owner, version = pending[referred]
            if owner != app:
                _need(needed, Requirement(owner, version, where))
            continue
        obj = owners.get("table", referred)
        if obj is None or obj.created_by is None:
            if owners.get("table", referred) is None and referred in _tables_of(ops):
                continue  # created by this same migration
            problems.append(f"the foreign key {where} refers to a table no app's migrations created")
            continue
        if obj.created_by.app != app:
            _need(needed, Requirement(obj.created_by.app, obj.created_by.version, where))
        for column in referred_columns:
            col = owners.get("column", f"{referred}.{column}")
            if col is not None and col.created_by is not None and col.created_by.app != app:
                _need(needed, Requirement(col.created_by.app, col.created_by.version, where))
    if problems:
        raise OwnershipViolation(
            app, problems,
            "A foreign key must point at a table an app owns: create that table in a migration of the app that "
            "should own it (modmig new APP SLUG), or adopt the database it comes from first (docs/adoption.md).",
        )
    return sorted(needed.values(), key=lambda r: r.app)


def _need(needed: dict[str, Requirement], requirement: Requirement) -> None:
    current = needed.get(requirement.app)
    if current is None or requirement.version > current.version:
        needed[requirement.app] = requirement


def _tables_of(ops: Iterable[Any]) -> set[str]:
    from alembic.operations import ops as alembic

    return {op.table_name for op in ops if isinstance(op, alembic.CreateTableOp)}


def created_tables(ops: Iterable[Any]) -> list[str]:
    return sorted(_tables_of(ops))
