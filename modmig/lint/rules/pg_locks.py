"""PostgreSQL: constraints that scan the table under a lock, and waiting for locks without a limit."""

from __future__ import annotations

from .. import facts as F
from ..rule import ERROR, PG, WARNING, rule
from .pg_indexes import ORDERS

CUSTOMERS = """
    CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text);
"""


@rule(
    "PG111", "foreign-key-not-valid", ERROR, PG,
    title="A foreign key on an existing table without NOT VALID",
    why="""
        Adding a foreign key checks every existing row against the referenced table while holding
        a SHARE ROW EXCLUSIVE lock on *both* tables: writes to either wait for the whole scan.
    """,
    fix="""
        Add it `NOT VALID` (new rows are checked at once, old rows are not scanned; the lock is
        brief), then validate it in a later migration: `VALIDATE CONSTRAINT` scans under a SHARE
        UPDATE EXCLUSIVE lock that lets reads and writes go on.
    """,
    setup=ORDERS + CUSTOMERS,
    bad="ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);\n",
    safe="ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n",
)
def foreign_key_not_valid(ctx):
    for statement, action in ctx.actions(F.ADD_CONSTRAINT):
        if action.constraint == F.FOREIGN_KEY and action.existing and not action.not_valid:
            yield ctx.hit(statement, action.name or action.target, f"foreign key {action.name or action.target} on "
                          f"{action.table} scans the table while blocking writes to {action.table} and "
                          f"{action.references}; add it NOT VALID and VALIDATE it in a later migration")


