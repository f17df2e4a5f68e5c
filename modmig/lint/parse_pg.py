"""PostgreSQL statements into facts, with PostgreSQL's own parser (pglast, libpg_query).

pglast can hand back its tree as Python objects or as JSON; the JSON, read with ``json.loads``,
costs about a fifteenth of the objects (17 us against 270 us for a ``CREATE TABLE``), which is
what keeps linting a thousand migrations within a few seconds. So this module walks plain dicts:
each node is ``{"NodeType": {fields}}``.

Only what some rule reads is translated; everything else a statement does leaves no action (a
``SELECT``, a ``CREATE FUNCTION``) or an ``ALTER_OTHER`` naming the subcommand.
"""

from __future__ import annotations

import json

from . import facts as F
from .facts import Action, ColumnDef, ParsedStatement, TypeRef

#: pg_catalog spellings -> the names people write.
_TYPE_NAMES = {
    "int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real", "float8": "double precision",
    "bpchar": "char", "bool": "boolean", "serial4": "serial", "serial8": "bigserial", "serial2": "smallserial",
    "varbit": "bit varying", "timestamp": "timestamp", "timestamptz": "timestamptz", "int": "integer",
}
#: Functions whose value does not change within a statement (a default of theirs does not
#: rewrite the table: PostgreSQL 11+ stores it once). Anything else is treated as volatile,
#: as user-defined functions are unless declared otherwise.
_STABLE_FUNCTIONS = frozenset({
    "now", "statement_timestamp", "transaction_timestamp", "current_setting", "current_database",
    "current_schema", "current_user", "session_user", "to_timestamp", "to_date", "to_char", "make_date",
    "make_timestamp", "make_timestamptz", "make_interval", "lower", "upper", "length", "abs", "coalesce",
    "concat", "jsonb_build_object", "json_build_object", "jsonb_build_array", "array", "date_trunc",
})
_CONSTRAINTS = {
    "CONSTR_PRIMARY": F.PRIMARY_KEY, "CONSTR_UNIQUE": F.UNIQUE, "CONSTR_FOREIGN": F.FOREIGN_KEY,
    "CONSTR_CHECK": F.CHECK, "CONSTR_EXCLUSION": F.EXCLUDE,
}
_REWRITES = {
    "AT_SetTableSpace": "SET TABLESPACE", "AT_SetLogged": "SET LOGGED", "AT_SetUnLogged": "SET UNLOGGED",
    "AT_SetAccessMethod": "SET ACCESS METHOD",
}


class PostgresParser:
    """``parse(text, line)`` -> ParsedStatement; a statement pglast rejects gets ``error`` set."""

    def __init__(self) -> None:
        from pglast.parser import ParseError, parse_sql_json

        self._parse_json, self._error = parse_sql_json, ParseError

    def parse(self, text: str, line: int) -> ParsedStatement:
        statement = ParsedStatement(text=text, line=line)
        try:
            tree = json.loads(self._parse_json(text))
        except self._error as error:
            statement.error = str(error)
            return statement
        for raw in tree.get("stmts", ()):
            node = raw.get("stmt")
            if node:
                kind, body = _only(node)
                handler = _HANDLERS.get(kind)
                if handler is not None:
                    statement.actions.extend(handler(body))
                _collect(node, statement)
        return statement


def _only(node: dict) -> tuple[str, dict]:
    return next(iter(node.items()))


def _collect(node, statement: ParsedStatement) -> None:
    """Every relation the statement names (into ``reads``) and every string literal it uses."""
    literals = set(statement.literals)
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "relname" in item:
                statement.reads.add(F.norm(item["relname"]))
            constant = item.get("A_Const")
            if isinstance(constant, dict) and "sval" in constant:
                literals.add(constant["sval"].get("sval", ""))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    statement.literals = frozenset(literals)


def _strings(items) -> list[str]:
    return [_only(item)[1].get("sval", "") for item in items or ()]


def _relation(body: dict, key: str = "relation") -> str | None:
    relation = body.get(key)
    return F.norm(relation.get("relname")) if relation else None


def type_ref(type_name: dict | None) -> TypeRef | None:
    if not type_name:
        return None
    names = _strings(type_name.get("names"))
    name = names[-1].lower() if names else "?"
    args = []
    for mod in type_name.get("typmods") or ():
        kind, body = _only(mod)
        if kind == "A_Const" and "ival" in body:
            args.append(body["ival"].get("ival", 0))
    return TypeRef(_TYPE_NAMES.get(name, name), tuple(args), array=bool(type_name.get("arrayBounds")))


