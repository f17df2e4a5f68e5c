"""Diff: each app's models against the schema its migrations build, as Alembic operations.

Alembic's autogenerate (``produce_migrations``) does the comparison, on a connection to the
scratch database the migrations were replayed on, never the live one. What it is not told, it
gets wrong in a project of several apps, so this module tells it and corrects it:

* **Scope by ownership.** ``include_name`` lets through only the tables of the apps asked about:
  those their models declare and those their migrations created (a model that disappeared is a
  table to drop). ``include_object`` keeps a column, index or constraint only in the database
  out of the comparison unless the app owns it: another app's column on this app's table is
  not this app's to drop. Alembic alone proposes ``drop_table`` for every table outside the
  MetaData it was given.
* **Ownership errors.** A model declaring a table another app's migrations created, or one no
  app's did, and a change to a column another app owns, raise ``OwnershipViolation`` naming
  both apps.
* **What reflection misses.** SQLite: a column's own ``UNIQUE`` (found through its automatic
  index), expression indexes (compared by name), nullability of ``INTEGER PRIMARY KEY``. Named
  CHECK constraints (Alembic compares none) are compared by name.
* **Server defaults** are compared after normalising how each database writes them back
  (``('')``, ``'0'::numeric``, ``now()``); what normalising cannot settle is left to Alembic.

The result is, per app, Alembic operation objects: ``changes`` orders them and infers
dependencies, ``render`` writes them as SQL or Python.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ModelsError, OwnershipViolation, UsageError
from .defaults import compare_server_default

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .models import ProjectModels
    from .ownership_map import OwnershipMap


def require_alembic(command: str) -> None:
    """Raise a UsageError saying what to install when Alembic (the ``models`` extra) is missing."""
    try:
        import alembic  # noqa: F401
    except ImportError:
        raise UsageError(
            f"'modmig {command}' compares schemas with Alembic's autogenerate, which is not installed: "
            f"pip install 'modmig[models]'"
        ) from None


@dataclass
class AppDiff:
    """What ``app``'s models ask for that its migrations do not give: Alembic operations."""

    app: str
    #: Top-level operations: ``CreateTableOp``, ``DropTableOp``, ``ModifyTableOps`` (one per table).
    ops: list[Any] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.ops


class Scope:
    """Which tables, and which objects on them, a comparison of ``apps`` may touch."""

    def __init__(self, models: "ProjectModels", apps: list[str], owners: "OwnershipMap", existing: set[str], pending: dict[str, str]) -> None:
        self.owners = owners
        #: Tables created by migrations generated (not yet written) in this run: table -> app.
        self.pending = pending
        #: Table -> the app whose comparison it is in.
        self.tables: dict[str, str] = {}
        problems: dict[str, list[str]] = {}
        for app in apps:
            for table in models.tables(app):
                if table in existing:
                    owner = self.table_owner(table)
                    if owner != app:
                        problems.setdefault(app, []).append(_foreign_table(table, app, owner, owners))
                        continue
                self.tables[table] = app
        for obj in owners.objects():
            if obj.kind == "table" and obj.app in apps and obj.name in existing and obj.name not in self.tables:
                if models.app_of(obj.name) is None:  # a model that was removed: its table goes
                    self.tables[obj.name] = obj.app
        if problems:
            app, lines = next(iter(sorted(problems.items())))
            raise OwnershipViolation(app, lines, "A table belongs to the app whose migration created it; "
                                     "declare it in that app's models (or give it info={'app': ...}).")

    def table_owner(self, table: str) -> str | None:
        if table in self.pending:
            return self.pending[table]
        return self.owners.owner_of("table", table)

    def owner(self, kind: str, table: str, name: str | None, columns: list[str] | None = None) -> str | None:
        """The app owning an object on ``table``; the table's owner when the map does not know it.

        An object the map knows with no owner (made by no migration) stays without one.
        """
        for candidate in _map_names(kind, table, name, columns):
            found = self.owners.get(candidate[0], candidate[1])
            if found is not None:
                return found.app
        return self.table_owner(table)


def compare(
    connection: "Connection", models: "ProjectModels", apps: list[str], owners: "OwnershipMap", pending: dict[str, str] | None = None
) -> dict[str, AppDiff]:
    """The operations that would make the scratch database match the models of ``apps``.

    ``pending`` names the tables migrations generated in this run created (table -> app), which
    the ownership map, read from the files, does not know yet.
    """
    with warnings.catch_warnings():
        # SQLite's expression indexes cannot be reflected; _add_sqlite_expression_indexes compares them by name
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        return _compare(connection, models, apps, owners, pending)


