"""Draw the migration graph as text, Graphviz dot or Mermaid (``modmig graph``).

Apps are clusters; an edge is drawn for every cross-app dependency, and within an app from each
file to the next (a squash file sits beside the originals it replaces, from the file just below
its range to the file just after it). When the database state is known, each file is marked:

* *applied*: on the route the database took (the squash if it ran the squash, else the originals);
* *pending*: on the route ``upgrade`` would take from where the database stands;
* *bypassed*: neither: the alternative route through a squashed range that this database does
  not take (the originals when it runs the squash, the squash when it ran the originals).
"""

from __future__ import annotations

from ..plan.graph import MigrationGraph
from ..model import DatabaseState, Key, Migration
from ..plan.routes import NoRoute, applied_route, route_up

FORMATS = ("text", "dot", "mermaid")

APPLIED, PENDING, BYPASSED = "applied", "pending", "bypassed"
_TEXT_MARKS = {APPLIED: "[x] ", PENDING: "[ ] ", BYPASSED: "[-] "}
_DOT_STYLES = {
    APPLIED: ", style=filled, fillcolor=palegreen",
    PENDING: ", style=dashed",
    BYPASSED: ", style=dotted, color=gray55, fontcolor=gray45",
}


def render(graph: MigrationGraph, fmt: str, state: DatabaseState | None = None) -> str:
    return {"text": _text, "dot": _dot, "mermaid": _mermaid}[fmt](graph, marks(graph, state))


def marks(graph: MigrationGraph, state: DatabaseState | None) -> dict[Key, str] | None:
    """Each file's mark (applied, pending, bypassed) for ``state``; None without a database."""
    if state is None:
        return None
    found: dict[Key, str] = {}
    for app, history in graph.histories.items():
        version = state.version(app)
        applied = {m.key for m in applied_route(history, version, state.names)}
        try:
            pending = {m.key for m in route_up(history, version, history.latest)}
        except NoRoute:  # inside a pruned squash: every file above is out of reach, call it pending
            pending = {m.key for m in _files(graph, app) if m.version > version}
        for migration in _files(graph, app):
            key = migration.key
            found[key] = APPLIED if key in applied else PENDING if key in pending else BYPASSED
    return found


def _cross_app_edges(graph: MigrationGraph) -> list[tuple[Key, Key]]:
    return [(a, b) for a, b in graph.edges() if a[0] != b[0]]


def _app_edges(graph: MigrationGraph, app: str) -> list[tuple[Key, Key]]:
    """Edges within one app: file to next file, and into and out of each squash."""
    return [(a, b) for a, b in graph.edges() if a[0] == app and b[0] == app]


def _has_bypassed(found: dict[Key, str] | None) -> bool:
    return found is not None and BYPASSED in found.values()


def _text(graph: MigrationGraph, found: dict[Key, str] | None) -> str:
    lines = []
    for app in sorted(graph.histories):
        lines.append(f"{app}")
        for migration in _files(graph, app):
            mark = "" if found is None else _TEXT_MARKS[found[migration.key]]
            notes = []
            if migration.is_squash:
                notes.append(f"replaces {migration.first_version:04d}-{migration.version:04d}")
            needs = _needs(graph, migration.key)
            if needs:
                notes.append(f"<- {', '.join(needs)}")
            lines.append(f"  {mark}{migration.name}" + "".join(f"  {note}" for note in notes))
    if _has_bypassed(found):
        lines.append("[x] applied  [ ] pending  [-] bypassed: this database takes the other route through a squashed range")
    return "\n".join(lines) + "\n"


def _needs(graph: MigrationGraph, key: Key) -> list[str]:
    """Dependencies on other apps; a version inside a squashed range is met by either file."""
    by_app: dict[str, list[str]] = {}
    for need in graph.dependencies(key):
        if need[0] != key[0]:
            by_app.setdefault(need[0], []).append(_label(need))
    return [" or ".join(labels) for _, labels in sorted(by_app.items())]


def _files(graph: MigrationGraph, app: str) -> list[Migration]:
    """The app's files in version order, each squash right after the last original it replaces."""
    history = graph.histories[app]
    return sorted([*history.migrations, *history.squashes], key=lambda m: (m.version, m.is_squash, m.first_version))


def _label(key: Key) -> str:
    return f"{key[0]}:{key[2]:04d}_squashed_{key[1]:04d}" if len(key) == 3 else f"{key[0]}:{key[1]:04d}"


def _node_id(key: Key) -> str:
    if len(key) == 3:  # a squash: (app, last, first)
        return f"{key[0]}_{key[2]:04d}_squashed_{key[1]:04d}"
    return f"{key[0]}_{key[1]:04d}"


def _dot(graph: MigrationGraph, found: dict[Key, str] | None) -> str:
    lines = ["digraph migrations {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for app in sorted(graph.histories):
        lines.append(f'  subgraph "cluster_{app}" {{')
        lines.append(f'    label="{app}";')
        for migration in _files(graph, app):
            style = "" if found is None else _DOT_STYLES[found[migration.key]]
            if migration.is_squash:  # a double border: one node standing for a range
                style += ", peripheries=2"
            lines.append(f'    {_node_id(migration.key)} [label="{migration.name}"{style}];')
        for before, after in _app_edges(graph, app):
            lines.append(f"    {_node_id(before)} -> {_node_id(after)};")
        lines.append("  }")
    for a, b in _cross_app_edges(graph):
        colour = "gray70" if found is not None and BYPASSED in (found[a], found[b]) else "blue"
        lines.append(f"  {_node_id(a)} -> {_node_id(b)} [color={colour}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid(graph: MigrationGraph, found: dict[Key, str] | None) -> str:
    lines = ["flowchart LR"]
    for app in sorted(graph.histories):
        lines.append(f"  subgraph {app}")
        for migration in _files(graph, app):
            if migration.is_squash:  # the "subroutine" shape: one node standing for a range
                lines.append(f'    {_node_id(migration.key)}[["{migration.name}"]]')
            else:
                lines.append(f'    {_node_id(migration.key)}["{migration.name}"]')
        for before, after in _app_edges(graph, app):
            lines.append(f"    {_node_id(before)} --> {_node_id(after)}")
        lines.append("  end")
    for a, b in _cross_app_edges(graph):
        lines.append(f"  {_node_id(a)} -.-> {_node_id(b)}")
    if found is not None:
        lines.append("  classDef applied fill:#c8f7c5,stroke:#2e7d32")
        lines.append("  classDef pending stroke-dasharray: 5 5")
        if _has_bypassed(found):
            lines.append("  classDef bypassed fill:#eeeeee,stroke:#bbbbbb,color:#888888")
        for key in graph.order:
            lines.append(f"  class {_node_id(key)} {found[key]}")
    return "\n".join(lines) + "\n"
