"""The dependency graph of every migration of every app, and its one deterministic order.

Nodes are ``(app, version)`` keys; an edge ``a -> b`` means *a must run before b*. Within an app,
version N follows N-1; across apps, a migration follows each ``app:NNNN`` it depends on.

Squash files are nodes too (keyed ``(app, last, first)``), beside the originals they replace: the
graph holds every alternative, and the planner picks, per app, the route a database takes
(``routes.py``). So that any such choice is ordered correctly, a node follows *every* node of its
app that ends just below it, and a dependency on ``app:v`` is an edge from every node whose range
contains v (the original and each squash over it). The one topological order of this superset
restricted to the chosen nodes is then a valid plan, for every database state at once.

The graph answers questions about the files only: what depends on what, and the order. It does not
know which migrations a database has applied (that is the planner's input) and it never opens a
file or a database. Building it checks that every dependency exists and that there is no cycle,
so any ``MigrationGraph`` you hold is valid.
"""

from __future__ import annotations

from collections import deque
from typing import Iterable, Iterator, Mapping

import networkx as nx

from .errors import DependencyCycle, UnknownDependency, did_you_mean
from .loader import AppHistory
from .model import Key, Migration


class MigrationGraph:
    def __init__(self, histories: Mapping[str, AppHistory]) -> None:
        self.histories = dict(histories)
        self.nodes: dict[Key, Migration] = {}
        self._graph = nx.DiGraph()
        for app in sorted(self.histories):
            self._add_app(self.histories[app])
        for migration in self.nodes.values():
            self._add_dependencies(migration)
        self.order: list[Key] = self._topological_order()
        #: Position of each node in ``order``: sorting any subset by it gives a valid plan.
        self.rank: dict[Key, int] = {key: index for index, key in enumerate(self.order)}

    # -- queries --------------------------------------------------------------------------------

    def __contains__(self, key: Key) -> bool:
        return key in self.nodes

    def __len__(self) -> int:
        return len(self.nodes)

    def migration(self, key: Key) -> Migration:
        return self.nodes[key]

    def dependencies(self, key: Key) -> list[Key]:
        """Direct prerequisites of ``key`` (its previous version and its cross-app dependencies)."""
        return sorted(self._graph.predecessors(key))

    def dependents(self, key: Key) -> list[Key]:
        """Nodes that directly require ``key``."""
        return sorted(self._graph.successors(key))

    def edges(self) -> Iterator[tuple[Key, Key]]:
        return iter(sorted(self._graph.edges()))

    def ancestors_within(self, start: Iterable[Key], allowed: set[Key]) -> set[Key]:
        """``start`` plus every prerequisite reachable from it through ``allowed`` nodes."""
        return self._reach(start, allowed, self._graph.pred)

    def descendants_within(self, start: Iterable[Key], allowed: set[Key]) -> set[Key]:
        """``start`` plus every dependent reachable from it through ``allowed`` nodes."""
        return self._reach(start, allowed, self._graph.succ)

    def in_order(self, keys: Iterable[Key]) -> list[Key]:
        """``keys`` sorted into the graph's deterministic topological order."""
        rank = self.rank
        return sorted(keys, key=rank.__getitem__)

    # -- construction ---------------------------------------------------------------------------

    def _add_app(self, history: AppHistory) -> None:
        previous: Key | None = None
        for migration in history.migrations:
            self.nodes[migration.key] = migration
            self._graph.add_node(migration.key)
            if previous is not None and previous[1] == migration.version - 1:
                self._graph.add_edge(previous, migration.key)
            previous = migration.key
        if not history.squashes:
            return
        for squash in history.squashes:
            self.nodes[squash.key] = squash
            self._graph.add_node(squash.key)
        for migration in (*history.migrations, *history.squashes):
            for before in (*history.squashes, history.get(migration.first_version - 1)):
                if before is not None and before.version == migration.first_version - 1:
                    self._graph.add_edge(before.key, migration.key)

    def _add_dependencies(self, migration: Migration) -> None:
        for dependency in migration.dependencies:
            history = self.histories.get(dependency.app)
            if history is None:
                raise UnknownDependency(
                    migration.path,
                    dependency.line,
                    str(dependency),
                    f"names app {dependency.app!r}, which is not configured."
                    f"{did_you_mean(dependency.app, self.histories)}",
                )
            if dependency.version > history.latest:
                raise UnknownDependency(
                    migration.path,
                    dependency.line,
                    str(dependency),
                    f"does not exist: {dependency.app} only goes up to {history.latest:04d}.",
                )
            if dependency.version <= history.base:
                continue  # pruned history: every valid database is past it already
            if dependency.app == migration.app:
                if dependency.version >= migration.first_version:
                    raise DependencyCycle([_label(migration.key)])
                continue  # an earlier version of its own app: implied by the app's order
            for target in history.covering(dependency.version):
                self._graph.add_edge(target.key, migration.key)

    def _topological_order(self) -> list[Key]:
        try:
            return list(nx.lexicographical_topological_sort(self._graph, key=_tie_break))
        except nx.NetworkXUnfeasible:
            cycle = nx.find_cycle(self._graph)
            raise DependencyCycle(_rotate([_label(edge[0]) for edge in cycle])) from None

    @staticmethod
    def _reach(start: Iterable[Key], allowed: set[Key], neighbours: Mapping) -> set[Key]:
        seen = set(start)
        queue = deque(seen)
        while queue:
            for nxt in neighbours[queue.popleft()]:
                if nxt in allowed and nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        return seen


def _tie_break(key: Key) -> tuple[str, int]:
    """Among migrations free to run, the app label first, then the version, decides."""
    return key


def _label(key: Key) -> str:
    if len(key) == 3:
        return f"{key[0]}:{key[2]:04d}_squashed_{key[1]:04d}"
    return f"{key[0]}:{key[1]:04d}"


def _rotate(cycle: list[str]) -> list[str]:
    """Start a cycle at its smallest node, so the same cycle always prints the same way."""
    start = cycle.index(min(cycle))
    return cycle[start:] + cycle[:start]
