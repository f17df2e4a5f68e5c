"""Render: Alembic operations as the text of a migration file, SQL in one dialect or Python.

* **SQL**: the operations run through an *offline* Alembic context of the chosen dialect (Alembic
  writes each statement instead of executing it). On SQLite a table SQLite cannot alter in place
  is rebuilt by ``alembic_ops`` (rows, uniques, indexes and triggers kept), reading the table as
  the scratch database holds it at that point. PostgreSQL enum types are created before the
  first column that uses them and dropped after the last one goes (Alembic does neither for an
  added or dropped column).
* **Python**: Alembic's own renderer writes ``op.*`` calls, every change to an existing table in
  ``batch_alter_table`` (a no-op wrapper except on SQLite, where it rebuilds); the file runs the
  operations through ``modmig.schema.alembic_ops.operations(ctx)``, so it runs on every database.

``migration_text`` puts the header (what changed, ``depends``) and the down section around them.
Nothing here compares or decides: the operations arrive ordered (``changes.ordered``).
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .changes import Change, Requirement

_ENUMS = (
    "SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_type t "
    "JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace "
    "WHERE n.nspname = current_schema() GROUP BY t.typname"
)
_ENUM_USES = (
    "SELECT c.relname, a.attname, t.typname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE t.typtype = 'e' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND n.nspname = current_schema()"
)


def reverse(ops: list[Any]) -> list[Any]:
    """The operations that undo ``ops``, in the order that undoes them.

    Alembic's ``reverse`` for each, except that a column rename is renamed back (Alembic's
    reverse of ``alter_column(..., new_column_name=...)`` forgets the name).
    """
    return [_reverse(op) for op in reversed(ops)]


def _reverse(op: Any) -> Any:
    from alembic.operations import ops as alembic

    if isinstance(op, alembic.ModifyTableOps):
        return alembic.ModifyTableOps(op.table_name, [_reverse(sub) for sub in reversed(op.ops)], schema=op.schema)
    undone = op.reverse()
    if isinstance(op, alembic.AlterColumnOp):
        undone.kw.pop("postgresql_using", None)  # the cast back is another one (set when it is rendered)
        if op.modify_name:
            undone.column_name, undone.modify_name = op.modify_name, op.column_name
    return undone


def plain_columns(ops: list[Any]) -> list[Any]:
    """Added columns without their ``index=True``, ``unique=True`` and foreign keys.

    Autogenerate gives each of those its own operation too (``create_index``, a unique or foreign
    key constraint); Alembic's ``add_column`` would create them a second time from the column.
    """
    from alembic.operations import ops as alembic
    from sqlalchemy import Column

    for item in ops:
        for sub in item.ops if isinstance(item, alembic.ModifyTableOps) else [item]:
            if isinstance(sub, alembic.AddColumnOp) and (sub.column.index or sub.column.unique or sub.column.foreign_keys):
                column = sub.column
                sub.column = Column(column.name, column.type, nullable=column.nullable, server_default=column.server_default,
                                    primary_key=column.primary_key, comment=column.comment)
    return ops


def _cast_explicitly(ops: list[Any], dialect: Any) -> None:
    """PostgreSQL converts a column to a type of another kind (text to a number, a number to a
    boolean) only when told how: ``USING column::type``, which Alembic leaves to the user."""
    from alembic.operations import ops as alembic

    for item in ops:
        for sub in item.ops if isinstance(item, alembic.ModifyTableOps) else [item]:
            if (isinstance(sub, alembic.AlterColumnOp) and sub.modify_type is not None and sub.existing_type is not None
                    and sub.modify_type._type_affinity is not sub.existing_type._type_affinity and "postgresql_using" not in sub.kw):
                quoted = dialect.identifier_preparer.quote(sub.column_name)
                sub.kw["postgresql_using"] = f"{quoted}::{sub.modify_type.compile(dialect=dialect)}"


def named(ops: list[Any], reader: "Connection") -> list[Any]:
    """Unnamed constraints to drop get the name the database gave them (matched by kind and columns).

    A model's ``ForeignKey`` or ``unique=True`` has no name, but PostgreSQL and MySQL name every
    constraint (``blog_post_editor_id_fkey``, ``blog_post_ibfk_2``), and ``DROP CONSTRAINT`` needs
    it. SQLite's stay unnamed: a rebuild finds them by their columns.
    """
    from alembic.operations import ops as alembic
    from sqlalchemy import inspect

    if reader.dialect.name == "sqlite":
        return ops
    inspector = inspect(reader)
    readers = {
        "foreignkey": lambda t: [(c["name"], c["constrained_columns"]) for c in inspector.get_foreign_keys(t)],
        "unique": lambda t: [(c["name"], c["column_names"]) for c in inspector.get_unique_constraints(t)],
    }
    for item in ops:
        for sub in item.ops if isinstance(item, alembic.ModifyTableOps) else [item]:
            if isinstance(sub, alembic.DropConstraintOp) and not sub.constraint_name and sub.constraint_type in readers:
                constraint: Any = sub.to_constraint()
                columns = list(getattr(constraint, "column_keys", None) or [c.name for c in constraint.columns])
                found = [name for name, cols in readers[sub.constraint_type](sub.table_name) if list(cols) == columns]
                if found:
                    sub.constraint_name = found[0]
    return ops


def render_sql(ops: list[Any], dialect: str, reader: "Connection", may_drop_type=lambda name: True) -> str:
    """The statements of ``ops`` in ``dialect``, each ending with ``;``, reading tables from ``reader``."""
    from alembic.migration import MigrationContext
    from alembic.operations import ops as alembic

    from .alembic_ops import operations_for

    buffer = io.StringIO()
    options = {"as_sql": True, "output_buffer": buffer, "literal_binds": True}
    if reader.dialect.name == dialect or {"mariadb": "mysql"}.get(reader.dialect.name) == dialect:
        # the scratch server's own dialect: MariaDB's DROP CONSTRAINT and native UUID, the server's version
        context = MigrationContext.configure(dialect=reader.dialect, opts=options)
    else:
        context = MigrationContext.configure(dialect_name=dialect, opts=options)
    op = operations_for(context, reader)
    ops = named(plain_columns(ops), reader)
    if dialect == "postgresql":
        _cast_explicitly(ops, context.dialect)
    creates, drops = _enum_changes(ops, reader, may_drop_type) if dialect == "postgresql" else ({}, [])
    for name, values in creates.items():
        op.execute(_create_enum(name, values, context.dialect))
    new_tables = {item.table_name for item in ops if isinstance(item, alembic.CreateTableOp)}
    for item in ops:
        if isinstance(item, alembic.ModifyTableOps):
            if dialect == "sqlite" and item.table_name not in new_tables:
                with op.batch_alter_table(item.table_name) as batch:
                    for sub in item.ops:
                        if isinstance(sub, alembic.AlterColumnOp) and hasattr(sub.modify_server_default, "arg"):
                            sub.modify_server_default = sub.modify_server_default.arg  # batch mode wants the bare default
                        if isinstance(sub, alembic.DropConstraintOp) and not sub.constraint_name:
                            batch.impl.drop_constraint(sub.to_constraint())  # with its columns, to find it by them
                        else:
                            batch.invoke(sub)
            else:
                for sub in item.ops:
                    op.invoke(sub)
        else:
            _invoke(op, item, dialect)
    for name in drops:
        op.execute(f"DROP TYPE {context.dialect.identifier_preparer.quote(name)}")
    return tidy(buffer.getvalue())


def tidy(sql: str) -> str:
    """Alembic's offline output without trailing blanks, one blank line between statements."""
    lines = [line.rstrip() for line in sql.strip().splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text)


