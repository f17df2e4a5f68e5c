"""Run the rules over a set of migrations: parse, annotate with the catalog, check, suppress.

Whose job is what: the api decides *which* migrations to lint (pending, all, changed since a git
ref) and hands their keys in with the graph; this module parses them, walks the graph in order
to know what each statement meets (``Catalog``), runs every rule that concerns the dialect at the
level the settings give it, applies the inline ``allow`` directives and returns a ``LintReport``.

Speed: statements are parsed once. Migrations that are not linted are only read for the catalog,
and only when their text mentions a name the linted ones touch (a table, an index, a type), so
linting the few pending migrations of a ten-thousand-migration project parses a few files, not
ten thousand.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import LintUnavailable, show_path
from ..files.splitter import ScriptError, split_statements
from . import facts as F
from . import rules as _registered  # noqa: F401  (importing the families registers every rule)
from .catalog import Catalog
from .facts import ParsedStatement
from .report import Finding, LintReport
from .rule import RULES, FileContext, Hit, Rule
from .selection import stands_for_present_originals
from .settings import OFF, LintSettings, resolve_rule
from .suppress import Allow, find_allows, scope

if TYPE_CHECKING:
    from ..model import Key, Migration
    from ..plan.graph import MigrationGraph
    from .apps import AppsView

UNPARSED, ALLOW_WITHOUT_REASON, ALLOW_UNKNOWN_RULE, ALLOW_UNUSED = "MM001", "MM002", "MM003", "MM004"


def make_parser(dialect: str):
    """The parser for ``dialect``; a clear error when PostgreSQL's (pglast) is not installed."""
    if dialect == "postgresql":
        try:
            from .parse_pg import PostgresParser

            return PostgresParser()
        except ImportError:
            raise LintUnavailable("PostgreSQL", "pglast") from None
    from .parse_glot import GlotParser

    return GlotParser(dialect)


@dataclass
class ParsedMigration:
    migration: Migration
    statements: list[ParsedStatement] = field(default_factory=list)


def parse_migration(migration: Migration, parser, dialect: str) -> ParsedMigration:
    parsed = ParsedMigration(migration)
    if migration.kind != "sql":
        return parsed
    try:
        pieces = split_statements(migration.sql_up, migration.up_line, dialect)
    except ScriptError as error:
        parsed.statements.append(ParsedStatement(text="", line=error.line, error=error.message))
        return parsed
    parsed.statements = [parser.parse(piece.text, piece.line) for piece in pieces]
    return parsed


def lint(
    graph: MigrationGraph,
    targets: Iterable[Key],
    *,
    dialect: str,
    settings: LintSettings,
    selection: str,
    timeouts: dict[str, float] | None = None,
    apps: Callable[[re.Pattern | None], AppsView | None] | None = None,
) -> LintReport:
    """Lint the migrations ``targets`` of ``graph``. ``apps``, when given, is called with the
    pattern of every name the linted migrations touch and returns the view the cross-app rules
    read (or None when no other app could be involved, so the map need not be built)."""
    parser = make_parser(dialect)
    ordered = graph.in_order(set(targets))
    parsed = {key: parse_migration(graph.migration(key), parser, dialect) for key in ordered}
    rules = [rule for rule in RULES.values() if dialect in rule.dialects]
    report = LintReport(dialect=dialect, selection=selection, files=[graph.migration(k).label for k in ordered])
    report.rules = {rule.id: rule.info() for rule in rules}
    if not ordered:
        return report

    mentions = Mentions.of(parsed.values())
    view = apps(mentions) if apps is not None else None
    last = graph.rank[ordered[-1]]
    catalog = Catalog()
    for key in _walk(graph, set(ordered)):
        if graph.rank[key] > last:
            break
        if key in parsed:
            file = parsed[key]
            annotate(file.statements, catalog)
            context = FileContext(file.migration, dialect, file.statements, dict(timeouts or {}), view, graph)
            found, quiet = _check(context, rules, settings)
            report.findings.extend(found)
            report.suppressed.extend(quiet)
        else:
            migration = graph.migration(key)
            if migration.kind == "sql" and mentions.found_in(migration.sql_up):
                annotate(parse_migration(migration, parser, dialect).statements, catalog)
    return report


def annotate(statements: list[ParsedStatement], catalog: Catalog) -> None:
    """Fill each action's ``prior`` (what was true just before it), then apply it to the catalog."""
    new_tables: set[str | None] = set()
    new_indexes: set[str | None] = set()
    for statement in statements:
        for action in statement.actions:
            prior = action.prior
            prior.table_is_new = action.kind == F.CREATE_TABLE or action.table in new_tables
            known = catalog.column(action.table, action.column)
            prior.column = F.ColumnDef(**vars(known)) if known is not None else None
            if action.kind in (F.DROP_INDEX, F.REINDEX, F.CREATE_INDEX):
                index = catalog.index(action.name)
                prior.index_table = action.table or (index.table if index else None)
                prior.index_is_new = action.name in new_indexes
                prior.table_is_new = prior.table_is_new or prior.index_table in new_tables
            if action.kind == F.DROP_COLUMN:
                prior.indexes = tuple(catalog.indexes_on(action.table, action.column))
            if action.kind == F.SET_NOT_NULL:
                prior.not_null_proven = catalog.not_null_proven(action.table, action.column)
            catalog.apply(action)
            if action.kind == F.CREATE_TABLE:
                new_tables.add(action.table)
            elif action.kind == F.RENAME_TABLE and action.table in new_tables:
                new_tables.add(action.new_name)
            elif action.kind == F.CREATE_INDEX:
                new_indexes.add(action.name)


