"""Walk the effects of every statement, in graph order, into the ownership map.

``Fold`` keeps the objects that exist at each point of the walk and applies one statement's
effects (``sql_effects.Effect``) at a time, resolving what the statement's text alone could not
say: the table of ``DROP INDEX i``, the name the database gives an unnamed constraint, whether a
name is a table or a view, what a drop takes with it (a table's columns, indexes, constraints
and triggers; with CASCADE, the views and foreign keys that refer to it), what a rename carries
along (children, and every reference to the old name).

Its rules of evidence: only a statement the map read creates or owns anything. An object first
met otherwise gets no creator, and is marked ``unknown`` when an earlier step could have made it
unseen (``possible_creators``), ``external`` when nothing could have. Names in trigger and
function bodies (a heuristic) count only when they name a table or view that exists.
"""

from __future__ import annotations

from typing import Iterable

from .ownership_map import TABLE_BOUND, MigrationRecord, MigrationRef, SchemaObject, Touch, UnknownStatement
from .sql_effects import Effect

_PREVIEW = 200
#: The databases' own catalogs (a Python migration that inspects the schema reads them): never
#: objects of the project, so never placeholders.
_CATALOGS = ("sqlite_", "pragma_", "pg_", "information_schema.", "mysql.", "performance_schema.", "sys.")