def default_kind(expression) -> str:
    """CONSTANT, STABLE or VOLATILE: the most volatile function call inside ``expression``."""
    worst = F.CONSTANT
    stack = [expression]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "SQLValueFunction" in item:
                worst = F.STABLE if worst == F.CONSTANT else worst
            call = item.get("FuncCall")
            if isinstance(call, dict):
                name = (_strings(call.get("funcname")) or ["?"])[-1].lower()
                if name not in _STABLE_FUNCTIONS:
                    return F.VOLATILE
                worst = F.STABLE
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return worst


def column_def(body: dict) -> tuple[ColumnDef, list[Action]]:
    """A ColumnDef node as a ColumnDef, plus the constraints it declares inline (as actions)."""
    column = ColumnDef(name=F.norm(body.get("colname")) or "?", type=type_ref(body.get("typeName")))
    column.not_null = bool(body.get("is_not_null"))
    inline: list[Action] = []
    for item in body.get("constraints") or ():
        constraint = _only(item)[1]
        contype = constraint.get("contype")
        if contype == "CONSTR_NOTNULL":
            column.not_null = True
        elif contype == "CONSTR_DEFAULT":
            column.default = "expression"
            column.default_kind = default_kind(constraint.get("raw_expr"))
        elif contype == "CONSTR_IDENTITY":
            column.generated = "identity"
        elif contype == "CONSTR_GENERATED":
            column.generated = "virtual" if constraint.get("generated_kind") == "v" else "stored"
        elif contype in _CONSTRAINTS:
            action = _constraint_action(constraint, columns=(column.name,))
            action.detail = "column"
            inline.append(action)
            if contype == "CONSTR_PRIMARY":
                column.primary_key = column.not_null = True
            elif contype == "CONSTR_UNIQUE":
                column.unique = True
            elif contype == "CONSTR_FOREIGN":
                column.references = action.references
            elif contype == "CONSTR_CHECK":
                column.check = True
    if column.type is not None and column.type.name in ("serial", "bigserial", "smallserial"):
        column.default, column.default_kind, column.not_null = "nextval", F.VOLATILE, True
    return column, inline


def _constraint_action(constraint: dict, columns: tuple[str, ...] = ()) -> Action:
    contype = constraint.get("contype")
    kind = _CONSTRAINTS.get(contype, contype)
    keys = tuple(F.norm(k) for k in _strings(constraint.get("keys") or constraint.get("fk_attrs"))) or columns
    action = Action(
        F.ADD_CONSTRAINT, name=F.norm(constraint.get("conname")), constraint=kind, columns=keys,
        not_valid=bool(constraint.get("skip_validation")), using_index=bool(constraint.get("indexname")),
    )
    if contype == "CONSTR_FOREIGN":
        action.references = _relation(constraint, "pktable")
    if contype == "CONSTR_CHECK":
        action.value = _not_null_check(constraint.get("raw_expr"))
    return action


def _not_null_check(expression) -> str | None:
    """``col`` for a check that is exactly ``col IS NOT NULL``, else None."""
    if isinstance(expression, dict) and "NullTest" in expression:
        test = expression["NullTest"]
        fields = _strings(test.get("arg", {}).get("ColumnRef", {}).get("fields"))
        if test.get("nulltesttype") == "IS_NOT_NULL" and fields:
            return F.norm(fields[-1])
    return None


def _create(body: dict) -> list[Action]:
    table = _relation(body)
    actions = [Action(F.CREATE_TABLE, table=table, detail="temporary" if body.get("relation", {}).get("relpersistence") == "t" else None)]
    for item in body.get("tableElts") or ():
        kind, element = _only(item)
        if kind == "ColumnDef":
            column, inline = column_def(element)
            actions.append(Action(F.ADD_COLUMN, table=table, column=column.name, definition=column, detail="create"))
            actions.extend(F.on_table(table, inline, detail="create"))
        elif kind == "Constraint":
            actions.extend(F.on_table(table, [_constraint_action(element)], detail="create"))
    F.mark_table_keys(actions)
    return actions