def _create_enum(name: str, values: Iterable[str], dialect: Any) -> str:
    quoted = ", ".join("'" + value.replace("'", "''") + "'" for value in values)
    return f"CREATE TYPE {dialect.identifier_preparer.quote(name)} AS ENUM ({quoted})"


def _enum_types(columns: Iterable[Any]) -> dict[str, list[str]]:
    from sqlalchemy import Enum

    found: dict[str, list[str]] = {}
    for column in columns:
        kind = column.type
        if isinstance(kind, Enum) and kind.native_enum and kind.name:
            found.setdefault(kind.name, list(kind.enums))
    return found


def _new_columns(ops: Iterable[Any]) -> list[Any]:
    from alembic.operations import ops as alembic

    found = []
    for op in ops:
        if isinstance(op, alembic.ModifyTableOps):
            found.extend(_new_columns(op.ops))
        elif isinstance(op, alembic.CreateTableOp):
            found.extend(op.columns if hasattr(op, "columns") else [])
        elif isinstance(op, alembic.AddColumnOp):
            found.append(op.column)
        elif isinstance(op, alembic.AlterColumnOp) and op.modify_type is not None:
            from sqlalchemy import Column

            found.append(Column(op.column_name, op.modify_type))
    return [column for column in found if hasattr(column, "type")]


def _gone_columns(ops: Iterable[Any]) -> set[tuple[str, str]]:
    from alembic.operations import ops as alembic

    found: set[tuple[str, str]] = set()
    for op in ops:
        if isinstance(op, alembic.ModifyTableOps):
            found |= _gone_columns(op.ops)
        elif isinstance(op, alembic.DropTableOp):
            found |= {(op.table_name, column.name) for column in op.to_table().columns}
        elif isinstance(op, alembic.DropColumnOp):
            found.add((op.table_name, op.column_name))
        elif isinstance(op, alembic.AlterColumnOp) and op.modify_type is not None:
            found.add((op.table_name, op.column_name))
    return found


def _enum_changes(ops: list[Any], reader: "Connection", may_drop_type) -> tuple[dict[str, list[str]], list[str]]:
    """PostgreSQL enum types to create first (used, not there yet) and to drop last (no longer used)."""
    existing = {name: list(values) for name, values in reader.exec_driver_sql(_ENUMS)}
    wanted = _enum_types(_new_columns(ops))
    creates = {name: values for name, values in sorted(wanted.items()) if name not in existing}
    gone = _gone_columns(ops)
    still_used = {kind for table, column, kind in reader.exec_driver_sql(_ENUM_USES) if (table, column) not in gone}
    drops = sorted(name for name in existing if name not in still_used and name not in wanted and _was_used(name, reader, gone) and may_drop_type(name))
    return creates, drops


