"""What one SQL statement does to which schema objects, read from its text (no database).

``statement_effects(text, dialect)`` parses one statement with sqlglot in the project's dialect
and says, in order, which objects it creates, alters, drops, renames, writes rows into, or refers
to. The answer is *syntactic*: ``DROP INDEX i`` names no table, an unnamed constraint has no name
yet, a name in a trigger body may be a table or nothing. Resolving those against the schema built
so far is the ownership fold's job (``ownership_fold.py``), which knows what exists.

What sqlglot reads as an opaque ``Command`` (trigger bodies, functions, ``ALTER TYPE``, MySQL's
``RENAME TABLE``...) is read token by token in ``sql_commands.py``. A statement neither can read
is an ``unknown`` effect listing every name it mentions, so the map can say "unknown" rather than
guess: the fold never lets a statement it does not understand create or own anything.

The tree is read by ``sql_reader.py``. Effects are plain frozen data, so the cache (``ownership_cache.py``) stores them as JSON.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable, NamedTuple

#: The kinds of schema object the map knows, in the order listings show them.
KINDS = ("table", "column", "index", "constraint", "view", "trigger", "sequence", "type", "function")
#: What a statement does to an object.
ACTIONS = ("create", "alter", "drop", "rename", "write", "refer", "unknown")

class Effect(NamedTuple):
    """One thing a statement does to one object (see the module docstring for what is resolved later).

    ``name`` is normalised the way the dialect compares names; a column is ``"table.column"``;
    an index, constraint or trigger is its own name with ``table`` set when the statement says
    it; ``""`` for a constraint or index the database will name. ``refs`` are ``(kind, name)``
    pairs the object refers to (a foreign key's table and columns, a view's tables, the tables a
    trigger body writes), or, for an ``unknown`` effect, every name the statement mentions
    (kind ``"?"``). A named tuple, not a dataclass: a cached map of 1,000 migrations builds
    thousands of them, and a tuple is built several times faster.
    """

    action: str
    kind: str
    name: str
    table: str | None = None
    #: The new name (``rename``).
    new_name: str | None = None
    #: Columns of an index or constraint (expressions as SQL text).
    columns: tuple[str, ...] = ()
    refs: tuple[tuple[str, str], ...] = ()
    #: ``primary key``, ``foreign key``, ``unique`` or ``check`` for a constraint; ``unique``
    #: for a unique index.
    detail: str | None = None
    #: ``if exists``, ``if not exists``, ``or replace``, ``cascade``, ``temporary``.
    flags: frozenset[str] = frozenset()

    def as_json(self) -> list[Any]:
        """The fields in order, trailing defaults left out (the cache's form)."""
        data: list[Any] = [
            self.action, self.kind, self.name, self.table, self.new_name, list(self.columns),
            [list(ref) for ref in self.refs], self.detail, sorted(self.flags),
        ]
        while len(data) > 3 and data[-1] in (None, []):
            data.pop()
        return data

    @classmethod
    def from_json(cls, data: list[Any]) -> "Effect":
        if len(data) <= 5:
            return cls(*data)
        fields = list(data) + [None] * (9 - len(data))
        return cls(
            fields[0], fields[1], fields[2], fields[3], fields[4], tuple(fields[5] or ()),
            tuple((kind, name) for kind, name in fields[6] or ()), fields[7], frozenset(fields[8] or ()),
        )


def unknown(mentions: Iterable[str]) -> Effect:
    """A statement nobody could read: it may have done anything to the names it mentions."""
    return Effect("unknown", "", "", refs=tuple(("?", name) for name in sorted(set(mentions))))


@lru_cache(maxsize=16384)
def statement_effects(text: str, dialect: str) -> tuple[Effect, ...]:
    """The effects of one statement (without its final ``;``) in ``dialect`` ("sqlite", ...)."""
    from sqlglot import exp

    from . import sql_commands
    from .sql_reader import TreeReader
    from .sql_syntax import SqlSyntax

    names = SqlSyntax(dialect)
    tree = names.parse(text)
    if tree is None or isinstance(tree, (exp.Command, exp.Block)):
        return tuple(sql_commands.command_effects(text, names))
    return tuple(TreeReader(names).read(tree, text))
