"""Split a SQL script into statements, keeping the line each one starts on.

sqlparse's tokenizer does the real work, so semicolons inside strings, quoted identifiers,
comments, PostgreSQL dollar-quoted bodies (``$$ ... $$``, ``$body$ ... $body$``) and
``BEGIN ... END`` bodies of triggers, functions and procedures are not statement ends. Line numbers
count from the start of the migration file, so an error can point at ``file:line``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlparse import lexer
from sqlparse import tokens as T
from sqlparse.engine import StatementSplitter


@dataclass(frozen=True)
class Statement:
    """One statement of a script: its text (without the final ``;``) and its first line."""

    text: str
    line: int


def split_statements(script: str, first_line: int = 1) -> list[Statement]:
    """The statements of ``script``; ``first_line`` is the file line the script starts on.

    Comment-only fragments (a trailing comment, say) are dropped: they are not statements.
    Results are cached (statements are immutable): a run splits a script to plan, to resume and
    to execute it, and squash verification splits each original several times.
    """
    return list(_split(script, first_line))


@lru_cache(maxsize=4096)
def _split(script: str, first_line: int) -> tuple[Statement, ...]:
    if not script.strip():
        return ()
    statements: list[Statement] = []
    line = first_line
    for parsed in StatementSplitter().process(lexer.tokenize(script)):
        raw = str(parsed)
        start_line = None
        for token in parsed.flatten():
            if start_line is None and _is_meaningful(token):
                start_line = line
            line += token.value.count("\n")
        if start_line is None:
            continue
        text = raw.strip()
        if text.endswith(";"):
            text = text[:-1].rstrip()
        statements.append(Statement(text=text, line=start_line))
    return tuple(statements)


def _is_meaningful(token) -> bool:
    """False for whitespace, comments and a bare ``;``: they cannot start a statement."""
    if token.is_whitespace or token.ttype in T.Comment:
        return False
    return not (token.ttype is T.Punctuation and token.value == ";")