def _alter(body: dict) -> list[Action]:
    if body.get("objtype") not in ("OBJECT_TABLE", "OBJECT_MATVIEW", "OBJECT_FOREIGN_TABLE"):
        return [Action(F.ALTER_OTHER, name=_relation(body), detail=body.get("objtype"))]
    table = _relation(body)
    actions: list[Action] = []
    for item in body.get("cmds") or ():
        cmd = _only(item)[1]
        subtype, name = cmd.get("subtype"), F.norm(cmd.get("name"))
        definition = cmd.get("def")
        if subtype == "AT_AddColumn":
            column, inline = column_def(_only(definition)[1])
            actions.append(Action(F.ADD_COLUMN, table=table, column=column.name, definition=column))
            actions.extend(F.on_table(table, inline))
        elif subtype == "AT_DropColumn":
            actions.append(Action(F.DROP_COLUMN, table=table, column=name, cascade=cmd.get("behavior") == "DROP_CASCADE"))
        elif subtype == "AT_AlterColumnType":
            body_def = _only(definition)[1]
            new = ColumnDef(name=name, type=type_ref(body_def.get("typeName")))
            actions.append(Action(F.ALTER_TYPE, table=table, column=name, definition=new, using=bool(body_def.get("raw_default"))))
        elif subtype == "AT_SetNotNull":
            actions.append(Action(F.SET_NOT_NULL, table=table, column=name))
        elif subtype == "AT_DropNotNull":
            actions.append(Action(F.DROP_NOT_NULL, table=table, column=name))
        elif subtype == "AT_ColumnDefault":
            actions.append(Action(F.SET_DEFAULT, table=table, column=name, value=None if definition is None else default_kind(definition)))
        elif subtype == "AT_AddConstraint":
            actions.append(F.on_table(table, [_constraint_action(_only(definition)[1])])[0])
        elif subtype == "AT_ValidateConstraint":
            actions.append(Action(F.VALIDATE_CONSTRAINT, table=table, name=name))
        elif subtype == "AT_DropConstraint":
            actions.append(Action(F.DROP_CONSTRAINT, table=table, name=name))
        elif subtype in _REWRITES:
            actions.append(Action(F.REWRITE_TABLE, table=table, detail=_REWRITES[subtype]))
        else:
            actions.append(Action(F.ALTER_OTHER, table=table, column=name, detail=subtype))
    return actions


def _rename(body: dict) -> list[Action]:
    kind, table = body.get("renameType"), _relation(body)
    if kind in ("OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW"):
        return [Action(F.RENAME_TABLE, table=table, new_name=F.norm(body.get("newname")), detail=kind)]
    if kind == "OBJECT_COLUMN":
        return [Action(F.RENAME_COLUMN, table=table, column=F.norm(body.get("subname")), new_name=F.norm(body.get("newname")))]
    return [Action(F.ALTER_OTHER, table=table, name=F.norm(body.get("subname")), detail=f"RENAME {kind}")]


def _index(body: dict) -> list[Action]:
    columns = tuple(F.norm(_only(p)[1].get("name")) or "expression" for p in body.get("indexParams") or ())
    return [Action(
        F.CREATE_INDEX, table=_relation(body), name=F.norm(body.get("idxname")), columns=columns,
        concurrently=bool(body.get("concurrent")), unique=bool(body.get("unique")), value=body.get("accessMethod"),
    )]


_DROPS = {
    "OBJECT_TABLE": F.DROP_TABLE, "OBJECT_INDEX": F.DROP_INDEX, "OBJECT_VIEW": F.DROP_VIEW,
    "OBJECT_MATVIEW": F.DROP_VIEW, "OBJECT_SCHEMA": F.DROP_SCHEMA,
}


def _drop(body: dict) -> list[Action]:
    kind = _DROPS.get(body.get("removeType"))
    if kind is None:
        return [Action(F.ALTER_OTHER, detail=f"DROP {body.get('removeType')}")]
    actions = []
    for item in body.get("objects") or ():
        node_kind, node = _only(item)
        names = _strings(node.get("items")) if node_kind == "List" else [node.get("sval", "")]
        name = F.norm(".".join(names))
        action = Action(kind, cascade=body.get("behavior") == "DROP_CASCADE", concurrently=bool(body.get("concurrent")))
        if kind == F.DROP_TABLE:
            action.table = name
        else:
            action.name = name
        actions.append(action)
    return actions


