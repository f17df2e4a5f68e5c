"""What a statement does, said the same way for every dialect: the facts every lint rule reads.

The parsers (``parse_pg`` for PostgreSQL, ``parse_glot`` for MySQL/MariaDB and SQLite) turn each
statement into a ``ParsedStatement`` holding one ``Action`` per thing it does: ``ALTER TABLE t ADD
COLUMN c int, DROP COLUMN d`` is two actions on ``t``. Rules never see a parser's tree, so a rule
about dropping a column is written once for three databases, and a parser can be replaced
without touching a rule.

Names are compared the way the databases compare unquoted names: lower-cased, without a schema
(``public.orders`` and ``orders`` are one table). Before the rules run, the engine *annotates*
each action with what was true just before it (``Prior``: was the table created earlier in this
file, what was the column's type, which table an index belongs to), from the catalog of earlier
migrations and the statements above it in the same file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Action kinds: what one piece of a statement does.
CREATE_TABLE = "create_table"
DROP_TABLE = "drop_table"
RENAME_TABLE = "rename_table"
ADD_COLUMN = "add_column"
DROP_COLUMN = "drop_column"
RENAME_COLUMN = "rename_column"
ALTER_TYPE = "alter_column_type"  # a column's type (or, on MySQL, its whole definition) changes
SET_NOT_NULL = "set_not_null"
DROP_NOT_NULL = "drop_not_null"
SET_DEFAULT = "set_default"
ADD_CONSTRAINT = "add_constraint"
DROP_CONSTRAINT = "drop_constraint"
VALIDATE_CONSTRAINT = "validate_constraint"
CREATE_INDEX = "create_index"
DROP_INDEX = "drop_index"
REINDEX = "reindex"
REWRITE_TABLE = "rewrite_table"  # VACUUM FULL, CLUSTER, SET TABLESPACE, ENGINE=, FORCE ...
CREATE_VIEW = "create_view"
DROP_VIEW = "drop_view"
REFRESH_VIEW = "refresh_view"
CREATE_ENUM = "create_enum"
ADD_ENUM_VALUE = "add_enum_value"
DOMAIN_CONSTRAINT = "domain_constraint"
DROP_SCHEMA = "drop_schema"
DROP_DATABASE = "drop_database"
TRUNCATE = "truncate"
INSERT = "insert"
UPDATE = "update"
DELETE = "delete"
SET = "set"  # SET name = value, PRAGMA name = value
TRANSACTION = "transaction"  # BEGIN, COMMIT, ROLLBACK inside a migration
LOCK_TABLE = "lock_table"
ALTER_OTHER = "alter_other"  # an ALTER TABLE action no rule needs to tell apart (detail says which)

#: Kinds that change the schema (DDL) and kinds that change rows (DML).
DDL_KINDS = frozenset({
    CREATE_TABLE, DROP_TABLE, RENAME_TABLE, ADD_COLUMN, DROP_COLUMN, RENAME_COLUMN, ALTER_TYPE,
    SET_NOT_NULL, DROP_NOT_NULL, SET_DEFAULT, ADD_CONSTRAINT, DROP_CONSTRAINT, VALIDATE_CONSTRAINT,
    CREATE_INDEX, DROP_INDEX, REINDEX, REWRITE_TABLE, CREATE_VIEW, DROP_VIEW, CREATE_ENUM,
    ADD_ENUM_VALUE, DOMAIN_CONSTRAINT, DROP_SCHEMA, DROP_DATABASE, ALTER_OTHER,
})
DML_KINDS = frozenset({INSERT, UPDATE, DELETE, TRUNCATE})

# Constraint kinds.
PRIMARY_KEY, UNIQUE, FOREIGN_KEY, CHECK, EXCLUDE = "primary_key", "unique", "foreign_key", "check", "exclude"

# Default kinds: how a default is computed, which decides whether adding it rewrites the table.
CONSTANT, STABLE, VOLATILE = "constant", "stable", "volatile"


def norm(name: str | None) -> str | None:
    """A name as the databases compare it: without schema or quotes, lower case."""
    if name is None:
        return None
    last = name.rsplit(".", 1)[-1]
    return last.strip('"`[]').lower()


@dataclass(frozen=True)
class TypeRef:
    """A column type: its canonical name (``integer``, ``varchar``, ``timestamptz``...), its
    arguments (``(100,)`` for ``varchar(100)``; the members of an ``enum``) and how to print it."""

    name: str
    args: tuple = ()
    array: bool = False

    @property
    def text(self) -> str:
        shown = self.name
        if self.args:
            shown += "(" + ", ".join(repr(a) if isinstance(a, str) else str(a) for a in self.args) + ")"
        return shown + ("[]" if self.array else "")


@dataclass
class ColumnDef:
    """A column as a ``CREATE TABLE``, ``ADD COLUMN`` or MySQL ``MODIFY`` defines it."""

    name: str
    type: TypeRef | None = None
    not_null: bool = False
    #: ``NULL`` or ``NOT NULL`` was written (MySQL ``MODIFY`` makes an unsaid one nullable).
    null_given: bool = False
    #: The default's SQL text, and how it is computed (``CONSTANT``, ``STABLE``, ``VOLATILE``).
    default: str | None = None
    default_kind: str | None = None
    primary_key: bool = False
    unique: bool = False
    #: The table a ``REFERENCES`` clause names.
    references: str | None = None
    check: bool = False
    #: ``"stored"``, ``"virtual"`` or ``"identity"`` for generated columns.
    generated: str | None = None
    auto_increment: bool = False
    comment: str | None = None


@dataclass
class Prior:
    """What was true just before an action ran (filled in by the engine, read by rules)."""

    #: The table was created earlier in the same migration file (so it is empty and unseen).
    table_is_new: bool = False
    #: The column as the earlier migrations (and statements) left it; None when unknown.
    column: ColumnDef | None = None
    #: For index actions: the table the index belongs to, and whether that index is new.
    index_table: str | None = None
    index_is_new: bool = False
    #: For ``DROP COLUMN``: the indexes (CREATE INDEX) that use the column.
    indexes: tuple[str, ...] = ()
    #: For ``SET NOT NULL``: a validated ``CHECK (column IS NOT NULL)`` already proves it.
    not_null_proven: bool = False


@dataclass
class Action:
    """One thing a statement does. Which fields mean something depends on ``kind``."""

    kind: str
    table: str | None = None
    column: str | None = None
    #: The index, constraint, view, type, schema or database the action is about.
    name: str | None = None
    new_name: str | None = None
    definition: ColumnDef | None = None
    #: For constraints: ``PRIMARY_KEY``, ``UNIQUE``, ``FOREIGN_KEY``, ``CHECK`` or ``EXCLUDE``.
    constraint: str | None = None
    columns: tuple[str, ...] = ()
    references: str | None = None
    not_valid: bool = False
    using_index: bool = False
    concurrently: bool = False
    unique: bool = False
    cascade: bool = False
    has_where: bool = True
    #: Index method (``fulltext``, ``spatial``, ``gin``...), SET value, enum value, check text.
    value: str | None = None
    #: Free words for messages and for ALTER_OTHER / REWRITE_TABLE (``SET TABLESPACE``...).
    detail: str | None = None
    #: ``USING`` given with a type change.
    using: bool = False
    prior: Prior = field(default_factory=Prior)

    @property
    def existing(self) -> bool:
        """On a table an earlier migration created (or one no migration created): it may hold rows
        and be in use. Only a table created earlier in the same file is new."""
        return not self.prior.table_is_new

    @property
    def target(self) -> str:
        """The object to name in a message: ``table.column``, ``table``, or the action's name."""
        if self.table and self.column:
            return f"{self.table}.{self.column}"
        return self.table or self.name or "?"


