"""How names read in one SQL dialect, for the folder: tokens, normalised names, object keys.

PostgreSQL keeps the case of quoted identifiers and folds the rest to lower case; SQLite and MySQL
compare names without case. MySQL index names belong to their table, elsewhere to the schema. The
folder (``folding.py``) asks these questions through one ``SqlNames`` per dialect, so that it
never compares two names the database would treat differently.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.tokens import TokenType

from .sql_pieces import NAME_TOKENS, tokenize

#: modmig backend name -> sqlglot dialect.
DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql"}


class SqlNames:
    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.sqlglot_dialect = DIALECTS.get(dialect, dialect)

    def referenced_tables(self, text: str) -> set[str]:
        tokens = self.tokens(text)
        found = set()
        for index, token in enumerate(tokens[:-1]):
            if token.text.upper() == "REFERENCES":
                found.add(self.norm(tokens[index + 1]))
        return found

    def tokens(self, text: str):
        return tokenize(text, self.sqlglot_dialect)

    def rewrite(self, text: str, matches, replacement: str, first_only: bool = False) -> str:
        """``text`` with each name token for which ``matches(i, tokens)`` holds replaced."""
        tokens = self.tokens(text)
        out, last = [], 0
        for index, token in enumerate(tokens):
            if token.token_type in NAME_TOKENS and matches(index, tokens):
                out.append(text[last : token.start])
                out.append(replacement)
                last = token.end + 1
                if first_only:
                    break
        out.append(text[last:])
        return "".join(out)

    def norm(self, token) -> str:
        if token.token_type == TokenType.IDENTIFIER and self.dialect == "postgresql":
            return token.text
        return token.text.lower()

    def name(self, node) -> str:
        if isinstance(node, exp.Identifier):
            return node.this if (node.quoted and self.dialect == "postgresql") else node.this.lower()
        return str(node.name if hasattr(node, "name") else node).lower()

    def table_key(self, table: exp.Expression) -> str:
        if isinstance(table, exp.Schema):
            table = table.this
        parts = [table.args.get("db"), table.this] if isinstance(table, exp.Table) else [None, table]
        return ".".join(self.name(p) for p in parts if p is not None)

    def index_key(self, name: exp.Expression, table_key: str) -> str:
        # MySQL index names belong to their table; elsewhere to the schema
        key = self.name(name)
        return f"{table_key}/{key}" if self.dialect == "mysql" else key

