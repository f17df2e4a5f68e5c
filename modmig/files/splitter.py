"""Split a SQL script into statements the way each database reads it, keeping the line of each.

sqlparse's tokenizer and statement splitter do the real work, so semicolons inside strings, quoted
identifiers, comments, PostgreSQL dollar-quoted bodies (``$$ ... $$``, ``$body$ ... $body$``) and
``BEGIN ... END`` bodies of triggers, functions and procedures are not statement ends. Where the
databases disagree, a lexer per dialect follows the database:

* strings: PostgreSQL and SQLite double a quote to escape it and treat a backslash as an ordinary
  character (``'C:\\'`` is a complete string); PostgreSQL ``E'...'`` strings and MySQL strings use
  backslash escapes (``'it\\'s'``).
* comments: MySQL also has ``#`` comments.
* blocks: MySQL's ``REPEAT ... END REPEAT`` is a block like ``LOOP ... END LOOP``.

``DELIMITER`` is a command of the ``mysql`` command-line client, not SQL: the server never sees
it. modmig does not need it (bodies are recognised by their ``BEGIN ... END``), so a
``DELIMITER`` line is refused with a message saying so rather than sent to the server.

Line numbers count from the start of the migration file, so an error can point at ``file:line``.

Most migration scripts have none of that: no quote, no comment, no block. For them every ``;``
outside parentheses ends a statement in every dialect, and splitting on it gives exactly what the
tokenizer gives at a fraction of the cost (sqlparse took 0.13 ms for a one-line ``CREATE INDEX``,
a fifth of modmig's own time per migration in a fresh upgrade). Scripts with quotes and comments
but no block body (data files of INSERTs, above all) go through ``sql_scan``'s one regular
expression instead: the tokenizer took 40 s for a 5 MB file of INSERTs. Only scripts with
``BEGIN ... END`` bodies (and what the scanner does not know) need the tokenizer
(``sql_tokenized``, imported only then: sqlparse's import alone is a third of ``modmig status``'s).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from .sql_scan import scan

DIALECTS = ("sqlite", "postgresql", "mysql")

_DELIMITER_LINE = re.compile(r"^[ \t]*DELIMITER[ \t]+\S+[ \t]*$", re.IGNORECASE | re.MULTILINE)

class ScriptError(ValueError):
    """The script cannot be split for this database; ``line`` is the file line at fault."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.message, self.line = message, line


class Statement(NamedTuple):
    """One statement of a script: its text (without the final ``;``) and its first line.

    A named tuple rather than a dataclass: a data file makes tens of thousands of them, and a
    frozen dataclass took a third of the time of splitting one.
    """

    text: str
    line: int


def split_statements(script: str, first_line: int = 1, dialect: str = "sqlite") -> list[Statement]:
    """The statements of ``script``; ``first_line`` is the file line the script starts on.

    Comment-only fragments (a trailing comment, say) are dropped: they are not statements.
    Raises ScriptError for a MySQL ``DELIMITER`` line. Results are cached (statements are
    immutable): a run splits a script to plan, to resume and to execute it, and squash
    verification splits each original several times.
    """
    return list(_split(script, first_line, dialect))


@lru_cache(maxsize=4096)
def _split(script: str, first_line: int, dialect: str) -> tuple[Statement, ...]:
    if not script.strip():
        return ()
    if dialect not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    if dialect == "mysql" and "delimiter" in script.lower():
        _refuse_delimiter(script, first_line)
    if not _NEEDS_TOKENIZER.search(script):
        plain = _split_plain(script, first_line)
        if plain is not None:
            return plain
    scanned = scan(script, first_line, dialect)
    if scanned is not None:
        return tuple(map(Statement._make, scanned))
    from .sql_tokenized import split_tokenized  # sqlparse: imported only for block bodies

    return tuple(map(Statement._make, split_tokenized(script, first_line, dialect)))


#: What can make a ``;`` not end a statement, or a statement end without one, in any dialect's
#: tokenizer: quotes and bracketed identifiers, comments (``--``, ``/* */``, MySQL ``#``), dollar
#: quoting, and the keywords the splitter tracks to find ``BEGIN ... END`` bodies (plus ``GO``).
_NEEDS_TOKENIZER = re.compile(
    r"""['"`$\[#]|--|/\*|\b(?:BEGIN|DECLARE|END|IF|CASE|LOOP|FOR|WHILE|DO|REPEAT|GO|DELIMITER)\b""",
    re.IGNORECASE,
)


def _split_plain(script: str, first_line: int) -> tuple[Statement, ...] | None:
    """Split a script free of everything ``_NEEDS_TOKENIZER`` looks for on its semicolons.

    None when a piece's parentheses do not balance (the tokenizer does not split inside them).
    """
    statements = []
    line = first_line
    for piece in script.split(";"):
        text = piece.strip()
        if text:
            if not _balanced(text):
                return None
            leading = piece[: len(piece) - len(piece.lstrip())]
            statements.append(Statement(text=text, line=line + leading.count("\n")))
        line += piece.count("\n")
    return tuple(statements)


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _refuse_delimiter(script: str, first_line: int) -> None:
    match = _DELIMITER_LINE.search(script)
    if match:
        line = first_line + script.count("\n", 0, match.start())
        raise ScriptError(
            f"'{match.group().strip()}' is a command of the mysql command-line client, not SQL. "
            f"modmig sends each statement to the server itself and recognises BEGIN ... END "
            f"bodies, so remove the DELIMITER lines and end every statement (including the "
            f"body's last END) with ';'.",
            line,
        )
