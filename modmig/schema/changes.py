"""Plan: what an app's Alembic operations mean, in which order they run, and what they need first.

``autogenerate`` says *what* differs; this module decides what a person and the migration file
need to know about it, without rendering anything:

* ``describe``: one readable line per change (``add column blog_post.tags VARCHAR(50)``), for
  ``--check``, ``--dry-run`` and JSON;
* ``ordered``: statements in an order where each runs after what it needs: constraints and
  indexes that go away first, then new tables (a table before the tables whose foreign keys
  point at it), new and altered columns, new indexes and constraints, dropped columns, dropped
  tables (those pointed at last). Alembic's own order is per table, in set order;
* ``destructive``: drops of tables and columns, and types that narrow (``VARCHAR(200)`` to
  ``VARCHAR(100)``, ``BIGINT`` to ``INTEGER``, text to a number): they need a confirmation;
* ``rename_candidates`` / ``apply_renames``: a column dropped and one of the same type added in
  the same table may be a rename; it becomes one ``ALTER ... RENAME`` only when the user says so;
* ``dependencies`` (in ``change_dependencies``): ``-- modmig: depends other:NNNN`` for every
  foreign key to another app's table or column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from ..errors import UsageError

@dataclass(frozen=True)
class Change:
    """One change to the schema, as a person reads it."""

    action: str  # "create table", "drop table", "add column", "drop column", "alter column", "rename column",
    # "create index", "drop index", "add constraint", "drop constraint"
    table: str
    name: str | None
    detail: str = ""
    destructive: bool = False

    def __str__(self) -> str:
        what = self.table if self.name is None or self.action.endswith("table") else (
            f"{self.table}.{self.name}" if self.action.endswith("column") else f"{self.name} on {self.table}"
        )
        return f"{self.action} {what}" + (f": {self.detail}" if self.detail else "")

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "table": self.table, "name": self.name, "detail": self.detail, "destructive": self.destructive, "text": str(self)}


@dataclass(frozen=True)
class Requirement:
    """A dependency of a generated migration on another app's version, and why."""

    app: str
    version: int
    reason: str

    def __str__(self) -> str:
        return f"{self.app}:{self.version:04d}"


# -- describing -----------------------------------------------------------------------------------


def describe(ops: Iterable[Any], dialect: Any = None) -> list[Change]:
    """One ``Change`` per operation, nested table operations included, in the given order."""
    from alembic.operations import ops as alembic

    found: list[Change] = []
    for op in ops:
        if isinstance(op, alembic.ModifyTableOps):
            found.extend(describe(op.ops, dialect))
        elif isinstance(op, alembic.CreateTableOp):
            found.append(Change("create table", op.table_name, None, f"{len(op.to_table().columns)} column(s)"))
        elif isinstance(op, alembic.DropTableOp):
            found.append(Change("drop table", op.table_name, None, "its rows are lost", destructive=True))
        elif isinstance(op, alembic.AddColumnOp):
            column = op.column
            found.append(Change("add column", op.table_name, column.name, _column_text(column, dialect)))
        elif isinstance(op, alembic.DropColumnOp):
            found.append(Change("drop column", op.table_name, op.column_name, "its values are lost", destructive=True))
        elif isinstance(op, alembic.AlterColumnOp):
            found.append(_alter(op, dialect))
        elif isinstance(op, alembic.CreateIndexOp):
            columns = ", ".join(str(c) for c in op.columns)
            found.append(Change("create index", str(op.table_name), _name(op.index_name), f"{'unique ' if op.unique else ''}({columns})"))
        elif isinstance(op, alembic.DropIndexOp):
            found.append(Change("drop index", str(op.table_name), _name(op.index_name)))
        elif isinstance(op, alembic.AddConstraintOp):
            constraint = op.to_constraint()
            table = getattr(op, "table_name", None) or getattr(op, "source_table")
            found.append(Change("add constraint", table, _name(constraint.name), _constraint_text(constraint)))
        elif isinstance(op, alembic.DropConstraintOp):
            found.append(Change("drop constraint", op.table_name, _name(op.constraint_name), op.constraint_type or ""))
        else:
            found.append(Change(type(op).__name__, getattr(op, "table_name", "?"), None))
    return found


def _name(name: Any) -> str | None:
    """A constraint's or index's name as text; None when it has none (SQLAlchemy's ``_NoneName``)."""
    return str(name) if isinstance(name, str) and name else None


def _column_text(column: Any, dialect: Any) -> str:
    text = _type_text(column.type, dialect)
    if not column.nullable:
        text += " NOT NULL"
    if column.server_default is not None:
        text += " DEFAULT " + _default_text(column.server_default)
    return text


def _type_text(type_: Any, dialect: Any) -> str:
    try:
        return str(type_.compile(dialect=dialect)) if dialect is not None else str(type_)
    except Exception:  # noqa: BLE001 (a type this dialect cannot compile is still worth naming)
        return repr(type_)


