"""Alembic's operations for modmig migrations, with SQLite table rebuilds that lose nothing.

A Python migration written by ``modmig makemigrations --python`` starts with::

    from modmig.schema.alembic_ops import operations

    def upgrade(ctx):
        op = operations(ctx)
        op.add_column("blog_post", sa.Column("tags", sa.String(50), nullable=True))
        with op.batch_alter_table("blog_post") as batch_op:
            batch_op.alter_column("title", existing_type=sa.String(200), type_=sa.String(300))

``operations(ctx)`` is Alembic's ``Operations`` on the migration's own connection (inside its
transaction), so the same file runs on every database. ``batch_alter_table`` is plain ``ALTER
TABLE`` on PostgreSQL and MySQL. On SQLite, whatever SQLite cannot alter in place becomes
Alembic's "move and copy" (a new table, the rows copied, the old one dropped, the new one
renamed), with what Alembic's batch mode loses put back:

* ``UNIQUE`` written on a column (``email VARCHAR(254) UNIQUE``) and ``AUTOINCREMENT``, which
  SQLAlchemy's reflection does not see;
* the table's triggers and expression indexes, which go with the dropped table (and which
  SQLAlchemy cannot reflect): re-created from their own SQL;
* views and triggers that name the table: the final rename runs with ``legacy_alter_table``, so
  SQLite does not reject it for a view that referred to the table while it was briefly gone.

The same code renders ``makemigrations``' SQL files: an offline Alembic context writes the
statements instead of running them, reading the table as it stands from the scratch database the
migrations were replayed on (``operations_for(context, reader)``).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    from alembic.operations import BatchOperations, Operations
    from sqlalchemy.engine import Connection

_TRIGGERS = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table AND sql IS NOT NULL ORDER BY name"
_INDEXES = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table AND sql IS NOT NULL ORDER BY name"
_TABLE_SQL = "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :table"


def operations(ctx: Any) -> "Operations":
    """Alembic's ``op`` for a modmig Python migration: ``op = operations(ctx)`` in ``upgrade(ctx)``."""
    from alembic.migration import MigrationContext

    context = MigrationContext.configure(ctx.connection)
    return _operations_class()(context, ctx.connection)


def operations_for(context: Any, reader: "Connection") -> "Operations":
    """Operations on an Alembic ``MigrationContext`` (an offline one writes SQL), reading tables from ``reader``."""
    return _operations_class()(context, reader)


_CLASS: Any = None


def _operations_class() -> Any:
    """The Operations subclass, defined on first use so importing this module needs no Alembic."""
    global _CLASS
    if _CLASS is not None:
        return _CLASS
    from alembic.operations import Operations

    class ModmigOperations(Operations):
        """Operations whose SQLite batch mode keeps uniques, triggers, indexes and views working."""

        def __init__(self, context: Any, reader: "Connection") -> None:
            super().__init__(context)
            #: Where a table is read from before a rebuild (the same connection when online).
            self.reader = reader

        @contextmanager
        def batch_alter_table(self, table_name: str, schema: str | None = None, recreate: Any = "auto", **kw: Any) -> Iterator["BatchOperations"]:  # type: ignore[override]
            if self.impl.dialect.name != "sqlite":
                with super().batch_alter_table(table_name, schema=schema, recreate="never" if recreate == "auto" else recreate, **kw) as batch:
                    yield batch
                return
            table = reflect_sqlite_table(self.reader, table_name)
            kept = _kept_sql(self.reader, table)
            with super().batch_alter_table(table_name, schema=schema, recreate=recreate, copy_from=table, **kw) as batch:
                yield batch
                _settle_unnamed(table, batch.impl.batch)
                rebuild = recreate == "always" or (recreate == "auto" and sqlite_needs_rebuild(self.impl, batch.impl, table, self.reader))
                batch.impl.recreate = "always" if rebuild else "never"
                if rebuild:
                    self.execute("PRAGMA legacy_alter_table = ON")
            if rebuild:
                self.execute("PRAGMA legacy_alter_table = OFF")
                dropped = {args[0].name for name, args, _ in batch.impl.batch if name == "drop_index"}
                for name, sql in kept:
                    if name not in dropped:
                        self.execute(sql)

    _CLASS = ModmigOperations
    return _CLASS


