"""PostgreSQL: building and dropping indexes (and the constraints built on one) without blocking."""

from __future__ import annotations

from .. import facts as F
from ..rule import ERROR, PG, WARNING, rule

ORDERS = """
    CREATE TABLE orders (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        customer_id bigint NOT NULL,
        email text
    );
    CREATE INDEX orders_customer_idx ON orders (customer_id);
"""


@rule(
    "PG101", "create-index-concurrently", ERROR, PG,
    title="CREATE INDEX without CONCURRENTLY on an existing table",
    why="""
        A plain `CREATE INDEX` takes a SHARE lock on the table for the whole build: reads go on,
        but every INSERT, UPDATE and DELETE waits until the index is built, which on a large table
        is minutes. `CONCURRENTLY` builds the index in two passes under a SHARE UPDATE EXCLUSIVE
        lock that lets writes continue.
    """,
    fix="""
        Build it concurrently, in a migration of its own with `-- modmig: transaction off`
        (PostgreSQL refuses `CONCURRENTLY` inside a transaction). If the build fails it leaves an
        INVALID index behind: drop it with `DROP INDEX CONCURRENTLY IF EXISTS` before retrying.
        An index on a table created earlier in the same file is fine as it is.
    """,
    setup=ORDERS,
    bad="CREATE INDEX orders_email_idx ON orders (email);\n",
    safe="-- modmig: transaction off\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_email_idx ON orders (email);\n",
)
def create_index_concurrently(ctx):
    for statement, action in ctx.actions(F.CREATE_INDEX):
        if not action.concurrently and action.existing and action.table:
            yield ctx.hit(statement, action.name or action.table, f"CREATE INDEX {action.name or ''} on {action.table} "
                          f"without CONCURRENTLY blocks writes to {action.table} while it builds".replace("  ", " "))


@rule(
    "PG102", "drop-index-concurrently", ERROR, PG,
    title="DROP INDEX without CONCURRENTLY on an existing index",
    why="""
        `DROP INDEX` takes an ACCESS EXCLUSIVE lock on the index's table: nothing can read or
        write it until the drop commits, and the drop itself waits behind every running query on
        the table, with every new query queued behind it.
    """,
    fix="""
        `DROP INDEX CONCURRENTLY` waits for running transactions instead of blocking new ones. It
        cannot run in a transaction: put it in its own migration with `-- modmig: transaction
        off`.
    """,
    setup=ORDERS,
    bad="DROP INDEX orders_customer_idx;\n",
    safe="-- modmig: transaction off\nDROP INDEX CONCURRENTLY IF EXISTS orders_customer_idx;\n",
)
def drop_index_concurrently(ctx):
    for statement, action in ctx.actions(F.DROP_INDEX):
        if not action.concurrently and not action.prior.index_is_new and action.existing:
            table = action.prior.index_table or "its table"
            yield ctx.hit(statement, action.name or "?", f"DROP INDEX {action.name} without CONCURRENTLY locks {table} "
                          f"against reads and writes (ACCESS EXCLUSIVE) until it commits")


@rule(
    "PG103", "concurrently-in-transaction", ERROR, PG,
    title="CONCURRENTLY inside a transaction",
    why="""
        `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY` and `REINDEX CONCURRENTLY` cannot
        run inside a transaction block: PostgreSQL rejects them, so the migration fails on every
        database it reaches. modmig runs each migration in one transaction unless told otherwise.
    """,
    fix="""
        Put the statement in a migration of its own that starts with `-- modmig: transaction off`
        (docs/file-formats.md). modmig then runs its statements one by one and, if one fails,
        resumes at that statement next time.
    """,
    setup=ORDERS,
    bad="CREATE INDEX CONCURRENTLY orders_email_idx ON orders (email);\n",
    safe="-- modmig: transaction off\nCREATE INDEX CONCURRENTLY orders_email_idx ON orders (email);\n",
)
def concurrently_in_transaction(ctx):
    if not ctx.migration.transaction:
        return
    for statement, action in ctx.actions(F.CREATE_INDEX, F.DROP_INDEX, F.REINDEX):
        if action.concurrently:
            verb = {F.CREATE_INDEX: "CREATE INDEX", F.DROP_INDEX: "DROP INDEX", F.REINDEX: "REINDEX"}[action.kind]
            yield ctx.hit(statement, action.name or action.table or "?", f"{verb} CONCURRENTLY ({action.name or action.table}) "
                          f"cannot run inside a transaction: add '-- modmig: transaction off' to this migration")