def _default_text(default: Any) -> str:
    arg = getattr(default, "arg", default)
    if isinstance(arg, str):
        return repr(arg)
    return str(getattr(arg, "text", arg))


def _comparable_default(default: Any) -> str | None:
    from .defaults import normal_default

    if default is None:
        return None
    arg = getattr(default, "arg", default)
    return normal_default("'" + arg.replace("'", "''") + "'" if isinstance(arg, str) else str(getattr(arg, "text", arg)))


def _alter(op: Any, dialect: Any) -> Change:
    parts = []
    destructive = False
    if op.modify_name is not None:
        return Change("rename column", op.table_name, op.column_name, f"to {op.modify_name}")
    if op.modify_type is not None:
        parts.append(f"type {_type_text(op.existing_type, dialect)} -> {_type_text(op.modify_type, dialect)}")
        destructive = narrows(op.existing_type, op.modify_type)
    if op.modify_nullable is not None:
        parts.append("NOT NULL" if not op.modify_nullable else "NULL allowed")
    if op.modify_server_default is not False:
        parts.append("no default" if op.modify_server_default is None else f"default {_default_text(op.modify_server_default)}")
    if op.modify_comment is not False:
        parts.append("comment")
    return Change("alter column", op.table_name, op.column_name, ", ".join(parts), destructive=destructive)


def _constraint_text(constraint: Any) -> str:
    from sqlalchemy import CheckConstraint, ForeignKeyConstraint, UniqueConstraint

    if isinstance(constraint, ForeignKeyConstraint):
        return f"foreign key ({', '.join(constraint.column_keys)}) -> {constraint.elements[0].target_fullname.rsplit('.', 1)[0]}"
    if isinstance(constraint, UniqueConstraint):
        return f"unique ({', '.join(c.name for c in constraint.columns)})"
    if isinstance(constraint, CheckConstraint):
        return f"check ({constraint.sqltext})"
    return type(constraint).__name__


# -- narrowing ------------------------------------------------------------------------------------

_INTEGER_RANK = {"SmallInteger": 1, "Integer": 2, "BigInteger": 3}


def narrows(old: Any, new: Any) -> bool:
    """True when values of type ``old`` may not fit ``new``: shorter text, smaller numbers, another kind."""
    from sqlalchemy import types

    if old is None or new is None:
        return False
    if isinstance(old, types.Enum) and isinstance(new, types.Enum):
        return not set(old.enums) <= set(new.enums)
    if isinstance(old, types.Enum) and isinstance(new, types.String):
        return new.length is not None and new.length < max((len(v) for v in old.enums), default=0)
    if isinstance(old, types.String) and isinstance(new, types.String) and not isinstance(new, types.Enum):
        if new.length is None:
            return False
        return old.length is None or new.length < old.length
    if isinstance(old, types.Boolean) and isinstance(new, (types.Integer, types.Boolean)):
        return False
    if isinstance(old, types.Integer) and isinstance(new, types.Integer):
        return _integer_rank(new) < _integer_rank(old)
    if isinstance(old, types.Integer) and isinstance(new, types.Numeric) and not isinstance(new, types.Float):
        return new.precision is not None and new.precision - (new.scale or 0) < (19 if _integer_rank(old) == 3 else 10)
    if isinstance(old, types.Float) and isinstance(new, types.Float):
        return (new.precision or 53) < (old.precision or 53)
    if isinstance(old, types.Numeric) and not isinstance(old, types.Float) and isinstance(new, types.Numeric):
        if isinstance(new, types.Float):
            return True
        if new.precision is None:
            return False
        return old.precision is None or new.precision < old.precision or (new.scale or 0) < (old.scale or 0)
    if isinstance(old, types.Date) and isinstance(new, types.DateTime):
        return False
    if isinstance(old, types.DateTime) and isinstance(new, types.DateTime):
        return bool(old.timezone) != bool(new.timezone)
    return old._type_affinity is not new._type_affinity


def _integer_rank(type_: Any) -> int:
    for cls in type(type_).__mro__:
        if cls.__name__ in _INTEGER_RANK:
            return _INTEGER_RANK[cls.__name__]
        if cls.__name__.upper() in ("BIGINT",):
            return 3
        if cls.__name__.upper() in ("SMALLINT", "TINYINT"):
            return 1
    return 2


def destructive(ops: Iterable[Any], dialect: Any = None) -> list[Change]:
    return [change for change in describe(ops, dialect) if change.destructive]


# -- renames --------------------------------------------------------------------------------------


def rename_candidates(ops: Iterable[Any], dialect: Any) -> list[tuple[str, str, str]]:
    """``(table, old, new)`` for each column dropped and one of the same type added in its table."""
    from alembic.operations import ops as alembic

    dropped: dict[str, list[Any]] = {}
    added: dict[str, list[Any]] = {}
    for op in ops:
        if isinstance(op, alembic.ModifyTableOps):  # one table's changes may be split by phase
            dropped.setdefault(op.table_name, []).extend(sub for sub in op.ops if isinstance(sub, alembic.DropColumnOp))
            added.setdefault(op.table_name, []).extend(sub for sub in op.ops if isinstance(sub, alembic.AddColumnOp))
    found = []
    for table in sorted(dropped):
        for drop in dropped[table]:
            old_type = _type_text(drop.to_column().type, dialect)
            for add in added.get(table, []):
                if _type_text(add.column.type, dialect) == old_type:
                    found.append((table, drop.column_name, add.column.name))
    return found