class Fold:
    """Feed migrations in graph order: ``start(record)``, ``statement(...)`` for each, ``finish()``."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.live: dict[tuple[str, str], SchemaObject] = {}
        #: Live objects by the table they belong to (columns, indexes, constraints, triggers).
        self.children: dict[str, dict[tuple[str, str], SchemaObject]] = {}
        self.objects: list[SchemaObject] = []
        self.temporaries: list[SchemaObject] = []
        self.records: list[MigrationRecord] = []
        #: Migrations walked so far whose effects are not all known.
        self.incomplete: list[MigrationRef] = []
        self.record: MigrationRecord | None = None

    def start(self, record: MigrationRecord) -> None:
        self.record = record
        self.records.append(record)

    def statement(self, effects: Iterable[Effect], line: int | None, text: str | None) -> None:
        """One statement's effects; ``text`` is needed only when one of them is ``unknown``."""
        for effect in effects:
            getattr(self, f"_{effect.action}")(effect, line, text)

    def finish(self) -> None:
        """End the migration: its temporary tables are gone with its session."""
        record = self._current
        for obj in self.temporaries:
            self._end(obj, None, touch=False)
        self.temporaries = []
        if not record.complete:
            self.incomplete.append(record.migration)
        self.record = None

    # -- actions ---------------------------------------------------------------------------------

    def _create(self, effect: Effect, line: int | None, text: str | None) -> None:
        ref = self._current.migration
        parent = self._resolve("table", effect.table, placeholder=True) if effect.table else None
        name = self._created_name(effect, parent)
        existing = self.live.get((effect.kind, name))
        if existing is not None:
            if "if not exists" in effect.flags:
                return
            if "or replace" in effect.flags:
                self._change(existing, line)
                self._add_references(existing, effect, line)
                return
            self._end(existing, None, touch=False)  # created again without a drop the map saw
        if parent is not None and parent.created_by != ref:
            self._change(parent, line)
        obj = self._add(SchemaObject(
            effect.kind, name, table=parent.name if parent is not None else None, created_by=ref,
            columns=list(effect.columns), detail=effect.detail, temporary="temporary" in effect.flags,
        ))
        self._touch("created", obj, line)
        self._add_references(obj, effect, line)

    def _alter(self, effect: Effect, line: int | None, text: str | None) -> None:
        obj = self._resolve(effect.kind, effect.name, table=effect.table, placeholder=True)
        if obj is None:
            return
        self._change(obj, line)
        self._change_parent(obj, line)
        self._add_references(obj, effect, line)

    def _drop(self, effect: Effect, line: int | None, text: str | None) -> None:
        obj = self._resolve(effect.kind, effect.name, table=effect.table, detail=effect.detail, placeholder="if exists" not in effect.flags)
        if obj is None:
            return
        if obj.kind in TABLE_BOUND and obj.table is not None and obj.kind != "trigger":
            table = self.live.get(("table", obj.table))
            if table is not None:
                self._change(table, line)
        self._end(obj, line, cascade="cascade" in effect.flags)

    def _rename(self, effect: Effect, line: int | None, text: str | None) -> None:
        obj = self._resolve(effect.kind, effect.name, table=effect.table, placeholder=True)
        if obj is None:
            return
        old, new = obj.name, effect.new_name or obj.name
        if obj.kind in ("index", "constraint", "trigger") and obj.table is not None:
            new = f"{obj.table}.{new}"
        self._touch("renamed", obj, line, new_name=new, referred_by=self._referrers(obj))
        self._change(obj, line, touch=False)
        self._change_parent(obj, line)
        self._move(obj, new)
        if obj.kind in ("table", "view"):
            for child in list(self.children.get(old, {}).values()):
                self._move(child, new + child.name[len(old) :] if child.name.startswith(old + ".") else child.name, table=new)
        if obj.kind == "column" and obj.table is not None:
            old_column, new_column = old.split(".", 1)[1], new.split(".", 1)[1]
            for other in self.children.get(obj.table, {}).values():
                if other.kind in ("index", "constraint"):
                    other.columns = [new_column if c == old_column else c for c in other.columns]
        for other in self.live.values():
            other.references = [_renamed(reference, obj.kind, old, new) for reference in other.references]

    def _write(self, effect: Effect, line: int | None, text: str | None) -> None:
        obj = self._resolve("table", effect.name, placeholder=True)
        if obj is None:
            return
        self._touch("wrote", obj, line)
        if not obj.written_by or obj.written_by[-1] != self._current.migration:
            obj.written_by.append(self._current.migration)

    def _refer(self, effect: Effect, line: int | None, text: str | None) -> None:
        obj = self._resolve(effect.kind, effect.name, placeholder=effect.kind == "table")
        if obj is not None:
            self._touch("referred", obj, line)

    def _unknown(self, effect: Effect, line: int | None, text: str | None) -> None:
        record = self._current
        preview = " ".join((text or "").split())
        preview = preview if len(preview) <= _PREVIEW else preview[: _PREVIEW - 3] + "..."
        if not record.unknown_statements or record.unknown_statements[-1] != UnknownStatement(line, preview):
            record.unknown_statements.append(UnknownStatement(line, preview))
        for _, name in effect.refs:
            for kind in ("table", "view", "sequence", "type", "function"):
                obj = self.live.get((kind, name))
                if obj is not None:
                    self._touch("mentioned", obj, line)

    # -- resolution ------------------------------------------------------------------------------

    def _resolve(self, kind: str, name: str, *, table: str | None = None, detail: str | None = None, placeholder: bool = False) -> SchemaObject | None:
        """The live object ``kind``/``name`` names (``"table"`` finds a view too), or with
        ``placeholder`` one made for it (None for the database's own catalogs)."""
        if kind == "table":
            found = self.live.get(("table", name)) or self.live.get(("view", name))
        elif kind in TABLE_BOUND and kind != "column":
            found = self._own_name(kind, name, table, detail)
            if found is None and kind == "index":  # MySQL: DROP INDEX also drops a UNIQUE constraint
                found = self._own_name("constraint", name, table, detail)
        else:
            found = self.live.get((kind, name))
        if found is not None or not placeholder or name.startswith(_CATALOGS):
            return found
        if kind in TABLE_BOUND:
            if kind == "column":
                table = name.split(".", 1)[0]
            parent = self._resolve("table", table, placeholder=True) if table else None
            if parent is not None and kind != "column":
                name = f"{parent.name}.{name}"
            table = parent.name if parent is not None else None
        return self._placeholder(kind, name, table)

    def _own_name(self, kind: str, name: str, table: str | None, detail: str | None) -> SchemaObject | None:
        if table is not None:
            if not name and detail is not None:  # MySQL's DROP PRIMARY KEY
                return next((o for o in self.live.values() if o.kind == kind and o.table == table and o.detail == detail), None)
            return self.live.get((kind, f"{table}.{name}"))
        found = [o for o in self.live.values() if o.kind == kind and o.table is not None and o.name == f"{o.table}.{name}"]
        return found[0] if len(found) == 1 else None

    def _placeholder(self, kind: str, name: str, table: str | None) -> SchemaObject:
        possible = list(self.incomplete)
        if self.record is not None and not self.record.complete:
            possible.append(self.record.migration)
        return self._add(SchemaObject(kind, name, table=table, origin="unknown" if possible else "external", possible_creators=possible))

    def _created_name(self, effect: Effect, parent: SchemaObject | None) -> str:
        if effect.kind not in ("index", "constraint", "trigger") or parent is None:
            return effect.name
        own = effect.name or generated_name(self.dialect, effect, parent.name, self._taken(parent.name))
        return f"{parent.name}.{own}"

    def _taken(self, table: str) -> set[str]:
        return {o.name[len(table) + 1 :] for o in self.children.get(table, {}).values() if o.kind in ("index", "constraint")}

    # -- bookkeeping -----------------------------------------------------------------------------

    def _end(self, obj: SchemaObject, line: int | None, *, implied: bool = False, cascade: bool = False, touch: bool = True) -> None:
        """``obj`` is gone, and what cannot outlive it."""
        if not obj.exists:
            return
        referred_by = self._referrers(obj) if touch and not implied else ()
        obj.exists = False
        obj.dropped_by = self._current.migration
        self._remove(obj)
        if touch:
            self._touch("dropped", obj, line, implied=implied, referred_by=referred_by)
        if obj.kind in ("table", "view"):
            for child in list(self.children.get(obj.name, {}).values()):
                self._end(child, line, implied=True, touch=touch)
        if obj.kind == "column" and obj.table is not None:
            column = obj.name.split(".", 1)[1]
            for other in [o for o in self.children.get(obj.table, {}).values() if column in o.columns]:
                if self.dialect == "mysql" and len(other.columns) > 1:
                    other.columns.remove(column)  # MySQL shrinks a multi-column index instead
                else:
                    self._end(other, line, implied=True, touch=touch)
        if cascade:
            for other in [o for o in self.live.values() if (obj.kind, obj.name) in o.references or ("table", obj.name) in o.references]:
                if other.kind in ("view", "constraint", "trigger", "function"):
                    self._end(other, line, implied=True, cascade=True, touch=touch)

    def _change_parent(self, obj: SchemaObject, line: int | None) -> None:
        """A change to a column is a change to its table."""
        if obj.kind == "column" and obj.table is not None:
            parent = self._resolve("table", obj.table, placeholder=True)
            if parent is not None:
                self._change(parent, line)

    def _change(self, obj: SchemaObject, line: int | None, *, touch: bool = True) -> None:
        ref = self._current.migration
        if touch:
            self._touch("altered", obj, line)
        if obj.created_by != ref and (not obj.changed_by or obj.changed_by[-1] != ref):
            obj.changed_by.append(ref)

    def _add_references(self, obj: SchemaObject, effect: Effect, line: int | None) -> None:
        heuristic = effect.kind in ("trigger", "function")  # names read from a body
        for kind, name in effect.refs:
            target = self._resolve(kind, name, placeholder=kind == "table" and not heuristic)
            if target is None or target is obj:
                continue
            if target.identity not in obj.references:
                obj.references.append(target.identity)
            self._touch("referred", target, line)

    def _add(self, obj: SchemaObject) -> SchemaObject:
        self.objects.append(obj)
        self._index(obj)
        if obj.temporary:
            self.temporaries.append(obj)
        return obj

    def _index(self, obj: SchemaObject) -> None:
        self.live[obj.identity] = obj
        if obj.table is not None:
            self.children.setdefault(obj.table, {})[obj.identity] = obj

    def _remove(self, obj: SchemaObject) -> None:
        del self.live[obj.identity]
        if obj.table is not None:
            self.children[obj.table].pop(obj.identity, None)

    def _move(self, obj: SchemaObject, new: str, table: str | None = None) -> None:
        self._remove(obj)
        if obj.name != new:
            obj.renamed_from.append(obj.name)
        obj.name = new
        obj.table = table or obj.table
        self._index(obj)

    def _referrers(self, obj: SchemaObject) -> tuple[tuple[str, str, str | None], ...]:
        """Live objects, other than ``obj``'s own parts, whose references include it."""
        wanted = {obj.identity, ("table", obj.name)} if obj.kind == "view" else {obj.identity}
        found = [
            o for o in self.live.values()
            if o is not obj and o.table != obj.name and not wanted.isdisjoint(o.references)
        ]
        return tuple(sorted((o.kind, o.name, o.app) for o in found))

    def _touch(
        self, action: str, obj: SchemaObject, line: int | None, *, new_name: str | None = None, implied: bool = False,
        referred_by: tuple[tuple[str, str, str | None], ...] = (),
    ) -> None:
        self._current.touches.append(Touch(action, obj.kind, obj.name, obj.table, obj.app, line, new_name, implied, referred_by))

    @property
    def _current(self) -> MigrationRecord:
        if self.record is None:
            raise RuntimeError("Fold.statement() outside start()/finish()")
        return self.record