def _compare(connection: "Connection", models: "ProjectModels", apps: list[str], owners: "OwnershipMap", pending: dict[str, str] | None) -> dict[str, AppDiff]:
    from alembic.autogenerate import produce_migrations
    from alembic.migration import MigrationContext
    from sqlalchemy import inspect

    inspector = inspect(connection)
    existing = set(inspector.get_table_names())
    scope = Scope(models, apps, owners, existing, dict(pending or {}))
    add_referenced_tables(models, connection, existing)
    dialect = connection.dialect.name

    def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
        return type_ != "table" or name in scope.tables

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return name in scope.tables
        if not reflected or compare_to is not None:
            return True
        table = obj.table.name
        app = scope.tables.get(table)
        kind = {"column": "column", "index": "index"}.get(type_, "constraint")
        columns = [c.name for c in getattr(obj, "columns", [])] if type_ != "column" else None
        return app is not None and scope.owner(kind, table, name, columns) == app

    context = MigrationContext.configure(
        connection,
        opts={
            "include_name": include_name,
            "include_object": include_object,
            "compare_type": True,
            "compare_server_default": compare_server_default,
        },
    )
    # Alembic compares a list of MetaData as it compares an env.py's target_metadata list
    script = produce_migrations(context, models.metadata if len(models.metadata) > 1 else models.metadata[0])  # type: ignore[arg-type]
    found = {app: AppDiff(app) for app in apps}
    problems: dict[str, list[str]] = {}
    for op in script.upgrade_ops.ops if script.upgrade_ops is not None else []:
        table = _table_of(op)
        app = scope.tables.get(table)
        if app is None:
            continue
        op = _corrected(op, connection, inspector, dialect, existing, models)
        if op is None:
            continue
        problems.setdefault(app, []).extend(_ownership_problems(op, app, scope))
        found[app].ops.append(op)
    _compare_named_checks(inspector, models, scope, found, existing)
    if dialect == "sqlite":
        _add_sqlite_expression_indexes(connection, models, scope, found, existing)
    for app, lines in sorted(problems.items()):
        if lines:
            raise OwnershipViolation(app, lines, "Change it with a migration of the app that owns it, or leave it out of this app's models.")
    return found


def add_referenced_tables(models: "ProjectModels", connection: "Connection", existing: set[str]) -> None:
    """Reflect the tables foreign keys of the models refer to that no loaded model declares.

    Raises ModelsError for one that neither the models nor the migrations have.
    """
    from sqlalchemy import Table

    if not models.combined:
        return  # every foreign key points inside its own MetaData
    [metadata] = models.metadata
    for table in list(metadata.tables.values()):
        for fk in table.foreign_keys:
            target = fk.target_fullname.split(".")[-2] if fk.target_fullname.count(".") >= 1 else fk.target_fullname
            if target in metadata.tables:
                continue
            app = models.app_of(table.name) or "?"
            if target not in existing:
                raise ModelsError(
                    app, models.specs.get(app, ""),
                    f"the foreign key of {table.name}.{fk.parent.name} refers to table {target!r}, which no "
                    f"migration creates and no models loaded here declare (to add both at once, run "
                    f"makemigrations for both apps together)",
                )
            Table(target, metadata, autoload_with=connection)


def _table_of(op: Any) -> str:
    return getattr(op, "table_name", None) or op.to_table().name


def _foreign_table(table: str, app: str, owner: str | None, owners: "OwnershipMap") -> str:
    if owner is None:
        obj = owners.get("table", table)
        why = "unknown origin" if obj is not None and obj.origin == "unknown" else "it predates the migrations, or another tool made it"
        return f"{app}'s models declare table {table}, which no app's migrations created ({why})"
    creator = owners.get("table", table)
    by = f" ({creator.created_by.label})" if creator is not None and creator.created_by is not None else ""
    return f"{app}'s models declare table {table}, which {owner}'s migrations created{by}"


def _map_names(kind: str, table: str, name: str | None, columns: list[str] | None) -> list[tuple[str, str]]:
    """The names the ownership map may give an object: ``table.name``, or SQLite's descriptions."""
    names = []
    if name:
        names.append((kind, f"{table}.{name}"))
        if kind == "constraint":
            names.append(("index", f"{table}.{name}"))
        if kind == "index":
            names.append(("constraint", f"{table}.{name}"))
    if columns and kind != "column":
        listed = ", ".join(columns)
        names.extend([("constraint", f"{table}.unique ({listed})"), ("constraint", f"{table}.foreign key ({listed})")])
    if kind == "column" and name:
        names = [("column", f"{table}.{name}")]
    return names


def _ownership_problems(op: Any, app: str, scope: Scope) -> list[str]:
    """Changes to an existing column another app (or no app) owns: never this app's to make."""
    from alembic.operations import ops

    found = []
    inner = op.ops if isinstance(op, ops.ModifyTableOps) else []
    for sub in inner:
        if isinstance(sub, ops.AlterColumnOp):
            owner = scope.owner("column", sub.table_name, sub.column_name)
            if owner != app:
                who = f"{owner}'s migrations created it" if owner else "no app's migrations created it"
                found.append(f"{app}'s models change column {sub.table_name}.{sub.column_name}, but {who}")
    return found


