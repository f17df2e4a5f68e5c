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

The edges are two plain dicts (prerequisites and dependents of each node) and the order is Kahn's
algorithm with a heap, which is exactly networkx's ``lexicographical_topological_sort`` without
importing networkx (0.1-0.2 s) on every command that plans: ``status``, ``plan`` and the no-op
``upgrade`` run on every deploy. networkx is imported only to name a cycle.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Iterable, Iterator, Mapping

from ..errors import DependencyCycle, UnknownDependency, did_you_mean
from ..files.loader import AppHistory
from ..model import Key, Migration


class MigrationGraph:
    def __init__(self, histories: Mapping[str, AppHistory]) -> None:
        self.histories = dict(histories)
        self.nodes: dict[Key, Migration] = {}
        #: node -> the nodes that must run before it / after it. Dicts used as ordered sets: each
        #: edge once, iterated in the order it was added, so everything here is deterministic.
        self._pred: dict[Key, dict[Key, None]] = {}
        self._succ: dict[Key, dict[Key, None]] = {}
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
        return sorted(self._pred[key])

    def dependents(self, key: Key) -> list[Key]:
        """Nodes that directly require ``key``."""
        return sorted(self._succ[key])

    def edges(self) -> Iterator[tuple[Key, Key]]:
        return iter(sorted((before, after) for before, afters in self._succ.items() for after in afters))

    def ancestors_within(self, start: Iterable[Key], allowed: set[Key]) -> set[Key]:
        """``start`` plus every prerequisite reachable from it through ``allowed`` nodes."""
        return self._reach(start, allowed, self._pred)

    def descendants_within(self, start: Iterable[Key], allowed: set[Key]) -> set[Key]:
        """``start`` plus every dependent reachable from it through ``allowed`` nodes."""
        return self._reach(start, allowed, self._succ)

    def in_order(self, keys: Iterable[Key]) -> list[Key]:
        """``keys`` sorted into the graph's deterministic topological order."""
        rank = self.rank
        return sorted(keys, key=rank.__getitem__)

    # -- construction ---------------------------------------------------------------------------

    def _add_app(self, history: AppHistory) -> None:
        previous: Key | None = None
        for migration in history.migrations:
            self._add_node(migration)
            if previous is not None and previous[1] == migration.version - 1:
                self._add_edge(previous, migration.key)
            previous = migration.key
        if not history.squashes:
            return
        for squash in history.squashes:
            self._add_node(squash)
        for migration in (*history.migrations, *history.squashes):
            for before in (*history.squashes, history.get(migration.first_version - 1)):
                if before is not None and before.version == migration.first_version - 1:
                    self._add_edge(before.key, migration.key)

    def _add_node(self, migration: Migration) -> None:
        self.nodes[migration.key] = migration
        self._pred[migration.key] = {}
        self._succ[migration.key] = {}

    def _add_edge(self, before: Key, after: Key) -> None:
        self._pred[after][before] = None
        self._succ[before][after] = None

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
            if dependency.app == migration.app:
                if dependency.version >= migration.first_version:
                    raise DependencyCycle([_label(migration.key)])
                continue  # an earlier version of its own app: implied by the app's order
            for target in history.covering(dependency.version):
                self._add_edge(target.key, migration.key)

    def _topological_order(self) -> list[Key]:
        """Kahn's algorithm; among the nodes free to run, the smallest ``_tie_break`` goes first."""
        waiting = {key: len(before) for key, before in self._pred.items()}
        ready = [(_tie_break(key), key) for key, count in waiting.items() if count == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            _, key = heapq.heappop(ready)
            order.append(key)
            for after in self._succ[key]:
                waiting[after] -= 1
                if waiting[after] == 0:
                    heapq.heappush(ready, (_tie_break(after), after))
        if len(order) < len(waiting):
            raise DependencyCycle(_rotate([_label(key) for key in self._find_cycle()]))
        return order

    def _find_cycle(self) -> list[Key]:
        """One cycle, as networkx finds it (only on this error path is networkx worth importing)."""
        import networkx as nx

        graph = nx.DiGraph()
        graph.add_nodes_from(self._succ)
        graph.add_edges_from((before, after) for before, afters in self._succ.items() for after in afters)
        return [edge[0] for edge in nx.find_cycle(graph)]

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
