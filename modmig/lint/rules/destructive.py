"""Every database: changes that destroy data or break the code that still uses the old names.

Code is deployed before or after a migration, never at the same instant, and usually several
versions run at once during a deploy. Dropping or renaming something the running code reads
breaks it; dropping loses the data for good. The safe way is the same everywhere: stop using
the thing first (release N), remove it later (release N+1).
"""

from __future__ import annotations

from .. import facts as F
from ..rule import ALL, ERROR, MYSQL, POSTGRESQL, WARNING, rule

ORDERS = """
    CREATE TABLE orders (
        id BIGINT PRIMARY KEY,
        customer_id BIGINT NOT NULL,
        note TEXT
    );
"""
_SERVERS = (POSTGRESQL, MYSQL)


@rule(
    "DS101", "drop-table", ERROR, ALL,
    title="Dropping an existing table",
    why="""
        The rows are gone for good (a restore from backup loses everything written since), and
        any code, view, report or other app still reading the table fails as soon as the
        migration runs.
    """,
    fix="""
        Stop reading and writing the table in one release; drop it in a later one, after a
        backup, with an allow giving the reason. Or rename it to a `_deprecated` name first so a
        forgotten reader fails loudly while the data is still there.
    """,
    setup=ORDERS,
    bad="DROP TABLE orders;\n",
    safe="-- modmig: allow DS101 because orders was replaced by orders_v2 in release 42 and nothing reads it\nDROP TABLE orders;\n",
)
def drop_table(ctx):
    for statement, action in ctx.actions(F.DROP_TABLE):
        if action.existing:
            yield ctx.hit(statement, action.table or "?", f"DROP TABLE {action.table} deletes its rows and breaks every "
                          f"reader still using it")


@rule(
    "DS102", "drop-column", ERROR, ALL,
    title="Dropping an existing column",
    why="""
        The column's data is lost, and code deployed before this migration still selects or
        inserts it: those queries fail from the moment the migration runs until the new code is
        everywhere (ORMs that list every column fail on *every* query of the table).
    """,
    fix="""
        Release N: stop using the column in the code (and tell the ORM to ignore it). Release
        N+1: drop it, with an allow giving the reason.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders DROP COLUMN note;\n",
    safe="-- modmig: allow DS102 because release 41 stopped reading orders.note\nALTER TABLE orders DROP COLUMN note;\n",
)
def drop_column(ctx):
    for statement, action in ctx.actions(F.DROP_COLUMN):
        if action.existing:
            yield ctx.hit(statement, action.target, f"dropping {action.target} deletes its data and breaks code that "
                          f"still reads or writes it")


@rule(
    "DS103", "drop-schema", ERROR, _SERVERS,
    title="Dropping a schema",
    why="Everything in the schema goes with it: tables, views, functions, their data.",
    fix="Drop the objects you mean, one by one, so the migration says what it deletes.",
    bad="DROP SCHEMA reporting;\n",
    safe="DROP VIEW IF EXISTS reporting_summary;\n",
)
def drop_schema(ctx):
    for statement, action in ctx.actions(F.DROP_SCHEMA):
        yield ctx.hit(statement, action.name or "?", f"DROP SCHEMA {action.name} deletes everything in it")


@rule(
    "DS104", "drop-database", ERROR, _SERVERS,
    title="Dropping a database",
    why="A migration runs against the database it migrates; dropping a database from it deletes a whole database.",
    fix="Do not drop databases from migrations; that is an operation for a person, with a backup.",
    bad="DROP DATABASE legacy_reports;\n",
    safe="DROP TABLE IF EXISTS legacy_reports_cache;\n",
)
def drop_database(ctx):
    for statement, action in ctx.actions(F.DROP_DATABASE):
        yield ctx.hit(statement, action.name or "?", f"DROP DATABASE {action.name} deletes a whole database")


@rule(
    "DS105", "rename-table", ERROR, ALL,
    title="Renaming an existing table",
    why="""
        Code deployed before the migration uses the old name and fails from the moment the rename
        commits; code deployed before the migration runs would fail with the new name. There is
        no order of deploy and migrate in which both work.
    """,
    fix="""
        Create the new table (or a view with the new name over the old table), write to both,
        move readers, then drop the old one in a later release.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders RENAME TO purchases;\n",
    safe="CREATE VIEW purchases AS SELECT * FROM orders;\n",
)
def rename_table(ctx):
    for statement, action in ctx.actions(F.RENAME_TABLE):
        if action.existing:
            yield ctx.hit(statement, action.table or "?", f"renaming {action.table} to {action.new_name} breaks every "
                          f"reader still using {action.table}")


@rule(
    "DS106", "rename-column", ERROR, ALL,
    title="Renaming an existing column",
    why="""
        Like a table rename: the running code uses the old name and fails the moment the rename
        commits, and the new code cannot run before it.
    """,
    fix="""
        Add the new column, write to both, backfill, move readers, drop the old column in a later
        release.
    """,
    setup=ORDERS,
    bad="ALTER TABLE orders RENAME COLUMN note TO comment;\n",
    safe="ALTER TABLE orders ADD COLUMN comment TEXT;\n",
)
def rename_column(ctx):
    for statement, action in ctx.actions(F.RENAME_COLUMN):
        if action.existing:
            yield ctx.hit(statement, action.target, f"renaming {action.target} to {action.new_name} breaks code that "
                          f"still uses {action.column}")


@rule(
    "DS107", "truncate", WARNING, _SERVERS,
    title="Truncating an existing table",
    why="""
        Every row is deleted at once, without a WHERE clause to read, and on PostgreSQL under an
        ACCESS EXCLUSIVE lock. In a migration this is rarely meant for production data.
    """,
    fix="If the table really is a cache or staging table, say so with an allow and its reason.",
    setup=ORDERS,
    bad="TRUNCATE TABLE orders;\n",
    safe="-- modmig: allow DS107 because orders is rebuilt from the ledger by the next migration\nTRUNCATE TABLE orders;\n",
)
def truncate(ctx):
    for statement, action in ctx.actions(F.TRUNCATE):
        if action.existing:
            yield ctx.hit(statement, action.table or "?", f"TRUNCATE {action.table} deletes every row")
