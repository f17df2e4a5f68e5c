"""Read one statement's sqlglot tree into effects: CREATE, DROP, ALTER, writes and reads.

``TreeReader`` walks the tree sqlglot built in the project's dialect and emits ``Effect``s in
statement order (see ``sql_effects.py`` for what they mean). Anything it does not recognise
makes the whole statement ``unknown``: a statement is read whole, or not at all.
"""

from __future__ import annotations

from typing import Any

from .sql_commands import mentions
from .sql_effects import KINDS, Effect, unknown


class TreeReader:
    """Turns one sqlglot tree into effects (one reader per statement)."""

    def __init__(self, names) -> None:
        self.names = names
        self.out: list[Effect] = []

    def read(self, tree, text: str) -> list[Effect]:
        from sqlglot import exp

        handlers = (
            (exp.Create, self._create),
            (exp.Drop, self._drop),
            (exp.Alter, self._alter),
            (exp.Insert, self._write),
            (exp.Update, self._write),
            (exp.Delete, self._write),
            (exp.Merge, self._write),
            (exp.TruncateTable, self._truncate),
            (exp.Query, self._query),
            (exp.Comment, self._comment),
        )
        quiet = (exp.Set, exp.Pragma, exp.Use, exp.Transaction, exp.Commit, exp.Rollback, exp.Analyze, exp.Grant, exp.Revoke)
        if isinstance(tree, quiet):
            return []
        for node_type, handler in handlers:
            if isinstance(tree, node_type):
                if handler(tree) is not False:
                    return self.out
                break
        return [unknown(mentions(text, self.names))]

    # -- CREATE ----------------------------------------------------------------------------------

    def _create(self, tree) -> bool | None:
        from sqlglot import exp

        kind = (tree.args.get("kind") or "").upper()
        flags = _flags(tree, exists="if not exists", replace="or replace")
        properties = tree.args.get("properties")
        if properties is not None and properties.find(exp.TemporaryProperty):
            flags.add("temporary")
        if kind == "TABLE":
            return self._create_table(tree, frozenset(flags))
        if kind == "VIEW":
            name = self.names.table(tree.this)
            self._emit("create", "view", name, refs=self._sources(tree.expression), flags=frozenset(flags))
            return None
        if kind == "INDEX":
            return self._create_index(tree.this, frozenset(flags))
        if kind in ("SEQUENCE", "TYPE"):
            self._emit("create", kind.lower(), self.names.table(tree.this), flags=frozenset(flags))
            return None
        if kind == "TRIGGER":
            trigger = tree.find(exp.TriggerProperties)
            if trigger is None or not isinstance(tree.this, exp.Identifier):
                return False
            table = self.names.table(trigger.args["table"])
            refs = []
            execute = trigger.args.get("execute")
            if execute is not None and isinstance(execute.this, (exp.Anonymous, exp.Func)):
                refs.append(("function", self.names.ident(execute.this.this) if isinstance(execute.this.this, exp.Identifier) else str(execute.this.name).lower()))
            self._emit("create", "trigger", self.names.ident(tree.this), table=table, refs=tuple(refs), flags=frozenset(flags))
            return None
        return False  # functions, procedures, schemas...: read by sql_commands, or unknown

    def _create_table(self, tree, flags: frozenset[str]) -> bool | None:
        from sqlglot import exp

        schema = tree.this
        if isinstance(schema, exp.Schema):
            table = self.names.table(schema.this)
            self._emit("create", "table", table, refs=self._sources(tree.expression), flags=flags)
            for element in schema.expressions:
                if not self._table_element(table, element):
                    return False
            return None
        if isinstance(schema, exp.Table) and tree.expression is not None:  # CREATE TABLE t AS SELECT
            table = self.names.table(schema)
            self._emit("create", "table", table, refs=self._sources(tree.expression), flags=flags)
            query = tree.expression
            for projection in getattr(query, "selects", []):
                name = projection.alias_or_name
                if name and name != "*":
                    self._emit("create", "column", f"{table}.{self.names.normal(name, quoted=False)}", table=table)
            return None
        return False

    def _table_element(self, table: str, element) -> bool:
        """A column definition or a table constraint of CREATE TABLE / ALTER TABLE ADD."""
        from sqlglot import exp

        if isinstance(element, exp.ColumnDef):
            self._column(table, element)
            return True
        if isinstance(element, exp.Constraint):
            name = self.names.ident(element.this)
            return all(self._constraint(table, part, name) for part in element.expressions)
        return self._constraint(table, element, "")

    def _column(self, table: str, column) -> None:
        from sqlglot import exp

        name = self.names.ident(column.this)
        full = f"{table}.{name}"
        refs = []
        kind = column.args.get("kind")
        sequence = None
        if isinstance(kind, exp.DataType):
            if kind.this == exp.DataType.Type.USERDEFINED and kind.args.get("kind") is not None:
                refs.append(("type", self.names.ident(kind.args["kind"]) if isinstance(kind.args["kind"], exp.Identifier) else str(kind.args["kind"]).lower()))
            if self.names.dialect == "postgresql" and kind.this.name in ("SERIAL", "BIGSERIAL", "SMALLSERIAL"):
                sequence = f"{table}_{name}_seq"
        for constraint in column.args.get("constraints") or []:
            part = constraint.args.get("kind")
            if isinstance(part, exp.GeneratedAsIdentityColumnConstraint) and self.names.dialect == "postgresql":
                sequence = f"{table}_{name}_seq"
            if isinstance(part, exp.DefaultColumnConstraint):
                refs.extend(self._sequence_refs(part))
        if sequence is not None:
            self._emit("create", "sequence", sequence, table=table)
        self._emit("create", "column", full, table=table, refs=tuple(refs))
        for constraint in column.args.get("constraints") or []:
            part = constraint.args.get("kind")
            given = self.names.ident(constraint.this) if isinstance(constraint.this, exp.Identifier) else ""
            if isinstance(part, exp.PrimaryKeyColumnConstraint):
                self._emit("create", "constraint", given, table=table, columns=(name,), detail="primary key")
            elif isinstance(part, exp.UniqueColumnConstraint):
                self._emit("create", "constraint", given, table=table, columns=(name,), detail="unique")
            elif isinstance(part, exp.CheckColumnConstraint):
                self._emit("create", "constraint", given, table=table, columns=(name,), detail="check")
            elif isinstance(part, exp.Reference):
                self._emit("create", "constraint", given, table=table, columns=(name,), detail="foreign key", refs=self._reference(part))

    def _constraint(self, table: str, part, name: str) -> bool:
        """One table constraint (or MySQL index) of CREATE TABLE / ADD CONSTRAINT; False if unknown."""
        from sqlglot import exp

        if isinstance(part, (exp.PrimaryKey, exp.PrimaryKeyColumnConstraint)):
            self._emit("create", "constraint", name, table=table, columns=self._names(part.expressions), detail="primary key")
        elif isinstance(part, exp.ForeignKey):
            reference = part.args.get("reference")
            refs = self._reference(reference) if reference is not None else ()
            self._emit("create", "constraint", name, table=table, columns=self._names(part.expressions), detail="foreign key", refs=refs)
        elif isinstance(part, exp.UniqueColumnConstraint):
            columns = self._names(part.this.expressions) if isinstance(part.this, exp.Schema) else ()
            own = self.names.ident(part.this.this) if isinstance(part.this, exp.Schema) and isinstance(part.this.this, exp.Identifier) else ""
            self._emit("create", "constraint", name or own, table=table, columns=columns, detail="unique")
        elif isinstance(part, exp.CheckColumnConstraint):
            columns = tuple(sorted({self.names.ident(c.this) for c in part.find_all(exp.Column) if isinstance(c.this, exp.Identifier)}))
            self._emit("create", "constraint", name, table=table, columns=columns, detail="check")
        elif isinstance(part, exp.IndexColumnConstraint):
            own = self.names.ident(part.this) if isinstance(part.this, exp.Identifier) else ""
            unique = "unique" if (part.args.get("kind") or "").upper() == "UNIQUE" else None
            self._emit("create", "index", own, table=table, columns=self._names(part.expressions), detail=unique)
        else:
            return False
        return True

    def _create_index(self, index, flags: frozenset[str]) -> bool | None:
        from sqlglot import exp

        if not isinstance(index, exp.Index) or index.args.get("table") is None:
            return False
        table = self.names.table(index.args["table"])
        params = index.args.get("params")
        columns = self._names([o.this if isinstance(o, exp.Ordered) else o for o in (params.args.get("columns") or [])]) if params else ()
        name = self.names.ident(index.this) if isinstance(index.this, exp.Identifier) else ""
        parent = index.parent
        unique = "unique" if parent is not None and parent.args.get("unique") else None
        self._emit("create", "index", name, table=table, columns=columns, detail=unique, flags=flags)
        return None

    # -- DROP / ALTER ----------------------------------------------------------------------------

    def _drop(self, tree) -> bool | None:
        from sqlglot import exp

        kind = (tree.args.get("kind") or "").upper()
        kind = {"MATERIALIZED VIEW": "VIEW", "PROCEDURE": "FUNCTION"}.get(kind, kind)
        if kind.lower() not in KINDS or kind in ("COLUMN", "CONSTRAINT"):
            return False
        flags = _flags(tree, exists="if exists", cascade="cascade")
        on = tree.args.get("cluster")
        table = self.names.table(on.this) if isinstance(on, exp.OnProperty) else None
        for target in tree.args.get("tables") or []:
            name = self.names.table(target) if kind in ("TABLE", "VIEW", "SEQUENCE", "TYPE") else self.names.ident(target.this if isinstance(target, exp.Table) else target)
            if kind == "FUNCTION" and isinstance(target, exp.Table):
                name = self.names.table(target)
            self._emit("drop", kind.lower(), name, table=table, flags=frozenset(flags))
        return None

    def _alter(self, tree) -> bool | None:
        from sqlglot import exp

        kind = (tree.args.get("kind") or "").upper()
        actions = tree.args.get("actions") or []
        name = self.names.table(tree.this)
        if kind in ("INDEX", "VIEW") and len(actions) == 1 and isinstance(actions[0], exp.AlterRename):
            self._emit("rename", kind.lower(), name, new_name=self.names.table(actions[0].this))
            return None
        if kind != "TABLE" or not actions:
            return False
        flags = frozenset(_flags(tree, exists="if exists"))
        for action in actions:
            if not self._alter_action(name, action, flags):
                return False
        return None

    def _alter_action(self, table: str, action, flags: frozenset[str]) -> bool:
        from sqlglot import exp

        if isinstance(action, exp.ColumnDef):
            self._column(table, action)
        elif isinstance(action, exp.AddConstraint):
            for part in action.expressions:
                if not self._table_element(table, part):
                    return False
        elif isinstance(action, exp.Drop):
            return self._drop_part(table, action)
        elif isinstance(action, exp.DropPrimaryKey):
            self._emit("drop", "constraint", "", table=table, detail="primary key")
        elif isinstance(action, exp.RenameColumn):
            old, new = self.names.ident(action.this.this), self.names.ident(action.args["to"].this)
            self._emit("rename", "column", f"{table}.{old}", table=table, new_name=f"{table}.{new}")
        elif isinstance(action, exp.AlterRename) and _renamed_to(action) is not None:
            # PostgreSQL's ALTER TABLE t RENAME c TO d (COLUMN is optional): sqlglot puts "TO d" apart
            old, new = self.names.ident(action.this.this), self.names.ident(_renamed_to(action).this.this)
            self._emit("rename", "column", f"{table}.{old}", table=table, new_name=f"{table}.{new}")
        elif isinstance(action, exp.AlterRename):
            self._emit("rename", "table", table, new_name=self.names.table(action.this), flags=flags)
        elif isinstance(action, exp.AlterColumn):
            column = f"{table}.{self.names.ident(action.this)}"
            refs = ()
            dtype = action.args.get("dtype")
            if isinstance(dtype, exp.DataType) and dtype.this == exp.DataType.Type.USERDEFINED and isinstance(dtype.args.get("kind"), exp.Identifier):
                refs = (("type", self.names.ident(dtype.args["kind"])),)
            self._emit("alter", "column", column, table=table, refs=refs)
        elif isinstance(action, exp.ModifyColumn):
            definition = action.this
            old = action.args.get("rename_from")
            new = f"{table}.{self.names.ident(definition.this)}"
            if old is not None and self.names.ident(old) != self.names.ident(definition.this):
                self._emit("rename", "column", f"{table}.{self.names.ident(old)}", table=table, new_name=new)
            self._emit("alter", "column", new, table=table)
        elif isinstance(action, exp.RenameIndex):
            self._emit("rename", "index", self.names.ident(action.this), table=table, new_name=self.names.ident(action.args["to"]))
        else:
            return False
        return True

    def _drop_part(self, table: str, action) -> bool:
        from sqlglot import exp

        kind = (action.args.get("kind") or "").upper()
        flags = frozenset(_flags(action, exists="if exists"))
        for target in action.args.get("tables") or []:
            node = target.this if isinstance(target, (exp.Table, exp.Column)) else target
            name = self.names.ident(node) if isinstance(node, exp.Identifier) else str(node).lower()
            if kind == "COLUMN":
                self._emit("drop", "column", f"{table}.{name}", table=table, flags=flags)
            elif kind in ("CONSTRAINT", "FOREIGN KEY", "CHECK"):
                self._emit("drop", "constraint", name, table=table, flags=flags)
            elif kind in ("INDEX", "KEY"):
                self._emit("drop", "index", name, table=table, flags=flags)
            else:
                return False
        return True

    # -- rows and reads --------------------------------------------------------------------------

    def _write(self, tree) -> None:
        from sqlglot import exp

        target = tree.this
        if isinstance(target, exp.Schema):
            target = target.this
        written = self.names.table(target) if isinstance(target, exp.Table) else None
        if written is not None:
            self._emit("write", "table", written)
        for kind, name in self._sources(tree):
            if name != written:
                self._emit("refer", kind, name)

    def _truncate(self, tree) -> None:
        for target in tree.expressions:
            self._emit("write", "table", self.names.table(target))

    def _query(self, tree) -> None:
        for kind, name in self._sources(tree):
            self._emit("refer", kind, name)

    def _comment(self, tree) -> bool | None:
        kind = (tree.args.get("kind") or "").upper()
        if kind == "COLUMN":
            column = tree.this
            table = self.names.ident(column.args["table"]) if column.args.get("table") is not None else None
            if table is None:
                return False
            self._emit("alter", "column", f"{table}.{self.names.ident(column.this)}", table=table)
            return None
        if kind in ("TABLE", "VIEW"):
            self._emit("alter", kind.lower(), self.names.table(tree.this))
            return None
        return False

    # -- helpers ---------------------------------------------------------------------------------

    def _sources(self, tree) -> tuple[tuple[str, str], ...]:
        """Every table a query reads (CTE names left out), as ("table", name) pairs, in order."""
        from sqlglot import exp

        if tree is None:
            return ()
        ctes = {self.names.ident(cte.args["alias"].this) for cte in tree.find_all(exp.CTE) if cte.args.get("alias") is not None}
        found: dict[tuple[str, str], None] = {}
        for table in tree.find_all(exp.Table):
            if not isinstance(table.this, exp.Identifier):
                continue
            name = self.names.table(table)
            if name not in ctes:
                found[("table", name)] = None
        return tuple(found)

    def _reference(self, reference) -> tuple[tuple[str, str], ...]:
        from sqlglot import exp

        target = reference.this
        if isinstance(target, exp.Schema):
            table = self.names.table(target.this)
            return (("table", table), *(("column", f"{table}.{column}") for column in self._names(target.expressions)))
        if isinstance(target, exp.Table):
            return (("table", self.names.table(target)),)
        return ()

    def _sequence_refs(self, default) -> list[tuple[str, str]]:
        from sqlglot import exp

        found = []
        for call in default.find_all(exp.Anonymous):
            if str(call.name).lower() == "nextval":
                for literal in call.find_all(exp.Literal):
                    if literal.is_string:
                        found.append(("sequence", self.names.normal(literal.this, quoted=False)))
        return found

    def _names(self, nodes) -> tuple[str, ...]:
        from sqlglot import exp

        out = []
        for node in nodes:
            if isinstance(node, exp.Column) and isinstance(node.this, exp.Identifier):
                out.append(self.names.ident(node.this))
            elif isinstance(node, exp.Identifier):
                out.append(self.names.ident(node))
            else:
                out.append(node.sql(dialect=self.names.sqlglot_dialect))
        return tuple(out)

    def _emit(self, action: str, kind: str, name: str, **fields: Any) -> None:
        self.out.append(Effect(action, kind, name, **fields))


def _flags(tree, **words: str) -> set[str]:
    """The flags of the tree's arguments that are set: ``_flags(tree, exists="if exists")``."""
    return {flag for argument, flag in words.items() if tree.args.get(argument)}


def _renamed_to(action):
    """The ``TO d`` of ``RENAME c TO d`` (a column rename), which sqlglot leaves among the options."""
    from sqlglot import exp

    options = (action.parent.args.get("options") or []) if action.parent is not None else []
    return next((option for option in options if isinstance(option, exp.ToTableProperty)), None)
