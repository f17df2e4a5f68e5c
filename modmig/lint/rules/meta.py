"""The linter's own findings: a statement no parser could read, and ``allow`` directives gone wrong.

MM002-MM004 are reported by the engine (they depend on what the other rules found); they are
registered here so that they have an id, a level, a page and examples like every other rule.
"""

from __future__ import annotations

from ..rule import ALL, ERROR, WARNING, rule


@rule(
    "MM001", "unparsed-statement", WARNING, ALL,
    title="A statement the linter could not parse",
    why="""
        The linter judges what it can read. A statement its parser rejects (a typo, or syntax the
        parser does not know) is not checked by any rule, so it could hide exactly the change the
        other rules look for. The finding quotes the parser's message.
    """,
    fix="""
        If the database accepts the statement, the parser does not know that syntax: suppress the
        finding with `-- modmig: allow MM001 because ...` after checking the statement by hand. If
        the database would reject it too, fix the statement.
    """,
    bad="ALTER TABLE orders ADD COLUMN;\n",
    safe="ALTER TABLE orders ADD COLUMN shipped_at_note text;\n",
    setup="CREATE TABLE orders (id bigint PRIMARY KEY);\n",
)
def unparsed_statement(ctx):
    for statement in ctx.statements:
        if statement.error:
            first = " ".join(statement.text.split())[:60]
            what = f"'{first}'" if first else "the script"
            yield ctx.hit(statement, first or "script", f"{what} could not be parsed, so no rule checked it: {statement.error}")


_ALLOW_SETUP = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL);\n"


@rule(
    "MM002", "allow-without-reason", ERROR, ALL,
    title="An allow directive without a reason",
    why="""
        `-- modmig: allow RULE` switches a safety check off for one statement. Without a reason
        the next reader cannot tell a considered decision from a way to make CI green, and nobody
        can judge whether the reason still holds when the table grows. An allow without a reason
        suppresses nothing.
    """,
    fix="""
        Say why, after `because`: `-- modmig: allow DS101 because the table was replaced by
        orders_v2 in 0007 and nothing reads it`.
    """,
    bad="-- modmig: allow DS101\nDROP TABLE orders;\n",
    safe="-- modmig: allow DS101 because orders was replaced by orders_v2 and nothing reads it\nDROP TABLE orders;\n",
    setup=_ALLOW_SETUP,
)
def allow_without_reason(ctx):
    return ()


@rule(
    "MM003", "allow-unknown-rule", ERROR, ALL,
    title="An allow directive naming no known rule",
    why="""
        A misspelt rule id suppresses nothing, so the finding it was meant for stays (or worse, the
        directive silently outlives a renamed rule). Rule ids are stable: `PG104` means the same
        check in every release.
    """,
    fix="""
        Use the id or slug `modmig lint --list-rules` prints, e.g. `DS101` or `drop-table`.
    """,
    bad="-- modmig: allow DS1O1 because orders was replaced by orders_v2\nDROP TABLE orders;\n",
    safe="-- modmig: allow drop-table because orders was replaced by orders_v2\nDROP TABLE orders;\n",
    setup=_ALLOW_SETUP,
)
def allow_unknown_rule(ctx):
    return ()


@rule(
    "MM004", "unused-allow", WARNING, ALL,
    title="An allow directive that suppresses nothing",
    why="""
        A directive whose statement no longer triggers the rule (the statement changed, or the
        directive sits above the wrong statement) is noise today and a hidden hole tomorrow: it
        will silence the next, unrelated finding of that rule on that statement.
    """,
    fix="""
        Remove the directive, or move it directly above the statement it is about (or after the
        statement, on its last line).
    """,
    bad="-- modmig: allow DS101 because nothing reads it\nCREATE INDEX orders_customer_idx ON orders (customer_id);\n",
    safe="CREATE INDEX orders_customer_idx ON orders (customer_id);\n",
    setup=_ALLOW_SETUP,
)
def unused_allow(ctx):
    return ()