@rule(
    "PG112", "check-not-valid", ERROR, PG,
    title="A CHECK constraint on an existing table without NOT VALID",
    why="""
        `ADD CONSTRAINT ... CHECK` scans every row to prove the condition while holding an ACCESS
        EXCLUSIVE lock: the table can be neither read nor written until the scan ends.
    """,
    fix="""
        Add the constraint `NOT VALID` (the lock is brief; new rows are checked), then in a later
        migration `ALTER TABLE ... VALIDATE CONSTRAINT ...`, which scans without blocking reads
        or writes.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders ADD CONSTRAINT orders_customer_positive CHECK (customer_id > 0);\n",
    safe="ALTER TABLE orders ADD CONSTRAINT orders_customer_positive CHECK (customer_id > 0) NOT VALID;\n",
)
def check_not_valid(ctx):
    for statement, action in ctx.actions(F.ADD_CONSTRAINT):
        if action.constraint == F.CHECK and action.existing and not action.not_valid:
            yield ctx.hit(statement, action.name or action.target, f"CHECK constraint {action.name or action.target} on "
                          f"{action.table} scans the table under an ACCESS EXCLUSIVE lock; add it NOT VALID and "
                          f"VALIDATE it in a later migration")


@rule(
    "PG113", "set-not-null", ERROR, PG,
    title="SET NOT NULL on an existing column",
    why="""
        `ALTER COLUMN ... SET NOT NULL` scans the whole table to prove there is no NULL, holding an
        ACCESS EXCLUSIVE lock that blocks reads and writes for the whole scan.
    """,
    fix="""
        Since PostgreSQL 12 the scan is skipped when a validated `CHECK (column IS NOT NULL)`
        already proves it. So: add the check `NOT VALID`; validate it in a later migration (no
        blocking); then `SET NOT NULL` (instant) and drop the check. The linter knows the check
        when an earlier migration validated it.
    """,
    setup=ORDERS + "ALTER TABLE orders ADD CONSTRAINT orders_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n",
    bad="ALTER TABLE orders ALTER COLUMN email SET NOT NULL;\n",
    safe=("ALTER TABLE orders VALIDATE CONSTRAINT orders_email_not_null;\n"
          "ALTER TABLE orders ALTER COLUMN email SET NOT NULL;\n"),
)
def set_not_null(ctx):
    for statement, action in ctx.actions(F.SET_NOT_NULL):
        if action.existing and not action.prior.not_null_proven:
            yield ctx.hit(statement, action.target, f"SET NOT NULL on {action.target} scans {action.table} under an "
                          f"ACCESS EXCLUSIVE lock; validate a CHECK ({action.column} IS NOT NULL) in an earlier "
                          f"migration first")


@rule(
    "PG114", "validate-in-same-transaction", WARNING, PG,
    title="VALIDATE CONSTRAINT in the transaction that added it NOT VALID",
    why="""
        `NOT VALID` exists to split a constraint in two: a brief lock to add it, then a scan that
        does not block. Validating in the same transaction keeps the ACCESS EXCLUSIVE lock of the
        `ADD` for the whole scan, which is exactly what `NOT VALID` was meant to avoid.
    """,
    fix="Move the `VALIDATE CONSTRAINT` to the next migration.",
    setup=ORDERS + CUSTOMERS,
    bad=("ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n"
         "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;\n"),
    safe="ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;\n",
)
def validate_in_same_transaction(ctx):
    if not ctx.in_transaction:
        return
    added = {}
    for statement, action in ctx.actions(F.ADD_CONSTRAINT, F.VALIDATE_CONSTRAINT):
        if action.kind == F.ADD_CONSTRAINT and action.not_valid and action.name:
            added[(action.table, action.name)] = statement
        elif action.kind == F.VALIDATE_CONSTRAINT and (action.table, action.name) in added:
            yield ctx.hit(statement, action.name or "?", f"constraint {action.name} is validated in the transaction that "
                          f"added it NOT VALID, so the scan runs under the ADD's ACCESS EXCLUSIVE lock; validate it "
                          f"in the next migration")


@rule(
    "PG115", "domain-constraint-not-valid", ERROR, PG,
    title="ALTER DOMAIN ADD CONSTRAINT without NOT VALID",
    why="""
        Adding a constraint to a domain checks every column of every table that uses the domain,
        locking each of those tables while it scans them.
    """,
    fix="Add it `NOT VALID` and `ALTER DOMAIN ... VALIDATE CONSTRAINT` in a later migration.",
    setup="CREATE DOMAIN positive_amount AS numeric;\nCREATE TABLE payments (id bigint PRIMARY KEY, amount positive_amount);\n",
    bad="ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0);\n",
    safe="ALTER DOMAIN positive_amount ADD CONSTRAINT positive_amount_check CHECK (VALUE > 0) NOT VALID;\n",
)
def domain_constraint_not_valid(ctx):
    for statement, action in ctx.actions(F.DOMAIN_CONSTRAINT):
        if not action.not_valid:
            yield ctx.hit(statement, action.name or "?", f"a constraint added to domain {action.name} scans every table "
                          f"using it under lock; add it NOT VALID and validate it later")


#: Actions that take an ACCESS EXCLUSIVE lock (or one as strong for writers) on an existing table.
_LOCKING = {
    F.ADD_COLUMN, F.DROP_COLUMN, F.RENAME_COLUMN, F.RENAME_TABLE, F.ALTER_TYPE, F.SET_NOT_NULL, F.DROP_NOT_NULL,
    F.SET_DEFAULT, F.ADD_CONSTRAINT, F.DROP_CONSTRAINT, F.DROP_TABLE, F.TRUNCATE, F.REWRITE_TABLE, F.LOCK_TABLE,
    F.ALTER_OTHER,
}


@rule(
    "PG116", "require-lock-timeout", WARNING, PG,
    title="No lock_timeout before a statement that takes an ACCESS EXCLUSIVE lock",
    why="""
        An `ALTER TABLE` needs an ACCESS EXCLUSIVE lock, even when it is instant. If a long query
        or an idle transaction holds any lock on the table, the `ALTER` waits, and every query
        that arrives after it queues behind the `ALTER`: a migration that would take a
        millisecond takes the table down for as long as that transaction lives.
    """,
    fix="""
        Give up quickly and retry later instead: set `timeouts: {lock_timeout: 5s}` in
        modmig.yaml (modmig sets it at the start of every migration), or `SET lock_timeout =
        '5s';` at the top of the migration. The rule reports the first such statement of a file.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders ADD COLUMN shipped_at timestamptz;\n",
    safe="SET lock_timeout = '5s';\nALTER TABLE orders ADD COLUMN shipped_at timestamptz;\n",
)
def require_lock_timeout(ctx):
    if ctx.timeouts.get("lock_timeout"):
        return
    for statement, action in ctx.actions():
        locks = action.kind in _LOCKING or (action.kind == F.DROP_INDEX and not action.concurrently)
        if locks and action.existing and action.detail != "create":
            if not ctx.set_before(statement, "lock_timeout"):
                yield ctx.hit(statement, action.table or action.name or "?", f"{action.table or action.name} is locked "
                              f"ACCESS EXCLUSIVE with no lock_timeout: if the lock is not free, every query on it queues "
                              f"behind this migration; set timeouts.lock_timeout in modmig.yaml or SET lock_timeout first")
            return
