"""MySQL/MariaDB: which algorithm and lock the server needs for each ALTER TABLE action.

InnoDB runs an ``ALTER TABLE`` in one of three ways. ``INSTANT`` changes only metadata.
``INPLACE`` works inside the table's files; with ``LOCK=NONE`` reads and writes go on, though
some operations rebuild the whole table (I/O, replication lag). ``COPY`` builds a new table row by
row while writes wait (``LOCK=SHARED``): on a large table, an outage. Without an ``ALGORITHM``
clause the server silently picks the cheapest it can, so a migration that was instant on one
change copies the table on the next.

``needs(action, ...)`` says what the server needs for one action. It was checked against
MariaDB 10.11 (``tests/lint/test_rules_on_servers.py`` runs each rule's examples with an explicit
``ALGORITHM=``), and follows MySQL 8.0's online DDL tables where they agree. Where they differ
the docs of the rule say so: MySQL 8.0 copies a table to extend a ``VARCHAR`` across 255 bytes
(63 characters in utf8mb4), MariaDB 10.4+ does it instantly; this module follows MariaDB there.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import facts as F
from ..facts import Action, ColumnDef, ParsedStatement

INSTANT, NOCOPY, INPLACE, COPY = "INSTANT", "NOCOPY", "INPLACE", "COPY"
ALGORITHMS = (INSTANT, NOCOPY, INPLACE, COPY)
NONE, SHARED, EXCLUSIVE = "NONE", "SHARED", "EXCLUSIVE"
LOCKS = (NONE, SHARED, EXCLUSIVE)


@dataclass(frozen=True)
class Need:
    algorithm: str
    lock: str
    #: What makes the server need it, for messages.
    why: str
    rebuild: bool = False


def needs(action: Action, statement: ParsedStatement, fk_checks_off: bool) -> Need | None:
    """What the server needs to run ``action`` on an existing table; None when not known."""
    kind = action.kind
    if kind == F.ADD_COLUMN and action.definition is not None:
        column = action.definition
        if column.generated == "stored":
            return Need(COPY, SHARED, f"adding the stored generated column {action.target}")
        if column.auto_increment:
            return Need(INPLACE, SHARED, f"adding the AUTO_INCREMENT column {action.target}", rebuild=True)
        return Need(INSTANT, NONE, f"adding {action.target}")
    if kind == F.ALTER_TYPE and action.definition is not None:
        return modify_need(action.prior.column, action.definition, action.target)
    if kind in (F.DROP_COLUMN, F.RENAME_COLUMN, F.RENAME_TABLE, F.SET_DEFAULT):
        return Need(INSTANT, NONE, kind.replace("_", " "))
    if kind == F.CREATE_INDEX:
        if action.value in ("fulltext", "spatial"):
            return Need(INPLACE, SHARED, f"building the {action.value.upper()} index {action.name or ''}".rstrip(), rebuild=action.value == "fulltext")
        return Need(NOCOPY, NONE, f"building the index {action.name or ''}".rstrip())
    if kind == F.DROP_INDEX:
        return Need(NOCOPY, NONE, f"dropping the index {action.name}")
    if kind == F.ADD_CONSTRAINT:
        return _constraint_need(action, fk_checks_off)
    if kind == F.DROP_CONSTRAINT and action.constraint == F.PRIMARY_KEY:
        adds_key = any(a.kind == F.ADD_CONSTRAINT and a.constraint == F.PRIMARY_KEY for a in statement.actions)
        if adds_key:
            return Need(INPLACE, NONE, f"replacing the primary key of {action.table}", rebuild=True)
        return Need(COPY, SHARED, f"dropping the primary key of {action.table} without adding another")
    if kind == F.REWRITE_TABLE:
        if action.detail == "CONVERT TO CHARACTER SET":
            return Need(COPY, SHARED, f"converting {action.table} to another character set")
        return Need(INPLACE, NONE, f"{action.detail} on {action.table}", rebuild=True)
    return None


def _constraint_need(action: Action, fk_checks_off: bool) -> Need | None:
    if action.constraint == F.FOREIGN_KEY:
        if fk_checks_off:
            return Need(INPLACE, NONE, f"adding the foreign key {action.name or action.target} with foreign_key_checks=0")
        return Need(COPY, SHARED, f"adding the foreign key {action.name or action.target} with foreign_key_checks on")
    if action.constraint == F.CHECK:
        return Need(COPY, SHARED, f"adding the CHECK constraint {action.name or action.target}")
    if action.constraint == F.UNIQUE:
        return Need(NOCOPY, NONE, f"adding the unique key {action.name or action.target}")
    if action.constraint == F.PRIMARY_KEY:
        return Need(INPLACE, NONE, f"adding a primary key to {action.table}", rebuild=True)
    return None


def modify_need(old: ColumnDef | None, new: ColumnDef, target: str) -> Need | None:
    """What ``MODIFY``/``CHANGE`` of a column from ``old`` to ``new`` needs; None if ``old`` is unknown."""
    if old is None or old.type is None or new.type is None:
        return None
    if type_changes(old, new):
        if enum_appended(old, new) or varchar_extended(old, new):
            return Need(INSTANT, NONE, f"widening {target}")
        return Need(COPY, SHARED, f"changing {target} from {old.type.text} to {new.type.text}")
    if old.not_null != new.not_null:
        change = "NOT NULL" if new.not_null else "NULL"
        return Need(INPLACE, NONE, f"making {target} {change}", rebuild=True)
    return Need(INSTANT, NONE, f"changing {target}'s default or comment")


def type_changes(old: ColumnDef, new: ColumnDef) -> bool:
    return (old.type.name, old.type.args) != (new.type.name, new.type.args)  # type: ignore[union-attr]


def enum_appended(old: ColumnDef, new: ColumnDef) -> bool:
    """An ENUM/SET whose members are the old ones, in order, with new ones only at the end."""
    o, n = old.type, new.type
    return o.name == n.name and o.name in ("enum", "set") and n.args[: len(o.args)] == o.args  # type: ignore[union-attr]


def varchar_extended(old: ColumnDef, new: ColumnDef) -> bool:
    o, n = old.type, new.type
    return (o.name == n.name == "varchar" and bool(o.args) and bool(n.args)  # type: ignore[union-attr]
            and n.args[0] >= o.args[0])  # type: ignore[union-attr]


def rank(value: str | None, order: tuple[str, ...]) -> int:
    return order.index(value) if value in order else -1
