"""MySQL/MariaDB: ALTERs that copy or rebuild the table, and migrations that cannot be rolled back.

Each message says which algorithm the server would use (``mysql_algorithms.needs``) and how to
ask for better: an explicit ``ALGORITHM=INSTANT`` or ``ALGORITHM=INPLACE, LOCK=NONE`` makes the
server refuse an ALTER it cannot run online, instead of silently copying the table.
"""

from __future__ import annotations

from .. import facts as F
from ..rule import ERROR, MY, WARNING, rule
from .mysql_algorithms import ALGORITHMS, COPY, INPLACE, LOCKS, SHARED, enum_appended, needs, rank, type_changes

ORDERS = """
    CREATE TABLE orders (
        id BIGINT AUTO_INCREMENT PRIMARY KEY,
        customer_id INT NOT NULL,
        status ENUM('new', 'paid', 'shipped') NOT NULL DEFAULT 'new',
        code VARCHAR(20) NULL,
        note TEXT
    ) ENGINE=InnoDB;
    CREATE TABLE customers (id INT PRIMARY KEY, email VARCHAR(200)) ENGINE=InnoDB;
"""
ASK = "ask for ALGORITHM=INPLACE, LOCK=NONE (or INSTANT) so the server refuses instead of copying"


def _needs(ctx, *kinds):
    """(statement, action, need) for actions on existing tables, with what the server needs."""
    for statement, action in ctx.actions(*kinds):
        if action.existing and action.detail not in ("create",):
            fk_off = any(a.kind == F.SET and a.name == "foreign_key_checks" and a.value in ("0", "off")
                         for s in ctx.earlier(statement) for a in s.actions)
            need = needs(action, statement, fk_off)
            if need is not None and statement.algorithm in (None, "DEFAULT", COPY):
                yield statement, action, need


@rule(
    "MY101", "type-change-copies-table", ERROR, MY,
    title="A column type change that copies the table",
    why="""
        Changing a column's type (INT to BIGINT, VARCHAR to TEXT, shrinking a VARCHAR, CHAR(3) to
        CHAR(10)) can only be done with ALGORITHM=COPY: the server writes a new copy of the table
        row by row, and writes wait (LOCK=SHARED) until it is done. Extending a VARCHAR is instant
        on MariaDB 10.4+ (MySQL 8.0 copies when the length crosses 255 bytes).
    """,
    fix="""
        Add a column of the new type (instant), fill it in batches, switch the code, drop the old
        column later; or run the change with an online schema change tool (gh-ost,
        pt-online-schema-change) outside the migration.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders MODIFY customer_id BIGINT NOT NULL;\n",
    safe="ALTER TABLE orders ADD COLUMN customer_id_big BIGINT NULL, ALGORITHM=INSTANT;\n",
)
def type_change_copies_table(ctx):
    for statement, action, need in _needs(ctx, F.ALTER_TYPE):
        old, new = action.prior.column, action.definition
        enum_change = old and new and old.type and new.type and old.type.name in ("enum", "set") and new.type.name == old.type.name
        if need.algorithm == COPY and not enum_change:
            yield ctx.hit(statement, action.target, f"{need.why} needs ALGORITHM=COPY: the server copies {action.table} "
                          f"while writes wait; add a new column and backfill instead")
    for statement, action in ctx.actions(F.ALTER_TYPE):
        if action.existing and action.prior.column is None and statement.algorithm is None:
            yield ctx.hit(statement, action.target, f"MODIFY {action.target}: its current definition is not known from the "
                          f"migrations; if the type changes, the server copies {action.table} (ALGORITHM=COPY); {ASK}")


@rule(
    "MY102", "constraint-copies-table", ERROR, MY,
    title="A foreign key or CHECK constraint that copies the table",
    why="""
        Adding a foreign key while `foreign_key_checks` is on, or a CHECK constraint, is done with
        ALGORITHM=COPY: the whole table is copied (and every row checked) while writes wait.
    """,
    fix="""
        For a foreign key, `SET foreign_key_checks = 0;` before the ALTER lets the server add it
        in place without a copy (existing rows are then not checked: check them yourself first).
        A CHECK constraint has no online form: enforce it in the application, or use an online
        schema change tool.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id);\n",
    safe=("SET foreign_key_checks = 0;\n"
          "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id), "
          "ALGORITHM=INPLACE, LOCK=NONE;\nSET foreign_key_checks = 1;\n"),
)
def constraint_copies_table(ctx):
    for statement, action, need in _needs(ctx, F.ADD_CONSTRAINT):
        if need.algorithm == COPY and action.detail != "column":
            yield ctx.hit(statement, action.name or action.target, f"{need.why} needs ALGORITHM=COPY: {action.table} is "
                          f"copied while writes wait; {'SET foreign_key_checks = 0 first to add it INPLACE' if action.constraint == F.FOREIGN_KEY else 'there is no online form'}")