def _was_used(name: str, reader: "Connection", gone: set[tuple[str, str]]) -> bool:
    return any(kind == name and (table, column) in gone for table, column, kind in reader.exec_driver_sql(_ENUM_USES))


def _invoke(op: Any, item: Any, dialect: str) -> None:
    """``op.invoke(item)``; on PostgreSQL a new table with enum columns is written as plain
    ``CREATE TABLE`` (Alembic's ``create_table`` would create its enum types again: they were
    created before, by name, once)."""
    from alembic.operations import ops as alembic
    from sqlalchemy import Enum
    from sqlalchemy.schema import CreateTable

    if dialect == "postgresql" and isinstance(item, alembic.CreateTableOp):
        table = item.to_table()
        if any(isinstance(column.type, Enum) and column.type.native_enum for column in table.columns):
            op.execute(CreateTable(table))
            return
    op.invoke(item)


# -- Python ---------------------------------------------------------------------------------------

_DIALECT_MODULES = ("postgresql", "mysql", "sqlite")


def render_python_body(ops: list[Any], reader: "Connection", dialect: str, may_drop_type=lambda name: True) -> tuple[str, set[str]]:
    """The ``op.*`` calls of ``ops`` (indented for a function body) and the imports they need.

    PostgreSQL enum types: ``op.create_table`` creates a new table's own; a type an added or
    altered column needs is created first (``checkfirst``, a no-op elsewhere), and a type no
    column uses any more is dropped last (known only when the scratch database is PostgreSQL).
    """
    from alembic.autogenerate import render_python_code
    from alembic.operations import ops as alembic

    if not ops:
        return "    pass", set()
    ops = named(plain_columns(ops), reader)
    code = render_python_code(alembic.UpgradeOps(ops=list(ops)), render_as_batch=True)
    lines = [line for line in code.splitlines() if "### " not in line]
    body = "\n".join(lines).rstrip()
    imports = {f"from sqlalchemy.dialects import {name}" for name in _DIALECT_MODULES if re.search(rf"\b{name}\.", body)}
    for module in sorted(set(re.findall(r"\b((?:[a-z_][a-z0-9_]*\.)+)[A-Z]\w*\(", body))):
        module = module.rstrip(".")
        if module not in ("sa", "op", "batch_op", *_DIALECT_MODULES) and not module.startswith(("sa.", "op.")):
            imports.add(f"import {module}")
    in_new_tables = _enum_types(_new_columns([op for op in ops if isinstance(op, alembic.CreateTableOp)]))
    if dialect == "postgresql":
        creates, drops = _enum_changes(ops, reader, may_drop_type)
    else:
        creates, drops = _enum_types(_new_columns([op for op in ops if not isinstance(op, alembic.CreateTableOp)])), []
    first = [
        f"    sa.Enum({', '.join(repr(v) for v in values)}, name={name!r}).create(op.get_bind(), checkfirst=True)"
        for name, values in sorted(creates.items()) if name not in in_new_tables
    ]
    last = [f"    sa.Enum(name={name!r}).drop(op.get_bind(), checkfirst=True)" for name in drops]
    return "\n".join([*first, body, *last]), imports


# -- the file -------------------------------------------------------------------------------------


def migration_text(
    *,
    app: str,
    name: str,
    models: str,
    changes: list["Change"],
    requirements: list["Requirement"],
    python: bool,
    up: str,
    down: str,
    imports: Iterable[str] = (),
) -> str:
    """The whole file: header comment, ``depends``, upgrade, down section."""
    listed = [f"{change}" for change in changes]
    if python:
        header = [f'"""{app}:{name}: written by \'modmig makemigrations\' from {models}.', ""]
        header += [f"- {line}" for line in listed]
        header += ['"""', "", "import sqlalchemy as sa", *sorted(imports), "", "from modmig.schema.alembic_ops import operations", ""]
        if requirements:
            header.append(f"dependencies = [{', '.join(repr(str(r)) for r in requirements)}]")
            for requirement in requirements:
                header.append(f"# {requirement}: {requirement.reason}")
            header.append("")
        return "\n".join([
            *header, "", "def upgrade(ctx):", "    op = operations(ctx)", up, "", "",
            "def downgrade(ctx):", "    op = operations(ctx)", down, "",
        ])
    lines = [f"-- {app}:{name}: written by 'modmig makemigrations' from {models}."]
    lines += [f"--   {line}" for line in listed]
    for requirement in requirements:
        lines.append(f"-- {requirement} is needed for {requirement.reason}")
    if requirements:
        lines.append(f"-- modmig: depends {', '.join(str(r) for r in requirements)}")
    return "\n".join([*lines, up, "-- modmig: down", down, ""])
