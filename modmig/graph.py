"""The dependency graph of every migration of every app, and its one deterministic order.

Nodes are ``(app, version)`` keys; an edge ``a -> b`` means *a must run before b*. Within an app,
version N follows N-1; across apps, a migration follows each ``app:NNNN`` it depends on.

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
        # Each app's (base, latest), computed once: AppHistory computes them by scanning every
        # file, and asking per dependency made building the graph quadratic.
        self._bounds = {app: (history.base, history.latest) for app, history in self.histories.items()}
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
            if previous is not None:
                self._graph.add_edge(previous, migration.key)
            previous = migration.key

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
            base, latest = self._bounds[dependency.app]
            if dependency.version > latest:
                raise UnknownDependency(
                    migration.path,
                    dependency.line,
                    str(dependency),
                    f"does not exist: {dependency.app} only goes up to {latest:04d}.",
                )
            if dependency.version <= base:
                continue  # pruned history: every valid database is past it already
            target = history.get(dependency.version)
            if target is not None and target.key != migration.key:
                self._graph.add_edge(target.key, migration.key)
            elif target is not None:
                raise DependencyCycle([_label(migration.key)])

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
    return f"{key[0]}:{key[1]:04d}"


def _rotate(cycle: list[str]) -> list[str]:
    """Start a cycle at its smallest node, so the same cycle always prints the same way."""
    start = cycle.index(min(cycle))
    return cycle[start:] + cycle[:start]