@rule(
    "MY103", "drop-primary-key-copies-table", ERROR, MY,
    title="Dropping a primary key without adding another",
    why="""
        InnoDB stores rows in primary key order. Dropping the key without naming a new one in the
        same ALTER makes the server rebuild the table around a hidden key with ALGORITHM=COPY,
        while writes wait.
    """,
    fix="Drop and add in one statement (`DROP PRIMARY KEY, ADD PRIMARY KEY (...)`): INPLACE, LOCK=NONE.",
    setup=ORDERS,
    bad="ALTER TABLE orders DROP PRIMARY KEY;\n",
    safe="ALTER TABLE orders DROP PRIMARY KEY, ADD PRIMARY KEY (id, customer_id), ALGORITHM=INPLACE, LOCK=NONE;\n",
)
def drop_primary_key_copies_table(ctx):
    for statement, action, need in _needs(ctx, F.DROP_CONSTRAINT):
        if need.algorithm == COPY:
            yield ctx.hit(statement, action.table or "?", f"{need.why} needs ALGORITHM=COPY; drop and add the new key in "
                          f"one ALTER (INPLACE, LOCK=NONE)")


@rule(
    "MY104", "convert-charset-copies-table", ERROR, MY,
    title="CONVERT TO CHARACTER SET",
    why="Converting a table's text columns to another character set rewrites every row with ALGORITHM=COPY, while writes wait.",
    fix="Use an online schema change tool (gh-ost, pt-online-schema-change), or convert column by column when each is instant.",
    setup="CREATE TABLE legacy_notes (id INT PRIMARY KEY, body TEXT) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3;\n",
    bad="ALTER TABLE legacy_notes CONVERT TO CHARACTER SET utf8mb4;\n",
    safe="ALTER TABLE legacy_notes DEFAULT CHARACTER SET utf8mb4;\n",
)
def convert_charset_copies_table(ctx):
    for statement, action, need in _needs(ctx, F.REWRITE_TABLE):
        if need.algorithm == COPY:
            yield ctx.hit(statement, action.table or "?", f"{need.why} needs ALGORITHM=COPY: every row is rewritten while "
                          f"writes wait")


@rule(
    "MY105", "add-column-blocks-writes", ERROR, MY,
    title="Adding a stored generated or AUTO_INCREMENT column",
    why="""
        Most columns are added instantly, but a STORED generated column is computed for every row
        (ALGORITHM=COPY) and an AUTO_INCREMENT column numbers every row while the table is
        rebuilt with LOCK=SHARED: either way writes wait for the whole table.
    """,
    fix="Add a VIRTUAL generated column (instant) or a plain column filled in batches.",
    setup=ORDERS,
    bad="ALTER TABLE orders ADD COLUMN code_upper VARCHAR(20) AS (UPPER(code)) STORED;\n",
    safe="ALTER TABLE orders ADD COLUMN code_upper VARCHAR(20) AS (UPPER(code)) VIRTUAL, ALGORITHM=INSTANT;\n",
)
def add_column_blocks_writes(ctx):
    for statement, action, need in _needs(ctx, F.ADD_COLUMN):
        if need.lock == SHARED:
            yield ctx.hit(statement, action.target, f"{need.why} needs ALGORITHM={need.algorithm}, LOCK=SHARED: writes to "
                          f"{action.table} wait for the whole table")


@rule(
    "MY106", "enum-reorder", ERROR, MY,
    title="Reordering, removing or inserting ENUM/SET members",
    why="""
        ENUM values are stored as numbers (their position). Appending a member at the end is
        instant; any other change (reordering, inserting in the middle, removing, renaming)
        copies the table (ALGORITHM=COPY) and re-maps every row, and a removed member's rows
        become the empty string `''` without an error in non-strict mode.
    """,
    fix="Only append new members at the end; leave unused ones in place.",
    setup=ORDERS,
    bad="ALTER TABLE orders MODIFY status ENUM('new', 'cancelled', 'paid', 'shipped') NOT NULL DEFAULT 'new';\n",
    safe="ALTER TABLE orders MODIFY status ENUM('new', 'paid', 'shipped', 'cancelled') NOT NULL DEFAULT 'new', ALGORITHM=INSTANT;\n",
)
def enum_reorder(ctx):
    for statement, action in ctx.actions(F.ALTER_TYPE):
        old, new = action.prior.column, action.definition
        if not (action.existing and old and new and old.type and new.type):
            continue
        if old.type.name in ("enum", "set") and new.type.name == old.type.name and type_changes(old, new) and not enum_appended(old, new):
            yield ctx.hit(statement, action.target, f"{action.target}: members of {old.type.name.upper()} "
                          f"{old.type.args} are reordered, inserted or removed: ALGORITHM=COPY, and stored values are re-mapped")


