"""The project around a migration, as the cross-app rules (XA) ask about it.

Which app owns which object, and what each migration created, altered, dropped, wrote and
referred to, is the ownership map's knowledge (``modmig.schema.ownership``, built from the same
migration files, cached in ``.modmig/``). This module is the narrow adapter between that map and
the rules: the rules ask five questions (what did this migration touch, which migrations created
that object, does it depend on that migration, which other apps' objects refer to it, which later
migrations of other apps use it), and only this module knows the map's shape.

The map is built without replaying Python migrations (the linter opens no database), over the
apps whose files name what the linted migrations touch (``build``): the objects a Python migration
created have no known owner there, and the rules say nothing about them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..model import Key, Migration
    from ..plan.graph import MigrationGraph

#: Why the cross-app rules did not run, when they could not (``LintReport.notes``).
UNAVAILABLE = "the cross-app rules (XA) need the ownership map (modmig.schema.ownership), which this modmig does not have"


class AppsView:
    def __init__(self, graph: MigrationGraph, owners: Any) -> None:
        self.graph = graph
        self.owners = owners
        self._ancestors: dict[Key, set] = {}

    @classmethod
    def build(cls, graph: "MigrationGraph", dialect: str, root: Path, apps: set[str]) -> "AppsView | None":
        """The view over the ownership map of ``apps`` (the apps whose files name what the linted
        migrations touch, and theirs); None when this modmig has no ownership map.

        Only those apps are walked, in the full graph's order: an app whose files never name an
        object can neither create, change, refer to nor depend on it through SQL, so leaving it out
        changes no answer the rules ask, and a pending lint of a large project stays fast. The
        map is cached beside ``modmig owners``'s, in ``.modmig/lint-ownership-<dialect>.json``
        (a partial map must not evict entries from the full one's cache).
        """
        try:
            from ..schema import ownership
        except ImportError:
            return None
        part = _Part(graph, apps)
        cache = root / ".modmig" / f"lint-ownership-{dialect}.json"
        owners = ownership.build_ownership(part, dialect, cache=cache, replay=False, base_dir=root)  # type: ignore[arg-type]
        return cls(graph, owners)

    def touches(self, migration: Migration) -> list:
        """What ``migration`` did, statement by statement (``Touch``: action, kind, name, table,
        owner at that moment, line, new_name, implied); empty if the map did not walk it."""
        try:
            return list(self.owners.migration(migration.label).touches)
        except KeyError:
            return []

    def creators(self, kind: str, name: str) -> list:
        """The migrations (``MigrationRef``: app, version, label, key) that created ``kind name``,
        one per lifetime (an object dropped and created again has two), oldest first."""
        return [life.created_by for life in self.owners.history(kind, name) if life.created_by is not None]

    def depends(self, key: Key, on: Key) -> bool:
        """``key`` runs after ``on`` on every database: ``on`` is among its prerequisites."""
        if key not in self._ancestors:
            self._ancestors[key] = self.graph.ancestors_within([key], set(self.graph.nodes))
        return on in self._ancestors[key]

    def referrers(self, kind: str, name: str, app: str) -> list[str]:
        """Existing objects of apps other than ``app`` that refer to ``kind name`` (views, foreign
        keys, triggers), described as ``view blog_feed (app blog)``."""
        return [f"{obj.kind} {obj.name} (app {obj.app})" for obj in self.owners.referrers(kind, name)
                if obj.app is not None and obj.app != app]

    def later_uses(self, kind: str, name: str, after: Key, app: str) -> list[str]:
        """Migrations of other apps, after ``after`` in graph order, that use ``kind name``."""
        rank = self.graph.rank.get(after, -1)
        found = []
        for record in self.owners.migrations():
            ref = record.migration
            if ref.app == app or self.graph.rank.get(ref.key, -1) <= rank:
                continue
            lines = sorted({t.line for t in record.touches if (t.kind, t.name) == (kind, name) and t.action != "created" and t.line})
            if lines:
                found.append(f"{ref.label} (line {', '.join(map(str, lines))})")
        return found


class _Part:
    """The graph restricted to some apps, as ``build_ownership`` walks it: their histories, in the
    full graph's order (so two apps related only through a third keep their order)."""

    def __init__(self, graph: "MigrationGraph", apps: set[str]) -> None:
        self.histories = {app: history for app, history in graph.histories.items() if app in apps}
        self.nodes = graph.nodes
        self.in_order = graph.in_order
