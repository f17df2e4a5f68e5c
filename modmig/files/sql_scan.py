"""Split a script on its semicolons with one regular expression per dialect: the fast path.

Why it exists: sqlparse's tokenizer classifies every word, number and punctuation mark of a
script in Python, about 0.7 ms per line of a typical ``INSERT``; a 5 MB data file of 50,000
INSERTs took 40 s to split, thirty times what SQLite took to run it. Yet for such a script the
only things that matter for splitting are where strings, quoted names and comments begin and end
(a ``;`` inside them ends nothing), and parentheses. One compiled regular expression finds exactly
those, and the Python loop only visits them: the same 5 MB split in well under a second.

What it does not know, it hands back: ``scan`` returns None, and the caller uses the tokenizer,
when a script has a block body (``BEGIN``, ``DECLARE``, ``GO``: trigger, function and procedure
bodies, where a ``;`` does not end the statement), a quote or comment that never closes,
parentheses that do not balance at a ``;``, or a ``DELIMITER`` line. So the two paths agree on
every script this one accepts; ``tests/files/test_splitter.py`` runs every case through both.

The lexical rules follow each database, as the tokenizer's do (see ``splitter``): doubled quotes
in every dialect, backslash escapes in MySQL strings and PostgreSQL ``E'...'`` strings,
``$tag$ ... $tag$`` bodies on PostgreSQL, ``#`` comments on MySQL, backquoted and ``[bracketed]``
names everywhere (the tokenizer's generic rules). What the tokenizer would read differently from
this expression (a ``$`` outside PostgreSQL, a lone ``#``) sends the script to the tokenizer.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Tuple


#: A statement found by the scanner: its text (no final ``;``) and the file line it starts on.
Piece = Tuple[str, int]


#: What a ``;`` inside of ends nothing, per dialect, as the tokenizer's lexers say (``splitter``).
_NAMES = [r"`[^`]*(?:``[^`]*)*`", r"(?<![\w\])])\[[^\]\[]+\]"]
# Written as "unrolled loops" ('[^']*(?:''[^']*)*'): one way to match, and fast in Python's re.
_STANDARD_STRING, _STANDARD_NAME = r"'[^']*(?:''[^']*)*'", r'"[^"]*(?:""[^"]*)*"'
_ESCAPED_STRING = r"'[^'\\]*(?:(?:''|\\.)[^'\\]*)*'"
_STRINGS = {
    "sqlite": [_STANDARD_STRING, _STANDARD_NAME, *_NAMES],
    "postgresql": [
        r"(?<![\w$])[Ee]" + _ESCAPED_STRING,
        _STANDARD_STRING,
        _STANDARD_NAME,
        *_NAMES,
        r"(?<![\w\"$])\$(?P<tag>[A-Za-z_]\w*)?\$.*?\$(?P=tag)\$",
    ],
    "mysql": [r"#[^\n]*", _ESCAPED_STRING, r'"[^"\\]*(?:(?:""|\\.)[^"\\]*)*"', *_NAMES],
}
#: Anything else the tokenizer treats specially: a quote, comment or body that never closes, a
#: ``$`` (dollar quoting, in every dialect's tokenizer), ``#`` (a comment there when followed by a
#: space), the acute-accent quote.
_ODD = {
    "sqlite": r"['\"`´$#]|/\*",
    "postgresql": r"['\"`´$#]|/\*",
    "mysql": r"['\"`´$]|/\*",
}
#: Words that open a block whose semicolons do not end the statement (and GO, which ends one).
_BLOCK_WORDS = r"\b(?:BEGIN|DECLARE|GO|DELIMITER)\b"
_MAY_HAVE_BLOCKS = re.compile(_BLOCK_WORDS, re.IGNORECASE)


@lru_cache(maxsize=None)
def _scanner(dialect: str, with_blocks: bool) -> re.Pattern:
    skipped = "|".join([r"--[^\n]*", r"/\*.*?\*/", *_STRINGS[dialect]])
    parts = [rf"(?P<skip>{skipped})", r"(?P<semi>;)", r"(?P<open>\()", r"(?P<close>\))"]
    if with_blocks:
        parts.append(rf"(?P<block>{_BLOCK_WORDS})")
    parts.append(rf"(?P<lone>{_ODD[dialect]})")
    return re.compile("|".join(parts), re.DOTALL | re.IGNORECASE)


_COMMENT_START = ("--", "/*", "#")


def scan(script: str, first_line: int, dialect: str) -> list[Piece] | None:
    """The statements of ``script``, or None when only the tokenizer can split it (see above)."""
    if not may_have_blocks(script):
        found = _scan_statements(script, first_line, dialect)
        if found is not None:
            return found
    return _scan_tokens(script, first_line, dialect)


def may_have_blocks(script: str) -> bool:
    """False when no block word can be in ``script``: searching plain lowercase text for the words
    costs a tenth of the case-insensitive regular expression, which only confirms a hit. The
    tokenizer ends a statement at GO only in capitals."""
    lowered = script.lower()
    if not any(word in lowered for word in ("begin", "declare", "delimiter")) and "GO" not in script:
        return False
    return _MAY_HAVE_BLOCKS.search(script) is not None


# -- one match per statement ----------------------------------------------------------------------
#
# The statement expression is the "unrolled loop" ``ordinary* (special ordinary*)*``: runs of
# ordinary characters are maximal between special constructs, so there is one way to match a
# statement and a failure costs linear time, never catastrophic backtracking. Parentheses are
# ordinary here; a script whose ``(`` and ``)`` do not pair up goes to ``_scan_tokens``, which
# follows their depth the way the tokenizer does.

#: Characters that may start something special, per dialect (all else is ordinary).
_SPECIAL = {"sqlite": "'\"`´$#\\[/;-", "postgresql": "'\"`´$#\\[/;eE-", "mysql": "'\"`´$#\\[/;-"}
#: Special characters that are harmless alone (they start nothing here).
_HARMLESS = {
    "sqlite": [r"-(?!-)", r"/(?!\*)", r"\[", r"\\"],
    "postgresql": [r"-(?!-)", r"/(?!\*)", r"\[", r"\\", r"[eE](?!')"],
    "mysql": [r"-(?!-)", r"/(?!\*)", r"\[", r"\\"],
}


@lru_cache(maxsize=None)
def _statement_pattern(dialect: str) -> re.Pattern:
    ordinary = "[^" + re.escape(_SPECIAL[dialect]).replace("]", "\\]") + "]*"
    special = "|".join([r"--[^\n]*", r"/\*.*?\*/", *_STRINGS[dialect], *_HARMLESS[dialect]])
    lead = r"(?:\s+|--[^\n]*|/\*.*?\*/" + (r"|#[^\n]*" if dialect == "mysql" else "") + ")*"
    return re.compile(
        rf"(?P<lead>{lead})(?P<body>{ordinary}(?:(?:{special}){ordinary})*)(?P<end>;|\Z)", re.DOTALL
    )


def _scan_statements(script: str, first_line: int, dialect: str) -> list[Piece] | None:
    pattern = _statement_pattern(dialect)
    lead_at, body_at, end_at = (pattern.groupindex[name] - 1 for name in ("lead", "body", "end"))
    found = pattern.findall(script)  # one tuple per statement, built in C: no Match objects
    pieces: list[Piece] = []
    line, covered = first_line, 0
    for groups in found:
        lead, body = groups[lead_at], groups[body_at]
        line += lead.count("\n")
        text = body.rstrip()
        if text:
            if text.count("(") != text.count(")"):
                return None  # parentheses the tokenizer may read as spanning the ";": let it decide
            pieces.append((text, line))
        line += body.count("\n")
        covered += len(lead) + len(body) + len(groups[end_at])
    if covered != len(script):  # a gap: something only the tokenizer knows (a lone quote, a $, a #)
        return None
    return pieces


# -- one match per token (a fallback: accurate parentheses) -------------------------------------


def _scan_tokens(script: str, first_line: int, dialect: str) -> list[Piece] | None:
    scanner = _scanner(dialect, _MAY_HAVE_BLOCKS.search(script) is not None)
    pieces: list[Piece] = []
    depth = 0
    start: int | None = None  # where the current statement's first meaningful character is
    position = 0  # everything before this has been looked at for a statement start
    comment_marks = _COMMENT_START if dialect == "mysql" else _COMMENT_START[:2]
    for match in scanner.finditer(script):
        kind = match.lastgroup
        if start is None:
            start = _first_meaningful(script, position, match.start())
            if start is None and not (kind == "skip" and match.group().startswith(comment_marks)):
                start = match.start() if kind != "semi" else None
        if kind == "skip":
            position = match.end()
            continue
        if kind == "semi":
            if depth:
                return None  # the tokenizer would not end the statement here
            if start is not None:
                pieces.append((script[start : match.start()].rstrip(), start))
            start, position = None, match.end()
        elif kind == "open":
            depth += 1
            position = match.end()
        elif kind == "close":
            depth -= 1
            if depth < 0:
                return None
            position = match.end()
        else:  # a block word, or a quote / comment that never closes
            return None
    if start is None:
        start = _first_meaningful(script, position, len(script))
    if start is not None:
        if depth:
            return None
        pieces.append((script[start:].rstrip(), start))
    return _with_lines(pieces, script, first_line)


def _first_meaningful(script: str, begin: int, end: int) -> int | None:
    """The first character in script[begin:end] that is not whitespace, or None."""
    for index in range(begin, end):
        if not script[index].isspace():
            return index
    return None


def _with_lines(pieces: list[Piece], script: str, first_line: int) -> list[Piece]:
    """Turn each piece's start offset into its file line, counting newlines once over the script."""
    found = []
    line, counted = first_line, 0
    for text, offset in pieces:
        line += script.count("\n", counted, offset)
        counted = offset
        found.append((text, line))
    return found
