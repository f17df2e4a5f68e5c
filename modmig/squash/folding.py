"""Fold the statements of a range of migrations into their net effect (the body of a squash).

The approach (docs/squash.md explains why it was chosen over replaying on a scratch database):
every statement is parsed with sqlglot in the project's dialect and folded into a per-object model
of the tables and indexes the range creates. A table created and later altered comes out as one
``CREATE TABLE`` with its final columns and constraints; an object created and later dropped
disappears; on SQLite, renames are followed into the final names.

The model keeps the *text* the user wrote for every column, constraint and index (sqlglot only
tells what each piece is, and where it starts and ends), so the squash says ``VARCHAR(100)`` where
the originals did, rather than whatever a SQL generator would print.

Safety rests on two rules:

* **Objects the range created and nothing has touched since are empty.** Rows only arrive through
  statements the folder does not fold (inserts, updates, Python steps, anything unparsed). Those
  are *barriers*: they stay in their original relative order, and before one is written, every
  object it uses (any name it mentions) is written out as it stands at that point and *pinned*.
  Folding therefore never moves a change across a barrier that uses it.
* **Pinned and pre-existing objects are never folded.** Later statements on them are written as
  they are, in order. Anything the folder does not understand is written as it is too.

So the worst a gap in the folder can cost is a longer squash, never a different one; and the squash
is verified against the originals anyway (``verify.py``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterable

from sqlglot import exp

from .fold_objects import Carried, Sql, Element, Index, Table
from .sql_names import SqlNames
from .sql_pieces import (
    NAME_TOKENS,
    action_pieces,
    after_word,
    bare,
    index_column,
    local_name,
    parse,
    referenced_column,
    strip_words,
    top_level_list,
)

#: Dialects whose renames can be folded into the final names. PostgreSQL and MySQL keep names
#: they generated from the old table or column (``t_pkey``, ``t_ibfk_1``, sequences), so folding
#: a rename there would change those names: the object is written as of the rename instead.
_FOLDS_RENAMES = {"sqlite"}

logging.getLogger("sqlglot").setLevel(logging.ERROR)


@dataclass
class Folder:
    """Feed statements in order with ``add``; ``result()`` gives the folded statements."""

    dialect: str = "sqlite"
    output: list = field(default_factory=list)
    tables: dict[str, Table] = field(default_factory=dict)
    indexes: dict[str, Index] = field(default_factory=dict)
    _counter: int = 0

    def __post_init__(self) -> None:
        self.names = SqlNames(self.dialect)
        
    # -- input -----------------------------------------------------------------------------------

    def add(self, statement: str) -> None:
        """Fold one SQL statement (without its final ``;``)."""
        parsed = parse(statement, self.names.sqlglot_dialect)
        if parsed is not None and self._fold(parsed, statement):
            return
        self._verbatim(statement)

    def add_barrier(self, item: object) -> None:
        """A step the folder cannot see into (a Python migration): it may use anything."""
        self._flush(set(self.tables) | set(self.indexes))
        self.output.append(Carried(item))

    def result(self) -> list:
        """The folded statements and carried barriers, in order."""
        self._flush(set(self.tables) | set(self.indexes))
        return list(self.output)

    # -- folding ---------------------------------------------------------------------------------

    def _fold(self, parsed: exp.Expression, text: str) -> bool:
        """Apply a statement to the model; False when it must be written as it is."""
        if isinstance(parsed, exp.Create):
            kind = (parsed.args.get("kind") or "").upper()
            if kind == "TABLE":
                return self._create_table(parsed, text)
            if kind == "INDEX":
                return self._create_index(parsed, text)
            return False
        if isinstance(parsed, exp.Drop):
            return self._drop(parsed)
        if isinstance(parsed, exp.Alter) and (parsed.args.get("kind") or "").upper() == "TABLE":
            return self._alter_table(parsed, text)
        return False

    def _create_table(self, parsed: exp.Create, text: str) -> bool:
        schema = parsed.this
        properties = parsed.args.get("properties")
        if not isinstance(schema, exp.Schema) or parsed.expression is not None or parsed.args.get("exists"):
            return False
        if properties is not None and properties.find(exp.TemporaryProperty):
            return False
        key = self.names.table_key(schema.this)
        if key in self.tables or key in self.indexes:
            return False
        tokens = self.names.tokens(text)
        span = top_level_list(tokens)
        if span is None:
            return False
        opening, closing, pieces = span
        if len(pieces) != len(schema.expressions):
            return False
        elements = [self._element(text, piece, node) for piece, node in zip(pieces, schema.expressions)]
        self.tables[key] = Table(
            key=key,
            head=text[tokens[0].start : tokens[opening].end + 1],
            elements=elements,
            tail=text[tokens[closing].start :],
            created=self._next(),
        )
        return True

    def _create_index(self, parsed: exp.Create, text: str) -> bool:
        index = parsed.this
        if not isinstance(index, exp.Index) or parsed.args.get("concurrently") or parsed.args.get("exists"):
            return False
        table = index.args.get("table")
        if table is None or index.this is None:
            return False
        table_key = self.names.table_key(table)
        key = self.names.index_key(index.this, table_key)
        if key in self.indexes or key in self.tables:
            return False
        self.indexes[key] = Index(key, table_key, text.strip(), self._next())
        return True

    def _drop(self, parsed: exp.Drop) -> bool:
        kind = (parsed.args.get("kind") or "").upper()
        targets = parsed.args.get("tables") or []
        if len(targets) != 1 or parsed.args.get("cascade"):
            return False
        if kind == "TABLE":
            table = self.tables.get(self.names.table_key(targets[0]))
            if table is None or table.pinned:
                return False
            del self.tables[table.key]
            for index in [i for i in self.indexes.values() if i.table == table.key]:
                del self.indexes[index.key]  # an unpinned table's indexes are unpinned too
            return True
        if kind == "INDEX":
            on = parsed.args.get("cluster")
            table_key = self.names.table_key(on.this) if isinstance(on, exp.OnProperty) else ""
            index = self.indexes.get(self.names.index_key(targets[0].this, table_key))
            if index is None or index.pinned:
                return False
            del self.indexes[index.key]
            return True
        return False

    def _alter_table(self, parsed: exp.Alter, text: str) -> bool:
        table = self.tables.get(self.names.table_key(parsed.this))
        if table is None or table.pinned:
            return False
        actions = parsed.args.get("actions") or []
        pieces = action_pieces(self.names.tokens(text))
        if pieces is None or len(pieces) != len(actions) or not actions:
            return False
        # check every action first: a statement is folded whole or written whole
        changes = []
        for action, (start, end) in zip(actions, pieces):
            change = self._alter_action(table, action, text[start:end].strip())
            if change is None:
                self._flush({table.key})
                return False
            changes.append(change)
        for change in changes:
            change()
        return True

    def _alter_action(self, table: Table, action: exp.Expression, piece: str):
        """A closure applying one ALTER action to ``table``, or None if it cannot be folded."""
        if isinstance(action, exp.ColumnDef):
            definition = strip_words(piece, ("ADD", "COLUMN"))
            if definition is None or action.args.get("exists"):
                return None
            element = self._element_from(definition, action)
            return lambda: table.elements.append(element)
        if isinstance(action, exp.AddConstraint):
            definition = strip_words(piece, ("ADD",))
            node = action.expressions[0] if len(action.expressions) == 1 else None
            if definition is None or node is None or isinstance(node, exp.IndexColumnConstraint):
                return None
            element = self._element_from(definition, node)
            return lambda: table.elements.append(element)
        if isinstance(action, exp.Drop):
            return self._drop_part(table, action)
        if isinstance(action, exp.RenameColumn) and self.dialect in _FOLDS_RENAMES:
            old, new = self.names.name(action.this.this), action.args["to"]
            if self._column(table, old) is None:
                return None
            return lambda: self._rename_column(table, old, new)
        if isinstance(action, exp.AlterRename) and self.dialect in _FOLDS_RENAMES:
            new_key = self.names.table_key(action.this)
            if new_key in self.tables or new_key in self.indexes:
                return None
            return lambda: self._rename_table(table, action.this)
        if isinstance(action, exp.ModifyColumn) and not action.args.get("rename_from"):
            definition = strip_words(piece, ("MODIFY", "COLUMN"))
            column = self._column(table, self.names.name(action.this.this))
            if definition is None or column is None:
                return None
            return lambda: self._set_text(column, definition)
        return None

    def _drop_part(self, table: Table, action: exp.Drop):
        kind = (action.args.get("kind") or "").upper()
        targets = action.args.get("tables") or []
        if len(targets) != 1 or action.args.get("cascade") or action.args.get("exists"):
            return None
        name = self.names.name(targets[0].this if isinstance(targets[0], (exp.Column, exp.Table)) else targets[0])
        if kind == "COLUMN":
            column = self._column(table, name)
            if column is None or self._column_is_used(table, column, name):
                return None
            return lambda: table.elements.remove(column)
        if kind == "CONSTRAINT":
            element = next((e for e in table.elements if e.constraint == name), None)
            if element is None:
                return None
            return lambda: table.elements.remove(element)
        return None

    # -- renames (SQLite) ------------------------------------------------------------------------

    def _rename_table(self, table: Table, target: exp.Table) -> None:
        old, new_key = table.key, self.names.table_key(target)
        new_text = target.sql(dialect=self.names.sqlglot_dialect)
        table.head = self.names.rewrite(table.head, lambda i, toks: self.names.norm(toks[i]) == old, new_text, first_only=True)
        del self.tables[old]
        table.key = new_key
        self.tables[new_key] = table
        for index in self.indexes.values():
            if index.table == old:
                index.table = new_key
                index.text = self.names.rewrite(index.text, after_word("ON", old, self.names.norm), new_text, first_only=True)
        for other in self.tables.values():
            for element in other.elements:
                self._set_text(element, self.names.rewrite(element.text, after_word("REFERENCES", old, self.names.norm), new_text))

    def _rename_column(self, table: Table, old: str, new: exp.Expression) -> None:
        new_text = new.sql(dialect=self.names.sqlglot_dialect)
        column = self._column(table, old)
        column.column = self.names.name(new.this if isinstance(new, exp.Column) else new)
        for element in table.elements:
            self._set_text(element, self.names.rewrite(element.text, local_name(old, self.names.norm), new_text))
        for index in self.indexes.values():
            if index.table == table.key:
                index.text = self.names.rewrite(index.text, index_column(old, self.names.norm), new_text)
        for other in self.tables.values():
            for element in other.elements:
                self._set_text(element, self.names.rewrite(element.text, referenced_column(table.key, old, self.names.norm), new_text))

    # -- writing ---------------------------------------------------------------------------------

    def _verbatim(self, statement: str) -> None:
        """Write a statement as it is, after the model objects it mentions (pinning them).

        Mentioned means by the name of a table or index, or of a table's constraint: statements
        that refer to objects (``SET CONSTRAINTS``, ``COMMENT ON``, ``GRANT``, ``ALTER ... OWNER``)
        stay after what they refer to.
        """
        tokens = self.names.tokens(statement)
        mentioned = {self.names.norm(token) for token in tokens if token.token_type in NAME_TOKENS}
        mentioned |= {token.text.lower() for token in tokens}
        used = {key for key, table in self.tables.items() if bare(key) in mentioned or table.constraint_names() & mentioned}
        if [token.text.upper() for token in tokens[:2]] == ["SET", "CONSTRAINTS"]:
            used = set(self.tables)  # SET CONSTRAINTS ALL, or names of constraints of any table
        if tokens and tokens[0].text.upper() in ("ALTER", "DROP"):
            # a table referring to one that is renamed or dropped is changed by that too
            used |= {key for key, table in self.tables.items() if any(bare(r) in mentioned for r in table.references())}
        used |= {key for key, index in self.indexes.items() if bare(key) in mentioned or bare(index.table) in mentioned}
        used |= {index.key for index in self.indexes.values() if index.table in used}
        self._flush(used)
        self.output.append(Sql(statement.strip()))

    def _flush(self, keys: Iterable[str]) -> None:
        """Write the unpinned objects among ``keys`` (and what they need), in a valid order."""
        pending: dict[str, object] = {}
        queue = list(keys)
        while queue:
            key = queue.pop()
            item = self.tables.get(key) or self.indexes.get(key)
            if item is None or item.pinned or key in pending:
                continue
            pending[key] = item
            if isinstance(item, Table):
                queue.extend(item.references())
            else:
                queue.append(item.table)
        for item in self._creation_order(pending):
            item.pinned = True
            self.output.append(Sql(item.text() if isinstance(item, Table) else item.text))

    def _creation_order(self, pending: dict[str, object]) -> list:
        """Tables before what refers to them, indexes after their table; else creation order."""
        ordered, placed = [], set()
        remaining = sorted(pending.values(), key=lambda item: item.created)
        while remaining:
            for item in remaining:
                needs = item.references() if isinstance(item, Table) else {item.table}
                if not (needs & (set(pending) - placed)):
                    break
            else:
                item = remaining[0]  # a reference cycle: creation order, as the originals did
            ordered.append(item)
            placed.add(item.key)
            remaining.remove(item)
        return ordered

    # -- helpers ---------------------------------------------------------------------------------

    def _element(self, text: str, piece: tuple[int, int], node: exp.Expression) -> Element:
        return self._element_from(text[piece[0] : piece[1]].strip(), node)

    def _element_from(self, text: str, node: exp.Expression) -> Element:
        refs = frozenset(self.names.referenced_tables(text))
        if isinstance(node, exp.ColumnDef):
            return Element(text, column=self.names.name(node.this), refs=refs)
        if isinstance(node, exp.Constraint):
            return Element(text, constraint=self.names.name(node.this), refs=refs)
        return Element(text, refs=refs)

    def _set_text(self, element: Element, text: str) -> None:
        element.text = text
        element.refs = frozenset(self.names.referenced_tables(text))

    def _column(self, table: Table, name: str) -> Element | None:
        return next((e for e in table.elements if e.column == name), None)

    def _column_is_used(self, table: Table, column: Element, name: str) -> bool:
        """True if anything but the column's own definition mentions it (then dropping is not folded)."""
        def mentions(text: str) -> bool:
            return any(self.names.norm(t) == name for t in self.names.tokens(text) if t.token_type in NAME_TOKENS)

        if any(mentions(e.text) for e in table.elements if e is not column):
            return True
        if any(mentions(i.text) for i in self.indexes.values() if i.table == table.key):
            return True
        matches = referenced_column(table.key, name, self.names.norm)
        for other in self.tables.values():
            for element in other.elements:
                if table.key in element.refs:
                    tokens = self.names.tokens(element.text)
                    if any(matches(i, tokens) for i in range(len(tokens)) if tokens[i].token_type in NAME_TOKENS):
                        return True
        return False

    def _next(self) -> int:
        self._counter += 1
        return self._counter


def fold(statements: Iterable[str], dialect: str = "sqlite") -> list[str]:
    """The folded form of ``statements`` (a convenience for SQL-only input)."""
    folder = Folder(dialect)
    for statement in statements:
        folder.add(statement)
    return [item.text for item in folder.result() if isinstance(item, Sql)]