def _truncate(body: dict) -> list[Action]:
    cascade = body.get("behavior") == "DROP_CASCADE"
    return [Action(F.TRUNCATE, table=F.norm(_only(r)[1].get("relname")), cascade=cascade) for r in body.get("relations") or ()]


def _set(body: dict) -> list[Action]:
    values = []
    for arg in body.get("args") or ():
        constant = _only(arg)[1]
        for key in ("sval", "ival", "fval"):
            if key in constant:
                values.append(str(next(iter(constant[key].values()), "")))
    return [Action(F.SET, name=(body.get("name") or "").lower(), value=" ".join(values) or body.get("kind"),
                   detail="local" if body.get("is_local") else None)]


def _vacuum(body: dict) -> list[Action]:
    options = {(_only(o)[1].get("defname") or "").lower() for o in body.get("options") or ()}
    if "full" not in options:
        return []
    tables = [F.norm(_only(r)[1].get("relation", {}).get("relname")) for r in body.get("rels") or ()]
    return [Action(F.REWRITE_TABLE, table=t, detail="VACUUM FULL") for t in tables or [None]]


def _reindex(body: dict) -> list[Action]:
    options = {(_only(o)[1].get("defname") or "").lower() for o in body.get("params") or ()}
    return [Action(F.REINDEX, table=_relation(body), name=F.norm(body.get("name")), concurrently="concurrently" in options)]


def _dml(kind: str):
    def handler(body: dict) -> list[Action]:
        return [Action(kind, table=_relation(body), has_where=body.get("whereClause") is not None)]

    return handler


def _create_as(body: dict) -> list[Action]:
    name = F.norm(body["into"]["rel"].get("relname"))
    if body.get("objtype") == "OBJECT_MATVIEW":
        return [Action(F.CREATE_VIEW, name=name)]
    return [Action(F.CREATE_TABLE, table=name)]


def _type_name(body: dict) -> str | None:
    return F.norm(".".join(_strings(body.get("typeName"))))


def _enum_value(body: dict) -> list[Action]:
    if not body.get("newVal") or body.get("oldVal"):  # RENAME VALUE changes no stored value
        return []
    return [Action(F.ADD_ENUM_VALUE, name=_type_name(body), value=body["newVal"])]


def _domain(body: dict) -> list[Action]:
    if body.get("subtype") != "C" or not body.get("def"):  # only ADD CONSTRAINT scans
        return []
    return [Action(F.DOMAIN_CONSTRAINT, name=_type_name(body), not_valid=bool(_only(body["def"])[1].get("skip_validation")))]


def _lock(body: dict) -> list[Action]:
    return [Action(F.LOCK_TABLE, table=F.norm(_only(r)[1].get("relname")), value=str(body.get("mode")))
            for r in body.get("relations") or ()]


_HANDLERS = {
    "CreateStmt": _create,
    "AlterTableStmt": _alter,
    "RenameStmt": _rename,
    "IndexStmt": _index,
    "DropStmt": _drop,
    "DropdbStmt": lambda b: [Action(F.DROP_DATABASE, name=F.norm(b.get("dbname")))],
    "TruncateStmt": _truncate,
    "InsertStmt": _dml(F.INSERT),
    "UpdateStmt": _dml(F.UPDATE),
    "DeleteStmt": _dml(F.DELETE),
    "VariableSetStmt": _set,
    "VacuumStmt": _vacuum,
    "ClusterStmt": lambda b: [Action(F.REWRITE_TABLE, table=_relation(b), detail="CLUSTER")],
    "ReindexStmt": _reindex,
    "RefreshMatViewStmt": lambda b: [Action(F.REFRESH_VIEW, name=_relation(b), concurrently=bool(b.get("concurrent")))],
    "ViewStmt": lambda b: [Action(F.CREATE_VIEW, name=_relation(b, "view"))],
    "CreateTableAsStmt": _create_as,
    "CreateEnumStmt": lambda b: [Action(F.CREATE_ENUM, name=_type_name(b), columns=tuple(_strings(b.get("vals"))))],
    "AlterEnumStmt": _enum_value,
    "AlterDomainStmt": _domain,
    "TransactionStmt": lambda b: [Action(F.TRANSACTION, detail=b.get("kind", "").replace("TRANS_STMT_", ""))],
    "LockStmt": _lock,
}
