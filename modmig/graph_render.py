"""Draw the migration graph as text, Graphviz dot or Mermaid (``modmig graph``).

Apps are clusters; an edge is drawn for every cross-app dependency (edges within an app are
implied by its order). When the database state is known, applied migrations are marked.
"""

from __future__ import annotations

from .graph import MigrationGraph
from .model import DatabaseState, Key

FORMATS = ("text", "dot", "mermaid")


def render(graph: MigrationGraph, fmt: str, state: DatabaseState | None = None) -> str:
    return {"text": _text, "dot": _dot, "mermaid": _mermaid}[fmt](graph, state)


def _applied(key: Key, state: DatabaseState | None) -> bool | None:
    return None if state is None else key[1] <= state.version(key[0])


def _cross_app_edges(graph: MigrationGraph) -> list[tuple[Key, Key]]:
    return [(a, b) for a, b in graph.edges() if a[0] != b[0]]


def _text(graph: MigrationGraph, state: DatabaseState | None) -> str:
    lines = []
    for app in sorted(graph.histories):
        lines.append(f"{app}")
        for migration in _files(graph, app):
            applied = _applied(migration.key, state)
            mark = "" if applied is None else ("[x] " if applied else "[ ] ")
            needs = [_label(k) for k in graph.dependencies(migration.key) if k[0] != app]
            suffix = f"  <- {', '.join(needs)}" if needs else ""
            lines.append(f"  {mark}{migration.name}{suffix}")
    return "\n".join(lines) + "\n"


def _files(graph: MigrationGraph, app: str) -> list:
    """The app's originals, then its squash files (drawn beside the ranges they replace)."""
    history = graph.histories[app]
    return [*history.migrations, *history.squashes]


def _label(key: Key) -> str:
    return f"{key[0]}:{key[2]:04d}_squashed_{key[1]:04d}" if len(key) == 3 else f"{key[0]}:{key[1]:04d}"


def _node_id(key: Key) -> str:
    if len(key) == 3:  # a squash: (app, last, first)
        return f"{key[0]}_{key[2]:04d}_squashed_{key[1]:04d}"
    return f"{key[0]}_{key[1]:04d}"


def _dot(graph: MigrationGraph, state: DatabaseState | None) -> str:
    lines = ["digraph migrations {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for app in sorted(graph.histories):
        migrations = graph.histories[app].migrations
        lines.append(f'  subgraph "cluster_{app}" {{')
        lines.append(f'    label="{app}";')
        for migration in _files(graph, app):
            applied = _applied(migration.key, state)
            style = "" if applied is None else (", style=filled, fillcolor=palegreen" if applied else ", style=dashed")
            lines.append(f'    {_node_id(migration.key)} [label="{migration.name}"{style}];')
        for before, after in zip(migrations, migrations[1:]):
            lines.append(f"    {_node_id(before.key)} -> {_node_id(after.key)};")
        lines.append("  }")
    for a, b in _cross_app_edges(graph):
        lines.append(f"  {_node_id(a)} -> {_node_id(b)} [color=blue];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _mermaid(graph: MigrationGraph, state: DatabaseState | None) -> str:
    lines = ["flowchart LR"]
    for app in sorted(graph.histories):
        migrations = graph.histories[app].migrations
        lines.append(f"  subgraph {app}")
        for migration in _files(graph, app):
            lines.append(f'    {_node_id(migration.key)}["{migration.name}"]')
        for before, after in zip(migrations, migrations[1:]):
            lines.append(f"    {_node_id(before.key)} --> {_node_id(after.key)}")
        lines.append("  end")
    for a, b in _cross_app_edges(graph):
        lines.append(f"  {_node_id(a)} -.-> {_node_id(b)}")
    if state is not None:
        lines.append("  classDef applied fill:#c8f7c5,stroke:#2e7d32")
        lines.append("  classDef pending stroke-dasharray: 5 5")
        for key in graph.order:
            lines.append(f"  class {_node_id(key)} {'applied' if _applied(key, state) else 'pending'}")
    return "\n".join(lines) + "\n"
