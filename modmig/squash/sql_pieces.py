"""Token-level views of one SQL statement, for the folder: spans, pieces and name matches.

sqlglot tells the folder *what* a statement is; these helpers find *where* its parts are in the
text the user wrote (token start/end offsets), so the folder can keep that text, and rewrite
single names in it when a rename is followed. Tokens and trees come from ``schema/sql_syntax.py``,
cached per statement text.
"""

from __future__ import annotations

from sqlglot.tokens import TokenType

from ..schema.sql_syntax import parse, tokenize  # noqa: F401  (the folder reads statements through these)

NAME_TOKENS = {TokenType.VAR, TokenType.IDENTIFIER}


def bare(key: str) -> str:
    return key.rsplit("/", 1)[-1].rsplit(".", 1)[-1]


def top_level_list(tokens):
    """(index of '(', index of ')', [(start, end) of each top-level comma-separated piece])."""
    opening = next((i for i, t in enumerate(tokens) if t.token_type == TokenType.L_PAREN), None)
    if opening is None:
        return None
    depth, pieces, start = 0, [], None
    for index in range(opening, len(tokens)):
        token = tokens[index]
        if token.token_type == TokenType.L_PAREN:
            depth += 1
            if depth == 1:
                start = None
                continue
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                if start is not None:
                    pieces.append((start, tokens[index - 1].end + 1))
                return opening, index, pieces
        if depth == 1 and token.token_type == TokenType.COMMA:
            if start is not None:
                pieces.append((start, tokens[index - 1].end + 1))
            start = None
            continue
        if start is None:
            start = token.start
    return None


def action_pieces(tokens):
    """Character spans of the comma-separated actions of ``ALTER TABLE name ...``."""
    if len(tokens) < 4:
        return None
    position = 2
    while position < len(tokens) and tokens[position].token_type in (TokenType.DOT, *NAME_TOKENS) and (
        position == 2 or tokens[position].token_type == TokenType.DOT or tokens[position - 1].token_type == TokenType.DOT
    ):
        position += 1
    pieces, depth, start = [], 0, None
    for index in range(position, len(tokens)):
        token = tokens[index]
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        if depth == 0 and token.token_type == TokenType.COMMA:
            pieces.append((start, tokens[index - 1].end + 1))
            start = None
            continue
        if start is None:
            start = token.start
    if start is not None:
        pieces.append((start, tokens[-1].end + 1))
    return pieces


def strip_words(piece: str, words: tuple[str, ...]) -> str | None:
    """``piece`` without its leading ``words`` (the first is required, the rest optional)."""
    rest = piece.lstrip()
    for position, word in enumerate(words):
        head = rest[: len(word)]
        if head.upper() == word and (len(rest) == len(word) or not (rest[len(word)].isalnum() or rest[len(word)] == "_")):
            rest = rest[len(word) :].lstrip()
        elif position == 0:
            return None
    return rest or None


def after_word(word: str, name: str, norm):
    """Matches the name token right after ``word`` (e.g. the table after REFERENCES or ON)."""
    def matches(index, tokens) -> bool:
        return index > 0 and tokens[index - 1].text.upper() == word and norm(tokens[index]) == name
    return matches


def in_reference(index, tokens) -> tuple[str | None, bool]:
    """(referenced table, True) when token ``index`` is inside ``REFERENCES t (...)``."""
    depth = 0
    for back in range(index - 1, -1, -1):
        token = tokens[back]
        if token.token_type == TokenType.R_PAREN:
            depth += 1
        elif token.token_type == TokenType.L_PAREN:
            if depth == 0:
                if back >= 2 and tokens[back - 2].text.upper() == "REFERENCES":
                    return tokens[back - 1].text, True
                return None, False
            depth -= 1
        elif token.text.upper() == "REFERENCES" and back == index - 1:
            return None, True  # the referenced table's own name
    return None, False


def local_name(name: str, norm):
    """Matches ``name`` as this table's column: not inside another table's REFERENCES clause."""
    def matches(index, tokens) -> bool:
        if norm(tokens[index]) != name:
            return False
        table, inside = in_reference(index, tokens)
        return not inside
    return matches


def referenced_column(table_key: str, name: str, norm):
    """Matches ``name`` inside ``REFERENCES <table_key> (...)``."""
    def matches(index, tokens) -> bool:
        if norm(tokens[index]) != name:
            return False
        table, inside = in_reference(index, tokens)
        return inside and table is not None and table.lower() == bare(table_key)
    return matches


def index_column(name: str, norm):
    """Matches ``name`` in an index's column list or WHERE clause (not its own or its table's name)."""
    def matches(index, tokens) -> bool:
        if norm(tokens[index]) != name:
            return False
        seen_on = any(t.text.upper() == "ON" for t in tokens[: index - 1])
        return seen_on and tokens[index - 1].text.upper() != "ON"
    return matches