def _walk(graph: MigrationGraph, targets: set) -> Iterable[Key]:
    """Graph order, without squash files that stand for originals still present (one route)."""
    for key in graph.order:
        if key in targets or not stands_for_present_originals(graph, key):
            yield key


@dataclass
class Mentions:
    """The names the linted migrations touch (tables, indexes, types...), and which apps touch each:
    a cheap text search for them tells which other files can matter."""

    apps_by_name: dict[str, set[str]]
    pattern: re.Pattern | None

    @classmethod
    def of(cls, files: Iterable[ParsedMigration]) -> "Mentions":
        found: dict[str, set[str]] = {}
        for file in files:
            for statement in file.statements:
                names = set(statement.reads)
                for action in statement.actions:
                    names.update(n for n in (action.table, action.name, action.new_name, action.references) if n)
                for name in names - {"?"}:
                    found.setdefault(name, set()).add(file.migration.app)
        if not found:
            return cls(found, None)
        alternatives = "|".join(re.escape(n) for n in sorted(found, key=len, reverse=True))
        return cls(found, re.compile(r"\b(?:" + alternatives + r")\b", re.IGNORECASE))

    def found_in(self, text: str) -> bool:
        return self.pattern is not None and self.pattern.search(text) is not None

    def by_another_app(self, text: str, app: str) -> bool:
        """``text`` (of a migration of ``app``) names something a linted migration of another app touches."""
        if self.pattern is None:
            return False
        return any(self.apps_by_name.get(m.group().lower(), set()) - {app} for m in self.pattern.finditer(text))


def _check(context: FileContext, rules: list[Rule], settings: LintSettings) -> tuple[list[Finding], list[Finding]]:
    """The file's findings and the ones its ``allow`` directives suppressed."""
    migration = context.migration
    raw: list[tuple[Rule, str, Hit]] = []
    for rule in rules:
        level = settings.level(rule.id, migration.app)
        if level != OFF:
            raw.extend((rule, level, hit) for hit in rule.check(context))
    allows = find_allows(migration.source)
    first_code = context.statements[0].line if context.statements else None
    scope(allows, context.statements, first_code if migration.kind == "sql" else None)
    resolved = [(allow, {resolve_rule(n) for n in allow.names} - {None}) for allow in allows]

    found, quiet = [], []
    for rule, level, hit in raw:
        finding = _finding(rule, level, hit, migration)
        allow = next((a for a, ids in resolved if a.reason and a.covers(rule.id, ids, hit.line, hit.whole_file)), None)
        if allow is None:
            found.append(finding)
        else:
            allow.used.add(rule.id)
            finding.suppressed = allow.reason
            quiet.append(finding)
    found.extend(_allow_findings(resolved, migration, settings))
    found.sort(key=lambda f: (f.line, f.rule))
    quiet.sort(key=lambda f: (f.line, f.rule))
    return found, quiet


def _allow_findings(resolved: list[tuple[Allow, set]], migration: Migration, settings: LintSettings) -> list[Finding]:
    found = []
    for allow, ids in resolved:
        hits: list[tuple[str, Hit]] = []
        shown = ", ".join(allow.names) or "(no rule)"
        if not allow.reason:
            hits.append((ALLOW_WITHOUT_REASON, Hit(allow.line, shown, f"'-- modmig: allow {shown}' gives no reason: "
                                                   f"write '-- modmig: allow {shown} because ...'; it suppresses nothing until it does")))
        unknown = [n for n in allow.names if resolve_rule(n) is None] or ([] if allow.names else ["(none)"])
        if unknown:
            hits.append((ALLOW_UNKNOWN_RULE, Hit(allow.line, ", ".join(unknown), f"'-- modmig: allow' names no known rule: "
                                                 f"{', '.join(unknown)} ('modmig lint --list-rules' lists them)")))
        elif allow.reason and ids - allow.used:
            unused = ", ".join(sorted(ids - allow.used))
            hits.append((ALLOW_UNUSED, Hit(allow.line, unused, f"'-- modmig: allow {unused}' suppresses nothing here: "
                                           f"no {unused} finding on the statement it is about; remove it")))
        for rule_id, hit in hits:
            level = settings.level(rule_id, migration.app)
            if level != OFF:
                found.append(_finding(RULES[rule_id], level, hit, migration))
    return found


def _finding(rule: Rule, level: str, hit: Hit, migration: Migration) -> Finding:
    return Finding(rule.id, rule.slug, level, migration.app, migration.label, show_path(migration.path),
                   hit.line, hit.object, hit.message)
