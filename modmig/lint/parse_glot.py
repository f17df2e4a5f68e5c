"""MySQL/MariaDB and SQLite statements into facts, with sqlglot.

sqlglot reads most DDL of both dialects into a tree; what it does not know it keeps as a
``Command`` with the text. Two MySQL forms matter enough to be read here by hand: ``RENAME TABLE
a TO b`` and ``ALTER TABLE t CONVERT TO CHARACTER SET ...``. MySQL's ``ALGORITHM=`` and
``LOCK=`` clauses are taken out of the text before parsing (sqlglot accepts them only in some
places) and kept on the statement, since the MySQL rules read them.

An ``ALTER`` sqlglot cannot read is an error (the lint reports it as unparsed, because an ALTER
it cannot see may be the dangerous one); any other ``Command`` (``CREATE TRIGGER``, procedures)
simply has no actions.
"""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from . import facts as F
from .facts import Action, ColumnDef, ParsedStatement, TypeRef

logging.getLogger("sqlglot").setLevel(logging.CRITICAL)

_DIALECTS = {"mysql": "mysql", "sqlite": "sqlite"}
_OPTION = re.compile(r"(,\s*)?\b(ALGORITHM|LOCK)\s*=?\s*(DEFAULT|INSTANT|INPLACE|COPY|NOCOPY|NONE|SHARED|EXCLUSIVE)\b(\s*,)?", re.IGNORECASE)
_HAS_OPTIONS = re.compile(r"^\s*(ALTER\s+TABLE|CREATE\s+(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?INDEX|DROP\s+INDEX)\b", re.IGNORECASE)
_RENAME_TABLE = re.compile(r"^\s*RENAME\s+TABLES?\s+(.*)$", re.IGNORECASE | re.DOTALL)
_RENAME_PAIR = re.compile(r"\s*([`\"\w.]+)\s+TO\s+([`\"\w.]+)\s*", re.IGNORECASE)
_CONVERT = re.compile(r"^\s*ALTER\s+(?:ONLINE\s+|IGNORE\s+)*TABLE\s+([`\"\w.]+)\s+.*\bCONVERT\s+TO\s+(CHARACTER\s+SET|CHARSET)\b", re.IGNORECASE | re.DOTALL)
_TYPE_NAMES = {
    "INT": "integer", "UINT": "integer", "MEDIUMINT": "mediumint", "DECIMAL": "numeric", "BOOLEAN": "boolean",
    "DOUBLE": "double precision", "TIMESTAMPTZ": "timestamptz", "NCHAR": "char", "NVARCHAR": "varchar",
}
_STABLE = (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime)
_CONSTANT_LEAVES = (exp.Literal, exp.Null, exp.Boolean)


