"""Leave out changes to tables that a later ``DROP TABLE`` removes anyway.

A down section built from the originals' down sections undoes every change one by one
(``DROP INDEX``, ``ALTER TABLE ... DROP COLUMN``, then ``DROP TABLE``); only the drops matter.
"""

from __future__ import annotations

from sqlglot import exp

from .folding import Folder, Sql
from .sql_pieces import bare, parse


def without_dead_changes(items: list, dialect: str = "sqlite", index_tables: dict[str, str] | None = None) -> list:
    """``items`` without changes to tables that a later ``DROP TABLE`` removes anyway.

    Walking backwards: after ``DROP TABLE t`` (in file order), an earlier ``ALTER TABLE t`` or
    ``CREATE/DROP INDEX`` on t is dead unless something between them uses t; any other statement
    (and any Python step) that mentions t ends that. Renames and CASCADE are never removed.
    ``index_tables`` maps index names to their tables, for ``DROP INDEX`` of indexes created
    elsewhere (by the squash's up section, for its down section).
    """
    folder = Folder(dialect)
    tables_of = dict(index_tables or {})
    kinds = []
    for item in items:
        kinds.append(_change_kind(folder, item, tables_of))
    doomed: set[str] = set()
    kept = []
    for item, kind in zip(reversed(items), reversed(kinds)):
        what, target, mentioned = kind
        if what == "drop table":
            doomed.add(target)
        elif what == "change" and target in doomed:
            continue
        elif what == "barrier":
            doomed = set() if mentioned is None else doomed - mentioned
        kept.append(item)
    return kept[::-1]


def _change_kind(folder: Folder, item, tables_of: dict[str, str]):
    """("drop table" | "change" | "barrier", table key, names mentioned or None for everything)."""
    if not isinstance(item, Sql):
        return "barrier", None, None
    parsed = parse(item.text, folder.names.sqlglot_dialect)
    mentioned = {t.text.lower() for t in folder.names.tokens(item.text)}
    mentioned |= {bare(m) for m in mentioned}
    if isinstance(parsed, exp.Drop) and not parsed.args.get("cascade") and len(parsed.args.get("tables") or []) == 1:
        kind = (parsed.args.get("kind") or "").upper()
        target = parsed.args["tables"][0]
        if kind == "TABLE":
            return "drop table", folder.names.table_key(target), None
        if kind == "INDEX":
            table = tables_of.get(folder.names.name(target.this))
            if table is not None:
                return "change", table, None
    if isinstance(parsed, exp.Create) and (parsed.args.get("kind") or "").upper() == "INDEX":
        index = parsed.this
        if isinstance(index, exp.Index) and index.args.get("table") is not None and index.this is not None:
            table = folder.names.table_key(index.args["table"])
            tables_of[folder.names.name(index.this)] = table
            return "change", table, None
    if isinstance(parsed, exp.Alter) and (parsed.args.get("kind") or "").upper() == "TABLE":
        actions = parsed.args.get("actions") or []
        harmless = all(not isinstance(a, (exp.AlterRename, exp.RenameColumn)) and not a.args.get("cascade") for a in actions)
        if actions and harmless and "cascade" not in mentioned:
            return "change", folder.names.table_key(parsed.this), None
    return "barrier", None, mentioned
