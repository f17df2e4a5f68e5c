"""PostgreSQL: statements that rewrite the whole table under an ACCESS EXCLUSIVE lock, or fail."""

from __future__ import annotations

from .. import facts as F
from ..facts import TypeRef
from ..rule import ERROR, PG, rule
from .pg_indexes import ORDERS


@rule(
    "PG121", "add-column-not-null", ERROR, PG,
    title="Adding a NOT NULL column without a default to an existing table",
    why="""
        Existing rows would have NULL in the new column, so PostgreSQL refuses the `ALTER` as soon
        as the table has one row: the migration passes on an empty development database and fails
        in production. Code that does not know the column yet cannot insert rows either.
    """,
    fix="""
        Give it a default (a constant default is instant since PostgreSQL 11: no rewrite), or add
        it nullable, backfill in batches, then make it NOT NULL (see PG113).
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders ADD COLUMN status text NOT NULL;\n",
    safe="ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'new';\n",
)
def add_column_not_null(ctx):
    for statement, action in ctx.actions(F.ADD_COLUMN):
        column = action.definition
        if (action.existing and action.detail != "create" and column and column.not_null and column.default is None
                and column.generated is None):
            yield ctx.hit(statement, action.target, f"NOT NULL column {action.target} has no default: the ALTER fails "
                          f"as soon as {action.table} has a row")


@rule(
    "PG122", "add-column-volatile-default", ERROR, PG,
    title="Adding a column with a volatile default (or serial, or identity) to an existing table",
    why="""
        Since PostgreSQL 11 a column added with a constant or stable default (`0`, `'new'`,
        `now()`) is instant: the value is stored once in the catalog. A volatile default
        (`gen_random_uuid()`, `clock_timestamp()`, `random()`, a sequence's `nextval` behind
        `serial` or an identity column, any function not known to be stable) must be computed
        per row, so the whole table is rewritten under an ACCESS EXCLUSIVE lock.
    """,
    fix="""
        Add the column without the default (or with a constant one), set the volatile default
        with `ALTER COLUMN ... SET DEFAULT` (it applies to new rows only), and backfill existing
        rows in batches.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();\n",
    safe="ALTER TABLE orders ADD COLUMN public_id uuid;\nALTER TABLE orders ALTER COLUMN public_id SET DEFAULT gen_random_uuid();\n",
)
def add_column_volatile_default(ctx):
    for statement, action in ctx.actions(F.ADD_COLUMN):
        column = action.definition
        if not (action.existing and action.detail != "create" and column):
            continue
        if column.default_kind == F.VOLATILE or column.generated == "identity":
            if column.generated == "identity":
                why = "an identity column (a sequence value per row)"
            elif column.default == "nextval" and column.type is not None:
                why = f"type {column.type.text} (a sequence value per row)"
            else:
                why = "a volatile default (computed per row)"
            yield ctx.hit(statement, action.target, f"adding {action.target} with {why} rewrites {action.table} under an "
                          f"ACCESS EXCLUSIVE lock; add it without the default and backfill")