def _corrected(op: Any, connection: "Connection", inspector: Any, dialect: str, existing: set[str], models: "ProjectModels") -> Any:
    """Drop what is only reflection missing something (SQLite), keep the rest of the operation.

    What the database is asked is asked only when such an operation is there: Alembic gives one
    for every table with an ``INTEGER PRIMARY KEY`` (500 tables: a second of questions).
    """
    from alembic.operations import ops

    if dialect != "sqlite" or not isinstance(op, ops.ModifyTableOps) or op.table_name not in existing:
        return op
    kept = []
    for sub in op.ops:
        if isinstance(sub, ops.CreateUniqueConstraintOp) and tuple(sub.columns) in _sqlite_autoindexed(inspector, op.table_name):
            continue
        if isinstance(sub, ops.CreateIndexOp) and sub.index_name in _sqlite_index_names(connection, op.table_name):
            continue  # an expression index SQLAlchemy cannot reflect: present by name
        if isinstance(sub, ops.AlterColumnOp) and sub.modify_nullable is False and _is_sqlite_rowid(models, op.table_name, sub):
            sub.modify_nullable = None
            if not sub.has_changes():
                continue
        kept.append(sub)
    if not kept:
        return None
    op.ops = kept
    return op


def _add_sqlite_expression_indexes(connection: "Connection", models: "ProjectModels", scope: Scope, found: dict[str, AppDiff], existing: set[str]) -> None:
    """Expression indexes of the models that SQLite does not have by name (Alembic skips them all).

    SQLAlchemy cannot reflect them from SQLite, so they are compared by name only: a missing one is
    created; one the models no longer declare is not noticed (drop it in a migration by hand).
    """
    from alembic.operations import ops
    from sqlalchemy import Column

    for table_name, app in sorted(scope.tables.items()):
        table = models.table(table_name)
        if table is None or models.app_of(table_name) != app:
            continue
        wanted = [index for index in table.indexes if any(not isinstance(e, Column) for e in index.expressions)]
        if not wanted:
            continue
        present = _sqlite_index_names(connection, table_name) if table_name in existing else set()
        missing = [ops.CreateIndexOp.from_index(index) for index in sorted(wanted, key=lambda i: str(i.name)) if index.name not in present]
        if missing:
            container = next((op for op in found[app].ops if isinstance(op, ops.ModifyTableOps) and op.table_name == table_name), None)
            if container is None:
                container = ops.ModifyTableOps(table_name, [])
                found[app].ops.append(container)
            container.ops.extend(missing)


def _sqlite_autoindexed(inspector: Any, table: str) -> set[tuple[str, ...]]:
    found = set()
    for index in inspector.get_indexes(table, include_auto_indexes=True):
        if (index.get("name") or "").startswith("sqlite_autoindex"):
            found.add(tuple(index.get("column_names") or ()))
    return found


def _sqlite_index_names(connection: "Connection", table: str) -> set[str]:
    from sqlalchemy import text

    rows = connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"), {"t": table})
    return {name for (name,) in rows}


def _is_sqlite_rowid(models: "ProjectModels", table: str, op: Any) -> bool:
    """INTEGER PRIMARY KEY: SQLite reports it nullable, but it never holds NULL (it is the rowid).

    Read from the model (the column is its table's one primary key) and the reflected type, not
    by asking the database again.
    """
    declared = models.table(table)
    if declared is None or [c.name for c in declared.primary_key.columns] != [op.column_name]:
        return False
    return op.existing_type is not None and str(op.existing_type).upper() == "INTEGER"


def _compare_named_checks(inspector: Any, models: "ProjectModels", scope: Scope, found: dict[str, AppDiff], existing: set[str]) -> None:
    """Named CHECK constraints on existing tables, compared by name (Alembic compares none)."""
    from alembic.operations import ops
    from sqlalchemy import CheckConstraint

    for table_name, app in sorted(scope.tables.items()):
        if table_name not in existing:
            continue
        try:
            reflected = inspector.get_check_constraints(table_name)
        except NotImplementedError:
            return
        in_database = {c["name"]: c for c in reflected if c.get("name") and not _implicit_check(c)}
        table = models.table(table_name)
        declared = {}
        if table is not None and models.app_of(table_name) == app:
            declared = {c.name: c for c in table.constraints if isinstance(c, CheckConstraint) and isinstance(c.name, str)}
        added = [ops.CreateCheckConstraintOp.from_constraint(declared[name]) for name in sorted(set(declared) - set(in_database))]
        dropped = []
        for name in sorted(set(in_database) - set(declared)):
            if table is None or scope.owner("constraint", table_name, name) != app:
                continue
            from sqlalchemy import MetaData, Table, text

            shadow = Table(table_name, MetaData())
            constraint = CheckConstraint(text(in_database[name]["sqltext"]), name=name)
            shadow.append_constraint(constraint)
            dropped.append(ops.DropConstraintOp.from_constraint(constraint))
        if added or dropped:
            container = next((op for op in found[app].ops if isinstance(op, ops.ModifyTableOps) and op.table_name == table_name), None)
            if container is None:
                container = ops.ModifyTableOps(table_name, [])
                found[app].ops.append(container)
            container.ops.extend([*dropped, *added])


def _implicit_check(check: dict) -> bool:
    """Checks a database adds by itself: MariaDB's ``json_valid(col)`` for a JSON column."""
    return "json_valid" in (check.get("sqltext") or "").lower()
