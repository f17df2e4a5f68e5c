"""SQLite: ALTER TABLE forms SQLite refuses, and the table rebuild they need instead.

SQLite's ``ALTER TABLE`` can rename a table, rename a column, add a column (with restrictions)
and drop a column (3.35+, with restrictions). Everything else is done by rebuilding the table:
create the new shape under a new name, copy the rows, drop the old table, rename the new one,
recreate its indexes, triggers and views (https://www.sqlite.org/lang_altertable.html, "Making
Other Kinds Of Table Schema Changes"). These rules catch the forms that fail at run time.
"""

from __future__ import annotations

from .. import facts as F
from ..rule import ERROR, SQ, WARNING, rule

ITEMS = """
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        sku TEXT NOT NULL,
        price INTEGER
    );
    CREATE INDEX items_sku ON items (sku);
"""
REBUILD = """
    CREATE TABLE items_new (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, price INTEGER NOT NULL DEFAULT 0);
    INSERT INTO items_new (id, sku, price) SELECT id, sku, COALESCE(price, 0) FROM items;
    DROP TABLE items;
    ALTER TABLE items_new RENAME TO items;
    CREATE INDEX items_sku ON items (sku);
"""
#: What SQLite's ALTER TABLE cannot do at all.
_UNSUPPORTED = {
    F.ALTER_TYPE: "change a column's type", F.SET_NOT_NULL: "add NOT NULL to a column",
    F.DROP_NOT_NULL: "drop NOT NULL from a column", F.SET_DEFAULT: "change a column's default",
    F.ADD_CONSTRAINT: "add a constraint", F.DROP_CONSTRAINT: "drop a constraint", F.ALTER_OTHER: "do that",
}


def _added_columns(ctx):
    for statement, action in ctx.actions(F.ADD_COLUMN):
        if action.detail != "create" and action.definition is not None:
            yield statement, action, action.definition


@rule(
    "SQ101", "add-column-not-null-fails", ERROR, SQ,
    title="ADD COLUMN ... NOT NULL without a default",
    why="""
        SQLite refuses it (`Cannot add a NOT NULL column with default value NULL`) as soon as the
        table has a row: the migration passes on an empty development database and fails on
        every database that holds data.
    """,
    fix="Give the column a constant default, or add it nullable; or rebuild the table with the new column.",
    setup=ITEMS,
    bad="ALTER TABLE items ADD COLUMN stock INTEGER NOT NULL;\n",
    safe="ALTER TABLE items ADD COLUMN stock INTEGER NOT NULL DEFAULT 0;\n",
)
def add_column_not_null(ctx):
    for statement, action, column in _added_columns(ctx):
        if column.not_null and column.default in (None, "NULL") and column.generated is None:
            yield ctx.hit(statement, action.target, f"SQLite refuses ADD COLUMN {action.target} NOT NULL without a "
                          f"default once {action.table} has a row")


@rule(
    "SQ102", "alter-needs-rebuild", ERROR, SQ,
    title="An ALTER TABLE SQLite does not support",
    why="""
        SQLite cannot change a column's type, nullability or default, or add or drop a constraint,
        with `ALTER TABLE`: the statement is a syntax error there, so the migration fails.
    """,
    fix="Rebuild the table: create the new shape, copy the rows, drop the old table, rename, recreate its indexes.",
    setup=ITEMS,
    bad="ALTER TABLE items ALTER COLUMN price SET NOT NULL;\n",
    safe=REBUILD,
)
def alter_needs_rebuild(ctx):
    for statement, action in ctx.actions(*_UNSUPPORTED):
        if action.detail in ("create", "column") or not action.table:
            continue
        yield ctx.hit(statement, action.target, f"SQLite's ALTER TABLE cannot {_UNSUPPORTED[action.kind]} "
                      f"({action.target}): rebuild the table instead")


@rule(
    "SQ103", "add-column-non-constant-default", ERROR, SQ,
    title="ADD COLUMN with a non-constant default",
    why="""
        SQLite refuses `ADD COLUMN` with a default of `CURRENT_TIMESTAMP`, `CURRENT_DATE`,
        `CURRENT_TIME` or any expression in parentheses (`Cannot add a column with non-constant
        default`) as soon as the table has a row, because it would have to compute the value for
        every existing row: it passes on an empty development database and fails on real ones.
    """,
    fix="Add the column with a constant default (or none) and backfill with an UPDATE; or rebuild the table.",
    setup=ITEMS,
    bad="ALTER TABLE items ADD COLUMN added_at TEXT DEFAULT CURRENT_TIMESTAMP;\n",
    safe="ALTER TABLE items ADD COLUMN added_at TEXT;\n",
)
def add_column_non_constant_default(ctx):
    for statement, action, column in _added_columns(ctx):
        if column.default is not None and column.default_kind != F.CONSTANT:
            yield ctx.hit(statement, action.target, f"SQLite refuses ADD COLUMN {action.target} with the non-constant "
                          f"default {column.default} once {action.table} has a row")