@rule(
    "PG123", "add-column-generated-stored", ERROR, PG,
    title="Adding a stored generated column to an existing table",
    why="""
        A `GENERATED ALWAYS AS (...) STORED` column is computed and written for every existing
        row when it is added: a full table rewrite under an ACCESS EXCLUSIVE lock.
    """,
    fix="""
        Add an ordinary nullable column, fill it with a trigger for new rows and a batched backfill
        for old ones; or compute the value in a view or in queries.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders ADD COLUMN email_domain text GENERATED ALWAYS AS (split_part(email, '@', 2)) STORED;\n",
    safe="ALTER TABLE orders ADD COLUMN email_domain text;\n",
)
def add_column_generated_stored(ctx):
    for statement, action in ctx.actions(F.ADD_COLUMN):
        column = action.definition
        if action.existing and action.detail != "create" and column and column.generated == "stored":
            yield ctx.hit(statement, action.target, f"stored generated column {action.target} is computed for every row: "
                          f"{action.table} is rewritten under an ACCESS EXCLUSIVE lock")


def rewrite_reason(old: TypeRef | None, new: TypeRef | None, using: bool) -> str | None:
    """Why changing a column from ``old`` to ``new`` rewrites the table; None when it does not."""
    if new is None:
        return None
    if old is None:
        return f"the type change to {new.text} rewrites the table unless it is binary compatible (its current type is not known from the migrations)"
    if using:
        return f"{old.text} -> {new.text} with USING rewrites every row"
    if old.array != new.array:
        return f"{old.text} -> {new.text} rewrites every row"
    same, unbounded = old.name == new.name, not new.args
    if same and (old.args == new.args or unbounded):
        return None
    if same and old.name in ("varchar", "bit varying") and old.args and new.args[0] >= old.args[0]:
        return None
    if same and old.name == "numeric" and old.args and len(new.args) == len(old.args) and new.args[0] >= old.args[0] and new.args[1:] == old.args[1:]:
        return None
    if old.name in ("varchar", "text") and new.name in ("text", "varchar") and unbounded:
        return None
    if (old.name, new.name) == ("cidr", "inet"):
        return None
    if (old.name, new.name) == ("timestamp", "timestamptz"):
        return f"{old.text} -> {new.text} rewrites every row unless the session time zone is UTC (PostgreSQL 12+)"
    return f"{old.text} -> {new.text} rewrites every row and rebuilds its indexes"


@rule(
    "PG124", "type-change-rewrite", ERROR, PG,
    title="Changing a column's type in a way that rewrites the table",
    why="""
        Most type changes rewrite every row and rebuild every index of the table under an ACCESS
        EXCLUSIVE lock: nothing reads or writes the table until it ends. Only binary-compatible
        changes are free: `varchar(n)` to a larger `varchar` or to `text`, `numeric(p,s)` to a
        larger precision with the same scale, `cidr` to `inet`. Even then, dependent views and
        clients may break.
    """,
    fix="""
        Add a column of the new type, write to both (trigger or application), backfill in batches,
        switch readers, then drop the old column. The linter reads the old type from the earlier
        migrations; when it cannot, it says so.
    """,
    setup=ORDERS + "ALTER TABLE orders ADD COLUMN code varchar(20);\n",
    bad="ALTER TABLE orders ALTER COLUMN customer_id TYPE text;\n",
    safe="ALTER TABLE orders ALTER COLUMN code TYPE varchar(64);\n",
)
def type_change_rewrite(ctx):
    for statement, action in ctx.actions(F.ALTER_TYPE):
        if not action.existing or action.definition is None:
            continue
        old = action.prior.column.type if action.prior.column else None
        reason = rewrite_reason(old, action.definition.type, action.using)
        if reason:
            yield ctx.hit(statement, action.target, f"{action.target}: {reason}, under an ACCESS EXCLUSIVE lock on {action.table}")


@rule(
    "PG125", "table-rewrite", ERROR, PG,
    title="VACUUM FULL, CLUSTER, SET TABLESPACE, SET LOGGED/UNLOGGED: a full rewrite",
    why="""
        These rewrite the whole table (and its indexes) into new files while holding an ACCESS
        EXCLUSIVE lock: no reads, no writes, for as long as copying the table takes.
    """,
    fix="""
        Keep maintenance out of migrations. To reclaim space or re-order a live table, use
        `pg_repack` (or `pg_squeeze`), which rebuilds it with only brief locks.
    """,
    setup=ORDERS,
    bad="VACUUM FULL orders;\n",
    safe="VACUUM (ANALYZE) orders;\n",
)
def table_rewrite(ctx):
    for statement, action in ctx.actions(F.REWRITE_TABLE):
        if action.existing:
            target = action.table or "every table"
            yield ctx.hit(statement, action.table or "database", f"{action.detail} rewrites {target} under an ACCESS "
                          f"EXCLUSIVE lock (no reads or writes until it ends)")


@rule(
    "PG126", "enum-value-used-in-transaction", ERROR, PG,
    title="A new enum value used in the transaction that added it",
    why="""
        `ALTER TYPE ... ADD VALUE` may run in a transaction (PostgreSQL 12+), but the new value
        cannot be used until that transaction commits: `unsafe use of new value` fails the
        migration.
    """,
    fix="Add the value in one migration and use it (in a default, a backfill) in the next.",
    setup=ORDERS + "CREATE TYPE order_state AS ENUM ('new', 'paid');\nALTER TABLE orders ADD COLUMN state order_state;\n",
    bad="ALTER TYPE order_state ADD VALUE 'shipped';\nUPDATE orders SET state = 'shipped' WHERE id < 0;\n",
    safe="ALTER TYPE order_state ADD VALUE 'shipped';\n",
)
def enum_value_used_in_transaction(ctx):
    if not ctx.in_transaction:
        return
    added: dict[str, str] = {}
    for statement in ctx.statements:
        for value in sorted(added.keys() & statement.literals):
            yield ctx.hit(statement, added[value], f"enum value '{value}' of {added[value]} is used in the transaction "
                          f"that added it: PostgreSQL refuses that ('unsafe use of new value'); use it in the next migration")
        for action in statement.actions:
            if action.kind == F.ADD_ENUM_VALUE and action.value:
                added[action.value] = action.name or "?"


@rule(
    "PG127", "truncate-cascade", ERROR, PG,
    title="TRUNCATE ... CASCADE",
    why="""
        `CASCADE` also empties every table with a foreign key to the truncated one, and every
        table referencing those, recursively: data of tables the migration never names, possibly
        owned by other apps, is gone.
    """,
    fix="Truncate (or delete from) the tables you mean, by name, without CASCADE.",
    setup=ORDERS + "CREATE TABLE order_lines (id bigint PRIMARY KEY, order_id bigint REFERENCES orders (id));\n",
    bad="TRUNCATE orders CASCADE;\n",
    safe="TRUNCATE order_lines, orders;\n",
)
def truncate_cascade(ctx):
    for statement, action in ctx.actions(F.TRUNCATE):
        if action.cascade:
            yield ctx.hit(statement, action.table or "?", f"TRUNCATE {action.table} CASCADE also empties every table that "
                          f"references it, recursively")