class GlotParser:
    """``parse(text, line)`` -> ParsedStatement, for ``mysql`` or ``sqlite``."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.read = _DIALECTS[dialect]

    def parse(self, text: str, line: int) -> ParsedStatement:
        statement = ParsedStatement(text=text, line=line)
        source = text
        if self.dialect == "mysql" and _HAS_OPTIONS.match(text):
            source = self._take_options(text, statement)
        if self.dialect == "mysql" and self._by_hand(source, statement):
            return statement
        try:
            trees = sqlglot.parse(source, read=self.read)
        except (ParseError, TokenError) as error:
            statement.error = " ".join(str(error).split())[:300]
            return statement
        for tree in trees:
            if tree is None:
                continue
            if isinstance(tree, exp.Command):
                statement.error = _unreadable(tree)
                continue
            statement.actions.extend(self._actions(tree))
            named = {a.name for a in statement.actions if a.name}
            statement.reads.update(n for n in (F.norm(t.name) for t in tree.find_all(exp.Table) if t.name) if n not in named)
            statement.literals = statement.literals | {l.this for l in tree.find_all(exp.Literal) if l.is_string}
        return statement

    @staticmethod
    def _take_options(text: str, statement: ParsedStatement) -> str:
        def keep(match: re.Match) -> str:
            setattr(statement, match.group(2).lower(), match.group(3).upper())
            return "," if match.group(1) and match.group(4) else " "

        cleaned = _OPTION.sub(keep, text)
        return re.sub(r"(^\s*ALTER\s+TABLE\s+[`\"\w.]+)\s*,", r"\1 ", cleaned, flags=re.IGNORECASE).rstrip().rstrip(",")

    @staticmethod
    def _by_hand(text: str, statement: ParsedStatement) -> bool:
        """The MySQL statements sqlglot keeps as text but rules need: RENAME TABLE, CONVERT TO."""
        match = _RENAME_TABLE.match(text)
        if match:
            for pair in match.group(1).split(","):
                names = _RENAME_PAIR.fullmatch(pair)
                if names:
                    statement.actions.append(Action(F.RENAME_TABLE, table=F.norm(names.group(1)), new_name=F.norm(names.group(2))))
            return True
        match = _CONVERT.match(text)
        if match:
            table = F.norm(match.group(1))
            statement.actions.append(Action(F.REWRITE_TABLE, table=table, detail="CONVERT TO CHARACTER SET"))
            statement.reads.add(table)
            return True
        return False

    def _actions(self, tree: exp.Expression) -> list[Action]:
        if isinstance(tree, exp.Create):
            return self._create(tree)
        if isinstance(tree, exp.Alter):
            return self._alter(tree)
        if isinstance(tree, exp.Drop):
            return _drop(tree)
        if isinstance(tree, (exp.Update, exp.Delete)):
            kind = F.UPDATE if isinstance(tree, exp.Update) else F.DELETE
            return [Action(kind, table=_table_name(tree.this), has_where=tree.args.get("where") is not None)]
        if isinstance(tree, exp.Insert):
            target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
            return [Action(F.INSERT, table=_table_name(target))]
        if isinstance(tree, exp.TruncateTable):
            return [Action(F.TRUNCATE, table=_table_name(t)) for t in tree.expressions]
        if isinstance(tree, (exp.Set, exp.Pragma)):
            return _settings(tree)
        if isinstance(tree, (exp.Transaction, exp.Commit, exp.Rollback)):
            return [Action(F.TRANSACTION, detail=type(tree).__name__.upper())]
        return []

    def _create(self, tree: exp.Create) -> list[Action]:
        kind = str(tree.args.get("kind") or "").upper()
        if kind == "INDEX":
            index = tree.this
            params = index.args.get("params")
            columns = tuple(F.norm(c.name) for o in (params.args.get("columns") or ()) for c in o.find_all(exp.Column)) if params else ()
            return [Action(F.CREATE_INDEX, table=_table_name(index.args.get("table")), name=F.norm(index.name),
                           columns=columns, unique=bool(tree.args.get("unique")))]
        if kind == "VIEW":
            return [Action(F.CREATE_VIEW, name=_table_name(tree.this))]
        if kind != "TABLE":
            return []
        schema = tree.this
        if not isinstance(schema, exp.Schema):
            return [Action(F.CREATE_TABLE, table=_table_name(schema))]
        table = _table_name(schema.this)
        actions = [Action(F.CREATE_TABLE, table=table)]
        for element in schema.expressions:
            if isinstance(element, exp.ColumnDef):
                column, inline = self.column_def(element)
                actions.append(Action(F.ADD_COLUMN, table=table, column=column.name, definition=column, detail="create"))
                actions.extend(F.on_table(table, inline, "create"))
            else:
                actions.extend(F.on_table(table, _constraints(element), "create"))
        F.mark_table_keys(actions)
        return actions

    def _alter(self, tree: exp.Alter) -> list[Action]:
        table = _table_name(tree.this)
        actions: list[Action] = []
        for action in tree.args.get("actions") or ():
            actions.extend(self._alter_action(table, action))
        for option in tree.args.get("options") or ():
            if isinstance(option, exp.EngineProperty):
                actions.append(Action(F.REWRITE_TABLE, table=table, detail=f"ENGINE={option.name}"))
            elif not isinstance(option, (exp.AlgorithmProperty, exp.LockProperty)):
                actions.append(Action(F.ALTER_OTHER, table=table, detail=option.sql(self.read)[:60]))
        return actions

    def _alter_action(self, table: str | None, action: exp.Expression) -> list[Action]:
        if isinstance(action, exp.ColumnDef):
            column, inline = self.column_def(action)
            return [Action(F.ADD_COLUMN, table=table, column=column.name, definition=column), *F.on_table(table, inline)]
        if isinstance(action, exp.Drop):
            kind = str(action.args.get("kind") or "").upper()
            names = [F.norm(t.name) for t in action.args.get("tables") or ()]
            if kind == "COLUMN":
                return [Action(F.DROP_COLUMN, table=table, column=n) for n in names]
            if kind in ("INDEX", "KEY"):
                return [Action(F.DROP_INDEX, table=table, name=n) for n in names]
            return [Action(F.DROP_CONSTRAINT, table=table, name=n, detail=kind) for n in names]
        if isinstance(action, exp.DropPrimaryKey):
            return [Action(F.DROP_CONSTRAINT, table=table, constraint=F.PRIMARY_KEY, detail="PRIMARY KEY")]
        if isinstance(action, exp.AlterColumn):
            return self._alter_column(table, action)
        if isinstance(action, exp.ModifyColumn):
            column, inline = self.column_def(action.this)
            found = []
            old = action.args.get("rename_from")
            if old is not None and F.norm(old.name) != column.name:
                found.append(Action(F.RENAME_COLUMN, table=table, column=F.norm(old.name), new_name=column.name))
            found.append(Action(F.ALTER_TYPE, table=table, column=column.name, definition=column, detail="modify"))
            return found + F.on_table(table, inline)
        if isinstance(action, exp.RenameColumn):
            return [Action(F.RENAME_COLUMN, table=table, column=F.norm(action.this.name), new_name=F.norm(action.args["to"].name))]
        if isinstance(action, exp.AlterRename):
            return [Action(F.RENAME_TABLE, table=table, new_name=_table_name(action.this))]
        if isinstance(action, exp.AddConstraint):
            return F.on_table(table, [a for e in action.expressions for a in _constraints(e)])
        if isinstance(action, exp.ForceProperty):
            return [Action(F.REWRITE_TABLE, table=table, detail="FORCE")]
        return [Action(F.ALTER_OTHER, table=table, detail=type(action).__name__)]

    def _alter_column(self, table: str | None, action: exp.AlterColumn) -> list[Action]:
        name = F.norm(action.name)
        if action.args.get("dtype") is not None:
            new = ColumnDef(name=name, type=type_ref(action.args["dtype"]))
            return [Action(F.ALTER_TYPE, table=table, column=name, definition=new, using=action.args.get("using") is not None)]
        if action.args.get("allow_null") is False:
            return [Action(F.SET_NOT_NULL, table=table, column=name)]
        if action.args.get("allow_null") is True or action.args.get("drop") and "NOT NULL" in action.sql(self.read).upper():
            return [Action(F.DROP_NOT_NULL, table=table, column=name)]
        if action.args.get("default") is not None or action.args.get("drop"):
            return [Action(F.SET_DEFAULT, table=table, column=name)]
        return [Action(F.ALTER_OTHER, table=table, column=name, detail="ALTER COLUMN")]

    def column_def(self, node: exp.ColumnDef) -> tuple[ColumnDef, list[Action]]:
        column = ColumnDef(name=F.norm(node.name) or "?", type=type_ref(node.args.get("kind")))
        inline: list[Action] = []
        for constraint in node.args.get("constraints") or ():
            kind = constraint.args.get("kind")
            if isinstance(kind, exp.NotNullColumnConstraint):
                column.not_null, column.null_given = not kind.args.get("allow_null"), True
            elif isinstance(kind, exp.DefaultColumnConstraint):
                column.default = kind.this.sql(self.read) if kind.this is not None else "NULL"
                column.default_kind = default_kind(kind.this)
            elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
                column.primary_key = column.not_null = True
                inline.append(Action(F.ADD_CONSTRAINT, constraint=F.PRIMARY_KEY, columns=(column.name,), detail="column"))
            elif isinstance(kind, exp.UniqueColumnConstraint):
                column.unique = True
                inline.append(Action(F.ADD_CONSTRAINT, constraint=F.UNIQUE, columns=(column.name,), detail="column"))
            elif isinstance(kind, exp.AutoIncrementColumnConstraint):
                column.auto_increment = True
            elif isinstance(kind, exp.ComputedColumnConstraint):
                column.generated = "stored" if kind.args.get("persisted") else "virtual"
            elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
                column.generated = "identity"
            elif isinstance(kind, exp.CheckColumnConstraint):
                column.check = True
                inline.append(Action(F.ADD_CONSTRAINT, constraint=F.CHECK, columns=(column.name,), detail="column"))
            elif isinstance(kind, exp.CommentColumnConstraint):
                column.comment = kind.this.sql(self.read)
            elif isinstance(constraint, exp.Reference) or isinstance(kind, exp.Reference):
                reference = kind if isinstance(kind, exp.Reference) else constraint
                column.references = _reference_table(reference)
                inline.append(Action(F.ADD_CONSTRAINT, constraint=F.FOREIGN_KEY, columns=(column.name,),
                                     references=column.references, detail="column"))
        return column, inline


#: What may follow CREATE in a statement sqlglot keeps as text without it being a mistake.
_OPAQUE_CREATES = frozenset({"TRIGGER", "PROCEDURE", "FUNCTION", "EVENT", "DEFINER", "OR", "AGGREGATE", "SERVER", "USER", "ROLE", "SEQUENCE", "VIRTUAL"})


def _unreadable(command: exp.Command) -> str | None:
    """Why a statement sqlglot kept as text is a problem, or None when it is simply opaque."""
    verb = str(command.this).upper()
    rest = command.expression.name if isinstance(command.expression, exp.Literal) else str(command.expression or "")
    word = (rest.split() or [""])[0].upper()
    if verb in ("ALTER", "RENAME") or (verb in ("CREATE", "DROP") and word not in _OPAQUE_CREATES):
        return f"sqlglot could not read this {verb} statement"
    return None


def type_ref(data_type) -> TypeRef | None:
    if not isinstance(data_type, exp.DataType):
        return None
    raw = data_type.this.name if hasattr(data_type.this, "name") else str(data_type.this)
    name = _TYPE_NAMES.get(raw, raw.lower())
    args: list = []
    for param in data_type.expressions:
        value = param.this if isinstance(param, exp.DataTypeParam) else param
        if isinstance(value, exp.Literal):
            args.append(value.this if value.is_string else int(value.this) if value.this.isdigit() else value.this)
    return TypeRef(name, tuple(args))


def default_kind(expression) -> str:
    """CONSTANT for a literal (SQLite's rule for ADD COLUMN), STABLE for CURRENT_*, else VOLATILE."""
    if expression is None:
        return F.CONSTANT
    if isinstance(expression, _CONSTANT_LEAVES) or (isinstance(expression, exp.Neg) and isinstance(expression.this, exp.Literal)):
        return F.CONSTANT
    if isinstance(expression, _STABLE):
        return F.STABLE
    return F.VOLATILE


def _table_name(node) -> str | None:
    if node is None:
        return None
    return F.norm(node.name) if hasattr(node, "name") and node.name else None


def _reference_table(reference: exp.Expression) -> str | None:
    target = reference.this
    if isinstance(target, exp.Schema):
        target = target.this
    return _table_name(target)


def _constraints(element: exp.Expression) -> list[Action]:
    """Table-level constraints and keys (of CREATE TABLE or ALTER TABLE ... ADD) as actions."""
    name = None
    if isinstance(element, exp.Constraint):
        name = F.norm(element.name)
        parts = list(element.expressions)
    else:
        parts = [element]
    actions = []
    for part in parts:
        if isinstance(part, exp.PrimaryKey):
            actions.append(Action(F.ADD_CONSTRAINT, name=name, constraint=F.PRIMARY_KEY, columns=_names(part.expressions)))
        elif isinstance(part, exp.ForeignKey):
            reference = part.args.get("reference")
            actions.append(Action(F.ADD_CONSTRAINT, name=name, constraint=F.FOREIGN_KEY, columns=_names(part.expressions),
                                  references=_reference_table(reference) if reference is not None else None))
        elif isinstance(part, exp.UniqueColumnConstraint):
            schema = part.this
            columns = _names(schema.expressions) if isinstance(schema, exp.Schema) else ()
            label = F.norm(schema.name) if isinstance(schema, exp.Schema) and schema.this is not None else name
            actions.append(Action(F.ADD_CONSTRAINT, name=label, constraint=F.UNIQUE, columns=columns))
        elif isinstance(part, exp.CheckColumnConstraint):
            actions.append(Action(F.ADD_CONSTRAINT, name=name, constraint=F.CHECK))
        elif isinstance(part, exp.IndexColumnConstraint):
            method = part.args.get("kind")
            actions.append(Action(F.CREATE_INDEX, name=F.norm(part.name) if part.this else None,
                                  columns=_names(part.expressions), value=str(method).lower() if method else None))
        else:
            actions.append(Action(F.ALTER_OTHER, detail=type(part).__name__))
    return actions


def _names(items) -> tuple[str, ...]:
    return tuple(F.norm(item.name) for item in items if getattr(item, "name", None))



def _drop(tree: exp.Drop) -> list[Action]:
    kind = str(tree.args.get("kind") or "").upper()
    names = [_table_name(t) for t in tree.args.get("tables") or ()] or [F.norm(tree.name) if tree.name else None]
    cascade = bool(tree.args.get("cascade"))
    if kind == "TABLE":
        return [Action(F.DROP_TABLE, table=n, cascade=cascade) for n in names]
    if kind == "INDEX":
        on = tree.args.get("cluster")
        table = _table_name(on.this) if on is not None else None
        return [Action(F.DROP_INDEX, table=table, name=n) for n in names]
    if kind == "VIEW":
        return [Action(F.DROP_VIEW, name=n) for n in names]
    if kind in ("SCHEMA", "DATABASE"):
        return [Action(F.DROP_SCHEMA if kind == "SCHEMA" else F.DROP_DATABASE, name=n) for n in names]
    return [Action(F.ALTER_OTHER, name=n, detail=f"DROP {kind}") for n in names]


def _settings(tree: exp.Expression) -> list[Action]:
    """``SET [SESSION] name = value`` and ``PRAGMA name = value`` as SET actions."""
    found = []
    items = tree.expressions if isinstance(tree, exp.Set) else [tree]
    for item in items:
        pair = item.this if isinstance(item, (exp.SetItem, exp.Pragma)) else item
        if isinstance(pair, exp.EQ):
            name, value = pair.this.name, pair.expression.name or pair.expression.sql()
        else:
            name, value = getattr(pair, "name", ""), None
        found.append(Action(F.SET, name=(name or "").lower(), value=(value or "").lower() or None,
                            detail="pragma" if isinstance(tree, exp.Pragma) else None))
    return found