@rule(
    "MY107", "table-rebuild", WARNING, MY,
    title="An ALTER that rebuilds the table in place",
    why="""
        Changing a column's NULL/NOT NULL, replacing the primary key, `ENGINE=` or `FORCE` run
        INPLACE with LOCK=NONE (reads and writes go on) but rebuild the whole table: hours of
        I/O on a large one, a replica that lags behind by as long, and a metadata lock at the
        start and the end.
    """,
    fix="Run it when the table is quiet, or with an online schema change tool; say so with an allow.",
    setup=ORDERS,
    bad="ALTER TABLE orders MODIFY code VARCHAR(20) NOT NULL;\n",
    safe="ALTER TABLE orders ALTER COLUMN code SET DEFAULT '', ALGORITHM=INSTANT;\n",
)
def table_rebuild(ctx):
    for statement, action, need in _needs(ctx):
        if need.rebuild and need.lock != SHARED and need.algorithm == INPLACE:
            yield ctx.hit(statement, action.target, f"{need.why} rebuilds {action.table} (ALGORITHM=INPLACE, LOCK=NONE): "
                          f"online, but a full rewrite")


@rule(
    "MY108", "fulltext-index-blocks-writes", ERROR, MY,
    title="Adding a FULLTEXT or SPATIAL index",
    why="""
        FULLTEXT and SPATIAL indexes are built INPLACE but only with LOCK=SHARED: writes to the
        table wait for the whole build (and the first FULLTEXT index rebuilds the table).
    """,
    fix="Build it when writes can wait, or with an online schema change tool, or in a search engine outside the database.",
    setup=ORDERS,
    bad="ALTER TABLE orders ADD FULLTEXT INDEX orders_note_ft (note);\n",
    safe="ALTER TABLE orders ADD INDEX orders_code (code), ALGORITHM=INPLACE, LOCK=NONE;\n",
)
def fulltext_index_blocks_writes(ctx):
    for statement, action, need in _needs(ctx, F.CREATE_INDEX):
        if need.lock == SHARED:
            yield ctx.hit(statement, action.name or action.target, f"{need.why} needs LOCK=SHARED: writes to {action.table} "
                          f"wait until the index is built")


@rule(
    "MY109", "algorithm-not-possible", ERROR, MY,
    title="An ALGORITHM or LOCK clause the server cannot honour",
    why="""
        `ALGORITHM=INSTANT`/`INPLACE` and `LOCK=NONE` are demands: if the change needs more, the
        server refuses the ALTER (`ALGORITHM=INSTANT is not supported for this operation`) and the
        migration fails. That is the point of writing them, but the migration must then be
        rewritten before it can ship.
    """,
    fix="Rewrite the change into steps the server can do online (see the rule the action falls under), or drop the clause knowingly.",
    setup=ORDERS,
    bad="ALTER TABLE orders MODIFY customer_id BIGINT NOT NULL, ALGORITHM=INPLACE, LOCK=NONE;\n",
    safe="ALTER TABLE orders ADD COLUMN customer_ref BIGINT NULL, ALGORITHM=INSTANT;\n",
)
def algorithm_not_possible(ctx):
    for statement in ctx.statements:
        if statement.algorithm in (None, "DEFAULT", COPY) and statement.lock in (None, "DEFAULT"):
            continue
        for action in statement.actions:
            if not action.existing:
                continue
            need = needs(action, statement, False)
            if need is None:
                continue
            asked_algorithm = statement.algorithm if statement.algorithm not in (None, "DEFAULT") else None
            if asked_algorithm and rank(asked_algorithm, ALGORITHMS) < rank(need.algorithm, ALGORITHMS):
                yield ctx.hit(statement, action.target, f"ALGORITHM={asked_algorithm} is refused: {need.why} needs "
                              f"ALGORITHM={need.algorithm}; the migration fails")
            elif statement.lock not in (None, "DEFAULT") and rank(statement.lock, LOCKS) < rank(need.lock, LOCKS):
                yield ctx.hit(statement, action.target, f"LOCK={statement.lock} is refused: {need.why} needs "
                              f"LOCK={need.lock}; the migration fails")


