"""The text of a squash file: folded SQL, or a Python file carrying the range's Python steps.

A squash is a SQL file (``MMMM_squashed_NNNN.sql``) unless a Python migration of the range is
carried; then it is a Python file whose ``upgrade`` runs the folded statements and the carried
steps in their original order. A carried step's code is copied into the squash as text and
executed there in a fresh namespace, so the squash never imports from the files it replaces and
they can be deleted. A Python migration declaring ``elidable = True`` is dropped instead.

The down section (or ``downgrade``) exists when every file kept in the range is reversible: it is
their down sections, newest first, which undo the squash exactly as they undid the originals (the
squash was verified to produce the same database).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..version import __version__
from .dead_changes import without_dead_changes
from .folding import Carried, Folder, Sql
from ..model import Dependency, Migration
from ..files.pyfile import read_python_migration
from ..files.sqlfile import _DIRECTIVE, read_sql_migration
from ..files.splitter import split_statements


@dataclass
class BuiltSquash:
    app: str
    first: int
    last: int
    kind: str  # "sql" or "python"
    text: str
    statements: int
    carried: list[str] = field(default_factory=list)
    elided: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first:04d}_squashed_{self.last:04d}"

    def migration(self, path: Path) -> Migration:
        """The squash as the loader will read it (so what is verified is what is written)."""
        reader = read_python_migration if self.kind == "python" else read_sql_migration
        return reader(self.app, self.first, self.name, path, self.text)


def build_squash(
    app: str, first: int, last: int, route: list[Migration], dependencies: list[Dependency], dialect: str
) -> BuiltSquash:
    """Fold ``route`` (the files that run through first..last) into one squash file's text."""
    kept = [m for m in route if not (m.kind == "python" and m.elidable)]
    elided = [m.name for m in route if m not in kept]
    folder = Folder(dialect)
    for migration in kept:
        if migration.kind == "python":
            folder.add_barrier(migration)
        else:
            for statement in split_statements(migration.sql_up, migration.up_line, dialect):
                cleaned = _without_directives(statement.text)
                if cleaned:
                    folder.add(cleaned)
    up = without_dead_changes(folder.result(), dialect)
    index_tables = {key.rsplit("/", 1)[-1]: index.table for key, index in folder.indexes.items()}
    down = None
    if kept and all(m.reversible for m in kept):
        undo = Folder(dialect)
        for migration in reversed(kept):
            if migration.kind == "python":
                undo.add_barrier(migration)
                continue
            for statement in split_statements(migration.sql_down or "", migration.down_line, dialect):
                cleaned = _without_directives(statement.text)
                if cleaned:
                    undo.add(cleaned)
        down = without_dead_changes(undo.result(), dialect, index_tables)
    carried = [m.name for m in kept if m.kind == "python"]
    transaction = all(m.transaction for m in kept)
    header = _header(app, first, last, route)
    statements = sum(isinstance(item, Sql) for item in up)
    if carried:
        text = _python_text(header, first, last, dependencies, transaction, up, down)
        kind = "python"
    else:
        text = _sql_text(header, first, last, dependencies, transaction, up, down)
        kind = "sql"
    return BuiltSquash(app, first, last, kind, text, statements, carried, elided)


def _header(app: str, first: int, last: int, route: list[Migration]) -> list[str]:
    names = [m.name for m in route]
    shown = ", ".join(names) if len(names) <= 6 else f"{', '.join(names[:3])}, ..., {', '.join(names[-2:])}"
    return [
        f"Squash of {app} {first:04d}-{last:04d}, written by 'modmig squash' (modmig {__version__}).",
        f"It replaces {len(names)} file(s): {shown}.",
    ]


def _without_directives(text: str) -> str:
    """A statement without ``-- modmig:`` comment lines it picked up from its file's header."""
    lines = [line for line in text.splitlines() if not _DIRECTIVE.match(line)]
    return "\n".join(lines).strip()


def _terminated(text: str) -> str:
    last_line = text.rsplit("\n", 1)[-1]
    return f"{text}\n;" if "--" in last_line else f"{text};"


def _sql_text(header, first, last, dependencies, transaction, up, down) -> str:
    lines = [f"-- modmig: replaces {first:04d}-{last:04d}"]
    if dependencies:
        lines.append("-- modmig: depends " + ", ".join(str(d) for d in dependencies))
    if not transaction:
        lines.append("-- modmig: transaction off")
    lines.extend(f"-- {line}" for line in header)
    parts = ["\n".join(lines), "\n\n".join(_terminated(item.text) for item in up)]
    if down is not None:
        parts.append("-- modmig: down\n" + "\n\n".join(_terminated(item.text) for item in down))
    return "\n".join(part for part in parts if part) + "\n"


def _python_text(header, first, last, dependencies, transaction, up, down) -> str:
    carried = {}
    for item in [*up, *(down or [])]:
        if isinstance(item, Carried):
            carried[item.item.name] = item.item.source
    out = [f'"""{header[0]}', "", f"{header[1]}", "Python steps are carried as text and run in a fresh namespace each.", '"""', ""]
    out.append(f"replaces = ({first}, {last})")
    out.append(f"dependencies = {[str(d) for d in dependencies]!r}")
    out.append(f"transaction = {transaction}")
    out.append("")
    out.append("UPGRADE = [")
    out.extend(_step_line(item) for item in up)
    out.append("]")
    if down is not None:
        out.append("")
        out.append("DOWNGRADE = [")
        out.extend(_step_line(item) for item in down)
        out.append("]")
    out.append("")
    out.append("CARRIED = {")
    for name, source in carried.items():
        out.append(f"    {name!r}: {_literal(source)},")
    out.append("}")
    out.append("")
    out.append("")
    out.append("def upgrade(ctx):")
    out.append('    _run(ctx, UPGRADE, "upgrade")')
    if down is not None:
        out.append("")
        out.append("")
        out.append("def downgrade(ctx):")
        out.append('    _run(ctx, DOWNGRADE, "downgrade")')
    out.extend([
        "",
        "",
        "def _run(ctx, steps, function):",
        "    for kind, item in steps:",
        '        if kind == "sql":',
        "            ctx.execute(item)",
        "            continue",
        '        namespace = {"__name__": "modmig_carried_" + item, "__file__": __file__}',
        '        exec(compile(CARRIED[item], __file__ + ":" + item, "exec"), namespace)',
        "        namespace[function](ctx)",
        "",
    ])
    return "\n".join(out)


def _step_line(item) -> str:
    if isinstance(item, Sql):
        return f'    ("sql", {_literal(item.text)}),'
    return f'    ("python", {item.item.name!r}),'


def _literal(text: str) -> str:
    """A readable Python literal for ``text``: a raw triple-quoted string when that is exact."""
    if "'''" in text or "\\" in text or "\r" in text:
        return repr(text)
    body = text + "\n" if text.endswith("'") else text
    return f"r'''{body}'''"
