"""The per-object model the folder builds: tables and indexes as the user wrote them.

A table is its ``CREATE TABLE`` head, one element per column or table constraint (each keeping the
user's own text), and its tail; an index is its ``CREATE INDEX`` text. ``Sql`` and ``Carried`` are
what a fold produces: statements, and barriers that are not SQL (carried Python steps).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONSTRAINT_NAME = re.compile(r"\bCONSTRAINT\s+[`\"\[]?(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Sql:
    """One statement of the squash."""

    text: str


@dataclass(frozen=True)
class Carried:
    """A barrier that is not SQL (a Python migration), kept at its place."""

    item: object


@dataclass
class Element:
    """One column definition or table constraint, as written."""

    text: str
    column: str | None = None  # normalised column name, for a column definition
    constraint: str | None = None  # normalised constraint name, for a named constraint
    refs: frozenset = frozenset()  # tables named after REFERENCES in ``text``


@dataclass
class Table:
    key: str
    head: str  # "CREATE TABLE name ("
    elements: list[Element]
    tail: str  # ")" plus any table options
    created: int
    pinned: bool = False

    def references(self) -> set[str]:
        found = set()
        for element in self.elements:
            found |= element.refs
        found.discard(self.key)
        return found

    def constraint_names(self) -> set[str]:
        """Names of its constraints, table- or column-level, lowercased: a statement naming one
        (``SET CONSTRAINTS c_p_fk IMMEDIATE``, ``COMMENT ON CONSTRAINT``) refers to this table."""
        names = {element.constraint.lower() for element in self.elements if element.constraint}
        for element in self.elements:
            names.update(name.lower() for name in _CONSTRAINT_NAME.findall(element.text))
        return names

    def text(self) -> str:
        body = ",\n    ".join(element.text for element in self.elements)
        return f"{self.head.rstrip()}\n    {body}\n{self.tail.lstrip()}"


@dataclass
class Index:
    key: str
    table: str
    text: str
    created: int
    pinned: bool = False
