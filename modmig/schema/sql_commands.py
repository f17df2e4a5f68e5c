"""Effects of the statements sqlglot reads as opaque commands, read word by word.

Trigger and function bodies, ``ALTER TYPE``, ``ALTER SEQUENCE``, ``ALTER TABLE ... RENAME
CONSTRAINT``, MySQL's ``RENAME TABLE`` and ``REPLACE INTO``: sqlglot keeps these as a
``Command`` (the rest of the statement as one string), so this module reads them with a small
lexer of its own (words, quoted names, strings, dollar-quoted bodies, punctuation).

The names a trigger or function *body* writes or reads are a heuristic (a name after ``INTO``,
``UPDATE``, ``FROM``, ``JOIN``): they are offered as references, and the ownership fold keeps
only those that name a table or view that exists at that point. Anything else is an ``unknown``
effect: the statement is listed as not understood, never guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from .sql_effects import Effect, unknown

_LEXEME = re.compile(
    r"""
      (?P<space>\s+|--[^\n]*|\#[^\n]*|/\*.*?\*/)
    | (?P<dollar>\$(?P<tag>[A-Za-z_]\w*)?\$.*?\$(?P=tag)?\$)
    | (?P<string>'(?:''|\\.|[^'\\])*')
    | (?P<quoted>"(?:""|[^"])*"|`(?:``|[^`])*`|\[[^\]]*\])
    | (?P<word>[A-Za-z_][\w$]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
#: Words after which a body names the table it writes or reads.
_BODY_TABLE_BEFORE = {"INTO", "UPDATE", "FROM", "JOIN", "TABLE"}
#: Words that follow those without being a table (``UPDATE OF col``, ``DELETE FROM`` is fine).
_NOT_A_NAME = {"SET", "OF", "ON", "SELECT", "VALUES", "WHERE", "NEW", "OLD", "ONLY", "LATERAL", "IF"}
#: ``ALTER TABLE t <word>`` forms that change nothing the map tracks (besides the table itself).
_ALTER_TABLE_UNDERSTOOD = {"OWNER", "ENABLE", "DISABLE", "SET", "RESET", "CLUSTER", "REPLICA", "FORCE", "NO", "INHERIT", "VALIDATE", "ENGINE", "COMMENT", "AUTO_INCREMENT", "CONVERT", "CHARACTER", "DEFAULT"}
#: Statements that change no schema object and read no table.
_QUIET = {"GRANT", "REVOKE", "VACUUM", "ANALYZE", "ANALYSE", "CHECKPOINT", "DISCARD", "RESET", "SET", "BEGIN", "COMMIT", "START", "SAVEPOINT", "RELEASE", "ROLLBACK", "OPTIMIZE", "FLUSH", "NOTIFY", "LISTEN"}


@dataclass(frozen=True)
class Lexeme:
    kind: str  # word, quoted, string, dollar, other
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


def lex(text: str) -> list[Lexeme]:
    return [Lexeme(match.lastgroup if match.lastgroup != "tag" else "dollar", match.group()) for match in _LEXEME.finditer(text) if match.lastgroup != "space"]


def mentions(text: str, names) -> list[str]:
    """Every name the statement mentions, normalised, once each (for statements not understood)."""
    return _Words(lex(text), names).mentions(0)


def command_effects(text: str, names) -> list[Effect]:
    """Effects of one statement sqlglot could not turn into a tree (``names``: the dialect's SqlSyntax)."""
    reader = _Words(lex(text), names)
    words = reader.leading_words(6)
    if not words:
        return []
    if words[0] in _QUIET or words[:2] in (["CREATE", "EXTENSION"], ["CREATE", "SCHEMA"], ["DROP", "EXTENSION"], ["DROP", "SCHEMA"]):
        return []
    create = reader.after_create()
    if create == "TRIGGER":
        return reader.trigger()
    if create in ("FUNCTION", "PROCEDURE"):
        return reader.function()
    if create == "DOMAIN":
        return [Effect("create", "type", reader.name_after(reader.position))]
    if words[0] == "ALTER" and len(words) > 1:
        return reader.alter(words[1])
    if words[0] == "RENAME" and words[1:2] == ["TABLE"]:
        return reader.rename_tables()
    if words[0] == "REPLACE" and "INTO" in words:
        return reader.replace_into()
    if words[0] == "LOCK" and words[1:2] == ["TABLE"]:
        return [Effect("refer", "table", reader.name_after(2))]
    return [unknown(reader.mentions(0))]


class _Words:
    """A cursor over one statement's lexemes."""

    def __init__(self, lexemes: list[Lexeme], names) -> None:
        self.lexemes, self.names, self.position = lexemes, names, 0

    def leading_words(self, count: int) -> list[str]:
        return [lexeme.upper for lexeme in self.lexemes[:count]]

    def is_name(self, index: int) -> bool:
        return 0 <= index < len(self.lexemes) and self.lexemes[index].kind in ("word", "quoted")

    def name_at(self, index: int) -> tuple[str, int]:
        """The (possibly qualified) name starting at ``index``, and the index after it."""
        parts = []
        while self.is_name(index):
            lexeme = self.lexemes[index]
            quoted = lexeme.kind == "quoted"
            parts.append(self.names.normal(lexeme.text[1:-1] if quoted else lexeme.text, quoted))
            if index + 1 < len(self.lexemes) and self.lexemes[index + 1].text == ".":
                index += 2
                continue
            index += 1
            break
        if len(parts) > 1 and parts[0] in ("main", "temp"):
            parts = parts[1:]  # SQLite's schema names
        return ".".join(parts), index

    def mentions(self, start: int) -> list[str]:
        found = set()
        for index in range(start, len(self.lexemes)):
            lexeme = self.lexemes[index]
            if lexeme.kind == "dollar":  # a body: DO $$ ... $$ may create anything it names
                found.update(_Words(lex(_dollar_body(lexeme.text)), self.names).mentions(0))
            elif self.is_name(index):
                quoted = lexeme.kind == "quoted"
                found.add(self.names.normal(lexeme.text[1:-1] if quoted else lexeme.text, quoted))
        return sorted(found)

    def name_after(self, index: int) -> str:
        return self.name_at(self.skip(index, ("IF", "NOT", "EXISTS", "ONLY")))[0]

    def skip(self, index: int, words: tuple[str, ...]) -> int:
        while index < len(self.lexemes) and self.lexemes[index].upper in words:
            index += 1
        return index

    def find(self, word: str, start: int = 0) -> int | None:
        return next((i for i in range(start, len(self.lexemes)) if self.lexemes[i].upper == word), None)

    def after_create(self) -> str | None:
        """For ``CREATE [OR REPLACE] [DEFINER = x] [TEMP] KIND``: KIND, with the cursor after it."""
        if not self.lexemes or self.lexemes[0].upper != "CREATE":
            return None
        index = 1
        while index < len(self.lexemes):
            word = self.lexemes[index].upper
            if word in ("OR", "REPLACE", "TEMP", "TEMPORARY", "CONSTRAINT", "AGGREGATE"):
                index += 1
            elif word == "DEFINER":  # MySQL: DEFINER = user@host
                index += 2
                while index < len(self.lexemes) and self.lexemes[index].upper not in ("TRIGGER", "FUNCTION", "PROCEDURE"):
                    index += 1
            else:
                self.position = index + 1
                return word
        return None

    def trigger(self) -> list[Effect]:
        flags = frozenset({"or replace"}) if self.find("REPLACE", 0) == 2 else frozenset()
        if self.lexemes[self.position].upper == "IF":
            flags |= {"if not exists"}
        name, after = self.name_at(self.skip(self.position, ("IF", "NOT", "EXISTS")))
        on = self.find("ON", after)
        if not name or on is None:
            return [unknown(self.mentions(0))]
        table, body = self.name_at(on + 1)
        return [Effect("create", "trigger", name, table=table, refs=tuple(self.body_refs(body)), flags=flags)]

    def function(self) -> list[Effect]:
        name, after = self.name_at(self.skip(self.position, ("IF", "NOT", "EXISTS")))
        flags = frozenset({"or replace"}) if self.lexemes[1].upper == "OR" else frozenset()
        return [Effect("create", "function", name, refs=tuple(self.body_refs(after)), flags=flags)]

    def body_refs(self, start: int) -> Iterator[tuple[str, str]]:
        """Tables a body writes or reads (heuristic, see the module docstring), and functions it runs."""
        seen: dict[tuple[str, str], None] = {}
        for index in range(start, len(self.lexemes)):
            lexeme = self.lexemes[index]
            if lexeme.kind in ("dollar", "string") and len(lexeme.text) > 8:
                inner = _dollar_body(lexeme.text) if lexeme.kind == "dollar" else lexeme.text[1:-1]
                for ref in _Words(lex(inner), self.names).body_refs(0):
                    seen[ref] = None
            elif lexeme.upper in _BODY_TABLE_BEFORE and self.is_name(index + 1) and self.lexemes[index + 1].upper not in _NOT_A_NAME:
                seen[("table", self.name_at(index + 1)[0])] = None
            elif lexeme.upper == "EXECUTE" and index + 2 < len(self.lexemes) and self.lexemes[index + 1].upper in ("FUNCTION", "PROCEDURE"):
                seen[("function", self.name_at(index + 2)[0])] = None
        yield from seen

    def alter(self, kind: str) -> list[Effect]:
        name, after = self.name_at(self.skip(2, ("IF", "EXISTS", "ONLY")))
        rest = [lexeme.upper for lexeme in self.lexemes[after:]]
        if kind in ("TYPE", "SEQUENCE", "FUNCTION", "PROCEDURE", "VIEW", "INDEX"):
            kind_name = {"PROCEDURE": "function"}.get(kind, kind.lower())
            if rest[:2] == ["RENAME", "TO"]:
                return [Effect("rename", kind_name, name, new_name=self.name_at(after + 2)[0])]
            return [Effect("alter", kind_name, name)]
        if kind != "TABLE":
            return [unknown(self.mentions(0))]
        if rest[:2] == ["RENAME", "CONSTRAINT"]:
            old, position = self.name_at(after + 2)
            return [Effect("rename", "constraint", old, table=name, new_name=self.name_at(position + 1)[0])]
        altered = Effect("alter", "table", name)
        if rest and rest[0] in _ALTER_TABLE_UNDERSTOOD:
            return [altered]
        return [altered, unknown(self.mentions(after))]

    def rename_tables(self) -> list[Effect]:
        effects, index = [], 2
        while self.is_name(index):
            old, index = self.name_at(index)
            if index >= len(self.lexemes) or self.lexemes[index].upper != "TO":
                break
            new, index = self.name_at(index + 1)
            effects.append(Effect("rename", "table", old, new_name=new))
            if index < len(self.lexemes) and self.lexemes[index].text == ",":
                index += 1
        return effects

    def replace_into(self) -> list[Effect]:
        into = self.find("INTO")
        written, after = self.name_at(into + 1)
        refs = [ref for ref in self.body_refs(after) if ref[1] != written]
        return [Effect("write", "table", written), *(Effect("refer", kind, name) for kind, name in refs)]


def _dollar_body(text: str) -> str:
    """``$tag$ body $tag$`` -> `` body ``."""
    return text[text.index("$", 1) + 1 : text.rindex("$", 0, len(text) - 1)]