@dataclass
class ParsedStatement:
    """One statement of a migration's up script and what it does."""

    text: str
    #: The file line the statement starts on.
    line: int
    actions: list[Action] = field(default_factory=list)
    #: Tables (and views) the statement reads or mentions without changing them.
    reads: set[str] = field(default_factory=set)
    #: Set when the parser could not read the statement: why, in the parser's words.
    error: str | None = None
    #: MySQL ``ALGORITHM=`` / ``LOCK=`` clauses, upper case, when given.
    algorithm: str | None = None
    lock: str | None = None
    #: String literals the statement uses (for "a new enum value used in the same transaction").
    literals: frozenset[str] = frozenset()

    @property
    def is_ddl(self) -> bool:
        return any(action.kind in DDL_KINDS for action in self.actions)

    @property
    def is_dml(self) -> bool:
        return any(action.kind in DML_KINDS for action in self.actions)

    @property
    def writes(self) -> set[str]:
        return {a.table for a in self.actions if a.kind in DML_KINDS and a.table}


def on_table(table: str | None, actions: list[Action], detail: str | None = None) -> list[Action]:
    """``actions`` (parsed without knowing their table) set on ``table``, marked ``detail``."""
    for action in actions:
        action.table = table
        if detail:
            action.detail = detail
    return actions


def mark_table_keys(actions: list[Action]) -> None:
    """Table-level ``PRIMARY KEY (a)`` / ``UNIQUE (a)`` of a CREATE TABLE, marked on its columns."""
    columns = {a.column: a.definition for a in actions if a.kind == ADD_COLUMN and a.definition}
    for action in actions:
        if action.kind == ADD_CONSTRAINT and action.constraint in (PRIMARY_KEY, UNIQUE):
            for name in action.columns:
                column = columns.get(name)
                if column is not None and action.constraint == PRIMARY_KEY:
                    column.primary_key = column.not_null = True
                elif column is not None and len(action.columns) == 1:
                    column.unique = True
