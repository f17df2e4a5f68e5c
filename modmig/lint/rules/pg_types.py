"""PostgreSQL: column types and contracts that are cheap to choose now and expensive to change later.

These are warnings: nothing locks today, but each one is a future type change (PG124) or a
broken client waiting to happen. They look at every column a migration defines, in ``CREATE
TABLE`` as in ``ADD COLUMN``.
"""

from __future__ import annotations

from .. import facts as F
from ..rule import PG, WARNING, rule
from .pg_indexes import ORDERS


def _columns(ctx):
    for statement, action in ctx.actions(F.ADD_COLUMN, F.ALTER_TYPE):
        if action.definition is not None and action.definition.type is not None:
            yield statement, action, action.definition


@rule(
    "PG131", "prefer-identity", WARNING, PG,
    title="serial instead of an identity column",
    why="""
        `serial` is a shorthand for an integer column, a separately owned sequence and a default:
        permissions, ownership, dumps and copies of the table all have to think of the sequence,
        and `serial` is a 32-bit integer that runs out (see PG132). Identity columns are the SQL
        standard and keep the sequence an internal detail.
    """,
    fix="Use `bigint GENERATED ALWAYS AS IDENTITY` (or `BY DEFAULT` if rows are inserted with explicit ids).",
    bad="CREATE TABLE invoices (id serial PRIMARY KEY, total numeric NOT NULL);\n",
    safe="CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric NOT NULL);\n",
)
def prefer_identity(ctx):
    for statement, action, column in _columns(ctx):
        if column.type.name in ("serial", "bigserial", "smallserial"):
            yield ctx.hit(statement, action.target, f"{action.target} is {column.type.name}: use bigint GENERATED ALWAYS "
                          f"AS IDENTITY instead")


@rule(
    "PG132", "prefer-bigint-primary-key", WARNING, PG,
    title="A 32-bit (or smaller) integer primary key",
    why="""
        An `integer` key stops at 2,147,483,647. Tables that grow (events, orders, logs) reach it,
        and on that day every insert fails; widening the key then means rewriting the table and
        every table whose foreign keys point at it (PG124), under lock.
    """,
    fix="Use `bigint` (with an identity) for primary keys from the start: 4 more bytes a row.",
    bad="CREATE TABLE invoices (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric NOT NULL);\n",
    safe="CREATE TABLE invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric NOT NULL);\n",
)
def prefer_bigint_primary_key(ctx):
    keys = {(a.table, c) for _, a in ctx.actions(F.ADD_CONSTRAINT) if a.constraint == F.PRIMARY_KEY for c in a.columns}
    for statement, action, column in _columns(ctx):
        small = column.type.name in ("integer", "smallint", "serial", "smallserial")
        if small and (column.primary_key or (action.table, column.name) in keys):
            yield ctx.hit(statement, action.target, f"primary key {action.target} is {column.type.name} (at most "
                          f"{'32,767' if 'small' in column.type.name else '2,147,483,647'} rows): use bigint")


@rule(
    "PG133", "prefer-text", WARNING, PG,
    title="varchar(n) instead of text",
    why="""
        In PostgreSQL `varchar(n)` is `text` with a length check, stored the same way. The limit is
        rarely a real rule of the data, and raising it later is free only for `varchar`
        (PG124), while lowering it or turning it into a real rule needs a rewrite; a CHECK
        constraint says the same thing and can be changed `NOT VALID`.
    """,
    fix="Use `text`, with `CHECK (char_length(col) <= n)` where the limit is a real rule.",
    bad="CREATE TABLE invoices (id bigint PRIMARY KEY, reference varchar(32) NOT NULL);\n",
    safe="CREATE TABLE invoices (id bigint PRIMARY KEY, reference text NOT NULL CHECK (char_length(reference) <= 32));\n",
)
def prefer_text(ctx):
    for statement, action, column in _columns(ctx):
        if column.type.name == "varchar" and column.type.args:
            yield ctx.hit(statement, action.target, f"{action.target} is {column.type.text}: prefer text with a CHECK "
                          f"on its length")


@rule(
    "PG134", "prefer-timestamptz", WARNING, PG,
    title="timestamp without time zone",
    why="""
        `timestamp` stores a wall-clock time without saying in which zone: the same value means
        different instants to clients in different zones, and daylight-saving changes produce
        duplicates and gaps. `timestamptz` stores an instant and converts on the way in and out.
    """,
    fix="Use `timestamptz` (`timestamp with time zone`); it takes the same 8 bytes.",
    bad="CREATE TABLE invoices (id bigint PRIMARY KEY, issued_at timestamp NOT NULL);\n",
    safe="CREATE TABLE invoices (id bigint PRIMARY KEY, issued_at timestamptz NOT NULL);\n",
)
def prefer_timestamptz(ctx):
    for statement, action, column in _columns(ctx):
        if column.type.name in ("timestamp", "time"):
            yield ctx.hit(statement, action.target, f"{action.target} is {column.type.name} without time zone: use "
                          f"{column.type.name}tz")


@rule(
    "PG135", "prefer-text-over-char", WARNING, PG,
    title="char(n)",
    why="""
        `char(n)` pads values with spaces to `n` characters, compares ignoring them, and is no
        faster than `text` in PostgreSQL. The padding leaks into clients and into comparisons with
        `text` values.
    """,
    fix="Use `text` (with a CHECK on its length if needed).",
    bad="CREATE TABLE invoices (id bigint PRIMARY KEY, currency char(3) NOT NULL);\n",
    safe="CREATE TABLE invoices (id bigint PRIMARY KEY, currency text NOT NULL CHECK (char_length(currency) = 3));\n",
)
def prefer_text_over_char(ctx):
    for statement, action, column in _columns(ctx):
        if column.type.name == "char":
            yield ctx.hit(statement, action.target, f"{action.target} is {column.type.text}: char pads with spaces; use text")


@rule(
    "PG136", "drop-not-null", WARNING, PG,
    title="DROP NOT NULL on an existing column",
    why="""
        Readers were promised the column is never NULL. Code deployed before this migration (and
        other apps, views and reports) may not handle NULL, and once NULLs are written, putting
        the constraint back needs a scan (PG113).
    """,
    fix="Make sure every reader copes with NULL first; say so with an allow and its reason.",
    setup=ORDERS,
    bad="ALTER TABLE orders ALTER COLUMN customer_id DROP NOT NULL;\n",
    safe="ALTER TABLE orders ADD COLUMN guest_email text;\n",
)
def drop_not_null(ctx):
    for statement, action in ctx.actions(F.DROP_NOT_NULL):
        if action.existing:
            yield ctx.hit(statement, action.target, f"{action.target} may now be NULL: readers that rely on NOT NULL "
                          f"may break")
