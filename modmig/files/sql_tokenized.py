"""sqlparse's tokenizer and statement splitter, with a lexer per dialect: the slow, exact path of
``splitter`` for scripts with ``BEGIN ... END`` bodies (triggers, functions, procedures) or what
the faster scanners do not know. Kept apart so that sqlparse is imported only when needed.

Where the databases disagree, the lexer follows the database: PostgreSQL and SQLite double a quote
to escape it; PostgreSQL ``E'...'`` strings and MySQL strings use backslash escapes; MySQL has
``#`` comments and a ``REPEAT ... END REPEAT`` block.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Iterator

from sqlparse import keywords
from sqlparse import tokens as T
from sqlparse.engine import StatementSplitter
from sqlparse.lexer import Lexer

DIALECTS = ("sqlite", "postgresql", "mysql")

# sqlparse's generic rules, replaced per dialect (matched on the rule's regex text).
_GENERIC_SINGLE_QUOTED = r"'(''|\\'|[^'])*'"
_GENERIC_DOUBLE_QUOTED = r'"(""|\\"|[^"])*"'
_GENERIC_DOUBLE_QUOTED_LOOSE = r'(""|".*?[^\\]")'
_STANDARD = {
    _GENERIC_SINGLE_QUOTED: (r"'(''|[^'])*'", T.String.Single),
    _GENERIC_DOUBLE_QUOTED: (r'"(""|[^"])*"', T.String.Symbol),
    _GENERIC_DOUBLE_QUOTED_LOOSE: None,
}
_BACKSLASH_ESCAPES = {
    _GENERIC_SINGLE_QUOTED: (r"'(''|\\.|[^'\\])*'", T.String.Single),
    _GENERIC_DOUBLE_QUOTED: (r'"(""|\\.|[^"\\])*"', T.String.Symbol),
    _GENERIC_DOUBLE_QUOTED_LOOSE: None,
}
#: Rules tried before the generic ones, per dialect.
_FIRST = {
    "sqlite": [],
    "postgresql": [(r"[Ee]'(''|\\.|[^'\\])*'", T.String.Single)],
    "mysql": [(r"#.*?(\r\n|\r|\n|$)", T.Comment.Single)],
}



def split_tokenized(script: str, first_line: int, dialect: str) -> list[tuple[str, int]]:
    stream: Iterable = _lexer(dialect).get_tokens(script)
    if dialect == "mysql":
        stream = _merge_end_repeat(stream)
    statements: list[tuple[str, int]] = []
    line = first_line
    for parsed in StatementSplitter().process(stream):
        start_line = None
        parts = []
        for token in parsed.flatten():
            if start_line is None and _is_meaningful(token):
                start_line = line
            if start_line is not None:  # comments before the statement are not part of it
                parts.append(token.value)
            line += token.value.count("\n")
        if start_line is None:
            continue
        text = "".join(parts).strip()
        if text.endswith(";"):
            text = text[:-1].rstrip()
        statements.append((text, start_line))
    return statements


@lru_cache(maxsize=None)
def _lexer(dialect: str) -> Lexer:
    """A private sqlparse lexer for ``dialect`` (the shared default instance is left alone)."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    replacements = _BACKSLASH_ESCAPES if dialect == "mysql" else _STANDARD
    rules = list(_FIRST[dialect])
    for regex, ttype in keywords.SQL_REGEX:
        if regex in replacements:
            if replacements[regex] is not None:
                rules.append(replacements[regex])
            continue
        rules.append((regex, ttype))
    lexer = Lexer()
    lexer.default_initialization()
    lexer.set_SQL_REGEX(rules)
    return lexer


def _merge_end_repeat(stream: Iterable) -> Iterator:
    """Make ``END REPEAT`` one keyword, so it closes its block instead of the enclosing BEGIN."""
    pending: list = []
    for ttype, value in stream:
        if pending:
            if ttype in T.Whitespace or ttype is T.Newline:
                pending.append((ttype, value))
                continue
            if value.upper() == "REPEAT":
                yield T.Keyword, "".join(v for _, v in pending) + value
                pending = []
                continue
            yield from pending
            pending = []
        if ttype in T.Keyword and value.upper() == "END":
            pending.append((ttype, value))
            continue
        yield ttype, value
    yield from pending


def _is_meaningful(token) -> bool:
    """False for whitespace, comments and a bare ``;``: they cannot start a statement."""
    if token.is_whitespace or token.ttype in T.Comment:
        return False
    return not (token.ttype is T.Punctuation and token.value == ";")