def _renamed(reference: tuple[str, str], kind: str, old: str, new: str) -> tuple[str, str]:
    ref_kind, ref_name = reference
    if ref_name == old and (ref_kind == kind or (kind == "view" and ref_kind == "table")):
        return (kind, new)
    if kind in ("table", "view") and ref_kind == "column" and ref_name.startswith(old + "."):
        return (ref_kind, new + ref_name[len(old) :])
    return reference


def generated_name(dialect: str, effect: Effect, table: str, taken: set[str]) -> str:
    """The name the database gives an unnamed constraint or index (a description on SQLite)."""
    bare = table.rsplit(".", 1)[-1]
    columns = [c if c.replace("_", "").isalnum() else "expr" for c in effect.columns]
    detail = (effect.detail or "check") if effect.kind == "constraint" else ("index" if effect.detail is None else "unique index")
    if dialect == "postgresql":
        suffix = {"primary key": "pkey", "foreign key": "fkey", "unique": "key", "check": "check", "index": "idx", "unique index": "idx"}[detail]
        middle = "" if detail == "primary key" or (detail == "check" and len(columns) != 1) else "_" + "_".join(columns)
        return _first_free(f"{bare}{middle}_{suffix}", taken, "")
    if dialect == "mysql":
        if detail == "primary key":
            return "PRIMARY"
        if detail in ("foreign key", "check"):
            stem = f"{bare}_ibfk_" if detail == "foreign key" else f"{bare}_chk_"
            used = [int(name[len(stem) :]) for name in taken if name.startswith(stem) and name[len(stem) :].isdigit()]
            return f"{stem}{max(used, default=0) + 1}"
        return _first_free(columns[0] if columns else "index", taken, "_", start=2)
    listed = f" ({', '.join(effect.columns)})" if effect.columns and detail != "primary key" else ""
    return f"{detail}{listed}"


def _first_free(name: str, taken: set[str], separator: str, start: int = 1) -> str:
    if name not in taken:
        return name
    number = start
    while f"{name}{separator}{number}" in taken:
        number += 1
    return f"{name}{separator}{number}"
