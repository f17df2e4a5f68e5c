"""How names read in one SQL dialect: sqlglot's tree and tokens of a statement, normalised names.

PostgreSQL keeps the case of quoted identifiers and folds the rest to lower case; SQLite and
MySQL compare names without case. Everything that reads statements for the ownership map asks
these questions through one ``SqlSyntax`` per dialect, so two spellings the database treats as
one name are one name in the map. Trees and tokens are cached per statement text: the same
statement is read for its effects once per process, and a map of 1,000 migrations reads 1,000.
"""

from __future__ import annotations

import logging
from functools import lru_cache

#: modmig backend name -> sqlglot dialect.
DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql"}

# sqlglot warns on every statement it reads as an opaque Command; those are read token by token.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


class SqlSyntax:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.sqlglot_dialect = DIALECTS.get(dialect, dialect)

    def parse(self, text: str):
        """sqlglot's tree of one statement, or None when it does not parse as exactly one."""
        return parse(text, self.sqlglot_dialect)

    def tokens(self, text: str) -> tuple:
        return tokenize(text, self.sqlglot_dialect)

    def normal(self, text: str, quoted: bool) -> str:
        """A name as the database compares it."""
        return text if (quoted and self.dialect == "postgresql") else text.lower()

    def ident(self, node) -> str:
        """The normalised name of an Identifier (or anything with a name)."""
        from sqlglot import exp

        if isinstance(node, exp.Identifier):
            return self.normal(node.this, bool(node.quoted))
        return str(getattr(node, "name", node)).lower()

    def table(self, node) -> str:
        """``name`` or ``schema.name`` of a Table node (a Schema's table, too)."""
        from sqlglot import exp

        if isinstance(node, exp.Schema):
            node = node.this
        if not isinstance(node, exp.Table):
            return self.ident(node)
        parts = [node.args.get("db"), node.this]
        return ".".join(self.ident(part) for part in parts if part is not None)


@lru_cache(maxsize=8192)
def parse(text: str, dialect: str):
    """sqlglot's tree for one statement in a sqlglot dialect, or None; cached (squash folding
    parses up, down and cleanup statements alike, the ownership map each statement once)."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import SqlglotError

    tokens = tokenize(text, dialect)
    if not tokens:
        return None
    try:
        parsed = Dialect.get_or_raise(dialect).parser().parse(list(tokens), text)
    except (SqlglotError, ValueError, RecursionError):
        return None
    return parsed[0] if len(parsed) == 1 else None


@lru_cache(maxsize=8192)
def tokenize(text: str, dialect: str) -> tuple:
    """sqlglot's tokens of a statement, or () when it cannot be tokenized; cached."""
    from sqlglot.dialects.dialect import Dialect
    from sqlglot.errors import SqlglotError

    try:
        return tuple(Dialect.get_or_raise(dialect).tokenize(text))
    except (SqlglotError, ValueError):
        return ()