def _settle_unnamed(table: Any, batch: list) -> None:
    """Put unnamed constraints the batch adds or drops into the copied table itself.

    Alembic's batch mode wants a name for every constraint it adds or drops, but SQLite's are
    mostly unnamed (``UNIQUE``, ``REFERENCES``). The rebuild starts from ``table``, so an unnamed
    constraint is added to it (a foreign key of a column the batch adds goes on that column), or
    removed from it by its kind and columns; the batch entry is then done. An added column's own
    ``index=True`` / ``unique=True`` are left to their own operations (kept, they would be named
    after the rebuild's temporary table). Changes ``batch`` (Alembic's list of
    ``(operation, args, kw)``) in place.
    """
    from sqlalchemy import ForeignKeyConstraint

    for position, (name, args, kw) in enumerate(batch):
        if name == "add_column" and (args[1].index or args[1].unique):
            batch[position] = (name, (args[0], _fresh(args[1])), kw)
    seen: set[str] = set()
    for position in reversed([i for i, (name, args, _) in enumerate(batch) if name == "create_index"]):
        index_name = batch[position][1][0].name  # an added column's index=True and the index's own operation: once
        if index_name in seen:
            del batch[position]
        seen.add(index_name)
    added = {args[1].name: (index, args[1]) for index, (name, args, _) in enumerate(batch) if name == "add_column"}
    dropped = {args[1] for name, args, _ in batch if name == "drop_column"}
    settled = []
    for index, (name, args, _) in enumerate(batch):
        if name not in ("add_constraint", "drop_constraint") or args[0].name:
            continue
        constraint = args[0]
        columns = [c.name for c in constraint.columns] if not isinstance(constraint, ForeignKeyConstraint) else list(constraint.column_keys)
        if name == "drop_constraint":
            same_kind = [c for c in table.constraints if type(c) is type(constraint)]
            found = [c for c in same_kind if _columns(c) == columns]
            if found:
                table.constraints.discard(found[0])
                settled.append(index)
            elif not columns and any(set(_columns(c)) <= dropped for c in same_kind):
                settled.append(index)  # named only by its kind: it goes with the columns the batch drops
            continue
        if isinstance(constraint, ForeignKeyConstraint) and len(columns) == 1 and columns[0] in added:
            position, column = added[columns[0]]
            options = {k: getattr(constraint, k) for k in ("ondelete", "onupdate") if getattr(constraint, k, None)}
            operation, (table_name, _), kw = batch[position]
            batch[position] = (operation, (table_name, _fresh(column, (constraint.elements[0].target_fullname, options))), kw)
            settled.append(index)
        elif all(column in table.c for column in columns):
            table.append_constraint(constraint._copy() if not isinstance(constraint, ForeignKeyConstraint) else ForeignKeyConstraint(
                columns, [e.target_fullname for e in constraint.elements], ondelete=constraint.ondelete, onupdate=constraint.onupdate,
            ))
            settled.append(index)
    for index in reversed(settled):
        del batch[index]
    if settled and not any(name != "add_column" for name, _, _ in batch):
        batch.append(("alter_column", (table.name, next(iter(table.c)).name), {}))  # forces the rebuild the change needs


def _fresh(column: Any, foreign_key: tuple[str, dict] | None = None) -> Any:
    """A copy of a new column, bound to no table: its foreign keys (plus ``foreign_key``), no index or unique flag."""
    from sqlalchemy import Column, ForeignKey

    keys = [ForeignKey(fk.target_fullname, ondelete=fk.ondelete, onupdate=fk.onupdate) for fk in column.foreign_keys]
    if foreign_key is not None:
        keys.append(ForeignKey(foreign_key[0], **foreign_key[1]))
    return Column(column.name, column.type, *keys, nullable=column.nullable, server_default=column.server_default,
                  primary_key=column.primary_key, comment=column.comment)


def _columns(constraint: Any) -> list[str]:
    from sqlalchemy import ForeignKeyConstraint

    if isinstance(constraint, ForeignKeyConstraint):
        return list(constraint.column_keys)
    return [c.name for c in constraint.columns]