def apply_renames(ops: list[Any], renames: dict[tuple[str, str], str], dialect: Any) -> list[Any]:
    """Replace each chosen drop + add pair by one column rename (with any nullability or default change).

    ``renames`` maps ``(table, old)`` to ``new``; one that is not a candidate is a UsageError.
    """
    from alembic.operations import ops as alembic

    candidates = {(table, old): new for table, old, new in rename_candidates(ops, dialect)}
    for (table, old), new in renames.items():
        if candidates.get((table, old)) != new and (table, old, new) not in rename_candidates(ops, dialect):
            listed = ", ".join(f"{t}.{o}:{n}" for (t, o), n in sorted(candidates.items())) or "none"
            raise UsageError(
                f"--rename {table}.{old}:{new}: the models do not drop {table}.{old} and add {new} of the same "
                f"type. Likely renames here: {listed}."
            )
    for op in ops:
        if not isinstance(op, alembic.ModifyTableOps):
            continue
        chosen = {old: new for (table, old), new in renames.items() if table == op.table_name}
        if not chosen:
            continue
        drops = {sub.column_name: sub for sub in op.ops if isinstance(sub, alembic.DropColumnOp)}
        adds = {sub.column.name: sub for sub in op.ops if isinstance(sub, alembic.AddColumnOp)}
        kept = [sub for sub in op.ops if not (
            (isinstance(sub, alembic.DropColumnOp) and sub.column_name in chosen)
            or (isinstance(sub, alembic.AddColumnOp) and sub.column.name in chosen.values())
        )]
        for old, new in sorted(chosen.items()):
            was, will = drops[old].to_column(), adds[new].column
            rename = alembic.AlterColumnOp(
                op.table_name, old, modify_name=new, existing_type=was.type, existing_nullable=was.nullable,
                existing_server_default=was.server_default,
            )
            if was.nullable != will.nullable:
                rename.modify_nullable = will.nullable
            if _comparable_default(was.server_default) != _comparable_default(will.server_default):
                rename.modify_server_default = will.server_default
            kept.insert(0, rename)
        op.ops = kept
    return ops


# -- ordering -------------------------------------------------------------------------------------

_RELEASE, _CREATE, _ALTER, _CONSTRAIN, _DROP_COLUMNS, _DROP_TABLES = range(6)


def ordered(ops: list[Any], dialect_name: str) -> list[Any]:
    """The operations in an order where each statement runs after what it needs (module docstring).

    On SQLite every change to one existing table stays in one ``ModifyTableOps`` (one rebuild).
    """
    from alembic.operations import ops as alembic

    phases: dict[int, list[Any]] = {phase: [] for phase in range(6)}
    created = [op for op in ops if isinstance(op, alembic.CreateTableOp)]
    dropped = [op for op in ops if isinstance(op, alembic.DropTableOp)]
    phases[_CREATE] = _by_references(created, lambda op: op.to_table())
    phases[_DROP_TABLES] = list(reversed(_by_references(dropped, lambda op: op.to_table())))
    for op in ops:
        if not isinstance(op, alembic.ModifyTableOps):
            continue
        if dialect_name == "sqlite":
            phases[_ALTER].append(op)
            continue
        split: dict[int, list[Any]] = {}
        for sub in op.ops:
            split.setdefault(_phase(sub), []).append(sub)
        for phase, subs in split.items():
            phases[phase].append(alembic.ModifyTableOps(op.table_name, subs, schema=op.schema))
    return [op for phase in range(6) for op in phases[phase]]


def _phase(op: Any) -> int:
    from alembic.operations import ops as alembic

    if isinstance(op, (alembic.DropConstraintOp, alembic.DropIndexOp)):
        return _RELEASE
    if isinstance(op, (alembic.CreateIndexOp, alembic.AddConstraintOp)):
        return _CONSTRAIN
    if isinstance(op, alembic.DropColumnOp):
        return _DROP_COLUMNS
    return _ALTER


def _by_references(items: list[Any], table_of) -> list[Any]:
    """Tables before the tables whose foreign keys refer to them (depth first, names for ties)."""
    tables = {table_of(item).name: (item, table_of(item)) for item in items}
    done: list[Any] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name in path:
            return
        item, table = tables[name]
        for fk in sorted(table.foreign_keys, key=lambda f: f.target_fullname):
            target = fk.target_fullname.rsplit(".", 1)[0]
            if target in tables and target != name:
                visit(target, (*path, name))
        seen.add(name)
        done.append(item)

    for name in sorted(tables):
        visit(name, ())
    return done
