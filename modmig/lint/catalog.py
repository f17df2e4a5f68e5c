"""The shape the earlier migrations left: tables, their columns and types, indexes, constraints.

Some rules need to know what was there before a statement: whether ``ALTER COLUMN ... TYPE text``
rewrites depends on the old type, whether a MySQL ``MODIFY`` reorders an ENUM on its old members,
whether SQLite can drop a column depends on its indexes. The catalog is that memory, built by
applying the actions of every earlier migration, in graph order, one after the other.

It is a model of the *files*, not of a database (the lint opens none), and only of what the rules
ask about. Which app owns an object is not its business: that is the ownership map's
(``modmig.schema.ownership``). Unknown things (a table created outside the migrations, a
statement no parser read) are simply absent, and rules treat absent as "not known", never as
"safe".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from . import facts as F
from .facts import Action, ColumnDef


@dataclass
class IndexInfo:
    table: str | None
    columns: tuple[str, ...] = ()
    unique: bool = False


@dataclass
class ConstraintInfo:
    kind: str | None
    columns: tuple[str, ...] = ()
    #: For ``CHECK (col IS NOT NULL)``: the column it proves not null.
    not_null_of: str | None = None
    validated: bool = True


@dataclass
class TableInfo:
    columns: dict[str, ColumnDef] = field(default_factory=dict)
    constraints: dict[str, ConstraintInfo] = field(default_factory=dict)


class Catalog:
    """Apply actions in order with ``apply``; ask with ``column``, ``index``, ``enum_values``..."""

    def __init__(self) -> None:
        self.tables: dict[str, TableInfo] = {}
        self.indexes: dict[str, IndexInfo] = {}
        self.enums: dict[str, tuple[str, ...]] = {}

    # -- questions --------------------------------------------------------------------------------

    def column(self, table: str | None, column: str | None) -> ColumnDef | None:
        info = self.tables.get(table or "")
        return info.columns.get(column or "") if info else None

    def index(self, name: str | None) -> IndexInfo | None:
        return self.indexes.get(name or "")

    def indexes_on(self, table: str | None, column: str | None) -> list[str]:
        return sorted(n for n, i in self.indexes.items() if i.table == table and column in i.columns)

    def not_null_proven(self, table: str | None, column: str | None) -> bool:
        """A validated ``CHECK (column IS NOT NULL)`` exists, so SET NOT NULL needs no scan."""
        info = self.tables.get(table or "")
        return bool(info) and any(c.not_null_of == column and c.validated for c in info.constraints.values())

    def constraint(self, table: str | None, name: str | None) -> ConstraintInfo | None:
        info = self.tables.get(table or "")
        return info.constraints.get(name or "") if info else None

    # -- changes ----------------------------------------------------------------------------------

    def apply(self, action: Action) -> None:
        handler = _APPLY.get(action.kind)
        if handler is not None:
            handler(self, action)

    def _table(self, name: str | None) -> TableInfo:
        return self.tables.setdefault(name or "", TableInfo())

    def _create_table(self, action: Action) -> None:
        self.tables[action.table or ""] = TableInfo()
        self._drop_indexes_of(action.table)

    def _drop_table(self, action: Action) -> None:
        self.tables.pop(action.table or "", None)
        self._drop_indexes_of(action.table)

    def _drop_indexes_of(self, table: str | None) -> None:
        for name in [n for n, i in self.indexes.items() if i.table == table]:
            del self.indexes[name]

    def _rename_table(self, action: Action) -> None:
        info = self.tables.pop(action.table or "", None)
        if info is not None and action.new_name:
            self.tables[action.new_name] = info
        for index in self.indexes.values():
            if index.table == action.table:
                index.table = action.new_name

    def _add_column(self, action: Action) -> None:
        if action.definition is not None:
            self._table(action.table).columns[action.definition.name] = replace(action.definition)

    def _drop_column(self, action: Action) -> None:
        self._table(action.table).columns.pop(action.column or "", None)
        for name in [n for n, i in self.indexes.items() if i.table == action.table and action.column in i.columns]:
            del self.indexes[name]

    def _rename_column(self, action: Action) -> None:
        columns = self._table(action.table).columns
        column = columns.pop(action.column or "", None)
        if column is not None and action.new_name:
            columns[action.new_name] = replace(column, name=action.new_name)
        for index in self.indexes.values():
            if index.table == action.table:
                index.columns = tuple(action.new_name if c == action.column else c for c in index.columns)

    def _alter_type(self, action: Action) -> None:
        columns = self._table(action.table).columns
        new = action.definition
        if new is None:
            return
        if action.detail == "modify":  # MySQL MODIFY/CHANGE restates the whole column
            columns[new.name] = replace(new)
        elif action.column in columns:
            columns[action.column] = replace(columns[action.column], type=new.type)

    def _nullability(self, action: Action) -> None:
        column = self.column(action.table, action.column)
        if column is not None:
            column.not_null = action.kind == F.SET_NOT_NULL

    def _add_constraint(self, action: Action) -> None:
        info = self._table(action.table)
        name = action.name or f"{action.constraint}:{','.join(action.columns)}"
        info.constraints[name] = ConstraintInfo(action.constraint, action.columns, action.value, not action.not_valid)
        if action.constraint == F.PRIMARY_KEY:
            for column in action.columns:
                if column in info.columns:
                    info.columns[column].primary_key = info.columns[column].not_null = True

    def _validate(self, action: Action) -> None:
        constraint = self.constraint(action.table, action.name)
        if constraint is not None:
            constraint.validated = True

    def _drop_constraint(self, action: Action) -> None:
        info = self._table(action.table)
        if action.constraint == F.PRIMARY_KEY:
            for name in [n for n, c in info.constraints.items() if c.kind == F.PRIMARY_KEY]:
                del info.constraints[name]
            return
        info.constraints.pop(action.name or "", None)
        self.indexes.pop(action.name or "", None)

    def _create_index(self, action: Action) -> None:
        self.indexes[action.name or f"{action.table}:{','.join(action.columns)}"] = IndexInfo(action.table, action.columns, action.unique)

    def _drop_index(self, action: Action) -> None:
        self.indexes.pop(action.name or "", None)

    def _create_enum(self, action: Action) -> None:
        self.enums[action.name or ""] = action.columns

    def _add_enum_value(self, action: Action) -> None:
        self.enums[action.name or ""] = (*self.enums.get(action.name or "", ()), action.value or "")


_APPLY = {
    F.CREATE_TABLE: Catalog._create_table,
    F.DROP_TABLE: Catalog._drop_table,
    F.RENAME_TABLE: Catalog._rename_table,
    F.ADD_COLUMN: Catalog._add_column,
    F.DROP_COLUMN: Catalog._drop_column,
    F.RENAME_COLUMN: Catalog._rename_column,
    F.ALTER_TYPE: Catalog._alter_type,
    F.SET_NOT_NULL: Catalog._nullability,
    F.DROP_NOT_NULL: Catalog._nullability,
    F.ADD_CONSTRAINT: Catalog._add_constraint,
    F.VALIDATE_CONSTRAINT: Catalog._validate,
    F.DROP_CONSTRAINT: Catalog._drop_constraint,
    F.CREATE_INDEX: Catalog._create_index,
    F.DROP_INDEX: Catalog._drop_index,
    F.CREATE_ENUM: Catalog._create_enum,
    F.ADD_ENUM_VALUE: Catalog._add_enum_value,
}