@rule(
    "SQ104", "add-column-unique-or-primary-key", ERROR, SQ,
    title="ADD COLUMN ... UNIQUE or PRIMARY KEY",
    why="SQLite refuses both (`Cannot add a UNIQUE column`, `Cannot add a PRIMARY KEY column`).",
    fix="Add the column plainly, then `CREATE UNIQUE INDEX` on it; a new primary key needs a table rebuild.",
    setup=ITEMS,
    bad="ALTER TABLE items ADD COLUMN barcode TEXT UNIQUE;\n",
    safe="ALTER TABLE items ADD COLUMN barcode TEXT;\nCREATE UNIQUE INDEX items_barcode ON items (barcode);\n",
)
def add_column_unique_or_primary_key(ctx):
    for statement, action, column in _added_columns(ctx):
        if column.unique or column.primary_key:
            what = "PRIMARY KEY" if column.primary_key else "UNIQUE"
            yield ctx.hit(statement, action.target, f"SQLite refuses ADD COLUMN {action.target} {what}")


@rule(
    "SQ105", "drop-column-in-use", ERROR, SQ,
    title="DROP COLUMN of an indexed, key or referenced column",
    why="""
        SQLite drops a column only if nothing depends on it: it refuses when the column is in an
        index, is (part of) the primary key, has a UNIQUE constraint, or is used by a foreign key.
    """,
    fix="Drop the index first (`DROP INDEX`), or rebuild the table without the column.",
    setup=ITEMS,
    bad="ALTER TABLE items DROP COLUMN sku;\n",
    safe="DROP INDEX items_sku;\nALTER TABLE items DROP COLUMN sku;\n",
)
def drop_column_in_use(ctx):
    for statement, action in ctx.actions(F.DROP_COLUMN):
        column, indexes = action.prior.column, action.prior.indexes
        if indexes:
            why = f"it is used by index {', '.join(indexes)}"
        elif column is not None and (column.primary_key or column.unique or column.references):
            why = "it is a primary key" if column.primary_key else "it is UNIQUE" if column.unique else "it has a foreign key"
        else:
            continue
        yield ctx.hit(statement, action.target, f"SQLite refuses to drop {action.target}: {why}")


@rule(
    "SQ106", "pragma-foreign-keys-in-transaction", ERROR, SQ,
    title="PRAGMA foreign_keys inside a transaction",
    why="""
        `PRAGMA foreign_keys` is a no-op inside a transaction, and modmig runs each migration in
        one. The usual table rebuild switches foreign keys off so that `DROP TABLE` does not
        cascade or fail; here it silently stays on, and dropping the old table deletes (ON DELETE
        CASCADE) or blocks on the rows that reference it.
    """,
    fix="""
        Put the rebuild in a migration with `-- modmig: transaction off` (then the pragma works,
        and `PRAGMA foreign_key_check` afterwards proves nothing broke), or rebuild without
        dropping a referenced table.
    """,
    setup=ITEMS,
    bad="PRAGMA foreign_keys = OFF;\n" + REBUILD.lstrip("\n"),
    safe="-- modmig: transaction off\nPRAGMA foreign_keys = OFF;\n" + REBUILD.lstrip("\n"),
)
def pragma_foreign_keys_in_transaction(ctx):
    if not ctx.migration.transaction:
        return
    for statement, action in ctx.actions(F.SET):
        if action.name == "foreign_keys":
            yield ctx.hit(statement, "foreign_keys", "PRAGMA foreign_keys has no effect inside the migration's "
                          "transaction: add '-- modmig: transaction off'")


@rule(
    "SQ107", "add-column-references-with-default", WARNING, SQ,
    title="ADD COLUMN ... REFERENCES with a non-NULL default",
    why="""
        Every existing row gets the default, a reference to a row nobody checked exists. With
        foreign keys enabled (as most applications connect), SQLite refuses the statement
        (`Cannot add a REFERENCES column with non-NULL default value`); modmig's own connection
        leaves them off, so the migration passes and the unchecked references stay.
    """,
    fix="Add the column without a default (NULL), then fill it with an UPDATE that the foreign key checks.",
    setup=ITEMS + "CREATE TABLE suppliers (id INTEGER PRIMARY KEY, name TEXT);\n",
    bad="ALTER TABLE items ADD COLUMN supplier_id INTEGER DEFAULT 1 REFERENCES suppliers (id);\n",
    safe="ALTER TABLE items ADD COLUMN supplier_id INTEGER REFERENCES suppliers (id);\n",
)
def add_column_references_with_default(ctx):
    for statement, action, column in _added_columns(ctx):
        if column.references and column.default not in (None, "NULL"):
            yield ctx.hit(statement, action.target, f"SQLite (with foreign keys on) refuses ADD COLUMN {action.target} "
                          f"REFERENCES {column.references} with the default {column.default}")
