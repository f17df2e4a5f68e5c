"""Every database: migrations that change rows, and migrations that cannot be undone or resumed."""

from __future__ import annotations

from .. import facts as F
from ..rule import ALL, ERROR, POSTGRESQL, SQLITE, WARNING, rule
from .destructive import ORDERS

#: DDL on an existing table that a backfill in the same migration holds the lock of.
_NEEDS_BACKFILL = {F.ADD_COLUMN, F.ALTER_TYPE, F.SET_NOT_NULL, F.ADD_CONSTRAINT, F.RENAME_COLUMN, F.SET_DEFAULT}


@rule(
    "DM101", "update-without-where", ERROR, ALL,
    title="UPDATE without WHERE on an existing table",
    why="""
        One statement rewrites every row: every row stays locked until the migration commits,
        the write-ahead log (or undo log) grows by the size of the table, and on a large table
        the migration runs for minutes while writers wait. A forgotten WHERE also changes rows it
        was not meant to.
    """,
    fix="""
        Backfill in batches, outside the schema migration (a Python migration with `transaction
        = False` looping over key ranges, or a job), each batch its own short transaction; or add
        the WHERE the change is meant for.
    """,
    setup=ORDERS + "ALTER TABLE orders ADD COLUMN archived INTEGER;\n",
    bad="UPDATE orders SET archived = 0;\n",
    safe="UPDATE orders SET archived = 0 WHERE archived IS NULL AND id BETWEEN 1 AND 10000;\n",
)
def update_without_where(ctx):
    for statement, action in ctx.actions(F.UPDATE):
        if action.existing and not action.has_where:
            yield ctx.hit(statement, action.table or "?", f"UPDATE {action.table} without WHERE rewrites and locks every "
                          f"row in one transaction; backfill in batches")


@rule(
    "DM102", "delete-without-where", ERROR, ALL,
    title="DELETE without WHERE on an existing table",
    why="Every row is deleted, in one transaction that locks them all; usually the WHERE was forgotten.",
    fix="Add the WHERE the deletion is meant for; if the table really must be emptied, say why with an allow.",
    setup=ORDERS,
    bad="DELETE FROM orders;\n",
    safe="DELETE FROM orders WHERE customer_id = 0;\n",
)
def delete_without_where(ctx):
    for statement, action in ctx.actions(F.DELETE):
        if action.existing and not action.has_where:
            yield ctx.hit(statement, action.table or "?", f"DELETE FROM {action.table} without WHERE deletes every row")


@rule(
    "DM103", "missing-down", WARNING, ALL,
    title="A migration without a down section",
    why="""
        Without `-- modmig: down` (or a `downgrade` function) the migration cannot be undone:
        `modmig downgrade` stops at it, and so does `modmig check --roundtrip`, which proves
        every other migration reverses cleanly.
    """,
    fix="""
        Write the down section. If the change truly cannot be undone (it deletes data), say so:
        `-- modmig: allow DM103 because ...` in the file's leading comments.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders ADD COLUMN shipped_at TIMESTAMP;\n",
    safe="ALTER TABLE orders ADD COLUMN shipped_at TIMESTAMP;\n-- modmig: down\nALTER TABLE orders DROP COLUMN shipped_at;\n",
)
def missing_down(ctx):
    if not ctx.migration.reversible and not ctx.migration.is_squash:
        what = "downgrade function" if ctx.migration.kind == "python" else "'-- modmig: down' section"
        yield ctx.whole_file(ctx.migration.label, f"{ctx.migration.label} has no {what}: it cannot be downgraded")


@rule(
    "DM104", "backfill-with-ddl", WARNING, (POSTGRESQL, SQLITE),
    title="A data backfill in the same migration as the DDL it needs",
    why="""
        The migration runs in one transaction, so the lock its `ALTER TABLE` took (ACCESS
        EXCLUSIVE on PostgreSQL, the whole database on SQLite) is held until the backfill has
        written every row: the table is unavailable for as long as the backfill runs, not for
        the instant the DDL needs.
    """,
    fix="""
        Put the DDL in one migration and the backfill in the next (batched, see DM101), so the
        lock is released in between.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders ADD COLUMN priority INTEGER;\nUPDATE orders SET priority = 1 WHERE customer_id > 100;\n",
    safe="ALTER TABLE orders ADD COLUMN priority INTEGER;\n",
)
def backfill_with_ddl(ctx):
    if not ctx.in_transaction:
        return
    altered: set[str | None] = set()
    for statement in ctx.statements:
        for action in statement.actions:
            if action.kind in _NEEDS_BACKFILL and action.existing and action.detail != "create":
                altered.add(action.table)
            elif action.kind in (F.UPDATE, F.INSERT, F.DELETE) and action.table in altered:
                yield ctx.hit(statement, action.table or "?", f"{action.kind.upper()} on {action.table} in the migration "
                              f"that altered it keeps {action.table} locked until every row is written; move it to the "
                              f"next migration")
                altered.discard(action.table)


@rule(
    "DM105", "transaction-control", ERROR, ALL,
    title="BEGIN, COMMIT or ROLLBACK inside a migration",
    why="""
        modmig runs each migration in a transaction of its own and records the new version in
        it. A `COMMIT` in the file ends that transaction early: a failure after it leaves half the
        migration applied and the version unrecorded, and the bookkeeping no longer says what the
        database holds.
    """,
    fix="""
        Remove the transaction statements. For statements that must run outside a transaction,
        use `-- modmig: transaction off`; modmig then runs them one by one and resumes after a
        failure.
    """,
    setup=ORDERS,
    bad="BEGIN;\nALTER TABLE orders ADD COLUMN paid INTEGER;\nCOMMIT;\n",
    safe="ALTER TABLE orders ADD COLUMN paid INTEGER;\n",
)
def transaction_control(ctx):
    for statement, action in ctx.actions(F.TRANSACTION):
        yield ctx.hit(statement, action.detail or "transaction", f"{action.detail} inside a migration breaks the "
                      f"transaction modmig runs it in (and records the version in)")