@rule(
    "PG104", "unique-constraint", ERROR, PG,
    title="Adding a UNIQUE constraint to an existing table",
    why="""
        `ADD CONSTRAINT ... UNIQUE` (or `ADD COLUMN ... UNIQUE`) builds its unique index while
        holding an ACCESS EXCLUSIVE lock: the table can neither be read nor written until every
        row has been indexed.
    """,
    fix="""
        Build the unique index first, concurrently, in a migration with `-- modmig: transaction
        off`; then attach it in a later migration, which only takes a brief lock:
        `ALTER TABLE orders ADD CONSTRAINT orders_email_key UNIQUE USING INDEX orders_email_key`.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders ADD CONSTRAINT orders_email_key UNIQUE (email);\n",
    safe=("-- modmig: transaction off\n"
          "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS orders_email_key ON orders (email);\n"),
)
def unique_constraint(ctx):
    for statement, action in ctx.actions(F.ADD_CONSTRAINT):
        if action.constraint == F.UNIQUE and action.existing and not action.using_index:
            yield ctx.hit(statement, action.name or action.target, f"UNIQUE constraint {action.name or ''} on {action.table} "
                          f"builds its index under an ACCESS EXCLUSIVE lock; build it CONCURRENTLY and add it "
                          f"USING INDEX".replace("  ", " "))


@rule(
    "PG105", "primary-key-constraint", ERROR, PG,
    title="Adding a primary key to an existing table",
    why="""
        `ADD PRIMARY KEY` builds a unique index and, for columns that allow NULL, sets them NOT
        NULL (a full scan), all under an ACCESS EXCLUSIVE lock that blocks reads and writes.
    """,
    fix="""
        Build a unique index concurrently (`-- modmig: transaction off`), make sure the columns
        are NOT NULL without a scan (see PG113), then `ALTER TABLE ... ADD CONSTRAINT ... PRIMARY
        KEY USING INDEX ...` in a later migration.
    """,
    setup="CREATE TABLE events (uid uuid NOT NULL, payload text);\n",
    bad="ALTER TABLE events ADD PRIMARY KEY (uid);\n",
    safe="-- modmig: transaction off\nCREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS events_pkey ON events (uid);\n",
)
def primary_key_constraint(ctx):
    for statement, action in ctx.actions(F.ADD_CONSTRAINT):
        if action.constraint == F.PRIMARY_KEY and action.existing and not action.using_index and action.detail != "create":
            yield ctx.hit(statement, action.table or "?", f"adding a primary key to {action.table} builds its index under an "
                          f"ACCESS EXCLUSIVE lock; build a unique index CONCURRENTLY and add the key USING INDEX")


@rule(
    "PG106", "reindex-concurrently", ERROR, PG,
    title="REINDEX without CONCURRENTLY",
    why="""
        `REINDEX` locks out writes to the table and takes an ACCESS EXCLUSIVE lock on each index
        it rebuilds, so queries that would use the index block too, for the whole rebuild.
    """,
    fix="""
        `REINDEX ... CONCURRENTLY` (PostgreSQL 12+) rebuilds beside the old index and swaps;
        it cannot run in a transaction, so use `-- modmig: transaction off`.
    """,
    setup=ORDERS,
    bad="REINDEX INDEX orders_customer_idx;\n",
    safe="-- modmig: transaction off\nREINDEX INDEX CONCURRENTLY orders_customer_idx;\n",
)
def reindex_concurrently(ctx):
    for statement, action in ctx.actions(F.REINDEX):
        if not action.concurrently:
            yield ctx.hit(statement, action.table or action.name or "?", f"REINDEX {action.table or action.name} without "
                          f"CONCURRENTLY blocks writes, and reads through the index, until it finishes")


@rule(
    "PG107", "refresh-concurrently", WARNING, PG,
    title="REFRESH MATERIALIZED VIEW without CONCURRENTLY",
    why="""
        A plain refresh takes an ACCESS EXCLUSIVE lock on the materialized view: every query
        reading it waits until the view's query has run again in full.
    """,
    fix="""
        `REFRESH MATERIALIZED VIEW CONCURRENTLY` keeps the view readable while it refreshes. It
        needs a unique index on the view (without a WHERE clause).
    """,
    setup=ORDERS + "CREATE MATERIALIZED VIEW order_counts AS SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id;\n"
                   "CREATE UNIQUE INDEX order_counts_customer ON order_counts (customer_id);\n",
    bad="REFRESH MATERIALIZED VIEW order_counts;\n",
    safe="REFRESH MATERIALIZED VIEW CONCURRENTLY order_counts;\n",
)
def refresh_concurrently(ctx):
    for statement, action in ctx.actions(F.REFRESH_VIEW):
        if not action.concurrently:
            yield ctx.hit(statement, action.name or "?", f"REFRESH MATERIALIZED VIEW {action.name} without CONCURRENTLY "
                          f"blocks every read of it until the refresh finishes")