def sqlite_needs_rebuild(impl: Any, batch_impl: Any, table: Any = None, reader: Any = None) -> bool:
    """What SQLite cannot do in place (Alembic's rule rebuilds for less, and sometimes too little).

    Added columns: SQLite adds one in place unless it is NOT NULL without a default, a primary key
    or unique, or has a non-constant or computed default; Alembic's in-place ``add_column`` also
    leaves out a new column's foreign key. Dropped columns: since SQLite 3.35, ``DROP COLUMN``
    works in place for a column no index, key, constraint, view or trigger names. Anything else
    (altering a column, adding or dropping a constraint) is a rebuild.
    """
    from sqlalchemy import Computed, sql

    for name, args, _ in batch_impl.batch:
        if name in ("create_index", "drop_index"):
            continue
        if name == "drop_column":
            if table is None or not _droppable(table, getattr(args[1], "name", args[1]), reader):
                return True
            continue
        if name != "add_column":
            return True
        column = args[1]
        if column.primary_key or column.unique or column.foreign_keys or column.constraints:
            return True
        if not column.nullable and column.server_default is None:
            return True
        if isinstance(column.server_default, Computed) or isinstance(getattr(column.server_default, "arg", None), sql.ClauseElement):
            return True
    return False


def _droppable(table: Any, column: str, reader: Any) -> bool:
    """SQLite can ``DROP COLUMN`` this one in place (3.35+: nothing else names it)."""
    import sqlite3

    from sqlalchemy import text

    if sqlite3.sqlite_version_info < (3, 35) or column not in table.c or table.c[column].primary_key:
        return False
    if any(column in [c.name for c in getattr(constraint, "columns", [])] or column in str(getattr(constraint, "sqltext", ""))
           for constraint in table.constraints if constraint is not table.primary_key):
        return False
    if any(column in [c.name for c in index.columns] for index in table.indexes):
        return False
    others = reader.execute(text("SELECT sql FROM sqlite_master WHERE type IN ('view', 'trigger', 'index') AND sql IS NOT NULL"))
    word = re.compile(rf"\b{re.escape(column)}\b", re.IGNORECASE)
    return not any(word.search(sql) for (sql,) in others)


def reflect_sqlite_table(connection: "Connection", name: str) -> Any:
    """The table as SQLite holds it, with what SQLAlchemy's reflection misses put back.

    A column's own ``UNIQUE`` becomes a unique constraint again (SQLite made an automatic index
    for it, which is how it is found), and ``AUTOINCREMENT`` is kept. Expression indexes are left
    out: SQLAlchemy cannot read them, and the rebuild re-creates them from their SQL.
    """
    import warnings

    from sqlalchemy import MetaData, Table, UniqueConstraint, exc, inspect, text

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", exc.SAWarning)  # "skipped unsupported reflection of expression-based index"
        table = Table(name, MetaData(), autoload_with=connection)
        inspector = inspect(connection)
        automatic = inspector.get_indexes(name, include_auto_indexes=True)
    covered: set[tuple] = {tuple(c.name for c in constraint.columns) for constraint in table.constraints if isinstance(constraint, UniqueConstraint)}
    covered.add(tuple(c.name for c in table.primary_key.columns))
    for index in automatic:
        columns = tuple(str(c) for c in index.get("column_names") or () if c is not None)
        if (index.get("name") or "").startswith("sqlite_autoindex") and columns and columns not in covered:
            table.append_constraint(UniqueConstraint(*columns))
            covered.add(columns)
    sql = connection.execute(text(_TABLE_SQL), {"table": name}).scalar() or ""
    if re.search(r"\bAUTOINCREMENT\b", sql, re.IGNORECASE):
        table.dialect_options["sqlite"]["autoincrement"] = True
    return table


def _kept_sql(connection: "Connection", table: Any) -> list[tuple[str, str]]:
    """(name, SQL) of what a rebuild must re-create itself: the indexes SQLAlchemy could not
    reflect (expressions), then the triggers."""
    from sqlalchemy import text

    reflected = {index.name for index in table.indexes}
    indexes = [(n, s) for n, s in connection.execute(text(_INDEXES), {"table": table.name}) if n not in reflected]
    triggers = list(connection.execute(text(_TRIGGERS), {"table": table.name}))
    return [(str(n), str(s)) for n, s in [*indexes, *triggers]]