@rule(
    "MY110", "ddl-and-data", WARNING, MY,
    title="Schema changes and data changes in one migration",
    why="""
        MySQL commits every DDL statement at once: a migration that alters tables and changes rows
        cannot be rolled back as a whole. If the data change fails, the schema change stays;
        modmig marks the app dirty and resumes at the failed statement, but nothing undoes the
        part that ran.
    """,
    fix="Put schema changes and data changes in separate migrations.",
    setup=ORDERS,
    bad="ALTER TABLE orders ADD COLUMN priority INT NULL;\nUPDATE orders SET priority = 1 WHERE status = 'paid';\n",
    safe="ALTER TABLE orders ADD COLUMN priority INT NULL;\n",
)
def ddl_and_data(ctx):
    ddl = next((s for s in ctx.statements if s.is_ddl), None)
    data = next((s for s in ctx.statements if s.is_dml), None)
    if ddl is not None and data is not None:
        later = data if data.line > ddl.line else ddl
        yield ctx.hit(later, ctx.migration.label, f"this migration changes the schema (line {ddl.line}) and data "
                      f"(line {data.line}); MySQL commits DDL at once, so it cannot be rolled back as a whole")


@rule(
    "MY111", "require-lock-wait-timeout", WARNING, MY,
    title="No lock_wait_timeout before an ALTER",
    why="""
        Every ALTER, even an instant one, needs an exclusive metadata lock. If a long transaction
        holds the table, the ALTER waits (for a year: `lock_wait_timeout`'s default), and every
        query that arrives after it waits behind it: the table is down until that transaction
        ends.
    """,
    fix="""
        Set `timeouts: {lock_timeout: 5s}` in modmig.yaml (modmig sets `lock_wait_timeout` from
        it), or `SET SESSION lock_wait_timeout = 5;` at the top of the migration, and retry later
        when it gives up.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders ADD COLUMN shipped_at DATETIME NULL;\n",
    safe="SET SESSION lock_wait_timeout = 5;\nALTER TABLE orders ADD COLUMN shipped_at DATETIME NULL;\n",
)
def require_lock_wait_timeout(ctx):
    if ctx.timeouts.get("lock_timeout"):
        return
    for statement in ctx.statements:
        targets = [a for a in statement.actions if a.kind in F.DDL_KINDS and a.existing and a.table and a.detail != "create"]
        if targets:
            if not ctx.set_before(statement, "lock_wait_timeout"):
                table = targets[0].table
                yield ctx.hit(statement, table or "?", f"the ALTER of {table} waits for its metadata lock without "
                              f"lock_wait_timeout, and every query on {table} queues behind it; set "
                              f"timeouts.lock_timeout in modmig.yaml or SET SESSION lock_wait_timeout first")
            return


@rule(
    "MY112", "modify-drops-attributes", ERROR, MY,
    title="MODIFY/CHANGE that silently drops NOT NULL, DEFAULT or COMMENT",
    why="""
        `MODIFY` and `CHANGE` replace the whole column definition. Whatever the new definition
        does not repeat is gone: a column that was NOT NULL becomes nullable, its DEFAULT and its
        COMMENT disappear, without a warning.
    """,
    fix="Repeat every attribute you keep, or use `ALTER COLUMN ... SET DEFAULT` / `RENAME COLUMN` for the one thing you change.",
    setup=ORDERS,
    bad="ALTER TABLE orders MODIFY status ENUM('new', 'paid', 'shipped', 'refunded');\n",
    safe="ALTER TABLE orders MODIFY status ENUM('new', 'paid', 'shipped', 'refunded') NOT NULL DEFAULT 'new';\n",
)
def modify_drops_attributes(ctx):
    for statement, action in ctx.actions(F.ALTER_TYPE):
        old, new = action.prior.column, action.definition
        if action.detail != "modify" or old is None or new is None or not action.existing:
            continue
        lost = []
        if old.not_null and not new.not_null and not new.null_given:
            lost.append("NOT NULL")
        if old.default is not None and new.default is None:
            lost.append(f"DEFAULT {old.default}")
        if old.comment and not new.comment:
            lost.append("COMMENT")
        if lost:
            yield ctx.hit(statement, action.target, f"MODIFY {action.target} does not repeat {', '.join(lost)}: the "
                          f"column loses {'it' if len(lost) == 1 else 'them'}")
